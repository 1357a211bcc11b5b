//! Foreign peers: programs that follow the peer contract of `interop/SCENARIOS.md`.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

use crate::Role;
use crate::scenario::{Outcome, Params, settings};

/// A foreign implementation: a program and the arguments that choose it.
#[derive(Clone, Debug)]
pub struct ForeignPeer {
    /// Its name in reports: `go-2016`, `go-v2.0.1`, `go-v2.0.2`, `ngrok-rust`.
    pub name: String,
    /// The program.
    pub program: PathBuf,
    /// Arguments before the scenario's (e.g. `--impl 2016`).
    pub args: Vec<String>,
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
    lines: mpsc::UnboundedReceiver<String>,
    stderr: mpsc::UnboundedReceiver<String>,
    /// How long [`Running::outcome`] waits before it kills the peer.
    limit: Duration,
}

impl ForeignPeer {
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
        let mut command = Command::new(&self.program);
        command.args(&self.args);
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
            lines,
            stderr,
            limit: Duration::from_secs(40) + params.extra_time(scenario),
        })
    }
}

impl Running {
    /// The address a listening peer announced.
    pub async fn listening(&mut self) -> Result<std::net::SocketAddr, String> {
        let wait = async {
            while let Some(line) = self.lines.recv().await {
                if let Some(addr) = line.strip_prefix("LISTENING ") {
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
                if let Some(json) = line.strip_prefix("RESULT ") {
                    result = Some(json.to_string());
                }
            }
            let status = self.child.wait().await.ok().and_then(|s| s.code());
            (result, status)
        };
        let (result, status) = match tokio::time::timeout(limit, wait).await {
            Ok(done) => done,
            Err(_) => {
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
            ok: status == Some(0)
                && parsed
                    .as_ref()
                    .is_some_and(|v| v["ok"] == Value::Bool(true)),
            unsupported: status == Some(3),
            detail: if parsed.is_none() {
                format!("no RESULT line (exit {status:?}): {detail}")
            } else {
                detail
            },
            observed: parsed.map(|v| v["observed"].clone()).unwrap_or(Value::Null),
        }
    }
}
