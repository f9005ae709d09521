//! A connect refused for its token, judged by what auth must have found wrong with the token
//! (`docs/design.md` §2.1, §2.5): `TOKEN_EXPIRED` for expiry, `AUTH_FAILED` naming auth's reason
//! in words for anything else. Each token rule is kept when the token has its flaw and auth's
//! refusal names it; justified when a refusal names the flaw only for a token that may have it.

use crate::protocol::{ErrorCode, ErrorFrame};
use crate::rules::Clause;

use super::super::expected::{Flaw, Reason, refusal_reason};
use super::tokens::Verdict;

/// The gateway's code for auth's verdicts.
const CODE_KEPT: Clause = Clause::kept("connect.token");
const CODE_JUSTIFIED: Clause = Clause::justified("connect.token");
const REASON: Clause = Clause::kept("connect.reason");

/// The token rule's clause for `flaw`. `malformed token` names a token short of a claim as well as
/// text that is not a JWT: only token.malformed judges which tokens may be refused for it.
pub fn kept(flaw: Flaw) -> Clause {
    Clause::kept(flaw.rule())
}

fn justified(flaw: Flaw) -> Clause {
    Clause::justified(if flaw == Flaw::Claims { Flaw::Malformed } else { flaw }.rule())
}

/// The clause a refusal with `code` that `verdict` does not call for breaks: token.expiry's for an
/// expiry that was not, or that was and got `AUTH_FAILED`; connect.token's otherwise.
pub fn unjustified(code: ErrorCode, verdict: &Verdict) -> Clause {
    match code {
        ErrorCode::TokenExpired => justified(Flaw::Expiry),
        ErrorCode::AuthFailed if verdict.certain_flaws().any(|flaw| flaw == Flaw::Expiry) => {
            kept(Flaw::Expiry)
        }
        _ => CODE_JUSTIFIED,
    }
}

/// What is wrong with a connect ending in `error`, before the session was established, for a
/// token auth judged as `verdict` says (none when the trace does not say what the token was),
/// each with the clause it breaks. The clauses the refusal gave something to judge go to `judged`.
pub fn misjudged(
    error: &ErrorFrame,
    verdict: Option<Verdict>,
    judged: &mut Vec<Clause>,
) -> Vec<(Clause, String)> {
    let mut found = Vec::new();
    let named = match error.code {
        ErrorCode::AuthFailed => {
            judged.push(REASON);
            let reason = refusal_reason(&error.message);
            if reason.is_none() {
                let problem = format!(
                    "AUTH_FAILED says {:?}, not `token refused: <reason>` with one of auth's reasons",
                    error.message
                );
                found.push((REASON, problem));
            }
            reason
        }
        ErrorCode::TokenExpired => Some(Reason::Named(Flaw::Expiry)),
        _ => return found,
    };
    judged.push(CODE_KEPT);
    if error.code == ErrorCode::AuthFailed && named == Some(Reason::Named(Flaw::Expiry)) {
        found.push((
            CODE_KEPT,
            format!(
                "auth refused the token as expired, yet the gateway sent AUTH_FAILED {:?}",
                error.message
            ),
        ));
    }
    let Some(verdict) = verdict else { return found };
    judged.extend(verdict.certain_flaws().map(kept));
    // A code auth's verdict does not call for is [`Verdict::wrong_refusal`]'s to report.
    let (ErrorCode::AuthFailed, Some(Reason::Named(named))) = (error.code, named) else { return found };
    let said = format!("AUTH_FAILED {:?}", error.message);
    let may = verdict.may_have(named) || (named == Flaw::Malformed && verdict.may_have(Flaw::Claims));
    judged.push(justified(named));
    if !may {
        found.push((
            justified(named),
            format!("{} was refused with {said}, a flaw it cannot have had", verdict.text()),
        ));
    }
    for flaw in verdict.certain_flaws().filter(|&flaw| flaw != Flaw::Expiry) {
        if named.reason() != flaw.reason() {
            let problem = format!("{} was refused with {said}; expected {:?}", verdict.text(), flaw.reason());
            found.push((kept(flaw), problem));
        }
    }
    found
}
