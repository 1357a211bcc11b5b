//! Runs the plan: for each case, repetition after repetition, every implementation once, in
//! an order that rotates with the repetition, so that a slow drift of the machine (thermal,
//! another job) is spread over all implementations instead of hitting the last ones.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::plan::{Case, Pair, PeerCommand};
use crate::report::num;
use crate::results::{CaseRuns, Metric, Run};

/// How long a server may take to announce its address.
const LISTEN_TIMEOUT: Duration = Duration::from_secs(15);

/// A child process that is killed (and reaped) when dropped: no peer outlives its run.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Where the peers' stderr goes, so a failure can quote its end.
struct Logs {
    server: PathBuf,
    client: PathBuf,
}

impl Logs {
    fn new() -> std::io::Result<Logs> {
        let dir = std::env::temp_dir().join(format!("muxado-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(Logs {
            server: dir.join("server.stderr"),
            client: dir.join("client.stderr"),
        })
    }

    /// The last lines of both logs, for an error message.
    fn tails(&self) -> String {
        let tail = |path: &Path| -> String {
            let mut text = String::new();
            if let Ok(mut f) = File::open(path) {
                let len = f.metadata().map(|m| m.len()).unwrap_or(0);
                let _ = f.seek(SeekFrom::Start(len.saturating_sub(600)));
                let _ = f.read_to_string(&mut text);
            }
            text.trim().replace('\n', " | ")
        };
        let (s, c) = (tail(&self.server), tail(&self.client));
        let mut out = String::new();
        if !s.is_empty() {
            out.push_str(&format!(" [server stderr: {s}]"));
        }
        if !c.is_empty() {
            out.push_str(&format!(" [client stderr: {c}]"));
        }
        out
    }
}

/// Starts `command side args...` with stdout piped line by line into a channel.
fn spawn(
    command: &PeerCommand,
    side_args: &[String],
    log: &Path,
) -> Result<(Reaped, mpsc::Receiver<String>), String> {
    let stderr = File::create(log).map_err(|e| format!("creating {}: {e}", log.display()))?;
    let mut child = Command::new(&command.program)
        .args(&command.args)
        .args(side_args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", command.program.display()))?;
    let stdout = child.stdout.take().expect("piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    Ok((Reaped(child), rx))
}

/// Waits for a line starting with `prefix` and returns the rest.
fn expect_line(
    rx: &mpsc::Receiver<String>,
    prefix: &str,
    until: Instant,
) -> Result<String, String> {
    loop {
        let left = until.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                if let Some(rest) = line.strip_prefix(prefix) {
                    return Ok(rest.trim().to_string());
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                return Err(format!("no {prefix}line in time"));
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(format!("exited without a {prefix}line"));
            }
        }
    }
}

/// Clock ticks per second of `/proc/PID/stat` times (`getconf CLK_TCK`; 100 on Linux).
fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .filter(|t: &f64| *t > 0.0)
        .unwrap_or(100.0)
}

/// The CPU time (user + system, every thread) a process has used, in seconds, and its state
/// letter, from `/proc/PID/stat`. An exited process not yet reaped (a zombie, `Z`) still
/// reports its totals.
fn cpu_seconds(pid: u32, ticks: f64) -> Option<(f64, char)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces; the fields after its `)` start at field 3.
    let fields: Vec<&str> = stat[stat.rfind(')')? + 1..].split_whitespace().collect();
    let state = fields.first()?.chars().next()?;
    let utime: f64 = fields.get(11)?.parse().ok()?; // field 14
    let stime: f64 = fields.get(12)?.parse().ok()?; // field 15
    Some(((utime + stime) / ticks, state))
}

/// The soft limit on open files this process (and so its children) has, from
/// `/proc/self/limits`; `None` when unknown or unlimited.
fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// What a successful run gives: the client's result and both processes' CPU seconds.
struct Outcome {
    result: Value,
    cpu_client: Option<f64>,
    cpu_server: Option<f64>,
}

/// One run: a fresh server and a fresh client, the client's result.
fn run_once(
    client: &PeerCommand,
    server: &PeerCommand,
    case: &Case,
    logs: &Logs,
    ticks: f64,
) -> Result<Outcome, String> {
    let needed = case.descriptors() as u64;
    if let Some(soft) = open_files_limit().filter(|&soft| soft < needed) {
        return Err(format!(
            "needs {needed} file descriptors per peer, the soft limit is {soft}: raise it \
             (`ulimit -n`; ci/bench raises it to the hard limit)"
        ));
    }
    let mut server_args = vec!["server".into(), "--listen".into(), "127.0.0.1:0".into()];
    server_args.extend(case.server_args());
    let (server_process, server_out) = spawn(server, &server_args, &logs.server)?;
    let addr = expect_line(&server_out, "LISTENING ", Instant::now() + LISTEN_TIMEOUT)
        .map_err(|e| format!("server: {e}"))?;
    let mut args = vec!["client".to_string(), "--connect".into(), addr];
    args.extend(case.args());
    let (client, client_out) = spawn(client, &args, &logs.client)?;
    let line = expect_line(&client_out, "RESULT ", Instant::now() + case.timeout())
        .map_err(|e| format!("client: {e}"))?;
    let value: Value =
        serde_json::from_str(&line).map_err(|e| format!("client: bad RESULT {line:?}: {e}"))?;
    let cpu_server = cpu_seconds(server_process.0.id(), ticks).map(|(cpu, _)| cpu);
    // The client ends its session after reporting: give it a moment to exit on its own, and
    // read its CPU time once it has (before it is reaped, when the drop of `client` waits).
    let until = Instant::now() + Duration::from_secs(5);
    let mut cpu_client = None;
    while Instant::now() < until {
        match cpu_seconds(client.0.id(), ticks) {
            Some((cpu, 'Z')) => {
                cpu_client = Some(cpu);
                break;
            }
            Some(_) => {}
            None => break,
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    if value.get("ok").and_then(Value::as_bool) == Some(true) {
        Ok(Outcome {
            result: value,
            cpu_client,
            cpu_server,
        })
    } else {
        let error = value
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("not ok");
        Err(format!("client: {error}"))
    }
}

/// Runs every case of the plan; `progress` tells what is going on, on stderr.
pub fn run_plan(
    cases: &[Case],
    pairs: &[Pair],
    reps: usize,
    this: &Path,
    bin_dir: &Path,
) -> std::io::Result<Vec<CaseRuns>> {
    let logs = Logs::new()?;
    let ticks = clock_ticks();
    let total: usize = cases
        .iter()
        .map(|c| pairs.iter().filter(|p| c.measures(p)).count() * c.reps(reps))
        .sum();
    let mut done = 0;
    let mut out = Vec::new();
    for case in cases {
        let applicable: Vec<&Pair> = pairs.iter().filter(|p| case.measures(p)).collect();
        let skipped = pairs
            .iter()
            .filter(|p| case.applies_to(p))
            .filter_map(|p| Some((p.name.to_string(), case.skip(p)?.to_string())))
            .collect();
        let metrics = Metric::of(case);
        let mut runs: BTreeMap<String, Vec<Run>> = BTreeMap::new();
        for rep in 0..case.reps(reps) {
            for slot in 0..applicable.len() {
                let pair = applicable[(slot + rep) % applicable.len()];
                let client = pair.client.command(this, bin_dir);
                let server = pair.server.command(this, bin_dir);
                let started = Instant::now();
                let outcome = run_once(&client, &server, case, &logs, ticks);
                let wall_s = started.elapsed().as_secs_f64();
                done += 1;
                let shown = match &outcome {
                    Ok(o) => metrics
                        .iter()
                        .filter_map(|m| {
                            m.value(&o.result).map(|x| format!("{} {}", num(x), m.unit))
                        })
                        .collect::<Vec<_>>()
                        .join(", "),
                    Err(e) => format!("FAILED: {e}"),
                };
                eprintln!(
                    "[{done}/{total}] {} rep {} {}: {shown}",
                    case.id,
                    rep + 1,
                    pair.name
                );
                let run = match outcome {
                    Ok(o) => Run {
                        rep,
                        slot,
                        result: Some(o.result),
                        error: None,
                        wall_s,
                        cpu_client_s: o.cpu_client,
                        cpu_server_s: o.cpu_server,
                    },
                    Err(e) => Run {
                        rep,
                        slot,
                        result: None,
                        error: Some(format!("{e}{}", logs.tails())),
                        wall_s,
                        cpu_client_s: None,
                        cpu_server_s: None,
                    },
                };
                runs.entry(pair.name.to_string()).or_default().push(run);
            }
        }
        out.push(CaseRuns {
            case: case.clone(),
            runs,
            skipped,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// checks: tooling (the benchmark driver, not the protocol)
    #[test]
    fn an_exited_child_reports_its_cpu_time_until_reaped() {
        let ticks = clock_ticks();
        let (cpu, state) = cpu_seconds(std::process::id(), ticks).expect("on Linux");
        assert!(cpu >= 0.0 && state != 'Z');
        let mut child = Command::new("sh").args(["-c", "exit 0"]).spawn().unwrap();
        let until = Instant::now() + Duration::from_secs(5);
        let mut seen = None;
        while Instant::now() < until && seen.is_none() {
            seen = cpu_seconds(child.id(), ticks).filter(|(_, s)| *s == 'Z');
            std::thread::sleep(Duration::from_millis(2));
        }
        child.wait().unwrap();
        let (cpu, _) = seen.expect("the exited child stays readable as a zombie");
        assert!(cpu >= 0.0);
    }

    /// checks: tooling (the benchmark driver, not the protocol)
    #[test]
    fn the_open_files_limit_is_read() {
        if cfg!(target_os = "linux") {
            assert!(open_files_limit().is_some_and(|n| n >= 16));
        }
    }
}
