//! Cluster Autoscaler (kubernetes/autoscaler): settings with the FAQ's flag names and defaults
//! (EKS_FACTS "Cluster Autoscaler"), and the binpacking estimate behind a scale-up: how many
//! nodes of a group's template the pending pods need.

use super::expander::Expander;
use crate::cluster::node::Node;
use crate::cluster::resources::Resources;
use crate::scheduler::{NodeLocalFilters, Profile};
use crate::sim::time::SimDuration;
use crate::workload::PodSpec;
use rustc_hash::FxHashMap;

/// Validated Cluster Autoscaler settings.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterAutoscalerSpec {
    /// scan-interval (10s).
    pub scan_interval: SimDuration,
    /// expander (least-waste).
    pub expander: Expander,
    /// scale-down-enabled (true).
    pub scale_down_enabled: bool,
    /// scale-down-unneeded-time (10m).
    pub scale_down_unneeded_time: SimDuration,
    /// scale-down-utilization-threshold (0.5).
    pub scale_down_utilization_threshold: f64,
    /// scale-down-delay-after-add (10m).
    pub scale_down_delay_after_add: SimDuration,
    /// scale-down-delay-after-failure (3m).
    pub scale_down_delay_after_failure: SimDuration,
    /// max-node-provision-time (15m).
    pub max_node_provision_time: SimDuration,
    /// max-graceful-termination-sec (600).
    pub max_graceful_termination: SimDuration,
    /// max-empty-bulk-delete (10): nodes removed per scan.
    pub max_empty_bulk_delete: u32,
    /// unremovable-node-recheck-timeout (5m, CA `main.go` flag default): a node whose removal
    /// simulation failed is not simulated again, and so cannot start its unneeded time, until
    /// this has passed. Without it a node whose pods fit nowhere would be re-simulated every
    /// scan, and one that becomes removable would start counting up to 5 minutes early.
    pub unremovable_node_recheck_timeout: SimDuration,
    /// skip-nodes-with-system-pods is not modelled; bare pods block scale-down unless this is
    /// set (the FAQ's "pods not backed by a controller").
    pub allow_unreplicated: bool,
}

impl Default for ClusterAutoscalerSpec {
    fn default() -> Self {
        ClusterAutoscalerSpec {
            scan_interval: SimDuration::from_secs(10),
            expander: Expander::LeastWaste,
            scale_down_enabled: true,
            scale_down_unneeded_time: SimDuration::from_secs(600),
            scale_down_utilization_threshold: 0.5,
            scale_down_delay_after_add: SimDuration::from_secs(600),
            scale_down_delay_after_failure: SimDuration::from_secs(180),
            max_node_provision_time: SimDuration::from_secs(900),
            max_graceful_termination: SimDuration::from_secs(600),
            max_empty_bulk_delete: 10,
            unremovable_node_recheck_timeout: SimDuration::from_secs(300),
            allow_unreplicated: false,
        }
    }
}

/// Result of binpacking pending pods onto new nodes of one template.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Estimate {
    /// Nodes needed (at most the cap).
    pub nodes: u32,
    /// Indices (into the given pods) of the pods those nodes take.
    pub placed: Vec<usize>,
}

/// CA's binpacking estimator: pods in decreasing size order (CPU share + memory share of the
/// template), each onto the first new node it fits, opening a node when none fits, up to `cap`
/// nodes. Only pods that fit an empty template node at all are considered.
///
/// Exactly that first fit, found faster: nodes only fill up here, so a node that failed a pod
/// fails every later pod with the same requests and no placement constraint (nodeSelector,
/// tolerations, required node affinity: the only other things the node-local filters read),
/// and the search for such a pod resumes where the last one of its requests landed. A backlog
/// of thousands of pods of a few shapes no longer tries every open node for every pod.
pub fn binpack(profile: &Profile, template: &Node, pods: &[&PodSpec], cap: u32) -> Estimate {
    let size = |p: &PodSpec| {
        let a = &template.allocatable;
        p.requests.cpu_m as f64 / a.cpu_m.max(1) as f64
            + p.requests.memory_mib as f64 / a.memory_mib.max(1) as f64
    };
    let mut order: Vec<usize> = (0..pods.len())
        .filter(|&i| NodeLocalFilters::new(profile, pods[i]).passes(template))
        .collect();
    order.sort_by(|&a, &b| size(pods[b]).total_cmp(&size(pods[a])).then(a.cmp(&b)));
    let mut nodes: Vec<Node> = Vec::new();
    let mut placed = Vec::new();
    // Per (requests, ephemeral storage) of an unconstrained pod: where its search resumes.
    // Looked up and written, never iterated: a hash map.
    let mut resume: FxHashMap<(Resources, u64), usize> = FxHashMap::default();
    for i in order {
        let p = pods[i];
        let filters = NodeLocalFilters::new(profile, p);
        let key = p
            .filtered_by_requests_only()
            .then_some((p.requests, p.ephemeral_mib));
        let start = key.and_then(|k| resume.get(&k).copied()).unwrap_or(0);
        let slot = nodes[start..]
            .iter()
            .position(|n| filters.passes(n))
            .map(|s| start + s);
        let idx = match slot {
            Some(s) => s,
            None if (nodes.len() as u32) < cap => {
                nodes.push(template.clone());
                nodes.len() - 1
            }
            None => {
                // Nothing open fits and no node may be opened: nor will any for its like.
                if let Some(k) = key {
                    resume.insert(k, nodes.len());
                }
                continue;
            }
        };
        nodes[idx].add_requests(p.requests, p.ephemeral_mib);
        if let Some(k) = key {
            resume.insert(k, idx);
        }
        placed.push(i);
    }
    Estimate {
        nodes: nodes.len() as u32,
        placed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pod(cpu: u64, mem: u64) -> PodSpec {
        PodSpec {
            requests: Resources::pod(cpu, mem, 0),
            ..Default::default()
        }
    }

    #[test]
    fn binpack_first_fit_decreasing() {
        let t = Node::ready(
            "t",
            0,
            "a",
            Resources {
                cpu_m: 2000,
                memory_mib: 8192,
                gpus: 0,
                pods: 110,
            },
        );
        // Sizes (cpu share): 1500, 1000, 1000, 500, 500 → [1500+500], [1000+1000], [500]: 3 nodes.
        let pods = [
            pod(1000, 100),
            pod(500, 100),
            pod(1500, 100),
            pod(1000, 100),
            pod(500, 100),
        ];
        let refs: Vec<&PodSpec> = pods.iter().collect();
        let e = binpack(&Profile::default(), &t, &refs, 10);
        assert_eq!(e.nodes, 3);
        assert_eq!(e.placed.len(), 5);
        // Capped at 2 nodes: the smallest pod is left out.
        let e = binpack(&Profile::default(), &t, &refs, 2);
        assert_eq!(e.nodes, 2);
        assert_eq!(e.placed.len(), 4);
        // A pod larger than the template is never placed.
        let big = [pod(3000, 100)];
        let e = binpack(&Profile::default(), &t, &big.iter().collect::<Vec<_>>(), 10);
        assert_eq!(e, Estimate::default());
    }

    /// The estimator as CA describes it: every pod tries every open node from the first.
    fn first_fit_from_scratch(
        profile: &Profile,
        template: &Node,
        pods: &[&PodSpec],
        cap: u32,
    ) -> Estimate {
        let fits = |p: &PodSpec, n: &Node| NodeLocalFilters::new(profile, p).passes(n);
        let size = |p: &PodSpec| {
            let a = &template.allocatable;
            p.requests.cpu_m as f64 / a.cpu_m.max(1) as f64
                + p.requests.memory_mib as f64 / a.memory_mib.max(1) as f64
        };
        let mut order: Vec<usize> = (0..pods.len())
            .filter(|&i| fits(pods[i], template))
            .collect();
        order.sort_by(|&a, &b| size(pods[b]).total_cmp(&size(pods[a])).then(a.cmp(&b)));
        let mut nodes: Vec<Node> = Vec::new();
        let mut placed = Vec::new();
        for i in order {
            let p = pods[i];
            let idx = match nodes.iter().position(|n| fits(p, n)) {
                Some(s) => s,
                None if (nodes.len() as u32) < cap => {
                    nodes.push(template.clone());
                    nodes.len() - 1
                }
                None => continue,
            };
            nodes[idx].add_requests(p.requests, p.ephemeral_mib);
            placed.push(i);
        }
        Estimate {
            nodes: nodes.len() as u32,
            placed,
        }
    }

    proptest! {
        /// Resuming each shape's search where its last pod landed places every pod exactly
        /// where trying every node from the first would: few shapes (so they repeat), some pods
        /// with a nodeSelector the template lacks or matches, caps that run out.
        #[test]
        fn resumed_search_equals_first_fit_from_scratch(
            shapes in prop::collection::vec((100u64..1800, 100u64..6000, 0u64..2000), 1..4),
            picks in prop::collection::vec((0usize..4, 0u8..10), 0..120),
            cap in 0u32..12,
        ) {
            let mut t = Node::ready(
                "t",
                0,
                "a",
                Resources { cpu_m: 2000, memory_mib: 8192, gpus: 0, pods: 8 },
            );
            t.ephemeral_allocatable_mib = 4000;
            t.labels.push(("tier".into(), "batch".into()));
            let pods: Vec<PodSpec> = picks
                .iter()
                .map(|&(s, c)| {
                    let (cpu, mem, eph) = shapes[s % shapes.len()];
                    let mut p = pod(cpu, mem);
                    p.ephemeral_mib = eph;
                    match c {
                        0 => p.node_selector = vec![("tier".into(), "batch".into())].into(),
                        1 => p.node_selector = vec![("tier".into(), "web".into())].into(),
                        _ => {}
                    }
                    p
                })
                .collect();
            let refs: Vec<&PodSpec> = pods.iter().collect();
            let profile = Profile::default();
            prop_assert_eq!(
                binpack(&profile, &t, &refs, cap),
                first_fit_from_scratch(&profile, &t, &refs, cap)
            );
        }
    }
}
