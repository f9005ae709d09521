//! Repetitions, their median and spread, and the report as a table beside its targets.

use std::fmt;

use super::BenchReport;

/// One figure measured several times.
#[derive(Clone, Debug, Default)]
pub struct Samples(Vec<f64>);

impl Samples {
    pub fn push(&mut self, value: f64) {
        self.0.push(value);
    }

    /// The middle value; the mean of the two middle ones for an even count; NaN when empty.
    pub fn median(&self) -> f64 {
        let mut sorted = self.0.clone();
        sorted.sort_by(f64::total_cmp);
        match sorted.len() {
            0 => f64::NAN,
            n if n % 2 == 1 => sorted[n / 2],
            n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
        }
    }

    /// How far the repetitions spread, as (max - min) / median.
    pub fn spread(&self) -> f64 {
        let min = self.0.iter().copied().fold(f64::INFINITY, f64::min);
        let max = self.0.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (max - min) / self.median()
    }
}

/// Issue 11's targets.
pub struct Targets;

impl Targets {
    pub const SIMS_PER_SEC: f64 = 1000.0;
    pub const SIM_TO_WALL: f64 = 2000.0;
    pub const SPEEDUP_VS_REAL: f64 = 1000.0;
    pub const OVERHEAD_VS_RAW: f64 = 3.0;
    pub const SCALE_SESSIONS: usize = 10_000;
    pub const SCALE_WALL_S: f64 = 2.0;
    pub const SCALE_RSS_MB: f64 = 500.0;
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "not met" }
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = &self.detail;
        let spread = |samples: &Samples| format!("±{:.0}%", samples.spread() * 50.0);
        writeln!(f, "{:<34} {:>12} {:>8} {:>10}", "measurement", "median", "spread", "target")?;
        // (name, median, samples, target, whether the target is a floor rather than a ceiling)
        let rows = [
            (
                "standard sims/s (one core)",
                self.standard_sims_per_sec,
                &d.sims_per_sec,
                Targets::SIMS_PER_SEC,
                true,
            ),
            ("simulated / wall", self.sim_to_wall, &d.sim_to_wall, Targets::SIM_TO_WALL, true),
            (
                "faster than loopback TCP",
                self.speedup_vs_real,
                &d.real_wall_ms,
                Targets::SPEEDUP_VS_REAL,
                true,
            ),
            ("overhead over raw work", self.overhead_vs_raw, &d.raw_wall_ms, Targets::OVERHEAD_VS_RAW, false),
        ];
        for (name, value, samples, target, floor) in rows {
            let (bound, met) = if floor { (">=", value >= target) } else { ("<=", value <= target) };
            let target = format!("{bound} {target}");
            writeln!(f, "{name:<34} {value:>12.1} {:>8} {target:>10}  {}", spread(samples), verdict(met))?;
        }
        writeln!(
            f,
            "  one standard run: {:.2} ms wall for {:.0} ms simulated; loopback {:.0} ms; raw work {:.3} ms",
            d.standard_wall_ms.median(),
            d.standard_simulated_ms.median(),
            d.real_wall_ms.median(),
            d.raw_wall_ms.median(),
        )?;
        writeln!(
            f,
            "{:<34} {:>12.1} {:>8}  (turmoil 0.7, 1 ms ticks: {:.1} sims/s, {:.0}x simulated/wall)",
            "engine speedup over turmoil 0.7",
            self.engine_speedup,
            spread(&d.baseline_sims_per_sec),
            d.baseline_sims_per_sec.median(),
            d.baseline_sim_to_wall.median(),
        )?;
        writeln!(
            f,
            "{:<34} {:>12} {:>8} {:>10} {:>8}",
            "scale: sessions", "wall s", "spread", "peak RSS MB", "passes"
        )?;
        for (point, walls) in self.scale.iter().zip(&d.scale_wall_s) {
            let met = point.wall_s <= Targets::SCALE_WALL_S && point.rss_mb <= Targets::SCALE_RSS_MB;
            let judged = point.sessions == Targets::SCALE_SESSIONS;
            writeln!(
                f,
                "{:<34} {:>12.3} {:>8} {:>10.0} {:>8}  {}",
                point.sessions,
                point.wall_s,
                spread(walls),
                point.rss_mb,
                point.passes,
                if judged { verdict(met) } else { "" },
            )?;
        }
        if !self.turmoil_net.is_empty() {
            writeln!(f, "{:<34} {:>12} {:>8}", "turmoil-net alone: connections", "egress µs", "close µs")?;
        }
        for point in &self.turmoil_net {
            writeln!(f, "{:<34} {:>12.1} {:>8.1}", point.connections, point.egress_pass_us, point.close_us)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Samples;

    #[test]
    fn the_median_is_the_middle_value() {
        let samples = |values: &[f64]| Samples(values.to_vec());
        assert_eq!(samples(&[3.0, 1.0, 2.0]).median(), 2.0);
        assert_eq!(samples(&[4.0, 1.0, 2.0, 3.0]).median(), 2.5);
        assert!(samples(&[]).median().is_nan());
        assert_eq!(samples(&[1.0, 2.0, 3.0]).spread(), 1.0);
    }
}
