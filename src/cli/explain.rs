//! `eksim explain SCENARIO --pod NAME [--seed N]`: replays the scenario and shows, for every
//! scheduling cycle of one pod, each node's filter verdict (the failing plugin and its reason)
//! or its per-plugin raw, normalised and weighted scores, the chosen node, and how the pod ended
//! — what kube-scheduler-simulator shows, but at any moment of a simulated day.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;

use super::BadInput;
use crate::scenario;
use crate::scheduler::NodeVerdict;
use crate::sim::engine::{ExplainedCycle, RunError, RunOptions, run};
use crate::sim::time::fmt_secs;

/// Arguments of `eksim explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Scenario YAML file.
    pub scenario: PathBuf,
    /// Name of the pod to explain (as in pods.csv).
    #[arg(long)]
    pub pod: String,
    /// Seed (overrides the scenario's `seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Show at most this many nodes per cycle (feasible first, best first).
    #[arg(long, default_value_t = 20)]
    pub max_nodes: usize,
}

/// Runs the scenario until the pod is done (outputs go to a temporary folder) and prints the
/// pod's cycles.
pub fn execute(a: ExplainArgs) -> anyhow::Result<()> {
    let sc = scenario::load(&a.scenario).map_err(|e| BadInput(e.to_string()))?;
    let tmp = std::env::temp_dir().join(format!("eksim-explain-{}", std::process::id()));
    let result = run(
        &sc,
        &RunOptions {
            seed: a.seed,
            out_dir: tmp.clone(),
            explain_pod: Some(a.pod.clone()),
            stop_when_explained: true,
            ..Default::default()
        },
    );
    let _ = std::fs::remove_dir_all(&tmp);
    let result = result.map_err(|e| match e {
        RunError::Workload(w) => anyhow::Error::new(BadInput(w.to_string())),
        other => anyhow::Error::new(other),
    })?;
    let Some(row) = result.explained_outcome else {
        return Err(BadInput(format!(
            "no pod named `{}` was submitted within the horizon of {}",
            a.pod,
            a.scenario.display()
        ))
        .into());
    };
    print!("{}", render(&a.pod, &row, &result.explained, a.max_nodes));
    Ok(())
}

fn field<'a>(row: &'a [(String, String)], name: &str) -> &'a str {
    row.iter()
        .find(|(c, _)| c == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// The explanation as text.
pub fn render(
    pod: &str,
    row: &[(String, String)],
    cycles: &[ExplainedCycle],
    max_nodes: usize,
) -> String {
    let mut out = String::new();
    let f = |n| field(row, n);
    let _ = writeln!(
        out,
        "pod {pod} (namespace {}, cpu {}m, memory {}Mi), submitted at {} s",
        f("namespace"),
        f("cpu_m"),
        f("memory_mib"),
        f("submit_s")
    );
    if f("capacity") == "fargate" || !f("fargate_profile").is_empty() {
        let _ = writeln!(
            out,
            "admission: matched Fargate profile `{}`; the fargate-scheduler gives it its own micro-VM ({} vCPU, {} GB), no kube-scheduler cycles",
            f("fargate_profile"),
            f("fargate_vcpu"),
            f("fargate_memory_gb")
        );
    } else {
        let _ = writeln!(
            out,
            "admission: no Fargate profile matches; default-scheduler, {} scheduling cycle(s)",
            cycles.len()
        );
    }
    for (i, c) in cycles.iter().enumerate() {
        let name = |id: crate::cluster::node::NodeId| {
            c.node_names.get(id.0 as usize).cloned().unwrap_or_default()
        };
        let _ = write!(out, "\ncycle {} at {} s: ", i + 1, fmt_secs(c.at.0));
        match (&c.failure, c.trace.chosen) {
            (Some(msg), _) => {
                let _ = writeln!(out, "unschedulable: {msg}");
            }
            (None, Some(id)) => {
                let _ = writeln!(
                    out,
                    "bound to {} (looked for {} feasible node(s))",
                    name(id),
                    c.trace.wanted_feasible
                );
            }
            _ => {
                let _ = writeln!(out);
            }
        }
        let mut scored: Vec<_> = c
            .trace
            .nodes
            .iter()
            .filter_map(|(id, v)| match v {
                NodeVerdict::Scored { scores, total } => Some((*total, *id, scores)),
                _ => None,
            })
            .collect();
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let mut shown = 0;
        for (total, id, scores) in &scored {
            if shown >= max_nodes {
                break;
            }
            shown += 1;
            let parts: Vec<String> = scores
                .iter()
                .map(|s| format!("{} {}→{}×{}", s.plugin, s.raw, s.normalized, s.weight))
                .collect();
            let chosen = if Some(*id) == c.trace.chosen {
                "  <- chosen"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "  {:<24} score {total:>5}: {}{chosen}",
                name(*id),
                parts.join(", ")
            );
        }
        let mut not_evaluated = 0;
        for (id, v) in &c.trace.nodes {
            match v {
                NodeVerdict::Filtered { plugin, reasons } if shown < max_nodes => {
                    shown += 1;
                    let _ = writeln!(
                        out,
                        "  {:<24} filtered by {plugin}: {}",
                        name(*id),
                        reasons.join(", ")
                    );
                }
                NodeVerdict::NotEvaluated => not_evaluated += 1,
                _ => {}
            }
        }
        let total_nodes = c.trace.nodes.len();
        if shown < total_nodes - not_evaluated {
            let _ = writeln!(
                out,
                "  … {} more node(s) not shown (--max-nodes)",
                total_nodes - not_evaluated - shown
            );
        }
        if not_evaluated > 0 {
            let _ = writeln!(
                out,
                "  {not_evaluated} node(s) not evaluated: enough feasible nodes were found first (percentageOfNodesToScore)"
            );
        }
    }
    let _ = writeln!(
        out,
        "\noutcome: {} (capacity {}, node {}), scheduled {}, running {}, finished {}{}",
        f("outcome"),
        f("capacity"),
        if f("node").is_empty() { "-" } else { f("node") },
        or_dash(f("scheduled_s")),
        or_dash(f("running_s")),
        or_dash(f("finished_s")),
        if f("reason").is_empty() {
            String::new()
        } else {
            format!("\nreason: {}", f("reason"))
        }
    );
    out
}

fn or_dash(s: &str) -> String {
    if s.is_empty() {
        "-".into()
    } else {
        format!("{s} s")
    }
}
