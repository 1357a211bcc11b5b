//! Peers: programs that follow the peer contract of `interop/SCENARIOS.md`, started by a shell
//! command (from the registry, `interop/peers.toml`, or `--peer-cmd`).

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

use crate::Role;
use crate::registry::{Deviation, ReplayNote};
use crate::scenario::{Outcome, Params, settings};
use muxado_testkit::scenario::{LISTENING_PREFIX, RESULT_PREFIX, Status};

/// An implementation playing the peer contract: the command that starts it, and what SPEC
/// interop notes explain of it.
#[derive(Clone, Debug)]
pub struct Peer {
    /// Its name in reports: `reference`, `go-2016`, `go-v2.0.1`, `go-v2.0.2`, `ngrok-rust`, or
    /// the name given to `--peer-cmd`.
    pub name: String,
    /// The muxado implementation it runs.
    pub implementation: String,
    /// That implementation's version.
    pub version: String,
    /// A shell command (`sh -c`); the contract's arguments are appended to it.
    pub command: String,
    /// Its failures that SPEC interop notes explain.
    pub deviations: Vec<Deviation>,
    /// Its replay differences that SPEC interop notes explain.
    pub replay: Vec<ReplayNote>,
}

/// Where a peer's transport comes from.
pub enum Endpoint {
    /// It listens on an ephemeral port of 127.0.0.1 and says which.
    Listen,
    /// It dials this address.
    Dial(std::net::SocketAddr),
}

/// A peer process running one scenario side.
pub struct Running {
    child: Child,
    /// The process group the command runs in (its shell's pid), stopped with it.
    group: Option<u32>,
    lines: mpsc::UnboundedReceiver<String>,
    stderr: mpsc::UnboundedReceiver<String>,
    /// How long [`Running::outcome`] waits before it kills the peer.
    limit: Duration,
}

impl Peer {
    /// The deviation, if any, that explains this peer's failure playing `role` in `scenario`
    /// against `counterpart`.
    pub fn deviation(&self, scenario: &str, role: Role, counterpart: &str) -> Option<&Deviation> {
        self.deviations
            .iter()
            .find(|d| d.applies(scenario, role, counterpart))
    }

    /// Starts the peer on one side of a scenario, with the default [`Params`].
    pub fn start(
        &self,
        scenario: &str,
        role: Role,
        endpoint: Endpoint,
    ) -> std::io::Result<Running> {
        self.start_with(scenario, role, endpoint, &Params::default())
    }

    /// Starts the peer on one side of a scenario, passing `params` (`--soak-secs` and
    /// `--seed`, for `soak` only).
    pub fn start_with(
        &self,
        scenario: &str,
        role: Role,
        endpoint: Endpoint,
        params: &Params,
    ) -> std::io::Result<Running> {
        // `sh -c 'COMMAND "$@"' sh ARGS...`: the contract's arguments follow the command.
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(format!("{} \"$@\"", self.command))
            .arg("sh");
        // Its own process group, so that stopping it stops what the command started.
        command.process_group(0);
        command.args([
            "--scenario",
            scenario,
            "--role",
            if role == Role::Client {
                "client"
            } else {
                "server"
            },
        ]);
        match endpoint {
            Endpoint::Listen => command.args(["--listen", "127.0.0.1:0"]),
            Endpoint::Dial(addr) => command.args(["--dial", &addr.to_string()]),
        };
        let (window, backlog) = settings(scenario, role);
        if let Some(window) = window {
            command.args(["--window", &window.to_string()]);
        }
        if let Some(backlog) = backlog {
            command.args(["--backlog", &backlog.to_string()]);
        }
        command.args(params.args(scenario));
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn()?;
        let group = child.id();
        let (tx, lines) = mpsc::unbounded_channel();
        let stdout = child.stdout.take().expect("piped");
        tokio::spawn(async move {
            let mut reader = BufReader::new(stdout).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                let _ = tx.send(line);
            }
        });
        let (tx, stderr) = mpsc::unbounded_channel();
        let err = child.stderr.take().expect("piped");
        tokio::spawn(async move {
            let mut reader = BufReader::new(err).lines();
            while let Ok(Some(line)) = reader.next_line().await {
                let _ = tx.send(line);
            }
        });
        Ok(Running {
            child,
            group,
            lines,
            stderr,
            limit: Duration::from_secs(40) + params.extra_time(scenario),
        })
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // A command that is still running (not `exec`ed programs only) leaves nothing behind.
        if matches!(self.child.try_wait(), Ok(None)) {
            self.stop_group();
        }
    }
}

impl Running {
    /// Kills the command's process group.
    fn stop_group(&mut self) {
        if let Some(group) = self.group.take() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{group}")])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }

    /// The address a listening peer announced.
    pub async fn listening(&mut self) -> Result<std::net::SocketAddr, String> {
        let wait = async {
            while let Some(line) = self.lines.recv().await {
                if let Some(addr) = line.strip_prefix(LISTENING_PREFIX) {
                    return addr
                        .trim()
                        .parse()
                        .map_err(|e| format!("bad LISTENING line {line:?}: {e}"));
                }
            }
            Err("the peer exited before listening".to_string())
        };
        tokio::time::timeout(Duration::from_secs(20), wait)
            .await
            .map_err(|_| "no LISTENING line in 20 s".to_string())?
    }

    /// Waits for the peer's RESULT line and exit (at most 40 s, plus a soak's duration, from
    /// now; then it is killed and the outcome is a failure).
    pub async fn outcome(mut self) -> Outcome {
        let limit = self.limit;
        let wait = async {
            let mut result = None;
            while let Some(line) = self.lines.recv().await {
                if let Some(json) = line.strip_prefix(RESULT_PREFIX) {
                    result = Some(json.to_string());
                }
            }
            let status = self.child.wait().await.ok().and_then(|s| s.code());
            (result, status)
        };
        let (result, status) = match tokio::time::timeout(limit, wait).await {
            Ok(done) => done,
            Err(_) => {
                self.stop_group();
                let _ = self.child.kill().await;
                return Outcome {
                    ok: false,
                    unsupported: false,
                    detail: format!("peer timed out ({} s), killed", limit.as_secs()),
                    observed: Value::Null,
                };
            }
        };
        let mut stderr = Vec::new();
        while let Ok(line) = self.stderr.try_recv() {
            stderr.push(line);
        }
        let parsed: Option<Value> = result.as_deref().and_then(|r| serde_json::from_str(r).ok());
        let detail = parsed
            .as_ref()
            .and_then(|v| v["detail"].as_str())
            .unwrap_or_default()
            .to_string();
        let detail = if detail.is_empty() && !stderr.is_empty() {
            stderr.join(" | ")
        } else {
            detail
        };
        Outcome {
            ok: Status::from_exit_code(status) == Some(Status::Ok)
                && parsed
                    .as_ref()
                    .is_some_and(|v| v["ok"] == Value::Bool(true)),
            unsupported: Status::from_exit_code(status) == Some(Status::Unsupported),
            detail: if parsed.is_none() {
                format!("no RESULT line (exit {status:?}): {detail}")
            } else {
                detail
            },
            observed: parsed.map(|v| v["observed"].clone()).unwrap_or(Value::Null),
        }
    }
}
