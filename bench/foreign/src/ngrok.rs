//! ngrok's Rust `muxado` crate as a bench peer.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use muxado::heartbeat::{Heartbeat, HeartbeatConfig, HeartbeatCtl};
use muxado::typed::{StreamType, Typed, TypedAccept, TypedOpenClose, TypedSession, TypedStream};
use muxado::{Accept, MuxadoOpen, OpenClose, Session, SessionBuilder};
use muxado_bench_kit::client::{self, Workload};
use muxado_bench_kit::peer::{ServerOptions, connect, listen};
use muxado_bench_kit::server::{Holder, serve_stream};
use muxado_bench_kit::wire::{BACKLOG, MAX_STREAMS, WINDOW};
use muxado_bench_kit::{Dialer, Opener};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::Mutex;

/// A session with the shared window, backlog and stream limit (`muxado_bench_kit::wire`, or
/// `max_streams`); the crate's defaults otherwise (with `default_backlog`, its accept queue of
/// 64 too).
fn session(
    tcp: TcpStream,
    client: bool,
    default_backlog: bool,
    max_streams: Option<usize>,
) -> muxado::MuxadoSession {
    let mut builder = SessionBuilder::new(tcp)
        .window_size(WINDOW as usize)
        .stream_limit(max_streams.unwrap_or(MAX_STREAMS));
    if !default_backlog {
        builder = builder.accept_queue_size(BACKLOG as usize);
    }
    if client {
        builder.client().start()
    } else {
        builder.server().start()
    }
}

/// The crate's heartbeat on a typed session, at its defaults (a beat every 10 s, as Go).
type Beating<S> = Heartbeat<Typed<S>>;

/// Starts the heartbeat; the controller must live as long as the session beats.
async fn beating(
    session: muxado::MuxadoSession,
) -> io::Result<(
    Beating<MuxadoOpen>,
    Beating<muxado::MuxadoAccept>,
    HeartbeatCtl,
)> {
    let (beats, ctl) = Heartbeat::start(Typed::new(session), HeartbeatConfig::default()).await?;
    let (open, accept) = beats.split_typed();
    Ok((open, accept, ctl))
}

/// A typed stream seen through tokio's I/O traits (the crate's `TypedStream` only derefs to
/// its stream).
pub struct TypedIo(TypedStream);

impl AsyncRead for TypedIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for TypedIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.0).poll_shutdown(cx)
    }
}

/// Opens streams; the crate's opener takes `&mut self`, so each open works on a clone (an
/// `Arc` and a channel sender).
#[derive(Clone)]
struct NgrokOpener(MuxadoOpen);

impl Opener for NgrokOpener {
    type Stream = muxado::Stream;

    async fn open(&self) -> io::Result<muxado::Stream> {
        let mut open = self.0.clone();
        open.open().await.map_err(io::Error::other)
    }
}

/// Opens typed streams (type 0) on a session that runs the heartbeat; the heartbeat's opener
/// cannot be cloned, so opens take turns (only the idle-sessions workload beats).
#[derive(Clone)]
struct BeatingOpener {
    open: Arc<Mutex<Beating<MuxadoOpen>>>,
    _ctl: Arc<HeartbeatCtl>,
}

impl Opener for BeatingOpener {
    type Stream = TypedIo;

    async fn open(&self) -> io::Result<TypedIo> {
        let stream = self
            .open
            .lock()
            .await
            .open_typed(StreamType::clamp(0))
            .await;
        stream.map(TypedIo).map_err(io::Error::other)
    }
}

/// Either kind of opener, as the dialer decides.
#[derive(Clone)]
enum AnyOpener {
    Plain(NgrokOpener),
    Beating(BeatingOpener),
}

/// Either kind of stream.
enum AnyStream {
    Plain(muxado::Stream),
    Typed(TypedIo),
}

macro_rules! delegate {
    ($self:ident, $s:ident => $e:expr) => {
        match $self.get_mut() {
            AnyStream::Plain($s) => {
                let $s = Pin::new($s);
                $e
            }
            AnyStream::Typed($s) => {
                let $s = Pin::new($s);
                $e
            }
        }
    };
}

impl AsyncRead for AnyStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        delegate!(self, s => s.poll_read(cx, buf))
    }
}

impl AsyncWrite for AnyStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        delegate!(self, s => s.poll_write(cx, buf))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        delegate!(self, s => s.poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        delegate!(self, s => s.poll_shutdown(cx))
    }
}

impl Opener for AnyOpener {
    type Stream = AnyStream;

    async fn open(&self) -> io::Result<AnyStream> {
        match self {
            AnyOpener::Plain(o) => o.open().await.map(AnyStream::Plain),
            AnyOpener::Beating(o) => o.open().await.map(AnyStream::Typed),
        }
    }
}

/// Dials sessions, with the heartbeat on or off.
struct NgrokDialer {
    addr: String,
    heartbeat: bool,
    max_streams: Option<usize>,
}

impl Dialer for NgrokDialer {
    type Opener = AnyOpener;

    async fn dial(&self) -> io::Result<AnyOpener> {
        let tcp = connect(&self.addr).await?;
        let session = session(tcp, true, false, self.max_streams);
        if !self.heartbeat {
            let (open, accept) = session.split();
            // The accept half ends the session when dropped: it lives in a task that answers
            // nothing (the server opens no streams) until the session ends.
            tokio::spawn(async move {
                let mut accept = accept;
                while accept.accept().await.is_some() {}
            });
            return Ok(AnyOpener::Plain(NgrokOpener(open)));
        }
        let (open, mut accept, ctl) = beating(session).await?;
        // Answers the server's heartbeat streams (accept_typed does) until the session ends.
        tokio::spawn(async move { while accept.accept_typed().await.is_ok() {} });
        Ok(AnyOpener::Beating(BeatingOpener {
            open: Arc::new(Mutex::new(open)),
            _ctl: Arc::new(ctl),
        }))
    }
}

/// Serves every connection until killed.
pub async fn serve(addr: &str, options: ServerOptions) -> io::Result<()> {
    let listener = listen(addr).await?;
    let holder = Holder::new();
    let typed_holder = Holder::new();
    loop {
        let (tcp, _) = listener.accept().await?;
        tcp.set_nodelay(true)?;
        let session = session(tcp, false, options.default_backlog, options.max_streams);
        if options.heartbeat {
            let holder = typed_holder.clone();
            tokio::spawn(async move {
                let Ok((open, mut accept, ctl)) = beating(session).await else {
                    return;
                };
                let (_open, _ctl) = (open, ctl);
                while let Ok(stream) = accept.accept_typed().await {
                    tokio::spawn(serve_stream(TypedIo(stream), holder.clone()));
                }
            });
            continue;
        }
        let (open, mut accept) = session.split();
        let holder = holder.clone();
        tokio::spawn(async move {
            // Keeping the opener alive keeps the session alive.
            let _open = open;
            while let Some(stream) = accept.accept().await {
                tokio::spawn(serve_stream(stream, holder.clone()));
            }
        });
    }
}

/// Runs a workload as the client.
pub async fn client(
    addr: &str,
    heartbeat: bool,
    max_streams: Option<usize>,
    workload: &Workload,
) -> Result<Value, String> {
    let dialer = NgrokDialer {
        addr: addr.to_string(),
        heartbeat,
        max_streams,
    };
    client::run(dialer, workload).await
}
