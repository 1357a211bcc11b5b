//! SPEC 6.2 checked against the model: every (stream state, frame) cell of
//! the table of reactions that the default bound reaches is checked by `P_TABLE` at every step
//! that reaches it; this test lists the cells reached, so that a change of the bound or of the
//! reference that stops reaching one is seen. Cells no conforming peer reaches (a SYN for a
//! known stream, DATA after the peer's own FIN) are the conformance suite's.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use muxado_model::{Bounds, Cell, Event, MuxadoModel, P_TABLE, StreamState};
use stateright::{Checker, Model};

/// checks: [STREAM-6] [STREAM-7] [STREAM-8] [RST-4] [RST-5] [WNDINC-5]
#[test]
fn reactions_follow_the_state_table() {
    let coverage = Arc::new(Mutex::new(BTreeSet::new()));
    let mut model = MuxadoModel::new(Bounds::default());
    model.coverage = Some(coverage.clone());
    let checker = model.clone().checker().threads(2).spawn_dfs().join();
    if let Some(path) = checker.discovery(P_TABLE) {
        panic!("{}", model.frame_log(&path.into_actions()).join("\n"));
    }
    let reached = coverage.lock().expect("coverage").clone();
    for cell in &reached {
        eprintln!("{cell:?}");
    }
    use Event::*;
    use StreamState::*;
    let expected: BTreeSet<Cell> = [
        (Idle, false, Syn),
        (Idle, false, EmptyFin),
        (Idle, false, Data),
        (Idle, false, Rst),
        (Idle, false, WndInc),
        (Idle, true, EmptyFin),
        (Idle, true, Rst),
        (Idle, true, WndInc),
        (Open, false, EmptyFin),
        (Open, false, Data),
        (Open, false, Rst),
        (Open, false, WndInc),
        (HalfClosedLocal, false, EmptyFin),
        (HalfClosedLocal, false, Data),
        (HalfClosedLocal, false, Rst),
        (HalfClosedLocal, false, WndInc),
        (HalfClosedRemote, false, Rst),
        (HalfClosedRemote, false, WndInc),
        (ClosedByFin, false, Rst),
        (ClosedByFin, false, WndInc),
        (Closed, false, EmptyFin),
        (Closed, false, Data),
        (Closed, false, Rst),
        (Closed, false, WndInc),
        (Closed, true, EmptyFin),
        (Closed, true, Data),
        (Closed, true, Rst),
        (Closed, true, WndInc),
    ]
    .into_iter()
    .collect();
    let missing: Vec<&Cell> = expected.difference(&reached).collect();
    assert!(missing.is_empty(), "cells no longer reached: {missing:?}");
}
