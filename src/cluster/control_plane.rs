//! The EKS control plane's shape: API server and etcd instances placed over the cluster's AZs.
//! This issue models placement and the hourly fee; failures and availability come later and
//! will build on the same placement.

/// Support tier, which sets the hourly cluster fee.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum SupportTier {
    /// Standard support: $0.10 per cluster-hour (EKS_FACTS "Control plane").
    Standard,
    /// Extended support: $0.60 per cluster-hour since April 2024 (EKS_FACTS).
    Extended,
}

impl SupportTier {
    /// Name as written in scenarios and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            SupportTier::Standard => "standard",
            SupportTier::Extended => "extended",
        }
    }
}

/// kube-controller-manager's default node-monitor-grace-period (K8S): 40 s.
pub const NODE_MONITOR_GRACE: crate::sim::time::SimDuration =
    crate::sim::time::SimDuration::from_secs(40);
/// Default tolerationSeconds for node.kubernetes.io/not-ready and unreachable (K8S
/// DefaultTolerationSeconds admission plugin; EKS_FACTS issue text): 300 s.
pub const POD_EVICTION_TIMEOUT: crate::sim::time::SimDuration =
    crate::sim::time::SimDuration::from_secs(300);
/// EKS detection delay of a failed control-plane instance. No published figure: an eksim
/// assumption (1 minute), to be set per scenario.
pub const EKS_DETECTION_DELAY: crate::sim::time::SimDuration =
    crate::sim::time::SimDuration::from_secs(60);
/// EKS replacement time of a control-plane instance. No published figure: an eksim assumption
/// (10 minutes, like an EC2 instance launch plus bootstrap), to be set per scenario.
pub const EKS_REPLACEMENT_TIME: crate::sim::time::SimDuration =
    crate::sim::time::SimDuration::from_secs(600);
/// Manual repair of a self-managed control-plane instance. No published figure: an eksim
/// assumption (1 hour of operator time), to be set per scenario.
pub const SELF_MANAGED_REPAIR_TIME: crate::sim::time::SimDuration =
    crate::sim::time::SimDuration::from_secs(3600);

/// Default fee of standard support, $ per cluster-hour (EKS_FACTS "Control plane").
pub const STANDARD_FEE_PER_HOUR: f64 = 0.10;
/// Default fee of extended support, $ per cluster-hour (EKS_FACTS "Control plane").
pub const EXTENDED_FEE_PER_HOUR: f64 = 0.60;
/// EKS runs at least two API server instances (EKS_FACTS "Control plane").
pub const DEFAULT_API_SERVERS: u32 = 2;
/// EKS runs three etcd members over three AZs (EKS_FACTS "Control plane").
pub const DEFAULT_ETCD_MEMBERS: u32 = 3;

/// Who runs the control plane.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ControlPlaneMode {
    /// Amazon EKS: at least 2 API servers, 3 etcd members, failed instances replaced
    /// automatically (in another AZ if theirs is down).
    Eks,
    /// Run by the user: 1 or 3 replicas, failed instances wait for a manual repair.
    SelfManaged,
}

/// Failure behaviour of the control plane's instances.
#[derive(Clone, Debug, PartialEq)]
pub struct FailureModel {
    /// Time to failure of each instance; `None` = no random failures.
    pub mtbf: Option<crate::scenario::distribution::Distribution>,
    /// EKS: time to notice a failed instance.
    pub detection_delay: crate::sim::time::SimDuration,
    /// EKS: time to bring a replacement up.
    pub replacement: crate::scenario::distribution::Distribution,
    /// Self-managed: time until an operator repairs it.
    pub repair: crate::scenario::distribution::Distribution,
    /// node-monitor-grace-period: a silent node is NotReady after this.
    pub node_monitor_grace: crate::sim::time::SimDuration,
    /// Pods on a NotReady node are evicted after this (default tolerationSeconds).
    pub pod_eviction_timeout: crate::sim::time::SimDuration,
}

/// A validated control plane description.
#[derive(Clone, Debug, PartialEq)]
pub struct ControlPlaneSpec {
    /// EKS or self-managed.
    pub mode: ControlPlaneMode,
    /// Failures and repairs.
    pub failures: FailureModel,
    /// API server instances.
    pub api_servers: u32,
    /// etcd members.
    pub etcd_members: u32,
    /// Zones instances are spread over, in placement order.
    pub zones: Vec<String>,
    /// Support tier.
    pub support_tier: SupportTier,
    /// $ per cluster-hour for the tier (after pricing overrides).
    pub fee_per_hour: f64,
}

impl ControlPlaneSpec {
    /// Zone of each API server instance: spread round-robin over the zones, as EKS spreads its
    /// auto-scaling groups.
    pub fn api_server_zones(&self) -> Vec<&str> {
        spread(self.api_servers, &self.zones)
    }

    /// Zone of each etcd member, spread the same way.
    pub fn etcd_zones(&self) -> Vec<&str> {
        spread(self.etcd_members, &self.zones)
    }

    /// Votes needed for etcd to accept writes: a strict majority.
    pub fn etcd_quorum(&self) -> u32 {
        self.etcd_members / 2 + 1
    }
}

fn spread(n: u32, zones: &[String]) -> Vec<&str> {
    if zones.is_empty() {
        return Vec::new();
    }
    (0..n as usize)
        .map(|i| zones[i % zones.len()].as_str())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placement_spreads_round_robin_and_quorum_is_majority() {
        let cp = ControlPlaneSpec {
            mode: ControlPlaneMode::Eks,
            failures: FailureModel {
                mtbf: None,
                detection_delay: crate::sim::time::SimDuration::ZERO,
                replacement: crate::scenario::distribution::Distribution::Fixed(
                    crate::sim::time::SimDuration::ZERO,
                ),
                repair: crate::scenario::distribution::Distribution::Fixed(
                    crate::sim::time::SimDuration::ZERO,
                ),
                node_monitor_grace: crate::sim::time::SimDuration::ZERO,
                pod_eviction_timeout: crate::sim::time::SimDuration::ZERO,
            },
            api_servers: 2,
            etcd_members: 3,
            zones: vec!["a".into(), "b".into(), "c".into()],
            support_tier: SupportTier::Standard,
            fee_per_hour: STANDARD_FEE_PER_HOUR,
        };
        assert_eq!(cp.api_server_zones(), vec!["a", "b"]);
        assert_eq!(cp.etcd_zones(), vec!["a", "b", "c"]);
        assert_eq!(cp.etcd_quorum(), 2);
        assert_eq!(
            ControlPlaneSpec {
                etcd_members: 5,
                ..cp
            }
            .etcd_quorum(),
            3
        );
    }
}
