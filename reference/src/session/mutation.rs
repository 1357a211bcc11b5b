//! Test-only, feature `mutants`: deliberate bugs in the session's own logic, for testing the
//! tests (the conformance suite must catch each at MUST level; `conformance/tests/mutants.rs`
//! asserts it). Without the feature none of this exists and every `mutated!` site is the
//! constant `false`. With it a site is active only when [`super::Config::mutation`] names it.
//!
//! Each is a small bug of a kind found in real multiplexers: a flag lost, a state transition
//! skipped, an off-by-one, an order swapped, a field computed from the wrong set.

/// A bug in the session's logic; each variant's doc says where, and the requirement it breaks.
#[cfg(feature = "mutants")]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mutation {
    /// The FIN of a frame that also carries SYN is lost ([DATA-3], [STREAM-6]).
    SynFinDropped,
    /// A read reports end-of-stream once the peer's FIN arrived, bytes still buffered
    /// ([STREAM-6]).
    EofBeforeBytes,
    /// Bytes are credited as they arrive, before the application read them ([FLOW-7]).
    CreditOnArrival,
    /// A DATA frame that exactly fills the window is taken for an overrun ([FLOW-4]).
    OverrunAtWindow,
    /// GOAWAY names the highest stream id of every stream, its own included ([GOAWAY-5]).
    GoAwayLastAnyStream,
    /// An RST for an unknown stream is answered with RST `STREAM_CLOSED` ([RST-5]).
    RstAnswersRst,
    /// Every DATA frame of a write carries SYN, not only the stream's first ([STREAM-2]).
    SynEveryFrame,
    /// Half-closing forgets the stream at once, though the peer's half is open ([STREAM-6],
    /// [STREAM-10]).
    ForgetAfterOwnFin,
    /// `accept` hands over the newest stream, not the oldest ([STREAM-4]).
    AcceptNewestFirst,
    /// A received GOAWAY leaves the streams above its last stream id open ([GOAWAY-7]).
    GoAwayKeepsUnseen,
    /// Stream ids advance by 4 ([ID-4]).
    IdsStepFour,
    /// The stream bound counts this side's own streams too ([LIMIT-2]).
    StreamLimitCountsOwn,
    /// DATA after the peer's FIN is buffered instead of answered with RST `STREAM_CLOSED`
    /// ([STREAM-8]).
    DataAfterFinBuffered,
    /// A zero-length DATA with FIN for an unknown stream is answered with RST ([STREAM-7]).
    EmptyFinAnswered,
    /// A WNDINC for an unknown stream is a connection error ([WNDINC-5]).
    WndIncUnknownFatal,
    /// After sending GOAWAY, SYNs are still accepted ([GOAWAY-8]).
    GoAwaySentAcceptsSyn,
    /// After the session ended, `open` still succeeds ([SESSION-4]).
    ErrorNotSticky,
    /// Closing a stream sends no FIN ([STREAM-9]).
    CloseWithoutFin,
}

#[cfg(feature = "mutants")]
impl Mutation {
    /// Every mutation, for tools that pick one by name.
    pub const ALL: [Mutation; 18] = [
        Mutation::SynFinDropped,
        Mutation::EofBeforeBytes,
        Mutation::CreditOnArrival,
        Mutation::OverrunAtWindow,
        Mutation::GoAwayLastAnyStream,
        Mutation::RstAnswersRst,
        Mutation::SynEveryFrame,
        Mutation::ForgetAfterOwnFin,
        Mutation::AcceptNewestFirst,
        Mutation::GoAwayKeepsUnseen,
        Mutation::IdsStepFour,
        Mutation::StreamLimitCountsOwn,
        Mutation::DataAfterFinBuffered,
        Mutation::EmptyFinAnswered,
        Mutation::WndIncUnknownFatal,
        Mutation::GoAwaySentAcceptsSyn,
        Mutation::ErrorNotSticky,
        Mutation::CloseWithoutFin,
    ];
}

/// Whether `$session`'s configuration activates mutation `$m` (always `false` without the
/// `mutants` feature).
macro_rules! mutated {
    ($session:expr, $m:ident) => {{
        #[cfg(feature = "mutants")]
        let on = $session.config.mutation == Some($crate::session::mutation::Mutation::$m);
        #[cfg(not(feature = "mutants"))]
        let on = false;
        on
    }};
}
pub(crate) use mutated;
