//! How auth must have answered a client's token, from what the token is and what auth's clock
//! may have read while it validated it.
//!
//! The trace records each token's kind, `exp` and `nbf`, and auth's clock (its skew and leeway,
//! in the run's conditions). auth validates a session's token at some instant between the
//! client's connection attempt and the gateway's answer, so each of its time checks is judged at
//! both ends of that span: a check that fails at both failed surely, at neither never, and at one
//! only maybe. Its clock only moves forward, so no check can fail in between and not at an end.

use crate::protocol::{CloseCode, ErrorCode};
use crate::sim::clock::unix_secs_at;
use crate::sim::scenario::{AUTH, TokenKind};
use crate::sim::trace::{Event, Trace};

use super::super::expected::Flaw;
use super::super::sessions::Token;

/// auth's clock in one run.
#[derive(Clone, Copy, Debug)]
pub(super) struct AuthClock {
    skew_ms: i64,
    leeway_secs: u64,
}

impl AuthClock {
    /// From the trace's conditions; none for a trace without them, where no check of a token's
    /// times is judged to have surely failed, nor never.
    pub fn of(trace: &Trace) -> Option<AuthClock> {
        trace.records.iter().find_map(|record| match &record.event {
            Event::Conditions { skew_ms, token_leeway_secs, .. } => Some(AuthClock {
                skew_ms: skew_ms.get(AUTH).copied().unwrap_or(0),
                leeway_secs: *token_leeway_secs,
            }),
            _ => None,
        })
    }
}

/// Whether one of auth's checks failed for a token validated somewhere in a span of time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fails {
    Never,
    Maybe,
    Surely,
}

impl Fails {
    fn at_either_end(at_start: bool, at_end: bool) -> Fails {
        match (at_start, at_end) {
            (true, true) => Fails::Surely,
            (false, false) => Fails::Never,
            _ => Fails::Maybe,
        }
    }
}

/// What auth may have found wrong with a token, validating it between two instants.
#[derive(Clone, Copy, Debug)]
pub(super) struct Verdict {
    token: Token,
    /// Wrong whatever the time: not a JWT, not signed by auth's key with HS256, not from auth,
    /// not for the gateway, short of a claim, or for a user auth does not know.
    flaw: Option<Flaw>,
    /// Past its `exp` by auth's clock, leeway included.
    expired: Fails,
    /// Before its `nbf` by auth's clock, leeway included.
    early: Fails,
    /// auth's clock at the two ends, in Unix seconds, when the trace gives it.
    read: Option<(u64, u64)>,
    leeway_secs: u64,
}

impl Verdict {
    /// The verdict on `token` validated by auth between `from_ms` and `to_ms`. A token minted
    /// valid names a user auth knows: a scenario gives a stranger an `unknown_user` token.
    pub fn new(token: Token, clock: Option<AuthClock>, from_ms: u64, to_ms: u64) -> Verdict {
        let flaw = match token.kind {
            TokenKind::Valid { .. } | TokenKind::Expired { .. } | TokenKind::NotYetValid { .. } => None,
            TokenKind::UnknownUser => Some(Flaw::User),
            TokenKind::WrongAudience => Some(Flaw::Audience),
            TokenKind::WrongIssuer => Some(Flaw::Issuer),
            TokenKind::WrongKey | TokenKind::AlgNone | TokenKind::WrongAlgorithm => Some(Flaw::Signature),
            TokenKind::MissingClaim { .. } => Some(Flaw::Claims),
            TokenKind::Malformed => Some(Flaw::Malformed),
        };
        let read = clock.map(|c| (unix_secs_at(from_ms, c.skew_ms), unix_secs_at(to_ms, c.skew_ms)));
        let leeway_secs = clock.map_or(0, |c| c.leeway_secs);
        // The same comparisons as auth's `Verifier`.
        let expired = judge(token.exp, read, |now, exp| now > exp.saturating_add(leeway_secs));
        let early = judge(token.nbf, read, |now, nbf| now.saturating_add(leeway_secs) < nbf);
        Verdict { token, flaw, expired, early, read, leeway_secs }
    }

    /// Whether auth may have found `flaw` in the token.
    pub fn may_have(&self, flaw: Flaw) -> bool {
        match flaw {
            Flaw::Expiry => self.expired != Fails::Never,
            Flaw::NotBefore => self.early != Fails::Never,
            _ => self.flaw == Some(flaw),
        }
    }

    /// The flaws auth surely found in the token, whenever it validated it.
    pub fn certain_flaws(&self) -> impl Iterator<Item = Flaw> + use<> {
        let timed = [(self.expired, Flaw::Expiry), (self.early, Flaw::NotBefore)];
        let timed = timed.into_iter().filter_map(|(fails, flaw)| (fails == Fails::Surely).then_some(flaw));
        self.flaw.into_iter().chain(timed)
    }

    /// The flaws auth may have found in the token: the rules its acceptance is judged by.
    pub fn possible_flaws(&self) -> impl Iterator<Item = Flaw> + use<> {
        let verdict = *self;
        let timed = [Flaw::Expiry, Flaw::NotBefore].into_iter().filter(move |&flaw| verdict.may_have(flaw));
        self.flaw.into_iter().chain(timed)
    }

    /// What the token is, in words.
    pub fn text(&self) -> String {
        token_text(self.token.kind)
    }

    /// auth cannot have accepted the token.
    fn refused(&self) -> bool {
        self.flaw.is_some() || self.expired == Fails::Surely || self.early == Fails::Surely
    }

    /// What is wrong with the session being established with the token, and the flaw auth
    /// should have refused it for.
    pub fn wrong_acceptance(&self) -> Option<(Flaw, String)> {
        let text = token_text(self.token.kind);
        let leeway = self.leeway_secs;
        match (self.expired, self.early, self.read, self.token.exp, self.token.nbf) {
            _ if self.flaw.is_some() => self.flaw.map(|flaw| (flaw, format!("was established with {text}"))),
            (Fails::Surely, _, Some((start, _)), Some(exp), _) => Some((
                Flaw::Expiry,
                format!(
                    "was established with {text}, though auth's clock read {start} s or later, past its \
                     exp {exp} s and the {leeway} s leeway"
                ),
            )),
            (_, Fails::Surely, Some((_, end)), _, Some(nbf)) => Some((
                Flaw::NotBefore,
                format!(
                    "was established with {text}, though auth's clock read {end} s or earlier, before its \
                     nbf {nbf} s less the {leeway} s leeway"
                ),
            )),
            _ => None,
        }
    }

    /// What is wrong with the gateway refusing the token with `code`. `AUTH_UNAVAILABLE` is
    /// always right: auth could not be asked. `AUTH_FAILED` is right if the token is flawed or
    /// auth's clock may have been before its `nbf`; `TOKEN_EXPIRED` if auth's clock may have
    /// passed its `exp`. Any other code is right only if auth may have accepted the token.
    pub fn wrong_refusal(&self, code: ErrorCode) -> Option<String> {
        let may_expire = self.expired != Fails::Never;
        let may_fail = self.flaw.is_some() || self.early != Fails::Never;
        let right = match code {
            ErrorCode::AuthUnavailable => true,
            ErrorCode::TokenExpired => may_expire,
            ErrorCode::AuthFailed => may_fail,
            _ => !self.refused(),
        };
        if right {
            return None;
        }
        let text = token_text(self.token.kind);
        let expected: Vec<&str> = [(may_expire, ErrorCode::TokenExpired), (may_fail, ErrorCode::AuthFailed)]
            .into_iter()
            .filter_map(|(may, code)| may.then_some(code.as_str()))
            .collect();
        let code = code.as_str();
        Some(if expected.is_empty() {
            let clock = self.read.map_or_else(
                || "nothing in the trace shows it invalid then".to_owned(),
                |(start, end)| format!("auth's clock read {start} to {end} s, when it was valid"),
            );
            format!("{text} was refused with {code}, but {clock}")
        } else {
            let policy = CloseCode::Policy.as_u16();
            format!("{text} was refused with {code}; expected {} ({policy})", expected.join(" or "))
        })
    }
}

/// Whether a check that fails at `fails_at(now, claim)` failed for a token with `claim`, auth's
/// clock reading `read` at the span's two ends; a claim the token lacks fails no check.
fn judge(claim: Option<u64>, read: Option<(u64, u64)>, fails_at: impl Fn(u64, u64) -> bool) -> Fails {
    match (claim, read) {
        (None, _) => Fails::Never,
        (Some(_), None) => Fails::Maybe,
        (Some(claim), Some((start, end))) => {
            Fails::at_either_end(fails_at(start, claim), fails_at(end, claim))
        }
    }
}

fn token_text(kind: TokenKind) -> String {
    match kind {
        TokenKind::Valid { ttl_secs } => format!("a token valid for {ttl_secs} s"),
        TokenKind::Expired { ago_secs } => format!("a token expired {ago_secs} s before the client started"),
        TokenKind::NotYetValid { in_secs } => {
            format!("a token not valid until {in_secs} s after the client started")
        }
        TokenKind::UnknownUser => "a token for a user auth does not know".to_owned(),
        TokenKind::WrongAudience => "a token for another audience".to_owned(),
        TokenKind::WrongIssuer => "a token from another issuer".to_owned(),
        TokenKind::WrongKey => "a token signed with another key".to_owned(),
        TokenKind::AlgNone => "an unsigned token (alg none)".to_owned(),
        TokenKind::WrongAlgorithm => "a token signed with HS512".to_owned(),
        TokenKind::MissingClaim { claim } => format!("a token without its {} claim", claim.name()),
        TokenKind::Malformed => "a malformed token (not a JWT)".to_owned(),
    }
}
