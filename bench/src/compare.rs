//! `muxado-bench compare BEFORE AFTER`: did a change make any figure worse? For every metric
//! both runs measured, one implementation's median before and after, with each run's range.
//!
//! A figure got worse beyond the run-to-run spread when the two runs' ranges do not overlap and
//! the after run is on the worse side: its best repetition is worse than the before run's worst.
//! Anything less is within the noise the two runs themselves show.

use std::fmt::Write;

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

/// Every metric that both runs measured for `implementation`, in the after run's order.
pub fn rows(before: &Results, after: &Results, implementation: &str) -> Vec<Row> {
    let earlier = before.metrics();
    after
        .metrics()
        .into_iter()
        .filter_map(|m| {
            let old = earlier.iter().find(|e| e.id == m.id)?;
            let b = before.summary(old, implementation)?;
            let a = after.summary(&m, implementation)?;
            Some(Row {
                verdict: verdict(m.better, &b, &a),
                metric: m.id,
                unit: m.unit,
                better: m.better,
                before: b,
                after: a,
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
    let worse: Vec<&str> = rows
        .iter()
        .filter(|r| r.verdict == Verdict::WorseBeyondSpread)
        .map(|r| r.metric.as_str())
        .collect();
    let better = rows
        .iter()
        .filter(|r| r.verdict == Verdict::BetterBeyondSpread)
        .count();
    let _ = writeln!(
        s,
        "\n{} metrics compared: {} worse beyond the spread{}, {better} better beyond it.",
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
}
