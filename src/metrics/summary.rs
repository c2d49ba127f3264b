//! summary.json and timing.json, with exactly the keys of the contract in DESIGN.md (more may be
//! added, none renamed).

use serde::Serialize;

use super::LatencySummary;

/// Pod counts by outcome.
#[derive(Debug, Clone, Serialize, Default, PartialEq)]
pub struct PodCounts {
    /// Pods that reached the API server.
    pub submitted: u64,
    /// Finished within the horizon.
    pub succeeded: u64,
    /// Holding capacity at the horizon (starting or running).
    pub running: u64,
    /// Never got capacity.
    pub pending: u64,
    /// Evicted (node loss, preemption; later issues).
    pub evicted: u64,
    /// Refused by admission (e.g. unsupported on Fargate).
    pub rejected: u64,
    /// Failed (later issues).
    pub failed: u64,
    /// Deleted by their controller (scale-down).
    pub deleted: u64,
    /// Succeeded pods whose containers ran under 60 s: on Fargate they pay the one-minute
    /// minimum, the figure behind most of Fargate's minimum-charge waste.
    pub ran_under_60s: u64,
}

/// Costs in dollars; `total` is the sum of the three parts.
#[derive(Debug, Clone, Serialize, Default, PartialEq)]
pub struct Costs {
    /// ec2 + fargate + control_plane.
    pub total: f64,
    /// Sum of nodes.csv cost_usd.
    pub ec2: f64,
    /// Sum of pods.csv cost_usd.
    pub fargate: f64,
    /// Cluster fee.
    pub control_plane: f64,
}

/// Time-weighted requested / allocatable over Ready EC2 nodes.
#[derive(Debug, Clone, Serialize, Default, PartialEq)]
pub struct Utilization {
    /// CPU share (DaemonSet requests included).
    pub cpu: Option<f64>,
    /// Memory share.
    pub memory: Option<f64>,
}

/// Control plane figures.
#[derive(Debug, Clone, Serialize, Default, PartialEq)]
pub struct ControlPlaneSummary {
    /// Share of the horizon the API served requests.
    pub api_availability: f64,
    /// Share of the horizon the API accepted writes.
    pub write_availability: f64,
    /// API server instances.
    pub api_servers: u32,
    /// etcd members.
    pub etcd_members: u32,
    /// Zone of each API server.
    pub api_server_zones: Vec<String>,
    /// Zone of each etcd member.
    pub etcd_zones: Vec<String>,
    /// Support tier.
    pub support_tier: String,
    /// $ per cluster-hour.
    pub fee_per_hour_usd: f64,
    /// `eks` or `self-managed`.
    pub mode: String,
    /// API availability over the horizon, in percent (the SLA's monthly uptime when the horizon
    /// is a month).
    pub sla_uptime_percent: f64,
    /// EKS SLA service credit for that uptime: 0, 10, 25 or 100 percent.
    pub sla_credit_percent: u32,
    /// That credit on the control-plane fee of the period.
    pub sla_credit_usd: f64,
}

/// EC2 node figures.
#[derive(Debug, Clone, Serialize, Default, PartialEq)]
pub struct NodeCounts {
    /// Instances launched.
    pub launched: u64,
    /// Most nodes Ready at once.
    pub peak_ready: u64,
    /// Instance-hours billed.
    pub billed_hours: f64,
}

/// Fargate figures.
#[derive(Debug, Clone, Serialize, Default, PartialEq)]
pub struct FargateSummary {
    /// Pods that got a micro-VM.
    pub pods: u64,
    /// Provisioned vCPU-hours billed.
    pub vcpu_hours: f64,
    /// Provisioned GB-hours billed.
    pub gb_hours: f64,
    /// The concurrent Fargate pod quota in force (EKS_FACTS: 1,000 by default).
    pub quota: u32,
    /// Most micro-VMs alive at once, to see whether the quota was the bottleneck.
    pub peak_concurrent: u32,
    /// Pods that had to queue because the quota was reached: the usual reason Fargate pods
    /// wait in a burst.
    pub quota_waits: u64,
}

/// Who the bill is for: the EC2 node cost shared out to the pods by their requests (OpenCost's
/// method, see `billing::attribution`), the rest idle; Fargate pods pay their own bill.
/// `ec2_pods_usd + ec2_daemonsets_usd + ec2_idle_usd` equals `cost_usd.ec2` exactly.
#[derive(Debug, Clone, Serialize, Default, PartialEq)]
pub struct Attribution {
    /// EC2 node cost attributed to pods (sum of pods.csv attributed_cost_usd on EC2).
    pub ec2_pods_usd: f64,
    /// EC2 node cost attributed to the DaemonSet pods of every node (from Ready to the end).
    pub ec2_daemonsets_usd: f64,
    /// EC2 node cost nobody requested: unrequested allocatable, boot time, billing rounding.
    pub ec2_idle_usd: f64,
    /// Fargate cost (every Fargate pod pays its own micro-VM).
    pub fargate_pods_usd: f64,
    /// Cost per namespace on each capacity type, namespaces in name order.
    pub by_namespace: std::collections::BTreeMap<String, CapacityCosts>,
}

/// A cost split by capacity type.
#[derive(Debug, Clone, Serialize, Default, PartialEq)]
pub struct CapacityCosts {
    /// Attributed EC2 node cost.
    pub ec2_usd: f64,
    /// Fargate cost.
    pub fargate_usd: f64,
}

/// What was paid for and not asked for: the figures behind "EC2 idles, Fargate rounds up".
#[derive(Debug, Clone, Serialize, Default, PartialEq)]
pub struct Waste {
    /// EC2 idle cost expressed in node-hours (each node's idle cost over its hourly price).
    pub ec2_idle_node_hours: f64,
    /// EC2 idle cost, $ (equals `attribution.ec2_idle_usd`).
    pub ec2_idle_usd: f64,
    /// Fargate vCPU-hours provisioned above the pods' requests (size rounding).
    pub fargate_rounding_vcpu_hours: f64,
    /// Fargate GB-hours provisioned above the pods' requests (the 256 MB Fargate adds for its
    /// own agents and the rounding up to a supported size).
    pub fargate_rounding_gb_hours: f64,
    /// Those vCPU- and GB-hours in $ at the Fargate rates.
    pub fargate_rounding_usd: f64,
    /// Fargate cost of billed time the pods did not use (whole-second rounding, 60 s minimum).
    pub fargate_minimum_charge_usd: f64,
}

/// The run summary (summary.json).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Summary {
    /// Scenario name.
    pub scenario: String,
    /// Seed of the run.
    pub seed: u64,
    /// Horizon in seconds.
    pub horizon_s: f64,
    /// Pods by outcome.
    pub pods: PodCounts,
    /// Costs.
    pub cost_usd: Costs,
    /// scheduled − submit.
    pub pending_s: LatencySummary,
    /// running − submit.
    pub startup_s: LatencySummary,
    /// Requested / allocatable.
    pub utilization: Utilization,
    /// Control plane.
    pub control_plane: ControlPlaneSummary,
    /// Events processed.
    pub events: u64,
    /// EC2 nodes.
    pub nodes: NodeCounts,
    /// Fargate.
    pub fargate: FargateSummary,
    /// Scheduler figures.
    pub scheduling: SchedulingSummary,
    /// Cost attribution to pods and namespaces.
    pub attribution: Attribution,
    /// Idle and rounding waste.
    pub waste: Waste,
    /// Managed node group updates.
    pub node_group_updates: Vec<UpdateSummary>,
    /// eksctl fields accepted but not modelled, and quota warnings.
    pub notices: Vec<String>,
    /// Present only when the run stopped before its horizon (`--max-events`): the figures
    /// above cover the simulated time up to `stopped_at_s`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partial: Option<Partial>,
}

/// Why and where a run stopped early.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Partial {
    /// What stopped it: `max-events`, or `explained-pod-done` (`eksim explain`, whose run
    /// ends once its pod is done).
    pub reason: String,
    /// Events handled.
    pub events: u64,
    /// Simulated time reached, seconds.
    pub stopped_at_s: f64,
}

/// Scheduler figures.
#[derive(Debug, Clone, Serialize, Default, PartialEq)]
pub struct SchedulingSummary {
    /// Preemptions (each evicts one or more pods).
    pub preemptions: u64,
    /// Cluster Autoscaler scale-ups (each adds one or more nodes to one group).
    pub autoscaler_scale_ups: u64,
    /// Nodes the Cluster Autoscaler removed.
    pub autoscaler_scale_downs: u64,
    /// Nodes Karpenter launched for pending pods.
    pub karpenter_launches: u64,
    /// Karpenter disruptions (expirations, empty deletions, consolidations).
    pub karpenter_disruptions: u64,
    /// Spot interruption notices.
    pub spot_interruptions: u64,
    /// EC2 launches that failed (injected failures).
    pub launch_failures: u64,
}

/// timing.json: the only file allowed to differ between two runs of the same scenario and seed.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Timing {
    /// Wall-clock seconds of the run.
    pub wall_s: f64,
    /// Events per wall-clock second.
    pub events_per_s: f64,
    /// Peak resident memory of the process, MiB.
    pub peak_rss_mib: f64,
}

/// Peak resident set size of this process in MiB (Linux `VmHWM`; 0 elsewhere).
pub fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// One managed node group update.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UpdateSummary {
    /// Node group.
    pub node_group: String,
    /// Target AMI release version.
    pub version: String,
    /// Start, seconds.
    pub start_s: f64,
    /// End, seconds (null while in progress at the horizon).
    pub end_s: Option<f64>,
    /// Successful, Failed: PodEvictionFailure, or InProgress.
    pub outcome: String,
    /// Pods evicted by the update.
    pub pods_disrupted: u64,
}
