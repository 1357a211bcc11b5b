//! The reference implementation's agent: a reference session in real time behind the two
//! connections of the contract.

use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use muxado_agent_contract::Iut;
use muxado_reference::session::{Config, Role};
use muxado_vectors::session_run::Extensions;
use serde_json::Value;

use super::serve;

enum Event {
    Bytes(Vec<u8>),
    Eof,
    Command(String),
    ControlClosed,
    /// The writer thread has written (or, once the transport failed, dropped) a chunk.
    Written,
}

/// The reference implementation's agent: dials `transport` and `control`, runs a reference
/// session in `role` with `config` in real time, and serves commands until the control
/// connection closes.
pub fn reference_agent(
    transport: SocketAddr,
    control: SocketAddr,
    role: Role,
    config: Config,
    extensions: Extensions,
) -> Result<(), String> {
    let tcp = TcpStream::connect(transport).map_err(|e| format!("dial {transport}: {e}"))?;
    let ctl = TcpStream::connect(control).map_err(|e| format!("dial {control}: {e}"))?;
    reference_agent_on(tcp, ctl, role, config, extensions)
}

/// Reads the transport one chunk at a time: after each chunk it waits for a permit, which the
/// agent gives only while the session wants input, so that a peer that does not read ends up
/// blocked in its own writes (SPEC [LIMIT-6]).
fn spawn_transport_reader(mut tcp: TcpStream, events: mpsc::Sender<Event>) -> mpsc::Sender<()> {
    let (permit, permits) = mpsc::channel::<()>();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match std::io::Read::read(&mut tcp, &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if events.send(Event::Bytes(buf[..n].to_vec())).is_err()
                        || permits.recv().is_err()
                    {
                        return;
                    }
                }
            }
        }
        let _ = events.send(Event::Eof);
    });
    permit
}

/// Writes chunks to the transport in the background, so that the agent keeps taking input
/// while its own output waits for the peer (SPEC [LIMIT-6]); an empty chunk half-closes.
fn spawn_transport_writer(
    mut tcp: TcpStream,
    events: mpsc::Sender<Event>,
) -> mpsc::Sender<Vec<u8>> {
    let (chunks, inbox) = mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let mut open = true;
        for chunk in inbox {
            if chunk.is_empty() {
                let _ = tcp.shutdown(Shutdown::Write);
                open = false;
            } else if open && tcp.write_all(&chunk).is_err() {
                open = false;
            }
            if events.send(Event::Written).is_err() {
                return;
            }
        }
    });
    chunks
}

/// The reference implementation's agent on connections already made: serves commands from
/// `ctl` for a session over `tcp` until `ctl` closes.
///
/// One chunk of output is in flight at a time, and new output is taken from the session only
/// once it is written: while the peer reads nothing, the frames its input provokes pile up in
/// the session, which then stops wanting input, and the agent stops reading (SPEC [LIMIT-6]).
pub fn reference_agent_on(
    tcp: TcpStream,
    ctl: TcpStream,
    role: Role,
    config: Config,
    extensions: Extensions,
) -> Result<(), String> {
    // Test-only: `MUXADO_MUTANT` breaks the reference on purpose ([`crate::mutant`]).
    let mutant = crate::mutant::Mutant::from_env()?;
    // Test-only: `MUXADO_VARIANT` makes other choices SPEC.md allows ([`crate::variant`]).
    let config = crate::variant::Variant::from_env()?.apply(config);
    let _ = tcp.set_nodelay(true);
    let (tx, rx) = mpsc::channel();
    let permit = spawn_transport_reader(tcp.try_clone().map_err(|e| e.to_string())?, tx.clone());
    let writer = spawn_transport_writer(tcp, tx.clone());
    let ctl_in = ctl.try_clone().map_err(|e| e.to_string())?;
    std::thread::spawn(move || {
        for line in BufReader::new(ctl_in).lines() {
            match line {
                Ok(line) => {
                    if tx.send(Event::Command(line)).is_err() {
                        return;
                    }
                }
                Err(_) => break,
            }
        }
        let _ = tx.send(Event::ControlClosed);
    });
    let mut ctl_out = ctl;
    let mut iut = crate::mutant::MutantIut::new(role, config, extensions, mutant);
    let start = Instant::now();
    let mut taken_in = 0u64;
    let mut transport_ended = false;
    let mut permit_owed = false;
    let mut writing = false;
    let mut shut = false;
    let mut pending: std::collections::VecDeque<String> = Default::default();
    let mut replies: Vec<Value> = Vec::new();
    loop {
        let event = rx.recv_timeout(Duration::from_millis(10));
        iut.set_time(start.elapsed());
        match event {
            Ok(Event::Bytes(bytes)) => {
                taken_in += bytes.len() as u64;
                let _ = iut.recv(&bytes);
                permit_owed = true;
            }
            Ok(Event::Eof) => {
                transport_ended = true;
                let _ = iut.recv_eof();
            }
            Ok(Event::Command(line)) => pending.push_back(line),
            Ok(Event::Written) => writing = false,
            Ok(Event::ControlClosed) | Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        while let Some(line) = pending.front() {
            let after = serde_json::from_str::<Value>(line)
                .ok()
                .and_then(|v| v["after"].as_u64())
                .unwrap_or(0);
            let waits = mutant != Some(crate::mutant::Mutant::AfterIgnored);
            if waits && after > taken_in && !transport_ended {
                break;
            }
            let line = pending.pop_front().expect("front");
            replies.push(serve(&mut iut, &line));
        }
        if !writing && !shut {
            let output = iut.sent(&mut |_| true).unwrap_or_default();
            if !output.is_empty() {
                writing = writer.send(output).is_ok();
            } else if iut.finished() {
                shut = true;
                writing = writer.send(Vec::new()).is_ok();
            }
        }
        // Every frame the commands made the session send is written before the answers.
        if !writing {
            for reply in replies.drain(..) {
                if writeln!(ctl_out, "{reply}").is_err() {
                    return Ok(());
                }
            }
        }
        // An ended session takes no input, but the rest of the input still counts towards
        // the commands' `after`: read on, to the end.
        if permit_owed && (iut.wants_input() || iut.ended()) {
            permit_owed = permit.send(()).is_err();
        }
    }
    Ok(())
}
