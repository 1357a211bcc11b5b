//! The raw results of a run (what `results.json` holds) and the figures derived from them:
//! per-metric medians, ranges and ratios to the reference.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::plan::{Case, Kind, Mode, PeerCommand, REFERENCE, size_label};

/// Everything a run measured, and under which conditions.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Results {
    /// Format version of this file.
    pub schema: u32,
    /// How much was run.
    pub mode: Mode,
    /// The command as typed.
    pub command: String,
    /// When the run started (UTC).
    pub started_utc: String,
    /// How long the run took, seconds.
    pub duration_s: f64,
    /// The machine.
    pub machine: BTreeMap<String, String>,
    /// Versions of the toolchains and of each implementation.
    pub versions: BTreeMap<String, String>,
    /// Settings every implementation ran with, as sentences for the report.
    pub settings: Vec<String>,
    /// The implementations, in report order.
    pub implementations: Vec<ImplInfo>,
    /// Repetitions per case and implementation.
    pub reps: usize,
    /// Every case with every run.
    pub cases: Vec<CaseRuns>,
}

/// One implementation: a pair of peers.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ImplInfo {
    /// Its name in tables.
    pub name: String,
    /// What it is.
    pub about: String,
    /// The versions of its client and server (one, when both are the same).
    #[serde(default)]
    pub version: String,
    /// The measuring side's command.
    pub client: PeerCommand,
    /// The serving side's command.
    pub server: PeerCommand,
}

/// A case and its runs per implementation.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CaseRuns {
    /// The case.
    pub case: Case,
    /// Runs by implementation name.
    pub runs: BTreeMap<String, Vec<Run>>,
    /// Implementations the case applies to that did not run it, and why ([`Case::skip`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub skipped: BTreeMap<String, String>,
}

/// One run of one case by one implementation.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Run {
    /// Which repetition (from 0).
    pub rep: usize,
    /// Its position among the implementations in that repetition (the order rotates).
    pub slot: usize,
    /// The client's `RESULT` object when it reported `"ok": true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// What went wrong otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Wall-clock time of the run, process starts included, seconds.
    pub wall_s: f64,
    /// CPU seconds (user + system) the client process used, start to exit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_client_s: Option<f64>,
    /// CPU seconds the server process used, start to the client's exit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_server_s: Option<f64>,
}

/// Whether larger values of a metric are better.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    /// Throughput, rates.
    Higher,
    /// Latency, memory.
    Lower,
}

/// One figure read from a case's runs.
#[derive(Clone, Debug)]
pub struct Metric {
    /// Id, e.g. `bulk-1MiB-x64` or `latency-idle-p99`.
    pub id: String,
    /// The case it comes from.
    pub case: String,
    /// Title for the tables.
    pub title: String,
    /// Unit of the values.
    pub unit: &'static str,
    /// Direction.
    pub better: Better,
    field: Field,
}

#[derive(Clone, Copy, Debug)]
enum Field {
    MibPerSec,
    OpsPerSec,
    P50,
    P99,
    BytesPerStream,
    Refused,
    LastEchoMs,
    BytesPerSession,
    CpuMsPerIdleSec,
}

/// A min–max spread above this (largest ÷ smallest value of one implementation's runs) marks
/// a figure as unsteady: the report flags it and judges no target on it. Run-to-run noise of
/// a quiet machine stays well below it; a run disturbed by another job does not.
pub const SPREAD_BOUND: f64 = 1.5;

impl Metric {
    /// The metrics a case yields.
    pub fn of(case: &Case) -> Vec<Metric> {
        let m = |suffix: &str, title: String, unit, better, field| Metric {
            id: format!("{}{suffix}", case.id),
            case: case.id.clone(),
            title,
            unit,
            better,
            field,
        };
        match case.kind {
            Kind::Bulk => vec![m(
                "",
                format!(
                    "bulk {} per stream × {} stream{}",
                    size_label(case.size),
                    case.streams,
                    if case.streams == 1 { "" } else { "s" }
                ),
                "MiB/s",
                Better::Higher,
                Field::MibPerSec,
            )],
            Kind::Rate => vec![m(
                "",
                if case.streams == 1 {
                    "open + echo 64 B + close, sequential".to_string()
                } else {
                    format!("open + echo 64 B + close, {} in flight", case.streams)
                },
                "streams/s",
                Better::Higher,
                Field::OpsPerSec,
            )],
            Kind::Latency => {
                let load = if case.loaded { "loaded" } else { "idle" };
                vec![
                    m(
                        "-p50",
                        format!("round trip 64 B, {load} session, p50"),
                        "µs",
                        Better::Lower,
                        Field::P50,
                    ),
                    m(
                        "-p99",
                        format!("round trip 64 B, {load} session, p99"),
                        "µs",
                        Better::Lower,
                        Field::P99,
                    ),
                ]
            }
            Kind::Memory => vec![m(
                "",
                format!("server memory per idle stream ({} streams)", case.streams),
                "B/stream",
                Better::Lower,
                Field::BytesPerStream,
            )],
            Kind::Burst => vec![
                m(
                    "-refused",
                    format!(
                        "streams refused of {} opened at once, default accept backlog",
                        case.streams
                    ),
                    "streams",
                    Better::Lower,
                    Field::Refused,
                ),
                m(
                    "-ms",
                    format!(
                        "time to the last echo of {} streams opened at once",
                        case.streams
                    ),
                    "ms",
                    Better::Lower,
                    Field::LastEchoMs,
                ),
            ],
            Kind::SessionsIdle => vec![
                m(
                    "-mem",
                    format!(
                        "server memory per idle session ({} sessions, heartbeat on)",
                        case.sessions
                    ),
                    "B/session",
                    Better::Lower,
                    Field::BytesPerSession,
                ),
                m(
                    "-cpu",
                    format!(
                        "server CPU per second of idle ({} sessions, heartbeat on)",
                        case.sessions
                    ),
                    "ms/s",
                    Better::Lower,
                    Field::CpuMsPerIdleSec,
                ),
            ],
            Kind::SessionsActive => vec![m(
                "",
                format!(
                    "open + echo 64 B + close, one at a time on each of {} sessions",
                    case.sessions
                ),
                "streams/s",
                Better::Higher,
                Field::OpsPerSec,
            )],
        }
    }

    /// Whether every sane run gives a positive figure: memory may shrink between two readings
    /// (a collector ran), a burst may refuse nothing, an idle process may use no CPU.
    pub fn must_be_positive(&self) -> bool {
        matches!(
            self.field,
            Field::MibPerSec | Field::OpsPerSec | Field::P50 | Field::P99 | Field::LastEchoMs
        )
    }

    /// The figure of one successful run.
    pub fn value(&self, result: &Value) -> Option<f64> {
        let f = |key: &str| result.get(key).and_then(Value::as_f64);
        let v = match self.field {
            Field::MibPerSec => f("bytes")? / f("secs")? / f64::from(1 << 20),
            Field::OpsPerSec => f("ops")? / f("secs")?,
            Field::P50 => f("p50_us")?,
            Field::P99 => f("p99_us")?,
            Field::BytesPerStream => (f("rss_after")? - f("rss_before")?) / f("streams")?,
            Field::Refused => f("refused")?,
            Field::LastEchoMs => f("last_echo_secs")? * 1e3,
            Field::BytesPerSession => (f("rss_after")? - f("rss_before")?) / f("sessions")?,
            Field::CpuMsPerIdleSec => f("cpu_idle_us")? / 1e3 / f("idle_secs")?,
        };
        v.is_finite().then_some(v)
    }
}

/// Median, range and counts of one metric for one implementation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    /// The median of the successful runs (mean of the middle two for an even count).
    pub median: f64,
    /// The smallest value.
    pub min: f64,
    /// The largest value.
    pub max: f64,
    /// Successful runs.
    pub ok: usize,
    /// Failed runs.
    pub failed: usize,
}

impl Summary {
    /// The summary of the successful runs' `values` and a count of failed runs; NaN figures
    /// when no run succeeded.
    pub fn of(values: &mut [f64], failed: usize) -> Summary {
        if values.is_empty() {
            return Summary {
                median: f64::NAN,
                min: f64::NAN,
                max: f64::NAN,
                ok: 0,
                failed,
            };
        }
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        Summary {
            median: median(values),
            min,
            max,
            ok: values.len(),
            failed,
        }
    }

    /// Largest ÷ smallest value, when both are positive.
    pub fn spread(&self) -> Option<f64> {
        (self.min > 0.0 && self.max.is_finite()).then(|| self.max / self.min)
    }

    /// Whether the spread exceeds [`SPREAD_BOUND`]: too unsteady to judge on.
    pub fn unsteady(&self) -> bool {
        self.spread().is_some_and(|s| s > SPREAD_BOUND)
    }
}

/// The median of `values` (which must not be empty).
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

impl Results {
    /// Every metric of every case, in run order.
    pub fn metrics(&self) -> Vec<Metric> {
        self.cases
            .iter()
            .flat_map(|c| Metric::of(&c.case))
            .collect()
    }

    /// The summary of a metric for an implementation; `None` when it did not run the case.
    pub fn summary(&self, metric: &Metric, implementation: &str) -> Option<Summary> {
        let case = self.cases.iter().find(|c| c.case.id == metric.case)?;
        let runs = case.runs.get(implementation)?;
        let mut values: Vec<f64> = runs
            .iter()
            .filter_map(|r| r.result.as_ref().and_then(|v| metric.value(v)))
            .collect();
        let failed = runs.len() - values.len();
        Some(Summary::of(&mut values, failed))
    }

    /// An implementation's median divided by the reference's, when both are known.
    pub fn ratio(&self, metric: &Metric, implementation: &str) -> Option<f64> {
        let mine = self.summary(metric, implementation)?.median;
        let reference = self.summary(metric, REFERENCE)?.median;
        let ratio = mine / reference;
        ratio.is_finite().then_some(ratio)
    }

    /// `who`'s figure of `metric` divided by `other`'s figure of `other_metric`, repetition by
    /// repetition, summarised: the ratio a target judges. The two runs of one repetition ran in
    /// the same rotation, seconds apart, so a change of the machine's state between repetitions
    /// (an idle virtual machine's round trip moves by half from one minute to the next) moves
    /// both and cancels; a ratio of two medians taken over the whole case would keep it.
    /// `failed` counts the repetitions where either run gave no figure, or one that is not
    /// positive (no ratio to a zero: an idle process that used no CPU, a burst with nothing
    /// refused). `None` when either did not run the case.
    pub fn paired(
        &self,
        (metric, who): (&Metric, &str),
        (other_metric, other): (&Metric, &str),
    ) -> Option<Summary> {
        let figures = |m: &Metric, name: &str| -> Option<BTreeMap<usize, Option<f64>>> {
            let case = self.cases.iter().find(|c| c.case.id == m.case)?;
            Some(
                case.runs
                    .get(name)?
                    .iter()
                    .map(|r| (r.rep, r.result.as_ref().and_then(|v| m.value(v))))
                    .collect(),
            )
        };
        let (mine, theirs) = (figures(metric, who)?, figures(other_metric, other)?);
        let mut ratios = Vec::new();
        let mut failed = 0;
        for (rep, a) in &mine {
            let Some(b) = theirs.get(rep) else { continue };
            match (a, b) {
                (Some(a), Some(b)) if *a > 0.0 && *b > 0.0 => ratios.push(a / b),
                _ => failed += 1,
            }
        }
        Some(Summary::of(&mut ratios, failed))
    }

    /// The median CPU seconds (client and server together) of an implementation's successful
    /// runs of a case, when known.
    pub fn cpu_median(&self, case: &str, implementation: &str) -> Option<f64> {
        let case = self.cases.iter().find(|c| c.case.id == case)?;
        let mut values: Vec<f64> = case
            .runs
            .get(implementation)?
            .iter()
            .filter(|r| r.result.is_some())
            .filter_map(|r| Some(r.cpu_client_s? + r.cpu_server_s?))
            .collect();
        (!values.is_empty()).then(|| median(&mut values))
    }

    /// Every failed run: case, implementation, repetition and what went wrong.
    pub fn failures(&self) -> Vec<(String, String, usize, String)> {
        let mut out = Vec::new();
        for case in &self.cases {
            for (name, runs) in &case.runs {
                for run in runs {
                    if let Some(error) = &run.error {
                        out.push((case.case.id.clone(), name.clone(), run.rep, error.clone()));
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// checks: tooling (the benchmark driver, not the protocol)
    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
    }

    /// checks: tooling (the benchmark driver, not the protocol)
    #[test]
    fn metrics_read_the_peer_fields() {
        let case = Mode::Smoke.cases().remove(0);
        let metric = &Metric::of(&case)[0];
        let v = metric
            .value(&json!({"ok": true, "bytes": 2u64 << 20, "secs": 2.0}))
            .unwrap();
        assert_eq!(v, 1.0);
        assert_eq!(metric.value(&json!({"ok": true, "secs": 2.0})), None);
        let memory = Mode::Smoke
            .cases()
            .into_iter()
            .find(|c| c.kind == Kind::Memory)
            .unwrap();
        let m = &Metric::of(&memory)[0];
        let v = m
            .value(&json!({"rss_before": 1000, "rss_after": 3000, "streams": 100}))
            .unwrap();
        assert_eq!(v, 20.0);
    }

    /// checks: tooling (the benchmark driver, not the protocol)
    #[test]
    fn the_new_workloads_read_their_fields() {
        let find = |kind: Kind| {
            Mode::Smoke
                .cases()
                .into_iter()
                .find(|c| c.kind == kind)
                .unwrap()
        };
        let burst = Metric::of(&find(Kind::Burst));
        let result = json!({"ok": true, "refused": 3, "last_echo_secs": 0.25});
        assert_eq!(burst[0].value(&result), Some(3.0));
        assert_eq!(burst[1].value(&result), Some(250.0));
        assert!(!burst[0].must_be_positive() && burst[1].must_be_positive());
        let idle = Metric::of(&find(Kind::SessionsIdle));
        let result = json!({"rss_before": 1000, "rss_after": 5000, "sessions": 4,
            "cpu_idle_us": 20_000, "idle_secs": 2.0});
        assert_eq!(idle[0].value(&result), Some(1000.0));
        assert_eq!(idle[1].value(&result), Some(10.0));
    }

    /// checks: tooling (the benchmark driver, not the protocol)
    #[test]
    fn paired_ratios_cancel_what_moves_both_runs_of_a_repetition() {
        let case = Mode::Full
            .cases()
            .into_iter()
            .find(|c| c.id == "latency-idle")
            .unwrap();
        let run = |rep: usize, p50: Option<f64>| Run {
            rep,
            slot: 0,
            result: p50.map(|x| json!({"p50_us": x, "p99_us": 2.0 * x})),
            error: p50.is_none().then(|| "failed".into()),
            wall_s: 1.0,
            cpu_client_s: None,
            cpu_server_s: None,
        };
        // The machine slows down by 2x after the first repetition: each implementation's own
        // runs spread 2x, the ratio of the two stays 0.9; the repetition the reference failed,
        // and the one where plain TCP measured zero, count as failed, not as ratios.
        let runs = BTreeMap::from([
            (
                "reference".to_string(),
                vec![
                    run(0, Some(45.0)),
                    run(1, Some(90.0)),
                    run(2, Some(90.0)),
                    run(3, None),
                    run(4, Some(9.0)),
                ],
            ),
            (
                "tcp".to_string(),
                vec![
                    run(0, Some(50.0)),
                    run(1, Some(100.0)),
                    run(2, Some(100.0)),
                    run(3, Some(1.0)),
                    run(4, Some(0.0)),
                ],
            ),
        ]);
        let results = Results {
            schema: 1,
            mode: Mode::Full,
            command: String::new(),
            started_utc: String::new(),
            duration_s: 0.0,
            machine: BTreeMap::new(),
            versions: BTreeMap::new(),
            settings: Vec::new(),
            implementations: Vec::new(),
            reps: 4,
            cases: vec![CaseRuns {
                case: case.clone(),
                runs,
                skipped: BTreeMap::new(),
            }],
        };
        let p50 = &Metric::of(&case)[0];
        assert!(results.summary(p50, "reference").unwrap().unsteady());
        let paired = results.paired((p50, "reference"), (p50, "tcp")).unwrap();
        assert_eq!((paired.ok, paired.failed), (3, 2));
        assert!((paired.median - 0.9).abs() < 1e-9 && !paired.unsteady());
        assert!(results.paired((p50, "reference"), (p50, "yamux")).is_none());
    }

    /// checks: tooling (the benchmark driver, not the protocol)
    #[test]
    fn a_wide_spread_is_unsteady() {
        let summary = |min: f64, max: f64| Summary {
            median: min,
            min,
            max,
            ok: 3,
            failed: 0,
        };
        assert!(!summary(100.0, 149.0).unsteady());
        assert!(summary(100.0, 151.0).unsteady());
        assert!(!summary(0.0, 5.0).unsteady(), "no ratio to a zero");
    }
}
