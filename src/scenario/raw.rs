//! The scenario file as written: serde types that mirror the YAML one to one. Nothing here is
//! checked beyond its type; `validate` turns these into a `Scenario` and reports every problem.
//!
//! Our own sections deny unknown fields (a typo should not be silently ignored). The `cluster`
//! section is an eksctl `ClusterConfig`: fields eksctl has and we do not model are collected in
//! `other` maps and reported once as ignored, so a real eksctl file can be pasted in as it is.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use super::distribution::RawDistribution;

/// Fields we do not model, kept only to name them in the "ignored" notice.
pub type Ignored = BTreeMap<String, serde_json::Value>;

/// A Kubernetes quantity written as a number (`1`, `0.5`) or a string (`500m`, `2Gi`).
#[derive(Debug, Clone, PartialEq)]
pub struct Quantity(pub String);

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Quantity;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a quantity such as 2, 0.5, 500m, 512Mi or 2Gi")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Quantity, E> {
                Ok(Quantity(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Quantity, E> {
                Ok(Quantity(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Quantity, E> {
                Ok(Quantity(v.to_string()))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Quantity, E> {
                Ok(Quantity(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// The whole scenario file.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawScenario {
    /// Scenario name (defaults to the cluster name).
    pub name: Option<String>,
    /// Free text: the question the scenario answers.
    pub description: Option<String>,
    /// Simulated time span, e.g. `6h`.
    pub horizon: Option<String>,
    /// Master seed of the run.
    pub seed: Option<u64>,
    /// The eksctl ClusterConfig, inline or `{file: path}`.
    pub cluster: Option<RawCluster>,
    /// EKS control plane shape and support tier.
    pub control_plane: Option<RawControlPlane>,
    /// Start-up latency distributions.
    pub latency: Option<RawLatency>,
    /// Overrides of the embedded prices.
    pub pricing: Option<RawPricing>,
    /// Instance types added to the catalog (shapes it lacks, synthetic benchmark nodes).
    #[serde(default)]
    pub instance_types: Vec<RawInstanceType>,
    /// Fargate account settings.
    pub fargate: Option<RawFargateSettings>,
    /// kube-scheduler configuration.
    pub scheduler: Option<RawScheduler>,
    /// Autoscaler.
    pub autoscaler: Option<RawAutoscaler>,
    /// Spot behaviour (interruptions).
    pub spot: Option<RawSpot>,
    /// Scripted events at given times.
    #[serde(default)]
    pub events: Vec<RawEvent>,
    /// Injected EC2 launch failures.
    #[serde(default)]
    pub launch_failures: Vec<RawLaunchFailure>,
    /// Subnet id → Availability Zone, for EKS API inputs that name subnets.
    #[serde(default)]
    pub subnets: BTreeMap<String, String>,
    /// Node groups and Fargate profiles in the EKS API's shape (`aws eks create-nodegroup
    /// --cli-input-json` / `create-fargate-profile` inputs), as files or inline.
    #[serde(default)]
    pub eks_api: Vec<RawEksApiItem>,
    /// EC2 node settings not in eksctl.
    pub ec2: Option<RawEc2Settings>,
    /// DaemonSets that run on every EC2 node.
    pub daemon_sets: Option<Vec<RawDaemonSet>>,
    /// Output settings.
    pub output: Option<RawOutput>,
    /// Pod sources.
    #[serde(default)]
    pub workload: Vec<RawWorkload>,
}

/// eksctl `ClusterConfig` (apiVersion eksctl.io/v1alpha5), or a pointer to a file holding one.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct RawCluster {
    /// Path of an eksctl file, relative to the scenario.
    pub file: Option<String>,
    /// `eksctl.io/v1alpha5`.
    pub api_version: Option<String>,
    /// `ClusterConfig`.
    pub kind: Option<String>,
    /// Name, region, Kubernetes version.
    pub metadata: Option<RawMetadata>,
    /// The cluster's AZs.
    pub availability_zones: Option<Vec<String>>,
    /// EKS managed node groups.
    #[serde(default)]
    pub managed_node_groups: Vec<RawNodeGroup>,
    /// Self-managed node groups.
    #[serde(default)]
    pub node_groups: Vec<RawNodeGroup>,
    /// Fargate profiles.
    #[serde(default)]
    pub fargate_profiles: Vec<RawFargateProfile>,
    /// eksctl fields eksim does not model.
    #[serde(flatten)]
    pub other: Ignored,
}

/// eksctl `metadata`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct RawMetadata {
    /// Cluster name.
    pub name: Option<String>,
    /// AWS region.
    pub region: Option<String>,
    /// Kubernetes version; a number here means the user forgot the quotes.
    pub version: Option<serde_json::Value>,
    /// Unmodelled fields (tags, annotations, ...).
    #[serde(flatten)]
    pub other: Ignored,
}

/// eksctl node group (managed or self-managed; same field names).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct RawNodeGroup {
    /// Group name.
    pub name: Option<String>,
    /// Single instance type.
    pub instance_type: Option<String>,
    /// Several instance types (managed groups, Spot).
    pub instance_types: Option<Vec<String>>,
    /// ASG minimum.
    pub min_size: Option<i64>,
    /// ASG maximum.
    pub max_size: Option<i64>,
    /// ASG desired count at start.
    pub desired_capacity: Option<i64>,
    /// AZs of the group (default: the cluster's).
    pub availability_zones: Option<Vec<String>>,
    /// Kubernetes node labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Taints: a list of `{key, value, effect}` or eksctl's older map `key: value:effect`.
    pub taints: Option<serde_json::Value>,
    /// Spot capacity.
    pub spot: Option<bool>,
    /// EKS optimized AMI release version (managed groups).
    pub release_version: Option<String>,
    /// Custom AMI id.
    pub ami: Option<String>,
    /// Overrides the ENI-based max pods.
    pub max_pods_per_node: Option<i64>,
    /// Root volume size in GiB (eksctl default 80): the node's ephemeral storage.
    pub volume_size: Option<i64>,
    /// Managed node group update settings (maxUnavailable / maxUnavailablePercentage).
    pub update_config: Option<RawUpdateConfig>,
    /// Unmodelled fields (volumeSize, iam, ssh, ...).
    #[serde(flatten)]
    pub other: Ignored,
}

/// eksctl Fargate profile.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct RawFargateProfile {
    /// Profile name.
    pub name: Option<String>,
    /// Up to 5 selectors.
    #[serde(default)]
    pub selectors: Vec<RawSelector>,
    /// Unmodelled fields (subnets, podExecutionRoleARN, tags).
    #[serde(flatten)]
    pub other: Ignored,
}

/// One Fargate profile selector.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawSelector {
    /// Namespace pattern (`*`, `?` allowed).
    pub namespace: Option<String>,
    /// Labels the pod must all carry (patterns allowed).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

/// `controlPlane:` section.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawControlPlane {
    /// API server instances (EKS runs at least 2).
    pub api_servers: Option<i64>,
    /// etcd members (3 or 5).
    pub etcd_members: Option<i64>,
    /// `standard` or `extended` support (sets the hourly fee).
    pub support_tier: Option<String>,
    /// AZs to place instances in (default: the cluster's).
    pub zones: Option<Vec<String>>,
    /// `eks` (default) or `self-managed`.
    pub mode: Option<String>,
    /// Time to failure of each instance (a distribution); absent = no random failures.
    pub mtbf: Option<RawDistribution>,
    /// EKS: time to notice an unhealthy instance.
    pub detection_delay: Option<String>,
    /// EKS: time to bring up a replacement (in another AZ if its own is down).
    pub replacement_time: Option<RawDistribution>,
    /// Self-managed: time until an operator repairs a failed instance.
    pub repair_time: Option<RawDistribution>,
    /// kube-controller-manager node-monitor-grace-period.
    pub node_monitor_grace_period: Option<String>,
    /// Default tolerationSeconds for not-ready/unreachable (pod eviction timeout).
    pub pod_eviction_timeout: Option<String>,
}

/// `latency:` section.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawLatency {
    /// EC2 launch to node Ready.
    pub node_launch: Option<RawDistribution>,
    /// Fargate micro-VM creation and registration.
    pub fargate_provision: Option<RawDistribution>,
    /// Image pull times per capacity type.
    pub image_pull: Option<RawImagePull>,
    /// Container start after the image is present.
    pub container_start: Option<RawDistribution>,
}

/// `latency.imagePull`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawImagePull {
    /// On an EC2 node without the image cached.
    pub ec2: Option<RawDistribution>,
    /// On Fargate (never cached).
    pub fargate: Option<RawDistribution>,
}

/// `pricing:` section.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawPricing {
    /// On-demand $/hour per instance type.
    #[serde(default)]
    pub instances: BTreeMap<String, f64>,
    /// Fargate rates.
    pub fargate: Option<RawFargatePricing>,
    /// Control plane $/cluster-hour per support tier.
    pub control_plane: Option<RawControlPlanePricing>,
    /// Spot prices: a discount off on-demand and/or explicit $/hour per type.
    pub spot: Option<RawSpotPricing>,
}

/// `pricing.spot`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawSpotPricing {
    /// Share off the on-demand price (0.7 = 70% cheaper) for types without an explicit price.
    pub discount: Option<f64>,
    /// Spot $/hour per instance type.
    #[serde(default)]
    pub instances: BTreeMap<String, f64>,
}

/// `pricing.fargate`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawFargatePricing {
    /// $ per vCPU-hour.
    pub vcpu_hour: Option<f64>,
    /// $ per GB-hour of memory.
    pub gb_hour: Option<f64>,
    /// $ per GB-hour of ephemeral storage above the included 20 GB.
    pub storage_gb_hour: Option<f64>,
}

/// `pricing.controlPlane`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawControlPlanePricing {
    /// Standard support $/hour.
    pub standard: Option<f64>,
    /// Extended support $/hour.
    pub extended: Option<f64>,
}

/// `fargate:` section.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawFargateSettings {
    /// Account quota of concurrent Fargate pods.
    pub max_concurrent_pods: Option<i64>,
}

/// `ec2:` section.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawEc2Settings {
    /// Share of nominal memory the kubelet never sees (0..0.5).
    pub vm_memory_overhead: Option<f64>,
    /// How long an Auto Scaling group takes to replace an instance that failed its health checks.
    pub unhealthy_replacement_delay: Option<String>,
}

/// `instanceTypes[]`: a custom instance type.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawInstanceType {
    /// Name node groups refer to (must not shadow a catalog type).
    pub name: Option<String>,
    /// vCPUs.
    pub vcpu: Option<i64>,
    /// Nominal memory, e.g. `16Gi`.
    pub memory: Option<Quantity>,
    /// On-demand $/hour.
    pub price_per_hour: Option<f64>,
    /// Pod slots (default 110, kubelet's default).
    pub max_pods: Option<i64>,
    /// GPUs (default 0).
    pub gpus: Option<i64>,
    /// Allocatable as stated, instead of the EKS AMI formula.
    pub allocatable: Option<RawAllocatable>,
}

/// `instanceTypes[].allocatable`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawAllocatable {
    /// Allocatable CPU, e.g. `4000m`.
    pub cpu: Option<Quantity>,
    /// Allocatable memory, e.g. `16384Mi`.
    pub memory: Option<Quantity>,
}

/// A DaemonSet whose pod runs on every EC2 node.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawDaemonSet {
    /// Name, for reports.
    pub name: Option<String>,
    /// CPU request.
    pub cpu: Option<Quantity>,
    /// Memory request.
    pub memory: Option<Quantity>,
}

/// `output:` section.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawOutput {
    /// Interval between timeline.csv rows.
    pub sample_interval: Option<String>,
}

/// One workload source.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum RawWorkload {
    /// Replicas that run for the whole horizon.
    Deployment(RawDeployment),
    /// Synthetic arrivals.
    Generator(RawGenerator),
    /// A canonical trace CSV.
    Trace(RawTrace),
    /// Kubernetes manifests with timing.
    Manifests(RawManifests),
}

/// A toleration as in a pod spec.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawToleration {
    /// Taint key.
    pub key: Option<String>,
    /// `Equal` (default) or `Exists`.
    pub operator: Option<String>,
    /// Value for `Equal`.
    pub value: Option<String>,
    /// Effect to match (all if absent).
    pub effect: Option<String>,
}

/// `workload: - deployment:`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawDeployment {
    /// Deployment name.
    pub name: Option<String>,
    /// Namespace.
    pub namespace: Option<String>,
    /// Replica count.
    pub replicas: Option<i64>,
    /// When the replicas are created.
    pub at: Option<String>,
    /// CPU request per replica.
    pub cpu: Option<Quantity>,
    /// Memory request per replica.
    pub memory: Option<Quantity>,
    /// GPUs per replica.
    pub gpu: Option<i64>,
    /// Ephemeral storage request.
    pub ephemeral_storage: Option<Quantity>,
    /// Pod labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Pod priority.
    pub priority: Option<i32>,
    /// Container image.
    pub image: Option<String>,
    /// nodeSelector.
    #[serde(default)]
    pub node_selector: BTreeMap<String, String>,
    /// Tolerations.
    #[serde(default)]
    pub tolerations: Vec<RawToleration>,
    /// Node affinity and pod (anti-)affinity, as in a pod spec.
    pub affinity: Option<serde_json::Value>,
    /// Topology spread constraints, as in a pod spec.
    pub topology_spread_constraints: Option<serde_json::Value>,
    /// Privileged container.
    pub privileged: Option<bool>,
    /// hostNetwork.
    pub host_network: Option<bool>,
}

/// `arrivals:` of a generator.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum RawArrivals {
    /// `{poisson: {ratePerMinute: 4}}`.
    Poisson {
        /// Mean arrivals per minute.
        #[serde(rename = "ratePerMinute")]
        rate_per_minute: f64,
    },
    /// `{dailyProfile: {ratePerMinute: [24 values]}}`.
    DailyProfile {
        /// One rate per hour of the day.
        #[serde(rename = "ratePerMinute")]
        rate_per_minute: Vec<f64>,
    },
    /// `{every: 30s}`.
    Every(String),
}

/// One weighted request option of a generator.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawRequest {
    /// CPU.
    pub cpu: Option<Quantity>,
    /// Memory.
    pub memory: Option<Quantity>,
    /// GPUs.
    pub gpu: Option<i64>,
    /// Ephemeral storage.
    pub ephemeral_storage: Option<Quantity>,
    /// Relative weight (default 1).
    pub weight: Option<i64>,
}

/// `workload: - generator:`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawGenerator {
    /// Generator name.
    pub name: Option<String>,
    /// Namespace.
    pub namespace: Option<String>,
    /// Arrival process.
    pub arrivals: Option<RawArrivals>,
    /// Run time distribution; absent = runs past the horizon.
    pub duration: Option<RawDistribution>,
    /// Fixed CPU request.
    pub cpu: Option<Quantity>,
    /// Fixed memory request.
    pub memory: Option<Quantity>,
    /// Fixed GPU count.
    pub gpu: Option<i64>,
    /// Fixed ephemeral storage.
    pub ephemeral_storage: Option<Quantity>,
    /// Weighted request options instead of the fixed ones.
    pub requests: Option<Vec<RawRequest>>,
    /// First arrival no earlier than this.
    pub start: Option<String>,
    /// No arrivals after this.
    pub end: Option<String>,
    /// At most this many pods.
    pub count: Option<i64>,
    /// Pod labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Pod priority.
    pub priority: Option<i32>,
    /// Container image.
    pub image: Option<String>,
    /// nodeSelector.
    #[serde(default)]
    pub node_selector: BTreeMap<String, String>,
    /// Tolerations.
    #[serde(default)]
    pub tolerations: Vec<RawToleration>,
    /// Node affinity and pod (anti-)affinity, as in a pod spec.
    pub affinity: Option<serde_json::Value>,
    /// Topology spread constraints, as in a pod spec.
    pub topology_spread_constraints: Option<serde_json::Value>,
    /// Privileged container.
    pub privileged: Option<bool>,
    /// hostNetwork.
    pub host_network: Option<bool>,
}

/// `workload: - trace:`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawTrace {
    /// Canonical trace CSV, relative to the scenario file.
    pub file: Option<String>,
    /// Put every pod in this namespace.
    pub namespace: Option<String>,
    /// Labels added to every pod.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Shift all arrivals by this much.
    pub offset: Option<String>,
    /// nodeSelector of every pod (a row's `node_selector` column adds to it).
    #[serde(default)]
    pub node_selector: BTreeMap<String, String>,
    /// Tolerations of every pod.
    #[serde(default)]
    pub tolerations: Vec<RawToleration>,
    /// Affinity of every pod, as in a pod spec.
    pub affinity: Option<serde_json::Value>,
    /// Topology spread constraints of every pod, as in a pod spec.
    pub topology_spread_constraints: Option<serde_json::Value>,
}

/// `scheduler:` section, with KubeSchedulerConfiguration's field names where they exist.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawScheduler {
    /// percentageOfNodesToScore (0 = adaptive).
    pub percentage_of_nodes_to_score: Option<i64>,
    /// podInitialBackoffSeconds.
    pub pod_initial_backoff_seconds: Option<i64>,
    /// podMaxBackoffSeconds.
    pub pod_max_backoff_seconds: Option<i64>,
    /// eksim: time one scheduling cycle takes.
    pub cycle_latency: Option<String>,
    /// eksim: time the binding API call takes.
    pub bind_latency: Option<String>,
    /// Profiles; eksim uses the first (default-scheduler).
    pub profiles: Option<Vec<RawSchedulerProfile>>,
}

/// One KubeSchedulerConfiguration profile.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawSchedulerProfile {
    /// schedulerName (only `default-scheduler` is modelled).
    pub scheduler_name: Option<String>,
    /// Per-profile percentageOfNodesToScore.
    pub percentage_of_nodes_to_score: Option<i64>,
    /// Plugin sets per extension point.
    pub plugins: Option<RawPlugins>,
    /// Plugin arguments.
    #[serde(default)]
    pub plugin_config: Vec<RawPluginConfig>,
}

/// `plugins:` of a profile.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawPlugins {
    /// Applies to every extension point.
    pub multi_point: Option<RawPluginSet>,
    /// Filter plugins.
    pub filter: Option<RawPluginSet>,
    /// Score plugins.
    pub score: Option<RawPluginSet>,
}

/// `enabled` / `disabled` lists.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawPluginSet {
    /// Plugins to enable (with a weight for scores).
    #[serde(default)]
    pub enabled: Vec<RawPluginRef>,
    /// Plugins to disable (`*` = all defaults).
    #[serde(default)]
    pub disabled: Vec<RawPluginRef>,
}

/// A plugin reference.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawPluginRef {
    /// Plugin name.
    pub name: String,
    /// Score weight.
    pub weight: Option<i64>,
}

/// `pluginConfig:` entry.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawPluginConfig {
    /// Plugin name.
    pub name: String,
    /// Plugin arguments (as in KubeSchedulerConfiguration).
    #[serde(default)]
    pub args: serde_json::Value,
}

/// `workload: - manifests:` — Kubernetes manifests with a timing block for what they cannot say.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawManifests {
    /// A multi-document YAML file, relative to the scenario.
    pub file: Option<String>,
    /// The manifests inline, as a YAML string.
    pub inline: Option<String>,
    /// When the objects are created (default 0s).
    pub at: Option<String>,
    /// Per-object timing, by object name.
    #[serde(default)]
    pub objects: BTreeMap<String, RawObjectTiming>,
}

/// Timing of one manifest object.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawObjectTiming {
    /// Creation time (overrides the section's `at`).
    pub at: Option<String>,
    /// Replica count over time (Deployments and StatefulSets).
    pub replicas: Option<RawReplicas>,
    /// How long each pod runs (required for Jobs).
    pub duration: Option<RawDistribution>,
}

/// Replica changes: `{steps: [{at: 2h, count: 10}]}` or `{dailyProfile: [24 counts]}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum RawReplicas {
    /// Step changes at given times.
    Steps(Vec<RawReplicaStep>),
    /// One count per hour of the day, repeating daily.
    DailyProfile(Vec<i64>),
}

/// One replica step.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawReplicaStep {
    /// When.
    pub at: String,
    /// New replica count.
    pub count: i64,
}

/// `autoscaler:` section. For the Cluster Autoscaler the keys are its command-line flags, as the
/// FAQ spells them (`scan-interval`, `scale-down-unneeded-time`, ...).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct RawAutoscaler {
    /// `cluster-autoscaler`.
    pub kind: Option<String>,
    /// scan-interval.
    pub scan_interval: Option<String>,
    /// expander: random, most-pods, least-waste, price, priority.
    pub expander: Option<String>,
    /// Priority expander configuration: priority → node group name patterns (`*` wildcards).
    pub priorities: Option<BTreeMap<i64, Vec<String>>>,
    /// scale-down-enabled.
    pub scale_down_enabled: Option<bool>,
    /// scale-down-unneeded-time.
    pub scale_down_unneeded_time: Option<String>,
    /// scale-down-utilization-threshold.
    pub scale_down_utilization_threshold: Option<f64>,
    /// scale-down-delay-after-add.
    pub scale_down_delay_after_add: Option<String>,
    /// scale-down-delay-after-failure.
    pub scale_down_delay_after_failure: Option<String>,
    /// max-node-provision-time.
    pub max_node_provision_time: Option<String>,
    /// max-graceful-termination-sec.
    pub max_graceful_termination_sec: Option<i64>,
    /// max-empty-bulk-delete.
    pub max_empty_bulk_delete: Option<i64>,
    /// unremovable-node-recheck-timeout.
    pub unremovable_node_recheck_timeout: Option<String>,
    /// eksim: let nodes with pods not backed by a controller be removed.
    pub allow_unreplicated_pods: Option<bool>,
    /// Karpenter NodePools (karpenter.sh/v1 NodePool objects).
    #[serde(rename = "nodePools")]
    pub node_pools: Option<Vec<RawNodePool>>,
    /// Karpenter BATCH_IDLE_DURATION.
    #[serde(rename = "batchIdleDuration")]
    pub batch_idle_duration: Option<String>,
    /// Karpenter BATCH_MAX_DURATION.
    #[serde(rename = "batchMaxDuration")]
    pub batch_max_duration: Option<String>,
}

/// A Karpenter NodePool as written in Kubernetes (`apiVersion`/`kind` optional).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct RawNodePool {
    /// `metadata.name`.
    pub metadata: Option<RawNamed>,
    /// The NodePool spec.
    pub spec: Option<RawNodePoolSpec>,
    /// apiVersion, kind and other fields.
    #[serde(flatten)]
    pub other: Ignored,
}

/// `metadata` with a name.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct RawNamed {
    /// Name.
    pub name: Option<String>,
    /// Other metadata.
    #[serde(flatten)]
    pub other: Ignored,
}

/// NodePool `spec`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct RawNodePoolSpec {
    /// `template`.
    pub template: Option<RawNodePoolTemplate>,
    /// `disruption`.
    pub disruption: Option<RawDisruption>,
    /// `limits` (cpu, memory).
    #[serde(default)]
    pub limits: BTreeMap<String, Quantity>,
    /// `weight`.
    pub weight: Option<i64>,
    /// Other fields.
    #[serde(flatten)]
    pub other: Ignored,
}

/// NodePool `spec.template`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct RawNodePoolTemplate {
    /// `metadata.labels` of the nodes.
    pub metadata: Option<RawTemplateMeta>,
    /// `spec`: requirements, taints, expireAfter.
    pub spec: Option<RawNodeClaimSpec>,
}

/// Template metadata.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct RawTemplateMeta {
    /// Node labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Other metadata.
    #[serde(flatten)]
    pub other: Ignored,
}

/// NodeClaim template spec.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct RawNodeClaimSpec {
    /// Requirements on well-known labels.
    #[serde(default)]
    pub requirements: Vec<RawRequirement>,
    /// Node taints.
    pub taints: Option<serde_json::Value>,
    /// `expireAfter` (`720h` or `Never`).
    pub expire_after: Option<String>,
    /// Other fields (nodeClassRef, ...).
    #[serde(flatten)]
    pub other: Ignored,
}

/// A requirement `{key, operator, values}`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawRequirement {
    /// Label key.
    pub key: String,
    /// In, NotIn, Exists, DoesNotExist, Gt, Lt.
    pub operator: String,
    /// Values.
    #[serde(default)]
    pub values: Vec<String>,
    /// minValues (accepted, not modelled).
    pub min_values: Option<i64>,
}

/// NodePool `spec.disruption`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct RawDisruption {
    /// WhenEmpty or WhenEmptyOrUnderutilized.
    pub consolidation_policy: Option<String>,
    /// consolidateAfter.
    pub consolidate_after: Option<String>,
    /// Budgets: `[{nodes: "10%"}]`.
    #[serde(default)]
    pub budgets: Vec<BTreeMap<String, serde_json::Value>>,
    /// Other fields.
    #[serde(flatten)]
    pub other: Ignored,
}

/// `spot:` section.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawSpot {
    /// Mean interruptions per Spot instance-hour (a Poisson process per node).
    pub interruptions_per_instance_hour: Option<f64>,
}

/// One scripted event.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawEvent {
    /// When.
    pub at: Option<String>,
    /// Interrupt Spot nodes.
    pub spot_interruption: Option<RawSpotInterruption>,
    /// Roll a managed node group to a new AMI release or Kubernetes version.
    pub node_group_update: Option<RawNodeGroupUpdate>,
    /// A whole Availability Zone goes down for a while.
    pub az_outage: Option<RawAzOutage>,
    /// An Availability Zone is cut off from the others (instances keep running).
    pub az_partition: Option<RawAzOutage>,
    /// Control-plane instances fail.
    pub control_plane_failure: Option<RawCpFailure>,
    /// Replace a self-managed node group's nodes as a user's script would: launch a batch of
    /// new nodes, wait for them, drain a batch of old ones (`updateConfig.maxUnavailable` is the
    /// batch size).
    pub node_group_replacement: Option<RawNodeGroupUpdate>,
}

/// eksctl/EKS `updateConfig`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawUpdateConfig {
    /// Nodes updated at once.
    pub max_unavailable: Option<i64>,
    /// Share of nodes updated at once (1–100).
    pub max_unavailable_percentage: Option<i64>,
    /// DEFAULT (launch before terminate) or MINIMAL.
    pub update_strategy: Option<String>,
}

/// `nodeGroupUpdate:` event (what `eksctl upgrade nodegroup` / UpdateNodegroupVersion starts).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawNodeGroupUpdate {
    /// Managed node group name.
    pub node_group: Option<String>,
    /// New AMI release version.
    pub release_version: Option<String>,
    /// New Kubernetes version.
    pub kubernetes_version: Option<String>,
    /// Overrides the group's updateConfig.
    pub update_config: Option<RawUpdateConfig>,
    /// Terminate nodes even when pods cannot be evicted (PDBs).
    pub force: Option<bool>,
}

/// `spotInterruption:` event.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawSpotInterruption {
    /// Node group (or Karpenter NodePool) whose Spot nodes are interrupted.
    pub node_group: Option<String>,
    /// How many nodes (oldest first).
    pub count: Option<i64>,
}

/// One injected launch failure: a window in which launches of a group (optionally in one AZ)
/// fail, or a failure probability for every launch.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawLaunchFailure {
    /// Node group.
    pub node_group: Option<String>,
    /// Only this AZ (default: all).
    pub zone: Option<String>,
    /// Window start (default 0s).
    pub from: Option<String>,
    /// Window end (default: the horizon).
    pub to: Option<String>,
    /// Probability that a launch in the window fails (default 1).
    pub probability: Option<f64>,
    /// Health issue code (default InsufficientInstanceCapacity).
    pub code: Option<String>,
}

/// One EKS API input: `{file: nodegroup.json}` or the object inline.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawEksApiItem {
    /// A JSON (or YAML) file with the input, relative to the scenario.
    pub file: Option<String>,
    /// The input inline.
    pub inline: Option<serde_json::Value>,
}

/// `azOutage:` event.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawAzOutage {
    /// The zone.
    pub zone: Option<String>,
    /// How long.
    pub duration: Option<String>,
}

/// `controlPlaneFailure:` event.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawCpFailure {
    /// `etcd` or `apiServer`.
    pub component: Option<String>,
    /// How many instances (lowest index first).
    pub count: Option<i64>,
}
