//! The recording proxy between two reference peers, and the decoder.

use std::time::Duration;

use muxado_interop::Role;
use muxado_interop::record::{Dir, FrameReader, record_one};
use muxado_interop::scenario;
use muxado_interop::transcript::FrameKind;
use tokio::net::{TcpListener, TcpStream};

/// checks: [FRAME-1] [STREAM-1] [SESSION-1] [GOAWAY-5]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_every_frame_of_a_session_both_ways() {
    let server_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server_addr = server_listener.local_addr().unwrap();
    let proxy = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_addr = proxy.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (tcp, _) = server_listener.accept().await.unwrap();
        let session = scenario::session(tcp, "half-close", Role::Server);
        let outcome = scenario::play("half-close", Role::Server, session.clone()).await;
        session.close().await;
        outcome
    });
    let recorder = tokio::spawn(async move { record_one(&proxy, server_addr).await.unwrap() });
    let tcp = TcpStream::connect(proxy_addr).await.unwrap();
    let session = scenario::session(tcp, "half-close", Role::Client);
    let client = scenario::play("half-close", Role::Client, session.clone()).await;
    session.close().await;
    assert!(client.ok, "{client:?}");
    assert!(server.await.unwrap().ok);
    let transcript = tokio::time::timeout(Duration::from_secs(10), recorder)
        .await
        .unwrap()
        .unwrap();
    let log = transcript.log();
    println!("{log}");
    // The client's SYN with "ping", the server's SYN on stream 2, and a GOAWAY at the end.
    let first = &transcript.frames[0];
    assert_eq!(first.0, Dir::ClientToServer);
    let data = first.2.frame.frame().expect("a frame");
    assert_eq!(data.kind, FrameKind::Data);
    assert_eq!(data.payload.as_deref(), Some("70696e67"));
    assert!(
        transcript
            .frames
            .iter()
            .any(|(d, _, f)| *d == Dir::ServerToClient
                && f.frame.frame().is_some_and(|f| f.stream_id == 2))
    );
    assert!(log.contains("GOAWAY"));
    let json = transcript.to_json(&muxado_interop::record::About::default());
    assert_eq!(json["schema"], "muxado-transcript");
}

/// checks: [FRAME-6] [FRAME-8]
#[test]
fn decodes_across_chunks_and_stops_at_a_violation() {
    let mut reader = FrameReader::default();
    let wire = [
        0u8, 0, 2, 0x12, 0, 0, 0, 3, b'h', b'i', 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    let mut lines = Vec::new();
    for chunk in wire.chunks(3) {
        lines.extend(reader.push(chunk).into_iter().map(|d| d.line));
    }
    assert_eq!(
        lines,
        [
            "DATA stream_id=0x3 length=2 flags=0x2 SYN",
            "VIOLATION [RST-1] RST frame length must be 4, got 0"
        ]
    );
    assert!(reader.push(&[0; 8]).is_empty(), "nothing after a violation");
}
