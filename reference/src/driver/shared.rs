//! The state the driver task and the application handles share: the sans-IO session behind a
//! mutex, and who to wake when it changes.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Waker;

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
    pub proto: session::Session,
    pub streams: HashMap<StreamId, StreamWakers>,
    pub accept: Vec<Waker>,
    pub session: Vec<Waker>,
    /// The driver task has finished: the transport is closed.
    pub driver_done: bool,
}

impl State {
    /// Wakes everyone the session's events concern. Called after every change to `proto`.
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

pub(crate) struct Shared {
    state: Mutex<State>,
    /// Wakes the driver task: output is waiting, or the session changed.
    pub driver: Notify,
    pub epoch: Instant,
    pub local_addr: Option<SocketAddr>,
    pub remote_addr: Option<SocketAddr>,
}

impl Shared {
    pub fn new(
        proto: session::Session,
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

    /// Runs `f` on the session, wakes whoever its events concern, and wakes the driver if
    /// frames are waiting for the transport.
    pub fn with<R>(&self, f: impl FnOnce(&mut session::Session) -> R) -> R {
        let mut state = self.lock();
        state.proto.set_time(self.epoch.elapsed());
        let result = f(&mut state.proto);
        state.dispatch();
        let wake_driver = state.proto.has_output() || state.proto.termination().is_some();
        drop(state);
        if wake_driver {
            self.driver.notify_one();
        }
        result
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
