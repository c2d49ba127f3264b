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
    // Holders' terms that match the pod, with their keys registered once each.
    let anti: Vec<(usize, String)> = topo
        .required_anti
        .groups()
        .iter()
        .enumerate()
        .filter(|(_, g)| g.query.matches(&pod.namespace, &pod.labels))
        .map(|(i, g)| (i, g.topology_key.clone()))
        .collect();
    let ids = key_ids(topo, nodes, anti.iter().map(|(_, k)| k.as_str()));
    for (g, key) in &anti {
        let k = id_of(&ids, key);
        for (&node, &n) in &topo.required_anti.groups()[*g].nodes {
            st.existing_anti.bump(topo, k, node, n);
        }
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
    // then preferred affinity (+) and anti-affinity (−). Each term that matches the pod counts
    // its weight once per holder; its key is registered first (a mutable borrow).
    let mut matched: Vec<(bool, usize, i64)> = Vec::new();
    let mut keys: Vec<String> = Vec::new();
    if hard_pod_affinity_weight > 0 {
        for (i, g) in topo.required_affinity.groups().iter().enumerate() {
            if g.query.matches(&pod.namespace, &pod.labels) {
                matched.push((true, i, hard_pod_affinity_weight));
                keys.push(g.topology_key.clone());
            }
        }
    }
    for (i, g) in topo.preferred.groups().iter().enumerate() {
        if g.query.matches(&pod.namespace, &pod.labels) {
            matched.push((false, i, g.weight));
            keys.push(g.topology_key.clone());
        }
    }
    let ids = key_ids(topo, nodes, keys.iter().map(String::as_str));
    let topo = &*topo;
    for (&(required, i, w), key) in matched.iter().zip(&keys) {
        let holders = if required {
            &topo.required_affinity
        } else {
            &topo.preferred
        };
        let k = id_of(&ids, key);
        for (&node, &n) in &holders.groups()[i].nodes {
            st.by_pair.bump(topo, k, node, w * i64::from(n));
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::pod::Pod;
    use crate::cluster::resources::Resources;
    use crate::workload::constraints::{PodAffinityTerm, PodConstraints};
    use proptest::prelude::*;
    use std::sync::Arc;

    const ZONE: &str = "topology.kubernetes.io/zone";
    const HOST: &str = "kubernetes.io/hostname";

    /// A term about pods labelled `app=app-<app>`, over zones or hosts.
    fn term(app: u8, zone: bool) -> PodAffinityTerm {
        PodAffinityTerm {
            selector: LabelSelector {
                match_labels: vec![("app".into(), format!("app-{app}"))],
                match_expressions: vec![],
            },
            namespaces: vec![],
            topology_key: if zone { ZONE } else { HOST }.into(),
        }
    }

    /// A term a pod carries: its kind (0 required anti-affinity, 1 required affinity,
    /// 2 preferred affinity, 3 preferred anti-affinity), the app it is about, whether its key is
    /// the zone (else the host), and its weight when preferred.
    type Term = (u8, u8, bool, i32);

    fn spec(app: u8, terms: &[Term]) -> PodSpec {
        let mut c = PodConstraints::default();
        for &(kind, target, zone, w) in terms {
            let t = term(target, zone);
            match kind {
                0 => c.pod_anti_affinity.required.push(t),
                1 => c.pod_affinity.required.push(t),
                2 => c.pod_affinity.preferred.push((w, t)),
                _ => c.pod_anti_affinity.preferred.push((w, t)),
            }
        }
        PodSpec {
            name: "p".into(),
            namespace: "default".into(),
            labels: vec![("app".to_string(), format!("app-{app}"))].into(),
            constraints: Arc::new(c),
            ..Default::default()
        }
    }

    /// True when nodes `a` and `b` share a domain of `key` (both carry it, equal values).
    fn same_domain(nodes: &[Node], a: NodeId, b: NodeId, key: &str) -> bool {
        let (x, y) = (
            nodes[a.0 as usize].label(key),
            nodes[b.0 as usize].label(key),
        );
        x.is_some() && x == y
    }

    proptest! {
        /// Running pods' terms, kept grouped by term, filter and score every node as the pods'
        /// terms checked one by one do: pods with random required and preferred (anti-)
        /// affinity bind and leave at random, on nodes with and without a zone label.
        #[test]
        fn grouped_holders_count_as_each_holder_does(
            zones in proptest::collection::vec(0u8..4, 1..8),
            ops in proptest::collection::vec(
                (any::<bool>(), 0usize..8, 0u8..3, proptest::collection::vec((0u8..4, 0u8..3, any::<bool>(), 1i32..100), 0..3)),
                1..40,
            ),
            incoming in 0u8..3,
            hard_weight in 0i64..3,
        ) {
            let alloc = Resources { cpu_m: 4000, memory_mib: 16_384, gpus: 0, pods: 110 };
            let mut nodes: Vec<Node> = zones
                .iter()
                .enumerate()
                .map(|(i, &z)| {
                    let mut n = Node::ready(&format!("n{i}"), 0, &format!("z{z}"), alloc);
                    if z == 0 {
                        n.labels.retain(|(k, _)| k != ZONE);
                    }
                    n
                })
                .collect();
            let mut topo = TopologyIndex::default();
            let mut pods = PodTable::default();
            let mut bound: Vec<(crate::cluster::pod::PodKey, NodeId, PodSpec)> = Vec::new();
            for i in 0..nodes.len() {
                topo.add_node(NodeId(i as u32));
            }
            for (leave, n, app, terms) in ops {
                if leave && !bound.is_empty() {
                    let (key, node, s) = bound.remove(n % bound.len());
                    nodes[node.0 as usize].pods.retain(|&p| p != key);
                    topo.unbind(&s, node);
                } else {
                    let node = NodeId((n % nodes.len()) as u32);
                    let s = spec(app, &terms);
                    let key = pods.insert(Pod::new(s.clone(), 0));
                    nodes[node.0 as usize].pods.push(key);
                    topo.bind(&s, node);
                    bound.push((key, node, s));
                }
            }
            prop_assert_eq!(topo.has_holders(), bound.iter().any(|(_, _, s)| {
                let c = &s.constraints;
                !(c.pod_affinity.required.is_empty() && c.pod_anti_affinity.required.is_empty()
                    && c.pod_affinity.preferred.is_empty() && c.pod_anti_affinity.preferred.is_empty())
            }));
            let pod = spec(incoming, &[]);
            let all: Vec<NodeId> = (0..nodes.len() as u32).map(NodeId).collect();
            let matches = |t: &PodAffinityTerm| t.selector.matches(&pod.labels);
            let filtered = pre_filter(&pod, &nodes, &all, &pods, &mut topo);
            let scored = pre_score(&pod, hard_weight, &nodes, &all, &pods, &mut topo);
            for &id in &all {
                // A running pod's required anti-affinity term that matches keeps the pod out of
                // the holder's domain.
                let blocked = bound.iter().any(|(_, at, s)| {
                    s.constraints.pod_anti_affinity.required.iter()
                        .any(|t| matches(t) && same_domain(&nodes, id, *at, &t.topology_key))
                });
                let got = filtered.as_ref().map_or(Ok(()), |st| filter(st, id));
                prop_assert_eq!(got.is_err(), blocked, "node {}", id.0);
                let mut want = 0i64;
                for (_, at, s) in &bound {
                    let c = &s.constraints;
                    let terms = c.pod_affinity.required.iter().map(|t| (hard_weight, t))
                        .chain(c.pod_affinity.preferred.iter().map(|(w, t)| (i64::from(*w), t)))
                        .chain(c.pod_anti_affinity.preferred.iter().map(|(w, t)| (-i64::from(*w), t)));
                    for (w, t) in terms {
                        if matches(t) && same_domain(&nodes, id, *at, &t.topology_key) {
                            want += w;
                        }
                    }
                }
                prop_assert_eq!(scored.as_ref().map_or(0, |st| score(st, id)), want, "node {}", id.0);
            }
        }
    }
}
