//! `eksim run SCENARIO [--seed N] [--out DIR]`: one run, its files, and a summary table.

use std::path::PathBuf;

use clap::Args;

use super::BadInput;
use crate::scenario;
use crate::sim::engine::{RunError, RunOptions, run};

/// Arguments of `eksim run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario YAML file.
    pub scenario: PathBuf,
    /// Seed (overrides the scenario's `seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Output folder (default: `out/<scenario file name>`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Monte-Carlo: run this many seeds (seed, seed + 1, ...) in parallel into
    /// `OUT/seed=<s>/` and report the spread of availability and cost.
    #[arg(long, default_value_t = 1)]
    pub replicas: u64,
    /// Check the engine's invariants after every event (no over-committed node, every pod in
    /// one state on at most one node or micro-VM, costs never decreasing, time moving forward);
    /// a violation stops the run with the event, the time and the seed.
    #[arg(long)]
    pub check_invariants: bool,
    /// Stop after this many events; the outputs cover the time reached and summary.json gets
    /// a `partial` section.
    #[arg(long)]
    pub max_events: Option<u64>,
}

/// Runs the scenario and prints the summary.
pub fn execute(a: RunArgs) -> anyhow::Result<()> {
    let sc = scenario::load(&a.scenario).map_err(|e| BadInput(e.to_string()))?;
    for n in &sc.ignored_fields {
        eprintln!("note: not modelled, ignored: {n}");
    }
    let out_dir = a.out.clone().unwrap_or_else(|| {
        let stem = a
            .scenario
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "run".into());
        PathBuf::from("out").join(stem)
    });
    if a.replicas > 1 {
        let base = a.seed.unwrap_or(sc.seed);
        let report = crate::sim::replicas::run_replicas(&sc, base, a.replicas, &out_dir).map_err(
            |e| match e {
                RunError::Workload(w) => anyhow::Error::new(BadInput(w.to_string())),
                other => anyhow::Error::new(other),
            },
        )?;
        let s = &report.api_availability;
        println!(
            "  {} replicas (seeds {}..={})\n  api availability       mean {:.6} (95% CI {:.6} – {:.6}), min {:.6}, max {:.6}\n  SLA credit (percent)   mean {:.2}, max {:.0}\n  cost (USD)             mean {:.2} (95% CI {:.2} – {:.2})",
            report.seeds.len(),
            base,
            base + a.replicas - 1,
            s.mean,
            s.ci95_low,
            s.ci95_high,
            s.min,
            s.max,
            report.sla_credit_percent.mean,
            report.sla_credit_percent.max,
            report.cost_usd_total.mean,
            report.cost_usd_total.ci95_low,
            report.cost_usd_total.ci95_high,
        );
        println!(
            "files: {}/{{replicas.csv, replicas.json, seed=<s>/...}}",
            out_dir.display()
        );
        return Ok(());
    }
    let result = run(
        &sc,
        &RunOptions {
            seed: a.seed,
            out_dir,
            explain_pod: None,
            stop_when_explained: false,
            check_invariants: a.check_invariants,
            max_events: a.max_events,
            durability: Default::default(),
            traces: None,
        },
    )
    .map_err(|e| match e {
        RunError::Workload(w) => anyhow::Error::new(BadInput(w.to_string())),
        other => anyhow::Error::new(other),
    })?;
    print!("{}", summary_table(&result.summary));
    println!(
        "files: {}/{{pods.csv, nodes.csv, timeline.csv, summary.json, timing.json}} ({} events in {:.2} s)",
        result.out_dir.display(),
        result.summary.events,
        result.timing.wall_s
    );
    Ok(())
}

fn secs(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.1} s")).unwrap_or_else(|| "-".into())
}

fn pct(v: Option<f64>) -> String {
    v.map(|x| format!("{:.1}%", x * 100.0))
        .unwrap_or_else(|| "-".into())
}

/// The terminal summary: what a planner wants to see first.
pub fn summary_table(s: &crate::metrics::summary::Summary) -> String {
    let p = &s.pods;
    let c = &s.cost_usd;
    let mut out = String::new();
    let mut line = |k: &str, v: String| out.push_str(&format!("  {k:<22} {v}\n"));
    line(
        "scenario",
        format!(
            "{} (seed {}, horizon {:.0} s)",
            s.scenario, s.seed, s.horizon_s
        ),
    );
    line(
        "pods",
        format!(
            "{} submitted: {} succeeded, {} running, {} pending, {} rejected",
            p.submitted, p.succeeded, p.running, p.pending, p.rejected
        ),
    );
    line(
        "cost (USD)",
        format!(
            "{:.2} total = {:.2} EC2 + {:.2} Fargate + {:.2} control plane",
            c.total, c.ec2, c.fargate, c.control_plane
        ),
    );
    line(
        "pending (p50/p95/max)",
        format!(
            "{} / {} / {}",
            secs(s.pending_s.p50),
            secs(s.pending_s.p95),
            secs(s.pending_s.max)
        ),
    );
    line(
        "startup (p50/p95/max)",
        format!(
            "{} / {} / {}",
            secs(s.startup_s.p50),
            secs(s.startup_s.p95),
            secs(s.startup_s.max)
        ),
    );
    line(
        "EC2 nodes",
        format!(
            "{} launched, peak {} Ready, {:.1} instance-hours; utilization cpu {} memory {}",
            s.nodes.launched,
            s.nodes.peak_ready,
            s.nodes.billed_hours,
            pct(s.utilization.cpu),
            pct(s.utilization.memory)
        ),
    );
    line(
        "Fargate",
        format!(
            "{} pods, {:.1} vCPU-hours, {:.1} GB-hours",
            s.fargate.pods, s.fargate.vcpu_hours, s.fargate.gb_hours
        ),
    );
    line(
        "control plane",
        format!(
            "{} API servers, {} etcd members over {:?}, {} support",
            s.control_plane.api_servers,
            s.control_plane.etcd_members,
            s.control_plane.etcd_zones,
            s.control_plane.support_tier
        ),
    );
    out
}
