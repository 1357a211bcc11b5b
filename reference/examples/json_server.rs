//! The server side of the README example: it accepts TCP connections, answers the JSON
//! requests clients send on their streams, and asks each client a question of its own on a
//! stream it opens. Stops after `--sessions N` sessions (default: runs forever).
//!
//! ```sh
//! cargo run -p muxado-reference --example json_server -- 127.0.0.1:4321
//! ```

use muxado_reference::{Config, Role};
use muxado_reference::{Session, Stream};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Serialize, Deserialize, Debug)]
struct Request {
    query: String,
}

#[derive(Serialize, Deserialize, Debug)]
struct Response {
    answer: String,
}

async fn read_json<T: for<'de> Deserialize<'de>>(
    stream: &mut BufReader<Stream>,
) -> std::io::Result<T> {
    let mut line = String::new();
    stream.read_line(&mut line).await?;
    serde_json::from_str(&line).map_err(std::io::Error::other)
}

async fn write_json<T: Serialize>(
    stream: &mut BufReader<Stream>,
    value: &T,
) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(value).map_err(std::io::Error::other)?;
    line.push(b'\n');
    stream.get_mut().write_all(&line).await
}

async fn serve(session: Session) -> std::io::Result<()> {
    // Ask the client something, on a stream the server opens.
    let asker = session.clone();
    tokio::spawn(async move {
        let Ok(stream) = asker.open() else {
            return;
        };
        let mut stream = BufReader::new(stream);
        let req = Request {
            query: "Is the meaning of life still 42?".into(),
        };
        if write_json(&mut stream, &req).await.is_ok() {
            if let Ok(resp) = read_json::<Response>(&mut stream).await {
                println!("client answered {:?}", resp.answer);
            }
        }
    });
    // Answer the client's requests.
    while let Ok(stream) = session.accept().await {
        tokio::spawn(async move {
            let mut stream = BufReader::new(stream);
            if let Ok(req) = read_json::<Request>(&mut stream).await {
                println!("client asked {:?}", req.query);
                let answer = if req.query.contains("meaning of life") {
                    "42"
                } else {
                    "no idea"
                };
                let _ = write_json(
                    &mut stream,
                    &Response {
                        answer: answer.into(),
                    },
                )
                .await;
            }
        });
    }
    let ended = session.wait().await;
    println!("session ended: {} {}", ended.local, ended.message);
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // RUST_LOG=muxado::frame=debug prints every frame sent and received.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:4321".to_string());
    let sessions: Option<usize> = match (args.next().as_deref(), args.next()) {
        (Some("--sessions"), Some(n)) => Some(n.parse()?),
        _ => None,
    };
    let listener = TcpListener::bind(&addr).await?;
    println!("listening on {}", listener.local_addr()?);
    let mut served = 0;
    while sessions.is_none_or(|n| served < n) {
        let (conn, peer) = listener.accept().await?;
        println!("session from {peer}");
        let session = Session::from_tcp(conn, Role::Server, Config::default());
        served += 1;
        if sessions.is_some() {
            serve(session).await?;
        } else {
            tokio::spawn(serve(session));
        }
    }
    Ok(())
}
