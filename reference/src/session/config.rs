//! Session settings and limits (SPEC section 11), with Go's defaults where Go has one.

use std::time::Duration;

/// Which end of the transport a session is: it decides the parity of the stream ids it
/// allocates (SPEC [ID-1], [ID-2]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Opens odd stream ids, starting at 3.
    Client,
    /// Opens even stream ids, starting at 2.
    Server,
}

/// Session settings. `Config::default()` gives Go's defaults; the `with_*` setters change
/// one each, and the fields are public to read:
///
/// ```
/// use std::time::Duration;
/// use muxado_reference::Config;
///
/// let config = Config::default()
///     .with_max_window_size(1 << 20)
///     .with_read_timeout(Some(Duration::from_secs(30)));
/// assert_eq!(config.accept_backlog, 128);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Config {
    /// The window size W: initial send window of every stream and the most unread bytes
    /// buffered per stream (SPEC [FLOW-2], [LIMIT-1]). Go's default: 256 KiB.
    pub max_window_size: u32,
    /// Streams accepted but not yet taken by the application (SPEC [LIMIT-3]). Go: 128.
    pub accept_backlog: usize,
    /// How long a SYN that finds the accept backlog full waits for the application to take a
    /// stream before it is refused with RST `ACCEPT_QUEUE_FULL` (SPEC [STREAM-14]). While it
    /// waits, the session processes no input past that SYN and does not want more
    /// ([`Machine::wants_input`](super::Machine::wants_input)): the transport's own flow
    /// control holds the peer back, and a burst of SYNs is accepted as fast as the application
    /// accepts. Once the patience ran out, SYNs are refused at once until the application takes
    /// a stream again, so an application that stopped accepting stalls the session once, not
    /// once per SYN. `Duration::ZERO` refuses at once. Go waits 1 ms for every SYN that
    /// finds the backlog full ([INTEROP-5]).
    ///
    /// The default, 100 ms, is far longer than an accept loop that keeps running takes to get
    /// its turn (microseconds, a few milliseconds on a loaded machine), and shorter than the
    /// smallest TCP retransmission timeout (200 ms): every stream of the session stalls while
    /// a SYN waits, so a stuck application costs the others no more than one lost segment
    /// would.
    pub accept_patience: Duration,
    /// Streams the peer may hold open at once (SPEC [LIMIT-2]). Go has no limit.
    pub max_streams: usize,
    /// GOAWAY debug bytes kept (SPEC [LIMIT-4]). Go: 1 MiB.
    pub max_goaway_debug: usize,
    /// Largest DATA frame body this session sends; writes are split at it and at the window
    /// (SPEC [FLOW-3] lets a sender frame its bytes as it likes). A typed stream's type is
    /// never split ([TYPED-2]).
    pub max_frame_size: usize,
    /// Credit every read at once, one WNDINC per read that returned bytes, as Go does, instead
    /// of coalescing until the buffer empties or half a window was read. Both meet SPEC
    /// [FLOW-6]; coalescing sends fewer frames.
    pub credit_every_read: bool,
    /// Bytes of encoded frames waiting for the transport before writers must wait and input
    /// stops being processed (SPEC [LIMIT-6]). Go's queue holds 64 frames.
    pub write_queue_bytes: usize,
    /// How long frames for a stream we reset are ignored instead of answered (SPEC [STREAM-11]).
    pub reset_linger: Duration,
    /// Open every stream with a zero-length DATA+SYN frame and send its bytes in later
    /// frames. A Go peer that has sent GOAWAY refuses a SYN without consuming its body, so
    /// only an empty SYN keeps the session in step when an open races the peer's GOAWAY
    /// (SPEC [INTEROP-6]). Off by default, like Go: the SYN rides on the first data.
    pub syn_alone: bool,
    /// How long a frame that has begun to arrive may go without another byte before the
    /// session ends with `ENHANCE_YOUR_CALM` (SPEC [LIMIT-8]): the defence against a peer that
    /// sends part of a frame and stops (slowloris). A session idle between frames never times
    /// out; the heartbeat watches that. `None`, Go's behaviour, waits forever.
    pub read_timeout: Option<Duration>,
    /// Test-only (feature `mutants`): a deliberate bug to play ([`super::mutation`]).
    #[cfg(feature = "mutants")]
    #[doc(hidden)]
    pub mutation: Option<super::mutation::Mutation>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            max_window_size: 256 * 1024,
            accept_backlog: 128,
            accept_patience: Duration::from_millis(100),
            max_streams: 65_536,
            max_goaway_debug: 1 << 20,
            max_frame_size: 64 * 1024,
            credit_every_read: false,
            write_queue_bytes: 1 << 20,
            reset_linger: Duration::from_secs(5),
            syn_alone: false,
            read_timeout: None,
            #[cfg(feature = "mutants")]
            mutation: None,
        }
    }
}

impl Config {
    /// Sets [`Config::max_window_size`].
    pub fn with_max_window_size(mut self, max_window_size: u32) -> Config {
        self.max_window_size = max_window_size;
        self
    }

    /// Sets [`Config::accept_backlog`].
    pub fn with_accept_backlog(mut self, accept_backlog: usize) -> Config {
        self.accept_backlog = accept_backlog;
        self
    }

    /// Sets [`Config::accept_patience`].
    pub fn with_accept_patience(mut self, accept_patience: Duration) -> Config {
        self.accept_patience = accept_patience;
        self
    }

    /// Sets [`Config::max_streams`].
    pub fn with_max_streams(mut self, max_streams: usize) -> Config {
        self.max_streams = max_streams;
        self
    }

    /// Sets [`Config::max_goaway_debug`].
    pub fn with_max_goaway_debug(mut self, max_goaway_debug: usize) -> Config {
        self.max_goaway_debug = max_goaway_debug;
        self
    }

    /// Sets [`Config::max_frame_size`].
    pub fn with_max_frame_size(mut self, max_frame_size: usize) -> Config {
        self.max_frame_size = max_frame_size;
        self
    }

    /// Sets [`Config::credit_every_read`].
    pub fn with_credit_every_read(mut self, credit_every_read: bool) -> Config {
        self.credit_every_read = credit_every_read;
        self
    }

    /// Sets [`Config::write_queue_bytes`].
    pub fn with_write_queue_bytes(mut self, write_queue_bytes: usize) -> Config {
        self.write_queue_bytes = write_queue_bytes;
        self
    }

    /// Sets [`Config::reset_linger`].
    pub fn with_reset_linger(mut self, reset_linger: Duration) -> Config {
        self.reset_linger = reset_linger;
        self
    }

    /// Sets [`Config::syn_alone`].
    pub fn with_syn_alone(mut self, syn_alone: bool) -> Config {
        self.syn_alone = syn_alone;
        self
    }

    /// Sets [`Config::read_timeout`].
    pub fn with_read_timeout(mut self, read_timeout: Option<Duration>) -> Config {
        self.read_timeout = read_timeout;
        self
    }

    /// Test-only (feature `mutants`): sets [`Config::mutation`].
    #[cfg(feature = "mutants")]
    #[doc(hidden)]
    pub fn with_mutation(mut self, mutation: Option<super::mutation::Mutation>) -> Config {
        self.mutation = mutation;
        self
    }
}
