//! Shrinking: a script that shows a difference is cut down, input by input and frame by frame,
//! to one that still shows the same difference (the same [`Signature`]), within a budget of
//! replays. Expectations are derived again from the reference for every candidate, so a
//! smaller script is judged exactly as a generated one.

use super::script::{Derived, Deriver, Input, PeerFrame, Setup};

/// What a difference is about: the action of the step that failed and the requirement the
/// script's input there turns on. Two runs with one signature show one difference.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Signature {
    /// The failing step's action (`expect_sent`, `read`, ...), or `end`.
    pub action: String,
    /// The requirement: the failed check's own, else the first of the input that led to it.
    pub requirement: String,
}

impl std::fmt::Display for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} [{}]", self.action, self.requirement)
    }
}

impl Signature {
    /// The signature of a failure at `step` (1-based, `None`: at the end) of `derived`, whose
    /// check named `requirement`, if one.
    pub fn of(
        derived: &Derived,
        step: Option<usize>,
        requirement: Option<&str>,
        problem: &str,
    ) -> Signature {
        let steps = &derived.vector.steps;
        let index = step
            .map_or(steps.len(), |s| s.max(1))
            .min(steps.len())
            .max(1)
            - 1;
        let action = if step.is_none() {
            "end".to_string()
        } else {
            steps[index].action.name().to_string()
        };
        // A frame expected and not sent (or another sent) is about the reaction the check
        // expected; a call's result is about the call itself.
        let about_frames = matches!(
            action.as_str(),
            "expect_sent" | "expect_sent_one_of" | "end"
        );
        let requirement = requirement
            .or(expected_reaction(problem).filter(|_| about_frames))
            .map(str::to_string)
            .unwrap_or_else(|| {
                // The input that led to an expectation is the nearest step before it that acts.
                let acting = (0..=index)
                    .rev()
                    .find(|&i| {
                        !matches!(
                            steps[i].action.name(),
                            "expect_sent" | "expect_session" | "expect_sent_one_of"
                        )
                    })
                    .unwrap_or(index);
                derived.tags[acting]
                    .first()
                    .copied()
                    .unwrap_or("FRAME-1")
                    .to_string()
            });
        Signature {
            action,
            requirement,
        }
    }
}

/// The requirement of the reaction a failed check expected, when its words name one: the
/// expected frame's error code, or a GOAWAY's last stream id.
fn expected_reaction(problem: &str) -> Option<&'static str> {
    let from = problem.find("expected ")?;
    let rest = &problem[from..];
    let end = [";", ", got", ", sent"]
        .iter()
        .filter_map(|m| rest.find(m))
        .min()
        .unwrap_or(rest.len());
    let expected = &rest[..end];
    let table: [(&str, &'static str); 7] = [
        ("ACCEPT_QUEUE_FULL", "STREAM-5"),
        ("STREAM_CLOSED", "STREAM-8"),
        ("FLOW_CONTROL_ERROR", "FLOW-4"),
        ("STREAM_REFUSED", "GOAWAY-8"),
        ("FRAME_SIZE_ERROR", "FRAME-8"),
        ("PROTOCOL_ERROR", "FRAME-8"),
        ("PEER_EOF", "SESSION-8"),
    ];
    if problem.contains("GOAWAY last stream id") && expected.contains("GOAWAY last stream id") {
        // Both sent a GOAWAY: what differs is the last stream id it names.
        let same_code = table
            .iter()
            .any(|(c, _)| expected.contains(c) && rest[end..].contains(c));
        if same_code {
            return Some("GOAWAY-5");
        }
    }
    table
        .iter()
        .find(|(code, _)| expected.contains(code))
        .map(|(_, r)| *r)
}

/// Derives the vector of `inputs` (those that still apply); `session_check`: it ends by
/// checking the session's state.
pub fn derive(
    setup: Setup,
    inputs: &[Input],
    id: &str,
    description: &str,
    session_check: bool,
) -> (Vec<Input>, Derived) {
    let mut deriver = Deriver::new(setup);
    let kept: Vec<Input> = inputs
        .iter()
        .filter(|i| deriver.apply(i))
        .cloned()
        .collect();
    (kept, deriver.finish(id, description, session_check))
}

/// Shrinks `inputs` while `still` says the candidate shows the difference; at most `budget`
/// calls of `still`. Returns the smallest script found.
pub fn shrink(
    inputs: Vec<Input>,
    budget: usize,
    still: &mut dyn FnMut(&[Input]) -> bool,
) -> Vec<Input> {
    let mut best = inputs;
    let mut spent = 0;
    let mut attempt = |candidate: &[Input], spent: &mut usize| -> bool {
        if *spent >= budget {
            return false;
        }
        *spent += 1;
        still(candidate)
    };
    // Remove runs of inputs, halving the run length (delta debugging).
    let mut chunk = best.len().div_ceil(2).max(1);
    loop {
        let mut i = 0;
        while i < best.len() && spent < budget {
            let end = (i + chunk).min(best.len());
            let candidate: Vec<Input> = best[..i].iter().chain(&best[end..]).cloned().collect();
            if !candidate.is_empty() && attempt(&candidate, &mut spent) {
                best = candidate;
            } else {
                i += chunk;
            }
        }
        if chunk == 1 || spent >= budget {
            break;
        }
        chunk = chunk.div_ceil(2);
    }
    // Simplify what is left: fewer frames per send, no cut, shorter payloads.
    let mut changed = true;
    while changed && spent < budget {
        changed = false;
        for i in 0..best.len() {
            for candidate in simpler(&best[i]) {
                let mut next = best.clone();
                next[i] = candidate;
                if attempt(&next, &mut spent) {
                    best = next;
                    changed = true;
                    break;
                }
            }
        }
    }
    best
}

/// Simpler versions of one input, simplest first.
fn simpler(input: &Input) -> Vec<Input> {
    let mut out = Vec::new();
    match input {
        Input::Send { frames, cut, keep } => {
            if cut.is_some() {
                out.push(Input::Send {
                    frames: frames.clone(),
                    cut: None,
                    keep: *keep,
                });
            }
            if frames.len() > 1 {
                for k in 0..frames.len() {
                    let mut fewer = frames.clone();
                    fewer.remove(k);
                    out.push(Input::Send {
                        frames: fewer,
                        cut: *cut,
                        keep: *keep,
                    });
                }
            }
            for (k, frame) in frames.iter().enumerate() {
                let shorter = match frame {
                    PeerFrame::Data {
                        stream,
                        syn,
                        fin,
                        len,
                    } if *len > 1 => Some(PeerFrame::Data {
                        stream: *stream,
                        syn: *syn,
                        fin: *fin,
                        len: len / 2,
                    }),
                    PeerFrame::GoAway { code, debug } if *debug > 0 => Some(PeerFrame::GoAway {
                        code: *code,
                        debug: 0,
                    }),
                    _ => None,
                };
                if let Some(shorter) = shorter {
                    let mut frames = frames.clone();
                    frames[k] = shorter;
                    out.push(Input::Send {
                        frames,
                        cut: *cut,
                        keep: *keep,
                    });
                }
            }
        }
        Input::Write(stream, len) if *len > 1 => out.push(Input::Write(*stream, len / 2)),
        Input::Read(stream, max) if *max > 1 => out.push(Input::Read(*stream, max / 2)),
        Input::GoAway(code, debug) if *debug > 0 => out.push(Input::GoAway(*code, 0)),
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::script::StreamRef;

    /// Delta debugging keeps exactly the inputs the predicate needs, whatever surrounds them.
    // checks: tooling
    #[test]
    fn shrinking_keeps_only_what_the_difference_needs() {
        let needed = [Input::Open, Input::Close];
        let mut inputs = Vec::new();
        for k in 0..9 {
            inputs.push(Input::Read(StreamRef::Id(2 * k + 2), 8));
            if k == 3 {
                inputs.push(needed[0].clone());
            }
            if k == 7 {
                inputs.push(needed[1].clone());
            }
        }
        let mut calls = 0;
        let shrunk = shrink(inputs, 500, &mut |c| {
            calls += 1;
            needed.iter().all(|n| c.contains(n))
        });
        assert_eq!(shrunk, needed.to_vec());
        assert!(calls < 100, "{calls} calls");
    }

    /// Payloads shrink by halves while the predicate holds.
    // checks: tooling
    #[test]
    fn payloads_shrink() {
        let inputs = vec![Input::Send {
            frames: vec![PeerFrame::Data {
                stream: StreamRef::Peer(0),
                syn: true,
                fin: false,
                len: 40,
            }],
            cut: Some(3),
            keep: None,
        }];
        let shrunk = shrink(inputs, 100, &mut |c| {
            matches!(&c[0], Input::Send { frames, .. }
                if matches!(frames[0], PeerFrame::Data { len, .. } if len >= 5))
        });
        assert_eq!(
            shrunk,
            vec![Input::Send {
                frames: vec![PeerFrame::Data {
                    stream: StreamRef::Peer(0),
                    syn: true,
                    fin: false,
                    len: 5,
                }],
                cut: None,
                keep: None,
            }]
        );
    }

    /// A difference is named by the reaction the failed check expected, in the judge's words.
    // checks: tooling
    #[test]
    fn the_expected_reaction_names_the_requirement() {
        let cases = [
            (
                "step 3 (expect_sent): stream 17: expected RST ACCEPT_QUEUE_FULL (0x9); sent nothing",
                Some("STREAM-5"),
            ),
            (
                "stream 3: expected RST STREAM_CLOSED (0x4); sent nothing",
                Some("STREAM-8"),
            ),
            (
                "session: expected GOAWAY last stream id 6, PROTOCOL_ERROR (0x1), any debug data; \
                 sent GOAWAY last stream id 8, PROTOCOL_ERROR (0x1), debug \"x\"",
                Some("GOAWAY-5"),
            ),
            (
                "step 2 (open): expected error PEER_EOF (0xf), got error REMOTE_GONE_AWAY (0xb)",
                Some("SESSION-8"),
            ),
            ("step 3 (accept): expected no stream, got stream 2", None),
            (
                "stream 2: expected nothing; sent RST STREAM_CLOSED (0x4)",
                None,
            ),
        ];
        for (problem, want) in cases {
            assert_eq!(expected_reaction(problem), want, "{problem}");
        }
    }
}
