//! The exact bytes of the GOAWAY ngrok's `muxado` crate 0.5.4 writes when it closes a session
//! with debug data (SPEC INTEROP-13), the bytes `interop/go/notes/interop28_test.go` feeds to
//! every Go version: Go 2016 and v2.0.1 read them whole, since they over-read a GOAWAY's debug
//! data by the 8 fixed bytes the crate leaves out of its Length (INTEROP-28).

use std::time::Duration;

use muxado::{Error as MuxError, OpenClose, SessionBuilder};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

// checks: [INTEROP-28] [INTEROP-13]
#[tokio::test]
async fn close_writes_a_goaway_whose_length_leaves_out_the_fixed_body() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (dialed, accepted) = tokio::join!(TcpStream::connect(addr), listener.accept());
    let mut session = SessionBuilder::new(dialed.expect("dial")).client().start();
    let mut raw = accepted.expect("accept").0;
    let debug = b"calm down from server";
    session
        .close(MuxError::EnhanceYourCalm, "calm down from server".into())
        .await
        .expect("close");
    let mut frame = [0u8; 8 + 8 + 21];
    timeout(Duration::from_secs(2), raw.read_exact(&mut frame))
        .await
        .expect("GOAWAY in time")
        .expect("read GOAWAY");
    // Length 21: the debug text only; type 3 (GOAWAY), no flags, stream 0.
    assert_eq!(frame[..8], [0, 0, 21, 0x30, 0, 0, 0, 0], "GOAWAY header");
    assert_eq!(&frame[8..12], &0u32.to_be_bytes(), "last stream id");
    assert_eq!(&frame[12..16], &10u32.to_be_bytes(), "ENHANCE_YOUR_CALM");
    assert_eq!(&frame[16..], debug);
}
