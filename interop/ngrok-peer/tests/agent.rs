//! The facts `ngrok-agent` relies on to name streams without an id accessor, checked against
//! the crate over a real socket, with a raw peer on the other end:
//!
//! - the crate numbers local streams in the order `open()` returned them (3, 5, 7 at a client;
//!   2, 4, 6 at a server), whatever the order of their first writes;
//! - `accept()` delivers streams in the order of the received frames carrying SYN, of any
//!   type, which the transport wrapper records.

use std::time::Duration;

use muxado::{Accept, OpenClose, SessionBuilder};
use ngrok_peer::conn;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{sleep, timeout};

fn header(length: u32, typ: u32, flags: u32, id: u32) -> Vec<u8> {
    let mut v = ((length << 8) | (typ << 4) | flags).to_be_bytes().to_vec();
    v.extend_from_slice(&id.to_be_bytes());
    v
}

/// A crate session of the role on one end of a loopback connection, and the raw other end.
async fn pair(client: bool) -> (muxado::MuxadoSession, conn::ConnCtl, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let dial = TcpStream::connect(addr);
    let (dialed, accepted) = tokio::join!(dial, listener.accept());
    let (transport, ctl) = conn::wrap(dialed.expect("dial")).expect("wrap");
    let builder = SessionBuilder::new(transport);
    let builder = if client {
        builder.client()
    } else {
        builder.server()
    };
    (builder.start(), ctl, accepted.expect("accept").0)
}

async fn opened_ids(client: bool) -> Vec<u32> {
    let (mut session, ctl, _raw) = pair(client).await;
    let mut streams = Vec::new();
    for _ in 0..3 {
        streams.push(session.open().await.expect("open"));
    }
    // First writes in reverse order of opening.
    for stream in streams.iter_mut().rev() {
        stream.write_all(b"x").await.expect("write");
    }
    for _ in 0..100 {
        if ctl.sent_heads(0).len() >= 3 {
            break;
        }
        sleep(Duration::from_millis(10)).await;
    }
    let heads = ctl.sent_heads(0);
    assert!(
        heads.iter().all(|h| h.typ == 1 && h.flags == 2),
        "{heads:?}"
    );
    let mut ids: Vec<u32> = heads.iter().map(|h| h.stream_id).collect();
    // Back to opening order.
    ids.reverse();
    ids
}

// checks: [ID-1] [ID-2] [ID-4]
#[tokio::test]
async fn local_ids_follow_the_order_of_open() {
    assert_eq!(opened_ids(true).await, vec![3, 5, 7]);
    assert_eq!(opened_ids(false).await, vec![2, 4, 6]);
}

// checks: [STREAM-4] [FRAME-9]
#[tokio::test]
async fn accept_order_is_the_order_of_syn_flags() {
    let (mut session, ctl, mut raw) = pair(false).await;
    let mut bytes = header(1, 1, 0x2, 5);
    bytes.push(b'a');
    bytes.extend(header(1, 1, 0x2, 3));
    bytes.push(b'b');
    // An RST with every flag set: the crate opens a stream for its SYN flag.
    bytes.extend(header(4, 0, 0xF, 7));
    bytes.extend_from_slice(&[0, 0, 0, 7]);
    raw.write_all(&bytes).await.expect("raw write");
    let mut firsts = Vec::new();
    for _ in 0..2 {
        let mut stream = timeout(Duration::from_secs(2), session.accept())
            .await
            .expect("accept in time")
            .expect("a stream");
        let mut b = [0u8; 1];
        stream.read_exact(&mut b).await.expect("read");
        firsts.push(b[0]);
    }
    let third = timeout(Duration::from_secs(2), session.accept()).await;
    assert!(
        matches!(third, Ok(Some(_))),
        "the RST with SYN opens a stream"
    );
    assert_eq!(firsts, b"ab");
    assert_eq!(ctl.received_syn_any_ids(), vec![5, 3, 7]);
}
