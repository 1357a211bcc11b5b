//! ngrok's Rust `muxado` crate as a bench peer.

use std::io;

use muxado::{Accept, MuxadoOpen, OpenClose, Session, SessionBuilder};
use muxado_bench_kit::Opener;
use muxado_bench_kit::client::{self, Workload};
use muxado_bench_kit::peer::{connect, listen};
use muxado_bench_kit::server::{Holder, serve_stream};
use muxado_bench_kit::wire::{BACKLOG, MAX_STREAMS, WINDOW};
use serde_json::Value;
use tokio::net::TcpStream;

/// A session with the shared window, backlog and stream limit (`muxado_bench_kit::wire`); the
/// crate's defaults otherwise.
fn session(tcp: TcpStream, client: bool) -> muxado::MuxadoSession {
    let builder = SessionBuilder::new(tcp)
        .window_size(WINDOW as usize)
        .accept_queue_size(BACKLOG as usize)
        .stream_limit(MAX_STREAMS);
    if client {
        builder.client().start()
    } else {
        builder.server().start()
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

/// Serves every connection until killed.
pub async fn serve(addr: &str) -> io::Result<()> {
    let listener = listen(addr).await?;
    let holder = Holder::new();
    loop {
        let (tcp, _) = listener.accept().await?;
        tcp.set_nodelay(true)?;
        let (open, mut accept) = session(tcp, false).split();
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
pub async fn client(addr: &str, workload: &Workload) -> Result<Value, String> {
    let tcp = connect(addr)
        .await
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    let (open, accept) = session(tcp, true).split();
    let result = client::run(NgrokOpener(open), workload).await;
    drop(accept);
    result
}
