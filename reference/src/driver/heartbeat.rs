//! The heartbeat extension (SPEC section 10.2): RTT measured over a typed stream of type
//! `0xFFFFFFFF`, failure reported after the tolerance, beats on demand like ngrok's v2.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::session::Error;
use crate::session::heartbeat::{BeatValues, Echo, Requester};

use super::{Session, Stream};

/// Heartbeat settings; the defaults are Go's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeartbeatConfig {
    /// Time between beats (Go: 10 s).
    pub interval: Duration,
    /// How long past the interval an echo may be late before a failure is reported (Go: 15 s).
    pub tolerance: Duration,
    /// The typed-stream type of the heartbeat stream (SPEC [TYPED-4]).
    pub stream_type: u32,
}

impl Default for HeartbeatConfig {
    fn default() -> HeartbeatConfig {
        HeartbeatConfig {
            interval: Duration::from_secs(10),
            tolerance: Duration::from_secs(15),
            stream_type: 0xFFFF_FFFF,
        }
    }
}

/// What the heartbeat reports to its callback (Go's callback `(duration, timedOut)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeartbeatEvent {
    /// An echo came back after this round-trip time (SPEC [HEARTBEAT-1]).
    Rtt(Duration),
    /// No echo for interval + tolerance (SPEC [HEARTBEAT-3]).
    Timeout,
}

type Callback = Arc<dyn Fn(HeartbeatEvent) + Send + Sync>;

/// A running heartbeat on a typed-stream session (Go's `Heartbeat`). Its tasks stop when it
/// is dropped or the session ends.
pub struct Heartbeat {
    session: Session,
    config: HeartbeatConfig,
    demand: mpsc::Sender<oneshot::Sender<Duration>>,
    tasks: Vec<JoinHandle<()>>,
    /// Echo tasks for the peer's heartbeat streams; they end with the heartbeat, so that they
    /// do not keep the session open.
    responders: std::sync::Mutex<Vec<JoinHandle<()>>>,
}

impl Heartbeat {
    /// Starts beating on `session`: opens the heartbeat stream, and calls `callback` with each
    /// RTT or failure (Go's `NewHeartbeat` + `Start`).
    pub fn start(
        session: Session,
        config: HeartbeatConfig,
        callback: impl Fn(HeartbeatEvent) + Send + Sync + 'static,
    ) -> Heartbeat {
        let callback: Callback = Arc::new(callback);
        let (demand, demand_rx) = mpsc::channel(1);
        let (mark, mark_rx) = mpsc::channel(16);
        let requester = tokio::spawn(requester(session.clone(), config.clone(), demand_rx, mark));
        let checker = tokio::spawn(checker(
            config.interval + config.tolerance,
            mark_rx,
            callback,
        ));
        Heartbeat {
            session,
            config,
            demand,
            tasks: vec![requester, checker],
            responders: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// Sends one beat now and waits at most the tolerance for its echo (ngrok v2's `Beat`,
    /// SPEC [HEARTBEAT-5]); `None` if none came.
    pub async fn beat(&self) -> Option<Duration> {
        let (reply, response) = oneshot::channel();
        let exchange = async {
            self.demand.send(reply).await.ok()?;
            response.await.ok()
        };
        tokio::time::timeout(self.config.tolerance, exchange)
            .await
            .ok()
            .flatten()
    }

    /// Waits for the next typed stream that is not a heartbeat stream; heartbeat streams the
    /// peer opens are answered in the background (SPEC [HEARTBEAT-2]).
    pub async fn accept_typed(&self) -> Result<(Stream, u32), Error> {
        loop {
            let (stream, stream_type) = self.session.accept_typed().await?;
            if stream_type != self.config.stream_type {
                return Ok((stream, stream_type));
            }
            let responder = tokio::spawn(respond(stream));
            let mut responders = self.responders.lock().unwrap_or_else(|p| p.into_inner());
            responders.retain(|task| !task.is_finished());
            responders.push(responder);
        }
    }

    /// The session the heartbeat runs on.
    pub fn session(&self) -> &Session {
        &self.session
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.tasks.iter().for_each(JoinHandle::abort);
        let responders = self.responders.get_mut().unwrap_or_else(|p| p.into_inner());
        responders.iter().for_each(JoinHandle::abort);
    }
}

/// Echoes every 4 bytes read, in order, unchanged (SPEC [HEARTBEAT-2]).
async fn respond(mut stream: Stream) {
    let mut beat = [0u8; 4];
    while stream.read_exact(&mut beat).await.is_ok() {
        if stream.write_all(&beat).await.is_err() {
            return;
        }
    }
}

/// Runs the sans-IO [`Requester`] over the heartbeat stream: a beat when one is due or
/// demanded, then its echo, one at a time; a wrong echo stops it (SPEC [HEARTBEAT-4]) and the
/// checker reports the silence that follows.
async fn requester(
    session: Session,
    config: HeartbeatConfig,
    mut demand: mpsc::Receiver<oneshot::Sender<Duration>>,
    mark: mpsc::Sender<Duration>,
) {
    let Ok(mut stream) = session.open_typed(config.stream_type).await else {
        return;
    };
    let clock = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let epoch = Instant::now();
    let mut beats = Requester::new(
        config.interval,
        Duration::ZERO,
        BeatValues::new(clock.as_nanos() as u64),
    );
    loop {
        let reply = tokio::select! {
            () = tokio::time::sleep_until(epoch + beats.next_due()) => None,
            Some(reply) = demand.recv() => Some(reply),
        };
        let beat = match reply {
            None => beats.poll_beat(epoch.elapsed()),
            Some(_) => beats.beat_now(epoch.elapsed()),
        };
        let Some(beat) = beat else {
            continue;
        };
        if stream.write_all(&beat).await.is_err() {
            return;
        }
        let mut echo = [0u8; 4];
        if stream.read_exact(&mut echo).await.is_err() {
            return;
        }
        let rtt = match beats.on_read(&echo, epoch.elapsed())[..] {
            [Echo::Rtt(rtt)] => rtt,
            _ => return,
        };
        match reply {
            Some(reply) => {
                let _ = reply.send(rtt);
            }
            None => {
                if mark.send(rtt).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Reports each RTT, and a failure whenever none came for `limit` (SPEC [HEARTBEAT-3]).
async fn checker(limit: Duration, mut marks: mpsc::Receiver<Duration>, callback: Callback) {
    let deadline = tokio::time::sleep(limit);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            mark = marks.recv() => match mark {
                Some(rtt) => callback(HeartbeatEvent::Rtt(rtt)),
                None => {
                    // The requester stopped: from now on, only failures.
                    (&mut deadline).await;
                    callback(HeartbeatEvent::Timeout);
                }
            },
            () = &mut deadline => callback(HeartbeatEvent::Timeout),
        }
        deadline.as_mut().reset(Instant::now() + limit);
    }
}
