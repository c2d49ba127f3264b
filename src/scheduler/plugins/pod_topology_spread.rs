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
use crate::scheduler::topology::{KeyId, NodeDomains, PodQuery, QueryId, TopologyIndex};
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

/// Matching pods per domain (by [`TopologyIndex::key`] number), for the domains met so far.
struct Domains {
    counts: Vec<Option<u32>>,
    /// How many domains were met.
    met: usize,
}

impl Domains {
    fn new(numbers: usize) -> Domains {
        Domains {
            counts: vec![None; numbers],
            met: 0,
        }
    }
    #[inline]
    fn get(&self, d: u32) -> Option<u32> {
        self.counts[d as usize]
    }
    #[inline]
    fn meet(&mut self, d: u32) -> &mut u32 {
        let c = &mut self.counts[d as usize];
        if c.is_none() {
            self.met += 1;
        }
        c.get_or_insert(0)
    }
    fn min(&self) -> Option<u32> {
        self.counts.iter().flatten().copied().min()
    }
}

struct FilterItem {
    max_skew: u32,
    self_match: u32,
    nodes: NodeDomains,
    domains: Domains,
    min: u32,
}

/// What the filter needs, computed once per cycle.
pub struct FilterState {
    items: Vec<FilterItem>,
}

fn query_of(pod: &PodSpec, c: &TopologySpreadConstraint) -> PodQuery {
    PodQuery {
        selector: c.selector.clone(),
        namespaces: vec![pod.namespace.to_string()],
    }
}

/// True when the pod has a nodeSelector or required node affinity (else every node matches).
fn has_node_affinity(pod: &PodSpec) -> bool {
    !(pod.node_selector.is_empty() && pod.constraints.node_affinity.required.is_empty())
}

/// True when node `id` carries the label of every key.
#[inline]
fn has_all_keys(topo: &TopologyIndex, keys: &[KeyId], id: NodeId) -> bool {
    keys.iter().all(|&k| topo.domains(k).domain(id).is_some())
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
    let keys: Vec<KeyId> = hard
        .iter()
        .map(|c| topo.key(&c.topology_key, nodes))
        .collect();
    let node_affinity = has_node_affinity(pod);
    // Every candidate is counted when the pod has no node affinity and no candidate lacks a
    // key: then the kept per-domain totals and candidate counts answer without a loop.
    let every_candidate = !node_affinity
        && keys.iter().all(|&k| {
            topo.candidate_domains(k, candidates)
                .is_some_and(|(_, missing)| missing == 0)
        });
    // Otherwise, with tracked candidates, those that pass the pod's node affinity are listed
    // once per pod terms instead of checked per cycle; when none of them lacks a key, the
    // totals kept over them answer.
    let listed = node_affinity && topo.prepare_affine(pod, nodes, candidates);
    let every_listed = listed && keys.iter().all(|&k| topo.affine_domains(k).1 == 0);
    let mut items = Vec::new();
    for (c, &k) in hard.into_iter().zip(&keys) {
        let query = topo.query(query_of(pod, c), nodes, pods);
        let mut domains = Domains::new(topo.domain_count(k));
        if c.topology_key != HOSTNAME {
            if every_candidate {
                topo.track_totals(query, k);
            } else if every_listed {
                topo.track_affine_totals(query, k);
            }
        }
        let of = topo.domains(k);
        let kept = if every_candidate {
            topo.candidate_domains(k, candidates)
                .zip(topo.candidate_totals(query, k, candidates))
                .map(|((per_domain, _), totals)| (per_domain, totals))
        } else if every_listed {
            let (per_domain, _) = topo.affine_domains(k);
            topo.affine_totals(query, k)
                .map(|totals| (per_domain, totals))
        } else {
            None
        };
        if let Some((per_domain, totals)) = kept {
            for (d, _) in per_domain.iter().enumerate().filter(|(_, n)| **n > 0) {
                *domains.meet(d as u32) += totals.get(d).copied().unwrap_or(0);
            }
        } else if listed {
            let matching = topo.counts(query);
            for &id in topo.affine() {
                if !has_all_keys(topo, &keys, id) {
                    continue;
                }
                *domains.meet(of.domain_or_empty(id)) +=
                    matching.get(id.0 as usize).copied().unwrap_or(0);
            }
        } else {
            let matching = topo.counts(query);
            for &id in candidates {
                // With every candidate counted (hostname keys, whose totals are not kept), no
                // candidate lacks a key and the pod has no node affinity: nothing to skip.
                if !every_candidate
                    && (!has_all_keys(topo, &keys, id)
                        || (node_affinity
                            && !super::node_affinity::matches(pod, &nodes[id.0 as usize])))
                {
                    continue;
                }
                *domains.meet(of.domain_or_empty(id)) +=
                    matching.get(id.0 as usize).copied().unwrap_or(0);
            }
        }
        let mut min = domains.min().unwrap_or(0);
        if let Some(md) = c.min_domains
            && (domains.met as u32) < md
        {
            min = 0;
        }
        items.push(FilterItem {
            max_skew: c.max_skew,
            self_match: u32::from(c.selector.matches(&pod.labels)),
            nodes: of.clone(),
            domains,
            min,
        });
    }
    Some(FilterState { items })
}

/// Filter: every constraint's skew stays within maxSkew if the pod lands on node `id`.
pub fn filter(state: &FilterState, id: NodeId) -> Result<(), FilterFailure> {
    for it in &state.items {
        let Some(d) = it.nodes.domain(id) else {
            return Err(FilterFailure::SpreadMissingLabel);
        };
        let count = it.domains.get(d).unwrap_or(0);
        if count + it.self_match > it.min + it.max_skew {
            return Err(FilterFailure::Spread);
        }
    }
    Ok(())
}

struct ScoreItem {
    key: KeyId,
    max_skew: u32,
    hostname: bool,
    query: QueryId,
    weight: f64,
    domains: Domains,
}

/// What the score needs, computed once per cycle over the feasible nodes.
pub struct ScoreState {
    items: Vec<ScoreItem>,
    keys: Vec<KeyId>,
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
    let node_affinity = has_node_affinity(pod);
    // Pods counted on every candidate: per-domain totals can be kept between cycles.
    let all_counted = !(require_all || node_affinity);
    let mut items: Vec<ScoreItem> = soft
        .iter()
        .map(|c| {
            let key = topo.key(&c.topology_key, nodes);
            let hostname = c.topology_key == HOSTNAME;
            let query = topo.query(query_of(pod, c), nodes, pods);
            if all_counted && !hostname {
                topo.track_totals(query, key);
            }
            ScoreItem {
                key,
                max_skew: c.max_skew,
                hostname,
                query,
                weight: 0.0,
                // Hostname counts are read per node, from the query: no domain vector.
                domains: Domains::new(if hostname { 0 } else { topo.domain_count(key) }),
            }
        })
        .collect();
    let keys: Vec<KeyId> = items.iter().map(|it| it.key).collect();
    // With tracked candidates, those that pass the pod's node affinity are listed once per pod
    // terms instead of checked per cycle; when every listed node is counted (none lacks a key,
    // or keys are not required), the totals kept over them answer.
    let listed = node_affinity && topo.prepare_affine(pod, nodes, candidates);
    let listed_all =
        listed && (!require_all || keys.iter().all(|&k| topo.affine_domains(k).1 == 0));
    if listed_all {
        for it in items.iter().filter(|it| !it.hostname) {
            topo.track_affine_totals(it.query, it.key);
        }
    }
    let topo = &*topo;
    let scored = |id: NodeId| !require_all || has_all_keys(topo, &keys, id);
    let scored_nodes = if require_all {
        feasible.iter().filter(|&&id| scored(id)).count()
    } else {
        feasible.len()
    };
    for it in items.iter_mut().filter(|it| !it.hostname) {
        let of = topo.domains(it.key);
        let every = it.domains.counts.len();
        for &id in feasible {
            if scored(id) {
                it.domains.meet(of.domain_or_empty(id));
                if it.domains.met == every {
                    // Every domain met (three zones: within the first few nodes).
                    break;
                }
            }
        }
    }
    for it in &mut items {
        let size = if it.hostname {
            scored_nodes
        } else {
            it.domains.met
        };
        it.weight = ((size + 2) as f64).ln();
    }
    // Pods are counted on the candidates that pass the pod's node affinity (and carry every
    // key, when required): one constraint at a time, so the loop over the nodes reads two
    // vectors and writes a third. A pod without node affinity counts on every candidate.
    let counted = |id: NodeId| {
        (!require_all || has_all_keys(topo, &keys, id))
            && (!node_affinity || super::node_affinity::matches(pod, &nodes[id.0 as usize]))
    };
    // Every domain's sum is taken (kept between cycles, or in one branch-free loop), and only
    // the met domains keep theirs.
    let mut summed = Vec::new();
    for it in items.iter_mut().filter(|it| !it.hostname) {
        let of = topo.domains(it.key);
        let matching = topo.counts(it.query);
        let counts = &mut it.domains.counts;
        let kept = if all_counted {
            topo.candidate_totals(it.query, it.key, candidates)
        } else if listed_all {
            topo.affine_totals(it.query, it.key)
        } else {
            None
        };
        let sums = match kept {
            Some(kept) => kept,
            None => {
                summed.clear();
                summed.resize(counts.len(), 0u32);
                if all_counted {
                    of.sum_by_domain(candidates.iter().copied(), matching, &mut summed);
                } else if listed {
                    let ids = topo.affine().iter().copied();
                    let ids = ids.filter(|&id| !require_all || has_all_keys(topo, &keys, id));
                    of.sum_by_domain(ids, matching, &mut summed);
                } else {
                    let ids = candidates.iter().copied().filter(|&id| counted(id));
                    of.sum_by_domain(ids, matching, &mut summed);
                }
                &summed[..]
            }
        };
        for (c, &sum) in counts.iter_mut().zip(sums) {
            if let Some(c) = c.as_mut() {
                *c += sum;
            }
        }
    }
    Some(ScoreState {
        items,
        keys,
        require_all,
    })
}

/// One soft constraint's vectors, looked up once per cycle rather than per node.
struct Resolved<'a> {
    of: &'a NodeDomains,
    terms: Terms<'a>,
}

/// A constraint's term of a node's raw score, `count × weight + maxSkew − 1`.
enum Terms<'a> {
    /// Hostname: matching pods per node, the term worked out per node.
    PerNode {
        counts: &'a [u32],
        weight: f64,
        max_skew: f64,
    },
    /// Other keys: the term of each domain, worked out once (the same operations in the same
    /// order as per node, so the same value).
    PerDomain(Vec<f64>),
}

fn term(count: u32, weight: f64, max_skew: f64) -> f64 {
    f64::from(count) * weight + max_skew - 1.0
}

fn resolve<'a>(state: &'a ScoreState, topo: &'a TopologyIndex) -> Vec<Resolved<'a>> {
    state
        .items
        .iter()
        .map(|it| {
            let max_skew = f64::from(it.max_skew);
            let terms = if it.hostname {
                Terms::PerNode {
                    counts: topo.counts(it.query),
                    weight: it.weight,
                    max_skew,
                }
            } else {
                Terms::PerDomain(
                    it.domains
                        .counts
                        .iter()
                        .map(|c| term(c.unwrap_or(0), it.weight, max_skew))
                        .collect(),
                )
            };
            Resolved {
                of: topo.domains(it.key),
                terms,
            }
        })
        .collect()
}

/// Raw score of node `id` (lower means less crowded); `None` for nodes the plugin ignores.
#[inline(always)]
fn score_resolved(
    state: &ScoreState,
    items: &[Resolved],
    topo: &TopologyIndex,
    id: NodeId,
) -> Option<i64> {
    if state.require_all && !has_all_keys(topo, &state.keys, id) {
        return None;
    }
    let mut s = 0.0;
    for it in items {
        let Some(d) = it.of.domain(id) else {
            continue;
        };
        s += match &it.terms {
            Terms::PerNode {
                counts,
                weight,
                max_skew,
            } => term(
                counts.get(id.0 as usize).copied().unwrap_or(0),
                *weight,
                *max_skew,
            ),
            Terms::PerDomain(terms) => terms[d as usize],
        };
    }
    Some(round_nonneg(s))
}

/// The raw score of every node of `feasible`, in order, into `out` (cleared first): lower
/// means less crowded, `None` for nodes the plugin ignores.
pub fn score_into(
    state: &ScoreState,
    feasible: &[NodeId],
    topo: &TopologyIndex,
    out: &mut Vec<Option<i64>>,
) {
    let items = resolve(state, topo);
    out.clear();
    if let Some(pair) = Pair::of(&items) {
        // A node's raw score depends only on its domain and its own matching pods: worked out
        // once per (domain, count), from the first node that has them.
        let mut table = [None; PAIR_DOMAINS * PAIR_COUNTS];
        out.extend(feasible.iter().map(|&id| {
            let slot = pair.slot(id).map(|i| &mut table[i]);
            match slot {
                Some(Some(s)) => Some(*s),
                Some(empty) => {
                    let s = score_resolved(state, &items, topo, id);
                    *empty = s;
                    s
                }
                None => score_resolved(state, &items, topo, id),
            }
        }));
        return;
    }
    out.extend(
        feasible
            .iter()
            .map(|&id| score_resolved(state, &items, topo, id)),
    );
}

/// Domains and per-node counts a [`Pair`] table covers; other nodes are scored one by one.
const PAIR_DOMAINS: usize = 8;
const PAIR_COUNTS: usize = 16;

/// The shape of the system defaults (and of many pods' own constraints): one hostname
/// constraint and one over another key, such as the zone.
struct Pair<'a> {
    host: &'a NodeDomains,
    counts: &'a [u32],
    other: &'a NodeDomains,
}

impl<'a> Pair<'a> {
    fn of(items: &[Resolved<'a>]) -> Option<Pair<'a>> {
        let (host, other) = match items {
            [a, b] if matches!(a.terms, Terms::PerNode { .. }) => (a, b),
            [a, b] => (b, a),
            _ => return None,
        };
        let (Terms::PerNode { counts, .. }, Terms::PerDomain(terms)) = (&host.terms, &other.terms)
        else {
            return None;
        };
        (terms.len() <= PAIR_DOMAINS).then_some(Pair {
            host: host.of,
            counts,
            other: other.of,
        })
    }

    /// The table slot of node `id`: its domain and count, when it has both labels (so no key
    /// is missing) and the table covers them.
    #[inline]
    fn slot(&self, id: NodeId) -> Option<usize> {
        self.host.domain(id)?;
        let d = self.other.domain(id)? as usize;
        let c = self.counts.get(id.0 as usize).copied().unwrap_or(0) as usize;
        (c < PAIR_COUNTS).then_some(d * PAIR_COUNTS + c)
    }
}

/// `s.round() as i64` (half away from zero) for `s >= 0` (a raw score: a sum of non-negative
/// terms), without the call into libm that `f64::round` makes on the baseline x86-64 target
/// (which has no rounding instruction): the truncation is one instruction and `s − trunc(s)`
/// is exact, so the result is the same for every such `s`.
#[inline]
fn round_nonneg(s: f64) -> i64 {
    debug_assert!(s >= 0.0 || s.is_nan(), "negative raw spread score {s}");
    let t = s as i64;
    t.saturating_add(i64::from(s - t as f64 >= 0.5))
}

/// Normalises raw scores so the least crowded node gets 100; ignored nodes get 0.
pub fn normalize(scores: &[Option<i64>]) -> Vec<i64> {
    let mut out = vec![0; scores.len()];
    add_normalized(scores, 1, &mut out);
    out
}

/// Adds `weight` × each node's [`normalize`]d score to its total, without the vector of
/// normalised scores (the scheduler's fast path only sums them).
pub fn add_normalized(scores: &[Option<i64>], weight: i64, totals: &mut [i64]) {
    let present = scores.iter().flatten();
    let max = present.clone().copied().max().unwrap_or(0);
    let min = present.copied().min().unwrap_or(0);
    let normal = |s: i64| MAX_NODE_SCORE * (max + min - s) / max;
    // Raw scores are counts of a few pods: over a narrow range every value's result is worked
    // out once, rather than one division per node.
    let span = (max - min) as usize + 1;
    let mut table = [0i64; 64];
    let tabled = max != 0 && span <= table.len() && span < scores.len();
    if tabled {
        for (i, t) in table[..span].iter_mut().enumerate() {
            *t = normal(min + i as i64);
        }
    }
    for (t, s) in totals.iter_mut().zip(scores) {
        *t += weight
            * match s {
                None => 0,
                Some(_) if max == 0 => MAX_NODE_SCORE,
                Some(s) if tabled => table[(s - min) as usize],
                Some(s) => normal(*s),
            };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::pod::Pod;
    use crate::cluster::resources::Resources;
    use crate::workload::constraints::PodConstraints;
    use proptest::prelude::*;
    use std::sync::Arc;

    /// The raw score as it was computed before domains were numbered: each node's labels
    /// looked up, domains keyed by their values.
    fn by_labels(
        pod: &PodSpec,
        defaulting: &Defaulting,
        nodes: &[Node],
        feasible: &[NodeId],
        topo: &mut TopologyIndex,
        pods: &PodTable,
    ) -> Vec<Option<i64>> {
        let (constraints, own) = effective_constraints(pod, defaulting);
        let require_all = own || *defaulting != Defaulting::System;
        let has_all = |n: &Node| {
            constraints
                .iter()
                .all(|c| n.label(&c.topology_key).is_some())
        };
        let queries: Vec<QueryId> = constraints
            .iter()
            .map(|c| topo.query(query_of(pod, c), nodes, pods))
            .collect();
        let mut per_value: Vec<std::collections::BTreeMap<String, u32>> =
            vec![Default::default(); constraints.len()];
        let mut scored = 0;
        for &id in feasible {
            let n = &nodes[id.0 as usize];
            if require_all && !has_all(n) {
                continue;
            }
            scored += 1;
            for (i, c) in constraints.iter().enumerate() {
                per_value[i].insert(n.label(&c.topology_key).unwrap_or("").to_string(), 0);
            }
        }
        for (i, n) in nodes.iter().enumerate() {
            if require_all && !has_all(n) {
                continue;
            }
            let c = &constraints[0..];
            for (j, c) in c.iter().enumerate() {
                let v = n.label(&c.topology_key).unwrap_or("");
                if let Some(x) = per_value[j].get_mut(v) {
                    *x += topo.count(queries[j], NodeId(i as u32));
                }
            }
        }
        feasible
            .iter()
            .map(|&id| {
                let n = &nodes[id.0 as usize];
                if require_all && !has_all(n) {
                    return None;
                }
                let mut s = 0.0;
                for (j, c) in constraints.iter().enumerate() {
                    let Some(v) = n.label(&c.topology_key) else {
                        continue;
                    };
                    let hostname = c.topology_key == HOSTNAME;
                    let size = if hostname { scored } else { per_value[j].len() };
                    let cnt = if hostname {
                        topo.count(queries[j], id)
                    } else {
                        per_value[j][v]
                    };
                    s += f64::from(cnt) * ((size + 2) as f64).ln() + f64::from(c.max_skew) - 1.0;
                }
                Some(s.round() as i64)
            })
            .collect()
    }

    /// Two indexes of `n` nodes each: one to be told the candidates, one left plain.
    fn two_indexes(n: usize) -> (TopologyIndex, TopologyIndex) {
        let mut tracked = TopologyIndex::default();
        let mut plain = TopologyIndex::default();
        for i in 0..n {
            tracked.add_node(NodeId(i as u32));
            plain.add_node(NodeId(i as u32));
        }
        (tracked, plain)
    }

    /// Binds a pod labelled `app=app-<a>` to node `n` (modulo the node count) for each `(n, a)`,
    /// in both indexes.
    fn bind_apps(
        apps: &[(usize, usize)],
        nodes: &mut [Node],
        pods: &mut PodTable,
        indexes: [&mut TopologyIndex; 2],
    ) {
        let [a, b] = indexes;
        for (k, &(n, app)) in apps.iter().enumerate() {
            let node = NodeId((n % nodes.len()) as u32);
            let spec = PodSpec {
                name: format!("p{k}").into(),
                namespace: "default".into(),
                labels: vec![("app".to_string(), format!("app-{app}"))].into(),
                ..Default::default()
            };
            let key = pods.insert(Pod::new(spec.clone(), 0));
            nodes[node.0 as usize].pods.push(key);
            a.bind(&spec, node);
            b.bind(&spec, node);
        }
    }

    /// One node per entry of `zones`: 0 without a zone label, 1 with an empty value, else zone
    /// `zone-<z>`.
    fn zoned_nodes(zones: &[u8]) -> Vec<Node> {
        zones
            .iter()
            .enumerate()
            .map(|(i, &z)| {
                let alloc = Resources {
                    cpu_m: 4000,
                    memory_mib: 16_384,
                    gpus: 0,
                    pods: 110,
                };
                let mut n = Node::ready(&format!("n{i}"), 0, "a", alloc);
                n.labels.retain(|(k, _)| k != ZONE);
                match z {
                    0 => {}
                    1 => n.labels.push((ZONE.into(), String::new())),
                    z => n.labels.push((ZONE.into(), format!("zone-{z}"))),
                }
                n.labels.sort();
                n
            })
            .collect()
    }

    proptest! {
        /// Numbered domains score every node as label lookups do: zones with and without
        /// labels (and an empty value), pods of the pod's app spread at random, the system
        /// defaults (nodes lacking a key kept) and the pod's own constraints (such nodes
        /// skipped); `score_into` gives `score` node by node.
        #[test]
        fn numbered_domains_score_as_labels_do(
            zones in proptest::collection::vec(0u8..5, 1..12),
            apps in proptest::collection::vec(0usize..3, 0..30),
            own in any::<bool>(),
            feasible_mask in any::<u16>(),
        ) {
            let mut nodes = zoned_nodes(&zones);
            let mut topo = TopologyIndex::default();
            for i in 0..nodes.len() {
                topo.add_node(NodeId(i as u32));
            }
            let labels = |app: usize| -> Vec<(String, String)> {
                vec![("app".to_string(), format!("app-{app}"))]
            };
            let mut pods = PodTable::default();
            for (i, &app) in apps.iter().enumerate() {
                let node = NodeId((i * 7 % nodes.len()) as u32);
                let spec = PodSpec {
                    name: format!("p{i}").into(),
                    namespace: "default".into(),
                    labels: labels(app).into(),
                    owner: OwnerKind::ReplicaSet,
                    ..Default::default()
                };
                let key = pods.insert(Pod::new(spec.clone(), i as u64));
                nodes[node.0 as usize].pods.push(key);
                topo.bind(&spec, node);
            }
            let constraints = if own {
                let c = |key: &str, skew| TopologySpreadConstraint {
                    max_skew: skew,
                    topology_key: key.to_string(),
                    when_unsatisfiable: WhenUnsatisfiable::ScheduleAnyway,
                    selector: LabelSelector { match_labels: labels(0), match_expressions: vec![] },
                    min_domains: None,
                };
                vec![c(ZONE, 2), c(HOSTNAME, 1)]
            } else {
                vec![]
            };
            let pod = PodSpec {
                name: "new".into(),
                namespace: "default".into(),
                labels: labels(0).into(),
                owner: OwnerKind::ReplicaSet,
                constraints: Arc::new(PodConstraints {
                    topology_spread: constraints,
                    ..Default::default()
                }),
                ..Default::default()
            };
            let all: Vec<NodeId> = (0..nodes.len() as u32).map(NodeId).collect();
            let feasible: Vec<NodeId> =
                all.iter().copied().filter(|id| feasible_mask >> id.0 & 1 == 1).collect();
            let want = by_labels(&pod, &Defaulting::System, &nodes, &feasible, &mut topo, &pods);
            let st = pre_score(&pod, &Defaulting::System, &nodes, &all, &feasible, &pods, &mut topo)
                .expect("a ReplicaSet pod is scored");
            let mut got = Vec::new();
            score_into(&st, &feasible, &topo, &mut got);
            prop_assert_eq!(&got, &want);
            let one_by_one: Vec<Option<i64>> = feasible
                .iter()
                .map(|&id| {
                    let mut one = Vec::new();
                    score_into(&st, &[id], &topo, &mut one);
                    one[0]
                })
                .collect();
            prop_assert_eq!(&one_by_one, &want);
        }
    }

    proptest! {
        /// PreFilter and scoring from the listed candidates of a pod with node affinity (an
        /// owner that tells its node order) count what checking every candidate counts, over a
        /// run of pods whose nodeSelector, required node affinity, own constraints (hard or
        /// soft, on zones or pools) and candidate set change or repeat at random, and pods
        /// bind and leave between them (the totals kept over the listed nodes follow).
        #[test]
        fn listed_affine_candidates_count_as_the_check_does(
            zones in proptest::collection::vec(0u8..5, 1..12),
            pools in proptest::collection::vec(0u8..3, 12),
            apps in proptest::collection::vec((0usize..12, 0usize..2), 0..30),
            steps in proptest::collection::vec(
                (
                    (0u8..3, 0u8..3, 0u8..3, any::<bool>()),
                    proptest::option::of(any::<u16>()),
                    proptest::option::of((0usize..12, 0usize..2, any::<bool>())),
                ),
                1..16,
            ),
        ) {
            use crate::workload::constraints::{NodeAffinity, NodeSelectorTerm, Requirement, SelectorOp};
            let mut nodes = zoned_nodes(&zones);
            for (n, &pool) in nodes.iter_mut().zip(&pools) {
                if pool > 0 {
                    n.labels.push(("pool".into(), format!("p{pool}")));
                    n.labels.sort();
                }
            }
            let labels = |app: usize| vec![("app".to_string(), format!("app-{app}"))];
            let (mut tracked, mut plain) = two_indexes(nodes.len());
            let mut pods = PodTable::default();
            bind_apps(&apps, &mut nodes, &mut pods, [&mut tracked, &mut plain]);
            let all: Vec<NodeId> = (0..nodes.len() as u32).map(NodeId).collect();
            let mut candidates = all.clone();
            for &id in &candidates {
                tracked.set_candidate(id, true);
            }
            for ((selector, required, own, hard), reorder, churn) in steps {
                match churn {
                    // The newest pod on node n leaves, in both indexes.
                    Some((n, _, true)) => {
                        let n = n % nodes.len();
                        if let Some(key) = nodes[n].pods.pop() {
                            let spec = pods.get(key).expect("bound").spec.clone();
                            tracked.unbind(&spec, NodeId(n as u32));
                            plain.unbind(&spec, NodeId(n as u32));
                        }
                    }
                    Some((n, app, false)) => {
                        bind_apps(&[(n, app)], &mut nodes, &mut pods, [&mut tracked, &mut plain]);
                    }
                    None => {}
                }
                if let Some(bits) = reorder {
                    candidates = all.iter().copied().filter(|id| bits >> id.0 & 1 == 1).collect();
                    for &id in &all {
                        tracked.set_candidate(id, candidates.contains(&id));
                    }
                }
                let pool = |p: u8| format!("p{p}");
                let pod = PodSpec {
                    name: "new".into(),
                    namespace: "default".into(),
                    labels: labels(0).into(),
                    owner: OwnerKind::ReplicaSet,
                    node_selector: match selector {
                        0 => vec![],
                        p => vec![("pool".into(), pool(p))],
                    }
                    .into(),
                    constraints: Arc::new(PodConstraints {
                        node_affinity: NodeAffinity {
                            required: match required {
                                0 => vec![],
                                p => vec![NodeSelectorTerm {
                                    match_expressions: vec![Requirement {
                                        key: "pool".into(),
                                        op: SelectorOp::In,
                                        values: vec![pool(p)],
                                    }],
                                }],
                            },
                            ..Default::default()
                        },
                        // Own constraints (on zones or pools) require every key; without,
                        // the system defaults.
                        topology_spread: if own > 0 {
                            vec![TopologySpreadConstraint {
                                max_skew: 1,
                                topology_key: if own == 1 { ZONE.into() } else { "pool".into() },
                                when_unsatisfiable: if hard {
                                    WhenUnsatisfiable::DoNotSchedule
                                } else {
                                    WhenUnsatisfiable::ScheduleAnyway
                                },
                                selector: LabelSelector { match_labels: labels(0), match_expressions: vec![] },
                                min_domains: None,
                            }]
                        } else {
                            vec![]
                        },
                        ..Default::default()
                    }),
                    ..Default::default()
                };
                let filtered = |topo: &mut TopologyIndex| {
                    pre_filter(&pod, &Defaulting::System, &nodes, &candidates, &pods, topo).map(|st| {
                        st.items.iter().map(|it| (it.domains.counts.clone(), it.domains.met, it.min)).collect::<Vec<_>>()
                    })
                };
                prop_assert_eq!(filtered(&mut tracked), filtered(&mut plain));
                let scores = |topo: &mut TopologyIndex| {
                    pre_score(&pod, &Defaulting::System, &nodes, &candidates, &candidates, &pods, topo).map(|st| {
                        let mut got = Vec::new();
                        score_into(&st, &candidates, topo, &mut got);
                        got
                    })
                };
                prop_assert_eq!(scores(&mut tracked), scores(&mut plain));
            }
        }
    }

    proptest! {
        /// PreFilter from the kept totals and candidate counts (an owner that tells its node
        /// order) counts what the loop over the candidates counts: the same domains met, the
        /// same matching pods per domain, the same minimum. Zones with a missing label or an
        /// empty value, candidates a random part of the nodes, minDomains set or not.
        #[test]
        fn pre_filter_from_kept_totals_matches_the_loop(
            zones in proptest::collection::vec(0u8..5, 1..12),
            apps in proptest::collection::vec((0usize..12, 0usize..3), 0..40),
            in_order in any::<u16>(),
            min_domains in proptest::option::of(1u32..5),
        ) {
            let mut nodes = zoned_nodes(&zones);
            let labels = |app: usize| vec![("app".to_string(), format!("app-{app}"))];
            let candidates: Vec<NodeId> = (0..nodes.len() as u32)
                .filter(|i| in_order >> i & 1 == 1)
                .map(NodeId)
                .collect();
            let (mut tracked, mut plain) = two_indexes(nodes.len());
            let mut pods = PodTable::default();
            for &id in &candidates {
                tracked.set_candidate(id, true);
            }
            bind_apps(&apps, &mut nodes, &mut pods, [&mut tracked, &mut plain]);
            let pod = PodSpec {
                name: "new".into(),
                namespace: "default".into(),
                labels: labels(0).into(),
                constraints: Arc::new(PodConstraints {
                    topology_spread: vec![TopologySpreadConstraint {
                        max_skew: 1,
                        topology_key: ZONE.into(),
                        when_unsatisfiable: WhenUnsatisfiable::DoNotSchedule,
                        selector: LabelSelector { match_labels: labels(0), match_expressions: vec![] },
                        min_domains,
                    }],
                    ..Default::default()
                }),
                ..Default::default()
            };
            // Twice: the first call starts keeping the totals, the second reads them.
            for _ in 0..2 {
                let got = pre_filter(&pod, &Defaulting::System, &nodes, &candidates, &pods, &mut tracked)
                    .expect("a DoNotSchedule constraint");
                let want = pre_filter(&pod, &Defaulting::System, &nodes, &candidates, &pods, &mut plain)
                    .expect("a DoNotSchedule constraint");
                let (g, w) = (&got.items[0], &want.items[0]);
                prop_assert_eq!(&g.domains.counts, &w.domains.counts);
                prop_assert_eq!(g.domains.met, w.domains.met);
                prop_assert_eq!(g.min, w.min);
            }
        }
    }

    /// Nodes of one zone whose counts differ by the table's width are scored apart: past the
    /// width, nodes are scored one by one rather than sharing a slot.
    #[test]
    fn crowded_nodes_are_scored_past_the_table() {
        let mut nodes = Vec::new();
        let mut topo = TopologyIndex::default();
        let mut pods = PodTable::default();
        let spec = PodSpec {
            name: "p".into(),
            namespace: "default".into(),
            labels: vec![("app".to_string(), "web".to_string())].into(),
            owner: OwnerKind::ReplicaSet,
            ..Default::default()
        };
        for (i, crowd) in [3, 3 + PAIR_COUNTS, 2 * PAIR_COUNTS + 3]
            .into_iter()
            .enumerate()
        {
            let alloc = Resources {
                cpu_m: 4000,
                memory_mib: 16_384,
                gpus: 0,
                pods: 110,
            };
            nodes.push(Node::ready(&format!("n{i}"), 0, "a", alloc));
            topo.add_node(NodeId(i as u32));
            for _ in 0..crowd {
                let key = pods.insert(Pod::new(spec.clone(), 0));
                nodes[i].pods.push(key);
                topo.bind(&spec, NodeId(i as u32));
            }
        }
        let all: Vec<NodeId> = (0..3).map(NodeId).collect();
        let want = by_labels(&spec, &Defaulting::System, &nodes, &all, &mut topo, &pods);
        let st = pre_score(
            &spec,
            &Defaulting::System,
            &nodes,
            &all,
            &all,
            &pods,
            &mut topo,
        )
        .expect("a ReplicaSet pod is scored");
        let mut got = Vec::new();
        score_into(&st, &all, &topo, &mut got);
        assert_eq!(got, want);
        assert!(want[0] < want[1] && want[1] < want[2], "{want:?}");
    }

    proptest! {
        /// The table for narrow ranges gives upstream's formula on every node.
        #[test]
        fn normalize_matches_the_formula(
            raw in proptest::collection::vec(proptest::option::of(prop_oneof![0i64..10, 0i64..1000]), 0..200),
        ) {
            let present = raw.iter().flatten();
            let max = present.clone().copied().max().unwrap_or(0);
            let min = present.copied().min().unwrap_or(0);
            let want: Vec<i64> = raw
                .iter()
                .map(|s| match s {
                    None => 0,
                    Some(_) if max == 0 => MAX_NODE_SCORE,
                    Some(s) => MAX_NODE_SCORE * (max + min - s) / max,
                })
                .collect();
            prop_assert_eq!(normalize(&raw), want);
        }
    }

    proptest! {
        /// The libm-free rounding gives what `f64::round` gives, halves and huge values included.
        #[test]
        fn round_nonneg_matches_round(
            s in prop_oneof![
                0.0f64..1e6,
                (0u64..1_000_000).prop_map(|n| n as f64 + 0.5),
                (0u64..1_000_000).prop_map(|n| n as f64 + 0.5 - f64::EPSILON * 4.0),
                0.0f64..f64::MAX,
                Just(0.49999999999999994),
                Just(f64::INFINITY),
                Just(4503599627370495.5),
                Just(9.223_372_036_854_776e18),
            ]
        ) {
            prop_assert_eq!(round_nonneg(s), s.round() as i64);
        }
    }
}
