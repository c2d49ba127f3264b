//! Incremental pod counts for topology spread and inter-pod affinity.
//!
//! Both plugins ask "how many pods matching this selector run in this topology domain?". Rather
//! than walking every pod on every node in every scheduling cycle, the index keeps, per distinct
//! query (selector + namespaces), a count per node, updated when a pod binds or leaves. A query is
//! registered the first time a pod needs it (one scan of the bound pods), so the cost of a bind is
//! one selector match per registered query. Pods with (anti-)affinity terms are also kept as
//! "holders", because their terms constrain the pods that come after them. Each topology key's
//! domains are numbered per node once ([`TopologyIndex::key`]), so the plugins count per domain
//! in vectors rather than by label value. An owner that reports its node order
//! ([`TopologyIndex::set_candidate`], as the engine does) also gets, for the pairs PodTopologySpread
//! asks for, the matching pods per domain over the order's nodes and each key's nodes per domain,
//! kept as pods and nodes come and go: a cycle reads them instead of summing over every node.
//! The same is kept over the candidates that pass the last listed pod's node affinity
//! ([`TopologyIndex::prepare_affine`]), for pods with a nodeSelector.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use crate::cluster::node::{Node, NodeId};
use crate::cluster::pod::PodTable;
use crate::scheduler::plugins::node_affinity;
use crate::text::same_str;
use crate::workload::PodSpec;
use crate::workload::constraints::{LabelSelector, NodeSelectorTerm, PodAffinityTerm};

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
        self.namespaces.iter().any(|n| same_str(n, namespace)) && self.selector.matches(labels)
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

    /// Adds each node's `per_node` count (0 past its end) to `sums` at the node's
    /// [`NodeDomains::domain_or_empty`] number: per-domain totals over `ids`, in one tight
    /// loop over plain slices (spread scoring runs it over the candidates when no kept totals
    /// answer; debug builds, to check those that do).
    pub fn sum_by_domain(
        &self,
        ids: impl Iterator<Item = NodeId>,
        per_node: &[u32],
        sums: &mut [u32],
    ) {
        let of_node = &self.of_node[..];
        for id in ids {
            let i = id.0 as usize;
            let n = per_node.get(i).copied().unwrap_or(0);
            sums[(of_node[i] & !MISSING) as usize] += n;
        }
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

/// Bound pods that carry one (anti-)affinity term, which later pods must respect: the pods of
/// a Deployment share their terms, so a cycle matches the incoming pod against each distinct
/// term once rather than against every bound pod (50,000 of them at 5,000 nodes took most of
/// a replay's time).
#[derive(Clone, Debug)]
pub struct HolderGroup {
    /// Pods the term is about.
    pub query: PodQuery,
    /// The term's topology key.
    pub topology_key: String,
    /// Scoring weight: positive for affinity, negative for anti-affinity (0 for required
    /// terms, which are kept apart).
    pub weight: i64,
    /// How many holders run on each node, for the nodes that run any, by node id.
    pub nodes: BTreeMap<NodeId, u32>,
}

/// The bound pods' terms of one kind, grouped by term ([`HolderGroup`]).
#[derive(Debug, Default)]
pub struct Holders {
    groups: Vec<HolderGroup>,
    /// (query, topology key, weight) → index in `groups`.
    index: BTreeMap<(PodQuery, String, i64), usize>,
}

impl Holders {
    /// The groups that hold at least one pod.
    pub fn groups(&self) -> &[HolderGroup] {
        &self.groups
    }

    /// True when no bound pod holds a term of this kind.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// A pod on `node` holds `term` with `weight` (`remove`: no longer).
    fn change(
        &mut self,
        term: &PodAffinityTerm,
        namespace: &str,
        weight: i64,
        node: NodeId,
        remove: bool,
    ) {
        let id = (
            PodQuery::of_term(term, namespace),
            term.topology_key.clone(),
            weight,
        );
        let g = match self.index.get(&id) {
            Some(&g) => g,
            None if remove => return,
            None => {
                self.groups.push(HolderGroup {
                    query: id.0.clone(),
                    topology_key: id.1.clone(),
                    weight,
                    nodes: BTreeMap::new(),
                });
                self.index.insert(id, self.groups.len() - 1);
                self.groups.len() - 1
            }
        };
        let nodes = &mut self.groups[g].nodes;
        if !remove {
            *nodes.entry(node).or_default() += 1;
            return;
        }
        if let Some(n) = nodes.get_mut(&node) {
            *n -= 1;
            if *n == 0 {
                nodes.remove(&node);
            }
        }
        if self.groups[g].nodes.is_empty() {
            // The last holder left: the group goes, and the last group takes its place.
            let gone = self.groups.swap_remove(g);
            self.index
                .remove(&(gone.query, gone.topology_key, gone.weight));
            if let Some(moved) = self.groups.get(g) {
                let key = (
                    moved.query.clone(),
                    moved.topology_key.clone(),
                    moved.weight,
                );
                self.index.insert(key, g);
            }
        }
    }
}

/// Counts of matching pods per node, per query, plus the holders of affinity terms.
#[derive(Debug, Default)]
pub struct TopologyIndex {
    ids: BTreeMap<PodQuery, QueryId>,
    queries: Vec<PodQuery>,
    /// The queries with matchLabels, by the first of them (key, then value): a bound pod can
    /// only match those filed under one of its own labels, so a bind checks a few queries
    /// rather than every one (hundreds with as many Deployments). Looked up, never iterated.
    by_label: FxHashMap<String, FxHashMap<String, Vec<QueryId>>>,
    /// The queries without matchLabels, checked on every bind.
    unfiled: Vec<QueryId>,
    /// Scratch: the queries a bound pod matches.
    matched: Vec<QueryId>,
    counts: Vec<Vec<u32>>,
    /// Bound pods' required anti-affinity terms (they keep matching pods out of their domain).
    pub required_anti: Holders,
    /// Bound pods' required affinity terms (scored with hardPodAffinityWeight).
    pub required_affinity: Holders,
    /// Bound pods' preferred affinity (+) and anti-affinity (−) terms.
    pub preferred: Holders,
    key_ids: BTreeMap<String, KeyId>,
    keys: Vec<KeyDomains>,
    /// The nodes of the scheduler's order, as [`TopologyIndex::set_candidate`] was told, with
    /// the totals kept over them.
    candidates: NodeSet,
    /// `set_candidate` was called: the candidates follow the owner's node order.
    order_tracked: bool,
    /// Bumped whenever a node joins or leaves the candidates.
    candidate_epoch: u64,
    /// [`TopologyIndex::prepare_affine`]'s list.
    affine: AffineCandidates,
}

/// Nodes over which counts per domain are kept between cycles: the scheduler's candidates, and
/// the candidates that pass the listed pod's node affinity. A cycle then reads the counts
/// instead of summing over thousands of nodes.
#[derive(Debug, Default)]
struct NodeSet {
    /// Per node id: in the set.
    member: Vec<bool>,
    /// How many nodes are in the set.
    len: usize,
    /// Per key: the set's numbered nodes per domain, and how many of them lack the label.
    per_key: Vec<KeyCount>,
    /// Per query: its matching pods per domain over the set's nodes, for the keys asked for
    /// ([`NodeSet::track`]), kept up to date by binds, unbinds, nodes joining and leaving the
    /// set, and nodes being numbered.
    totals: Vec<Vec<DomainTotals>>,
}

/// A node set's numbered nodes per domain number of one key ([`NodeDomains::domain_or_empty`]),
/// and how many of them lack the label.
#[derive(Clone, Debug, Default)]
struct KeyCount {
    nodes_in: Vec<u32>,
    missing: u32,
}

impl KeyCount {
    /// Counts numbered node `i` in (`join`) or out.
    fn count(&mut self, of_node: &[u32], i: usize, join: bool) {
        let Some(&n) = of_node.get(i) else {
            return;
        };
        change_domain(&mut self.nodes_in, n, 1, !join);
        let missing = u32::from(n & MISSING != 0);
        if join {
            self.missing += missing;
        } else {
            self.missing -= missing;
        }
    }
}

impl NodeSet {
    fn has(&self, i: usize) -> bool {
        self.member.get(i).copied().unwrap_or(false)
    }

    /// Node `i` joins (`on`) or leaves the set; false when it already was in (or out of) it.
    fn set(&mut self, i: usize, on: bool, counts: &[Vec<u32>], keys: &[KeyDomains]) -> bool {
        if self.member.len() <= i {
            self.member.resize(i + 1, false);
        }
        if self.member[i] == on {
            return false;
        }
        self.member[i] = on;
        if on {
            self.len += 1;
        } else {
            self.len -= 1;
        }
        for (kc, kd) in self.per_key.iter_mut().zip(keys) {
            kc.count(&kd.nodes.of_node, i, on);
        }
        change_totals(&mut self.totals, counts, keys, i, None, !on);
        true
    }

    /// Key `k` has just numbered node `i`: a member joins the key's counts and totals.
    fn numbered(&mut self, i: usize, k: KeyId, counts: &[Vec<u32>], keys: &[KeyDomains]) {
        if !self.has(i) {
            return;
        }
        self.per_key[k].count(&keys[k].nodes.of_node, i, true);
        change_totals(&mut self.totals, counts, keys, i, Some(k), false);
    }

    /// Empties the set, keeping its vectors.
    fn clear(&mut self) {
        self.member.fill(false);
        self.len = 0;
        self.per_key.fill(KeyCount::default());
        for t in &mut self.totals {
            t.clear();
        }
    }

    /// Keeps query `q`'s per-domain totals of key `k` over the set from now on (one loop over
    /// the numbered nodes, the first time a pair is asked for).
    fn track(&mut self, q: QueryId, k: KeyId, counts: &[Vec<u32>], keys: &[KeyDomains]) {
        if self.totals[q].iter().any(|t| t.key == k) {
            return;
        }
        let of_node = &keys[k].nodes.of_node;
        let mut t = DomainTotals {
            key: k,
            sums: vec![0; keys[k].numbers.len()],
        };
        for (i, &n) in counts[q].iter().enumerate().take(of_node.len()) {
            if n > 0 && self.has(i) {
                t.change(of_node, i, n, false);
            }
        }
        self.totals[q].push(t);
    }

    /// The kept totals of query `q` and key `k`, if tracked.
    fn totals(&self, q: QueryId, k: KeyId) -> Option<&[u32]> {
        self.totals[q]
            .iter()
            .find(|t| t.key == k)
            .map(|t| &t.sums[..])
    }

    /// Debug builds: the kept answers for `q` (if given) and `k` equal sums over `ids`, the
    /// set's members.
    #[cfg(debug_assertions)]
    fn check(&self, q: Option<QueryId>, k: KeyId, ids: &[NodeId], index: &TopologyIndex) {
        debug_assert_eq!(self.len, ids.len(), "members");
        debug_assert!(ids.iter().all(|id| self.has(id.0 as usize)));
        let kd = &index.keys[k];
        if let Some(t) = q.and_then(|q| self.totals(q, k)) {
            let mut want = vec![0u32; kd.numbers.len().max(t.len())];
            kd.nodes
                .sum_by_domain(ids.iter().copied(), &index.counts[q.unwrap()], &mut want);
            let mut got = t.to_vec();
            got.resize(want.len(), 0);
            debug_assert_eq!(got, want, "kept totals of query {q:?}, key {}", kd.key);
        }
        let kc = &self.per_key[k];
        let mut want = vec![0u32; kd.numbers.len().max(kc.nodes_in.len())];
        let ones = vec![1u32; kd.nodes.of_node.len()];
        kd.nodes
            .sum_by_domain(ids.iter().copied(), &ones, &mut want);
        let mut got = kc.nodes_in.clone();
        got.resize(want.len(), 0);
        debug_assert_eq!(got, want, "nodes per domain of key {}", kd.key);
        let missing = ids
            .iter()
            .filter(|&&id| kd.nodes.domain(id).is_none())
            .count();
        debug_assert_eq!(kc.missing as usize, missing, "key {}", kd.key);
    }
}

/// The candidates that pass one pod's node affinity, and what they were listed for.
#[derive(Debug, Default)]
struct AffineCandidates {
    /// The candidate epoch of the list; `None` before the first.
    epoch: Option<u64>,
    node_selector: std::sync::Arc<[(String, String)]>,
    required: Vec<NodeSelectorTerm>,
    /// The listed candidates, in no particular order (leaving swaps the last into the gap;
    /// the counts summed over them do not depend on it).
    ids: Vec<NodeId>,
    /// Candidates that joined (`true`) or left since the list was last brought up to date, in
    /// order; `None` when more changed than [`AFFINE_CHANGES_KEPT`] (the list is then made
    /// anew).
    changes: Option<Vec<(NodeId, bool)>>,
    /// The listed nodes, with the totals kept over them.
    set: NodeSet,
}

/// How many candidate changes the affine list applies one by one; past that, listing the
/// candidates anew costs about as much.
const AFFINE_CHANGES_KEPT: usize = 1024;

/// One query's matching pods per domain of one key, over the candidate nodes numbered for it.
#[derive(Debug)]
struct DomainTotals {
    key: KeyId,
    sums: Vec<u32>,
}

impl DomainTotals {
    /// Adds `n` pods to (or, with `remove`, takes them from) the domain of numbered node `i`.
    fn change(&mut self, of_node: &[u32], i: usize, n: u32, remove: bool) {
        // A node not numbered yet is counted when the key numbers it.
        if let Some(&d) = of_node.get(i) {
            change_domain(&mut self.sums, d, n, remove);
        }
    }
}

/// Adds `n` to (or, with `remove`, takes it from) `sums` at domain number `d` (its MISSING bit
/// ignored: nodes without the label count in the empty value's domain), growing `sums`.
fn change_domain(sums: &mut Vec<u32>, d: u32, n: u32, remove: bool) {
    let d = (d & !MISSING) as usize;
    if sums.len() <= d {
        sums.resize(d + 1, 0);
    }
    if remove {
        sums[d] -= n;
    } else {
        sums[d] += n;
    }
}

/// Adds numbered node `i`'s matching pods of every query to (or, with `remove`, takes them
/// from) the kept totals of every key, or of key `only`.
fn change_totals(
    totals: &mut [Vec<DomainTotals>],
    counts: &[Vec<u32>],
    keys: &[KeyDomains],
    i: usize,
    only: Option<KeyId>,
    remove: bool,
) {
    for (q, tracked) in totals.iter_mut().enumerate() {
        if tracked.is_empty() {
            continue;
        }
        let n = counts[q].get(i).copied().unwrap_or(0);
        if n == 0 {
            continue;
        }
        for t in tracked
            .iter_mut()
            .filter(|t| only.is_none_or(|k| t.key == k))
        {
            t.change(&keys[t.key].nodes.of_node, i, n, remove);
        }
    }
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
        match q.selector.match_labels.first() {
            Some((k, v)) => self
                .by_label
                .entry(k.clone())
                .or_default()
                .entry(v.clone())
                .or_default()
                .push(id),
            None => self.unfiled.push(id),
        }
        self.queries.push(q);
        self.counts.push(counts);
        self.candidates.totals.push(Vec::new());
        self.affine.set.totals.push(Vec::new());
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
                self.candidates.per_key.push(KeyCount::default());
                self.affine.set.per_key.push(KeyCount::default());
                self.key_ids.insert(key.to_string(), k);
                k
            }
        };
        let kd = &mut self.keys[k];
        let numbered = kd.nodes.of_node.len();
        for node in nodes.iter().skip(numbered) {
            let n = kd.of(node);
            kd.nodes.of_node.push(n);
        }
        let numbered_now = kd.nodes.of_node.len();
        // Members numbered just now join the counts and totals kept for this key.
        for i in numbered..numbered_now {
            self.candidates.numbered(i, k, &self.counts, &self.keys);
            self.affine.set.numbered(i, k, &self.counts, &self.keys);
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

    /// Node `id` joined (`on`) or left the scheduler's node order (the nodes that cycles filter
    /// and score). An owner that tells every change lets [`TopologyIndex::candidate_totals`]
    /// answer without a loop over the nodes; until the first call, it answers `None`.
    pub fn set_candidate(&mut self, id: NodeId, on: bool) {
        self.order_tracked = true;
        if !self
            .candidates
            .set(id.0 as usize, on, &self.counts, &self.keys)
        {
            return;
        }
        self.candidate_epoch += 1;
        if let Some(changes) = &mut self.affine.changes {
            if changes.len() < AFFINE_CHANGES_KEPT {
                changes.push((id, on));
            } else {
                self.affine.changes = None;
            }
        }
    }

    /// Lists the candidates that pass a pod's nodeSelector and required node affinity, on
    /// which spread counts its matching pods. The list is kept while the pod's terms stay the
    /// same (node labels never change), for PreFilter and scoring alike, and candidates that
    /// join or leave are added or taken out one by one: checking each candidate's labels on
    /// every cycle took most of the time of pods with a nodeSelector and spread constraints,
    /// and listing them anew whenever a node joined took a third of a 5,000-node start-up
    /// with such pods pending. False when the candidates are not tracked (the caller checks
    /// each candidate); else [`TopologyIndex::affine`] gives the list.
    pub fn prepare_affine(&mut self, pod: &PodSpec, nodes: &[Node], candidates: &[NodeId]) -> bool {
        if !self.order_tracked || self.candidates.len != candidates.len() {
            return false;
        }
        let required = &pod.constraints.node_affinity.required;
        let a = &mut self.affine;
        let same_terms =
            a.epoch.is_some() && a.node_selector == pod.node_selector && a.required == *required;
        if let Some(changes) = a.changes.as_mut().filter(|_| same_terms) {
            if a.epoch != Some(self.candidate_epoch) {
                for &(id, joined) in changes.iter() {
                    let i = id.0 as usize;
                    if joined {
                        if node_affinity::matches(pod, &nodes[i]) {
                            a.set.set(i, true, &self.counts, &self.keys);
                            a.ids.push(id);
                        }
                    } else if a.set.set(i, false, &self.counts, &self.keys) {
                        let at = a.ids.iter().position(|&x| x == id);
                        a.ids.swap_remove(at.expect("a member is listed"));
                    }
                }
                changes.clear();
                a.epoch = Some(self.candidate_epoch);
            }
        } else {
            a.set.clear();
            a.ids.clear();
            for &id in candidates {
                if node_affinity::matches(pod, &nodes[id.0 as usize]) {
                    a.set.set(id.0 as usize, true, &self.counts, &self.keys);
                    a.ids.push(id);
                }
            }
            a.epoch = Some(self.candidate_epoch);
            a.node_selector = pod.node_selector.clone();
            a.required.clone_from(required);
            a.changes.get_or_insert_default().clear();
        }
        #[cfg(debug_assertions)]
        {
            let mut fresh: Vec<NodeId> = candidates
                .iter()
                .copied()
                .filter(|&id| node_affinity::matches(pod, &nodes[id.0 as usize]))
                .collect();
            let mut kept = self.affine.ids.clone();
            fresh.sort_unstable();
            kept.sort_unstable();
            debug_assert_eq!(fresh, kept, "candidates passing node affinity");
        }
        true
    }

    /// The list [`TopologyIndex::prepare_affine`] made or kept.
    pub fn affine(&self) -> &[NodeId] {
        &self.affine.ids
    }

    /// Keeps query `q`'s per-domain totals of key `k` over the candidates from now on (one loop
    /// over the numbered nodes, the first time a pair is asked for).
    pub fn track_totals(&mut self, q: QueryId, k: KeyId) {
        self.candidates.track(q, k, &self.counts, &self.keys);
    }

    /// Query `q`'s matching pods per domain of key `k` (index: domain number; numbers past the
    /// end have none) summed over `candidates`, which must be the nodes of the owner's order:
    /// kept totals when [`TopologyIndex::track_totals`] asked for the pair and the owner tells
    /// its order changes, else `None` (the caller sums over the candidates itself). Debug
    /// builds check the answer against that sum.
    pub fn candidate_totals(&self, q: QueryId, k: KeyId, candidates: &[NodeId]) -> Option<&[u32]> {
        if !self.order_tracked || self.candidates.len != candidates.len() {
            return None;
        }
        #[cfg(debug_assertions)]
        self.candidates.check(Some(q), k, candidates, self);
        self.candidates.totals(q, k)
    }

    /// Key `k`'s candidate nodes per domain number (numbers past the end have none) and how
    /// many candidates lack its label, when `candidates` are the owner's order (as for
    /// [`TopologyIndex::candidate_totals`]), else `None`. Debug builds check the answer.
    pub fn candidate_domains(&self, k: KeyId, candidates: &[NodeId]) -> Option<(&[u32], u32)> {
        if !self.order_tracked || self.candidates.len != candidates.len() {
            return None;
        }
        #[cfg(debug_assertions)]
        self.candidates.check(None, k, candidates, self);
        let kc = &self.candidates.per_key[k];
        Some((&kc.nodes_in, kc.missing))
    }

    /// Keeps query `q`'s per-domain totals of key `k` over the listed candidates of
    /// [`TopologyIndex::prepare_affine`] while the list lasts.
    pub fn track_affine_totals(&mut self, q: QueryId, k: KeyId) {
        self.affine.set.track(q, k, &self.counts, &self.keys);
    }

    /// [`TopologyIndex::candidate_totals`] over the listed candidates (right after
    /// [`TopologyIndex::prepare_affine`] said true): `None` unless
    /// [`TopologyIndex::track_affine_totals`] asked for the pair since the list was made.
    pub fn affine_totals(&self, q: QueryId, k: KeyId) -> Option<&[u32]> {
        #[cfg(debug_assertions)]
        self.affine.set.check(Some(q), k, &self.affine.ids, self);
        self.affine.set.totals(q, k)
    }

    /// [`TopologyIndex::candidate_domains`] over the listed candidates (right after
    /// [`TopologyIndex::prepare_affine`] said true).
    pub fn affine_domains(&self, k: KeyId) -> (&[u32], u32) {
        #[cfg(debug_assertions)]
        self.affine.set.check(None, k, &self.affine.ids, self);
        let kc = &self.affine.set.per_key[k];
        (&kc.nodes_in, kc.missing)
    }

    /// A node joined the cluster (with no pods yet).
    pub fn add_node(&mut self, node: NodeId) {
        for c in &mut self.counts {
            if c.len() <= node.0 as usize {
                c.resize(node.0 as usize + 1, 0);
            }
        }
    }

    /// Counts `pod` on node `i` (or, with `remove`, no longer) for every query it matches, and
    /// in the totals kept over the node sets it belongs to. A count never goes below zero.
    fn count_pod(&mut self, pod: &PodSpec, i: usize, remove: bool) {
        let mut matched = std::mem::take(&mut self.matched);
        matched.clear();
        let filed = pod
            .labels
            .iter()
            .filter_map(|(k, v)| self.by_label.get(k)?.get(v));
        for &q in filed.flatten().chain(&self.unfiled) {
            if self.queries[q].matches(&pod.namespace, &pod.labels) {
                matched.push(q);
            }
        }
        let candidate = self.candidates.has(i);
        let listed = self.affine.set.has(i);
        for &q in &matched {
            let counts = &mut self.counts[q];
            if remove {
                match counts.get_mut(i) {
                    Some(c) if *c > 0 => *c -= 1,
                    _ => continue,
                }
            } else {
                if counts.len() <= i {
                    counts.resize(i + 1, 0);
                }
                counts[i] += 1;
            }
            for (member, set) in [
                (candidate, &mut self.candidates),
                (listed, &mut self.affine.set),
            ] {
                if member {
                    for t in set.totals[q].iter_mut() {
                        t.change(&self.keys[t.key].nodes.of_node, i, 1, remove);
                    }
                }
            }
        }
        self.matched = matched;
    }

    /// A pod was bound to `node`.
    pub fn bind(&mut self, pod: &PodSpec, node: NodeId) {
        self.count_pod(pod, node.0 as usize, false);
        self.hold(pod, node, false);
    }

    /// A pod left `node`.
    pub fn unbind(&mut self, pod: &PodSpec, node: NodeId) {
        self.count_pod(pod, node.0 as usize, true);
        self.hold(pod, node, true);
    }

    /// Records the pod's affinity terms as held on `node` (`remove`: no longer).
    fn hold(&mut self, pod: &PodSpec, node: NodeId, remove: bool) {
        let c = &pod.constraints;
        let ns = &pod.namespace;
        for t in &c.pod_anti_affinity.required {
            self.required_anti.change(t, ns, 0, node, remove);
        }
        for t in &c.pod_affinity.required {
            self.required_affinity.change(t, ns, 0, node, remove);
        }
        for (w, t) in &c.pod_affinity.preferred {
            self.preferred.change(t, ns, i64::from(*w), node, remove);
        }
        for (w, t) in &c.pod_anti_affinity.preferred {
            self.preferred.change(t, ns, -i64::from(*w), node, remove);
        }
    }

    /// True when some bound pod carries an affinity term of any kind.
    pub fn has_holders(&self) -> bool {
        !(self.required_anti.is_empty()
            && self.required_affinity.is_empty()
            && self.preferred.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::pod::{Pod, PodKey};
    use crate::cluster::resources::Resources;
    use proptest::prelude::*;

    const ZONE: &str = "topology.kubernetes.io/zone";
    const ZONES: [&str; 3] = ["a", "b", "c"];

    #[derive(Clone, Debug)]
    enum Op {
        /// A node in zone 0..3, or (3) one without a zone label.
        AddNode(usize),
        SetCandidate(usize, bool),
        Bind(usize, usize),
        /// Unbinds the n-th bound pod (modulo how many are bound).
        Unbind(usize),
        /// A cycle: numbers the nodes added since the last one and checks the totals.
        Key,
        /// Registers the query and keeps its zone totals.
        Track,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0..4usize).prop_map(Op::AddNode),
            (0..12usize, any::<bool>()).prop_map(|(n, on)| Op::SetCandidate(n, on)),
            (0..12usize, 0..3usize).prop_map(|(n, app)| Op::Bind(n, app)),
            (0..64usize).prop_map(Op::Unbind),
            Just(Op::Key),
            Just(Op::Track),
        ]
    }

    fn spec(app: usize) -> PodSpec {
        PodSpec {
            name: "p".into(),
            namespace: "default".into(),
            labels: vec![("app".to_string(), format!("app-{app}"))].into(),
            ..Default::default()
        }
    }

    proptest! {
        /// The kept totals equal a count, by zone value, of the matching pods bound to the
        /// candidates, whatever the order of binds, unbinds, candidates joining and leaving,
        /// nodes being added and numbered, and the pair being tracked.
        #[test]
        fn kept_totals_equal_a_count_over_the_candidates(ops in prop::collection::vec(op(), 1..80)) {
            let mut topo = TopologyIndex::default();
            let mut nodes: Vec<Node> = Vec::new();
            let mut pods = PodTable::default();
            let mut bound: Vec<(PodKey, usize, usize)> = Vec::new();
            let mut candidate: Vec<bool> = Vec::new();
            let query = PodQuery {
                selector: LabelSelector {
                    match_labels: vec![("app".to_string(), "app-0".to_string())],
                    match_expressions: vec![],
                },
                namespaces: vec!["default".to_string()],
            };
            let mut tracked: Option<(QueryId, KeyId)> = None;
            let mut told = false;
            for op in ops {
                let cycle = matches!(op, Op::Key | Op::Track);
                match op {
                    Op::AddNode(z) => {
                        let i = nodes.len();
                        let mut node = Node::ready(&format!("n{i}"), z % 3, ZONES[z % 3], Resources::default());
                        if z == 3 {
                            node.labels.retain(|(k, _)| k != ZONE);
                        }
                        nodes.push(node);
                        candidate.push(false);
                        topo.add_node(NodeId(i as u32));
                    }
                    // Node indices count back from the newest node, so the nodes added since
                    // the last cycle (not numbered yet) are often the ones changed.
                    Op::SetCandidate(n, on) if !nodes.is_empty() => {
                        let n = nodes.len() - 1 - n % nodes.len();
                        topo.set_candidate(NodeId(n as u32), on);
                        candidate[n] = on;
                        told = true;
                    }
                    Op::Bind(n, app) if !nodes.is_empty() => {
                        let n = nodes.len() - 1 - n % nodes.len();
                        let s = spec(app);
                        let key = pods.insert(Pod::new(s.clone(), 0));
                        nodes[n].pods.push(key);
                        topo.bind(&s, NodeId(n as u32));
                        bound.push((key, n, app));
                    }
                    Op::Unbind(k) if !bound.is_empty() => {
                        let (key, n, app) = bound.remove(k % bound.len());
                        nodes[n].pods.retain(|&p| p != key);
                        topo.unbind(&spec(app), NodeId(n as u32));
                    }
                    Op::Key => {}
                    Op::Track => {
                        let k = topo.key(ZONE, &nodes);
                        let q = topo.query(query.clone(), &nodes, &pods);
                        topo.track_totals(q, k);
                        tracked = Some((q, k));
                    }
                    _ => continue,
                }
                // A cycle: it numbers the nodes added since the last one, then asks.
                let Some((q, k)) = tracked.filter(|_| cycle) else {
                    continue;
                };
                topo.key(ZONE, &nodes);
                let candidates: Vec<NodeId> = (0..nodes.len())
                    .filter(|&i| candidate[i])
                    .map(|i| NodeId(i as u32))
                    .collect();
                let kept = topo.candidate_totals(q, k, &candidates);
                // Until the owner tells its order, the caller sums itself.
                prop_assert_eq!(kept.is_some(), told);
                let mut by_value: BTreeMap<String, u32> = BTreeMap::new();
                for &(_, n, app) in &bound {
                    if candidate[n] && app == 0 {
                        let v = nodes[n].label(ZONE).unwrap_or("").to_string();
                        *by_value.entry(v).or_default() += 1;
                    }
                }
                let domains = topo.candidate_domains(k, &candidates);
                prop_assert_eq!(domains.is_some(), told);
                let of = topo.domains(k);
                if let Some((per_domain, missing)) = domains {
                    let lacking = candidates.iter().filter(|&&id| nodes[id.0 as usize].label(ZONE).is_none()).count();
                    prop_assert_eq!(missing as usize, lacking);
                    for (i, node) in nodes.iter().enumerate() {
                        let d = of.domain_or_empty(NodeId(i as u32)) as usize;
                        let v = node.label(ZONE).unwrap_or("");
                        let want = (0..nodes.len())
                            .filter(|&j| candidate[j] && nodes[j].label(ZONE).unwrap_or("") == v)
                            .count();
                        prop_assert_eq!(per_domain.get(d).copied().unwrap_or(0) as usize, want, "zone {:?}", v);
                    }
                }
                let Some(kept) = kept else { continue };
                for (i, node) in nodes.iter().enumerate() {
                    let d = of.domain_or_empty(NodeId(i as u32)) as usize;
                    let v = node.label(ZONE).unwrap_or("");
                    let want = by_value.get(v).copied().unwrap_or(0);
                    prop_assert_eq!(kept.get(d).copied().unwrap_or(0), want, "zone {:?}", v);
                }
            }
        }
    }

    /// A query: 0 matchLabels on `app`, 1 on `app` and `tier`, 2 an `In` expression on `tier`
    /// only, 3 the empty selector; in namespace `a` or `b`.
    fn query_of(kind: u8, value: u8, ns: bool) -> PodQuery {
        use crate::workload::constraints::{Requirement, SelectorOp};
        let app = ("app".to_string(), format!("v{value}"));
        let tier = ("tier".to_string(), format!("v{}", value % 2));
        let (match_labels, match_expressions) = match kind {
            0 => (vec![app], vec![]),
            1 => (vec![app, tier], vec![]),
            2 => (
                vec![],
                vec![Requirement {
                    key: "tier".into(),
                    op: SelectorOp::In,
                    values: vec![tier.1],
                }],
            ),
            _ => (vec![], vec![]),
        };
        PodQuery {
            selector: LabelSelector {
                match_labels,
                match_expressions,
            },
            namespaces: vec![if ns { "a" } else { "b" }.to_string()],
        }
    }

    proptest! {
        /// Every query counts, per node, the bound pods it matches, whatever the queries'
        /// selectors (filed under a matchLabels pair or not) and the order of binds, unbinds
        /// and registrations: a bind checks only the queries filed under its labels.
        #[test]
        fn counts_per_node_equal_a_count_of_matching_pods(
            queries in prop::collection::vec((0u8..4, 0u8..3, any::<bool>()), 1..8),
            ops in prop::collection::vec((any::<bool>(), 0usize..4, 0u8..3, 0u8..2, any::<bool>(), 0usize..8), 1..60),
        ) {
            let mut topo = TopologyIndex::default();
            let alloc = Resources::default();
            let mut nodes: Vec<Node> = (0..4).map(|i| Node::ready(&format!("n{i}"), 0, "a", alloc)).collect();
            let mut pods = PodTable::default();
            for i in 0..nodes.len() {
                topo.add_node(NodeId(i as u32));
            }
            let mut bound: Vec<(PodKey, usize, PodSpec)> = Vec::new();
            let mut ids = Vec::new();
            for (step, (leave, n, app, tier, ns, q)) in ops.into_iter().enumerate() {
                if leave && !bound.is_empty() {
                    let (key, n, s) = bound.remove(n % bound.len());
                    nodes[n].pods.retain(|&p| p != key);
                    topo.unbind(&s, NodeId(n as u32));
                } else {
                    let mut labels = vec![("app".to_string(), format!("v{app}"))];
                    if tier > 0 {
                        labels.push(("tier".to_string(), format!("v{}", app % 2)));
                    }
                    let s = PodSpec {
                        name: format!("p{step}").into(),
                        namespace: if ns { "a" } else { "b" }.into(),
                        labels: labels.into(),
                        ..Default::default()
                    };
                    let key = pods.insert(Pod::new(s.clone(), 0));
                    nodes[n].pods.push(key);
                    topo.bind(&s, NodeId(n as u32));
                    bound.push((key, n, s));
                }
                // Queries are registered as the run goes (each counts the pods bound so far).
                if let Some(&(kind, value, ns)) = queries.get(q) {
                    let query = query_of(kind, value, ns);
                    ids.push((topo.query(query.clone(), &nodes, &pods), query));
                }
                for (id, query) in &ids {
                    for n in 0..nodes.len() {
                        let want = bound
                            .iter()
                            .filter(|(_, at, s)| *at == n && query.matches(&s.namespace, &s.labels))
                            .count() as u32;
                        prop_assert_eq!(topo.count(*id, NodeId(n as u32)), want, "{:?} on n{}", query, n);
                    }
                }
            }
        }
    }
}
