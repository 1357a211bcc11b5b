//! The `yamux` crate as a bench peer.
//!
//! A yamux `Connection` does all its I/O inside its `poll_*` methods and has no handle that
//! tasks can share, so one task owns it: it keeps polling for inbound streams (which drives
//! the socket) and serves open requests that arrive on a channel.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::io;
use std::task::Poll;

use muxado_bench_kit::client::{self, Workload};
use muxado_bench_kit::peer::{ServerOptions, connect, listen};
use muxado_bench_kit::server::{Holder, serve_stream};
use muxado_bench_kit::wire::{MAX_STREAMS, WINDOW};
use muxado_bench_kit::{Dialer, Opener};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio_util::compat::{Compat, FuturesAsyncReadCompatExt, TokioAsyncReadCompatExt};
use yamux::{Config, Connection, Mode};

/// A yamux stream seen through tokio's I/O traits.
type YStream = Compat<yamux::Stream>;

/// The shared settings: at most [`MAX_STREAMS`] streams (or `max_streams`), and a connection
/// receive window of
/// exactly 256 KiB per possible stream. yamux guarantees every stream 256 KiB and lets a
/// stream's window grow (auto-tuning) only out of what the connection limit leaves above
/// that guarantee: nothing here, so every window stays at [`WINDOW`], as in the muxado
/// implementations.
fn config(max_streams: Option<usize>) -> Config {
    let max_streams = max_streams.unwrap_or(MAX_STREAMS);
    let mut config = Config::default();
    // The window limit first: `set_max_num_streams` checks it covers every stream.
    config.set_max_connection_receive_window(Some(max_streams * WINDOW as usize));
    config.set_max_num_streams(max_streams);
    config
}

type OpenRequest = oneshot::Sender<yamux::Result<yamux::Stream>>;

/// Starts the task that owns the connection; inbound streams go to the returned receiver.
fn start(
    tcp: TcpStream,
    mode: Mode,
    max_streams: Option<usize>,
) -> (
    mpsc::UnboundedSender<OpenRequest>,
    mpsc::UnboundedReceiver<yamux::Stream>,
) {
    let mut connection = Connection::new(tcp.compat(), config(max_streams), mode);
    let (open_tx, mut open_rx) = mpsc::unbounded_channel::<OpenRequest>();
    let (inbound_tx, inbound_rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut waiting: VecDeque<OpenRequest> = VecDeque::new();
        let mut requests_open = true;
        poll_fn(|cx| {
            loop {
                while requests_open {
                    match open_rx.poll_recv(cx) {
                        Poll::Ready(Some(request)) => waiting.push_back(request),
                        Poll::Ready(None) => requests_open = false,
                        Poll::Pending => break,
                    }
                }
                while !waiting.is_empty() {
                    match connection.poll_new_outbound(cx) {
                        Poll::Ready(result) => {
                            let request = waiting.pop_front().expect("not empty");
                            let _ = request.send(result);
                        }
                        Poll::Pending => break,
                    }
                }
                match connection.poll_next_inbound(cx) {
                    Poll::Ready(Some(Ok(stream))) => {
                        let _ = inbound_tx.send(stream);
                    }
                    Poll::Ready(Some(Err(_)) | None) => return Poll::Ready(()),
                    Poll::Pending => return Poll::Pending,
                }
            }
        })
        .await;
    });
    (open_tx, inbound_rx)
}

/// Opens streams by asking the connection's task.
#[derive(Clone)]
struct YamuxOpener(mpsc::UnboundedSender<OpenRequest>);

impl Opener for YamuxOpener {
    type Stream = YStream;

    async fn open(&self) -> io::Result<YStream> {
        let (tx, rx) = oneshot::channel();
        self.0
            .send(tx)
            .map_err(|_| io::Error::other("the connection is gone"))?;
        let stream = rx
            .await
            .map_err(|_| io::Error::other("the connection is gone"))?
            .map_err(io::Error::other)?;
        Ok(stream.compat())
    }
}

/// Dials connections (with a stream limit other than [`MAX_STREAMS`], maybe).
struct YamuxDialer(String, Option<usize>);

impl Dialer for YamuxDialer {
    type Opener = YamuxOpener;

    async fn dial(&self) -> io::Result<YamuxOpener> {
        let tcp = connect(&self.0).await?;
        // The server opens no streams: inbound ones would be dropped with the receiver.
        let (open, _inbound) = start(tcp, Mode::Client, self.1);
        Ok(YamuxOpener(open))
    }
}

/// Serves every connection until killed. yamux has neither an accept backlog (a stream is
/// handed over as soon as its SYN is read; here into an unbounded channel, its opener held
/// back instead by yamux's limit of 256 streams not yet acknowledged) nor a heartbeat: of
/// `options`, only the stream limit counts.
pub async fn serve(addr: &str, options: ServerOptions) -> io::Result<()> {
    let listener = listen(addr).await?;
    let holder = Holder::new();
    loop {
        let (tcp, _) = listener.accept().await?;
        tcp.set_nodelay(true)?;
        let (open, mut inbound) = start(tcp, Mode::Server, options.max_streams);
        let holder = holder.clone();
        tokio::spawn(async move {
            let _open = open;
            while let Some(stream) = inbound.recv().await {
                tokio::spawn(serve_stream(stream.compat(), holder.clone()));
            }
        });
    }
}

/// Runs a workload as the client.
pub async fn client(
    addr: &str,
    max_streams: Option<usize>,
    workload: &Workload,
) -> Result<Value, String> {
    client::run(YamuxDialer(addr.to_string(), max_streams), workload).await
}
