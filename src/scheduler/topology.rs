//! Incremental pod counts for topology spread and inter-pod affinity.
//!
//! Both plugins ask "how many pods matching this selector run in this topology domain?". Rather
//! than walking every pod on every node in every scheduling cycle, the index keeps, per distinct
//! query (selector + namespaces), a count per node, updated when a pod binds or leaves. A query is
//! registered the first time a pod needs it (one scan of the bound pods), so the cost of a bind is
//! one selector match per registered query. Pods with (anti-)affinity terms are also kept as
//! "holders", because their terms constrain the pods that come after them. Each topology key's
//! domains are numbered per node once ([`TopologyIndex::key`]), so the plugins count per domain
//! in vectors rather than by label value.

use std::collections::BTreeMap;

use crate::cluster::node::{Node, NodeId};
use crate::cluster::pod::{PodKey, PodTable};
use crate::workload::PodSpec;
use crate::workload::constraints::{LabelSelector, PodAffinityTerm};

/// Which pods a count is about.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PodQuery {
    /// Label selector.
    pub selector: LabelSelector,
    /// Namespaces (sorted); the pod must be in one of them.
    pub namespaces: Vec<String>,
}

impl PodQuery {
    /// True if a pod in `namespace` with sorted `labels` is counted.
    pub fn matches(&self, namespace: &str, labels: &[(String, String)]) -> bool {
        self.namespaces.iter().any(|n| n == namespace) && self.selector.matches(labels)
    }

    /// The query of an affinity term, resolving "no namespaces" to the owner pod's namespace.
    pub fn of_term(term: &PodAffinityTerm, owner_namespace: &str) -> PodQuery {
        let mut namespaces = if term.namespaces.is_empty() {
            vec![owner_namespace.to_string()]
        } else {
            term.namespaces.clone()
        };
        namespaces.sort();
        namespaces.dedup();
        PodQuery {
            selector: term.selector.clone(),
            namespaces,
        }
    }
}

/// Handle of a registered query.
pub type QueryId = usize;

/// Handle of a registered topology key ([`TopologyIndex::key`]).
pub type KeyId = usize;

/// Marks a node that lacks the key's label in [`NodeDomains`]; the other bits then
/// hold the number of the empty value, which is where a lookup that defaults a missing label to
/// `""` lands.
const MISSING: u32 = 1 << 31;

/// The domain of every node for one topology key, as small numbers: the plugins count pods per
/// domain in a vector indexed by them, where they used to look up each node's label (a binary
/// search of string compares) and then a map keyed by the value, several times per node and
/// cycle. Cloned into per-cycle state that must outlive the borrow of the index.
#[derive(Clone, Debug, Default)]
pub struct NodeDomains {
    /// Per node id: its value's number, or the empty value's number with [`MISSING`] set.
    of_node: Vec<u32>,
}

impl NodeDomains {
    /// The domain number of node `id`, `None` when the node lacks the label.
    #[inline]
    pub fn domain(&self, id: NodeId) -> Option<u32> {
        let n = self.of_node[id.0 as usize];
        (n & MISSING == 0).then_some(n)
    }

    /// [`NodeDomains::domain`] with a missing label read as the empty value (what upstream's
    /// lookup of an absent label gives).
    #[inline]
    pub fn domain_or_empty(&self, id: NodeId) -> u32 {
        self.of_node[id.0 as usize] & !MISSING
    }
}

/// One registered topology key: its node numbering and the values behind the numbers.
#[derive(Debug)]
struct KeyDomains {
    key: String,
    nodes: NodeDomains,
    /// Value → number, numbered in the order values were first met (numbers are only compared
    /// and used as indices, never ordered, so the order cannot leak into outputs).
    numbers: BTreeMap<String, u32>,
}

impl KeyDomains {
    fn number(&mut self, value: &str) -> u32 {
        if let Some(&n) = self.numbers.get(value) {
            return n;
        }
        let n = self.numbers.len() as u32;
        self.numbers.insert(value.to_string(), n);
        n
    }

    fn of(&mut self, node: &Node) -> u32 {
        match node.label(&self.key) {
            Some(v) => self.number(v),
            None => self.number("") | MISSING,
        }
    }
}

/// A bound pod with an (anti-)affinity term that later pods must respect.
#[derive(Clone, Debug)]
pub struct Holder {
    /// The pod.
    pub pod: PodKey,
    /// Where it runs.
    pub node: NodeId,
    /// Pods the term is about.
    pub query: PodQuery,
    /// The term's topology key.
    pub topology_key: String,
    /// Scoring weight: positive for affinity, negative for anti-affinity (required terms of the
    /// holder are recorded in `required_anti` / `required_affinity` instead).
    pub weight: i64,
}

/// Counts of matching pods per node, per query, plus the holders of affinity terms.
#[derive(Debug, Default)]
pub struct TopologyIndex {
    ids: BTreeMap<PodQuery, QueryId>,
    queries: Vec<PodQuery>,
    counts: Vec<Vec<u32>>,
    /// Bound pods' required anti-affinity terms (they keep matching pods out of their domain).
    pub required_anti: Vec<Holder>,
    /// Bound pods' required affinity terms (scored with hardPodAffinityWeight).
    pub required_affinity: Vec<Holder>,
    /// Bound pods' preferred affinity (+) and anti-affinity (−) terms.
    pub preferred: Vec<Holder>,
    key_ids: BTreeMap<String, KeyId>,
    keys: Vec<KeyDomains>,
}

impl TopologyIndex {
    /// The id of `q`, registering it (one scan over the bound pods) if new.
    pub fn query(&mut self, q: PodQuery, nodes: &[Node], pods: &PodTable) -> QueryId {
        if let Some(&id) = self.ids.get(&q) {
            return id;
        }
        let id = self.queries.len();
        let mut counts = vec![0u32; nodes.len()];
        for (i, n) in nodes.iter().enumerate() {
            counts[i] = n
                .pods
                .iter()
                .filter_map(|k| pods.get(*k))
                .filter(|p| q.matches(&p.spec.namespace, &p.spec.labels))
                .count() as u32;
        }
        self.ids.insert(q.clone(), id);
        self.queries.push(q);
        self.counts.push(counts);
        id
    }

    /// The id of topology key `key`, registering it if new, with a domain number for every node
    /// of `nodes`. Nodes are numbered once, when a call first sees them (those appended since
    /// the last call are numbered now): a node's labels must not change after that, which holds
    /// in the engine, where they are set at launch. Debug builds check every node against its
    /// labels on every call.
    pub fn key(&mut self, key: &str, nodes: &[Node]) -> KeyId {
        let k = match self.key_ids.get(key) {
            Some(&k) => k,
            None => {
                let k = self.keys.len();
                self.keys.push(KeyDomains {
                    key: key.to_string(),
                    nodes: NodeDomains::default(),
                    numbers: BTreeMap::new(),
                });
                self.key_ids.insert(key.to_string(), k);
                k
            }
        };
        let kd = &mut self.keys[k];
        for node in nodes.iter().skip(kd.nodes.of_node.len()) {
            let n = kd.of(node);
            kd.nodes.of_node.push(n);
        }
        #[cfg(debug_assertions)]
        for (i, node) in nodes.iter().enumerate() {
            let kd = &mut self.keys[k];
            let now = kd.of(node);
            debug_assert_eq!(
                kd.nodes.of_node[i], now,
                "node {} changed its {} label after it was numbered",
                node.name, kd.key
            );
        }
        k
    }

    /// The node numbering of key `k` (for the nodes of the last [`TopologyIndex::key`] call).
    #[inline]
    pub fn domains(&self, k: KeyId) -> &NodeDomains {
        &self.keys[k].nodes
    }

    /// How many domain numbers key `k` has handed out: the length of a vector indexed by them.
    pub fn domain_count(&self, k: KeyId) -> usize {
        self.keys[k].numbers.len()
    }

    /// The id of an already registered query.
    pub fn lookup(&self, q: &PodQuery) -> Option<QueryId> {
        self.ids.get(q).copied()
    }

    /// Matching pods per node id (ids past the end have none), for loops over many nodes.
    pub fn counts(&self, q: QueryId) -> &[u32] {
        &self.counts[q]
    }

    /// Matching pods on `node`.
    #[inline]
    pub fn count(&self, q: QueryId, node: NodeId) -> u32 {
        self.counts[q].get(node.0 as usize).copied().unwrap_or(0)
    }

    /// A node joined the cluster (with no pods yet).
    pub fn add_node(&mut self, node: NodeId) {
        for c in &mut self.counts {
            if c.len() <= node.0 as usize {
                c.resize(node.0 as usize + 1, 0);
            }
        }
    }

    /// A pod was bound to `node`.
    pub fn bind(&mut self, key: PodKey, pod: &PodSpec, node: NodeId) {
        for (q, counts) in self.queries.iter().zip(self.counts.iter_mut()) {
            if q.matches(&pod.namespace, &pod.labels) {
                if counts.len() <= node.0 as usize {
                    counts.resize(node.0 as usize + 1, 0);
                }
                counts[node.0 as usize] += 1;
            }
        }
        let c = &pod.constraints;
        let holder = |term: &PodAffinityTerm, weight: i64| Holder {
            pod: key,
            node,
            query: PodQuery::of_term(term, &pod.namespace),
            topology_key: term.topology_key.clone(),
            weight,
        };
        for t in &c.pod_anti_affinity.required {
            self.required_anti.push(holder(t, 0));
        }
        for t in &c.pod_affinity.required {
            self.required_affinity.push(holder(t, 0));
        }
        for (w, t) in &c.pod_affinity.preferred {
            self.preferred.push(holder(t, i64::from(*w)));
        }
        for (w, t) in &c.pod_anti_affinity.preferred {
            self.preferred.push(holder(t, -i64::from(*w)));
        }
    }

    /// A pod left `node`.
    pub fn unbind(&mut self, key: PodKey, pod: &PodSpec, node: NodeId) {
        for (q, counts) in self.queries.iter().zip(self.counts.iter_mut()) {
            if q.matches(&pod.namespace, &pod.labels)
                && let Some(c) = counts.get_mut(node.0 as usize)
            {
                *c = c.saturating_sub(1);
            }
        }
        if !pod.constraints.is_empty() {
            self.required_anti.retain(|h| h.pod != key);
            self.required_affinity.retain(|h| h.pod != key);
            self.preferred.retain(|h| h.pod != key);
        }
    }

    /// True when some bound pod carries an affinity term of any kind.
    pub fn has_holders(&self) -> bool {
        !(self.required_anti.is_empty()
            && self.required_affinity.is_empty()
            && self.preferred.is_empty())
    }
}
