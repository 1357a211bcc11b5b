//! Two sessions over loopback TCP with the heartbeat extension: prints each round-trip time.
//!
//! ```sh
//! cargo run -p muxado-reference --example heartbeat -- 5   # five beats, 200 ms apart
//! ```

use std::time::Duration;

use muxado_reference::{Config, Role};
use muxado_reference::{Heartbeat, HeartbeatConfig, HeartbeatEvent, Session};
use tokio::net::{TcpListener, TcpStream};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // RUST_LOG=muxado::frame=debug prints every frame sent and received.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let beats: usize = std::env::args()
        .nth(1)
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(5);
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let (dialed, accepted) = tokio::join!(
        TcpStream::connect(listener.local_addr()?),
        listener.accept()
    );
    let client = Session::from_tcp(dialed?, Role::Client, Config::default());
    let server = Session::from_tcp(accepted?.0, Role::Server, Config::default());

    let config = HeartbeatConfig::default().with_interval(Duration::from_millis(200));
    // The server answers heartbeats while it accepts its (typed) streams.
    let responder = Heartbeat::start(server, config.clone(), |_| {});
    tokio::spawn(async move { while responder.accept_typed().await.is_ok() {} });

    let (events, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let heartbeat = Heartbeat::start(client, config, move |event| {
        let _ = events.send(event);
    });
    for n in 1..=beats {
        match rx.recv().await {
            Some(HeartbeatEvent::Rtt(rtt)) => println!("beat {n}: rtt {rtt:?}"),
            Some(HeartbeatEvent::Timeout) => println!("beat {n}: no answer within the tolerance"),
            None => break,
        }
    }
    if let Some(rtt) = heartbeat.beat().await {
        println!("on-demand beat: rtt {rtt:?}");
    }
    Ok(())
}
