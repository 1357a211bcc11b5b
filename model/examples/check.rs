//! Runs the checker at a named bound and prints states, time and any counterexample as a frame
//! log: `cargo run --release -p muxado-model --example check -- [default|medium|deep] [threads]
//! [dfs|bfs] [MUTATION@client|server|both]`. Depth-first search (the default here) keeps only the path and the fingerprints
//! seen; breadth-first keeps every frontier state whole, which deep bounds cannot afford, but
//! finds the shortest counterexample.
//!
//! A counterexample is also written as two session vectors (one with each side as the
//! implementation under test) under `target/model-counterexamples/`, ready to replay with
//! `muxado-vectors` and to review for `vectors/sessions/`.

use std::time::{Duration, Instant};

use muxado_model::{Bounds, Mutation, MuxadoModel, Peer, Placement};
use stateright::{Checker, Model};

fn main() {
    let mut args = std::env::args().skip(1);
    let bound = args.next().unwrap_or_else(|| "default".into());
    let threads: usize = args.next().map_or(1, |t| t.parse().expect("threads"));
    let dfs = args.next().is_none_or(|s| s == "dfs");
    let bounds = match bound.as_str() {
        "default" => Bounds::default(),
        "deep" => Bounds::deep(),
        "medium" => Bounds::medium(),
        other => panic!("unknown bound {other}: default, medium or deep"),
    };
    println!("bound {bound}: {bounds:?}");
    let mut model = MuxadoModel::new(bounds);
    if let Some(mutant) = args.next() {
        // A seeded bug of the reference, to see the checker's counterexample for it.
        let (name, side) = mutant.split_once('@').unwrap_or((&mutant, "both"));
        let mutation = *Mutation::ALL
            .iter()
            .find(|m| format!("{m:?}") == name)
            .unwrap_or_else(|| panic!("unknown mutation {name}: one of {:?}", Mutation::ALL));
        let placement = match side {
            "client" => Placement::Client,
            "server" => Placement::Server,
            "both" => Placement::Both,
            other => panic!("unknown side {other}: client, server or both"),
        };
        println!("playing {mutation:?} in {side}");
        model = model.with_mutation(mutation, placement);
    }
    let start = Instant::now();
    let builder = model.clone().checker().threads(threads);
    let failed = if dfs {
        report(&model, builder.spawn_dfs().join(), start.elapsed(), threads)
    } else {
        report(&model, builder.spawn_bfs().join(), start.elapsed(), threads)
    };
    if failed {
        std::process::exit(1);
    }
}

fn report(
    model: &MuxadoModel,
    checker: impl Checker<MuxadoModel>,
    took: Duration,
    threads: usize,
) -> bool {
    println!(
        "{} unique states ({} generated), max depth {}, {:.1} s on {threads} thread(s)",
        checker.unique_state_count(),
        checker.state_count(),
        checker.max_depth(),
        took.as_secs_f64()
    );
    let mut failed = false;
    for property in model.properties() {
        let found = checker.discovery(property.name);
        let ok = found.is_some() != property.expectation.discovery_is_failure();
        let verdict = if ok { "ok  " } else { "FAIL" };
        println!("{verdict} {:?} {}", property.expectation, property.name);
        if let Some(path) = found.filter(|_| !ok) {
            failed = true;
            let actions = path.into_actions();
            for line in model.frame_log(&actions) {
                println!("    {line}");
            }
            write_vectors(model, &actions, property.name);
        }
    }
    failed
}

/// Writes the counterexample as a session vector from each side's point of view.
fn write_vectors(model: &MuxadoModel, actions: &[<MuxadoModel as Model>::Action], property: &str) {
    let dir = std::path::Path::new("target/model-counterexamples");
    std::fs::create_dir_all(dir).expect("create target/model-counterexamples");
    let slug: String = property
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let ids: Vec<&str> = property
        .split(['[', ']'])
        .filter(|part| {
            part.contains('-')
                && part
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
        })
        .collect();
    let slug = slug
        .split('-')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    for (iut, side) in [(Peer::Client, "client"), (Peer::Server, "server")] {
        let id = format!("model-{slug}-{side}");
        let description = format!("model counterexample to: {property} (the {side} under test)");
        let vector = model.session_vector(actions, iut, &id, &description, &ids);
        let file = dir.join(format!("{id}.json"));
        std::fs::write(
            &file,
            model.session_vector_file("model counterexample", vector),
        )
        .expect("write the counterexample vector");
        println!("    vector: {}", file.display());
    }
}
