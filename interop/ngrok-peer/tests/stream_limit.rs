//! What ngrok's `muxado` crate 0.5.4 does with a SYN beyond its `stream_limit` (SPEC
//! INTEROP-27), checked over a real socket with a raw peer on the other end:
//! `StreamManager::create_stream` fails with `STREAMS_EXHAUSTED`, which ends the reader task
//! (`Reader::handle_frame` returns the error): no RST for that stream, no GOAWAY, and the
//! application's `accept` ends.

use std::time::Duration;

use muxado::{Accept, SessionBuilder};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

fn header(length: u32, typ: u32, flags: u32, id: u32) -> Vec<u8> {
    let mut v = ((length << 8) | (typ << 4) | flags).to_be_bytes().to_vec();
    v.extend_from_slice(&id.to_be_bytes());
    v
}

/// A crate server session with its defaults on one end of a loopback connection, and the
/// raw client end.
async fn server_pair() -> (muxado::MuxadoSession, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (dialed, accepted) = tokio::join!(TcpStream::connect(addr), listener.accept());
    let session = SessionBuilder::new(accepted.expect("accept").0)
        .server()
        .start();
    (session, dialed.expect("dial"))
}

// checks: [INTEROP-27] [LIMIT-2]
#[tokio::test]
async fn syn_beyond_the_stream_limit_ends_the_session() {
    let (mut session, mut raw) = server_pair().await;
    // 513 streams, each SYN with one byte, none closed: one more than the default limit.
    let mut bytes = Vec::new();
    for i in 0..513u32 {
        bytes.extend(header(1, 1, 0x2, 3 + 2 * i));
        bytes.push(b'x');
    }
    raw.write_all(&bytes).await.expect("raw write");
    let mut streams = Vec::new();
    while let Ok(Some(stream)) = timeout(Duration::from_secs(2), session.accept()).await {
        streams.push(stream);
    }
    assert_eq!(streams.len(), 512, "streams accepted before accept ended");
    // No frame answers the 513th SYN: no RST, no GOAWAY.
    let mut buf = [0u8; 64];
    match timeout(Duration::from_millis(500), raw.read(&mut buf)).await {
        Err(_) | Ok(Ok(0)) => {}
        Ok(other) => panic!("the crate sent something: {other:?} {:?}", &buf[..]),
    }
}
