//! Scenario files: YAML in, a validated [`Scenario`] out. Loading never panics; every problem is
//! reported with the file, the field path and what was expected, all at once where the file
//! parses, so a user fixes a scenario in one pass.

pub mod distribution;
pub mod eks_api;
pub mod karpenter;
pub mod locate;
pub mod manifests;
pub mod raw;
pub mod scheduler_config;
pub mod units;
pub mod validate;

use std::fmt;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::cluster::catalog::Catalog;
use crate::cluster::control_plane::ControlPlaneSpec;
use crate::cluster::fargate::Profile;
use crate::cluster::node::CapacityType;
use crate::cluster::taints::Taint;
use crate::sim::time::SimDuration;
use crate::workload::{ControllerSpec, GeneratorSpec, PdbSpec, TraceSpec};
use distribution::Distribution;

/// A validated node group (managed or self-managed).
#[derive(Clone, Debug, PartialEq)]
pub struct NodeGroupSpec {
    /// Group name.
    pub name: String,
    /// Managed node group (EKS owns updates) or self-managed.
    pub managed: bool,
    /// Instance types in preference order; launches use the first.
    pub instance_types: Vec<String>,
    /// ASG minimum.
    pub min_size: u32,
    /// ASG maximum.
    pub max_size: u32,
    /// ASG desired count at start.
    pub desired: u32,
    /// Zone indices (into the cluster's zones) the group spans.
    pub zones: Vec<usize>,
    /// Node labels from the spec (well-known labels are added per node).
    pub labels: Vec<(String, String)>,
    /// Node taints.
    pub taints: Vec<Taint>,
    /// On-demand or Spot.
    pub capacity_type: CapacityType,
    /// AMI release version recorded on nodes.
    pub ami_version: String,
    /// Max pods override (eksctl maxPodsPerNode).
    pub max_pods: Option<u32>,
    /// Root volume size, GiB (eksctl volumeSize, default 80).
    pub volume_size_gib: u32,
    /// Update settings for managed rolling updates.
    pub update: UpdateConfig,
}

/// How a managed node group rolls (EKS_FACTS "Managed node groups").
#[derive(Clone, Debug, PartialEq)]
pub struct UpdateConfig {
    /// maxUnavailable as a count, or
    pub max_unavailable: Option<u32>,
    /// maxUnavailablePercentage (1–100); default: maxUnavailable 1.
    pub max_unavailable_percentage: Option<u32>,
    /// true for MINIMAL (terminate before launch), false for DEFAULT.
    pub minimal: bool,
}

impl Default for UpdateConfig {
    fn default() -> Self {
        UpdateConfig {
            max_unavailable: Some(1),
            max_unavailable_percentage: None,
            minimal: false,
        }
    }
}

impl UpdateConfig {
    /// Nodes updated at once for a group of `size` nodes (at least 1).
    pub fn batch(&self, size: u32) -> u32 {
        match (self.max_unavailable, self.max_unavailable_percentage) {
            (_, Some(p)) => (size * p).div_ceil(100).max(1),
            (Some(n), None) => n.max(1),
            (None, None) => 1,
        }
    }
}

/// eksctl's default root volume size, GiB.
pub const DEFAULT_VOLUME_SIZE_GIB: u32 = 80;
/// EKS AMI kubelet kube-reserved ephemeral storage, GiB (amazon-eks-ami bootstrap
/// `kubeReserved."ephemeral-storage": 1Gi`).
pub const KUBE_RESERVED_EPHEMERAL_GIB: u64 = 1;
/// EKS AMI kubelet `evictionHard."nodefs.available"`: 10% of the root volume.
pub const NODEFS_EVICTION_PERCENT: u64 = 10;

impl NodeGroupSpec {
    /// Ephemeral storage a node of the group offers pods, MiB: volume − kube-reserved −
    /// the nodefs eviction threshold.
    pub fn ephemeral_allocatable_mib(&self) -> u64 {
        let total = u64::from(self.volume_size_gib) * 1024;
        total
            .saturating_sub(KUBE_RESERVED_EPHEMERAL_GIB * 1024)
            .saturating_sub(total * NODEFS_EVICTION_PERCENT / 100)
    }
}

/// Launches of a node group failing during a window (EKS health issue codes such as
/// InsufficientInstanceCapacity, AsgInstanceLaunchFailures).
#[derive(Clone, Debug, PartialEq)]
pub struct LaunchFailure {
    /// Node group index.
    pub group: usize,
    /// Zone index, or every zone.
    pub zone: Option<usize>,
    /// Window start.
    pub from: SimDuration,
    /// Window end.
    pub to: SimDuration,
    /// Probability a launch in the window fails.
    pub probability: f64,
    /// Health issue code.
    pub code: String,
}

/// An action the scenario performs at a given time.
#[derive(Clone, Debug, PartialEq)]
pub enum ScriptedAction {
    /// Interrupt `count` Spot nodes of a node group (2-minute notice).
    SpotInterruption {
        /// Node group index.
        group: usize,
        /// Nodes to interrupt, oldest first.
        count: u32,
    },
    /// A whole AZ goes down (control-plane instances, EC2 nodes, Fargate pods in it).
    AzOutage {
        /// Zone index.
        zone: usize,
        /// How long.
        duration: SimDuration,
    },
    /// An AZ is cut off from the others: its control-plane instances leave the quorum, its
    /// nodes go NotReady (pods evicted after the timeout) but keep running and are not replaced.
    AzPartition {
        /// Zone index.
        zone: usize,
        /// How long.
        duration: SimDuration,
    },
    /// Control-plane instances fail.
    ControlPlaneFailure {
        /// etcd members (true) or API servers (false).
        etcd: bool,
        /// How many (lowest index first among those up).
        count: u32,
    },
    /// Roll a managed node group to a new AMI release version.
    NodeGroupUpdate {
        /// Node group index.
        group: usize,
        /// The version new nodes carry.
        version: String,
        /// How it rolls.
        update: UpdateConfig,
        /// Terminate nodes whose pods cannot be evicted within 15 minutes.
        force: bool,
        /// A self-managed replacement script (surge = batch, wait for the new batch only)
        /// rather than the EKS managed update.
        scripted: bool,
    },
}

/// A scripted event.
#[derive(Clone, Debug, PartialEq)]
pub struct ScriptedEvent {
    /// When.
    pub at: SimDuration,
    /// What.
    pub action: ScriptedAction,
}

/// Spot prices: explicit per type, else a discount off on-demand. Spot prices vary by type,
/// zone and time ("up to 90%" off, EKS_FACTS), so eksim has no default: a scenario that uses
/// Spot says what it pays.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SpotPricing {
    /// Share off on-demand for types without an explicit price.
    pub discount: Option<f64>,
    /// $/hour per type.
    pub prices: std::collections::BTreeMap<String, f64>,
}

impl SpotPricing {
    /// The Spot price of a type with the given on-demand price, if known.
    pub fn price(&self, instance_type: &str, on_demand: f64) -> Option<f64> {
        self.prices
            .get(instance_type)
            .copied()
            // Rounded to a millionth of a dollar, as price lists quote them.
            .or_else(|| {
                self.discount
                    .map(|d| (on_demand * (1.0 - d) * 1e6).round() / 1e6)
            })
    }
}

/// The cluster part of a scenario (from the eksctl ClusterConfig).
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterSpec {
    /// Cluster name.
    pub name: String,
    /// AWS region.
    pub region: String,
    /// Kubernetes version.
    pub version: String,
    /// Availability zones, in the file's order.
    pub zones: Vec<String>,
    /// Managed groups first, then self-managed, each in file order.
    pub node_groups: Vec<NodeGroupSpec>,
    /// Fargate profiles in file order.
    pub fargate_profiles: Vec<Profile>,
}

/// Start-up latency distributions.
#[derive(Clone, Debug, PartialEq)]
pub struct LatencySpec {
    /// EC2 launch → node Ready.
    pub node_launch: Distribution,
    /// Fargate micro-VM creation and registration.
    pub fargate_provision: Distribution,
    /// Image pull on an EC2 node without the image.
    pub image_pull_ec2: Distribution,
    /// Image pull on Fargate (every pod).
    pub image_pull_fargate: Distribution,
    /// Container start once the image is present.
    pub container_start: Distribution,
}

/// Fargate rates and limits.
#[derive(Clone, Debug, PartialEq)]
pub struct FargateSpec {
    /// $ per vCPU-hour.
    pub vcpu_hour: f64,
    /// $ per GB-hour.
    pub gb_hour: f64,
    /// $ per GB-hour of ephemeral storage beyond the included 20 GB.
    pub storage_gb_hour: f64,
    /// Account quota of concurrent Fargate pods.
    pub max_concurrent_pods: u32,
}

/// A DaemonSet pod that every EC2 node runs.
#[derive(Clone, Debug, PartialEq)]
pub struct DaemonSetSpec {
    /// Name.
    pub name: String,
    /// CPU request, millicores.
    pub cpu_m: u64,
    /// Memory request, MiB.
    pub memory_mib: u64,
}

/// One validated workload source.
#[derive(Clone, Debug, PartialEq)]
pub enum WorkloadSpec {
    /// A controller: a Deployment, StatefulSet, Job or bare Pod.
    Controller(ControllerSpec),
    /// Synthetic arrivals.
    Generator(GeneratorSpec),
    /// A canonical trace CSV.
    Trace(TraceSpec),
}

/// Everything a run needs, checked.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Scenario name (for reports).
    pub name: String,
    /// The file it was read from, if any.
    pub path: Option<PathBuf>,
    /// Simulated span.
    pub horizon: SimDuration,
    /// Master seed.
    pub seed: u64,
    /// The cluster.
    pub cluster: ClusterSpec,
    /// The control plane.
    pub control_plane: ControlPlaneSpec,
    /// Latencies.
    pub latency: LatencySpec,
    /// Fargate rates and quota.
    pub fargate: FargateSpec,
    /// Instance catalog with the scenario's price overrides applied.
    pub catalog: Catalog,
    /// Share of nominal memory the kubelet never sees.
    pub vm_memory_overhead: f64,
    /// DaemonSet pods on every EC2 node.
    pub daemon_sets: Vec<DaemonSetSpec>,
    /// Interval between timeline rows.
    pub sample_interval: SimDuration,
    /// kube-scheduler profile and queue settings.
    pub scheduler: crate::scheduler::Profile,
    /// The Cluster Autoscaler, if the scenario runs one.
    pub autoscaler: Option<crate::autoscaler::ClusterAutoscalerSpec>,
    /// Karpenter, if the scenario runs it.
    pub karpenter: Option<crate::autoscaler::karpenter::KarpenterSpec>,
    /// Spot prices.
    pub spot: SpotPricing,
    /// Mean Spot interruptions per instance-hour (0 = none).
    pub spot_interruption_rate: f64,
    /// Scripted events, in time order.
    pub events: Vec<ScriptedEvent>,
    /// Injected launch failures.
    pub launch_failures: Vec<LaunchFailure>,
    /// How long an ASG takes to replace an instance that failed its health checks.
    pub unhealthy_replacement_delay: SimDuration,
    /// Pod sources.
    pub workload: Vec<WorkloadSpec>,
    /// PodDisruptionBudgets from the manifests.
    pub pdbs: Vec<PdbSpec>,
    /// eksctl fields accepted but not modelled (reported once).
    pub ignored_fields: Vec<String>,
}

/// One problem found in a scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issue {
    /// Dotted field path, e.g. `cluster.managedNodeGroups[0].minSize`.
    pub path: String,
    /// What is wrong and what is expected.
    pub message: String,
    /// Line and column (1-based) of the field, or of its nearest enclosing field, in the file.
    pub at: Option<(usize, usize)>,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)?;
        if let Some((line, col)) = self.at {
            write!(f, " (line {line}, column {col})")?;
        }
        Ok(())
    }
}

/// Why a scenario could not be loaded.
#[derive(Debug, Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("{file}: cannot read: {source}")]
    Io {
        /// The file.
        file: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The YAML is malformed or a value has the wrong type.
    #[error("{file}: {message}")]
    Parse {
        /// The file.
        file: PathBuf,
        /// The parser's message with line and column, plus a suggestion where we have one.
        message: String,
    },
    /// The file parses but some values are invalid.
    #[error("{file}: {} problem(s):\n{}", issues.len(), issues.iter().map(|i| format!("  - {i}")).collect::<Vec<_>>().join("\n"))]
    Invalid {
        /// The file.
        file: PathBuf,
        /// Every problem found.
        issues: Vec<Issue>,
    },
}

/// Reads and validates a scenario file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let text = read_text(path)?;
    load_str(&text, path)
}

/// Validates scenario text as if read from `path` (relative files resolve against its folder).
pub fn load_str(text: &str, path: &Path) -> Result<Scenario, ScenarioError> {
    let raw: raw::RawScenario = parse_yaml(text, path)?;
    validate::validate(raw, path).map_err(|e| match e {
        ScenarioError::Invalid { file, mut issues } if file == path => {
            let locations = locate::Locations::of(text);
            for i in &mut issues {
                i.at = locations.find(&i.path);
            }
            ScenarioError::Invalid { file, issues }
        }
        other => other,
    })
}

/// Reads a file as UTF-8 text with a clear error.
pub(crate) fn read_text(path: &Path) -> Result<String, ScenarioError> {
    let bytes = std::fs::read(path).map_err(|source| ScenarioError::Io {
        file: path.to_path_buf(),
        source,
    })?;
    String::from_utf8(bytes).map_err(|e| ScenarioError::Parse {
        file: path.to_path_buf(),
        message: format!(
            "not valid UTF-8 (first bad byte at offset {}); save the file as UTF-8",
            e.utf8_error().valid_up_to()
        ),
    })
}

/// Parses YAML into a raw type, turning serde's messages into ours (with a did-you-mean for
/// unknown fields).
pub(crate) fn parse_yaml<T: serde::de::DeserializeOwned>(
    text: &str,
    path: &Path,
) -> Result<T, ScenarioError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    serde_saphyr::from_str(text).map_err(|e| ScenarioError::Parse {
        file: path.to_path_buf(),
        message: improve_parse_message(&e.to_string(), path),
    })
}

/// The parser's terse type errors (at the end of its first line) and what they mean.
const TYPE_HINTS: [(&str, &str); 7] = [
    ("invalid i64", ": expected a whole number"),
    ("invalid boolean", ": expected true or false"),
    (
        "invalid u64",
        ": expected a whole number from 0 to 18446744073709551615",
    ),
    (
        "invalid u32",
        ": expected a whole number from 0 to 4294967295",
    ),
    (
        "invalid floating point",
        ": expected a number such as 0.5 or 1e3",
    ),
    ("expected sequence start", " (a list was expected here)"),
    (
        "expected mapping start",
        " (`key: value` fields were expected here)",
    ),
];

/// Tidies the parser's message (names the file in the snippet, drops a duplicate `error:`) and
/// adds "did you mean" to `unknown field `x`, expected one of a, b` messages.
fn improve_parse_message(msg: &str, path: &Path) -> String {
    let msg = msg.strip_prefix("error: ").unwrap_or(msg);
    let msg = msg
        .replace("<input>", &path.display().to_string())
        // The parser's advice is for programmers embedding it, not for the file's author.
        .replace(", set DuplicateKeyPolicy in Options if acceptable", "")
        .replace(
            "; use from_str_multiple or from_str_multiple_with_options",
            "; a scenario is one YAML document (remove the `---` line and what follows it)",
        );
    let mut lines: Vec<String> = msg.lines().map(str::to_string).collect();
    if let Some(first) = lines.first_mut()
        && let Some((_, hint)) = TYPE_HINTS.iter().find(|(m, _)| first.ends_with(m))
    {
        first.push_str(hint);
    }
    if let Some(first) = lines.first_mut()
        && let Some(start) = first.find("unknown field `")
    {
        let rest = &first[start + "unknown field `".len()..];
        if let Some(end) = rest.find('`') {
            let field = rest[..end].to_string();
            let expected: Vec<String> = rest[end + 1..]
                .split_once("expected one of ")
                .map(|(_, list)| {
                    list.split(", ")
                        .map(|s| s.trim_matches(|c| c == '`' || c == ' ').to_string())
                        .collect()
                })
                .unwrap_or_default();
            let hint = crate::suggest::did_you_mean(&field, expected.iter().map(String::as_str));
            first.push_str(&hint);
        }
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_field_gets_a_suggestion() {
        let e = load_str("horizn: 1h\n", Path::new("s.yaml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `horizn`"), "{e}");
        assert!(e.contains("did you mean `horizon`?"), "{e}");
    }
}
