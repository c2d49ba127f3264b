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

use std::collections::BTreeMap;

use super::node_resources_fit::MAX_NODE_SCORE;
use crate::cluster::node::{Node, NodeId};
use crate::cluster::pod::PodTable;
use crate::scheduler::FilterFailure;
use crate::scheduler::topology::{PodQuery, TopologyIndex};
use crate::workload::PodSpec;
use crate::workload::constraints::LabelSelector;

/// Counts per topology domain: key → value → count, looked up by `&str` without allocating.
type Pairs = BTreeMap<String, BTreeMap<String, u32>>;

fn bump(map: &mut Pairs, key: &str, value: &str, n: u32) {
    let inner = match map.get_mut(key) {
        Some(m) => m,
        None => map.entry(key.to_string()).or_default(),
    };
    match inner.get_mut(value) {
        Some(c) => *c += n,
        None => {
            inner.insert(value.to_string(), n);
        }
    }
}

/// What the filter needs, computed once per cycle.
#[derive(Debug, Default)]
pub struct FilterState {
    affinity_keys: Vec<String>,
    affinity_counts: Pairs,
    self_match_all: bool,
    anti_keys: Vec<String>,
    anti_counts: Pairs,
    existing_anti: Pairs,
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
    for h in &topo.required_anti {
        if h.query.matches(&pod.namespace, &pod.labels)
            && let Some(v) = nodes[h.node.0 as usize].label(&h.topology_key)
        {
            bump(&mut st.existing_anti, &h.topology_key, v, 1);
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
        for &id in candidates {
            let n = topo.count(q, id);
            if n == 0 {
                continue;
            }
            for t in aff {
                if let Some(v) = nodes[id.0 as usize].label(&t.topology_key) {
                    bump(&mut st.affinity_counts, &t.topology_key, v, n);
                }
            }
        }
        st.affinity_keys = aff.iter().map(|t| t.topology_key.clone()).collect();
    }
    for t in &c.pod_anti_affinity.required {
        let q = topo.query(PodQuery::of_term(t, &pod.namespace), nodes, pods);
        for &id in candidates {
            let n = topo.count(q, id);
            if n > 0
                && let Some(v) = nodes[id.0 as usize].label(&t.topology_key)
            {
                bump(&mut st.anti_counts, &t.topology_key, v, n);
            }
        }
        st.anti_keys.push(t.topology_key.clone());
    }
    if st.affinity_keys.is_empty() && st.anti_keys.is_empty() && st.existing_anti.is_empty() {
        None
    } else {
        Some(st)
    }
}

fn count(map: &Pairs, key: &str, value: &str) -> u32 {
    map.get(key)
        .and_then(|m| m.get(value))
        .copied()
        .unwrap_or(0)
}

/// Filter, in upstream order: pod affinity, pod anti-affinity, existing pods' anti-affinity.
pub fn filter(st: &FilterState, node: &Node) -> Result<(), FilterFailure> {
    if !st.affinity_keys.is_empty() {
        let mut pods_exist = true;
        for k in &st.affinity_keys {
            let Some(v) = node.label(k) else {
                return Err(FilterFailure::PodAffinity);
            };
            if count(&st.affinity_counts, k, v) == 0 {
                pods_exist = false;
            }
        }
        let first_of_group = st.affinity_counts.is_empty() && st.self_match_all;
        if !(pods_exist || first_of_group) {
            return Err(FilterFailure::PodAffinity);
        }
    }
    for k in &st.anti_keys {
        if let Some(v) = node.label(k)
            && count(&st.anti_counts, k, v) > 0
        {
            return Err(FilterFailure::PodAntiAffinity);
        }
    }
    for (k, values) in &st.existing_anti {
        if let Some(v) = node.label(k)
            && values.get(v).is_some_and(|n| *n > 0)
        {
            return Err(FilterFailure::ExistingAntiAffinity);
        }
    }
    Ok(())
}

/// Per-domain score contributions, computed once per cycle.
#[derive(Debug, Default)]
pub struct ScoreState {
    by_pair: BTreeMap<String, BTreeMap<String, i64>>,
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
    let add = |st: &mut ScoreState, key: &str, node: &Node, w: i64| {
        if let Some(v) = node.label(key) {
            *st.by_pair
                .entry(key.to_string())
                .or_default()
                .entry(v.to_string())
                .or_default() += w;
        }
    };
    for (sign, terms) in [
        (1, &c.pod_affinity.preferred),
        (-1, &c.pod_anti_affinity.preferred),
    ] {
        for (w, t) in terms {
            let q = topo.query(PodQuery::of_term(t, &pod.namespace), nodes, pods);
            for &id in candidates {
                let n = i64::from(topo.count(q, id));
                if n > 0 {
                    add(
                        &mut st,
                        &t.topology_key,
                        &nodes[id.0 as usize],
                        sign * i64::from(*w) * n,
                    );
                }
            }
        }
    }
    if hard_pod_affinity_weight > 0 {
        for h in &topo.required_affinity {
            if h.query.matches(&pod.namespace, &pod.labels) {
                add(
                    &mut st,
                    &h.topology_key,
                    &nodes[h.node.0 as usize],
                    hard_pod_affinity_weight,
                );
            }
        }
    }
    for h in &topo.preferred {
        if h.query.matches(&pod.namespace, &pod.labels) {
            add(
                &mut st,
                &h.topology_key,
                &nodes[h.node.0 as usize],
                h.weight,
            );
        }
    }
    Some(st)
}

/// Raw score: the sum of the contributions of the node's domains.
pub fn score(st: &ScoreState, node: &Node) -> i64 {
    st.by_pair
        .iter()
        .filter_map(|(k, values)| node.label(k).and_then(|v| values.get(v)))
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
