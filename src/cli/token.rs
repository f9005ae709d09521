//! `gatesim token`: mint a development access token.

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
    let mut claims = Claims::new(&args.user, SystemClock.unix_secs(), args.ttl);
    claims.email = args.email;
    println!("{}", mint(&claims, super::jwt_secret().expose().as_bytes()));
    Ok(())
}
