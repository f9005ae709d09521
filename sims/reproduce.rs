//! A failure prints how to reproduce it, and that command does: the campaign's output is taken as
//! a user would take it, through the `gatesim` binary.

use std::path::PathBuf;
use std::process::{Command, Output};

fn gatesim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gatesim")).args(args).output().expect("gatesim runs")
}

fn failures_dir() -> PathBuf {
    std::env::temp_dir().join(format!("gatesim-reproduce-{}", std::process::id()))
}

#[test]
fn the_command_a_failing_seed_prints_replays_its_failure_in_its_mode() {
    let out = failures_dir();
    let campaign = gatesim(&[
        "fuzz",
        "--seeds",
        "40",
        "--quick",
        "--mode",
        "per-message-context",
        "--out",
        out.to_str().expect("a UTF-8 temp dir"),
    ]);
    std::fs::remove_dir_all(&out).ok();
    let printed = String::from_utf8_lossy(&campaign.stdout);
    assert_eq!(campaign.status.code(), Some(1), "the legacy mode fails seeds 0-39:\n{printed}");
    let command = printed
        .lines()
        .find_map(|line| line.trim().strip_prefix("reproduce: cargo run --release -- "))
        .unwrap_or_else(|| panic!("no reproduce line in:\n{printed}"));
    let mut args: Vec<&str> = command.split_whitespace().collect();
    assert_eq!(args[..1], ["replay"], "{command}");
    args.push("--quick");
    let replay = gatesim(&args);
    let replayed = String::from_utf8_lossy(&replay.stdout);
    assert_eq!(replay.status.code(), Some(1), "`{command}` did not fail again:\n{replayed}");
    assert!(replayed.contains("[errors.internal justified, clear-errors]"), "{replayed}");
}
