//! The heartbeat extension (SPEC section 10.2): RTT measured over a typed stream of type
//! `0xFFFFFFFF`, failure reported after the tolerance, beats on demand like ngrok's v2.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;
use tokio::time::{Instant, Sleep};

use crate::session::heartbeat::{BeatValues, Echo, Requester};

use super::{Error, Session, Stream};

/// Heartbeat settings; the defaults are Go's. Built from `HeartbeatConfig::default()` with the
/// `with_*` setters; the fields are public to read.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
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

impl HeartbeatConfig {
    /// Sets [`HeartbeatConfig::interval`].
    pub fn with_interval(mut self, interval: Duration) -> HeartbeatConfig {
        self.interval = interval;
        self
    }

    /// Sets [`HeartbeatConfig::tolerance`].
    pub fn with_tolerance(mut self, tolerance: Duration) -> HeartbeatConfig {
        self.tolerance = tolerance;
        self
    }

    /// Sets [`HeartbeatConfig::stream_type`].
    pub fn with_stream_type(mut self, stream_type: u32) -> HeartbeatConfig {
        self.stream_type = stream_type;
        self
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

/// Beats the application asked for ([`Heartbeat::beat`]), each waiting for the RTT of the
/// next beat sent.
#[derive(Default)]
struct Demands {
    waiting: Mutex<Vec<oneshot::Sender<Duration>>>,
    notify: Notify,
    /// The beats stopped: a demand gets no beat.
    stopped: AtomicBool,
}

/// A running heartbeat on a typed-stream session (Go's `Heartbeat`). Its task stops when it
/// is dropped or the session ends.
pub struct Heartbeat {
    session: Session,
    config: HeartbeatConfig,
    demands: Arc<Demands>,
    task: JoinHandle<()>,
    /// Echo tasks for the peer's heartbeat streams; they end with the heartbeat, so that they
    /// do not keep the session open.
    responders: Mutex<Vec<JoinHandle<()>>>,
}

impl Heartbeat {
    /// Starts beating on `session`: opens the heartbeat stream, and calls `callback` with each
    /// RTT or failure (Go's `NewHeartbeat` + `Start`).
    pub fn start(
        session: Session,
        config: HeartbeatConfig,
        callback: impl Fn(HeartbeatEvent) + Send + Sync + 'static,
    ) -> Heartbeat {
        let demands = Arc::new(Demands::default());
        let task = tokio::spawn(run(
            session.clone(),
            config.clone(),
            demands.clone(),
            Arc::new(callback),
        ));
        Heartbeat {
            session,
            config,
            demands,
            task,
            responders: Mutex::new(Vec::new()),
        }
    }

    /// Sends one beat now and waits at most the tolerance for its echo (ngrok v2's `Beat`,
    /// SPEC [HEARTBEAT-5]); `None` if none came.
    pub async fn beat(&self) -> Option<Duration> {
        if self.demands.stopped.load(Ordering::Acquire) {
            return None;
        }
        let (reply, response) = oneshot::channel();
        lock(&self.demands.waiting).push(reply);
        self.demands.notify.notify_one();
        tokio::time::timeout(self.config.tolerance, response)
            .await
            .ok()?
            .ok()
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
            let mut responders = lock(&self.responders);
            responders.retain(|task| !task.is_finished());
            responders.push(responder);
        }
    }

    /// The session the heartbeat runs on.
    pub fn session(&self) -> &Session {
        &self.session
    }
}

impl std::fmt::Debug for Heartbeat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Heartbeat")
            .field("session", &self.session)
            .field("config", &self.config)
            .field("stopped", &self.demands.stopped.load(Ordering::Acquire))
            .finish()
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.task.abort();
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

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs the heartbeat: beats over the heartbeat stream while it lasts ([`beat`]), then only
/// failures. Every RTT of a scheduled beat is reported, and a failure whenever none came for
/// interval + tolerance (SPEC [HEARTBEAT-3]). One task does it all: a server of many idle
/// sessions pays for one task per heartbeat.
async fn run(session: Session, config: HeartbeatConfig, demands: Arc<Demands>, callback: Callback) {
    let limit = config.interval + config.tolerance;
    let deadline = tokio::time::sleep(limit);
    tokio::pin!(deadline);
    if let Ok(stream) = session.open_typed(config.stream_type).await {
        let mut check = Check {
            limit,
            deadline: deadline.as_mut(),
            callback: &callback,
        };
        beat(stream, config.interval, &demands, &mut check).await;
    }
    demands.stopped.store(true, Ordering::Release);
    lock(&demands.waiting).clear();
    loop {
        (&mut deadline).await;
        callback(HeartbeatEvent::Timeout);
        deadline.as_mut().reset(Instant::now() + limit);
    }
}

/// The failure check of [`run`]: a deadline that every RTT of a scheduled beat pushes back.
struct Check<'a> {
    limit: Duration,
    deadline: Pin<&'a mut Sleep>,
    callback: &'a Callback,
}

impl Check<'_> {
    fn report(&mut self, event: HeartbeatEvent) {
        (self.callback)(event);
        self.deadline.as_mut().reset(Instant::now() + self.limit);
    }
}

/// Runs the sans-IO [`Requester`] over the heartbeat stream: a beat when one is due or
/// demanded, one at a time, each echo judged as it is read. Returns when the stream fails or
/// an echo is wrong (SPEC [HEARTBEAT-4]: the beats stop, and the stream is closed). Writes
/// and reads wait in the same `select!` as the failure check, so a transport that takes
/// nothing more cannot hold back the failure report.
async fn beat(stream: Stream, interval: Duration, demands: &Demands, check: &mut Check<'_>) {
    let (mut reader, mut writer) = stream.into_split();
    let clock = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let epoch = Instant::now();
    let mut beats = Requester::new(
        interval,
        Duration::ZERO,
        BeatValues::new(clock.as_nanos() as u64),
    );
    // The beat in flight: its bytes still to write, and who waits for its RTT (nobody but
    // the check for a scheduled beat; the callers of `Heartbeat::beat` for one on demand).
    let mut beat_bytes = [0u8; 4];
    let mut written = beat_bytes.len();
    let mut in_flight: Option<Vec<oneshot::Sender<Duration>>> = None;
    let mut echo = [0u8; 4];
    loop {
        let idle = in_flight.is_none();
        let mut sent = None;
        tokio::select! {
            () = tokio::time::sleep_until(epoch + beats.next_due()), if idle => {
                sent = beats.poll_beat(epoch.elapsed()).map(|beat| (beat, Vec::new()));
            }
            () = demands.notify.notified(), if idle => {
                let waiting = std::mem::take(&mut *lock(&demands.waiting));
                sent = beats.beat_now(epoch.elapsed()).map(|beat| (beat, waiting));
            }
            result = writer.write(&beat_bytes[written..]), if written < beat_bytes.len() => {
                match result {
                    Ok(n) if n > 0 => written += n,
                    _ => return,
                }
            }
            read = reader.read(&mut echo) => {
                let n = match read {
                    Ok(n) if n > 0 => n,
                    _ => return,
                };
                for answer in beats.on_read(&echo[..n], epoch.elapsed()) {
                    let (Echo::Rtt(rtt), Some(waiting)) = (answer, in_flight.take()) else {
                        return;
                    };
                    if waiting.is_empty() {
                        check.report(HeartbeatEvent::Rtt(rtt));
                    }
                    waiting.into_iter().for_each(|reply| {
                        let _ = reply.send(rtt);
                    });
                }
            }
            () = check.deadline.as_mut() => check.report(HeartbeatEvent::Timeout),
        }
        if let Some((beat, waiting)) = sent {
            beat_bytes = beat;
            written = 0;
            in_flight = Some(waiting);
        }
    }
}
