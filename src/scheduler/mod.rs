//! The default scheduler for pods that no Fargate profile takes, modelled on kube-scheduler's
//! default profile: PreFilter → Filter (over a rotating sample of nodes, as
//! `percentageOfNodesToScore` asks) → PreScore → Score → NormalizeScore → weighted sum → select
//! the best node, ties broken at random with the run's seeded stream. Plugins live one per file in
//! [`plugins`]; the scheduling queue in [`queue`]; pod counts per topology domain in
//! [`topology`]; the profile (which plugins, weights, strategies) in [`profile`].

mod node_cache;
pub mod plugins;
pub mod preemption;
pub mod profile;
pub mod queue;
pub mod topology;

use std::collections::BTreeMap;

use rand::RngExt;

use crate::cluster::node::{Node, NodeId};
use crate::cluster::pod::PodTable;
use crate::cluster::resources::Resources;
use crate::sim::rng::SimRng;
use crate::workload::PodSpec;
use plugins::{
    balanced_allocation, inter_pod_affinity, node_affinity, node_resources_fit, node_unschedulable,
    pod_topology_spread, taint_toleration,
};
use profile::DefaultScoring;
pub use profile::Profile;
use topology::TopologyIndex;

/// Which resources a node is short of.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Insufficient {
    /// Too many pods.
    pub pods: bool,
    /// Not enough CPU.
    pub cpu: bool,
    /// Not enough memory.
    pub memory: bool,
    /// Not enough GPUs.
    pub gpu: bool,
    /// Not enough ephemeral storage.
    pub ephemeral: bool,
}

impl Insufficient {
    /// True if any resource is short.
    pub fn any(&self) -> bool {
        self.pods || self.cpu || self.memory || self.gpu || self.ephemeral
    }
}

/// Why one node was filtered out. Small and `Copy`, so the hot path allocates nothing; text is
/// made only when a message is needed.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FilterFailure {
    /// The node is cordoned.
    Unschedulable,
    /// Requests do not fit.
    Insufficient(Insufficient),
    /// nodeSelector or required node affinity does not match.
    NodeAffinity,
    /// The node has a hard taint the pod does not tolerate (index into the node's taints).
    UntoleratedTaint {
        /// Which taint.
        index: usize,
    },
    /// A DoNotSchedule spread constraint would be broken.
    Spread,
    /// The node lacks a spread constraint's topology key.
    SpreadMissingLabel,
    /// Required pod affinity not satisfied.
    PodAffinity,
    /// Required pod anti-affinity not satisfied.
    PodAntiAffinity,
    /// A running pod's required anti-affinity excludes the pod.
    ExistingAntiAffinity,
}

impl FilterFailure {
    /// The plugin that reported the failure.
    pub fn plugin(&self) -> &'static str {
        match self {
            FilterFailure::Unschedulable => "NodeUnschedulable",
            FilterFailure::Insufficient(_) => "NodeResourcesFit",
            FilterFailure::NodeAffinity => "NodeAffinity",
            FilterFailure::UntoleratedTaint { .. } => "TaintToleration",
            FilterFailure::Spread | FilterFailure::SpreadMissingLabel => "PodTopologySpread",
            FilterFailure::PodAffinity
            | FilterFailure::PodAntiAffinity
            | FilterFailure::ExistingAntiAffinity => "InterPodAffinity",
        }
    }

    /// True when only another pod's arrival or departure can change the verdict (topology and
    /// affinity), not capacity freeing up on the node.
    pub fn depends_on_other_pods(&self) -> bool {
        matches!(
            self,
            FilterFailure::Spread
                | FilterFailure::PodAffinity
                | FilterFailure::PodAntiAffinity
                | FilterFailure::ExistingAntiAffinity
        )
    }

    /// kube-scheduler's reason strings for this failure on `node`.
    pub fn reasons(&self, node: &Node) -> Vec<String> {
        match *self {
            FilterFailure::Unschedulable => vec!["node(s) were unschedulable".into()],
            FilterFailure::NodeAffinity => {
                vec!["node(s) didn't match Pod's node affinity/selector".into()]
            }
            FilterFailure::UntoleratedTaint { index } => {
                let t = &node.taints[index];
                vec![format!(
                    "node(s) had untolerated taint {{{}: {}}}",
                    t.key, t.value
                )]
            }
            FilterFailure::Spread => {
                vec!["node(s) didn't match pod topology spread constraints".into()]
            }
            FilterFailure::SpreadMissingLabel => {
                vec![
                    "node(s) didn't match pod topology spread constraints (missing required label)"
                        .into(),
                ]
            }
            FilterFailure::PodAffinity => vec!["node(s) didn't match pod affinity rules".into()],
            FilterFailure::PodAntiAffinity => {
                vec!["node(s) didn't match pod anti-affinity rules".into()]
            }
            FilterFailure::ExistingAntiAffinity => {
                vec!["node(s) didn't satisfy existing pods anti-affinity rules".into()]
            }
            FilterFailure::Insufficient(i) => {
                let mut v = Vec::new();
                if i.pods {
                    v.push("Too many pods".into());
                }
                if i.cpu {
                    v.push("Insufficient cpu".into());
                }
                if i.memory {
                    v.push("Insufficient memory".into());
                }
                if i.ephemeral {
                    v.push("Insufficient ephemeral-storage".into());
                }
                if i.gpu {
                    v.push("Insufficient nvidia.com/gpu".into());
                }
                v
            }
        }
    }
}

/// Per-cycle plugin state (PreFilter and PreScore results).
#[derive(Default)]
pub struct CycleState {
    spread_filter: Option<pod_topology_spread::FilterState>,
    affinity_filter: Option<inter_pod_affinity::FilterState>,
}

/// What the scheduler sees of the cluster.
pub struct ClusterView<'a> {
    /// Every node by id.
    pub nodes: &'a [Node],
    /// Schedulable (Ready) nodes in kube-scheduler's node-tree order (zones interleaved).
    pub order: &'a [NodeId],
    /// The pods, to look up those bound to nodes.
    pub pods: &'a PodTable,
}

/// Runs the filters of the profile on node `id` (`node` is its record), in upstream order; the
/// pod-dependent filters find the node's topology domains by its id.
#[inline(always)]
pub fn filter_node(
    profile: &Profile,
    state: &CycleState,
    pod: &PodSpec,
    id: NodeId,
    node: &Node,
) -> Result<(), FilterFailure> {
    let f = &profile.filters;
    if f.node_unschedulable {
        node_unschedulable::filter(pod, node)?;
    }
    if f.taint_toleration {
        taint_toleration::filter(pod, node)?;
    }
    if f.node_affinity {
        node_affinity::filter(pod, node)?;
    }
    if f.node_resources_fit {
        node_resources_fit::filter(pod, node)?;
    }
    pod_dependent_filters(state, id)
}

/// The filters of [`filter_node`] that read other pods (PodTopologySpread, InterPodAffinity),
/// run after the node-local ones.
#[inline]
fn pod_dependent_filters(state: &CycleState, id: NodeId) -> Result<(), FilterFailure> {
    if let Some(s) = &state.spread_filter {
        pod_topology_spread::filter(s, id)?;
    }
    if let Some(s) = &state.affinity_filter {
        inter_pod_affinity::filter(s, id)?;
    }
    Ok(())
}

/// Upstream `numFeasibleNodesToFind`: all nodes below 100; otherwise the given percentage, or
/// adaptively `50 − nodes/125` percent (at least 5%), and never fewer than 100 nodes.
pub fn num_feasible_nodes_to_find(percentage: u32, all_nodes: usize) -> usize {
    const MIN_FEASIBLE: usize = 100;
    if all_nodes < MIN_FEASIBLE {
        return all_nodes;
    }
    let mut pct = percentage as i64;
    if pct == 0 {
        pct = (50 - all_nodes as i64 / 125).max(5);
    }
    let n = all_nodes * pct.min(100) as usize / 100;
    n.max(MIN_FEASIBLE)
}

/// One plugin's scores for one node, for `eksim explain`.
#[derive(Clone, Debug, PartialEq)]
pub struct PluginScore {
    /// Plugin name.
    pub plugin: &'static str,
    /// Raw score.
    pub raw: i64,
    /// After normalisation (0–100).
    pub normalized: i64,
    /// The plugin's weight.
    pub weight: i64,
    /// Normalised × weight.
    pub weighted: i64,
}

/// What happened to one node in a cycle, for `eksim explain`.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeVerdict {
    /// Filtered out by a plugin.
    Filtered {
        /// The failing plugin.
        plugin: &'static str,
        /// kube-scheduler's reasons.
        reasons: Vec<String>,
    },
    /// Feasible, with its scores.
    Scored {
        /// Per plugin.
        scores: Vec<PluginScore>,
        /// Weighted sum.
        total: i64,
    },
    /// Not looked at: enough feasible nodes were found first (percentageOfNodesToScore).
    NotEvaluated,
}

/// A full record of one scheduling cycle.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CycleTrace {
    /// Per node, in evaluation order.
    pub nodes: Vec<(NodeId, NodeVerdict)>,
    /// How many feasible nodes the cycle looked for.
    pub wanted_feasible: usize,
    /// The chosen node.
    pub chosen: Option<NodeId>,
}

/// Why a cycle found no node: filter failures counted by reason.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Unschedulable {
    /// Nodes considered.
    pub nodes: usize,
    /// Failure counts per reason, ordered as kube-scheduler prints them; filled by
    /// [`Scheduler::explain_unschedulable`] and by explained cycles (a plain cycle leaves it
    /// empty: building the texts would cost more than the cycle).
    pub reasons: BTreeMap<String, u32>,
    /// True when every failure depends only on other pods (spread, affinity).
    pub only_pod_dependent: bool,
}

impl Unschedulable {
    /// kube-scheduler's FailedScheduling text: `0/12 nodes are available: 4 Insufficient cpu,
    /// 8 node(s) had untolerated taint {k: v}.` The parts are sorted as plain strings, as
    /// upstream `FitError.Error` sorts them (so `10 …` comes before `2 …`).
    pub fn message(&self) -> String {
        if self.nodes == 0 {
            // Upstream returns ErrNoNodesAvailable before filtering (schedule_one.go).
            return "no nodes available to schedule pods".to_string();
        }
        if self.reasons.is_empty() {
            return format!("0/{} nodes are available.", self.nodes);
        }
        let mut parts: Vec<String> = self
            .reasons
            .iter()
            .map(|(r, n)| format!("{n} {r}"))
            .collect();
        parts.sort();
        format!(
            "0/{} nodes are available: {}.",
            self.nodes,
            parts.join(", ")
        )
    }
}

/// The scheduler: a profile, where the last cycle stopped in the node list, and its random
/// stream for ties.
pub struct Scheduler {
    /// The profile in use.
    pub profile: Profile,
    next_start: usize,
    rng: SimRng,
    /// Buffers reused by every cycle, so a cycle allocates nothing.
    scratch: Scratch,
}

/// Per-cycle buffers kept between cycles (cleared, never shrunk).
#[derive(Default)]
struct Scratch {
    feasible: Vec<NodeId>,
    failures: Vec<(NodeId, FilterFailure)>,
    totals: Vec<i64>,
    /// Weighted NodeResourcesFit + BalancedAllocation of each feasible node, when the node
    /// cache produced them while filtering.
    base: Vec<i64>,
    raw: Vec<i64>,
    raw_opt: Vec<Option<i64>>,
    cache: node_cache::NodeCache,
    /// The memo of pods with pod-dependent filters, kept apart so that a queue alternating
    /// them with plain pods does not make each kind start the other's memo over.
    dependent_cache: node_cache::NodeCache,
}

impl Scheduler {
    /// A scheduler with a profile and its tie-breaking stream.
    pub fn new(profile: Profile, rng: SimRng) -> Scheduler {
        Scheduler {
            profile,
            next_start: 0,
            rng,
            scratch: Scratch::default(),
        }
    }

    /// Tells the scheduler which nodes may have changed since its previous cycle and the node
    /// order's rebuild counter. A caller that reports every change this way (the engine) lets
    /// cycles skip unchanged and infeasible nodes; one that never calls it gets cycles that look
    /// at every node of their window.
    pub fn note_changes(&mut self, order_epoch: u64, touched: &[NodeId]) {
        self.scratch.cache.note_changes(order_epoch, touched);
    }

    /// PreFilter for `pod`: the per-cycle state of the stateful plugins.
    pub fn pre_filter(
        &self,
        pod: &PodSpec,
        view: &ClusterView,
        topo: &mut TopologyIndex,
    ) -> CycleState {
        let f = &self.profile.filters;
        CycleState {
            spread_filter: if f.pod_topology_spread {
                pod_topology_spread::pre_filter(
                    pod,
                    &self.profile.spread_defaulting,
                    view.nodes,
                    view.order,
                    view.pods,
                    topo,
                )
            } else {
                None
            },
            affinity_filter: if f.inter_pod_affinity {
                inter_pod_affinity::pre_filter(pod, view.nodes, view.order, view.pods, topo)
            } else {
                None
            },
        }
    }

    /// Runs one scheduling cycle for `pod`. `trace` collects per-node detail for explain.
    pub fn schedule(
        &mut self,
        pod: &PodSpec,
        view: &ClusterView,
        topo: &mut TopologyIndex,
        mut trace: Option<&mut CycleTrace>,
    ) -> Result<NodeId, Unschedulable> {
        let all = view.order.len();
        let state = self.pre_filter(pod, view, topo);
        let want = num_feasible_nodes_to_find(self.profile.percentage_of_nodes_to_score, all);
        if let Some(t) = trace.as_deref_mut() {
            t.wanted_feasible = want;
        }
        let mut feasible = std::mem::take(&mut self.scratch.feasible);
        let mut failures = std::mem::take(&mut self.scratch.failures);
        feasible.clear();
        failures.clear();
        let result = self.select(
            pod,
            view,
            topo,
            &state,
            want,
            &mut feasible,
            &mut failures,
            trace,
        );
        self.scratch.feasible = feasible;
        self.scratch.failures = failures;
        result
    }

    /// Filter and score of one cycle, with the caller's buffers.
    #[allow(clippy::too_many_arguments)]
    fn select(
        &mut self,
        pod: &PodSpec,
        view: &ClusterView,
        topo: &mut TopologyIndex,
        state: &CycleState,
        want: usize,
        feasible: &mut Vec<NodeId>,
        failures: &mut Vec<(NodeId, FilterFailure)>,
        mut trace: Option<&mut CycleTrace>,
    ) -> Result<NodeId, Unschedulable> {
        let all = view.order.len();
        let mut processed = 0;
        let start = if all == 0 { 0 } else { self.next_start % all };
        // The rotation from `start`, as two slices (no division per node).
        let (tail, head) = view.order.split_at(start);
        // Without pod-dependent filters every verdict is node-local: memoised per node.
        let cached =
            trace.is_none() && state.spread_filter.is_none() && state.affinity_filter.is_none();
        let mut base = std::mem::take(&mut self.scratch.base);
        base.clear();
        // `base` holds each feasible node's base score (every walk of an unexplained cycle
        // fills it).
        // Some processed node failed a node-local filter without being listed in `failures`.
        let mut local_failures = false;
        // Whether some node of the order has a PreferNoSchedule taint, when this cycle already
        // asked (an unnoted cluster answers by looking at every node).
        let mut tainted = None;
        if cached {
            let profile = &self.profile;
            let cache = &mut self.scratch.cache;
            cache.prepare(pod, view.nodes.len());
            let judged = Judged::new(profile, pod);
            // When changes are noted and the shape repeats, only changed nodes (and positions a
            // window reaches for the first time in this shape) are re-derived and the walk
            // visits feasible positions only; else the window is walked node by node through
            // the memo. Failures are not listed either way: they are node-local,
            // so an empty result is never "only pod-dependent", which is what an empty failure
            // list yields below.
            let positions = cache.use_positions();
            let judge = |node: &Node| judged.judge(node);
            if positions {
                cache.refresh(view.nodes, view.order, judge);
            }
            let w = &profile.weights;
            tainted = (w.taint_toleration != 0)
                .then(|| cache.order_may_have_soft_taints(view.nodes, view.order));
            let only_base = tainted != Some(true)
                && (w.node_affinity == 0 || pod.constraints.node_affinity.preferred.is_empty())
                && (w.pod_topology_spread == 0
                    || !pod_topology_spread::may_score(pod, &profile.spread_defaulting))
                && (w.inter_pod_affinity == 0 || !inter_pod_affinity::may_score(pod, topo));
            let nodes = view.nodes;
            if only_base {
                // No other plugin scores this pod: a node's total is its base score, so the
                // best node is chosen during the walk (the same reservoir as below, in the same
                // order, drawing the same random numbers).
                let rng = &mut self.rng;
                let mut pick = Reservoir::default();
                let processed = if positions {
                    // A node below the best so far is never chosen and draws no tie-break:
                    // the window visits only the nodes that could change the pick.
                    let offer = |id: NodeId, s: i64| {
                        pick.offer(id, s, rng);
                        pick.best_score()
                    };
                    cache.window(nodes, view.order, start, want, judge, offer).0
                } else {
                    let offer = |id: NodeId, s: i64| pick.offer(id, s, rng);
                    walk_memo(cache, nodes, head, tail, want, &judged, offer)
                };
                self.scratch.base = base;
                if all > 0 {
                    self.next_start = (start + processed) % all;
                }
                return pick.best().ok_or(Unschedulable {
                    nodes: all,
                    ..Default::default()
                });
            }
            let mut collect = |id: NodeId, s: i64| {
                feasible.push(id);
                base.push(s);
            };
            processed = if positions {
                let every = |id: NodeId, s: i64| {
                    collect(id, s);
                    i64::MIN
                };
                cache.window(nodes, view.order, start, want, judge, every).0
            } else {
                walk_memo(cache, nodes, head, tail, want, &judged, collect)
            };
        } else if trace.is_none() {
            (processed, local_failures) = walk_pod_dependent(
                &mut self.scratch.dependent_cache,
                &self.profile,
                pod,
                state,
                view.nodes,
                [head, tail],
                want,
                (feasible, &mut base, failures),
            );
        } else {
            for &id in head.iter().chain(tail) {
                if feasible.len() >= want {
                    break;
                }
                processed += 1;
                match filter_node(&self.profile, state, pod, id, &view.nodes[id.0 as usize]) {
                    Ok(()) => feasible.push(id),
                    Err(f) => failures.push((id, f)),
                }
            }
        }
        if all > 0 {
            self.next_start = (start + processed) % all;
        }
        if let Some(t) = trace.as_deref_mut() {
            for &(id, f) in failures.iter() {
                t.nodes.push((
                    id,
                    NodeVerdict::Filtered {
                        plugin: f.plugin(),
                        reasons: f.reasons(&view.nodes[id.0 as usize]),
                    },
                ));
            }
            let evaluated: std::collections::BTreeSet<NodeId> = failures
                .iter()
                .map(|(id, _)| *id)
                .chain(feasible.iter().copied())
                .collect();
            for &id in view.order {
                if !evaluated.contains(&id) {
                    t.nodes.push((id, NodeVerdict::NotEvaluated));
                }
            }
        }
        if feasible.is_empty() {
            let mut u = Unschedulable {
                nodes: all,
                only_pod_dependent: !failures.is_empty() && !local_failures,
                ..Default::default()
            };
            // The reason texts are only read when the cycle is explained (a pending pod's
            // final reason is recomputed at the end of the run), so plain cycles skip them.
            let explained = trace.is_some();
            for (id, f) in failures.iter() {
                u.only_pod_dependent &= f.depends_on_other_pods();
                if explained {
                    for r in f.reasons(&view.nodes[id.0 as usize]) {
                        *u.reasons.entry(r).or_default() += 1;
                    }
                }
            }
            return Err(u);
        }
        if feasible.len() == 1 && trace.is_none() {
            self.scratch.base = base;
            return Ok(feasible[0]);
        }
        let totals = if trace.is_none() {
            let mut totals = std::mem::take(&mut self.scratch.totals);
            self.score_fast(pod, view, topo, feasible, &base, tainted, &mut totals);
            self.scratch.base = base;
            totals
        } else {
            self.score(pod, view, topo, feasible, trace.as_deref_mut())
        };
        let mut pick = Reservoir::default();
        for (&id, &s) in feasible.iter().zip(totals.iter()) {
            pick.offer(id, s, &mut self.rng);
        }
        let chosen = pick.best().unwrap_or(feasible[0]);
        if let Some(t) = trace {
            t.chosen = Some(chosen);
        } else {
            self.scratch.totals = totals;
        }
        Ok(chosen)
    }

    /// The weighted totals of [`Scheduler::score`] up to a constant shared by every node, which
    /// leaves the best node and the ties unchanged: a plugin whose normalised score is the same
    /// on every node (TaintToleration when no node has a PreferNoSchedule taint the pod minds,
    /// NodeAffinity without preferred terms) is skipped, the others are added in one pass with
    /// reused buffers. Used when no trace is wanted. `base` holds each feasible node's base score,
    /// from the filter walk. `tainted` is what
    /// [`node_cache::NodeCache::order_may_have_soft_taints`] said earlier in the cycle, if it was
    /// asked.
    #[allow(clippy::too_many_arguments)]
    fn score_fast(
        &mut self,
        pod: &PodSpec,
        view: &ClusterView,
        topo: &mut TopologyIndex,
        feasible: &[NodeId],
        base: &[i64],
        tainted: Option<bool>,
        totals: &mut Vec<i64>,
    ) {
        let p = &self.profile;
        let w = &p.weights;
        totals.clear();
        totals.extend_from_slice(base);
        let cache = &mut self.scratch.cache;
        let maybe_tainted = w.taint_toleration > 0
            && tainted.unwrap_or_else(|| cache.order_may_have_soft_taints(view.nodes, view.order));
        let raw = &mut self.scratch.raw;
        if maybe_tainted
            && feasible
                .iter()
                .any(|id| view.nodes[id.0 as usize].has_soft_taint())
        {
            raw.clear();
            raw.extend(feasible.iter().map(|id| {
                let node = &view.nodes[id.0 as usize];
                if node.taints.is_empty() {
                    0
                } else {
                    taint_toleration::score(pod, node)
                }
            }));
            taint_toleration::normalize(raw);
            add_weighted(totals, raw, w.taint_toleration);
        }
        if w.node_affinity > 0 && !pod.constraints.node_affinity.preferred.is_empty() {
            raw.clear();
            raw.extend(
                feasible
                    .iter()
                    .map(|id| node_affinity::score(pod, &view.nodes[id.0 as usize])),
            );
            node_affinity::normalize(raw);
            add_weighted(totals, raw, w.node_affinity);
        }
        if w.pod_topology_spread > 0
            && let Some(st) = pod_topology_spread::pre_score(
                pod,
                &p.spread_defaulting,
                view.nodes,
                view.order,
                feasible,
                view.pods,
                topo,
            )
        {
            let raw_opt = &mut self.scratch.raw_opt;
            pod_topology_spread::score_into(&st, feasible, topo, raw_opt);
            pod_topology_spread::add_normalized(raw_opt, w.pod_topology_spread, totals);
        }
        if w.inter_pod_affinity > 0
            && let Some(st) = inter_pod_affinity::pre_score(
                pod,
                p.hard_pod_affinity_weight,
                view.nodes,
                view.order,
                view.pods,
                topo,
            )
        {
            raw.clear();
            raw.extend(
                feasible
                    .iter()
                    .map(|&id| inter_pod_affinity::score(&st, id)),
            );
            inter_pod_affinity::normalize(raw);
            add_weighted(totals, raw, w.inter_pod_affinity);
        }
    }

    /// Scores the feasible nodes with every enabled score plugin, normalises per plugin and
    /// returns the weighted totals.
    fn score(
        &self,
        pod: &PodSpec,
        view: &ClusterView,
        topo: &mut TopologyIndex,
        feasible: &[NodeId],
        trace: Option<&mut CycleTrace>,
    ) -> Vec<i64> {
        let p = &self.profile;
        let w = &p.weights;
        let n = feasible.len();
        let spread = if w.pod_topology_spread > 0 {
            pod_topology_spread::pre_score(
                pod,
                &p.spread_defaulting,
                view.nodes,
                view.order,
                feasible,
                view.pods,
                topo,
            )
        } else {
            None
        };
        let affinity = if w.inter_pod_affinity > 0 {
            inter_pod_affinity::pre_score(
                pod,
                p.hard_pod_affinity_weight,
                view.nodes,
                view.order,
                view.pods,
                topo,
            )
        } else {
            None
        };
        // One pass over the feasible nodes computes every plugin's raw score, so each node's
        // data is read once (the nodes do not all fit in cache at 1,000+ nodes).
        let mut taint_raw = Vec::with_capacity(if w.taint_toleration > 0 { n } else { 0 });
        let mut affinity_raw = Vec::with_capacity(if w.node_affinity > 0 { n } else { 0 });
        // Spread scores come from their own pass, which looks each constraint's vectors up once.
        let mut spread_raw: Vec<Option<i64>> = Vec::new();
        if let Some(st) = &spread {
            pod_topology_spread::score_into(st, feasible, topo, &mut spread_raw);
        }
        let mut pod_aff_raw = Vec::with_capacity(if affinity.is_some() { n } else { 0 });
        let mut fit_raw = Vec::with_capacity(if w.node_resources_fit > 0 { n } else { 0 });
        let mut balanced_raw = Vec::with_capacity(if w.balanced_allocation > 0 { n } else { 0 });
        let has_preferred = !pod.constraints.node_affinity.preferred.is_empty();
        for &id in feasible {
            let node = &view.nodes[id.0 as usize];
            if w.taint_toleration > 0 {
                taint_raw.push(if node.taints.is_empty() {
                    0
                } else {
                    taint_toleration::score(pod, node)
                });
            }
            if w.node_affinity > 0 {
                affinity_raw.push(if has_preferred {
                    node_affinity::score(pod, node)
                } else {
                    0
                });
            }
            if let Some(st) = &affinity {
                pod_aff_raw.push(inter_pod_affinity::score(st, id));
            }
            if w.node_resources_fit > 0 {
                fit_raw.push(node_resources_fit::score(pod, node, &p.fit));
            }
            if w.balanced_allocation > 0 {
                balanced_raw.push(balanced_allocation::score(pod, node, &p.balanced_resources));
            }
        }
        let mut per_plugin: Vec<(&'static str, i64, Vec<i64>, Vec<i64>)> = Vec::new();
        if w.taint_toleration > 0 {
            let mut norm = taint_raw.clone();
            taint_toleration::normalize(&mut norm);
            per_plugin.push(("TaintToleration", w.taint_toleration, taint_raw, norm));
        }
        if w.node_affinity > 0 {
            let mut norm = affinity_raw.clone();
            node_affinity::normalize(&mut norm);
            per_plugin.push(("NodeAffinity", w.node_affinity, affinity_raw, norm));
        }
        if spread.is_some() {
            let norm = pod_topology_spread::normalize(&spread_raw);
            let raw = spread_raw.iter().map(|s| s.unwrap_or(0)).collect();
            per_plugin.push(("PodTopologySpread", w.pod_topology_spread, raw, norm));
        }
        if affinity.is_some() {
            let mut norm = pod_aff_raw.clone();
            inter_pod_affinity::normalize(&mut norm);
            per_plugin.push(("InterPodAffinity", w.inter_pod_affinity, pod_aff_raw, norm));
        }
        if w.node_resources_fit > 0 {
            per_plugin.push((
                "NodeResourcesFit",
                w.node_resources_fit,
                fit_raw.clone(),
                fit_raw,
            ));
        }
        if w.balanced_allocation > 0 {
            per_plugin.push((
                "NodeResourcesBalancedAllocation",
                w.balanced_allocation,
                balanced_raw.clone(),
                balanced_raw,
            ));
        }
        let mut totals = vec![0i64; n];
        for (_, weight, _, norm) in &per_plugin {
            for (t, s) in totals.iter_mut().zip(norm) {
                *t += s * weight;
            }
        }
        if let Some(t) = trace {
            for (i, &id) in feasible.iter().enumerate() {
                let scores = per_plugin
                    .iter()
                    .map(|(name, weight, raw, norm)| PluginScore {
                        plugin: name,
                        raw: raw[i],
                        normalized: norm[i],
                        weight: *weight,
                        weighted: norm[i] * weight,
                    })
                    .collect();
                t.nodes.push((
                    id,
                    NodeVerdict::Scored {
                        scores,
                        total: totals[i],
                    },
                ));
            }
        }
        totals
    }

    /// Filters every node for `pod` without scoring, to say why it cannot be placed (the
    /// pending reason written at the end of a run).
    pub fn explain_unschedulable(
        &self,
        pod: &PodSpec,
        view: &ClusterView,
        topo: &mut TopologyIndex,
    ) -> Unschedulable {
        let state = self.pre_filter(pod, view, topo);
        let mut u = Unschedulable {
            nodes: view.order.len(),
            ..Default::default()
        };
        for &id in view.order {
            let node = &view.nodes[id.0 as usize];
            if let Err(f) = filter_node(&self.profile, &state, pod, id, node) {
                for r in f.reasons(node) {
                    *u.reasons.entry(r).or_default() += 1;
                }
            }
        }
        u
    }

    /// True if `pod` passes every filter on node `id` right now (for queueing hints).
    pub fn fits_on(
        &self,
        pod: &PodSpec,
        view: &ClusterView,
        topo: &mut TopologyIndex,
        id: NodeId,
    ) -> bool {
        let state = self.pre_filter(pod, view, topo);
        filter_node(&self.profile, &state, pod, id, &view.nodes[id.0 as usize]).is_ok()
    }
}

/// selectHost: the highest total wins; ties are broken uniformly by reservoir sampling (the
/// k-th node tying the best so far replaces it with probability 1/k), one random draw per tie,
/// as upstream does.
#[derive(Default)]
struct Reservoir {
    best: Option<(i64, NodeId)>,
    ties: u32,
}

impl Reservoir {
    /// Offers the next node in evaluation order with its total.
    #[inline(always)]
    fn offer(&mut self, id: NodeId, s: i64, rng: &mut SimRng) {
        match self.best {
            Some((bs, _)) if s < bs => {}
            Some((bs, _)) if s == bs => {
                self.ties += 1;
                if rng.random_range(0..self.ties + 1) == 0 {
                    self.best = Some((s, id));
                }
            }
            _ => {
                self.best = Some((s, id));
                self.ties = 0;
            }
        }
    }

    /// The chosen node, if any was offered.
    fn best(&self) -> Option<NodeId> {
        self.best.map(|(_, id)| id)
    }

    /// The best total offered so far (`i64::MIN` before any).
    #[inline(always)]
    fn best_score(&self) -> i64 {
        self.best.map_or(i64::MIN, |(s, _)| s)
    }
}

/// The node-local filters of a profile for one pod (NodeUnschedulable, TaintToleration,
/// NodeAffinity, NodeResourcesFit), verdict only, with everything that does not depend on the
/// node worked out once: what [`filter_node`] with no pod-dependent state says, for the memoised
/// cycles and for callers that try one pod on many nodes (the Cluster Autoscaler's scale-up
/// and scale-down simulations).
pub struct NodeLocalFilters<'a> {
    pod: &'a PodSpec,
    /// NodeUnschedulable is on and the pod does not tolerate the cordon taint.
    cordon_blocks: bool,
    /// TaintToleration's filter is on.
    taints: bool,
    /// NodeAffinity is on and the pod has a node selector or required node affinity.
    affinity: bool,
    /// NodeResourcesFit's filter is on.
    fit: bool,
    requests: Resources,
    ephemeral_mib: u64,
}

impl<'a> NodeLocalFilters<'a> {
    /// The filters of `profile` for `pod`.
    pub fn new(profile: &Profile, pod: &'a PodSpec) -> NodeLocalFilters<'a> {
        let f = &profile.filters;
        NodeLocalFilters {
            pod,
            cordon_blocks: f.node_unschedulable && !node_unschedulable::tolerated(pod),
            taints: f.taint_toleration,
            affinity: f.node_affinity
                && !(pod.node_selector.is_empty()
                    && pod.constraints.node_affinity.required.is_empty()),
            fit: f.node_resources_fit,
            requests: pod.requests,
            ephemeral_mib: pod.ephemeral_mib,
        }
    }

    /// True when every node-local filter passes on `node`.
    #[inline(always)]
    pub fn passes(&self, node: &Node) -> bool {
        !((self.cordon_blocks && node.unschedulable)
            || (self.taints
                && !node.taints.is_empty()
                && taint_toleration::filter(self.pod, node).is_err())
            || (self.affinity && !node_affinity::matches(self.pod, node))
            || (self.fit && !node_resources_fit::fits(&self.requests, self.ephemeral_mib, node)))
    }
}

/// What a memoised verdict is computed from (a struct with an inlined method rather than a
/// closure, so the per-node work inlines into every walk): the node-local filters and the
/// scoring configuration, worked out once per cycle.
struct Judged<'a> {
    profile: &'a Profile,
    filters: NodeLocalFilters<'a>,
    defaults: DefaultScoring,
    /// Both resource scores use the default configuration with non-negative weights
    /// ([`Judged::default_score`] is then exactly [`base_score`]).
    default_scores: bool,
    /// Requests as scoring counts them ([`node_resources_fit::nonzero_requests`]).
    nonzero: (u64, u64),
    /// On a node with no cordon and no taints, only NodeResourcesFit can fail and the score is
    /// [`Judged::default_score`]: no node affinity to check, default scoring, fit filter on.
    plain: bool,
}

impl<'a> Judged<'a> {
    fn new(profile: &'a Profile, pod: &'a PodSpec) -> Judged<'a> {
        let defaults = profile.default_scoring();
        let w = &profile.weights;
        let filters = NodeLocalFilters::new(profile, pod);
        let default_scores = defaults.fit
            && defaults.balanced
            && w.node_resources_fit >= 0
            && w.balanced_allocation >= 0;
        Judged {
            profile,
            plain: default_scores && filters.fit && !filters.affinity,
            filters,
            defaults,
            default_scores,
            nonzero: node_resources_fit::nonzero_requests(pod),
        }
    }

    /// The node-local filters (the verdict only: a memoised cycle never lists failures), then
    /// the base score of a feasible node. The pod-dependent filters are off whenever the memo
    /// is used.
    #[inline(always)]
    fn judge(&self, node: &Node) -> Option<i64> {
        if self.plain && !node.unschedulable && node.taints.is_empty() {
            let f = &self.filters;
            return if node_resources_fit::fits(&f.requests, f.ephemeral_mib, node) {
                Some(self.default_score(node))
            } else {
                None
            };
        }
        if !self.filters.passes(node) {
            return None;
        }
        Some(if self.default_scores {
            self.default_score(node)
        } else {
            base_score(self.profile, self.defaults, self.filters.pod, node)
        })
    }

    /// [`base_score`] when both resource scores have their default configuration.
    #[inline(always)]
    fn default_score(&self, node: &Node) -> i64 {
        let w = &self.profile.weights;
        let r = &self.filters.requests;
        w.node_resources_fit
            * node_resources_fit::least_allocated_default(self.nonzero.0, self.nonzero.1, node)
            + w.balanced_allocation
                * balanced_allocation::score_default_of(r.cpu_m, r.memory_mib, node)
    }
}

/// Walks the rotation (`head`, then `tail`) through the node memo until `want` feasible nodes
/// were handed to `visit` with their base scores; returns how many nodes were processed.
#[inline(always)]
fn walk_memo(
    cache: &mut node_cache::NodeCache,
    nodes: &[Node],
    head: &[NodeId],
    tail: &[NodeId],
    want: usize,
    judged: &Judged,
    visit: impl FnMut(NodeId, i64),
) -> usize {
    use node_cache::FirstCycle;
    match cache.first_cycle() {
        FirstCycle::No => walk(nodes, head, tail, want, visit, |id, node| {
            cache.verdict(id, node, || judged.judge(node))
        }),
        FirstCycle::Record => walk(nodes, head, tail, want, visit, |id, node| {
            let v = judged.judge(node);
            cache.record(id, node, v);
            v
        }),
        FirstCycle::Skip => walk(nodes, head, tail, want, visit, |_, node| judged.judge(node)),
    }
}

/// The filter walk of a pod with pod-dependent filters (topology spread, inter-pod affinity),
/// with the node-local verdict memoised: a node counts towards `want` only when it passes
/// both. Other pods are asked first, so a node they rule out costs the node-local filters but
/// no score. Feasible nodes go to `found.0` with their base scores in `found.1`; pod-dependent
/// failures to `found.2`, and only the failures of nodes that pass the node-local filters
/// remain listed if no node is feasible (a node failing both fails node-locally, as in
/// [`filter_node`]; while a node is feasible the failures are not read, so the node-local
/// filters are not run on the failed nodes). Returns how many nodes were processed and whether
/// one failed node-locally. Kept out of `select` (not inlined), whose other walks are its hot
/// loop.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn walk_pod_dependent(
    cache: &mut node_cache::NodeCache,
    profile: &Profile,
    pod: &PodSpec,
    state: &CycleState,
    nodes: &[Node],
    parts: [&[NodeId]; 2],
    want: usize,
    found: (
        &mut Vec<NodeId>,
        &mut Vec<i64>,
        &mut Vec<(NodeId, FilterFailure)>,
    ),
) -> (usize, bool) {
    let (feasible, base, failures) = found;
    cache.prepare(pod, nodes.len());
    let judged = Judged::new(profile, pod);
    let first = cache.first_cycle();
    let (mut processed, mut local_failures) = (0, false);
    for part in parts {
        for &id in part {
            if feasible.len() >= want {
                return (processed, local_failures);
            }
            processed += 1;
            let node = &nodes[id.0 as usize];
            if let Err(f) = pod_dependent_filters(state, id) {
                failures.push((id, f));
                continue;
            }
            let verdict = match first {
                node_cache::FirstCycle::No => cache.verdict(id, node, || judged.judge(node)),
                node_cache::FirstCycle::Record => {
                    let v = judged.judge(node);
                    cache.record(id, node, v);
                    v
                }
                node_cache::FirstCycle::Skip => judged.judge(node),
            };
            match verdict {
                Some(s) => {
                    feasible.push(id);
                    base.push(s);
                }
                None => local_failures = true,
            }
        }
    }
    if feasible.is_empty() {
        let before = failures.len();
        failures.retain(|(id, _)| judged.filters.passes(&nodes[id.0 as usize]));
        local_failures |= failures.len() < before;
    }
    (processed, local_failures)
}

/// [`walk_memo`]'s loop with the verdict of each node from `verdict`.
#[inline(always)]
fn walk(
    nodes: &[Node],
    head: &[NodeId],
    tail: &[NodeId],
    want: usize,
    mut visit: impl FnMut(NodeId, i64),
    mut verdict: impl FnMut(NodeId, &Node) -> Option<i64>,
) -> usize {
    let mut processed = 0;
    let mut found = 0;
    // Two plain loops rather than a chained iterator (which tests both halves on every step).
    for part in [head, tail] {
        for &id in part {
            if found >= want {
                return processed;
            }
            processed += 1;
            let node = &nodes[id.0 as usize];
            if let Some(s) = verdict(id, node) {
                visit(id, s);
                found += 1;
            }
        }
    }
    processed
}

/// The weighted NodeResourcesFit + BalancedAllocation score of a feasible node: the part of a
/// node's total that depends only on the pod and the node (no normalisation: both are 0–100
/// already). `defaults` is [`Profile::default_scoring`].
#[inline(always)]
fn base_score(p: &Profile, defaults: DefaultScoring, pod: &PodSpec, node: &Node) -> i64 {
    let (wf, wb) = (p.weights.node_resources_fit, p.weights.balanced_allocation);
    let mut s = 0;
    if wf > 0 {
        s += wf
            * if defaults.fit {
                node_resources_fit::score_least_allocated_default(pod, node)
            } else {
                node_resources_fit::score(pod, node, &p.fit)
            };
    }
    if wb > 0 {
        s += wb
            * if defaults.balanced {
                balanced_allocation::score_default(pod, node)
            } else {
                balanced_allocation::score(pod, node, &p.balanced_resources)
            };
    }
    s
}

/// Adds one plugin's normalised scores, times its weight, to the running totals.
fn add_weighted(totals: &mut [i64], scores: &[i64], weight: i64) {
    for (t, s) in totals.iter_mut().zip(scores) {
        *t += s * weight;
    }
}

/// Orders Ready nodes as kube-scheduler's node tree lists them: one node from each zone in turn,
/// zones in the order they first appeared, nodes in each zone in the order they joined.
pub fn node_tree_order(nodes: &[Node], ready: &[NodeId]) -> Vec<NodeId> {
    let mut zones: Vec<(usize, Vec<NodeId>)> = Vec::new();
    for &id in ready {
        let z = nodes[id.0 as usize].zone;
        match zones.iter_mut().find(|(zz, _)| *zz == z) {
            Some((_, v)) => v.push(id),
            None => zones.push((z, vec![id])),
        }
    }
    let lists: Vec<&[NodeId]> = zones.iter().map(|(_, v)| &v[..]).collect();
    let mut out = Vec::with_capacity(ready.len());
    interleave_zones(&lists, &mut out);
    out
}

/// The Ready nodes of each zone, kept as nodes join and leave, from which the node tree order
/// is rebuilt without looking at every node's record again (a cluster of 2,000 nodes that
/// scales all day rebuilt it from the records thousands of times).
#[derive(Debug, Default)]
pub struct ZoneLists {
    /// Per zone index, its Ready nodes in ascending id (join) order.
    by_zone: Vec<Vec<NodeId>>,
}

impl ZoneLists {
    /// Node `id` of zone `zone` became Ready.
    pub fn join(&mut self, zone: usize, id: NodeId) {
        if self.by_zone.len() <= zone {
            self.by_zone.resize_with(zone + 1, Vec::new);
        }
        let list = &mut self.by_zone[zone];
        let at = list.partition_point(|&n| n < id);
        list.insert(at, id);
    }

    /// Node `id` of zone `zone` stopped being Ready.
    pub fn leave(&mut self, zone: usize, id: NodeId) {
        if let Some(list) = self.by_zone.get_mut(zone)
            && let Ok(at) = list.binary_search(&id)
        {
            list.remove(at);
        }
    }

    /// [`node_tree_order`] of the Ready nodes, into `out`: zones in the order of their first
    /// (lowest-id) node, which is the order in which they first appear in the id-ordered list.
    pub fn order_into(&self, out: &mut Vec<NodeId>) {
        let mut lists: Vec<&[NodeId]> = self
            .by_zone
            .iter()
            .filter(|l| !l.is_empty())
            .map(|l| &l[..])
            .collect();
        lists.sort_by_key(|l| l[0]);
        out.clear();
        interleave_zones(&lists, out);
    }
}

/// Appends one node of each list in turn (the i-th of every list that has one, then the
/// i+1-th), until every list is used up.
fn interleave_zones(lists: &[&[NodeId]], out: &mut Vec<NodeId>) {
    let longest = lists.iter().map(|l| l.len()).max().unwrap_or(0);
    out.reserve(lists.iter().map(|l| l.len()).sum());
    for i in 0..longest {
        for l in lists {
            if let Some(&id) = l.get(i) {
                out.push(id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::taints::{Taint, TaintEffect, Toleration};
    use node_resources_fit::{FitScoring, FitStrategy, ScoredResource};
    use proptest::prelude::*;

    fn taint(key: &str, effect: TaintEffect) -> Taint {
        Taint {
            key: key.into(),
            value: "true".into(),
            effect,
        }
    }

    fn exists(key: &str, effect: Option<TaintEffect>) -> Toleration {
        Toleration::exists(key, effect)
    }

    prop_compose! {
        fn arb_node()(
            alloc in (1000u64..8000, 1024u64..32_768, 0u32..3, 1u32..12),
            req in (0u64..9000, 0u64..34_000, 0u32..3, 0u32..12),
            extra in (0u64..500, 0u64..500),
            eph in (0u64..10_000, 0u64..12_000),
            unschedulable in any::<bool>(),
            taints in (any::<bool>(), any::<bool>(), any::<bool>()),
            tier in 0u8..3,
        ) -> Node {
            let (cpu_m, memory_mib, gpus, pods) = alloc;
            let mut n = Node::ready("n", 0, "z", Resources { cpu_m, memory_mib, gpus, pods });
            n.requested = Resources { cpu_m: req.0, memory_mib: req.1, gpus: req.2, pods: req.3 };
            n.nonzero_cpu_m = req.0 + extra.0;
            n.nonzero_memory_mib = req.1 + extra.1;
            (n.ephemeral_allocatable_mib, n.ephemeral_requested_mib) = eph;
            n.unschedulable = unschedulable;
            if taints.0 { n.taints.push(taint("gpu", TaintEffect::NoSchedule)); }
            if taints.1 { n.taints.push(taint("spot", TaintEffect::PreferNoSchedule)); }
            if taints.2 { n.taints.push(taint("batch", TaintEffect::NoExecute)); }
            if tier > 0 {
                n.labels.push(("tier".into(), if tier == 1 { "a" } else { "b" }.into()));
                n.labels.sort();
            }
            n
        }
    }

    prop_compose! {
        fn arb_pod()(
            req in (0u64..3000, 0u64..8000, 0u32..2),
            eph in prop_oneof![Just(0u64), 1u64..3000],
            tol in (any::<bool>(), any::<bool>(), any::<bool>()),
            selector in any::<bool>(),
        ) -> PodSpec {
            let mut p = PodSpec {
                requests: Resources::pod(req.0, req.1, req.2),
                ephemeral_mib: eph,
                ..Default::default()
            };
            let mut tolerations = Vec::new();
            if tol.0 { tolerations.push(exists("gpu", None)); }
            if tol.1 {
                tolerations.push(exists(
                    node_unschedulable::UNSCHEDULABLE_TAINT_KEY,
                    Some(TaintEffect::NoSchedule),
                ));
            }
            if tol.2 { tolerations.push(exists("batch", Some(TaintEffect::NoExecute))); }
            p.tolerations = tolerations.into();
            if selector { p.node_selector = vec![("tier".into(), "a".into())].into(); }
            p
        }
    }

    prop_compose! {
        fn arb_profile()(
            filters in (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()),
            weights in (0i64..101, 0i64..101),
            strategy in 0u8..4,
            gpu_balanced in any::<bool>(),
        ) -> Profile {
            let mut p = Profile::default();
            (p.filters.node_unschedulable, p.filters.taint_toleration) = (filters.0, filters.1);
            (p.filters.node_affinity, p.filters.node_resources_fit) = (filters.2, filters.3);
            (p.weights.node_resources_fit, p.weights.balanced_allocation) = weights;
            let both = vec![(ScoredResource::Cpu, 1), (ScoredResource::Memory, 1)];
            p.fit = match strategy {
                0 => FitScoring::default(),
                1 => FitScoring { strategy: FitStrategy::MostAllocated, resources: both },
                2 => FitScoring {
                    strategy: FitStrategy::LeastAllocated,
                    resources: vec![(ScoredResource::Cpu, 2), (ScoredResource::Memory, 1)],
                },
                _ => FitScoring {
                    strategy: FitStrategy::RequestedToCapacityRatio(vec![(0, 0), (100, 10)]),
                    resources: both,
                },
            };
            if gpu_balanced {
                p.balanced_resources.push(ScoredResource::Gpu);
            }
            p
        }
    }

    proptest! {
        /// The memo's hoisted judge says what the plain filters and base score say, for any
        /// profile, node and pod (the fused default formula included).
        #[test]
        fn hoisted_judge_matches_the_plain_filters_and_score(
            profile in arb_profile(),
            node in arb_node(),
            pod in arb_pod(),
        ) {
            let plain = filter_node(&profile, &CycleState::default(), &pod, NodeId(0), &node);
            prop_assert_eq!(NodeLocalFilters::new(&profile, &pod).passes(&node), plain.is_ok());
            let want = plain
                .ok()
                .map(|()| base_score(&profile, profile.default_scoring(), &pod, &node));
            prop_assert_eq!(Judged::new(&profile, &pod).judge(&node), want);
        }
    }

    proptest! {
        /// Zone lists kept through any sequence of nodes joining and leaving give the order
        /// node_tree_order builds from the node records and the id-ordered Ready list.
        #[test]
        fn zone_lists_give_the_node_tree_order(
            zones in proptest::collection::vec(0usize..4, 1..40),
            steps in proptest::collection::vec((0usize..40, proptest::bool::ANY), 0..120),
        ) {
            let nodes: Vec<Node> = zones
                .iter()
                .enumerate()
                .map(|(i, &z)| Node::ready(&format!("n{i}"), z, "z", Resources::default()))
                .collect();
            let mut lists = ZoneLists::default();
            let mut ready: Vec<NodeId> = Vec::new();
            let mut order = Vec::new();
            for (i, join) in steps {
                let i = i % nodes.len();
                let id = NodeId(i as u32);
                let pos = ready.partition_point(|&n| n < id);
                let listed = ready.get(pos) == Some(&id);
                if join && !listed {
                    ready.insert(pos, id);
                    lists.join(nodes[i].zone, id);
                } else if !join && listed {
                    ready.remove(pos);
                    lists.leave(nodes[i].zone, id);
                }
                lists.order_into(&mut order);
                prop_assert_eq!(&order, &node_tree_order(&nodes, &ready));
            }
        }
    }

    proptest! {
        /// A pod with pod-dependent filters (zone spread DoNotSchedule, hostname anti-affinity)
        /// gets the same verdict from the memoised cycle as from the explained one, which runs
        /// every filter on every node: the same node, or no node with the same "only other pods
        /// are in the way" answer. Several cycles in a row, so the memo is also read.
        #[test]
        fn memoised_pod_dependent_cycles_match_explained_ones(
            nodes_spec in proptest::collection::vec((0usize..3, 500u64..4000, any::<bool>()), 1..130),
            placed in proptest::collection::vec((0usize..130, 0usize..3), 0..200),
            spread in any::<bool>(),
            anti in any::<bool>(),
            cpu in prop_oneof![Just(100u64), 100u64..3000],
            seed in 0u64..1000,
            other_shape_first in any::<bool>(),
        ) {
            use crate::cluster::pod::{Pod, PodTable};
            use crate::workload::constraints::{
                LabelSelector, PodAffinity, PodAffinityTerm, PodConstraints,
                TopologySpreadConstraint, WhenUnsatisfiable,
            };
            use std::sync::Arc;
            const ZONES: [&str; 3] = ["a", "b", "c"];
            let app = |a: usize| vec![("app".to_string(), format!("app-{a}"))];
            let mut nodes = Vec::new();
            let mut topo = TopologyIndex::default();
            for (i, &(z, cpu_m, cordoned)) in nodes_spec.iter().enumerate() {
                let alloc = Resources { cpu_m, memory_mib: 16_384, gpus: 0, pods: 110 };
                let mut n = Node::ready(&format!("n{i}"), z, ZONES[z], alloc);
                n.unschedulable = cordoned && i % 4 == 0;
                nodes.push(n);
                topo.add_node(NodeId(i as u32));
            }
            let mut pods = PodTable::default();
            for (k, &(n, a)) in placed.iter().enumerate() {
                let n = n % nodes.len();
                let spec = PodSpec {
                    name: format!("p{k}").into(),
                    namespace: "default".into(),
                    labels: app(a).into(),
                    requests: Resources::pod(200, 256, 0),
                    ..Default::default()
                };
                let key = pods.insert(Pod::new(spec.clone(), 0));
                nodes[n].add_requests(spec.requests, 0);
                nodes[n].pods.push(key);
                topo.bind(&spec, NodeId(n as u32));
            }
            let sel = LabelSelector { match_labels: app(0), match_expressions: vec![] };
            let mut constraints = PodConstraints::default();
            if spread || !anti {
                constraints.topology_spread = vec![TopologySpreadConstraint {
                    max_skew: 1,
                    topology_key: pod_topology_spread::ZONE.into(),
                    when_unsatisfiable: WhenUnsatisfiable::DoNotSchedule,
                    selector: sel.clone(),
                    min_domains: None,
                }];
            }
            if anti {
                constraints.pod_anti_affinity = PodAffinity {
                    required: vec![PodAffinityTerm {
                        selector: sel,
                        namespaces: vec![],
                        topology_key: pod_topology_spread::HOSTNAME.into(),
                    }],
                    preferred: vec![],
                };
            }
            let pod = PodSpec {
                name: "new".into(),
                namespace: "default".into(),
                labels: app(0).into(),
                requests: Resources::pod(cpu, 512, 0),
                constraints: Arc::new(constraints),
                ..Default::default()
            };
            let ready: Vec<NodeId> = (0..nodes.len() as u32).map(NodeId).collect();
            let order = node_tree_order(&nodes, &ready);
            let view = ClusterView { nodes: &nodes, order: &order, pods: &pods };
            let mut memoised = Scheduler::new(Profile::default(), crate::sim::rng::stream(seed, "s"));
            let mut explained = Scheduler::new(Profile::default(), crate::sim::rng::stream(seed, "s"));
            // Two cycles of another shape first make the pod's first cycle record its memo
            // (FirstCycle::Record); without them it only computes (Skip). Then it looks up.
            let other = PodSpec { requests: Resources::pod(cpu + 1, 512, 0), ..pod.clone() };
            let first: &[&PodSpec] = if other_shape_first { &[&other, &other] } else { &[] };
            for p in first.iter().copied().chain([&pod; 3]) {
                let fast = memoised.schedule(p, &view, &mut topo, None);
                let mut trace = CycleTrace::default();
                let slow = explained.schedule(p, &view, &mut topo, Some(&mut trace));
                match (fast, slow) {
                    (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
                    (Err(a), Err(b)) => {
                        prop_assert_eq!(a.nodes, b.nodes);
                        prop_assert_eq!(a.only_pod_dependent, b.only_pod_dependent);
                    }
                    (a, b) => prop_assert!(false, "memoised {:?}, explained {:?}", a, b),
                }
            }
        }
    }

    proptest! {
        /// Cycles of a scheduler told of every change (the engine's) choose what the explained
        /// path, which scores each plugin on every feasible node, chooses: nodes with hard and
        /// PreferNoSchedule taints and tier labels, pods with tolerations and a nodeSelector,
        /// ReplicaSet pods scored by the default spread over the nodes their selector allows.
        #[test]
        fn tracked_cycles_match_explained_ones(
            nodes in proptest::collection::vec(arb_node(), 1..24),
            pods in proptest::collection::vec((arb_pod(), any::<bool>()), 1..12),
            seed in 0u64..1000,
        ) {
            let mut nodes = nodes;
            for (i, n) in nodes.iter_mut().enumerate() {
                n.name = format!("n{i}");
                n.zone = i % 3;
                n.labels.retain(|(k, _)| k != pod_topology_spread::HOSTNAME && k != pod_topology_spread::ZONE);
                n.labels.push((pod_topology_spread::HOSTNAME.into(), format!("n{i}")));
                n.labels.push((pod_topology_spread::ZONE.into(), ["a", "b", "c"][i % 3].into()));
                n.labels.sort();
            }
            let mut topo = TopologyIndex::default();
            for i in 0..nodes.len() {
                topo.add_node(NodeId(i as u32));
            }
            let ready: Vec<NodeId> = (0..nodes.len() as u32).map(NodeId).collect();
            let order = node_tree_order(&nodes, &ready);
            let pod_table = crate::cluster::pod::PodTable::default();
            let view = ClusterView { nodes: &nodes, order: &order, pods: &pod_table };
            let mut tracked = Scheduler::new(Profile::default(), crate::sim::rng::stream(seed, "s"));
            let mut explained = Scheduler::new(Profile::default(), crate::sim::rng::stream(seed, "s"));
            for (mut pod, replicated) in pods {
                if replicated {
                    pod.owner = crate::workload::OwnerKind::ReplicaSet;
                    pod.labels = vec![("app".to_string(), "web".to_string())].into();
                }
                tracked.note_changes(1, &[]);
                let fast = tracked.schedule(&pod, &view, &mut topo, None);
                let mut trace = CycleTrace::default();
                let slow = explained.schedule(&pod, &view, &mut topo, Some(&mut trace));
                match (fast, slow) {
                    (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
                    (Err(a), Err(b)) => prop_assert_eq!(a.nodes, b.nodes),
                    (a, b) => prop_assert!(false, "tracked {:?}, explained {:?}", a, b),
                }
            }
        }
    }

    /// Every node holds a pod the new pod's hostname anti-affinity rejects: only other pods
    /// are in the way, unless one node fails a node-local filter (here, one cordoned node,
    /// with or without such a pod), which no pod leaving would fix.
    #[test]
    fn one_node_local_failure_makes_a_pod_dependent_verdict_mixed() {
        use crate::cluster::pod::{Pod, PodTable};
        use crate::workload::PodConstraints;
        use crate::workload::constraints::{LabelSelector, PodAffinity, PodAffinityTerm};
        use std::sync::Arc;
        let web = || vec![("app".to_string(), "web".to_string())];
        for (cordoned, web_on_cordoned) in [(false, true), (true, true), (true, false)] {
            let mut nodes = Vec::new();
            let mut topo = TopologyIndex::default();
            let mut pods = PodTable::default();
            for i in 0..3 {
                let alloc = Resources {
                    cpu_m: 4000,
                    memory_mib: 16_384,
                    gpus: 0,
                    pods: 110,
                };
                let mut n = Node::ready(&format!("n{i}"), i, "z", alloc);
                n.unschedulable = cordoned && i == 1;
                let spec = PodSpec {
                    name: format!("web-{i}").into(),
                    namespace: "default".into(),
                    labels: if i == 1 && !web_on_cordoned {
                        vec![]
                    } else {
                        web()
                    }
                    .into(),
                    ..Default::default()
                };
                let key = pods.insert(Pod::new(spec.clone(), 0));
                n.pods.push(key);
                nodes.push(n);
                topo.add_node(NodeId(i as u32));
                topo.bind(&spec, NodeId(i as u32));
            }
            let pod = PodSpec {
                name: "new".into(),
                namespace: "default".into(),
                labels: web().into(),
                constraints: Arc::new(PodConstraints {
                    pod_anti_affinity: PodAffinity {
                        required: vec![PodAffinityTerm {
                            selector: LabelSelector {
                                match_labels: web(),
                                match_expressions: vec![],
                            },
                            namespaces: vec![],
                            topology_key: pod_topology_spread::HOSTNAME.into(),
                        }],
                        preferred: vec![],
                    },
                    ..Default::default()
                }),
                ..Default::default()
            };
            let order: Vec<NodeId> = (0..3).map(NodeId).collect();
            let view = ClusterView {
                nodes: &nodes,
                order: &order,
                pods: &pods,
            };
            let mut s = Scheduler::new(Profile::default(), crate::sim::rng::stream(1, "s"));
            let u = s.schedule(&pod, &view, &mut topo, None).unwrap_err();
            assert_eq!(
                u.only_pod_dependent, !cordoned,
                "cordoned: {cordoned}, web pod on it: {web_on_cordoned}"
            );
        }
    }

    #[test]
    fn feasible_nodes_to_find_follows_upstream() {
        assert_eq!(num_feasible_nodes_to_find(0, 50), 50);
        assert_eq!(num_feasible_nodes_to_find(0, 100), 100);
        // 50 - 1000/125 = 42% of 1000.
        assert_eq!(num_feasible_nodes_to_find(0, 1000), 420);
        // 50 - 5000/125 = 10% of 5000.
        assert_eq!(num_feasible_nodes_to_find(0, 5000), 500);
        // Floor of 5%: 50 - 6000/125 = 2 → 5% of 6000 = 300.
        assert_eq!(num_feasible_nodes_to_find(0, 6000), 300);
        // Never fewer than 100: 42% of 200 = 84 → 100.
        assert_eq!(num_feasible_nodes_to_find(0, 200), 100);
        assert_eq!(num_feasible_nodes_to_find(100, 5000), 5000);
        assert_eq!(num_feasible_nodes_to_find(10, 300), 100);
    }
}
