//! `muxado-bench compare BEFORE AFTER`: did a change make any figure worse? For every metric
//! both runs measured, one implementation's median before and after, with each run's range.
//!
//! A figure got worse beyond the run-to-run spread when the two runs' ranges do not overlap and
//! the after run is on the worse side: its best repetition is worse than the before run's worst.
//! Anything less is within the noise the two runs themselves show. A case whose parameters
//! differ between the two runs (more round trips, a longer measuring time) is judged all the
//! same, with what changed beside the verdict: the figure is the same quantity, measured
//! differently, and whether that explains a move is for the reader to weigh.

use std::fmt::Write;

use serde_json::{Map, Value};

use crate::plan::Case;
use crate::report::{arrow, num, ratio_cell};
use crate::results::{Better, Results, Summary};

/// How one metric moved between two runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The after run's worst repetition is better than the before run's best.
    BetterBeyondSpread,
    /// The ranges overlap.
    WithinSpread,
    /// The after run's best repetition is worse than the before run's worst.
    WorseBeyondSpread,
    /// A run has no successful repetition of it.
    Unknown,
}

/// One metric of one implementation, before and after.
#[derive(Clone, Debug)]
pub struct Row {
    /// The metric's id.
    pub metric: String,
    /// Its unit.
    pub unit: &'static str,
    /// Whether larger is better.
    pub better: Better,
    /// The before run's figures.
    pub before: Summary,
    /// The after run's figures.
    pub after: Summary,
    /// How it moved.
    pub verdict: Verdict,
    /// The case's parameters that differ between the runs, as `name before → after`.
    pub changed: Vec<String>,
}

/// Judges `after` against `before` for a metric where `better` says which way is good.
pub fn verdict(better: Better, before: &Summary, after: &Summary) -> Verdict {
    if before.ok == 0 || after.ok == 0 {
        return Verdict::Unknown;
    }
    // Orient so that larger is better.
    let (b_lo, b_hi, a_lo, a_hi) = match better {
        Better::Higher => (before.min, before.max, after.min, after.max),
        Better::Lower => (-before.max, -before.min, -after.max, -after.min),
    };
    if a_hi < b_lo {
        Verdict::WorseBeyondSpread
    } else if a_lo > b_hi {
        Verdict::BetterBeyondSpread
    } else {
        Verdict::WithinSpread
    }
}

/// The parameters of `after` that differ from `before`'s, as `name before → after`, in the
/// order `results.json` writes them.
pub fn changed(before: &Case, after: &Case) -> Vec<String> {
    let fields = |case: &Case| match serde_json::to_value(case) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    let (old, new) = (fields(before), fields(after));
    let mut names: Vec<&String> = new.keys().collect();
    names.extend(old.keys().filter(|k| !new.contains_key(*k)));
    names
        .into_iter()
        .filter(|k| old.get(*k) != new.get(*k))
        .map(|k| {
            let show = |v: Option<&Value>| v.map_or("none".into(), Value::to_string);
            format!("{k} {} → {}", show(old.get(k)), show(new.get(k)))
        })
        .collect()
}

/// Every metric that both runs measured for `implementation`, in the after run's order.
pub fn rows(before: &Results, after: &Results, implementation: &str) -> Vec<Row> {
    let earlier = before.metrics();
    let case = |results: &Results, id: &str| {
        results
            .cases
            .iter()
            .find(|c| c.case.id == id)
            .map(|c| c.case.clone())
    };
    after
        .metrics()
        .into_iter()
        .filter_map(|m| {
            let old = earlier.iter().find(|e| e.id == m.id)?;
            let b = before.summary(old, implementation)?;
            let a = after.summary(&m, implementation)?;
            let changed = changed(&case(before, &old.case)?, &case(after, &m.case)?);
            Some(Row {
                verdict: verdict(m.better, &b, &a),
                metric: m.id,
                unit: m.unit,
                better: m.better,
                before: b,
                after: a,
                changed,
            })
        })
        .collect()
}

fn range(s: &Summary) -> String {
    if s.ok == 0 {
        return "no run".into();
    }
    format!("{} ({}–{})", num(s.median), num(s.min), num(s.max))
}

/// The rows as a markdown table, with a closing line counting what got worse.
pub fn table(rows: &[Row], implementation: &str) -> String {
    let mut s = format!(
        "{implementation}: median (min–max) before and after; after ÷ before; \
         \"worse\" only when the after run's best repetition is worse than the before run's worst.\n\n\
         | metric | unit | before | after | after ÷ before | verdict |\n|---|---|---:|---:|---:|---|\n"
    );
    for r in rows {
        let ratio = r.after.median / r.before.median;
        let verdict = match r.verdict {
            Verdict::BetterBeyondSpread => "better",
            Verdict::WithinSpread => "within spread",
            Verdict::WorseBeyondSpread => "**worse**",
            Verdict::Unknown => "n/a",
        };
        let verdict = if r.changed.is_empty() {
            verdict.to_string()
        } else {
            format!("{verdict} (case changed: {})", r.changed.join(", "))
        };
        let _ = writeln!(
            s,
            "| {} {} | {} | {} | {} | {} | {verdict} |",
            r.metric,
            arrow(r.better),
            r.unit,
            range(&r.before),
            range(&r.after),
            ratio_cell(ratio.is_finite().then_some(ratio)),
        );
    }
    let worse: Vec<String> = rows
        .iter()
        .filter(|r| r.verdict == Verdict::WorseBeyondSpread)
        .map(|r| {
            let changed = if r.changed.is_empty() {
                ""
            } else {
                " (case changed)"
            };
            format!("{}{changed}", r.metric)
        })
        .collect();
    let better = rows
        .iter()
        .filter(|r| r.verdict == Verdict::BetterBeyondSpread)
        .count();
    let changed = match rows.iter().filter(|r| !r.changed.is_empty()).count() {
        0 => String::new(),
        n => format!(" ({n} of them from a case that ran with other parameters)"),
    };
    let _ = writeln!(
        s,
        "\n{} metrics compared{changed}: {} worse beyond the spread{}, {better} better beyond it.",
        rows.len(),
        worse.len(),
        if worse.is_empty() {
            String::new()
        } else {
            format!(" ({})", worse.join(", "))
        }
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(min: f64, median: f64, max: f64) -> Summary {
        Summary {
            median,
            min,
            max,
            ok: 5,
            failed: 0,
        }
    }

    // checks: tooling
    #[test]
    fn worse_only_when_the_ranges_part() {
        let before = s(100.0, 110.0, 120.0);
        assert_eq!(
            verdict(Better::Higher, &before, &s(80.0, 90.0, 99.0)),
            Verdict::WorseBeyondSpread
        );
        assert_eq!(
            verdict(Better::Higher, &before, &s(90.0, 95.0, 101.0)),
            Verdict::WithinSpread
        );
        assert_eq!(
            verdict(Better::Higher, &before, &s(121.0, 130.0, 140.0)),
            Verdict::BetterBeyondSpread
        );
        // Lower is better: the same ranges read the other way.
        assert_eq!(
            verdict(Better::Lower, &before, &s(80.0, 90.0, 99.0)),
            Verdict::BetterBeyondSpread
        );
        assert_eq!(
            verdict(Better::Lower, &before, &s(121.0, 130.0, 140.0)),
            Verdict::WorseBeyondSpread
        );
        let none = Summary { ok: 0, ..before };
        assert_eq!(verdict(Better::Lower, &none, &before), Verdict::Unknown);
    }

    // checks: tooling
    #[test]
    fn a_case_run_with_other_parameters_says_what_changed() {
        let cases = crate::plan::Mode::Full.cases();
        let idle = cases.iter().find(|c| c.id == "latency-idle").unwrap();
        assert!(changed(idle, idle).is_empty());
        let fewer = Case {
            samples: 5_000,
            ..idle.clone()
        };
        assert_eq!(changed(&fewer, idle), ["samples 5000 → 10000"]);
        // A field one side lacks (older results.json) shows as none.
        let capped = Case {
            max_reps: Some(3),
            ..idle.clone()
        };
        assert_eq!(changed(idle, &capped), ["max_reps none → 3"]);
        let row = Row {
            metric: "latency-idle-p50".into(),
            unit: "µs",
            better: Better::Lower,
            before: s(50.0, 60.0, 70.0),
            after: s(80.0, 90.0, 100.0),
            verdict: Verdict::WorseBeyondSpread,
            changed: changed(&fewer, idle),
        };
        let table = table(&[row], "reference");
        assert!(
            table.contains("| **worse** (case changed: samples 5000 → 10000) |"),
            "{table}"
        );
        assert!(
            table.contains("1 metrics compared (1 of them from a case that ran with other parameters): 1 worse beyond the spread (latency-idle-p50 (case changed))"),
            "{table}"
        );
    }
}
