//! The state the driver task and the application handles share: the sans-IO session behind a
//! mutex, and who to wake when it changes.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};
use std::task::{Context, Poll, Waker};

use tokio::io::AsyncWrite;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::frame::StreamId;
use crate::session::{self, Event};

/// Wakers of the tasks waiting on one stream.
#[derive(Default)]
pub(crate) struct StreamWakers {
    pub read: Option<Waker>,
    pub write: Option<Waker>,
}

fn wake(slot: &mut Option<Waker>) {
    if let Some(waker) = slot.take() {
        waker.wake();
    }
}

pub(crate) struct State {
    pub proto: session::Machine,
    pub streams: HashMap<StreamId, StreamWakers>,
    pub accept: Vec<Waker>,
    pub session: Vec<Waker>,
    /// The driver task has finished: the transport is closed.
    pub driver_done: bool,
}

impl State {
    /// Wakes everyone the session's events concern. Called after every change to `proto`.
    ///
    /// The tasks are woken at once, with the lock still held: a thread woken from a halted
    /// vCPU takes longer to run than the rest of the locked work, so an early wake overlaps
    /// the two, where waking after the release would add them.
    pub fn dispatch(&mut self) {
        while let Some(event) = self.proto.poll_event() {
            match event {
                Event::Stream(id) => {
                    if let Some(w) = self.streams.get_mut(&id) {
                        wake(&mut w.read);
                        wake(&mut w.write);
                    }
                }
                Event::Accept => self.accept.drain(..).for_each(Waker::wake),
                Event::Session => {
                    self.session.drain(..).for_each(Waker::wake);
                    self.accept.drain(..).for_each(Waker::wake);
                }
            }
        }
    }

    /// Wakes every waiting writer: the write queue drained, so writes blocked on it may go on.
    pub fn wake_writers(&mut self) {
        for w in self.streams.values_mut() {
            wake(&mut w.write);
        }
    }

    /// Wakes every task: the session is over.
    pub fn wake_all(&mut self) {
        for w in self.streams.values_mut() {
            wake(&mut w.read);
            wake(&mut w.write);
        }
        self.accept.drain(..).for_each(Waker::wake);
        self.session.drain(..).for_each(Waker::wake);
    }
}

/// Who sends the frames a call queued.
pub(crate) enum Sender {
    /// The caller, at once, if it is not a tokio task ([`Shared::send`]): a write, whose
    /// request should leave now.
    Caller,
    /// The driver task (a read: its WNDINC need not leave before the reader's next write, which
    /// then carries both in one transport write, and the reader need not pay for it).
    Driver,
}

/// The transport's write side and the bytes on their way to it: the driver task writes them,
/// and so does a caller outside the runtime's tasks ([`Shared::send`]).
pub(crate) struct Outgoing {
    io: Pin<Box<dyn AsyncWrite + Send>>,
    buf: Vec<u8>,
    written: usize,
    /// Why the transport can take no more: a write failed, or the driver closed it.
    pub failed: Option<String>,
}

impl Outgoing {
    /// Nothing is on its way: the buffer may be refilled.
    pub fn idle(&self) -> bool {
        self.written == self.buf.len()
    }

    /// Moves what the session has to send into the buffer, which must be idle. When there is
    /// nothing, the session's write queue is empty: writers blocked on it may go on.
    pub fn refill(&mut self, state: &mut State) {
        self.buf.clear();
        self.written = 0;
        state.proto.poll_transmit(&mut self.buf);
        if self.buf.is_empty() {
            state.wake_writers();
        }
    }

    /// Writes the buffer until it is all written (`Ready`), or the transport would block
    /// (`Pending`: `cx` is woken when it is writable), or the transport failed (`Ready`, with
    /// `failed` set).
    pub fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        while self.written < self.buf.len() && self.failed.is_none() {
            match self.io.as_mut().poll_write(cx, &self.buf[self.written..]) {
                Poll::Ready(Ok(0)) => self.failed = Some("transport write returned 0".into()),
                Poll::Ready(Ok(n)) => self.written += n,
                Poll::Ready(Err(err)) => {
                    self.failed = Some(format!("transport write failed: {err}"));
                }
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(())
    }

    /// The transport's write side, to flush and shut down once the session is over.
    pub fn io(&mut self) -> Pin<&mut (dyn AsyncWrite + Send)> {
        self.io.as_mut()
    }
}

pub(crate) struct Shared {
    state: Mutex<State>,
    /// Locked before `state` when both are needed, never after.
    outgoing: Mutex<Outgoing>,
    /// Wakes the driver task: output is waiting, or the session changed.
    pub driver: Notify,
    pub epoch: Instant,
    pub local_addr: Option<SocketAddr>,
    pub remote_addr: Option<SocketAddr>,
}

impl Shared {
    pub fn new(
        proto: session::Machine,
        writer: Pin<Box<dyn AsyncWrite + Send>>,
        local: Option<SocketAddr>,
        remote: Option<SocketAddr>,
    ) -> Arc<Shared> {
        Arc::new(Shared {
            state: Mutex::new(State {
                proto,
                streams: HashMap::new(),
                accept: Vec::new(),
                session: Vec::new(),
                driver_done: false,
            }),
            outgoing: Mutex::new(Outgoing {
                io: writer,
                buf: Vec::new(),
                written: 0,
                failed: None,
            }),
            driver: Notify::new(),
            epoch: Instant::now(),
            local_addr: local,
            remote_addr: remote,
        })
    }

    /// Locks the state. A panic while holding the lock leaves the session state as it was at
    /// the panic; the state machine's invariants hold between its calls, so it stays usable.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Locks the transport's write side.
    pub fn outgoing(&self) -> MutexGuard<'_, Outgoing> {
        self.outgoing
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `f` on the session, wakes whoever its events concern, sends the frames it queued,
    /// and wakes the driver if the session ended.
    pub fn with<R>(&self, f: impl FnOnce(&mut session::Machine) -> R) -> R {
        self.with_state(Sender::Caller, |state| f(&mut state.proto))
    }

    /// [`Shared::with`], with the wakers at hand (a call registers its task's waker and acts
    /// under one lock), and a choice of who sends what the call queued.
    pub fn with_state<R>(&self, sender: Sender, f: impl FnOnce(&mut State) -> R) -> R {
        let mut state = self.lock();
        state.proto.handle_timeout(self.epoch.elapsed());
        let result = f(&mut state);
        state.dispatch();
        let output = state.proto.has_output();
        let ended = state.proto.termination().is_some();
        drop(state);
        match sender {
            Sender::Caller if output => self.send(),
            Sender::Driver if output => self.driver.notify_one(),
            _ => {}
        }
        if ended {
            self.driver.notify_one();
        }
        result
    }

    /// Sends what the session queued. A caller outside any tokio task (a `block_on`, a thread
    /// of its own) writes it to the transport itself, as far as the transport takes it
    /// without waiting: waking the driver task would cost it a wake-up of a parked worker
    /// thread before the frames could leave. A caller inside a task leaves it to the driver
    /// task, which the scheduler then runs next on the same thread, and which sends in one
    /// write what every task woken by the same input queued.
    ///
    /// The driver is not waiting for the transport to be writable while the buffer is idle,
    /// so writing with a waker that does nothing takes no wake-up from it; once a write would
    /// block, the driver writes again with its own.
    pub fn send(&self) {
        if tokio::task::try_id().is_some() {
            return self.driver.notify_one();
        }
        let mut out = match self.outgoing.try_lock() {
            Ok(out) => out,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            // The driver is writing: it refills the buffer when done.
            Err(TryLockError::WouldBlock) => return self.driver.notify_one(),
        };
        let mut cx = Context::from_waker(Waker::noop());
        while out.idle() && out.failed.is_none() {
            out.refill(&mut self.lock());
            if out.idle() {
                return;
            }
            if out.poll_drain(&mut cx).is_pending() {
                break;
            }
        }
        drop(out);
        self.driver.notify_one();
    }
}

/// Keeps a session alive: held by every [`Session`](super::Session) clone and every stream.
/// When the last one goes, the session is closed.
pub(crate) struct Handle {
    pub shared: Arc<Shared>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.shared.with(|proto| proto.close());
    }
}
