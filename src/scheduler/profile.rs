//! A scheduler profile: which filter plugins run, the score plugins' weights, and the plugins'
//! arguments. Defaults are kube-scheduler's default profile (EKS_FACTS "kube-scheduler
//! defaults"); a scenario's `scheduler.profiles[0]` changes them with KubeSchedulerConfiguration's
//! field names.

use super::plugins::node_resources_fit::{FitScoring, ScoredResource};
use super::plugins::pod_topology_spread::Defaulting;
use crate::sim::time::SimDuration;

/// Filter plugins on or off.
#[derive(Clone, Debug, PartialEq)]
pub struct FilterSet {
    /// NodeUnschedulable.
    pub node_unschedulable: bool,
    /// NodeResourcesFit.
    pub node_resources_fit: bool,
    /// NodeAffinity.
    pub node_affinity: bool,
    /// TaintToleration.
    pub taint_toleration: bool,
    /// PodTopologySpread.
    pub pod_topology_spread: bool,
    /// InterPodAffinity.
    pub inter_pod_affinity: bool,
}

impl Default for FilterSet {
    fn default() -> Self {
        FilterSet {
            node_unschedulable: true,
            node_resources_fit: true,
            node_affinity: true,
            taint_toleration: true,
            pod_topology_spread: true,
            inter_pod_affinity: true,
        }
    }
}

/// Score plugin weights (0 = disabled).
#[derive(Clone, Debug, PartialEq)]
pub struct ScoreWeights {
    /// TaintToleration (default 3).
    pub taint_toleration: i64,
    /// NodeAffinity (default 2).
    pub node_affinity: i64,
    /// PodTopologySpread (default 2).
    pub pod_topology_spread: i64,
    /// InterPodAffinity (default 2).
    pub inter_pod_affinity: i64,
    /// NodeResourcesFit (default 1).
    pub node_resources_fit: i64,
    /// NodeResourcesBalancedAllocation (default 1).
    pub balanced_allocation: i64,
}

impl Default for ScoreWeights {
    fn default() -> Self {
        ScoreWeights {
            taint_toleration: 3,
            node_affinity: 2,
            pod_topology_spread: 2,
            inter_pod_affinity: 2,
            node_resources_fit: 1,
            balanced_allocation: 1,
        }
    }
}

/// The names of the score plugins eksim models, for configuration and messages.
pub const SCORE_PLUGINS: [&str; 6] = [
    "TaintToleration",
    "NodeAffinity",
    "PodTopologySpread",
    "InterPodAffinity",
    "NodeResourcesFit",
    "NodeResourcesBalancedAllocation",
];

/// The names of the filter plugins eksim models.
pub const FILTER_PLUGINS: [&str; 6] = [
    "NodeUnschedulable",
    "NodeAffinity",
    "TaintToleration",
    "NodeResourcesFit",
    "PodTopologySpread",
    "InterPodAffinity",
];

impl ScoreWeights {
    /// The weight slot of a plugin by name.
    pub fn slot(&mut self, name: &str) -> Option<&mut i64> {
        Some(match name {
            "TaintToleration" => &mut self.taint_toleration,
            "NodeAffinity" => &mut self.node_affinity,
            "PodTopologySpread" => &mut self.pod_topology_spread,
            "InterPodAffinity" => &mut self.inter_pod_affinity,
            "NodeResourcesFit" => &mut self.node_resources_fit,
            "NodeResourcesBalancedAllocation" => &mut self.balanced_allocation,
            _ => return None,
        })
    }
}

impl FilterSet {
    /// The switch of a plugin by name.
    pub fn slot(&mut self, name: &str) -> Option<&mut bool> {
        Some(match name {
            "NodeUnschedulable" => &mut self.node_unschedulable,
            "NodeResourcesFit" => &mut self.node_resources_fit,
            "NodeAffinity" => &mut self.node_affinity,
            "TaintToleration" => &mut self.taint_toleration,
            "PodTopologySpread" => &mut self.pod_topology_spread,
            "InterPodAffinity" => &mut self.inter_pod_affinity,
            _ => return None,
        })
    }
}

/// Everything that shapes scheduling decisions and their timing.
#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    /// Filters.
    pub filters: FilterSet,
    /// Score weights.
    pub weights: ScoreWeights,
    /// NodeResourcesFit scoring strategy and resources.
    pub fit: FitScoring,
    /// BalancedAllocation resources.
    pub balanced_resources: Vec<ScoredResource>,
    /// PodTopologySpread default constraints.
    pub spread_defaulting: Defaulting,
    /// InterPodAffinity hardPodAffinityWeight (default 1).
    pub hard_pod_affinity_weight: i64,
    /// percentageOfNodesToScore; 0 = adaptive.
    pub percentage_of_nodes_to_score: u32,
    /// podInitialBackoffSeconds (default 1 s).
    pub pod_initial_backoff: SimDuration,
    /// podMaxBackoffSeconds (default 10 s).
    pub pod_max_backoff: SimDuration,
    /// Time one scheduling cycle takes (eksim setting; default 0).
    pub cycle_latency: SimDuration,
    /// Time the binding API call takes (eksim setting; default 0).
    pub bind_latency: SimDuration,
}

impl Default for Profile {
    fn default() -> Self {
        Profile {
            filters: FilterSet::default(),
            weights: ScoreWeights::default(),
            fit: FitScoring::default(),
            balanced_resources: vec![ScoredResource::Cpu, ScoredResource::Memory],
            spread_defaulting: Defaulting::System,
            hard_pod_affinity_weight: 1,
            percentage_of_nodes_to_score: 0,
            pod_initial_backoff: SimDuration::from_secs(1),
            pod_max_backoff: SimDuration::from_secs(10),
            cycle_latency: SimDuration::ZERO,
            bind_latency: SimDuration::ZERO,
        }
    }
}

/// Which scoring plugins run with upstream's default resources ([`Profile::default_scoring`]).
#[derive(Copy, Clone, Debug)]
pub struct DefaultScoring {
    /// NodeResourcesFit is LeastAllocated over cpu and memory at weight 1 each.
    pub fit: bool,
    /// BalancedAllocation looks at cpu and memory.
    pub balanced: bool,
}

impl Profile {
    /// True when NodeResourcesFit scores with upstream's default LeastAllocated over cpu and
    /// memory at weight 1 each (the specialised formula applies).
    pub fn default_fit(&self) -> bool {
        use crate::scheduler::plugins::node_resources_fit::{FitStrategy, ScoredResource};
        self.fit.strategy == FitStrategy::LeastAllocated
            && matches!(
                self.fit.resources[..],
                [(ScoredResource::Cpu, 1), (ScoredResource::Memory, 1)]
            )
    }

    /// Which scores use upstream's default configuration, so the specialised formulas apply
    /// (asked once per cycle, not per node).
    pub fn default_scoring(&self) -> DefaultScoring {
        use crate::scheduler::plugins::node_resources_fit::ScoredResource;
        DefaultScoring {
            fit: self.default_fit(),
            balanced: self.balanced_resources[..] == [ScoredResource::Cpu, ScoredResource::Memory],
        }
    }

    /// Backoff after `attempts` failed cycles: initial × 2^(attempts − 1), capped at the
    /// maximum (upstream `calculateBackoffDuration`).
    pub fn backoff(&self, attempts: u32) -> SimDuration {
        let mut d = self.pod_initial_backoff.0;
        for _ in 1..attempts {
            d = d.saturating_mul(2);
            if d >= self.pod_max_backoff.0 {
                return self.pod_max_backoff;
            }
        }
        SimDuration(d.min(self.pod_max_backoff.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_the_cap() {
        let p = Profile::default();
        let secs: Vec<u64> = (1..=6).map(|a| p.backoff(a).0 / 1000).collect();
        assert_eq!(secs, vec![1, 2, 4, 8, 10, 10]);
    }
}
