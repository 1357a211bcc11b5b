//! What ngrok's `muxado` crate 0.5.4 does with a frame of an unknown type (SPEC INTEROP-16),
//! checked over a real socket with a raw peer on the other end: the reader answers it with a
//! GOAWAY `PROTOCOL_ERROR` "invalid frame" (`session.rs`, `Reader::handle_frame`), written with
//! the short Length of INTEROP-13; sending it closes every stream (`StreamManager::poll_next`)
//! and ends the writer task (`Writer::run`), so nothing more is sent.

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

/// A crate server session on one end of a loopback connection, and the raw client end.
async fn server_pair() -> (muxado::MuxadoSession, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (dialed, accepted) = tokio::join!(TcpStream::connect(addr), listener.accept());
    let session = SessionBuilder::new(accepted.expect("accept").0)
        .server()
        .start();
    (session, dialed.expect("dial"))
}

// checks: [INTEROP-16] [FRAME-11] [INTEROP-13]
#[tokio::test]
async fn unknown_type_draws_goaway_and_closes_everything() {
    let (mut session, mut raw) = server_pair().await;
    // Stream 3 with "a", then a type-7 frame of 3 bytes on stream 0.
    let mut bytes = header(1, 1, 0x2, 3);
    bytes.push(b'a');
    raw.write_all(&bytes).await.expect("raw write");
    let mut stream = timeout(Duration::from_secs(2), session.accept())
        .await
        .expect("accept in time")
        .expect("a stream");
    let mut b = [0u8; 1];
    stream.read_exact(&mut b).await.expect("read");
    assert_eq!(&b, b"a");
    // The crate credits the byte it read: WNDINC stream 3, 1.
    let mut wndinc = [0u8; 12];
    timeout(Duration::from_secs(2), raw.read_exact(&mut wndinc))
        .await
        .expect("WNDINC in time")
        .expect("read WNDINC");
    assert_eq!(wndinc[..8], header(4, 2, 0, 3)[..]);

    let mut unknown = header(3, 7, 0, 0);
    unknown.extend_from_slice(b"xyz");
    raw.write_all(&unknown).await.expect("raw write");

    // GOAWAY PROTOCOL_ERROR "invalid frame": Length 13 (the debug text only), 29 bytes sent.
    let mut goaway = [0u8; 29];
    timeout(Duration::from_secs(2), raw.read_exact(&mut goaway))
        .await
        .expect("GOAWAY in time")
        .expect("read GOAWAY");
    assert_eq!(goaway[..8], header(13, 3, 0, 0)[..], "GOAWAY header");
    assert_eq!(&goaway[8..12], &3u32.to_be_bytes(), "last stream id");
    assert_eq!(&goaway[12..16], &1u32.to_be_bytes(), "PROTOCOL_ERROR");
    assert_eq!(&goaway[16..], b"invalid frame");

    // Sending any GOAWAY closes every stream (`StreamManager::poll_next` drains them with
    // SessionClosed): DATA that arrives for stream 3 is not delivered, its read ends with a
    // clean end-of-stream, and its write fails.
    let mut data = header(1, 1, 0, 3);
    data.push(b'b');
    raw.write_all(&data).await.expect("raw write");
    let mut rest = Vec::new();
    timeout(Duration::from_secs(2), stream.read_to_end(&mut rest))
        .await
        .expect("read in time")
        .expect("a clean end-of-stream");
    assert!(rest.is_empty(), "stream 3 read {rest:?} after the GOAWAY");
    let wrote = stream.write_all(b"reply").await;
    assert!(wrote.is_err(), "a write after the GOAWAY succeeded");

    // The writer has ended: nothing more reaches the wire.
    let mut more = [0u8; 1];
    let got = timeout(Duration::from_millis(500), raw.read(&mut more)).await;
    assert!(
        got.is_err(),
        "the crate sent more after its GOAWAY: {got:?} {more:?}"
    );
}
