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
//!
//! When the caller notes every changed node ([`NodeCache::note_changes`], as the engine does
//! through [`crate::cluster::node_list::NodeList`]), the memo also keeps the verdicts by
//! node-order position — one feasible bit and a base score each — so a cycle re-derives only the
//! changed nodes and walks the feasible bits of its window: on the full Alibaba replay, 380
//! feasible nodes per cycle instead of visiting 630. Positions are filled in lazily, word by
//! word, as windows reach them: a new shape costs the positions its windows visit, not the
//! whole order.

use std::sync::Arc;

use crate::cluster::node::{Node, NodeId};
use crate::cluster::resources::Resources;
use crate::cluster::taints::Toleration;
use crate::workload::{PodConstraints, PodSpec};

/// What the node-local filters and the resource scores read of a pod.
#[derive(Debug, Default)]
struct Shape {
    requests: Resources,
    ephemeral_mib: u64,
    node_selector: Arc<[(String, String)]>,
    tolerations: Arc<[Toleration]>,
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
        self.node_selector = pod.node_selector.clone();
        self.tolerations = pod.tolerations.clone();
        self.constraints = pod.constraints.clone();
    }
}

/// What [`NodeCache::first_cycle`] advises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FirstCycle {
    /// Not a shape's first cycle: look entries up.
    No,
    /// A first cycle: compute, and store for the next cycle.
    Record,
    /// A first cycle after a shape seen once: compute only.
    Skip,
}

/// One node's memoised verdict: `Some(weighted base score)` when feasible.
#[derive(Clone, Copy, Debug, Default)]
struct Entry {
    /// The shape epoch it was computed in (0: never).
    epoch: u32,
    /// The node's version it was computed at.
    version: u64,
    verdict: Option<i64>,
}

/// The memo, indexed by node id.
#[derive(Debug, Default)]
pub struct NodeCache {
    shape: Shape,
    /// Bumped when the pod shape changes, which invalidates every entry at once.
    epoch: u32,
    entries: Vec<Entry>,
    /// Told of every change ([`NodeCache::note_changes`]): then the feasible set is kept by
    /// node-order position and a cycle visits feasible nodes only.
    tracked: bool,
    /// The node order the positions below refer to (the caller's counter).
    order_epoch: u64,
    /// `pos_of`, `feasible`, `score_at` and `known` are laid out for the current order.
    built: bool,
    /// The shape changed since `known` was last cleared.
    known_stale: bool,
    /// Cycles prepared for the current shape so far.
    shape_cycles: u32,
    /// The shape before the current one was prepared for more than one cycle.
    previous_repeated: bool,
    /// Positions whose bit in `feasible` and entry in `score_at` hold the current shape's
    /// verdict, one bit per position: filled on demand by the windows that reach them, so a
    /// new shape costs the positions its windows visit, not the whole order.
    known: Vec<u64>,
    /// Node id → position in the node order (`u32::MAX`: not in it).
    pos_of: Vec<u32>,
    /// Feasible nodes, one bit per position (meaningful at known positions).
    feasible: Vec<u64>,
    /// Base score per position (meaningful at known feasible positions).
    score_at: Vec<i64>,
    /// Per 64-position word: the highest score at its known feasible positions (`i64::MIN`
    /// when it has none) and which of them score it. A window whose best so far is above a
    /// word's highest only counts the word's feasible bits, and one whose best equals it
    /// visits only the word's ties: the other nodes could neither be chosen nor tie.
    word_max: Vec<i64>,
    word_top: Vec<u64>,
    /// (order epoch, some node of that order has a PreferNoSchedule taint), when tracked.
    taints_of_order: Option<(u64, bool)>,
    /// Nodes changed since the last refresh, each once.
    pending: Vec<NodeId>,
    is_pending: Vec<bool>,
}

impl NodeCache {
    /// Makes the memo serve `pod`: keeps the entries if the pod has the shape of the previous
    /// cycle's pod, else starts a new epoch. `nodes` is the number of nodes (ids below it).
    pub fn prepare(&mut self, pod: &PodSpec, nodes: usize) {
        if self.epoch == 0 || !self.shape.matches(pod) {
            self.previous_repeated = self.shape_cycles > 1;
            self.shape.set(pod);
            self.epoch = self.epoch.wrapping_add(1).max(1);
            self.known_stale = true;
            self.shape_cycles = 0;
            if self.epoch == 1 {
                // Wrapped (or first use): no stale entry may carry this epoch.
                self.entries.iter_mut().for_each(|e| e.epoch = 0);
            }
        }
        self.shape_cycles = self.shape_cycles.saturating_add(1);
        if self.entries.len() < nodes {
            self.entries.resize(nodes, Entry::default());
        }
    }

    /// Tells the memo which nodes may have changed since the last call, and the node order's
    /// counter (changed whenever the order is rebuilt). From the first call on, the memo trusts
    /// these notes instead of visiting every node of a window (debug builds check every known
    /// position after each refresh).
    pub fn note_changes(&mut self, order_epoch: u64, touched: &[NodeId]) {
        self.tracked = true;
        if order_epoch != self.order_epoch {
            self.order_epoch = order_epoch;
            self.built = false;
        }
        if !self.built {
            return;
        }
        for &id in touched {
            let i = id.0 as usize;
            if self.is_pending.len() <= i {
                self.is_pending.resize(i + 1, false);
            }
            if !self.is_pending[i] {
                self.is_pending[i] = true;
                self.pending.push(id);
            }
        }
    }

    /// False when no node of the order has a `PreferNoSchedule` taint, so TaintToleration's
    /// score is the same on every node (hard taints only filter). Taints are set when a node is
    /// made and never change, so the answer is kept per node order when the memo is told of
    /// order changes; else the order is looked over (a few instructions per node, against a
    /// score that costs a hundred).
    pub fn order_may_have_soft_taints(&mut self, nodes: &[Node], order: &[NodeId]) -> bool {
        let any = || order.iter().any(|id| nodes[id.0 as usize].has_soft_taint());
        if !self.tracked {
            return any();
        }
        match self.taints_of_order {
            Some((epoch, known)) if epoch == self.order_epoch => known,
            _ => {
                let known = any();
                self.taints_of_order = Some((self.order_epoch, known));
                known
            }
        }
    }

    /// True when [`NodeCache::refresh`] and [`NodeCache::window`] should serve this cycle:
    /// changes are being noted and the shape is the previous cycle's too (the first cycle of a
    /// shape walks its window node by node, which costs less per node when nothing is known
    /// yet: a run of all-different pods never pays for positions).
    pub fn use_positions(&self) -> bool {
        self.tracked && self.shape_cycles > 1
    }

    /// Brings the per-position verdicts up to date for the prepared shape: lays the positions
    /// out after an order change, forgets every verdict after a shape change (windows fill them
    /// in again as they reach them), else re-derives the known positions of the noted nodes.
    pub fn refresh(
        &mut self,
        nodes: &[Node],
        order: &[NodeId],
        compute: impl Fn(&Node) -> Option<i64>,
    ) {
        if !self.built {
            self.pos_of.clear();
            self.pos_of.resize(nodes.len(), u32::MAX);
            for (p, &id) in order.iter().enumerate() {
                self.pos_of[id.0 as usize] = p as u32;
            }
            let words = order.len().div_ceil(64);
            self.feasible.clear();
            self.feasible.resize(words, 0);
            self.known.clear();
            self.known.resize(words, 0);
            self.score_at.clear();
            self.score_at.resize(order.len(), 0);
            self.word_max.clear();
            self.word_max.resize(words, i64::MIN);
            self.word_top.clear();
            self.word_top.resize(words, 0);
            self.built = true;
            self.known_stale = false;
            self.drop_pending();
        } else if self.known_stale {
            self.known.fill(0);
            self.word_max.fill(i64::MIN);
            self.word_top.fill(0);
            self.known_stale = false;
            self.drop_pending();
        } else {
            let mut pending = std::mem::take(&mut self.pending);
            for &id in &pending {
                self.is_pending[id.0 as usize] = false;
                let Some(&p) = self.pos_of.get(id.0 as usize) else {
                    continue;
                };
                let p = p as usize;
                if p != u32::MAX as usize && self.known[p / 64] >> (p % 64) & 1 == 1 {
                    self.place(p, id, &nodes[id.0 as usize], &compute);
                }
            }
            pending.clear();
            self.pending = pending;
        }
        #[cfg(debug_assertions)]
        for (p, &id) in order.iter().enumerate() {
            if self.known[p / 64] >> (p % 64) & 1 == 0 {
                continue;
            }
            let node = &nodes[id.0 as usize];
            let e = self.entries[id.0 as usize];
            assert!(
                e.epoch == self.epoch && e.version == node.version,
                "scheduler memo missed a change to node {}",
                node.name
            );
            assert_eq!(
                self.feasible[p / 64] >> (p % 64) & 1 == 1,
                e.verdict.is_some(),
                "feasible bit of node {}",
                node.name
            );
        }
        #[cfg(debug_assertions)]
        for w in 0..self.known.len() {
            assert_eq!(
                (self.word_max[w], self.word_top[w]),
                self.word_stats(w),
                "highest score of positions {}..{}",
                w * 64,
                w * 64 + 64
            );
        }
    }

    /// Forgets the noted nodes (every position is laid out or forgotten anyway).
    fn drop_pending(&mut self) {
        for id in self.pending.drain(..) {
            self.is_pending[id.0 as usize] = false;
        }
    }

    #[inline]
    fn place(
        &mut self,
        p: usize,
        id: NodeId,
        node: &Node,
        compute: &impl Fn(&Node) -> Option<i64>,
    ) {
        let v = self.verdict(id, node, || compute(node));
        let (w, bit) = (p / 64, 1u64 << (p % 64));
        // An unknown position is never among the word's ties, so this holds for a fill too.
        let was_top = self.word_top[w] & bit != 0;
        match v {
            Some(s) => {
                self.feasible[w] |= bit;
                self.score_at[p] = s;
                let max = self.word_max[w];
                if s > max {
                    self.word_max[w] = s;
                    self.word_top[w] = bit;
                    return;
                }
                if s == max {
                    self.word_top[w] |= bit;
                    return;
                }
            }
            None => self.feasible[w] &= !bit,
        }
        if was_top {
            self.word_top[w] &= !bit;
            if self.word_top[w] == 0 {
                (self.word_max[w], self.word_top[w]) = self.word_stats(w);
            }
        }
    }

    /// Sets every word's highest score and ties from the positions (tests build caches by hand).
    #[cfg(test)]
    fn set_word_stats(&mut self) {
        let words = self.known.len();
        self.word_max = vec![i64::MIN; words];
        self.word_top = vec![0; words];
        for w in 0..words {
            (self.word_max[w], self.word_top[w]) = self.word_stats(w);
        }
    }

    /// The highest score at word `w`'s known feasible positions and which of them score it.
    fn word_stats(&self, w: usize) -> (i64, u64) {
        let (mut max, mut top) = (i64::MIN, 0u64);
        let mut bits = self.known[w] & self.feasible[w];
        while bits != 0 {
            let i = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let s = self.score_at[w * 64 + i];
            if s > max {
                (max, top) = (s, 1 << i);
            } else if s == max {
                top |= 1 << i;
            }
        }
        (max, top)
    }

    /// Hands `visit` the first `want` feasible nodes of the order from position `start` on
    /// (wrapping) with their base scores, in the order a walk over every node would meet them;
    /// returns how many nodes that walk would have processed and how many feasible nodes it
    /// met. Positions not yet known for the shape are judged by `compute` (through the memo)
    /// word by word as the walk reaches them.
    ///
    /// `visit` returns the score below which the caller has no use for a node: its best so
    /// far when it only picks the best (a lower node is never chosen and draws no tie-break),
    /// `i64::MIN` to see every node. Nodes below it are counted, not visited.
    #[inline(always)]
    pub fn window(
        &mut self,
        nodes: &[Node],
        order: &[NodeId],
        start: usize,
        want: usize,
        compute: impl Fn(&Node) -> Option<i64>,
        mut visit: impl FnMut(NodeId, i64) -> i64,
    ) -> (usize, usize) {
        let n = order.len();
        if want == 0 || n == 0 {
            return (0, 0);
        }
        let mut found = 0;
        let mut below = i64::MIN;
        for (from, to) in [(start, n), (0, start)] {
            if from >= to {
                continue;
            }
            // Word by word, each word's set bits lowest first (clearing each as it is taken):
            // one load per 64 positions, a few instructions per visited node.
            let (mut w, last) = (from / 64, (to - 1) / 64);
            let mut range = !0u64 << (from % 64);
            loop {
                if w == last && to - w * 64 < 64 {
                    range &= (1u64 << (to - w * 64)) - 1;
                }
                let unknown = !self.known[w] & range;
                if unknown != 0 {
                    self.fill(w, unknown, nodes, order, &compute);
                }
                let mut word = self.feasible[w] & range;
                let max = self.word_max[w];
                if below > i64::MIN && max <= below {
                    // Only the word's ties with the best so far (if any) are visited, up to
                    // the want-th feasible position; the rest are counted.
                    let count = word.count_ones() as usize;
                    let mut visit_mask = if max == below {
                        self.word_top[w] & range
                    } else {
                        0
                    };
                    let mut end = None;
                    if found + count < want {
                        found += count;
                    } else {
                        for _ in found + 1..want {
                            word &= word - 1;
                        }
                        let q = word.trailing_zeros();
                        // Positions up to and including the want-th feasible one.
                        visit_mask &= u64::MAX >> (63 - q);
                        end = Some(w * 64 + q as usize);
                    }
                    while visit_mask != 0 {
                        let p = w * 64 + visit_mask.trailing_zeros() as usize;
                        visit_mask &= visit_mask - 1;
                        debug_assert_eq!(self.score_at[p], below);
                        visit(order[p], self.score_at[p]);
                    }
                    if let Some(p) = end {
                        return ((p + n - start) % n + 1, want);
                    }
                } else {
                    while word != 0 {
                        let p = w * 64 + word.trailing_zeros() as usize;
                        word &= word - 1;
                        below = visit(order[p], self.score_at[p]);
                        found += 1;
                        if found == want {
                            return ((p + n - start) % n + 1, found);
                        }
                    }
                }
                w += 1;
                if w > last {
                    break;
                }
                range = !0;
            }
        }
        (n, found)
    }

    /// Judges the positions of word `w` set in `unknown` and marks them known.
    #[inline]
    fn fill(
        &mut self,
        w: usize,
        unknown: u64,
        nodes: &[Node],
        order: &[NodeId],
        compute: &impl Fn(&Node) -> Option<i64>,
    ) {
        let mut bits = unknown;
        while bits != 0 {
            let p = w * 64 + bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let id = order[p];
            self.place(p, id, &nodes[id.0 as usize], compute);
        }
        self.known[w] |= unknown;
    }

    /// How a cycle walking node by node should use the memo: in a shape's first cycle no
    /// entry can hold (the shape's epoch is new), so verdicts are only computed, and recorded
    /// for the shape's next cycle only if the shape before this one was seen more than once —
    /// a run of all-different pods (one pod per job) never pays for entries it cannot reuse.
    pub fn first_cycle(&self) -> FirstCycle {
        match (self.shape_cycles, self.previous_repeated) {
            (1, true) => FirstCycle::Record,
            (1, false) => FirstCycle::Skip,
            _ => FirstCycle::No,
        }
    }

    /// Stores a verdict computed in a shape's first cycle (every entry is stale then, so
    /// there is nothing to look up first).
    #[inline(always)]
    pub fn record(&mut self, id: NodeId, node: &Node, verdict: Option<i64>) {
        self.entries[id.0 as usize] = Entry {
            epoch: self.epoch,
            version: node.version,
            verdict,
        };
    }

    /// The verdict for `node`, computed by `compute` unless memoised.
    #[inline(always)]
    pub fn verdict(
        &mut self,
        id: NodeId,
        node: &Node,
        compute: impl Fn() -> Option<i64>,
    ) -> Option<i64> {
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

    /// A memo with every position known, `scores` by position, each feasible with probability
    /// `density`; and which are.
    fn all_known(
        scores: Vec<i64>,
        density: f64,
        rng: &mut crate::sim::rng::SimRng,
    ) -> (super::NodeCache, Vec<bool>) {
        use rand::RngExt;
        let n = scores.len();
        let mut cache = super::NodeCache {
            feasible: vec![0; n.div_ceil(64)],
            known: vec![!0; n.div_ceil(64)],
            score_at: scores,
            ..Default::default()
        };
        let mut bits = vec![false; n];
        for (p, b) in bits.iter_mut().enumerate() {
            if rng.random_bool(density) {
                *b = true;
                cache.feasible[p / 64] |= 1 << (p % 64);
            }
        }
        cache.set_word_stats();
        (cache, bits)
    }

    /// What a walk over every position from `start` (wrapping) until `want` feasible ones
    /// meets, given each position's verdict: (positions processed, feasible (node, score)s).
    fn plain_walk(
        order: &[NodeId],
        start: usize,
        want: usize,
        verdict_at: impl Fn(usize) -> Option<i64>,
    ) -> (usize, Vec<(NodeId, i64)>) {
        let n = order.len();
        let (mut processed, mut met) = (0, Vec::new());
        for k in 0..n {
            if met.len() == want {
                break;
            }
            processed += 1;
            let p = (start + k) % n;
            if let Some(s) = verdict_at(p) {
                met.push((order[p], s));
            }
        }
        (processed, met)
    }

    #[test]
    fn window_judges_unknown_positions_once_and_only_those_it_reaches() {
        use rand::RngExt;
        use std::cell::RefCell;
        let mut rng = stream(9, "lazy");
        for n in [1usize, 63, 64, 65, 130, 200] {
            let (nodes, _) = nodes(n);
            let order: Vec<NodeId> = (0..n as u32).rev().map(NodeId).collect();
            // Each node's verdict, by id; the node's name is `n{id}`.
            let verdicts: Vec<Option<i64>> = (0..n)
                .map(|_| rng.random_bool(0.6).then(|| rng.random_range(0..200)))
                .collect();
            let id_of = |node: &Node| node.name[1..].parse::<usize>().unwrap();
            for _ in 0..20 {
                let known_at: Vec<bool> = (0..n).map(|_| rng.random_bool(0.4)).collect();
                let (start, want) = (rng.random_range(0..n), rng.random_range(1..=n));
                let mut cache = super::NodeCache {
                    epoch: 1,
                    entries: vec![super::Entry::default(); n],
                    feasible: vec![0; n.div_ceil(64)],
                    known: vec![0; n.div_ceil(64)],
                    score_at: vec![0; n],
                    ..Default::default()
                };
                for p in 0..n {
                    if known_at[p] {
                        cache.known[p / 64] |= 1 << (p % 64);
                        if let Some(s) = verdicts[order[p].0 as usize] {
                            cache.feasible[p / 64] |= 1 << (p % 64);
                            cache.score_at[p] = s;
                        }
                    }
                }
                cache.set_word_stats();
                let judged = RefCell::new(Vec::new());
                let compute = |node: &Node| {
                    judged.borrow_mut().push(id_of(node));
                    verdicts[id_of(node)]
                };
                let mut got = Vec::new();
                let r = cache.window(&nodes, &order, start, want, compute, |id, s| {
                    got.push((id, s));
                    i64::MIN
                });
                let (processed, expect) =
                    plain_walk(&order, start, want, |p| verdicts[order[p].0 as usize]);
                assert_eq!(got, expect, "n {n} start {start} want {want}");
                assert_eq!(r, (processed, expect.len()));
                // Only unknown positions were judged, each once, and each is known now.
                let judged = judged.into_inner();
                let mut seen = vec![false; n];
                for &id in &judged {
                    let p = n - 1 - id;
                    assert!(
                        !known_at[p] && !seen[p],
                        "position {p} judged twice or known"
                    );
                    seen[p] = true;
                    assert_eq!(cache.known[p / 64] >> (p % 64) & 1, 1);
                }
                // Every visited position is known; no bit past the order is set.
                for &(id, _) in &got {
                    let p = n - 1 - id.0 as usize;
                    assert_eq!(cache.known[p / 64] >> (p % 64) & 1, 1);
                }
                if n % 64 != 0 {
                    assert_eq!(cache.known[n / 64] >> (n % 64), 0);
                }
                // Judging kept each word's highest score and ties exact.
                for w in 0..n.div_ceil(64) {
                    assert_eq!((cache.word_max[w], cache.word_top[w]), cache.word_stats(w));
                }
            }
        }
    }

    #[test]
    fn window_meets_feasible_positions_as_a_walk_over_every_node_would() {
        let mut rng = stream(5, "window");
        for n in [1usize, 2, 63, 64, 65, 127, 128, 130, 250] {
            let order: Vec<NodeId> = (0..n as u32).rev().map(NodeId).collect();
            for density in [0.0, 0.1, 0.5, 1.0] {
                let scores = (0..n as i64).map(|p| p * 7 % 13).collect();
                let (mut cache, bits) = all_known(scores, density, &mut rng);
                for start in 0..n {
                    for want in [1, 2, 5, n] {
                        let (processed, expect) = plain_walk(&order, start, want, |p| {
                            bits[p].then_some(cache.score_at[p])
                        });
                        let mut got = Vec::new();
                        // Every position is known: `compute` is never asked.
                        let r = cache.window(
                            &[],
                            &order,
                            start,
                            want,
                            |_| None,
                            |id, s| {
                                got.push((id, s));
                                i64::MIN
                            },
                        );
                        assert_eq!(got, expect, "n {n} start {start} want {want}");
                        assert_eq!(
                            r,
                            (processed, expect.len()),
                            "n {n} start {start} want {want}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn window_for_the_best_visits_every_node_that_could_be_chosen_or_tie() {
        // Scores from a small range (many ties), some words with none feasible: a caller that
        // keeps the best so far sees the same nodes at or above it, in the same order, as it
        // would walking every feasible node, and the same processed count.
        use rand::RngExt;
        let mut rng = stream(11, "best");
        for n in [1usize, 63, 64, 65, 130, 300] {
            let order: Vec<NodeId> = (0..n as u32).rev().map(NodeId).collect();
            for (density, spread) in [(0.2, 3), (0.7, 2), (1.0, 40), (0.5, 1)] {
                let scores = (0..n).map(|_| rng.random_range(0..spread)).collect();
                let (mut cache, bits) = all_known(scores, density, &mut rng);
                // The visits a best-keeping caller acts on: at or above the best so far.
                let acted = |seen: &[(NodeId, i64)]| {
                    let mut best = i64::MIN;
                    let mut out = Vec::new();
                    for &(id, s) in seen {
                        if s >= best {
                            out.push((id, s));
                            best = s;
                        }
                    }
                    out
                };
                for start in 0..n {
                    for want in [1, 3, n / 2 + 1, n] {
                        let (processed, every) = plain_walk(&order, start, want, |p| {
                            bits[p].then_some(cache.score_at[p])
                        });
                        let mut got = Vec::new();
                        let mut best = i64::MIN;
                        let r = cache.window(
                            &[],
                            &order,
                            start,
                            want,
                            |_| None,
                            |id, s| {
                                got.push((id, s));
                                best = best.max(s);
                                best
                            },
                        );
                        let at = format!("n {n} start {start} want {want}");
                        assert_eq!(acted(&got), acted(&every), "{at}");
                        assert_eq!(r, (processed, every.len()), "{at}");
                    }
                }
            }
        }
    }

    #[test]
    fn first_cycles_record_entries_only_after_a_shape_that_repeated() {
        use super::FirstCycle::{No, Record, Skip};
        let mut cache = super::NodeCache::default();
        let mut advice = Vec::new();
        for cpu in [100, 200, 200, 300, 400, 400, 400, 500] {
            cache.prepare(&pod(cpu), 4);
            advice.push(cache.first_cycle());
        }
        assert_eq!(advice, [Skip, Skip, No, Record, Skip, No, No, Record]);
    }

    /// How the scheduler learns of changes between cycles.
    #[derive(Clone, Copy, Debug)]
    enum Memo {
        /// The memo is wiped before every cycle.
        Fresh,
        /// Never told: validates every node of a window.
        Untracked,
        /// Told of every changed node: positions and the feasible-bit walk.
        Tracked,
    }

    /// Places `count` pods one after another as the engine would (the chosen node's requests
    /// grow, or it is cordoned every `cordon_every` pods; every 7th pod a pod ends on node
    /// `(i * 31) % n_nodes`); returns the chosen nodes.
    fn place(
        memo: Memo,
        n_nodes: usize,
        count: usize,
        shapes: &[u64],
        cordon_every: usize,
    ) -> Vec<Option<u32>> {
        let (mut nodes, order) = nodes(n_nodes);
        let pods = PodTable::default();
        let mut topo = TopologyIndex::default();
        let mut s = Scheduler::new(Profile::default(), stream(3, "scheduler"));
        let mut out = Vec::new();
        let mut touched: Vec<NodeId> = Vec::new();
        for i in 0..count {
            match memo {
                Memo::Fresh => s.scratch.cache = Default::default(),
                Memo::Untracked => {}
                Memo::Tracked => s.note_changes(1, &touched),
            }
            touched.clear();
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
                touched.push(id);
            }
            if i % 7 == 6 {
                let victim = (i * 31) % n_nodes;
                let n = &mut nodes[victim];
                if n.requested.cpu_m >= p.requests.cpu_m {
                    n.remove_requests(p.requests, 0);
                    touched.push(NodeId(victim as u32));
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
            (&[300, 300, 300, 900, 900][..], 0),
        ] {
            // 7 nodes: every cycle looks at all; 250: windows of 120 (48%) rotate.
            for (n_nodes, count) in [(7, 80), (250, 3000)] {
                let fresh = place(Memo::Fresh, n_nodes, count, shapes, cordon_every);
                for memo in [Memo::Untracked, Memo::Tracked] {
                    let got = place(memo, n_nodes, count, shapes, cordon_every);
                    assert_eq!(
                        got, fresh,
                        "{memo:?}: {n_nodes} nodes, shapes {shapes:?}, cordon every {cordon_every}"
                    );
                }
                assert!(fresh.iter().any(Option::is_none), "the cluster fills up");
            }
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
        // The shape's first cycle only computes (no shape before it repeated); the second
        // stores entries; the third finds them.
        for cycle in 0..3 {
            let view = ClusterView {
                nodes: &nodes,
                order: &order,
                pods: &pods,
            };
            let _ = s.schedule(&pod(500), &view, &mut topo, None);
            if cycle == 1 {
                // A cordon written to the field directly, without Node::cordon.
                nodes[0].unschedulable = true;
            }
        }
    }
}
