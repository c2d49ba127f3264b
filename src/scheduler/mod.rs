//! The default scheduler for pods that no Fargate profile takes: filter the Ready nodes, score
//! the feasible ones, bind to the best, break ties with the seeded RNG (kube-scheduler picks at
//! random among equally best nodes). This is the first cut of kube-scheduler's default profile;
//! the plugins live one per file in [`plugins`] and the pending-pod pool in [`queue`].

pub mod plugins;
pub mod queue;

use std::collections::BTreeMap;

use rand::RngExt;

use crate::cluster::node::{Node, NodeId};
use crate::sim::rng::SimRng;
use crate::workload::PodSpec;

/// Which resources a node is short of.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Insufficient {
    /// Too many pods.
    pub pods: bool,
    /// Not enough CPU.
    pub cpu: bool,
    /// Not enough memory.
    pub memory: bool,
    /// Not enough GPUs.
    pub gpu: bool,
}

impl Insufficient {
    /// True if any resource is short.
    pub fn any(&self) -> bool {
        self.pods || self.cpu || self.memory || self.gpu
    }
}

/// Why one node was filtered out. Small and `Copy`, so the hot path allocates nothing; text is
/// made only when a message is needed.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FilterFailure {
    /// The node is cordoned.
    Unschedulable,
    /// Requests do not fit.
    Insufficient(Insufficient),
    /// nodeSelector does not match.
    NodeAffinity,
    /// The node has a hard taint the pod does not tolerate (index into the node's taints).
    UntoleratedTaint {
        /// Which taint.
        index: usize,
    },
}

/// Runs every filter of the default profile, in upstream order.
pub fn filter(pod: &PodSpec, node: &Node) -> Result<(), FilterFailure> {
    plugins::node_unschedulable::filter(pod, node)?;
    plugins::node_affinity::filter(pod, node)?;
    plugins::taint_toleration::filter(pod, node)?;
    plugins::node_resources_fit::filter(pod, node)
}

/// Adds the kube-scheduler reason strings for one failure to a reason count.
fn count_reasons(f: FilterFailure, node: &Node, reasons: &mut BTreeMap<String, u32>) {
    let mut add = |s: String| *reasons.entry(s).or_insert(0) += 1;
    match f {
        FilterFailure::Unschedulable => add("node(s) were unschedulable".into()),
        FilterFailure::NodeAffinity => {
            add("node(s) didn't match Pod's node affinity/selector".into())
        }
        FilterFailure::UntoleratedTaint { index } => {
            let t = &node.taints[index];
            add(format!(
                "node(s) had untolerated taint {{{}: {}}}",
                t.key, t.value
            ));
        }
        FilterFailure::Insufficient(i) => {
            if i.pods {
                add("Too many pods".into());
            }
            if i.cpu {
                add("Insufficient cpu".into());
            }
            if i.memory {
                add("Insufficient memory".into());
            }
            if i.gpu {
                add("Insufficient nvidia.com/gpu".into());
            }
        }
    }
}

/// Why a pod could not be placed, worded as kube-scheduler's FailedScheduling event:
/// `0/12 nodes are available: 4 Insufficient cpu, 8 node(s) had untolerated taint {k: v}.`
pub fn unschedulable_message(pod: &PodSpec, nodes: &[Node], candidates: &[NodeId]) -> String {
    let mut reasons = BTreeMap::new();
    for id in candidates {
        let node = &nodes[id.0 as usize];
        if let Err(f) = filter(pod, node) {
            count_reasons(f, node, &mut reasons);
        }
    }
    if reasons.is_empty() {
        return format!("0/{} nodes are available.", candidates.len());
    }
    let parts: Vec<String> = reasons.iter().map(|(r, n)| format!("{n} {r}")).collect();
    format!(
        "0/{} nodes are available: {}.",
        candidates.len(),
        parts.join(", ")
    )
}

/// Scores a feasible node with the default profile's score plugins (NodeResourcesFit
/// LeastAllocated, weight 1).
pub fn score(pod: &PodSpec, node: &Node) -> u64 {
    plugins::node_resources_fit::score_least_allocated(pod, node)
}

/// Picks the best feasible node among `candidates` (in id order), or `None` if none fits.
/// Ties are broken uniformly at random with reservoir sampling, as kube-scheduler's
/// `selectHost` does.
pub fn select_node(
    pod: &PodSpec,
    nodes: &[Node],
    candidates: &[NodeId],
    rng: &mut SimRng,
) -> Option<NodeId> {
    let mut best: Option<(u64, NodeId)> = None;
    let mut ties = 0u32;
    for &id in candidates {
        let node = &nodes[id.0 as usize];
        if filter(pod, node).is_err() {
            continue;
        }
        let s = score(pod, node);
        match best {
            Some((bs, _)) if s < bs => {}
            Some((bs, _)) if s == bs => {
                ties += 1;
                if rng.random_range(0..ties + 1) == 0 {
                    best = Some((s, id));
                }
            }
            _ => {
                best = Some((s, id));
                ties = 0;
            }
        }
    }
    best.map(|(_, id)| id)
}
