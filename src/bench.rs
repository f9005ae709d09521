//! `gatesim bench`: how fast the simulator is, measured side by side with the same work done
//! without it (`docs/performance.md`). Six measurements, each repeated and reported as a median:
//!
//! 1. [`Scenario::standard`] simulations per second, one after another on this thread (one core);
//! 2. simulated time ÷ wall time over those runs;
//! 3. the same runs on turmoil 0.7's 1 ms-tick `Sim` (`baseline`), the engine gatesim had
//!    before: how many times faster the event-driven engine is;
//! 4. the standard scenario's workload on real loopback TCP with real sleeps (`real`): how many
//!    times faster the simulation is;
//! 5. the raw work of that workload without any network (`raw`): the simulation's wall time as a
//!    ratio over it;
//! 6. scale: many concurrent sessions in one simulation ([`Scenario::sessions`]): wall time, the
//!    process's peak resident memory and the engine's scheduler passes;
//! 7. turmoil-net alone (`floor`) with as many connections open as the scale runs have
//!    sessions: what an egress pass and closing a connection cost it, which no work in our layer
//!    can take away.
//!
//! Nothing is assumed: every figure comes from the runs the bench makes.

mod baseline;
pub(crate) mod floor;
mod raw;
mod real;
mod report;
mod simulated;

use std::time::Duration;

use serde::Serialize;

use crate::sim::Scenario;
pub use report::{Samples, Targets};

/// How much to measure.
#[derive(Clone, Debug)]
pub struct BenchConfig {
    /// Standard simulations per repetition, seeds 0 to `runs - 1`.
    pub runs: u64,
    /// How many times each measurement is repeated; the report gives medians.
    pub repetitions: usize,
    /// Raw workloads per repetition.
    pub raw_runs: u32,
    /// Concurrent sessions for the scale measurement, one simulation each.
    pub sessions: Vec<usize>,
}

/// What `--json` writes, under the keys `docs/performance.md` names.
#[derive(Clone, Debug, Serialize)]
pub struct BenchReport {
    pub standard_sims_per_sec: f64,
    pub sim_to_wall: f64,
    /// Standard simulations per second on the engine over those on turmoil 0.7.
    pub engine_speedup: f64,
    pub speedup_vs_real: f64,
    pub overhead_vs_raw: f64,
    pub scale: Vec<ScalePoint>,
    pub turmoil_net: Vec<FloorPoint>,
    /// Every repetition, for the table and its spread.
    #[serde(skip)]
    pub detail: Detail,
}

#[derive(Clone, Debug, Serialize)]
pub struct ScalePoint {
    pub sessions: usize,
    /// Median wall time of the simulation, in seconds.
    pub wall_s: f64,
    /// Peak resident memory of this process while the simulation ran, in MB (the largest over
    /// the repetitions); 0 where /proc does not tell.
    pub rss_mb: f64,
    /// Scheduler passes of the run (the same in every repetition): nearly every one egresses
    /// every socket of every host.
    pub passes: u64,
}

/// turmoil-net's cost with `connections` open between two hosts, medians.
#[derive(Clone, Debug, Serialize)]
pub struct FloorPoint {
    pub connections: usize,
    /// One egress pass with nothing to send, in µs.
    pub egress_pass_us: f64,
    /// Closing one connection, both ends, in µs.
    pub close_us: f64,
}

/// The most connections [`floor`] opens: its client host has 16,384 ephemeral ports.
const FLOOR_MAX_CONNECTIONS: usize = 10_000;

/// The samples behind the report, one per repetition.
#[derive(Clone, Debug, Default)]
pub struct Detail {
    pub sims_per_sec: Samples,
    pub sim_to_wall: Samples,
    /// Wall time of one standard simulation, in ms.
    pub standard_wall_ms: Samples,
    /// Simulated time of one standard simulation, in ms.
    pub standard_simulated_ms: Samples,
    /// Standard simulations per second on turmoil 0.7's 1 ms-tick `Sim`.
    pub baseline_sims_per_sec: Samples,
    /// Simulated ÷ wall on turmoil 0.7.
    pub baseline_sim_to_wall: Samples,
    /// Wall time of the standard workload on loopback, in ms.
    pub real_wall_ms: Samples,
    /// Wall time of the standard workload's raw work, in ms.
    pub raw_wall_ms: Samples,
    /// Wall times of each scale simulation, in s, in the order of `BenchReport::scale`.
    pub scale_wall_s: Vec<Samples>,
}

/// Runs every measurement, telling `progress` what it is doing.
pub fn run(config: &BenchConfig, progress: impl Fn(&str) + Sync) -> anyhow::Result<BenchReport> {
    let mut detail = Detail::default();
    let repetitions = config.repetitions.max(1);
    let runs = config.runs.max(1);
    for repetition in 1..=repetitions {
        progress(&format!("standard scenario: {runs} simulations ({repetition}/{repetitions})"));
        let standard = simulated::standard(runs)?;
        let wall = standard.wall.as_secs_f64();
        detail.sims_per_sec.push(runs as f64 / wall);
        detail.sim_to_wall.push(standard.simulated.as_secs_f64() / wall);
        detail.standard_wall_ms.push(wall * 1000.0 / runs as f64);
        detail.standard_simulated_ms.push(standard.simulated.as_secs_f64() * 1000.0 / runs as f64);
    }
    for repetition in 1..=repetitions {
        progress(&format!(
            "standard scenario on turmoil 0.7: {runs} simulations ({repetition}/{repetitions})"
        ));
        let baseline = baseline::standard(runs)?;
        let wall = baseline.wall.as_secs_f64();
        detail.baseline_sims_per_sec.push(runs as f64 / wall);
        detail.baseline_sim_to_wall.push(baseline.simulated.as_secs_f64() / wall);
    }
    let scenario = Scenario::standard(0);
    for repetition in 1..=repetitions {
        progress(&format!("standard workload on loopback TCP ({repetition}/{repetitions})"));
        detail.real_wall_ms.push(millis(real::standard(&scenario)?));
    }
    for repetition in 1..=repetitions {
        progress(&format!("raw work: {} workloads ({repetition}/{repetitions})", config.raw_runs));
        let runs = config.raw_runs.max(1);
        detail.raw_wall_ms.push(millis(raw::workload(&scenario, runs)?) / f64::from(runs));
    }
    let mut scale = Vec::new();
    for &sessions in &config.sessions {
        let mut walls = Samples::default();
        let (mut rss_mb, mut passes): (f64, u64) = (0.0, 0);
        for repetition in 1..=repetitions {
            progress(&format!("scale: {sessions} sessions ({repetition}/{repetitions})"));
            let point = simulated::scale(sessions, &progress)?;
            walls.push(point.wall_s);
            rss_mb = rss_mb.max(point.rss_mb);
            passes = point.passes;
        }
        scale.push(ScalePoint { sessions, wall_s: walls.median(), rss_mb, passes });
        detail.scale_wall_s.push(walls);
    }
    let mut turmoil_net = Vec::new();
    for &connections in config.sessions.iter().filter(|&&n| n <= FLOOR_MAX_CONNECTIONS) {
        progress(&format!("turmoil-net alone: {connections} connections"));
        let (mut passes, mut closes) = (Samples::default(), Samples::default());
        for _ in 0..repetitions {
            let measured = floor::measure(connections)?;
            passes.push(micros(measured.egress_pass));
            closes.push(micros(measured.close));
        }
        turmoil_net.push(FloorPoint {
            connections,
            egress_pass_us: passes.median(),
            close_us: closes.median(),
        });
    }
    let standard_wall_ms = detail.standard_wall_ms.median();
    Ok(BenchReport {
        standard_sims_per_sec: detail.sims_per_sec.median(),
        sim_to_wall: detail.sim_to_wall.median(),
        engine_speedup: detail.sims_per_sec.median() / detail.baseline_sims_per_sec.median(),
        speedup_vs_real: detail.real_wall_ms.median() / standard_wall_ms,
        overhead_vs_raw: standard_wall_ms / detail.raw_wall_ms.median(),
        scale,
        turmoil_net,
        detail,
    })
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1_000_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tiny_bench_measures_every_item() {
        let config = BenchConfig { runs: 1, repetitions: 1, raw_runs: 1, sessions: vec![3] };
        let report = run(&config, |_| {}).unwrap();
        for figure in [
            report.standard_sims_per_sec,
            report.sim_to_wall,
            report.engine_speedup,
            report.speedup_vs_real,
            report.overhead_vs_raw,
            report.scale[0].wall_s,
            report.turmoil_net[0].egress_pass_us,
            report.turmoil_net[0].close_us,
        ] {
            assert!(figure.is_finite() && figure > 0.0, "{report:?}");
        }
        let json = serde_json::to_value(&report).unwrap();
        let mut keys: Vec<_> = json.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        let expected = [
            "engine_speedup",
            "overhead_vs_raw",
            "scale",
            "sim_to_wall",
            "speedup_vs_real",
            "standard_sims_per_sec",
            "turmoil_net",
        ];
        assert_eq!(keys, expected);
        assert_eq!(json["scale"][0]["sessions"], 3);
        assert!(report.scale[0].passes > 0);
        assert_eq!(json["turmoil_net"][0]["connections"], 3);
    }
}
