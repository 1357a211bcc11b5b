//! Test-only mutants of the reference agent: deliberately broken implementations that the
//! suite must catch (every one of them, by at least one case: `tests/mutants.rs` asserts it).
//!
//! A mutant is a small, realistic bug, each of a kind found in real muxado, yamux or HTTP/2
//! implementations: a skipped validation, a wrong error code, an off-by-one in a window, a
//! flag ignored. Most live only in the agent, as a wrapper around the sans-IO session
//! ([`MutantIut`]) that rewrites the frames going in (each reassembled whole first; bytes after
//! a frame-rule violation pass untouched, so that the session's own checks see them), rewrites
//! the frames coming out, or changes the session's configuration. Those of [`Site::Source`]
//! are bugs in the reference session's own logic (a flag lost, a state transition skipped, an
//! off-by-one, an order swapped, a GOAWAY field computed from the wrong set), compiled into the
//! reference only with its test-only `mutants` feature and active only when named.
//!
//! **Test-only**: the reference agent plays a mutant when the environment variable
//! `MUXADO_MUTANT` names one (`MUXADO_MUTANT=ignore-fin conformance agent`, or
//! `MUXADO_MUTANT=ignore-fin conformance run` for the agent embedded in the suite). An unknown
//! name is an error, so that a misspelt mutant cannot pass as the clean reference.

use std::collections::HashSet;
use std::time::Duration;

use muxado_reference::frame::{DecodeError, ErrorCode, Flags, FrameType, decode_header};
use muxado_reference::session::mutation::Mutation;
use muxado_reference::session::{Config, Role};
use muxado_vectors::session_run::{
    Call, Enough, Extensions, Flooded, Iut, Offline, ReadResult, SessionState,
};

/// The environment variable that selects a mutant (test-only).
pub const ENV: &str = "MUXADO_MUTANT";

/// How a mutant departs from the reference: where its bug sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Site {
    /// It rewrites or drops frames the peer sent, before the session sees them.
    Input,
    /// It rewrites, drops or adds frames the session sent.
    Output,
    /// It changes the session's configuration.
    Config,
    /// It changes how the session is driven (end-of-file).
    Driver,
    /// It is a bug in the reference session's own code (feature `mutants`,
    /// `muxado_reference::session::mutation`).
    Source,
}

macro_rules! mutants {
    ($($(#[doc = $doc:literal])+ $variant:ident = $name:literal, $site:ident, [$($req:literal),+];)+) => {
        /// A deliberately broken reference (test-only): each variant's doc says the bug it
        /// models and the SPEC requirement it breaks.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Mutant {
            $($(#[doc = $doc])+ $variant,)+
        }

        impl Mutant {
            /// Every mutant.
            pub const ALL: &[Mutant] = &[$(Mutant::$variant),+];

            /// The name `MUXADO_MUTANT` takes.
            pub fn name(self) -> &'static str {
                match self { $(Mutant::$variant => $name,)+ }
            }

            /// The bug it models, in one line (its doc comment).
            pub fn bug(self) -> &'static str {
                match self { $(Mutant::$variant => concat!($($doc),+).trim(),)+ }
            }

            /// The SPEC requirements it breaks.
            pub fn requirements(self) -> &'static [&'static str] {
                match self { $(Mutant::$variant => &[$($req),+],)+ }
            }

            /// Where the bug sits.
            pub fn site(self) -> Site {
                match self { $(Mutant::$variant => Site::$site,)+ }
            }
        }
    };
}

mutants! {
    /// Ignores the FIN flag of incoming DATA: reads never reach end-of-file.
    IgnoreFin = "ignore-fin", Input, ["STREAM-6"];
    /// Skips the zero-increment check: a WNDINC of 0 is taken as a credit of 1.
    ZeroIncrementAccepted = "zero-increment-accepted", Input, ["WNDINC-4"];
    /// Treats a frame of unknown type as a protocol error instead of skipping it.
    UnknownTypeFatal = "unknown-type-fatal", Input, ["FRAME-11"];
    /// Skips the stream-id parity check: a SYN with the opener's wrong parity is dropped silently.
    ParityUnchecked = "parity-unchecked", Input, ["ID-6"];
    /// Drops incoming GOAWAY frames: new streams are still opened after the peer's GOAWAY.
    GoAwayIgnored = "goaway-ignored", Input, ["GOAWAY-7", "GOAWAY-9"];
    /// Drops the debug data of an incoming GOAWAY instead of reporting it.
    GoAwayDebugDropped = "goaway-debug-dropped", Input, ["GOAWAY-9", "GOAWAY-4"];
    /// Drops incoming RST frames: a reset stream stays open.
    RstIgnored = "rst-ignored", Input, ["RST-4"];
    /// Reports an unassigned RST error code as UNKNOWN (0xff) instead of unchanged.
    UnknownRstCodeCollapsed = "unknown-rst-code-collapsed", Input, ["ERR-1", "RST-3"];
    /// Answers a window overrun with RST PROTOCOL_ERROR instead of FLOW_CONTROL_ERROR.
    OverrunCodeWrong = "overrun-code-wrong", Output, ["FLOW-4", "ERR-3"];
    /// Refuses a stream for a full backlog with STREAM_REFUSED instead of ACCEPT_QUEUE_FULL.
    BacklogCodeWrong = "backlog-code-wrong", Output, ["STREAM-5"];
    /// Never sends RST STREAM_CLOSED: DATA on unknown or finished streams is dropped silently.
    NoStreamClosedRst = "no-stream-closed-rst", Output, ["STREAM-8"];
    /// Sends every GOAWAY with NO_ERROR, whatever the violation that ended the session.
    GoAwayAlwaysNoError = "goaway-always-no-error", Output, ["FRAME-8", "ERR-3"];
    /// Reports a frame of the wrong length with PROTOCOL_ERROR instead of FRAME_SIZE_ERROR.
    FrameSizeCodeWrong = "frame-size-code-wrong", Output, ["ERR-3", "RST-1"];
    /// Names the next stream id it expected (last accepted + 2) in GOAWAY, not the last accepted.
    GoAwayLastStreamOffByTwo = "goaway-last-stream-off-by-two", Output, ["GOAWAY-5"];
    /// Leaves the SYN flag off the first frame of a stream it opens.
    SynMissing = "syn-missing", Output, ["STREAM-1", "STREAM-2"];
    /// Flushes a last byte of DATA when a stream it already half-closed is closed: bytes
    /// after its own FIN.
    DataAfterFin = "data-after-fin", Output, ["STREAM-12"];
    /// Credits one byte more than the application consumed, in every WNDINC.
    CreditOffByOne = "credit-off-by-one", Output, ["FLOW-6"];
    /// Never sends WNDINC: a peer that used its window waits forever.
    NoCredit = "no-credit", Output, ["FLOW-6"];
    /// Buffers one byte more than its window W before reporting an overrun, and sends W + 1.
    WindowOffByOne = "window-off-by-one", Config, ["FLOW-4", "FLOW-3"];
    /// Holds one stream more than its accept backlog B before refusing.
    BacklogOffByOne = "backlog-off-by-one", Config, ["LIMIT-3", "STREAM-5"];
    /// Has no bound on the streams the peer holds open (Go's behaviour).
    StreamLimitIgnored = "stream-limit-ignored", Config, ["LIMIT-2"];
    /// Has no bound on the GOAWAY debug data it keeps.
    DebugLimitIgnored = "debug-limit-ignored", Config, ["LIMIT-4"];
    /// Ignores end-of-file on the transport: the session never ends with PEER_EOF.
    EofIgnored = "eof-ignored", Driver, ["SESSION-3"];
    /// Keeps reading while the frames it must send pile up: no backpressure, an unbounded queue.
    BackpressureMissing = "backpressure-missing", Driver, ["LIMIT-6"];
    /// Its heartbeat requester ignores a wrong echo and goes on beating.
    HeartbeatEchoUnchecked = "heartbeat-echo-unchecked", Driver, ["HEARTBEAT-4"];
    /// Its agent runs each command at once, without waiting for the transport bytes the
    /// command's `after` counts.
    AfterIgnored = "after-ignored", Driver, ["AGENT-3"];
    /// Loses the FIN of a frame that also carries SYN: the stream never ends.
    SynFinDropped = "syn-fin-dropped", Source, ["DATA-3", "STREAM-6"];
    /// Reads report end-of-stream as soon as the peer's FIN arrived, bytes still unread: data loss.
    EofBeforeBytes = "eof-before-bytes", Source, ["STREAM-6"];
    /// Credits bytes as they arrive, before the application consumed them.
    CreditOnArrival = "credit-on-arrival", Source, ["FLOW-7"];
    /// Takes a DATA frame that exactly fills the window for an overrun.
    OverrunAtWindow = "overrun-at-window", Source, ["FLOW-4"];
    /// Names in GOAWAY the highest id of every stream, its own included, not the peer's last accepted.
    GoAwayLastAnyStream = "goaway-last-any-stream", Source, ["GOAWAY-5"];
    /// Answers an RST for an unknown stream with RST STREAM_CLOSED.
    RstAnswersRst = "rst-answers-rst", Source, ["RST-5"];
    /// Sets SYN on every frame of a write, not only the stream's first.
    SynEveryFrame = "syn-every-frame", Source, ["STREAM-2"];
    /// Forgets a stream when it half-closes it, though the peer may still send.
    ForgetAfterOwnFin = "forget-after-own-fin", Source, ["STREAM-6", "STREAM-10"];
    /// Hands over the newest stream on accept, not the oldest.
    AcceptNewestFirst = "accept-newest-first", Source, ["STREAM-4"];
    /// Keeps its streams above a received GOAWAY's last stream id open.
    GoAwayKeepsUnseen = "goaway-keeps-unseen", Source, ["GOAWAY-7"];
    /// Advances its stream ids by 4.
    IdsStepFour = "ids-step-four", Source, ["ID-4"];
    /// Counts its own streams against the peer's stream bound.
    StreamLimitCountsOwn = "stream-limit-counts-own", Source, ["LIMIT-2"];
    /// Buffers DATA that arrives after the peer's FIN instead of answering RST STREAM_CLOSED.
    DataAfterFinBuffered = "data-after-fin-buffered", Source, ["STREAM-8"];
    /// Answers a zero-length DATA+FIN for an unknown stream with RST.
    EmptyFinAnswered = "empty-fin-answered", Source, ["STREAM-7"];
    /// Treats a WNDINC for an unknown stream as a connection error.
    WndIncUnknownFatal = "wndinc-unknown-fatal", Source, ["WNDINC-5"];
    /// Still accepts SYNs after it sent GOAWAY.
    GoAwaySentAcceptsSyn = "goaway-sent-accepts-syn", Source, ["GOAWAY-8"];
    /// Lets the application open streams after the session ended.
    ErrorNotSticky = "error-not-sticky", Source, ["SESSION-4"];
    /// Sends no FIN when the application closes a stream.
    CloseWithoutFin = "close-without-fin", Source, ["STREAM-9"];
}

impl Mutant {
    /// The mutant called `name`, if any.
    pub fn from_name(name: &str) -> Option<Mutant> {
        Mutant::ALL.iter().copied().find(|m| m.name() == name)
    }

    /// The mutant `MUXADO_MUTANT` names: `None` when it is unset or empty, an error when it
    /// names none.
    pub fn from_env() -> Result<Option<Mutant>, String> {
        match std::env::var(ENV) {
            Err(_) => Ok(None),
            Ok(name) if name.is_empty() => Ok(None),
            Ok(name) => Mutant::from_name(&name).map(Some).ok_or_else(|| {
                let names: Vec<&str> = Mutant::ALL.iter().map(|m| m.name()).collect();
                format!(
                    "{ENV}={name:?} names no mutant; one of {}",
                    names.join(", ")
                )
            }),
        }
    }

    /// The session configuration the mutant runs with.
    fn configure(self, mut config: Config) -> Config {
        match self {
            Mutant::WindowOffByOne => config.max_window_size += 1,
            Mutant::BacklogOffByOne => config.accept_backlog += 1,
            Mutant::StreamLimitIgnored => config.max_streams = usize::MAX,
            Mutant::DebugLimitIgnored => config.max_goaway_debug = usize::MAX,
            Mutant::SynFinDropped => config.mutation = Some(Mutation::SynFinDropped),
            Mutant::EofBeforeBytes => config.mutation = Some(Mutation::EofBeforeBytes),
            Mutant::CreditOnArrival => config.mutation = Some(Mutation::CreditOnArrival),
            Mutant::OverrunAtWindow => config.mutation = Some(Mutation::OverrunAtWindow),
            Mutant::GoAwayLastAnyStream => config.mutation = Some(Mutation::GoAwayLastAnyStream),
            Mutant::RstAnswersRst => config.mutation = Some(Mutation::RstAnswersRst),
            Mutant::SynEveryFrame => config.mutation = Some(Mutation::SynEveryFrame),
            Mutant::ForgetAfterOwnFin => config.mutation = Some(Mutation::ForgetAfterOwnFin),
            Mutant::AcceptNewestFirst => config.mutation = Some(Mutation::AcceptNewestFirst),
            Mutant::GoAwayKeepsUnseen => config.mutation = Some(Mutation::GoAwayKeepsUnseen),
            Mutant::IdsStepFour => config.mutation = Some(Mutation::IdsStepFour),
            Mutant::StreamLimitCountsOwn => config.mutation = Some(Mutation::StreamLimitCountsOwn),
            Mutant::DataAfterFinBuffered => config.mutation = Some(Mutation::DataAfterFinBuffered),
            Mutant::EmptyFinAnswered => config.mutation = Some(Mutation::EmptyFinAnswered),
            Mutant::WndIncUnknownFatal => config.mutation = Some(Mutation::WndIncUnknownFatal),
            Mutant::GoAwaySentAcceptsSyn => config.mutation = Some(Mutation::GoAwaySentAcceptsSyn),
            Mutant::ErrorNotSticky => config.mutation = Some(Mutation::ErrorNotSticky),
            Mutant::CloseWithoutFin => config.mutation = Some(Mutation::CloseWithoutFin),
            _ => {}
        }
        config
    }
}

const RST: u8 = FrameType::RST.get();
const DATA: u8 = FrameType::DATA.get();
const WNDINC: u8 = FrameType::WNDINC.get();
const GOAWAY: u8 = FrameType::GOAWAY.get();
const FIN: u8 = Flags::FIN.get();
const SYN: u8 = Flags::SYN.get();

/// One whole frame's bytes, read and rewritten in place (SPEC section 3: 24-bit length, type
/// and flags nibbles, stream id word, body).
struct RawFrame(Vec<u8>);

impl RawFrame {
    fn frame_type(&self) -> u8 {
        self.0[3] >> 4
    }

    fn flags(&self) -> u8 {
        self.0[3] & 0x0f
    }

    fn set_flags(&mut self, flags: u8) {
        self.0[3] = self.0[3] & 0xf0 | flags;
    }

    fn stream_id(&self) -> u32 {
        self.word(4) & 0x7fff_ffff
    }

    /// The 32-bit word at `at` (8: the first body word).
    fn word(&self, at: usize) -> u32 {
        let bytes = self.0[at..at + 4].try_into().expect("a whole frame");
        u32::from_be_bytes(bytes)
    }

    fn set_word(&mut self, at: usize, value: u32) {
        self.0[at..at + 4].copy_from_slice(&value.to_be_bytes());
    }

    fn is(&self, frame_type: u8) -> bool {
        self.frame_type() == frame_type
    }
}

/// The reference session with a mutant's bug, as an [`Iut`]: what the reference agent drives.
/// Without a mutant it is the reference session, byte for byte.
pub struct MutantIut {
    inner: Offline,
    mutant: Option<Mutant>,
    role: Role,
    /// Incoming bytes not yet passed on: the start of a frame the mutant may rewrite.
    pending: Vec<u8>,
    /// Bytes of an incoming frame the mutant leaves alone, still to pass on as they come.
    passing: usize,
    /// A frame broke a rule: everything from there on passes untouched.
    untouched: bool,
    /// Outgoing bytes, rewritten, not yet taken by [`Iut::sent`].
    out: Vec<u8>,
    /// Streams this side sent FIN on.
    fin_sent: HashSet<u32>,
}

impl MutantIut {
    /// A reference session in `role` with `config`, broken as `mutant` says.
    pub fn new(
        role: Role,
        config: Config,
        extensions: Extensions,
        mutant: Option<Mutant>,
    ) -> MutantIut {
        let config = match mutant {
            Some(m) => m.configure(config),
            None => config,
        };
        MutantIut {
            inner: Offline::with(role, config, extensions),
            mutant,
            role,
            pending: Vec::new(),
            passing: 0,
            untouched: false,
            out: Vec::new(),
            fin_sent: HashSet::new(),
        }
    }

    /// Moves the session's clock (see [`Offline::set_time`]).
    pub fn set_time(&mut self, now: std::time::Duration) {
        self.inner.set_time(now);
    }

    /// Whether the driver should read more transport bytes now ([`Offline::wants_input`]).
    pub fn wants_input(&self) -> bool {
        self.mutant == Some(Mutant::BackpressureMissing) || self.inner.wants_input()
    }

    /// Whether the session has ended ([`Offline::ended`]).
    pub fn ended(&self) -> bool {
        self.inner.ended()
    }

    /// Whether the session has ended with nothing left to send.
    pub fn finished(&self) -> bool {
        self.out.is_empty() && self.inner.finished()
    }

    fn site(&self) -> Option<Site> {
        self.mutant.map(Mutant::site)
    }

    /// Whether the mutant rewrites an incoming frame with this type, flags and stream id.
    fn takes(&self, frame_type: u8, flags: u8, stream_id: u32) -> bool {
        let Some(mutant) = self.mutant else {
            return false;
        };
        match mutant {
            Mutant::IgnoreFin => frame_type == DATA && flags & FIN != 0,
            Mutant::ZeroIncrementAccepted => frame_type == WNDINC,
            Mutant::UnknownTypeFatal => frame_type > GOAWAY,
            Mutant::ParityUnchecked => {
                // The peer opens ids of the other parity: a SYN with ours is the violation.
                let ours_odd = self.role == Role::Client;
                frame_type == DATA && flags & SYN != 0 && (stream_id & 1 == 1) == ours_odd
            }
            Mutant::GoAwayIgnored | Mutant::GoAwayDebugDropped => frame_type == GOAWAY,
            Mutant::RstIgnored | Mutant::UnknownRstCodeCollapsed => frame_type == RST,
            _ => false,
        }
    }

    /// The bytes the session gets instead of a whole incoming frame the mutant takes.
    fn rewrite_in(&self, mut frame: RawFrame) -> Vec<u8> {
        match self.mutant {
            Some(Mutant::IgnoreFin) => frame.set_flags(frame.flags() & !FIN),
            Some(Mutant::ZeroIncrementAccepted) if frame.word(8) & 0x7fff_ffff == 0 => {
                frame.set_word(8, 1);
            }
            // An unknown type read as a frame the session rejects: DATA on stream 0.
            Some(Mutant::UnknownTypeFatal) => return vec![0, 0, 0, DATA << 4, 0, 0, 0, 0],
            Some(Mutant::ParityUnchecked | Mutant::GoAwayIgnored | Mutant::RstIgnored) => {
                return Vec::new();
            }
            Some(Mutant::GoAwayDebugDropped) => {
                frame.0.truncate(16);
                frame.0[..3].copy_from_slice(&[0, 0, 8]);
            }
            Some(Mutant::UnknownRstCodeCollapsed) if ErrorCode(frame.word(8)).name().is_none() => {
                frame.set_word(8, ErrorCode::UNKNOWN.0);
            }
            _ => {}
        }
        frame.0
    }

    /// Passes incoming bytes to the session, whole frames the mutant takes rewritten.
    fn take_in(&mut self, bytes: &[u8]) -> Result<(), String> {
        if self.site() != Some(Site::Input) {
            return self.inner.recv(bytes);
        }
        self.pending.extend_from_slice(bytes);
        let mut through = Vec::new();
        loop {
            if self.untouched {
                through.append(&mut self.pending);
            }
            if self.passing > 0 {
                let n = self.passing.min(self.pending.len());
                through.extend(self.pending.drain(..n));
                self.passing -= n;
            }
            if self.pending.is_empty() || self.passing > 0 {
                break;
            }
            let header = match decode_header(&self.pending) {
                Ok(header) => header,
                Err(DecodeError::Incomplete { .. }) => break,
                // The session reports the violation itself, from the same bytes.
                Err(DecodeError::Violation(_)) => {
                    self.untouched = true;
                    continue;
                }
            };
            let len = 8 + header.length as usize;
            let takes = self.takes(
                header.frame_type.get(),
                header.flags.get(),
                header.stream_id.get(),
            );
            if !takes {
                self.passing = len;
                continue;
            }
            if self.pending.len() < len {
                break;
            }
            let frame = RawFrame(self.pending.drain(..len).collect());
            let rewritten = self.rewrite_in(frame);
            // A frame that still breaks a body rule (a zero increment the mutant left
            // alone) ends the rewriting, as a violation in the header does.
            if muxado_reference::frame::decode_frame(&rewritten).is_err() {
                self.untouched = true;
            }
            through.extend(rewritten);
        }
        if through.is_empty() {
            Ok(())
        } else {
            self.inner.recv(&through)
        }
    }

    /// The frame the session sent, as the mutant sends it (or nothing).
    fn rewrite_out(&mut self, mut frame: RawFrame) -> Vec<u8> {
        let Some(mutant) = self.mutant else {
            return frame.0;
        };
        let code = |f: &RawFrame, at| ErrorCode(f.word(at));
        match mutant {
            Mutant::OverrunCodeWrong
                if frame.is(RST) && code(&frame, 8) == ErrorCode::FLOW_CONTROL_ERROR =>
            {
                frame.set_word(8, ErrorCode::PROTOCOL_ERROR.0);
            }
            Mutant::BacklogCodeWrong
                if frame.is(RST) && code(&frame, 8) == ErrorCode::ACCEPT_QUEUE_FULL =>
            {
                frame.set_word(8, ErrorCode::STREAM_REFUSED.0);
            }
            Mutant::NoStreamClosedRst
                if frame.is(RST) && code(&frame, 8) == ErrorCode::STREAM_CLOSED =>
            {
                return Vec::new();
            }
            Mutant::GoAwayAlwaysNoError if frame.is(GOAWAY) => {
                frame.set_word(12, ErrorCode::NO_ERROR.0);
            }
            Mutant::FrameSizeCodeWrong
                if frame.is(GOAWAY) && code(&frame, 12) == ErrorCode::FRAME_SIZE_ERROR =>
            {
                frame.set_word(12, ErrorCode::PROTOCOL_ERROR.0);
            }
            Mutant::GoAwayLastStreamOffByTwo if frame.is(GOAWAY) => {
                frame.set_word(8, frame.word(8).wrapping_add(2));
            }
            Mutant::SynMissing if frame.is(DATA) => frame.set_flags(frame.flags() & !SYN),
            Mutant::CreditOffByOne if frame.is(WNDINC) => {
                frame.set_word(8, frame.word(8).wrapping_add(1))
            }
            Mutant::NoCredit if frame.is(WNDINC) => return Vec::new(),
            _ => {}
        }
        if frame.is(DATA) && frame.flags() & FIN != 0 {
            self.fin_sent.insert(frame.stream_id());
        }
        frame.0
    }

    /// Takes what the session sent into `out`, rewritten.
    fn pump(&mut self) -> Result<(), String> {
        let bytes = self.inner.sent(&mut |_| true)?;
        if self.site() != Some(Site::Output) {
            self.out.extend(bytes);
            return Ok(());
        }
        let mut at = 0;
        while at < bytes.len() {
            // The reference sends whole, valid frames; anything else passes as it is.
            let Ok(header) = decode_header(&bytes[at..]) else {
                self.out.extend_from_slice(&bytes[at..]);
                break;
            };
            let end = (at + 8 + header.length as usize).min(bytes.len());
            let frame = self.rewrite_out(RawFrame(bytes[at..end].to_vec()));
            self.out.extend(frame);
            at = end;
        }
        Ok(())
    }
}

impl Iut for MutantIut {
    fn recv(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.take_in(bytes)
    }

    fn recv_eof(&mut self) -> Result<(), String> {
        if self.mutant == Some(Mutant::EofIgnored) {
            return Ok(());
        }
        self.inner.recv_eof()
    }

    fn advance(&mut self, ms: u64) -> Result<(), String> {
        self.inner.advance(ms)
    }

    fn open(&mut self) -> Call<u32> {
        self.inner.open()
    }

    fn accept(&mut self) -> Call<Option<u32>> {
        self.inner.accept()
    }

    fn open_typed(&mut self, stream_type: u32) -> Call<u32> {
        self.inner.open_typed(stream_type)
    }

    fn accept_typed(&mut self) -> Call<Option<(u32, u32)>> {
        self.inner.accept_typed()
    }

    fn write(&mut self, id: u32, data: &[u8]) -> Call<usize> {
        self.inner.write(id, data)
    }

    fn read(&mut self, id: u32, max: usize) -> Call<ReadResult> {
        self.inner.read(id, max)
    }

    fn close_write(&mut self, id: u32) -> Call<()> {
        self.inner.close_write(id)
    }

    fn close_stream(&mut self, id: u32) -> Call<()> {
        if self.mutant != Some(Mutant::DataAfterFin) {
            return self.inner.close_stream(id);
        }
        self.pump()?;
        let fin_before = self.fin_sent.contains(&id);
        self.inner.close_stream(id)?.map_err(|e| e.message)?;
        if fin_before {
            // One byte of DATA, no flags, after the FIN.
            self.out.extend_from_slice(&[0, 0, 1, DATA << 4]);
            self.out.extend_from_slice(&id.to_be_bytes());
            self.out.push(b'x');
        }
        Ok(Ok(()))
    }

    fn reset(&mut self, id: u32, code: u32) -> Call<()> {
        self.inner.reset(id, code)
    }

    fn go_away(&mut self, code: u32, debug: &[u8]) -> Call<()> {
        self.inner.go_away(code, debug)
    }

    fn close(&mut self) -> Result<(), String> {
        self.inner.close()
    }

    fn sent(&mut self, _enough: Enough<'_>) -> Result<Vec<u8>, String> {
        self.pump()?;
        Ok(std::mem::take(&mut self.out))
    }

    fn session(&mut self) -> Result<SessionState, String> {
        self.inner.session()
    }

    fn heartbeat(&mut self, interval: Duration, tolerance: Duration) -> Call<()> {
        self.inner.echo_unchecked = self.mutant == Some(Mutant::HeartbeatEchoUnchecked);
        self.inner.heartbeat(interval, tolerance)
    }

    fn flood(&mut self, next: &mut dyn FnMut() -> Vec<u8>, count: u64) -> Result<Flooded, String> {
        let mut flooded = Flooded::default();
        while flooded.sent < count {
            if !self.wants_input() {
                flooded.pushed_back = true;
                break;
            }
            self.recv(&next())?;
            flooded.sent += 1;
        }
        flooded.replies = self.sent(&mut |_| true)?;
        Ok(flooded)
    }
}
