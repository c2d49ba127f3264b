//! sweep.json (which sweep file made the folder), sweep.csv (one row per completed run, read
//! back from each run's summary.json), variants.csv (mean, sd and 95% CI of each figure per
//! variant) and answer.md, committed together.

use std::path::Path;

use serde_json::Value;

use super::plan::Plan;
use crate::output::{CommitBatch, CsvOut, Durability, OutputError};
use crate::sim::replicas::Spread;

/// The summary figures a sweep tabulates, with their summary.json paths.
pub const FIGURES: [(&str, &str); 20] = [
    ("cost_usd_total", "/cost_usd/total"),
    ("cost_usd_ec2", "/cost_usd/ec2"),
    ("cost_usd_fargate", "/cost_usd/fargate"),
    ("cost_usd_control_plane", "/cost_usd/control_plane"),
    ("pods_submitted", "/pods/submitted"),
    ("pods_succeeded", "/pods/succeeded"),
    ("pods_pending", "/pods/pending"),
    ("pods_ran_under_60s", "/pods/ran_under_60s"),
    ("pending_p50_s", "/pending_s/p50"),
    ("pending_p95_s", "/pending_s/p95"),
    ("startup_p95_s", "/startup_s/p95"),
    ("utilization_cpu", "/utilization/cpu"),
    ("api_availability", "/control_plane/api_availability"),
    ("ec2_idle_usd", "/waste/ec2_idle_usd"),
    ("ec2_idle_node_hours", "/waste/ec2_idle_node_hours"),
    ("fargate_rounding_usd", "/waste/fargate_rounding_usd"),
    (
        "fargate_minimum_charge_usd",
        "/waste/fargate_minimum_charge_usd",
    ),
    ("fargate_pods", "/fargate/pods"),
    ("fargate_peak_concurrent", "/fargate/peak_concurrent"),
    ("fargate_quota_waits", "/fargate/quota_waits"),
];

/// One completed run.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepRow {
    /// Run index.
    pub index: usize,
    /// Variant index.
    pub variant: usize,
    /// Seed.
    pub seed: u64,
    /// Figures in [`FIGURES`] order (`None` when the summary has null).
    pub figures: Vec<Option<f64>>,
}

/// Reads every completed run of the plan from `out`, in index order.
pub fn collect(plan: &Plan, out: &Path) -> Vec<SweepRow> {
    plan.runs()
        .into_iter()
        .filter_map(|r| {
            let text = std::fs::read_to_string(plan.run_dir(out, &r).join("summary.json")).ok()?;
            let v: Value = serde_json::from_str(&text).ok()?;
            Some(SweepRow {
                index: r.index,
                variant: r.variant,
                seed: r.seed,
                figures: FIGURES
                    .iter()
                    .map(|(_, p)| v.pointer(p).and_then(Value::as_f64))
                    .collect(),
            })
        })
        .collect()
}

fn num(v: Option<f64>) -> String {
    v.map(|x| format!("{x}")).unwrap_or_default()
}

/// Writes sweep.json (naming `sweep_file`, which `eksim merge` reads back), then sweep.csv,
/// variants.csv and answer.md from the completed runs; returns how many there are. The files
/// are synced together and renamed in that order (one after another, four syncs were most of
/// the time a small sweep spends after its last run).
pub fn write_reports(plan: &Plan, out: &Path, sweep_file: &str) -> Result<usize, OutputError> {
    let mut batch = CommitBatch::default();
    batch.add_bytes(
        out,
        "sweep.json",
        format!(
            "{{\"sweep_file\": {}}}\n",
            Value::String(sweep_file.to_string())
        )
        .as_bytes(),
    )?;
    let rows = collect(plan, out);
    let mut header: Vec<String> = vec!["run".into(), "variant".into()];
    header.extend(plan.axis_names.iter().cloned());
    header.push("seed".into());
    header.extend(FIGURES.iter().map(|(n, _)| n.to_string()));
    let h: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut csv = CsvOut::create(out, "sweep.csv", &h)?;
    for r in &rows {
        let v = &plan.variants[r.variant];
        let mut row: Vec<String> = vec![r.index.to_string(), v.id.clone()];
        row.extend(v.labels.iter().skip(1).map(|(_, x)| x.clone()));
        row.push(r.seed.to_string());
        row.extend(r.figures.iter().map(|f| num(*f)));
        csv.row(&row)?;
    }
    batch.add_csv(csv);
    let mut vh: Vec<String> = vec!["variant".into()];
    vh.extend(plan.axis_names.iter().cloned());
    vh.push("runs".into());
    for (n, _) in FIGURES {
        for s in ["mean", "sd", "ci95_low", "ci95_high"] {
            vh.push(format!("{n}_{s}"));
        }
    }
    let vh: Vec<&str> = vh.iter().map(String::as_str).collect();
    let mut vcsv = CsvOut::create(out, "variants.csv", &vh)?;
    for (vi, v) in plan.variants.iter().enumerate() {
        let mine: Vec<&SweepRow> = rows.iter().filter(|r| r.variant == vi).collect();
        let mut row: Vec<String> = vec![v.id.clone()];
        row.extend(v.labels.iter().skip(1).map(|(_, x)| x.clone()));
        row.push(mine.len().to_string());
        for f in 0..FIGURES.len() {
            let xs: Vec<f64> = mine.iter().filter_map(|r| r.figures[f]).collect();
            if xs.is_empty() {
                row.extend(std::iter::repeat_n(String::new(), 4));
            } else {
                let s = Spread::of(&xs);
                row.extend(
                    [s.mean, s.sd, s.ci95_low, s.ci95_high]
                        .iter()
                        .map(|x| format!("{x}")),
                );
            }
        }
        vcsv.row(&row)?;
    }
    batch.add_csv(vcsv);
    // The one-paragraph answer, from the same means (only when two or more variants ran).
    let ids: Vec<String> = plan.variants.iter().map(|v| v.id.clone()).collect();
    if let Some(text) = super::answer::answer(&ids, &rows) {
        batch.add_bytes(out, "answer.md", format!("{text}\n").as_bytes())?;
    }
    batch.commit(Durability::SyncEach)?;
    Ok(rows.len())
}
