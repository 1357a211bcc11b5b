//! Rust-to-Rust figures over loopback TCP: bulk throughput on one stream and on 64 concurrent
//! streams, and streams opened + echoed (64 bytes) + closed per second. Not a test: a quick
//! measurement (`ci/bench` will compare implementations side by side).
//!
//! ```sh
//! cargo run --release -p muxado-reference --example throughput
//! ```

use std::time::Instant;

use muxado_reference::Session;
use muxado_reference::{Config, Role};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn tcp_pair() -> (Session, Session) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (dialed, accepted) = tokio::join!(
        TcpStream::connect(listener.local_addr().unwrap()),
        listener.accept()
    );
    let config = Config::default().with_accept_backlog(1024);
    (
        Session::from_tcp(dialed.unwrap(), Role::Client, config.clone()),
        Session::from_tcp(accepted.unwrap().0, Role::Server, config),
    )
}

/// Server side: every stream is drained (bulk) or echoed (small requests).
fn serve(server: Session, echo: bool) {
    tokio::spawn(async move {
        while let Ok(mut stream) = server.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) if echo => {
                            if stream.write_all(&buf[..n]).await.is_err() {
                                break;
                            }
                        }
                        Ok(_) => {}
                    }
                }
                let _ = stream.shutdown().await;
            });
        }
    });
}

async fn bulk(streams: usize, bytes_each: usize) -> f64 {
    let (client, server) = tcp_pair().await;
    serve(server, false);
    let start = Instant::now();
    let tasks: Vec<_> = (0..streams)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                let mut stream = client.open().unwrap();
                let chunk = vec![0x5Au8; 256 * 1024];
                let mut left = bytes_each;
                while left > 0 {
                    let n = left.min(chunk.len());
                    stream.write_all(&chunk[..n]).await.unwrap();
                    left -= n;
                }
                stream.shutdown().await.unwrap();
                // The peer's FIN comes after it drained everything.
                let mut end = [0u8; 1];
                let _ = stream.read(&mut end).await;
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    (streams * bytes_each) as f64 / secs / (1 << 20) as f64
}

async fn open_echo_close(total: usize, in_flight: usize) -> f64 {
    let (client, server) = tcp_pair().await;
    serve(server, true);
    let start = Instant::now();
    let per_task = total / in_flight;
    let tasks: Vec<_> = (0..in_flight)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                let request = [7u8; 64];
                let mut reply = [0u8; 64];
                for _ in 0..per_task {
                    let mut stream = client.open().unwrap();
                    stream.write_all(&request).await.unwrap();
                    stream.read_exact(&mut reply).await.unwrap();
                    drop(stream);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    (per_task * in_flight) as f64 / start.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let scale = if quick { 1 } else { 8 };
    println!("muxado-reference, Rust to Rust over loopback TCP, window 256 KiB");
    let one = bulk(1, (scale * 64) << 20).await;
    println!("1 stream bulk:            {one:>10.1} MiB/s");
    let many = bulk(64, scale << 20).await;
    println!("64 streams bulk:          {many:>10.1} MiB/s");
    let sequential = open_echo_close(scale * 1000, 1).await;
    println!("open+echo+close, 1 at a time:  {sequential:>8.0} streams/s");
    let parallel = open_echo_close(scale * 4096, 64).await;
    println!("open+echo+close, 64 in flight: {parallel:>8.0} streams/s");
}
