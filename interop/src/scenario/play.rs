//! Plays one side: the time limit, the linger around the session's end, and the dispatch to
//! the side of each scenario.

use std::time::Duration;

use muxado_reference::Role;
use muxado_reference::Session;
use serde_json::{Value, json};
use tokio::time::timeout;

use super::burst::{burst_client, burst_server};
use super::sides::{
    backlog_client, backlog_server, bulk_client, bulk_server, close_late_data_client,
    close_late_data_server, echo_client, expect_write_error, fin_first_reply_client,
    fin_first_reply_server, go_away_receiver, go_away_sender, half_close_client, half_close_server,
    heartbeat, heartbeat_silent_client, heartbeat_silent_server, hold_one_stream, reset_server,
    serve_echo, server_opens, typed_client, typed_server, typed_split_client, typed_split_server,
    window_mismatch_client,
};
use super::soak::{soak_client, soak_server};
use super::{Outcome, Params, pattern};

/// Plays the reference's side of `scenario` in `role` on `session`, within 30 s, with the
/// default [`Params`].
pub async fn play(scenario: &str, role: Role, session: Session) -> Outcome {
    play_with(scenario, role, session, &Params::default()).await
}

/// Plays the reference's side of `scenario` in `role` on `session` with `params`, within 30 s
/// plus [`Params::extra_time`].
pub async fn play_with(scenario: &str, role: Role, session: Session, params: &Params) -> Outcome {
    let ends_session = matches!(
        (scenario, role),
        ("goaway-from-server", Role::Server) | ("goaway-from-client", Role::Client)
    );
    let limit = Duration::from_secs(30) + params.extra_time(scenario);
    let played = timeout(limit, play_inner(scenario, role, session.clone(), params));
    let outcome = match played.await {
        Ok(outcome) => outcome,
        Err(_) => Outcome::fail(
            format!(
                "timeout: {scenario} as {role:?} did not finish in {} s",
                limit.as_secs()
            ),
            Value::Null,
        ),
    };
    // The client ends the session once it is done; a server that finished first waits for
    // that, so that closing its transport does not cut off what the client still reads.
    if role == Role::Server && !ends_session {
        let _ = timeout(Duration::from_secs(10), session.wait()).await;
    }
    // A passing client lingers 250 ms before its session ends (SCENARIOS.md): a server still
    // reading what the client sent last (`server-opens`) reads it before the session dies, since
    // Go fails even a stream closed by both FINs when the session ends before the application
    // has read the FIN's end-of-stream.
    if role == Role::Client && !ends_session && outcome.ok {
        let _ = timeout(Duration::from_millis(250), session.wait()).await;
    }
    outcome
}

async fn play_inner(scenario: &str, role: Role, session: Session, params: &Params) -> Outcome {
    let result = match (scenario, role) {
        ("echo", Role::Client) => echo_client(&session).await,
        ("echo", Role::Server) => serve_echo(&session, 256).await.map(|()| json!({})),
        ("bulk", Role::Client) => bulk_client(&session).await,
        ("bulk", Role::Server) => bulk_server(&session).await,
        ("half-close", Role::Client) => half_close_client(&session).await,
        ("half-close", Role::Server) => half_close_server(&session).await,
        ("server-opens", Role::Client) => serve_echo(&session, 3).await.map(|()| json!({})),
        ("server-opens", Role::Server) => server_opens(&session).await,
        ("reset", Role::Client) => {
            expect_write_error(&session, 7, pattern(3, 16 << 20), 64 * 1024, 0).await
        }
        ("reset", Role::Server) => reset_server(&session).await,
        ("close-late-data", Role::Client) => close_late_data_client(&session).await,
        ("close-late-data", Role::Server) => close_late_data_server(&session).await,
        ("goaway-from-server", Role::Server) | ("goaway-from-client", Role::Client) => {
            go_away_sender(&session, role).await
        }
        ("goaway-from-server", Role::Client) | ("goaway-from-client", Role::Server) => {
            go_away_receiver(
                &session,
                if role == Role::Client {
                    "server"
                } else {
                    "client"
                },
            )
            .await
        }
        ("backlog", Role::Client) => backlog_client(&session).await,
        ("backlog", Role::Server) => backlog_server(&session).await,
        ("typed", Role::Client) => typed_client(&session).await,
        ("typed", Role::Server) => typed_server(&session).await,
        ("typed-split-prefix", Role::Client) => typed_split_client(&session).await,
        ("typed-split-prefix", Role::Server) => typed_split_server(&session).await,
        ("heartbeat", _) => heartbeat(session.clone()).await,
        ("heartbeat-silent", Role::Client) => heartbeat_silent_client(session.clone()).await,
        ("heartbeat-silent", Role::Server) => heartbeat_silent_server(&session).await,
        ("window-mismatch", Role::Client) => window_mismatch_client(&session).await,
        ("window-mismatch", Role::Server) => hold_one_stream(&session).await,
        ("fin-first-reply", Role::Client) => fin_first_reply_client(&session).await,
        ("fin-first-reply", Role::Server) => fin_first_reply_server(&session).await,
        ("soak", Role::Client) => return soak_client(&session, params).await,
        ("soak", Role::Server) => soak_server(&session).await,
        ("burst", Role::Client) => return burst_client(&session).await,
        ("burst", Role::Server) => burst_server(&session).await,
        _ => return Outcome::unsupported(format!("unknown scenario {scenario}")),
    };
    match result {
        Ok(observed) => Outcome::pass(observed),
        Err(detail) => Outcome::fail(detail, Value::Null),
    }
}
