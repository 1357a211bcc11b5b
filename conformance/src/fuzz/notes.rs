//! Interop notes a script can trigger: a difference whose shrunk script contains the trigger of
//! a note the implementation's expectation file cites is explained by that note, not reported
//! as new. A note departs in ways that put the implementation's parser out of step or its
//! reactions out of order, so its differences are signed with whatever requirement the next
//! check names; the trigger is what every such script has in common.

use super::script::{Input, PeerFrame, Setup};

/// A note and what sets it off.
pub struct Trigger {
    /// The SPEC.md note id, e.g. `INTEROP-1`.
    pub note: &'static str,
    /// What a script must contain, in words.
    pub what: &'static str,
    test: fn(&Setup, &[Input]) -> bool,
}

impl Trigger {
    /// Whether `inputs` contain the trigger.
    pub fn fires(&self, setup: &Setup, inputs: &[Input]) -> bool {
        (self.test)(setup, inputs)
    }
}

/// The frames the suite sends, in order.
fn sent(inputs: &[Input]) -> impl Iterator<Item = &PeerFrame> {
    inputs.iter().flat_map(|input| match input {
        Input::Send { frames, .. } => frames.as_slice(),
        _ => &[],
    })
}

fn is_go_away(frame: &PeerFrame) -> bool {
    matches!(
        frame,
        PeerFrame::GoAway { .. } | PeerFrame::Raw { type_code: 3, .. }
    )
}

/// The payload length of a SYN, whether generated as DATA or as a raw frame.
fn syn_payload(frame: &PeerFrame) -> Option<usize> {
    match frame {
        PeerFrame::Data { syn: true, len, .. } => Some(*len),
        PeerFrame::Raw {
            type_code: 1,
            flags,
            reserved: false,
            body,
            ..
        } if flags & 0x2 != 0 => Some(body.len()),
        _ => None,
    }
}

fn opens_with_payload(frame: &PeerFrame) -> bool {
    syn_payload(frame).is_some_and(|len| len > 0)
}

/// The triggers `conformance fuzz` knows, one per note.
pub const TRIGGERS: &[Trigger] = &[
    Trigger {
        note: "INTEROP-1",
        what: "a GOAWAY, then more frames",
        test: |_, inputs| sent(inputs).skip_while(|f| !is_go_away(f)).nth(1).is_some(),
    },
    Trigger {
        note: "INTEROP-5",
        what: "more SYNs waiting to be accepted than the accept backlog holds",
        test: |setup, inputs| {
            let mut waiting = 0usize;
            inputs.iter().any(|input| {
                match input {
                    Input::Send { frames, .. } => {
                        waiting += frames.iter().filter(|f| syn_payload(f).is_some()).count();
                    }
                    Input::Accept => waiting = waiting.saturating_sub(1),
                    _ => {}
                }
                waiting > setup.backlog
            })
        },
    },
    Trigger {
        note: "INTEROP-6",
        what: "the implementation's own GOAWAY, then a SYN with a payload",
        test: |_, inputs| {
            inputs
                .iter()
                .skip_while(|i| !matches!(i, Input::GoAway(..)))
                .any(|i| matches!(i, Input::Send { frames, .. } if frames.iter().any(opens_with_payload)))
        },
    },
    Trigger {
        note: "INTEROP-7",
        what: "a stream-id word with the reserved bit set",
        test: |_, inputs| sent(inputs).any(|f| matches!(f, PeerFrame::Raw { reserved: true, .. })),
    },
    Trigger {
        note: "INTEROP-16",
        what: "a frame of unknown type (4 to 15)",
        test: |_, inputs| sent(inputs).any(|f| matches!(f, PeerFrame::Raw { type_code: 4.., .. })),
    },
    Trigger {
        note: "INTEROP-19",
        what: "a SYN whose payload exceeds the window",
        test: |setup, inputs| {
            sent(inputs).any(|f| syn_payload(f).is_some_and(|len| len > setup.window as usize))
        },
    },
];

/// The notes an expectation file cites: every `INTEROP-n` in its comments, bracketed or not.
pub fn cited(expect_file: &str) -> Vec<String> {
    let mut notes: Vec<String> = expect_file
        .lines()
        .filter_map(|line| line.split_once('#').map(|(_, comment)| comment))
        .flat_map(|comment| {
            comment
                .match_indices("INTEROP-")
                .map(move |(at, _)| &comment[at..])
        })
        .filter_map(|from| {
            let digits = from["INTEROP-".len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .count();
            (digits > 0).then(|| from[.."INTEROP-".len() + digits].to_string())
        })
        .collect();
    notes.sort();
    notes.dedup();
    notes
}

/// The notes among `notes` whose trigger `inputs` contain, each as `[NOTE] what`.
pub fn explaining(notes: &[String], setup: &Setup, inputs: &[Input]) -> Vec<String> {
    TRIGGERS
        .iter()
        .filter(|t| notes.iter().any(|n| n == t.note) && t.fires(setup, inputs))
        .map(|t| format!("[{}] {}", t.note, t.what))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::script::StreamRef;

    fn send(frames: Vec<PeerFrame>) -> Input {
        Input::Send {
            frames,
            cut: None,
            keep: None,
        }
    }

    fn syn(k: usize, len: usize) -> PeerFrame {
        PeerFrame::Data {
            stream: StreamRef::Peer(k),
            syn: true,
            fin: false,
            len,
        }
    }

    const SETUP: Setup = Setup {
        client: true,
        window: 16,
        backlog: 2,
    };

    /// The shapes the hour-long runs met (conformance/FUZZING.md): each fires its note's
    /// trigger, and a script without the shape fires none.
    // checks: [INTEROP-1] [INTEROP-5] [INTEROP-6] [INTEROP-7] [INTEROP-16] [INTEROP-19]
    #[test]
    fn each_trigger_fires_on_its_shape_only() {
        let all: Vec<String> = TRIGGERS.iter().map(|t| t.note.to_string()).collect();
        let fired = |inputs: &[Input]| -> Vec<&str> {
            TRIGGERS
                .iter()
                .filter(|t| t.fires(&SETUP, inputs))
                .map(|t| t.note)
                .collect()
        };
        let go_away = PeerFrame::GoAway { code: 0, debug: 0 };
        assert_eq!(
            fired(&[send(vec![go_away.clone(), syn(0, 1)])]),
            ["INTEROP-1"]
        );
        assert_eq!(
            fired(&[send(vec![syn(0, 1)]), send(vec![go_away.clone()])]),
            Vec::<&str>::new()
        );
        assert_eq!(
            fired(&[send(vec![syn(0, 0), syn(1, 0), syn(2, 0)])]),
            ["INTEROP-5"]
        );
        assert_eq!(
            fired(&[Input::GoAway(0, 0), send(vec![syn(0, 4)])]),
            ["INTEROP-6"]
        );
        assert_eq!(
            fired(&[send(vec![syn(0, 4)]), Input::GoAway(0, 0)]),
            Vec::<&str>::new()
        );
        let raw = |type_code, reserved| PeerFrame::Raw {
            type_code,
            flags: 0,
            stream: StreamRef::Id(2),
            reserved,
            body: Vec::new(),
        };
        assert_eq!(fired(&[send(vec![raw(1, true)])]), ["INTEROP-7"]);
        assert_eq!(fired(&[send(vec![raw(9, false)])]), ["INTEROP-16"]);
        assert_eq!(fired(&[send(vec![syn(0, 17)])]), ["INTEROP-19"]);
        let raw_syn = PeerFrame::Raw {
            type_code: 1,
            flags: 0x2,
            stream: StreamRef::Peer(0),
            reserved: false,
            body: vec![0; 27],
        };
        assert_eq!(fired(&[send(vec![raw_syn])]), ["INTEROP-19"]);
        // SYNs the application accepts as they come do not fill the backlog.
        let one_by_one = [
            send(vec![syn(0, 0), syn(1, 0)]),
            Input::Accept,
            send(vec![syn(2, 0)]),
        ];
        assert_eq!(fired(&one_by_one), Vec::<&str>::new());
        assert_eq!(fired(&[send(vec![syn(0, 16)])]), Vec::<&str>::new());
        // Only the notes the implementation is known for explain.
        let shapes = [Input::GoAway(0, 0), send(vec![go_away, syn(0, 17)])];
        assert_eq!(
            explaining(&["INTEROP-19".to_string()], &SETUP, &shapes),
            ["[INTEROP-19] a SYN whose payload exceeds the window"]
        );
        assert_eq!(explaining(&all, &SETUP, &shapes).len(), 3);
    }

    /// The notes an expectation file cites are read from its comments.
    // checks: tooling
    #[test]
    fn notes_cited_by_an_expectation_file() {
        let file = "case-a   # [INTEROP-7]: x ([STREAM-8])\ncase-b # [INTEROP-1], INTEROP-19 too\n\
                    case-INTEROP-2 # INTEROP- alone\n";
        assert_eq!(cited(file), ["INTEROP-1", "INTEROP-19", "INTEROP-7"]);
    }
}
