//! InterPodAffinity: required and preferred pod affinity and anti-affinity, in both directions
//! (the incoming pod's terms, and the terms of pods already running). Rules from upstream
//! interpodaffinity/{filtering,scoring}.go:
//! - Filter: for each required affinity term the node's domain must hold a pod matching all of
//!   the pod's affinity terms — unless no such pod exists anywhere and the pod matches its own
//!   terms (the first pod of a group); no pod matching a required anti-affinity term may run in
//!   the node's domain; and no running pod's required anti-affinity may match the incoming pod in
//!   that domain.
//! - Score: per topology domain, + weight × matching pods for preferred affinity, − for preferred
//!   anti-affinity, and the same from running pods' terms towards the incoming pod (their
//!   required affinity counted with hardPodAffinityWeight); min-max normalised to 0–100.

use super::node_resources_fit::MAX_NODE_SCORE;
use crate::cluster::node::{Node, NodeId};
use crate::cluster::pod::PodTable;
use crate::scheduler::FilterFailure;
use crate::scheduler::topology::{KeyId, NodeDomains, PodQuery, TopologyIndex};
use crate::workload::PodSpec;
use crate::workload::constraints::LabelSelector;

/// Counts per topology domain of one key, by the key's domain numbers
/// ([`TopologyIndex::key`]), with the key's node numbering to find a node's domain.
#[derive(Debug)]
struct KeyCounts<T> {
    key: KeyId,
    nodes: NodeDomains,
    counts: Vec<T>,
}

/// Counts per (topology key, domain): what upstream keeps as a map from (key, value) pairs.
#[derive(Debug)]
struct Pairs<T> {
    by_key: Vec<KeyCounts<T>>,
}

impl<T> Default for Pairs<T> {
    fn default() -> Self {
        Pairs { by_key: Vec::new() }
    }
}

impl<T: Copy + Default + std::ops::AddAssign> Pairs<T> {
    /// The counts of key `k`, made (all zero) on first use.
    fn of_key(&mut self, topo: &TopologyIndex, k: KeyId) -> &mut KeyCounts<T> {
        let i = match self.by_key.iter().position(|kc| kc.key == k) {
            Some(i) => i,
            None => {
                self.by_key.push(KeyCounts {
                    key: k,
                    nodes: topo.domains(k).clone(),
                    counts: vec![T::default(); topo.domain_count(k)],
                });
                self.by_key.len() - 1
            }
        };
        &mut self.by_key[i]
    }

    /// Adds `n` to the domain of node `id` for key `k`; nothing when the node lacks the label.
    /// True when it added.
    fn bump(&mut self, topo: &TopologyIndex, k: KeyId, id: NodeId, n: T) -> bool {
        let Some(d) = topo.domains(k).domain(id) else {
            return false;
        };
        self.of_key(topo, k).counts[d as usize] += n;
        true
    }

    /// The count in node `id`'s domain for key `k` (`None` when the node lacks the label).
    fn at(&self, k: KeyId, id: NodeId) -> Option<T> {
        match self.by_key.iter().find(|kc| kc.key == k) {
            Some(kc) => kc.nodes.domain(id).map(|d| kc.counts[d as usize]),
            None => None,
        }
    }
}

/// The key id of every distinct topology key among `keys`, registered once each.
fn key_ids<'a>(
    topo: &mut TopologyIndex,
    nodes: &[Node],
    keys: impl Iterator<Item = &'a str>,
) -> Vec<(&'a str, KeyId)> {
    let mut ids: Vec<(&str, KeyId)> = Vec::new();
    for key in keys {
        if !ids.iter().any(|(k, _)| *k == key) {
            ids.push((key, topo.key(key, nodes)));
        }
    }
    ids
}

fn id_of(ids: &[(&str, KeyId)], key: &str) -> KeyId {
    ids.iter()
        .find(|(k, _)| *k == key)
        .map(|&(_, id)| id)
        .expect("every key was registered")
}

/// What the filter needs, computed once per cycle.
#[derive(Debug, Default)]
pub struct FilterState {
    /// The topology keys of the pod's required affinity terms (one per term); each has an entry
    /// in `affinity_counts`, which holds its node numbering.
    affinity_keys: Vec<KeyId>,
    affinity_counts: Pairs<u32>,
    /// Some pod was counted for the affinity terms (upstream: the count map is not empty).
    affinity_found: bool,
    self_match_all: bool,
    anti_keys: Vec<KeyId>,
    anti_counts: Pairs<u32>,
    existing_anti: Pairs<u32>,
}

/// PreFilter; `None` when neither the pod nor any running pod has required terms that could
/// matter.
pub fn pre_filter(
    pod: &PodSpec,
    nodes: &[Node],
    candidates: &[NodeId],
    pods: &PodTable,
    topo: &mut TopologyIndex,
) -> Option<FilterState> {
    let c = &pod.constraints;
    if topo.required_anti.is_empty()
        && c.pod_affinity.required.is_empty()
        && c.pod_anti_affinity.required.is_empty()
    {
        return None;
    }
    let mut st = FilterState::default();
    // Holders that match the pod, with their keys registered once each.
    let anti_holders: Vec<(String, NodeId)> = topo
        .required_anti
        .iter()
        .filter(|h| h.query.matches(&pod.namespace, &pod.labels))
        .map(|h| (h.topology_key.clone(), h.node))
        .collect();
    let ids = key_ids(topo, nodes, anti_holders.iter().map(|(k, _)| k.as_str()));
    for (key, node) in &anti_holders {
        st.existing_anti.bump(topo, id_of(&ids, key), *node, 1);
    }
    let aff = &c.pod_affinity.required;
    if !aff.is_empty() {
        // Existing pods must match all affinity terms at once: one conjunctive query.
        let mut sel = LabelSelector::default();
        let mut namespaces: Option<Vec<String>> = None;
        for t in aff {
            let q = PodQuery::of_term(t, &pod.namespace);
            sel.match_labels.extend(q.selector.match_labels);
            sel.match_expressions.extend(q.selector.match_expressions);
            namespaces = Some(match namespaces {
                None => q.namespaces,
                Some(ns) => ns
                    .into_iter()
                    .filter(|n| q.namespaces.contains(n))
                    .collect(),
            });
        }
        sel.match_labels.sort();
        let all = PodQuery {
            selector: sel,
            namespaces: namespaces.unwrap_or_default(),
        };
        st.self_match_all = all.matches(&pod.namespace, &pod.labels);
        let q = topo.query(all, nodes, pods);
        let ids = key_ids(topo, nodes, aff.iter().map(|t| t.topology_key.as_str()));
        let topo = &*topo;
        let matching = topo.counts(q);
        for &id in candidates {
            let n = matching.get(id.0 as usize).copied().unwrap_or(0);
            if n == 0 {
                continue;
            }
            for t in aff {
                st.affinity_found |=
                    st.affinity_counts
                        .bump(topo, id_of(&ids, &t.topology_key), id, n);
            }
        }
        st.affinity_keys = aff
            .iter()
            .map(|t| {
                let k = id_of(&ids, &t.topology_key);
                st.affinity_counts.of_key(topo, k);
                k
            })
            .collect();
    }
    for t in &c.pod_anti_affinity.required {
        let q = topo.query(PodQuery::of_term(t, &pod.namespace), nodes, pods);
        let k = topo.key(&t.topology_key, nodes);
        let topo = &*topo;
        let matching = topo.counts(q);
        for &id in candidates {
            let n = matching.get(id.0 as usize).copied().unwrap_or(0);
            if n > 0 {
                st.anti_counts.bump(topo, k, id, n);
            }
        }
        st.anti_keys.push(k);
    }
    if st.affinity_keys.is_empty() && st.anti_keys.is_empty() && st.existing_anti.by_key.is_empty()
    {
        None
    } else {
        Some(st)
    }
}

/// Filter, in upstream order: pod affinity, pod anti-affinity, existing pods' anti-affinity.
pub fn filter(st: &FilterState, id: NodeId) -> Result<(), FilterFailure> {
    if !st.affinity_keys.is_empty() {
        let mut pods_exist = true;
        for &k in &st.affinity_keys {
            match st.affinity_counts.at(k, id) {
                None => return Err(FilterFailure::PodAffinity),
                Some(0) => pods_exist = false,
                Some(_) => {}
            }
        }
        let first_of_group = !st.affinity_found && st.self_match_all;
        if !(pods_exist || first_of_group) {
            return Err(FilterFailure::PodAffinity);
        }
    }
    for &k in &st.anti_keys {
        if st.anti_counts.at(k, id).unwrap_or(0) > 0 {
            return Err(FilterFailure::PodAntiAffinity);
        }
    }
    for kc in &st.existing_anti.by_key {
        if kc
            .nodes
            .domain(id)
            .is_some_and(|d| kc.counts[d as usize] > 0)
        {
            return Err(FilterFailure::ExistingAntiAffinity);
        }
    }
    Ok(())
}

/// Per-domain score contributions, computed once per cycle.
#[derive(Debug, Default)]
pub struct ScoreState {
    by_pair: Pairs<i64>,
}

/// False when [`pre_score`] would return `None` for `pod`: it has no preferred terms and no
/// running pod has any.
pub fn may_score(pod: &PodSpec, topo: &TopologyIndex) -> bool {
    let c = &pod.constraints;
    !(c.pod_affinity.preferred.is_empty()
        && c.pod_anti_affinity.preferred.is_empty()
        && !topo.has_holders())
}

/// PreScore; `None` when no term on either side exists.
pub fn pre_score(
    pod: &PodSpec,
    hard_pod_affinity_weight: i64,
    nodes: &[Node],
    candidates: &[NodeId],
    pods: &PodTable,
    topo: &mut TopologyIndex,
) -> Option<ScoreState> {
    let c = &pod.constraints;
    if c.pod_affinity.preferred.is_empty()
        && c.pod_anti_affinity.preferred.is_empty()
        && !topo.has_holders()
    {
        return None;
    }
    let mut st = ScoreState::default();
    for (sign, terms) in [
        (1, &c.pod_affinity.preferred),
        (-1, &c.pod_anti_affinity.preferred),
    ] {
        for (w, t) in terms {
            let q = topo.query(PodQuery::of_term(t, &pod.namespace), nodes, pods);
            let k = topo.key(&t.topology_key, nodes);
            let topo = &*topo;
            let matching = topo.counts(q);
            for &id in candidates {
                let n = i64::from(matching.get(id.0 as usize).copied().unwrap_or(0));
                if n > 0 {
                    st.by_pair.bump(topo, k, id, sign * i64::from(*w) * n);
                }
            }
        }
    }
    // Running pods' terms towards this pod: required affinity (with hardPodAffinityWeight),
    // then preferred affinity (+) and anti-affinity (−).
    let mut holders: Vec<(String, NodeId, i64)> = Vec::new();
    if hard_pod_affinity_weight > 0 {
        for h in &topo.required_affinity {
            if h.query.matches(&pod.namespace, &pod.labels) {
                holders.push((h.topology_key.clone(), h.node, hard_pod_affinity_weight));
            }
        }
    }
    for h in &topo.preferred {
        if h.query.matches(&pod.namespace, &pod.labels) {
            holders.push((h.topology_key.clone(), h.node, h.weight));
        }
    }
    let ids = key_ids(topo, nodes, holders.iter().map(|(k, _, _)| k.as_str()));
    for (key, node, w) in &holders {
        st.by_pair.bump(topo, id_of(&ids, key), *node, *w);
    }
    Some(st)
}

/// Raw score of node `id`: the sum of the contributions of its domains.
pub fn score(st: &ScoreState, id: NodeId) -> i64 {
    st.by_pair
        .by_key
        .iter()
        .filter_map(|kc| kc.nodes.domain(id).map(|d| kc.counts[d as usize]))
        .sum()
}

/// Min-max normalisation to 0–100 (all equal → 0).
pub fn normalize(scores: &mut [i64]) {
    let max = scores.iter().copied().max().unwrap_or(0);
    let min = scores.iter().copied().min().unwrap_or(0);
    let diff = max - min;
    for s in scores.iter_mut() {
        *s = if diff > 0 {
            (MAX_NODE_SCORE as f64 * ((*s - min) as f64 / diff as f64)) as i64
        } else {
            0
        };
    }
}
