//! Counterexamples become session vectors: the shortest path to a mutant's violation, written
//! in the `vectors/sessions` format with the mutated side as the implementation under test,
//! passes against the conforming reference and fails against the mutant, offline, with the
//! runner of `muxado-vectors`. The files land in the test's temporary directory.

use muxado_model::{
    Action, Bounds, Mutation, MuxadoModel, P_AGREE, P_EOF, P_NO_ANSWER, P_SYN, Peer, Placement,
};
use muxado_reference::session::{Config, Role};
use muxado_vectors::session_model::SessionVector;
use muxado_vectors::session_run::{Extensions, Offline, run_script};

fn shortest(model: &MuxadoModel, property: &'static str) -> Vec<Action> {
    model
        .shortest_counterexample(property)
        .unwrap_or_else(|| panic!("no counterexample to {property}"))
}

fn reproduces(mutation: Mutation, iut: Peer, property: &'static str, requirements: &[&str]) {
    let placement = match iut {
        Peer::Client => Placement::Client,
        Peer::Server => Placement::Server,
    };
    let model = MuxadoModel::new(Bounds::default()).with_mutation(mutation, placement);
    let path = shortest(&model, property);
    let id = format!("model-{mutation:?}").to_lowercase();
    let description = format!("The model checker's shortest counterexample to: {property}.");
    let vector = model.session_vector(&path, iut, &id, &description, requirements);
    let file = model.session_vector_file("model counterexample", vector.clone());
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{id}.json"));
    std::fs::write(&out, &file).expect("write the vector");
    eprintln!("{mutation:?}: {}\n{file}", out.display());

    let vector: SessionVector = serde_json::from_value(vector).expect("a well-formed vector");
    let role = match iut {
        Peer::Client => Role::Client,
        Peer::Server => Role::Server,
    };
    let run = |config: Config| {
        let mut offline = Offline::with(role, config, Extensions::default());
        run_script(&vector, &mut offline)
    };
    let mut conforming = model.config(iut);
    conforming.mutation = None;
    if let Err(failure) = run(conforming) {
        panic!(
            "the reference fails its own vector: {}",
            failure.describe(&vector)
        );
    }
    match run(model.config(iut)) {
        Ok(_) => panic!("the vector does not reproduce {mutation:?} offline"),
        Err(failure) => eprintln!("{mutation:?} fails it:{}", failure.describe(&vector)),
    }
}

/// checks: [STREAM-6]
#[test]
fn eof_before_bytes_as_a_vector() {
    reproduces(Mutation::EofBeforeBytes, Peer::Server, P_EOF, &["STREAM-6"]);
}

/// checks: [RST-5]
#[test]
fn rst_answers_rst_as_a_vector() {
    reproduces(
        Mutation::RstAnswersRst,
        Peer::Server,
        P_NO_ANSWER,
        &["RST-5"],
    );
}

/// checks: [STREAM-2]
#[test]
fn syn_every_frame_as_a_vector() {
    reproduces(Mutation::SynEveryFrame, Peer::Client, P_SYN, &["STREAM-2"]);
}

/// checks: [STREAM-9]
#[test]
fn close_without_fin_as_a_vector() {
    reproduces(
        Mutation::CloseWithoutFin,
        Peer::Client,
        P_AGREE,
        &["STREAM-9"],
    );
}
