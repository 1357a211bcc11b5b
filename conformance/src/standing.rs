//! Standing agents (SPEC.md [AGENT-7]): an agent started once for a whole run, which the suite
//! reaches per case (`--target HOST:PORT`) or which reaches the suite per case (`--listen
//! ADDR`), told what to play by a `hello` line on the control connection.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use muxado_reference::session::{Config, Role};
use muxado_vectors::session_run::Extensions;
use serde_json::{Value, json};

use crate::agent::reference_agent_on;

/// What the suite tells a standing agent about a case.
#[derive(Clone, Debug)]
pub struct Hello {
    /// The case id.
    pub case: String,
    /// The muxado role to play.
    pub role: Role,
    /// The configuration, as in `MUXADO_CONFIG`.
    pub config: Value,
    /// Where to dial the session's transport.
    pub transport: SocketAddr,
}

impl Hello {
    /// The `hello` line.
    pub fn to_json(&self) -> Value {
        json!({"hello": {
            "case": self.case,
            "role": if self.role == Role::Client { "client" } else { "server" },
            "config": self.config,
            "transport": self.transport.to_string(),
        }})
    }

    /// Parses a `hello` line.
    pub fn parse(line: &str) -> Result<Hello, String> {
        let v: Value = serde_json::from_str(line).map_err(|e| format!("bad hello: {e}"))?;
        let h = &v["hello"];
        Ok(Hello {
            case: h["case"].as_str().unwrap_or("").to_string(),
            role: match h["role"].as_str() {
                Some("client") => Role::Client,
                Some("server") => Role::Server,
                other => return Err(format!("bad role {other:?}")),
            },
            config: h["config"].clone(),
            transport: h["transport"]
                .as_str()
                .unwrap_or("")
                .parse()
                .map_err(|e| format!("bad transport address: {e}"))?,
        })
    }
}

/// The extensions of SPEC section 10 a `MUXADO_CONFIG` object turns on ([AGENT-1]).
pub fn extensions_from_json(json: &Value) -> Extensions {
    Extensions {
        typed_streams: json["typed_streams"] == true,
        heartbeat: json["heartbeat"] == true,
    }
}

/// The reference configuration described by a `MUXADO_CONFIG` object (absent or `null`
/// fields keep the defaults).
pub fn config_from_json(json: &Value) -> Config {
    let mut config = Config::default();
    if let Some(v) = json["max_window_size"].as_u64() {
        config.max_window_size = v as u32;
    }
    if let Some(v) = json["accept_backlog"].as_u64() {
        config.accept_backlog = v as usize;
    }
    if let Some(v) = json["max_streams"].as_u64() {
        config.max_streams = v as usize;
    }
    if let Some(v) = json["max_goaway_debug"].as_u64() {
        config.max_goaway_debug = v as usize;
    }
    if let Some(ms) = json["read_timeout_ms"].as_u64() {
        config.read_timeout = Some(std::time::Duration::from_millis(ms));
    }
    config
}

/// Reads one line byte by byte, so that nothing after it is taken from the stream.
pub fn read_line(stream: &mut TcpStream) -> Result<String, String> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        match stream.read(&mut byte) {
            Ok(0) => return Err("the connection closed".into()),
            Ok(_) if byte[0] == b'\n' => break,
            Ok(_) => line.push(byte[0]),
            Err(e) => return Err(e.to_string()),
        }
    }
    String::from_utf8(line).map_err(|e| e.to_string())
}

/// The suite's side: sends `hello` and reads the answer; `Ok(None)` when the agent can play
/// the case, `Ok(Some(why))` when it answered `unsupported`.
pub fn greet(control: &mut TcpStream, hello: &Hello) -> Result<Option<String>, String> {
    writeln!(control, "{}", hello.to_json()).map_err(|e| format!("hello: {e}"))?;
    let answer: Value = serde_json::from_str(&read_line(control)?)
        .map_err(|e| format!("bad answer to hello: {e}"))?;
    if let Some(why) = answer.get("unsupported") {
        return Ok(Some(why.as_str().unwrap_or("").to_string()));
    }
    if answer.get("ok").is_none() {
        return Err(format!("bad answer to hello: {answer}"));
    }
    Ok(None)
}

/// The reference agent's side of one case on a control connection: reads `hello`, dials the
/// transport, serves the commands.
pub fn serve_case(mut control: TcpStream) -> Result<(), String> {
    let hello = Hello::parse(&read_line(&mut control)?)?;
    writeln!(control, "{}", json!({"ok": {}})).map_err(|e| e.to_string())?;
    let transport = TcpStream::connect(hello.transport)
        .map_err(|e| format!("dial {}: {e}", hello.transport))?;
    reference_agent_on(
        transport,
        control,
        hello.role,
        config_from_json(&hello.config),
        extensions_from_json(&hello.config),
    )
}

/// `conformance agent --serve ADDR`: listens and serves every control connection, each case
/// on its own thread.
pub fn serve(listen: &str) -> Result<(), String> {
    let listener = TcpListener::bind(listen).map_err(|e| format!("listen {listen}: {e}"))?;
    println!(
        "LISTENING {}",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    for control in listener.incoming() {
        let control = control.map_err(|e| e.to_string())?;
        std::thread::spawn(move || {
            if let Err(e) = serve_case(control) {
                eprintln!("conformance agent: {e}");
            }
        });
    }
    Ok(())
}

/// `conformance agent --connect ADDR`: `parallel` loops that each dial ADDR, play the case the
/// suite names, and dial again, until the suite stops listening.
pub fn connect(addr: SocketAddr, parallel: usize) -> Result<(), String> {
    let loops: Vec<_> = (0..parallel.max(1))
        .map(|_| {
            std::thread::spawn(move || {
                let mut refused = 0;
                while refused < 50 {
                    match TcpStream::connect(addr) {
                        Ok(control) => {
                            refused = 0;
                            if let Err(e) = serve_case(control) {
                                eprintln!("conformance agent: {e}");
                            }
                        }
                        Err(_) => {
                            refused += 1;
                            std::thread::sleep(Duration::from_millis(100));
                        }
                    }
                }
            })
        })
        .collect();
    for handle in loops {
        let _ = handle.join();
    }
    Ok(())
}
