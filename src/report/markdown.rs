//! report.md: the main summary.json figures as a table (copied verbatim, never recomputed, so
//! the report cannot disagree with the run), then each plot linked by relative path so the
//! folder renders on GitHub.

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
pub fn render(name: &str, rows: &[Row], sections: &[Section], notes: &[String]) -> String {
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

/// The FinOps section: the data-plane comparison EKS users know, filled with this run's
/// figures, then who pays (EC2 cost attributed to pods, DaemonSets and idle; Fargate pods) with
/// the waste behind it, and cost per namespace on both capacity types. Empty for runs written
/// before attribution existed. `ec2_pods` is the number of pods.csv rows on EC2 capacity.
pub fn cost_section(s: &Summary, ec2_pods: u64) -> String {
    let v = s.value();
    let num = |p: &str| v.pointer(p).and_then(serde_json::Value::as_f64);
    let (Some(a), Some(_)) = (v.get("attribution"), v.get("waste")) else {
        return String::new();
    };
    let usd = |p: &str| num(p).map(|x| format!("${x:.2}")).unwrap_or_default();
    let mut md = String::from("\n## EC2 and Fargate side by side\n\n");
    let nodes = num("/nodes/launched").unwrap_or(0.0);
    let fargate_pods = num("/fargate/pods").unwrap_or(0.0);
    let per_host = if nodes > 0.0 {
        format!("{:.1}", ec2_pods as f64 / nodes)
    } else {
        "-".into()
    };
    md.push_str(
        "| | EC2 node groups | Fargate |\n|---|---|---|\n\
         | unit of work | a node (EC2 instance) running many pods | one pod per micro-VM |\n\
         | billing unit | instance-second, 60 s minimum, from launch to termination | pod-second on the rounded vCPU and memory, 60 s minimum, from image pull to exit |\n\
         | host lifecycle owner | you: AMI, scaling, upgrades (a managed node group automates them) | AWS |\n",
    );
    md.push_str(&format!(
        "| hosts launched | {nodes:.0} | {fargate_pods:.0} micro-VMs |\n\
         | pods placed per host | {per_host} ({ec2_pods} pods over the run) | 1 |\n\
         | billed units | {:.2} instance-hours | {:.2} vCPU-hours, {:.2} GB-hours |\n\
         | cost | {} | {} |\n",
        num("/nodes/billed_hours").unwrap_or(0.0),
        num("/fargate/vcpu_hours").unwrap_or(0.0),
        num("/fargate/gb_hours").unwrap_or(0.0),
        usd("/cost_usd/ec2"),
        usd("/cost_usd/fargate"),
    ));
    md.push_str("\n## Who pays: attribution and waste\n\n");
    md.push_str(
        "EC2 node cost is shared out to pods by their requests over their time on the node (the \
         OpenCost method: the node price split between CPU and memory in the ratio of the Fargate \
         per-resource rates); what nobody requested is idle. Fargate pods pay their own bill.\n\n",
    );
    md.push_str("| | USD |\n|---|---:|\n");
    for (label, p) in [
        ("EC2 cost attributed to pods", "/attribution/ec2_pods_usd"),
        ("EC2 cost of DaemonSets", "/attribution/ec2_daemonsets_usd"),
        ("EC2 idle", "/attribution/ec2_idle_usd"),
        ("Fargate pods", "/attribution/fargate_pods_usd"),
        (
            "of which Fargate rounding up to supported sizes",
            "/waste/fargate_rounding_usd",
        ),
        (
            "of which Fargate billed time beyond use (60 s minimum)",
            "/waste/fargate_minimum_charge_usd",
        ),
    ] {
        md.push_str(&format!("| {label} | {} |\n", usd(p)));
    }
    md.push_str(&format!(
        "\nEC2 idle is {:.2} node-hours; Fargate provisioned {:.2} vCPU-hours and {:.2} GB-hours \
         above the pods' requests.\n",
        num("/waste/ec2_idle_node_hours").unwrap_or(0.0),
        num("/waste/fargate_rounding_vcpu_hours").unwrap_or(0.0),
        num("/waste/fargate_rounding_gb_hours").unwrap_or(0.0),
    ));
    if let Some(ns) = a.get("by_namespace").and_then(serde_json::Value::as_object) {
        md.push_str("\n### Cost per namespace\n\n| namespace | EC2 (attributed) | Fargate | total |\n|---|---:|---:|---:|\n");
        for (name, c) in ns {
            let e = c
                .get("ec2_usd")
                .and_then(serde_json::Value::as_f64)
                .unwrap_or(0.0);
            let f = c
                .get("fargate_usd")
                .and_then(serde_json::Value::as_f64)
                .unwrap_or(0.0);
            md.push_str(&format!("| {name} | ${e:.2} | ${f:.2} | ${:.2} |\n", e + f));
        }
    }
    md
}
