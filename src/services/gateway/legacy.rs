//! The incidents' architecture, kept behind [`Mode`] so the harness can prove it catches it.
//! Nothing here runs in [`Mode::Fixed`].

use super::{Gateway, GatewayConfig, Mode};
use crate::context::{SessionContext, SessionIds};
use crate::http::post_json;
use crate::ids::{Id, IdKind};
use crate::net::Net;
use crate::services::idgen::SessionRequest;

/// [`Mode::PerMessageContext`]: rebuild the context through idgen for a message and check it
/// against the session's. The check passes while idgen stays the same process and answers fast,
/// which is why it passed every local test; a restart or a slow idgen fails it.
pub(super) async fn rebuild_context<N: Net>(
    gateway: &Gateway<N>,
    session: &SessionContext,
) -> Result<(), String> {
    let config = &gateway.config;
    let request = SessionRequest { user_id: session.user_id.clone() };
    let timeout = config.retry.per_try_timeout;
    let ids: SessionIds = post_json(&gateway.net, &gateway.idgen, "/ids/session", &[], &request, timeout)
        .await
        .map_err(|error| format!("idgen call for the message context failed: {error}"))?;
    let rebuilt = SessionContext::build(&session.user_id, ids).map_err(|error| error.to_string())?;
    let generation =
        |context: &SessionContext| Id::parse(IdKind::Context, &context.context_id).map(|id| id.boot);
    if generation(&rebuilt) != generation(session) {
        return Err(format!(
            "message context {} is not from the session's id generation ({})",
            rebuilt.context_id, session.context_id
        ));
    }
    Ok(())
}

/// [`Mode::EnvironmentAccommodation`]: in an environment that looks like staging, an idgen outage
/// at connect is "accommodated" with the fallback context this returns instead of a 1013. Every
/// such session of a user shares the same identifiers, and staging stops behaving like dev.
pub(super) fn accommodate_idgen_outage(config: &GatewayConfig, user_id: &str) -> Option<SessionContext> {
    if config.mode != Mode::EnvironmentAccommodation || !config.environment.looks_like_staging() {
        return None;
    }
    tracing::warn!(user_id, "idgen unavailable; using a fallback context for staging");
    Some(SessionContext {
        context_id: format!("ctx_fallback_{user_id}"),
        user_id: user_id.to_owned(),
        thread_id: "thread_default".to_owned(),
        run_id: "run_default".to_owned(),
        websocket_client_id: format!("ws_fallback_{user_id}"),
    })
}
