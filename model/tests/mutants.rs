//! The checker catches the reference's source-level mutants (`session::mutation`) that break a
//! property it checks, each with a counterexample printed as a frame log; the mutants it cannot
//! see between two reference sessions are listed with the reason.

use muxado_model::{
    Bounds, Menu, Mutation, MuxadoModel, P_ACCEPT_ORDER, P_AGREE, P_CREDIT, P_ENDED, P_EOF,
    P_GOAWAY_FAILS, P_GOAWAY_LAST, P_GOAWAY_REFUSES, P_HELD, P_IDS, P_NO_ANSWER, P_NO_ERROR,
    P_REFUSAL, P_SYN, Placement,
};
use stateright::{Checker, HasDiscoveries, Model};

/// The default bound: one stream each way, every action on the menu (`default_bound_holds`
/// checks it without mutation).
fn small() -> Bounds {
    Bounds::default()
}

/// Two streams from the client, so that order and id steps show.
fn two_client_streams() -> Bounds {
    Bounds {
        streams: [2, 0],
        accept_backlog: 2,
        bytes_per_stream: 1,
        write_sizes: vec![1],
        app_actions: 4,
        menu: Menu {
            close_write: false,
            close_stream: false,
            reset: false,
            go_away: false,
            close: false,
        },
        ..Bounds::default()
    }
}

/// Runs the checker until `property` fails; returns its counterexample as a frame log.
fn counterexample(model: MuxadoModel, property: &'static str) -> Option<Vec<String>> {
    model
        .shortest_counterexample(property)
        .map(|path| model.frame_log(&path))
}

fn assert_caught(mutation: Mutation, placement: Placement, bounds: Bounds, property: &'static str) {
    let model = MuxadoModel::new(bounds).with_mutation(mutation, placement);
    let log = counterexample(model, property)
        .unwrap_or_else(|| panic!("{mutation:?} not caught: no counterexample to {property}"));
    eprintln!("{mutation:?} breaks {property}:\n  {}", log.join("\n  "));
    assert!(
        log.last().is_some_and(|l| l.starts_with("VIOLATED")),
        "{log:?}"
    );
}

/// checks: [STREAM-6]
#[test]
fn eof_before_bytes() {
    assert_caught(Mutation::EofBeforeBytes, Placement::Server, small(), P_EOF);
}

/// checks: [FLOW-7]
#[test]
fn credit_on_arrival() {
    assert_caught(
        Mutation::CreditOnArrival,
        Placement::Server,
        small(),
        P_CREDIT,
    );
}

/// checks: [FLOW-4]
#[test]
fn overrun_at_window() {
    assert_caught(
        Mutation::OverrunAtWindow,
        Placement::Server,
        small(),
        P_NO_ERROR,
    );
}

/// checks: [GOAWAY-5]
#[test]
fn go_away_last_any_stream() {
    assert_caught(
        Mutation::GoAwayLastAnyStream,
        Placement::Server,
        small(),
        P_GOAWAY_LAST,
    );
}

/// checks: [RST-5]
#[test]
fn rst_answers_rst() {
    assert_caught(
        Mutation::RstAnswersRst,
        Placement::Server,
        small(),
        P_NO_ANSWER,
    );
}

/// checks: [STREAM-2]
#[test]
fn syn_every_frame() {
    assert_caught(Mutation::SynEveryFrame, Placement::Client, small(), P_SYN);
}

/// checks: [STREAM-6] [STREAM-10]
#[test]
fn forget_after_own_fin() {
    assert_caught(
        Mutation::ForgetAfterOwnFin,
        Placement::Client,
        small(),
        P_HELD,
    );
}

/// checks: [STREAM-4]
#[test]
fn accept_newest_first() {
    let bounds = two_client_streams();
    assert_caught(
        Mutation::AcceptNewestFirst,
        Placement::Server,
        bounds,
        P_ACCEPT_ORDER,
    );
}

/// checks: [GOAWAY-7]
#[test]
fn go_away_keeps_unseen() {
    assert_caught(
        Mutation::GoAwayKeepsUnseen,
        Placement::Client,
        small(),
        P_GOAWAY_FAILS,
    );
}

/// checks: [ID-4]
#[test]
fn ids_step_four() {
    assert_caught(
        Mutation::IdsStepFour,
        Placement::Client,
        two_client_streams(),
        P_IDS,
    );
}

/// checks: [LIMIT-2]
#[test]
fn stream_limit_counts_own() {
    let bounds = Bounds {
        max_streams: 1,
        ..small()
    };
    assert_caught(
        Mutation::StreamLimitCountsOwn,
        Placement::Server,
        bounds,
        P_REFUSAL,
    );
}

/// checks: [STREAM-7]
#[test]
fn empty_fin_answered() {
    assert_caught(
        Mutation::EmptyFinAnswered,
        Placement::Server,
        small(),
        P_NO_ANSWER,
    );
}

/// checks: [WNDINC-5]
#[test]
fn wnd_inc_unknown_fatal() {
    assert_caught(
        Mutation::WndIncUnknownFatal,
        Placement::Client,
        small(),
        P_NO_ERROR,
    );
}

/// checks: [GOAWAY-8]
#[test]
fn go_away_sent_accepts_syn() {
    assert_caught(
        Mutation::GoAwaySentAcceptsSyn,
        Placement::Server,
        small(),
        P_GOAWAY_REFUSES,
    );
}

/// checks: [SESSION-4]
#[test]
fn error_not_sticky() {
    assert_caught(
        Mutation::ErrorNotSticky,
        Placement::Client,
        small(),
        P_ENDED,
    );
}

/// checks: [STREAM-9]
#[test]
fn close_without_fin() {
    assert_caught(
        Mutation::CloseWithoutFin,
        Placement::Client,
        small(),
        P_AGREE,
    );
}

/// Mutants no conforming peer can provoke: a reference session never sends SYN and FIN on one
/// frame ([INTEROP-8]: `close_write` sends an empty SYN first), nor DATA after its FIN
/// ([STREAM-12]). The model, two reference sessions, cannot reach them; the conformance suite's
/// scripted peers do. Every property holds at the default bound with either mutant on both
/// sides.
///
/// checks: tooling
#[test]
fn unreachable_between_reference_sessions() {
    for mutation in [Mutation::SynFinDropped, Mutation::DataAfterFinBuffered] {
        let model = MuxadoModel::new(small()).with_mutation(mutation, Placement::Both);
        let checker = model
            .clone()
            .checker()
            .threads(2)
            .finish_when(HasDiscoveries::AnyFailures)
            .spawn_dfs()
            .join();
        for property in model.properties() {
            if property.expectation.discovery_is_failure() {
                assert!(
                    checker.discovery(property.name).is_none(),
                    "{mutation:?} was caught by {}: move it to the caught list",
                    property.name
                );
            }
        }
    }
}

/// The other bounds above find nothing without a mutation: a counterexample is the mutant's doing.
///
/// checks: tooling
#[test]
fn bounds_hold_without_mutation() {
    let limit = Bounds {
        max_streams: 1,
        ..small()
    };
    for bounds in [two_client_streams(), limit] {
        let model = MuxadoModel::new(bounds.clone());
        let checker = model.clone().checker().threads(2).spawn_dfs().join();
        for property in model.properties() {
            if property.expectation.discovery_is_failure() {
                let found = checker.discovery(property.name);
                let log = found.map(|path| model.frame_log(&path.into_actions()));
                assert!(log.is_none(), "{bounds:?}: {}: {log:#?}", property.name);
            }
        }
    }
}
