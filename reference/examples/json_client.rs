//! The client of the Go muxado README, in Rust: it dials the server, answers the JSON requests
//! the server sends on streams it opens, and makes a request of its own.
//!
//! ```sh
//! cargo run -p muxado-reference --example json_server -- 127.0.0.1:4321 &
//! cargo run -p muxado-reference --example json_client -- 127.0.0.1:4321
//! ```

use muxado_reference::{Config, Role};
use muxado_reference::{Session, Stream};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

#[derive(Serialize, Deserialize, Debug)]
struct Request {
    query: String,
}

#[derive(Serialize, Deserialize, Debug)]
struct Response {
    answer: String,
}

/// Reads one JSON line from the stream.
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

fn handle_request(req: &Request) -> Response {
    let answer = if req.query.contains("meaning of life") {
        "42"
    } else {
        "no idea"
    };
    Response {
        answer: answer.to_string(),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // RUST_LOG=muxado::frame=debug prints every frame sent and received.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:4321".to_string());
    let conn = TcpStream::connect(&addr).await?;
    let session = Session::from_tcp(conn, Role::Client, Config::default());

    // Answer whatever the server asks, each request on its own stream.
    let responder = session.clone();
    tokio::spawn(async move {
        while let Ok(stream) = responder.accept().await {
            tokio::spawn(async move {
                let mut stream = BufReader::new(stream);
                if let Ok(req) = read_json::<Request>(&mut stream).await {
                    let _ = write_json(&mut stream, &handle_request(&req)).await;
                }
            });
        }
    });

    // And make a request of our own.
    let mut stream = BufReader::new(session.open()?);
    let req = Request {
        query: "What is the meaning of life, the universe and everything?".into(),
    };
    write_json(&mut stream, &req).await?;
    let resp: Response = read_json(&mut stream).await?;
    println!("server answered {:?}", resp.answer);
    if resp.answer != "42" {
        return Err("wrong answer to the ultimate question!".into());
    }
    session.close().await;
    Ok(())
}
