//! A per-node memo of the node-local part of a scheduling cycle: the verdict of the filters
//! that read only the pod and the node (NodeUnschedulable, TaintToleration, NodeAffinity,
//! NodeResourcesFit) and, on a feasible node, the weighted NodeResourcesFit +
//! BalancedAllocation score.
//!
//! Why: a trace job submits its tasks as a burst of identical pods, and between two of its
//! cycles only the node that took the previous pod (and any node a pod left) changed. With
//! 2,000 nodes a cycle walks up to 2,000 of them and scores up to 680; re-deriving every
//! verdict cost the full Alibaba replay most of its time. An entry is valid while the pod's
//! shape (everything those plugins read of a pod) is the one it was computed for and the
//! node's [`Node::version`] has not moved; debug builds recompute every hit and compare.

use std::sync::Arc;

use super::FilterFailure;
use crate::cluster::node::{Node, NodeId};
use crate::cluster::resources::Resources;
use crate::cluster::taints::Toleration;
use crate::workload::{PodConstraints, PodSpec};

/// What the node-local filters and the resource scores read of a pod.
#[derive(Debug, Default)]
struct Shape {
    requests: Resources,
    ephemeral_mib: u64,
    node_selector: Vec<(String, String)>,
    tolerations: Vec<Toleration>,
    constraints: Arc<PodConstraints>,
}

impl Shape {
    fn matches(&self, pod: &PodSpec) -> bool {
        self.requests == pod.requests
            && self.ephemeral_mib == pod.ephemeral_mib
            && (Arc::ptr_eq(&self.constraints, &pod.constraints)
                || *self.constraints == *pod.constraints)
            && self.node_selector == pod.node_selector
            && self.tolerations == pod.tolerations
    }

    fn set(&mut self, pod: &PodSpec) {
        self.requests = pod.requests;
        self.ephemeral_mib = pod.ephemeral_mib;
        self.node_selector.clone_from(&pod.node_selector);
        self.tolerations.clone_from(&pod.tolerations);
        self.constraints = pod.constraints.clone();
    }
}

/// One node's memoised verdict: `Ok(weighted base score)` or the filter failure.
#[derive(Clone, Copy, Debug)]
struct Entry {
    /// The shape epoch it was computed in (0: never).
    epoch: u32,
    /// The node's version it was computed at.
    version: u64,
    verdict: Result<i64, FilterFailure>,
}

impl Default for Entry {
    fn default() -> Entry {
        Entry {
            epoch: 0,
            version: 0,
            verdict: Ok(0),
        }
    }
}

/// The memo, indexed by node id.
#[derive(Debug, Default)]
pub struct NodeCache {
    shape: Shape,
    /// Bumped when the pod shape changes, which invalidates every entry at once.
    epoch: u32,
    entries: Vec<Entry>,
}

impl NodeCache {
    /// Makes the memo serve `pod`: keeps the entries if the pod has the shape of the previous
    /// cycle's pod, else starts a new epoch. `nodes` is the number of nodes (ids below it).
    pub fn prepare(&mut self, pod: &PodSpec, nodes: usize) {
        if self.epoch == 0 || !self.shape.matches(pod) {
            self.shape.set(pod);
            self.epoch = self.epoch.wrapping_add(1).max(1);
            if self.epoch == 1 {
                // Wrapped (or first use): no stale entry may carry this epoch.
                self.entries.iter_mut().for_each(|e| e.epoch = 0);
            }
        }
        if self.entries.len() < nodes {
            self.entries.resize(nodes, Entry::default());
        }
    }

    /// The verdict for `node`, computed by `compute` unless memoised.
    #[inline(always)]
    pub fn verdict(
        &mut self,
        id: NodeId,
        node: &Node,
        compute: impl Fn() -> Result<i64, FilterFailure>,
    ) -> Result<i64, FilterFailure> {
        let e = &mut self.entries[id.0 as usize];
        if e.epoch == self.epoch && e.version == node.version {
            debug_assert_eq!(
                e.verdict,
                compute(),
                "stale scheduler cache for node {}: a change to the node did not bump its version",
                node.name
            );
            return e.verdict;
        }
        let v = compute();
        *e = Entry {
            epoch: self.epoch,
            version: node.version,
            verdict: v,
        };
        v
    }
}

#[cfg(test)]
mod tests {
    use crate::cluster::node::{Node, NodeId};
    use crate::cluster::pod::PodTable;
    use crate::cluster::resources::Resources;
    use crate::scheduler::topology::TopologyIndex;
    use crate::scheduler::{ClusterView, Profile, Scheduler, node_tree_order};
    use crate::sim::rng::stream;
    use crate::workload::PodSpec;

    fn nodes(n: usize) -> (Vec<Node>, Vec<NodeId>) {
        let alloc = Resources {
            cpu_m: 4000,
            memory_mib: 16_384,
            gpus: 0,
            pods: 110,
        };
        let nodes: Vec<Node> = (0..n)
            .map(|i| Node::ready(&format!("n{i}"), i % 3, "z", alloc))
            .collect();
        let ready: Vec<NodeId> = (0..n as u32).map(NodeId).collect();
        let order = node_tree_order(&nodes, &ready);
        (nodes, order)
    }

    fn pod(cpu: u64) -> PodSpec {
        PodSpec {
            requests: Resources::pod(cpu, 1024, 0),
            ..Default::default()
        }
    }

    /// Places `count` pods one after another as the engine would (the chosen node's requests
    /// grow, or it is cordoned every `cordon_every` pods), with or without the memo between
    /// cycles; returns the chosen nodes.
    fn place(memo: bool, count: usize, shapes: &[u64], cordon_every: usize) -> Vec<Option<u32>> {
        let (mut nodes, order) = nodes(7);
        let pods = PodTable::default();
        let mut topo = TopologyIndex::default();
        let mut s = Scheduler::new(Profile::default(), stream(3, "scheduler"));
        let mut out = Vec::new();
        for i in 0..count {
            if !memo {
                s.scratch.cache = Default::default();
            }
            let p = pod(shapes[i % shapes.len()]);
            let view = ClusterView {
                nodes: &nodes,
                order: &order,
                pods: &pods,
            };
            let chosen = s.schedule(&p, &view, &mut topo, None).ok();
            if let Some(id) = chosen {
                let n = &mut nodes[id.0 as usize];
                if cordon_every > 0 && i % cordon_every == cordon_every - 1 {
                    n.cordon();
                } else {
                    n.add_requests(p.requests, 0);
                }
            }
            out.push(chosen.map(|id| id.0));
        }
        out
    }

    #[test]
    fn memoised_cycles_choose_what_fresh_cycles_choose() {
        for (shapes, cordon_every) in [
            (&[700][..], 0),
            (&[700][..], 5),
            (&[700, 700, 1300][..], 0),
            (&[300, 900][..], 4),
        ] {
            let fresh = place(false, 60, shapes, cordon_every);
            let memo = place(true, 60, shapes, cordon_every);
            assert_eq!(
                memo, fresh,
                "shapes {shapes:?}, cordon every {cordon_every}"
            );
            assert!(fresh.iter().any(Option::is_none), "the cluster fills up");
        }
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "stale scheduler cache")]
    fn a_change_that_skips_the_version_is_caught_in_debug_builds() {
        let (mut nodes, order) = nodes(2);
        let pods = PodTable::default();
        let mut topo = TopologyIndex::default();
        let mut s = Scheduler::new(Profile::default(), stream(3, "scheduler"));
        for _ in 0..2 {
            let view = ClusterView {
                nodes: &nodes,
                order: &order,
                pods: &pods,
            };
            let _ = s.schedule(&pod(500), &view, &mut topo, None);
            // A cordon written to the field directly, without Node::cordon.
            nodes[0].unschedulable = true;
        }
    }
}
