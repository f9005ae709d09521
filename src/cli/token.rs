//! `gatesim token`: mint a development access token.

use std::collections::BTreeSet;

use clap::Args;

use crate::clock::{Clock, SystemClock};
use crate::token::{Claims, mint};

#[derive(Debug, Args)]
pub(super) struct TokenArgs {
    /// The user the token is for (the `sub` claim). `serve` knows the users given by its --users.
    #[arg(long)]
    user: String,
    /// Lifetime in seconds.
    #[arg(long, default_value_t = 3600)]
    ttl: u64,
    /// The `email` claim.
    #[arg(long)]
    email: Option<String>,
}

pub(super) fn run(args: TokenArgs) -> anyhow::Result<()> {
    crate::context::validate_user_id(&args.user)?;
    // auth answers a valid token for a user it does not know with `unknown_user`, which the
    // client sees only as a 1008; say so here, where the mistake is made.
    if let Some(warning) = unknown_to_serve(&args.user, &super::serve::users_without_flag()) {
        tracing::warn!("{warning}");
    }
    let mut claims = Claims::new(&args.user, SystemClock.unix_secs(), args.ttl);
    claims.email = args.email;
    println!("{}", mint(&claims, super::jwt_secret().expose().as_bytes()));
    Ok(())
}

/// A warning when `serve`, knowing `known`, would refuse `user`.
fn unknown_to_serve(user: &str, known: &BTreeSet<String>) -> Option<String> {
    (!known.contains(user)).then(|| {
        let known: Vec<&str> = known.iter().map(String::as_str).collect();
        format!(
            "`gatesim serve` knows {} by default and will refuse {user}'s token as an unknown user \
             unless started with --users including {user}",
            known.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_for_a_user_serve_does_not_know_comes_with_a_warning() {
        let known = BTreeSet::from(["alice".to_owned(), "bob".to_owned()]);
        let warning = unknown_to_serve("dave", &known).expect("dave is unknown");
        assert!(warning.contains("knows alice, bob by default"), "{warning}");
        assert!(warning.contains("unless started with --users including dave"), "{warning}");
        assert_eq!(unknown_to_serve("bob", &known), None);
    }
}
