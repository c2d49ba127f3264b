//! PodTopologySpread: keep pods that match a selector evenly spread over topology domains (zones,
//! hosts). Rules from upstream podtopologyspread/{filtering,scoring}.go and EKS_FACTS:
//! - Filter (`DoNotSchedule`): over the nodes that pass the pod's nodeSelector / required node
//!   affinity (nodeAffinityPolicy Honor) and carry every constraint key (taints ignored,
//!   nodeTaintsPolicy Ignore), count matching pods per domain; a node is infeasible when
//!   `count(its domain) + selfMatch − min(count over domains) > maxSkew` (min taken as 0 when
//!   there are fewer domains than `minDomains`), or when it lacks the topology key.
//! - Score (`ScheduleAnyway`, or the system defaults hostname maxSkew 3 / zone maxSkew 5 for pods
//!   of ReplicaSets and StatefulSets that declare no constraints): per constraint
//!   `count × log(domains + 2) + (maxSkew − 1)`, summed and rounded; normalised so the least
//!   crowded node gets 100: `100 × (max + min − s) / max`.

use super::node_resources_fit::MAX_NODE_SCORE;
use crate::cluster::node::{Node, NodeId};
use crate::cluster::pod::PodTable;
use crate::scheduler::FilterFailure;
use crate::scheduler::topology::{PodQuery, QueryId, TopologyIndex};
use crate::workload::constraints::{LabelSelector, TopologySpreadConstraint, WhenUnsatisfiable};
use crate::workload::{OwnerKind, PodSpec};

/// The well-known hostname label.
pub const HOSTNAME: &str = "kubernetes.io/hostname";
/// The well-known zone label.
pub const ZONE: &str = "topology.kubernetes.io/zone";

/// How default constraints are chosen (`PodTopologySpreadArgs.defaultingType`).
#[derive(Clone, Debug, PartialEq)]
pub enum Defaulting {
    /// Kubernetes' built-in defaults: hostname maxSkew 3 and zone maxSkew 5, ScheduleAnyway.
    System,
    /// Cluster-level defaults given in the profile (selector filled in per pod).
    List(Vec<TopologySpreadConstraint>),
}

/// The system default constraints (EKS_FACTS "kube-scheduler defaults").
pub fn system_defaults() -> Vec<TopologySpreadConstraint> {
    let c = |key: &str, skew| TopologySpreadConstraint {
        max_skew: skew,
        topology_key: key.to_string(),
        when_unsatisfiable: WhenUnsatisfiable::ScheduleAnyway,
        selector: LabelSelector::default(),
        min_domains: None,
    };
    vec![c(HOSTNAME, 3), c(ZONE, 5)]
}

/// False when [`pre_score`] would return `None` for `pod` (no ScheduleAnyway constraint
/// applies), known without building the constraints; true when it may score.
pub fn may_score(pod: &PodSpec, defaulting: &Defaulting) -> bool {
    let own = &pod.constraints.topology_spread;
    if !own.is_empty() {
        return own
            .iter()
            .any(|c| c.when_unsatisfiable == WhenUnsatisfiable::ScheduleAnyway);
    }
    if !matches!(pod.owner, OwnerKind::ReplicaSet | OwnerKind::StatefulSet) || pod.labels.is_empty()
    {
        return false;
    }
    match defaulting {
        Defaulting::System => true,
        Defaulting::List(l) => l
            .iter()
            .any(|c| c.when_unsatisfiable == WhenUnsatisfiable::ScheduleAnyway),
    }
}

/// The constraints that apply to `pod`: its own, or the defaults (with the pod's labels as the
/// selector, as the ReplicaSet's selector would be) when it has none and belongs to a
/// ReplicaSet or StatefulSet.
pub fn effective_constraints(
    pod: &PodSpec,
    defaulting: &Defaulting,
) -> (Vec<TopologySpreadConstraint>, bool) {
    let own = &pod.constraints.topology_spread;
    if !own.is_empty() {
        return (own.clone(), true);
    }
    if !matches!(pod.owner, OwnerKind::ReplicaSet | OwnerKind::StatefulSet) || pod.labels.is_empty()
    {
        return (Vec::new(), false);
    }
    let defaults = match defaulting {
        Defaulting::System => system_defaults(),
        Defaulting::List(l) => l.clone(),
    };
    let selector = LabelSelector {
        match_labels: pod.labels.to_vec(),
        match_expressions: Vec::new(),
    };
    (
        defaults
            .into_iter()
            .map(|c| TopologySpreadConstraint {
                selector: selector.clone(),
                ..c
            })
            .collect(),
        false,
    )
}

struct Domains {
    /// Matching pods per domain value (BTreeMap: `&str` lookups, no allocation per node).
    counts: std::collections::BTreeMap<String, u32>,
}

impl Domains {
    fn new() -> Domains {
        Domains {
            counts: Default::default(),
        }
    }
    fn get(&self, v: &str) -> Option<u32> {
        self.counts.get(v).copied()
    }
    fn add(&mut self, v: &str, n: u32) {
        match self.counts.get_mut(v) {
            Some(c) => *c += n,
            None => {
                self.counts.insert(v.to_string(), n);
            }
        }
    }
}

struct FilterItem {
    key: String,
    max_skew: u32,
    self_match: u32,
    query: QueryId,
    domains: Domains,
    min: u32,
}

/// What the filter needs, computed once per cycle.
pub struct FilterState {
    items: Vec<FilterItem>,
}

fn has_all_keys(node: &Node, constraints: &[TopologySpreadConstraint]) -> bool {
    constraints
        .iter()
        .all(|c| node.label(&c.topology_key).is_some())
}

fn query_of(pod: &PodSpec, c: &TopologySpreadConstraint) -> PodQuery {
    PodQuery {
        selector: c.selector.clone(),
        namespaces: vec![pod.namespace.to_string()],
    }
}

/// PreFilter: domain counts of every `DoNotSchedule` constraint over the eligible nodes.
pub fn pre_filter(
    pod: &PodSpec,
    defaulting: &Defaulting,
    nodes: &[Node],
    candidates: &[NodeId],
    pods: &PodTable,
    topo: &mut TopologyIndex,
) -> Option<FilterState> {
    if pod.constraints.topology_spread.is_empty() && *defaulting == Defaulting::System {
        // The system defaults are all ScheduleAnyway: nothing to filter on.
        return None;
    }
    let (constraints, _) = effective_constraints(pod, defaulting);
    let hard: Vec<&TopologySpreadConstraint> = constraints
        .iter()
        .filter(|c| c.when_unsatisfiable == WhenUnsatisfiable::DoNotSchedule)
        .collect();
    if hard.is_empty() {
        return None;
    }
    let hard_owned: Vec<TopologySpreadConstraint> = hard.iter().map(|c| (*c).clone()).collect();
    let mut items = Vec::new();
    for c in hard {
        let query = topo.query(query_of(pod, c), nodes, pods);
        let mut domains = Domains::new();
        for &id in candidates {
            let node = &nodes[id.0 as usize];
            if !has_all_keys(node, &hard_owned) || !super::node_affinity::matches(pod, node) {
                continue;
            }
            let value = node.label(&c.topology_key).unwrap_or_default();
            domains.add(value, topo.count(query, id));
        }
        let mut min = domains.counts.values().copied().min().unwrap_or(0);
        if let Some(md) = c.min_domains
            && (domains.counts.len() as u32) < md
        {
            min = 0;
        }
        items.push(FilterItem {
            key: c.topology_key.clone(),
            max_skew: c.max_skew,
            self_match: u32::from(c.selector.matches(&pod.labels)),
            query,
            domains,
            min,
        });
    }
    Some(FilterState { items })
}

/// Filter: every constraint's skew stays within maxSkew if the pod lands on `node`.
pub fn filter(state: &FilterState, node: &Node) -> Result<(), FilterFailure> {
    for it in &state.items {
        let Some(value) = node.label(&it.key) else {
            return Err(FilterFailure::SpreadMissingLabel);
        };
        let _ = it.query;
        let count = it.domains.get(value).unwrap_or(0);
        if count + it.self_match > it.min + it.max_skew {
            return Err(FilterFailure::Spread);
        }
    }
    Ok(())
}

struct ScoreItem {
    key: String,
    max_skew: u32,
    hostname: bool,
    query: QueryId,
    weight: f64,
    domains: Domains,
}

/// What the score needs, computed once per cycle over the feasible nodes.
pub struct ScoreState {
    items: Vec<ScoreItem>,
    require_all: bool,
}

/// PreScore: the soft constraints, their domain counts and normalising weights.
pub fn pre_score(
    pod: &PodSpec,
    defaulting: &Defaulting,
    nodes: &[Node],
    candidates: &[NodeId],
    feasible: &[NodeId],
    pods: &PodTable,
    topo: &mut TopologyIndex,
) -> Option<ScoreState> {
    let (constraints, own) = effective_constraints(pod, defaulting);
    let soft: Vec<TopologySpreadConstraint> = constraints
        .into_iter()
        .filter(|c| c.when_unsatisfiable == WhenUnsatisfiable::ScheduleAnyway)
        .collect();
    if soft.is_empty() {
        return None;
    }
    // Nodes lacking a key are ignored unless the constraints are the system defaults.
    let require_all = own || *defaulting != Defaulting::System;
    let mut items: Vec<ScoreItem> = soft
        .iter()
        .map(|c| ScoreItem {
            key: c.topology_key.clone(),
            max_skew: c.max_skew,
            hostname: c.topology_key == HOSTNAME,
            query: topo.query(query_of(pod, c), nodes, pods),
            weight: 0.0,
            domains: Domains::new(),
        })
        .collect();
    let mut scored_nodes = 0usize;
    for &id in feasible {
        let node = &nodes[id.0 as usize];
        if require_all && !has_all_keys(node, &soft) {
            continue;
        }
        scored_nodes += 1;
        for it in items.iter_mut().filter(|it| !it.hostname) {
            let v = node.label(&it.key).unwrap_or_default();
            if it.domains.get(v).is_none() {
                it.domains.counts.insert(v.to_string(), 0);
            }
        }
    }
    for it in &mut items {
        let size = if it.hostname {
            scored_nodes
        } else {
            it.domains.counts.len()
        };
        it.weight = ((size + 2) as f64).ln();
    }
    for &id in candidates {
        let node = &nodes[id.0 as usize];
        if !super::node_affinity::matches(pod, node) || (require_all && !has_all_keys(node, &soft))
        {
            continue;
        }
        for it in items.iter_mut().filter(|it| !it.hostname) {
            let v = node.label(&it.key).unwrap_or_default();
            if let Some(c) = it.domains.counts.get_mut(v) {
                *c += topo.count(it.query, id);
            }
        }
    }
    Some(ScoreState { items, require_all })
}

/// Raw score of `node` (lower means less crowded); `None` for nodes the plugin ignores.
pub fn score(state: &ScoreState, node: &Node, id: NodeId, topo: &TopologyIndex) -> Option<i64> {
    let mut s = 0.0;
    for it in &state.items {
        let Some(value) = node.label(&it.key) else {
            if state.require_all {
                return None;
            }
            continue;
        };
        let cnt = if it.hostname {
            topo.count(it.query, id)
        } else {
            it.domains.get(value).unwrap_or(0)
        };
        s += f64::from(cnt) * it.weight + f64::from(it.max_skew) - 1.0;
    }
    Some(s.round() as i64)
}

/// Normalises raw scores so the least crowded node gets 100; ignored nodes get 0.
pub fn normalize(scores: &mut [Option<i64>]) -> Vec<i64> {
    let present = scores.iter().flatten();
    let max = present.clone().copied().max().unwrap_or(0);
    let min = present.copied().min().unwrap_or(0);
    scores
        .iter()
        .map(|s| match s {
            None => 0,
            Some(_) if max == 0 => MAX_NODE_SCORE,
            Some(s) => MAX_NODE_SCORE * (max + min - s) / max,
        })
        .collect()
}
