//! The transport handed to the muxado crate: a TCP stream that can be shut down from outside
//! the session and whose bytes are watched by a passive frame scanner.
//!
//! The scanner never changes a byte and the crate never sees it. It exists for the two facts
//! the crate's API does not give: the stream ids of accepted streams (`server-opens`), and
//! whether (and how) the GOAWAY that `OpenClose::close` queued has been written, so that the
//! transport is closed only after it (`goaway-from-*`).

use std::io;
use std::net::Shutdown;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// Most bytes kept after a GOAWAY header.
const GOAWAY_KEEP: usize = 4096;

/// A GOAWAY frame seen by a scanner: its header's Length field and the bytes that followed
/// the header on the transport (up to [`GOAWAY_KEEP`]).
#[derive(Clone, Debug)]
pub struct GoawayWire {
    /// The Length field of the GOAWAY header.
    pub length: u32,
    /// Every byte that followed the header, up to 4096.
    pub after_header: Vec<u8>,
}

/// A frame header as a scanner saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head {
    /// The Length field.
    pub length: u32,
    /// The type (0 RST, 1 DATA, 2 WNDINC, 3 GOAWAY, 4-15 unknown).
    pub typ: u8,
    /// The flags nibble.
    pub flags: u8,
    /// The stream id, reserved bit masked (as the crate's decoder does).
    pub stream_id: u32,
}

/// Incremental frame-header scanner over one direction of the transport.
#[derive(Default, Debug)]
pub struct Scanner {
    header: [u8; 8],
    have: usize,
    skip: usize,
    /// Stream ids of DATA frames carrying SYN, in transport order.
    pub syn_ids: Vec<u32>,
    /// Stream ids of frames of any type with the SYN flag, in transport order, up to the
    /// first GOAWAY: the frames the crate's reader opens a stream for (its `Frame::is_syn`
    /// looks at the flag only, whatever the type), in the order `accept()` delivers them.
    pub syn_any_ids: Vec<u32>,
    /// Every frame header up to the first GOAWAY (included), in transport order.
    pub heads: Vec<Head>,
    /// The first GOAWAY; once seen, the scanner stops parsing and keeps the bytes after it.
    pub goaway: Option<GoawayWire>,
}

impl Scanner {
    /// Feeds the next bytes of this direction.
    pub fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            if let Some(goaway) = &mut self.goaway {
                let room = GOAWAY_KEEP.saturating_sub(goaway.after_header.len());
                goaway
                    .after_header
                    .extend_from_slice(&data[..room.min(data.len())]);
                return;
            }
            if self.skip > 0 {
                let n = self.skip.min(data.len());
                self.skip -= n;
                data = &data[n..];
                continue;
            }
            let n = (8 - self.have).min(data.len());
            self.header[self.have..self.have + n].copy_from_slice(&data[..n]);
            self.have += n;
            data = &data[n..];
            if self.have < 8 {
                continue;
            }
            self.have = 0;
            let word = u32::from_be_bytes([
                self.header[0],
                self.header[1],
                self.header[2],
                self.header[3],
            ]);
            let length = word >> 8;
            let typ = (word >> 4) & 0xF;
            let flags = word & 0xF;
            let id = u32::from_be_bytes([
                self.header[4],
                self.header[5],
                self.header[6],
                self.header[7],
            ]) & 0x7FFF_FFFF;
            self.heads.push(Head {
                length,
                typ: typ as u8,
                flags: flags as u8,
                stream_id: id,
            });
            if flags & 0x2 != 0 {
                self.syn_any_ids.push(id);
            }
            match typ {
                1 => {
                    if flags & 0x2 != 0 {
                        self.syn_ids.push(id);
                    }
                    self.skip = length as usize;
                }
                3 => {
                    self.goaway = Some(GoawayWire {
                        length,
                        after_header: Vec::new(),
                    })
                }
                _ => self.skip = length as usize,
            }
        }
    }
}

#[derive(Default, Debug)]
struct Taps {
    incoming: Scanner,
    outgoing: Scanner,
    /// Bytes the session has read from the transport.
    read_total: u64,
    /// The session's read saw end-of-file or an error.
    read_ended: bool,
    /// Bytes the session has written to the transport.
    write_total: u64,
}

/// The transport given to `muxado::SessionBuilder`.
pub struct Conn {
    inner: TcpStream,
    taps: Arc<Mutex<Taps>>,
}

/// Control over a [`Conn`] that stays with the program after the session took the `Conn`.
pub struct ConnCtl {
    socket: std::net::TcpStream,
    taps: Arc<Mutex<Taps>>,
}

/// Wraps a connected TCP stream; returns the transport for the session and its control.
pub fn wrap(stream: TcpStream) -> io::Result<(Conn, ConnCtl)> {
    stream.set_nodelay(true)?;
    let std_stream = stream.into_std()?;
    let socket = std_stream.try_clone()?;
    let inner = TcpStream::from_std(std_stream)?;
    let taps = Arc::new(Mutex::new(Taps::default()));
    Ok((
        Conn {
            inner,
            taps: taps.clone(),
        },
        ConnCtl { socket, taps },
    ))
}

impl ConnCtl {
    /// Closes the transport in both directions (the peer reads end-of-file; the session's own
    /// reader does too, which ends the session).
    pub fn close(&self) {
        let _ = self.socket.shutdown(Shutdown::Both);
    }

    /// Stream ids of the SYNs received so far, in arrival order.
    pub fn received_syn_ids(&self) -> Vec<u32> {
        self.taps.lock().expect("tap lock").incoming.syn_ids.clone()
    }

    /// The GOAWAY this side has written so far, if any.
    pub fn sent_goaway(&self) -> Option<GoawayWire> {
        self.taps.lock().expect("tap lock").outgoing.goaway.clone()
    }

    /// Stream ids of the received frames carrying SYN (any type), in arrival order: the
    /// streams `accept()` delivers, in its order.
    pub fn received_syn_any_ids(&self) -> Vec<u32> {
        self.taps
            .lock()
            .expect("tap lock")
            .incoming
            .syn_any_ids
            .clone()
    }

    /// The headers of the frames written so far, from the `from`-th on.
    pub fn sent_heads(&self, from: usize) -> Vec<Head> {
        let taps = self.taps.lock().expect("tap lock");
        taps.outgoing.heads.get(from..).unwrap_or_default().to_vec()
    }

    /// How many frame headers have been written so far.
    pub fn sent_head_count(&self) -> usize {
        self.taps.lock().expect("tap lock").outgoing.heads.len()
    }

    /// Bytes the session has read from the transport, and whether its reads have ended
    /// (end-of-file or an error).
    pub fn read_progress(&self) -> (u64, bool) {
        let taps = self.taps.lock().expect("tap lock");
        (taps.read_total, taps.read_ended)
    }

    /// Bytes the session has written to the transport.
    pub fn written(&self) -> u64 {
        self.taps.lock().expect("tap lock").write_total
    }

    /// Whether input waits in the socket that the session has not read: bytes, or the peer's
    /// end-of-file (a non-waiting `peek`; the socket is in non-blocking mode).
    pub fn input_pending(&self) -> bool {
        let mut byte = [0u8; 1];
        match self.socket.peek(&mut byte) {
            Ok(_) => true,
            Err(e) => e.kind() != io::ErrorKind::WouldBlock,
        }
    }
}

impl AsyncRead for Conn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let room = buf.remaining() > 0;
        let res = Pin::new(&mut self.inner).poll_read(cx, buf);
        match &res {
            Poll::Ready(Ok(())) => {
                let new = &buf.filled()[before..];
                let mut taps = self.taps.lock().expect("tap lock");
                if new.is_empty() {
                    taps.read_ended |= room;
                } else {
                    taps.read_total += new.len() as u64;
                    taps.incoming.feed(new);
                }
            }
            Poll::Ready(Err(_)) => self.taps.lock().expect("tap lock").read_ended = true,
            Poll::Pending => {}
        }
        res
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let res = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = res {
            let mut taps = self.taps.lock().expect("tap lock");
            taps.write_total += n as u64;
            taps.outgoing.feed(&buf[..n]);
        }
        res
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // checks: [FRAME-9]
    #[test]
    fn scanner_records_syn_on_any_type_until_goaway() {
        // An RST with every flag set carries SYN: the crate's reader opens a stream for it.
        let mut bytes = header(4, 0, 0xF, 3);
        bytes.extend_from_slice(&[0, 0, 0, 7]);
        bytes.extend(header(0, 1, 0x2, 5));
        bytes.extend(header(8, 3, 0, 0));
        bytes.extend_from_slice(&[0, 0, 0, 5, 0, 0, 0, 0]);
        bytes.extend(header(0, 1, 0x2, 7));
        let mut s = Scanner::default();
        s.feed(&bytes);
        assert_eq!(s.syn_ids, vec![5]);
        assert_eq!(s.syn_any_ids, vec![3, 5]);
        assert_eq!(s.heads.len(), 3);
    }

    fn header(length: u32, typ: u32, flags: u32, id: u32) -> Vec<u8> {
        let mut v = ((length << 8) | (typ << 4) | flags).to_be_bytes().to_vec();
        v.extend_from_slice(&id.to_be_bytes());
        v
    }

    // checks: [FRAME-1] [FRAME-3] [FRAME-5]
    #[test]
    fn scanner_follows_frames_split_anywhere() {
        let mut bytes = header(3, 1, 0x2, 2);
        bytes.extend_from_slice(b"abc");
        bytes.extend(header(4, 2, 0, 2));
        bytes.extend_from_slice(&[0, 0, 0, 3]);
        bytes.extend(header(0, 1, 0x3, 0x8000_0004));
        bytes.extend(header(21, 3, 0, 0));
        bytes.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 10]);
        bytes.extend_from_slice(b"calm down from server");
        for step in [1, 2, 5, 7, 1000] {
            let mut s = Scanner::default();
            for chunk in bytes.chunks(step) {
                s.feed(chunk);
            }
            assert_eq!(s.syn_ids, vec![2, 4], "step {step}");
            assert_eq!(s.syn_any_ids, vec![2, 4], "step {step}");
            assert_eq!(s.heads.len(), 4, "step {step}");
            assert_eq!(
                s.heads[2],
                Head {
                    length: 0,
                    typ: 1,
                    flags: 3,
                    stream_id: 4
                }
            );
            let g = s.goaway.expect("goaway");
            assert_eq!(g.length, 21);
            assert_eq!(g.after_header.len(), 29);
        }
    }
}
