//! DefaultPreemption (kube-scheduler's PostFilter): when a pod fits nowhere, find the node where
//! evicting the fewest, least important lower-priority pods makes it fit, honouring
//! PodDisruptionBudgets where possible. Rules from upstream defaultpreemption and
//! framework/preemption:
//! - Only nodes whose failure removing pods could resolve are candidates (not taints, node
//!   affinity, a missing topology label or unmet pod affinity).
//! - On each candidate: remove every lower-priority pod; if the pod still does not fit, the node
//!   is out. Otherwise add pods back, most important first (PDB-violating ones first), keeping
//!   each one the pod still fits with; those that cannot come back are the victims.
//! - Pick the node with, in order: fewest PDB violations, lowest highest-victim priority,
//!   lowest sum of victim priorities, fewest victims, latest start of the highest-priority
//!   victim, then the first.

use std::collections::BTreeMap;

use super::topology::TopologyIndex;
use super::{ClusterView, FilterFailure, Scheduler};
use crate::cluster::node::{Node, NodeId};
use crate::cluster::node_list::NodeList;
use crate::cluster::pod::{PodKey, PodPhase, PodTable};
use crate::sim::time::SimTime;
use crate::workload::{PdbSpec, PodSpec};

/// True when evicting pods could fix this failure (upstream: status `Unschedulable`, not
/// `UnschedulableAndUnresolvable`).
pub fn resolvable(f: &FilterFailure) -> bool {
    matches!(
        f,
        FilterFailure::Insufficient(_)
            | FilterFailure::Spread
            | FilterFailure::PodAntiAffinity
            | FilterFailure::ExistingAntiAffinity
    )
}

/// The chosen node and the pods to evict.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// Where the preemptor will go.
    pub node: NodeId,
    /// Pods to evict, most important first.
    pub victims: Vec<PodKey>,
    /// How many victims break a PDB.
    pub pdb_violations: u32,
}

/// Disruptions each PDB still allows, from the pods alive now.
pub fn pdb_budgets(pdbs: &[PdbSpec], pods: &PodTable) -> Vec<u32> {
    pdbs.iter()
        .map(|pdb| {
            let (mut healthy, mut expected) = (0u32, 0u32);
            for (_, p) in pods.iter() {
                if p.terminating
                    || p.spec.namespace != pdb.namespace
                    || !pdb.selector.matches(&p.spec.labels)
                {
                    continue;
                }
                expected += 1;
                if p.phase == PodPhase::Running {
                    healthy += 1;
                }
            }
            pdb.allowed_disruptions(healthy, expected)
        })
        .collect()
}

struct Candidate {
    node: NodeId,
    victims: Vec<(i32, SimTime, PodKey)>,
    violations: u32,
}

fn remove(node: &mut Node, topo: &mut TopologyIndex, id: NodeId, spec: &PodSpec) {
    node.remove_requests(spec.requests, spec.ephemeral_mib);
    topo.unbind(spec, id);
}

fn restore(node: &mut Node, topo: &mut TopologyIndex, id: NodeId, spec: &PodSpec) {
    node.add_requests(spec.requests, spec.ephemeral_mib);
    topo.bind(spec, id);
}

/// Finds the preemption plan for `pod`, or `None` if evicting lower-priority pods cannot help.
/// `nodes` and `topo` are changed while simulating and restored before returning.
#[allow(clippy::too_many_arguments)]
pub fn plan(
    scheduler: &Scheduler,
    pod: &PodSpec,
    nodes: &mut NodeList,
    order: &[NodeId],
    pods: &PodTable,
    topo: &mut TopologyIndex,
    pdbs: &[PdbSpec],
) -> Option<Plan> {
    let budgets = pdb_budgets(pdbs, pods);
    let mut candidates: Vec<Candidate> = Vec::new();
    for &id in order {
        // Only nodes where the pod fails for a reason eviction can fix.
        let failure = {
            let view = ClusterView { nodes, order, pods };
            let state = scheduler.pre_filter(pod, &view, topo);
            match super::filter_node(
                &scheduler.profile,
                &state,
                pod,
                id,
                &view.nodes[id.0 as usize],
            ) {
                Ok(()) => continue,
                Err(f) => f,
            }
        };
        if !resolvable(&failure) {
            continue;
        }
        let lower: Vec<PodKey> = nodes[id.0 as usize]
            .pods
            .iter()
            .copied()
            .filter(|k| {
                pods.get(*k)
                    .is_some_and(|p| p.spec.priority < pod.priority && !p.terminating)
            })
            .collect();
        if lower.is_empty() {
            continue;
        }
        for &k in &lower {
            let p = pods.get(k).expect("live");
            remove(&mut nodes[id.0 as usize], topo, id, &p.spec);
        }
        let fits = |nodes: &[Node], topo: &mut TopologyIndex| {
            let view = ClusterView { nodes, order, pods };
            scheduler.fits_on(pod, &view, topo, id)
        };
        if !fits(nodes, topo) {
            for &k in &lower {
                let p = pods.get(k).expect("live");
                restore(&mut nodes[id.0 as usize], topo, id, &p.spec);
            }
            continue;
        }
        // Most important first: higher priority, then earlier start.
        let mut ranked: Vec<(std::cmp::Reverse<i32>, SimTime, PodKey)> = lower
            .iter()
            .map(|&k| {
                let p = pods.get(k).expect("live");
                (
                    std::cmp::Reverse(p.spec.priority),
                    p.running
                        .get()
                        .or(p.scheduled.get())
                        .unwrap_or(SimTime::MAX),
                    k,
                )
            })
            .collect();
        ranked.sort();
        let mut used = budgets.clone();
        let violates = |k: PodKey, used: &mut Vec<u32>| -> bool {
            let p = pods.get(k).expect("live");
            let mut v = false;
            for (i, pdb) in pdbs.iter().enumerate() {
                if pdb.namespace == p.spec.namespace && pdb.selector.matches(&p.spec.labels) {
                    if used[i] == 0 {
                        v = true;
                    } else {
                        used[i] -= 1;
                    }
                }
            }
            v
        };
        let mut violating = Vec::new();
        let mut non_violating = Vec::new();
        for &(prio, start, k) in &ranked {
            if violates(k, &mut used) {
                violating.push((prio.0, start, k));
            } else {
                non_violating.push((prio.0, start, k));
            }
        }
        let mut victims = Vec::new();
        let mut violations = 0;
        for (is_violating, list) in [(true, &violating), (false, &non_violating)] {
            for &(prio, start, k) in list {
                let p = pods.get(k).expect("live");
                restore(&mut nodes[id.0 as usize], topo, id, &p.spec);
                if !fits(nodes, topo) {
                    remove(&mut nodes[id.0 as usize], topo, id, &p.spec);
                    victims.push((prio, start, k));
                    if is_violating {
                        violations += 1;
                    }
                }
            }
        }
        // Put the victims back: this was a dry run.
        for &(_, _, k) in &victims {
            let p = pods.get(k).expect("live");
            restore(&mut nodes[id.0 as usize], topo, id, &p.spec);
        }
        candidates.push(Candidate {
            node: id,
            victims,
            violations,
        });
    }
    let key = |c: &Candidate| {
        let top = c.victims.iter().map(|v| v.0).max().unwrap_or(i32::MIN);
        let sum: i64 = c.victims.iter().map(|v| i64::from(v.0)).sum();
        // Latest start of the highest-priority victims: later is better, so negate.
        let latest = c
            .victims
            .iter()
            .filter(|v| v.0 == top)
            .map(|v| v.1)
            .max()
            .unwrap_or(SimTime::ZERO);
        (
            c.violations,
            top,
            sum,
            c.victims.len(),
            std::cmp::Reverse(latest),
        )
    };
    let mut best: BTreeMap<_, usize> = BTreeMap::new();
    for (i, c) in candidates.iter().enumerate() {
        best.entry(key(c)).or_insert(i);
    }
    let (_, &i) = best.iter().next()?;
    let c = &candidates[i];
    Some(Plan {
        node: c.node,
        victims: c.victims.iter().map(|v| v.2).collect(),
        pdb_violations: c.violations,
    })
}
