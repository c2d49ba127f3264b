//! Monte-Carlo replicas: the same scenario under many seeds in parallel (rayon), results kept in
//! seed order whatever the thread count, with the spread of availability and cost and a
//! confidence interval of the mean.

use std::path::Path;

use rayon::prelude::*;
use serde::Serialize;

use super::engine::{RunError, RunOptions, RunResult, run};
use crate::output::{CsvOut, write_atomic};
use crate::scenario::Scenario;

/// Mean, spread and 95% confidence interval of one figure over the replicas.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Spread {
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation.
    pub sd: f64,
    /// Lower end of the 95% confidence interval of the mean.
    pub ci95_low: f64,
    /// Upper end.
    pub ci95_high: f64,
    /// Smallest.
    pub min: f64,
    /// Largest.
    pub max: f64,
}

/// Two-sided 97.5% quantile of Student's t for `df` degrees of freedom (table for small df, the
/// normal value beyond).
pub fn t975(df: usize) -> f64 {
    const T: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    if df == 0 {
        f64::NAN
    } else if df <= 30 {
        T[df - 1]
    } else {
        1.96
    }
}

impl Spread {
    /// The spread of `xs` (at least one value).
    pub fn of(xs: &[f64]) -> Spread {
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let sd = if xs.len() > 1 {
            (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
        } else {
            0.0
        };
        let half = if xs.len() > 1 {
            t975(xs.len() - 1) * sd / n.sqrt()
        } else {
            0.0
        };
        let r = |v: f64| (v * 1e6).round() / 1e6;
        Spread {
            mean: r(mean),
            sd: r(sd),
            ci95_low: r(mean - half),
            ci95_high: r(mean + half),
            min: r(xs.iter().cloned().fold(f64::INFINITY, f64::min)),
            max: r(xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max)),
        }
    }
}

/// What `replicas.json` holds.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReplicaReport {
    /// Scenario name.
    pub scenario: String,
    /// Seeds run, in order.
    pub seeds: Vec<u64>,
    /// API availability.
    pub api_availability: Spread,
    /// SLA credit percent.
    pub sla_credit_percent: Spread,
    /// Total cost.
    pub cost_usd_total: Spread,
    /// Pending p95 (seconds), over replicas that scheduled pods.
    pub pending_p95_s: Option<Spread>,
}

/// Runs `n` replicas with seeds `base..base + n` into `out/seed=<s>/`, then writes
/// `replicas.csv` (one row per seed) and `replicas.json` (the spreads).
pub fn run_replicas(
    sc: &Scenario,
    base: u64,
    n: u64,
    out: &Path,
) -> Result<ReplicaReport, RunError> {
    let seeds: Vec<u64> = (0..n).map(|i| base + i).collect();
    // Every replica reads the same trace rows: they are parsed once, for all threads.
    let traces = std::sync::Arc::new(crate::workload::trace_cache::TraceCache::new());
    let results: Vec<Result<RunResult, RunError>> = seeds
        .par_iter()
        .map(|&seed| {
            let opts = RunOptions {
                seed: Some(seed),
                out_dir: out.join(format!("seed={seed}")),
                explain_pod: None,
                traces: Some(traces.clone()),
                ..Default::default()
            };
            run(sc, &opts)
        })
        .collect();
    let mut runs = Vec::with_capacity(results.len());
    for r in results {
        runs.push(r?);
    }
    let mut csv = CsvOut::create(
        out,
        "replicas.csv",
        &[
            "seed",
            "api_availability",
            "sla_credit_percent",
            "cost_usd_total",
            "pending_p95_s",
            "startup_p95_s",
        ],
    )?;
    for r in &runs {
        let s = &r.summary;
        let opt = |v: Option<f64>| v.map(|x| format!("{x}")).unwrap_or_default();
        csv.row([
            s.seed.to_string(),
            format!("{}", s.control_plane.api_availability),
            s.control_plane.sla_credit_percent.to_string(),
            format!("{}", s.cost_usd.total),
            opt(s.pending_s.p95),
            opt(s.startup_s.p95),
        ])?;
    }
    csv.commit()?;
    let col = |f: &dyn Fn(&RunResult) -> f64| runs.iter().map(f).collect::<Vec<f64>>();
    let pending: Vec<f64> = runs
        .iter()
        .filter_map(|r| r.summary.pending_s.p95)
        .collect();
    let report = ReplicaReport {
        scenario: sc.name.clone(),
        seeds,
        api_availability: Spread::of(&col(&|r| r.summary.control_plane.api_availability)),
        sla_credit_percent: Spread::of(&col(&|r| {
            f64::from(r.summary.control_plane.sla_credit_percent)
        })),
        cost_usd_total: Spread::of(&col(&|r| r.summary.cost_usd.total)),
        pending_p95_s: if pending.is_empty() {
            None
        } else {
            Some(Spread::of(&pending))
        },
    };
    let mut json = serde_json::to_string_pretty(&report).unwrap_or_default();
    json.push('\n');
    write_atomic(out, "replicas.json", json.as_bytes())?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_of_known_values() {
        let s = Spread::of(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(s.mean, 2.5);
        // sd = sqrt(5/3) = 1.2909944; half-width = 3.182 × 1.2909944 / 2 = 2.0539721.
        assert_eq!(s.sd, 1.290994);
        assert_eq!((s.ci95_low, s.ci95_high), (0.446028, 4.553972));
        assert_eq!((s.min, s.max), (1.0, 4.0));
    }
}
