//! report.md: the main summary.json figures as a table (copied verbatim, never recomputed, so
//! the report cannot disagree with the run), then each plot linked by relative path so the
//! folder renders on GitHub.

use std::path::Path;

use super::{ReportError, Summary};

/// The summary.json keys shown in the table, with their label and unit.
pub const KEYS: &[(&str, &str)] = &[
    ("pods.submitted", "pods submitted"),
    ("pods.succeeded", "pods succeeded"),
    ("pods.running", "pods running at the end"),
    ("pods.pending", "pods pending at the end"),
    ("pods.evicted", "pods evicted"),
    ("pods.rejected", "pods rejected"),
    ("pods.failed", "pods failed"),
    ("cost_usd.total", "cost, total (USD)"),
    ("cost_usd.ec2", "cost, EC2 (USD)"),
    ("cost_usd.fargate", "cost, Fargate (USD)"),
    ("cost_usd.control_plane", "cost, control plane (USD)"),
    ("pending_s.mean", "pending time, mean (s)"),
    ("pending_s.p50", "pending time, p50 (s)"),
    ("pending_s.p95", "pending time, p95 (s)"),
    ("pending_s.p99", "pending time, p99 (s)"),
    ("pending_s.max", "pending time, max (s)"),
    ("startup_s.mean", "start-up time, mean (s)"),
    ("startup_s.p50", "start-up time, p50 (s)"),
    ("startup_s.p95", "start-up time, p95 (s)"),
    ("startup_s.p99", "start-up time, p99 (s)"),
    ("startup_s.max", "start-up time, max (s)"),
    ("utilization.cpu", "EC2 CPU utilisation (fraction)"),
    ("utilization.memory", "EC2 memory utilisation (fraction)"),
    (
        "control_plane.api_availability",
        "API availability (fraction)",
    ),
];

/// One table row: label, summary.json key, value as written in summary.json.
#[derive(Debug)]
pub struct Row {
    /// Human label with unit.
    pub label: &'static str,
    /// Dotted key in summary.json.
    pub key: &'static str,
    /// The value's JSON text.
    pub value: String,
}

/// One plot section of report.md.
#[derive(Debug)]
pub struct Section {
    /// Heading.
    pub title: String,
    /// PNG file name (relative to report.md).
    pub png: String,
    /// SVG file name (relative to report.md).
    pub svg: String,
    /// Sentence under the plot.
    pub note: String,
}

/// Reads every [`KEYS`] entry from summary.json; a missing key is an error naming it.
pub fn summary_rows(s: &Summary) -> Result<Vec<Row>, ReportError> {
    KEYS.iter()
        .map(|(key, label)| {
            Ok(Row {
                label,
                key,
                value: s.get(key)?,
            })
        })
        .collect()
}

/// The whole report.md text.
pub fn render(run_dir: &Path, rows: &[Row], sections: &[Section], notes: &[String]) -> String {
    let name = run_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| run_dir.display().to_string());
    let mut md = format!("# eksim run report: {name}\n\n");
    md.push_str(
        "Figures from `summary.json`, as written by the run; plots from `timeline.csv` and \
         `pods.csv`.\n\n",
    );
    md.push_str("| figure | summary.json key | value |\n|---|---|---:|\n");
    for r in rows {
        md.push_str(&format!("| {} | `{}` | {} |\n", r.label, r.key, r.value));
    }
    for s in sections {
        md.push_str(&format!(
            "\n## {}\n\n![{}]({})\n\n{} ([SVG]({}))\n",
            s.title, s.title, s.png, s.note, s.svg
        ));
    }
    for n in notes {
        md.push_str(&format!("\n## Cost over time\n\n{n}\n"));
    }
    md
}
