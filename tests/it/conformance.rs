//! Scheduler conformance: small hand-worked cases checked against kube-scheduler's default
//! profile (Kubernetes 1.30–1.32). Each case builds a tiny cluster, schedules one pod and checks
//! the chosen node, the exact `0/N nodes are available: …` text, or the per-plugin scores of the
//! cycle trace. Every expected value is worked out by hand in a comment from the upstream rules
//! written up in `docs/kube-scheduler-rules.md` ("§n" below refers to its sections).
//! The table in `docs/scheduler-conformance.md` lists every case with its source.
//!
//! Units: CPU in millicores, memory in MiB (upstream uses bytes; every formula here is a ratio, so
//! the integer results are the same). Unless a case says otherwise a node offers 4000m, 8192 MiB
//! and 110 pod slots.

use std::sync::Arc;

use eksim::cluster::node::{CapacityType, Node, NodeId, NodeState};
use eksim::cluster::pod::{Pod, PodPhase, PodTable};
use eksim::cluster::resources::Resources;
use eksim::cluster::taints::{Taint, TaintEffect, Toleration, TolerationOperator};
use eksim::scheduler::plugins::node_resources_fit::{FitStrategy, ScoredResource};
use eksim::scheduler::topology::TopologyIndex;
use eksim::scheduler::{
    ClusterView, CycleTrace, NodeVerdict, PluginScore, Profile, Scheduler, node_tree_order,
    num_feasible_nodes_to_find,
};
use eksim::sim::rng::stream;
use eksim::sim::time::{SimDuration, SimTime};
use eksim::workload::constraints::{
    LabelSelector, NodeSelectorTerm, PodAffinityTerm, PodConstraints, Requirement, SelectorOp,
    TopologySpreadConstraint, WhenUnsatisfiable,
};
use eksim::workload::{OwnerKind, PodSpec};

// ---------------------------------------------------------------------------------------------
// Fixture layer
// ---------------------------------------------------------------------------------------------

const ZONE: &str = "topology.kubernetes.io/zone";
const HOST: &str = "kubernetes.io/hostname";
const ZONES: [&str; 4] = ["zone-a", "zone-b", "zone-c", "zone-d"];

const TT: &str = "TaintToleration";
const NA: &str = "NodeAffinity";
const PTS: &str = "PodTopologySpread";
const IPA: &str = "InterPodAffinity";
const FIT: &str = "NodeResourcesFit";
const BA: &str = "NodeResourcesBalancedAllocation";

fn set_label(labels: &mut Vec<(String, String)>, k: &str, v: &str) {
    labels.retain(|(key, _)| key != k);
    labels.push((k.to_string(), v.to_string()));
    labels.sort();
}

/// A node to add to a [`Cluster`].
#[derive(Clone)]
struct NodeDef {
    name: String,
    zone: usize,
    cpu_m: u64,
    mem_mib: u64,
    pods: u32,
    gpus: u32,
    eph_mib: u64,
    labels: Vec<(String, String)>,
    taints: Vec<Taint>,
    cordoned: bool,
}

/// A 4000m / 8192 MiB / 110-pod node in zone `ZONES[zone]`, labelled with its zone and hostname.
fn node(name: &str, zone: usize) -> NodeDef {
    let mut labels = Vec::new();
    set_label(&mut labels, ZONE, ZONES[zone]);
    set_label(&mut labels, HOST, name);
    NodeDef {
        name: name.to_string(),
        zone,
        cpu_m: 4000,
        mem_mib: 8192,
        pods: 110,
        gpus: 0,
        eph_mib: 0,
        labels,
        taints: Vec::new(),
        cordoned: false,
    }
}

impl NodeDef {
    fn cpu(mut self, m: u64) -> Self {
        self.cpu_m = m;
        self
    }
    fn mem(mut self, mib: u64) -> Self {
        self.mem_mib = mib;
        self
    }
    fn max_pods(mut self, n: u32) -> Self {
        self.pods = n;
        self
    }
    fn gpus(mut self, n: u32) -> Self {
        self.gpus = n;
        self
    }
    fn eph(mut self, mib: u64) -> Self {
        self.eph_mib = mib;
        self
    }
    fn label(mut self, k: &str, v: &str) -> Self {
        set_label(&mut self.labels, k, v);
        self
    }
    fn unlabel(mut self, k: &str) -> Self {
        self.labels.retain(|(key, _)| key != k);
        self
    }
    fn taint(mut self, k: &str, v: &str, effect: TaintEffect) -> Self {
        self.taints.push(Taint {
            key: k.into(),
            value: v.into(),
            effect,
        });
        self
    }
    fn cordon(mut self) -> Self {
        self.cordoned = true;
        self
    }
}

/// A pod under construction.
#[derive(Clone)]
struct P(PodSpec);

/// A Bare pod in namespace `default` that requests nothing (one pod slot).
fn pod(name: &str) -> P {
    P(PodSpec {
        name: name.into(),
        namespace: "default".into(),
        requests: Resources::pod(0, 0, 0),
        ..Default::default()
    })
}

impl P {
    fn req(mut self, cpu_m: u64, mem_mib: u64) -> Self {
        self.0.requests.cpu_m = cpu_m;
        self.0.requests.memory_mib = mem_mib;
        self
    }
    fn gpus(mut self, n: u32) -> Self {
        self.0.requests.gpus = n;
        self
    }
    fn eph(mut self, mib: u64) -> Self {
        self.0.ephemeral_mib = mib;
        self
    }
    fn label(mut self, k: &str, v: &str) -> Self {
        let mut labels = self.0.labels.to_vec();
        set_label(&mut labels, k, v);
        self.0.labels = labels.into();
        self
    }
    fn ns(mut self, namespace: &str) -> Self {
        self.0.namespace = namespace.into();
        self
    }
    fn owner(mut self, o: OwnerKind) -> Self {
        self.0.owner = o;
        self
    }
    fn selector(mut self, k: &str, v: &str) -> Self {
        let mut selector = self.0.node_selector.to_vec();
        set_label(&mut selector, k, v);
        self.0.node_selector = selector.into();
        self
    }
    fn tolerate(mut self, t: Toleration) -> Self {
        let mut tolerations = self.0.tolerations.to_vec();
        tolerations.push(t);
        self.0.tolerations = tolerations.into();
        self
    }
    fn with(mut self, f: impl FnOnce(&mut PodConstraints)) -> Self {
        f(Arc::make_mut(&mut self.0.constraints));
        self
    }
}

/// A small running pod (100m / 128 MiB) with label `app=<app>`.
fn app(name: &str, app: &str) -> P {
    pod(name).label("app", app).req(100, 128)
}

fn sel(pairs: &[(&str, &str)]) -> LabelSelector {
    let mut match_labels = Vec::new();
    for (k, v) in pairs {
        set_label(&mut match_labels, k, v);
    }
    LabelSelector {
        match_labels,
        match_expressions: Vec::new(),
    }
}

fn req(key: &str, op: SelectorOp, values: &[&str]) -> Requirement {
    Requirement {
        key: key.into(),
        op,
        values: values.iter().map(|s| s.to_string()).collect(),
    }
}

fn nterm(reqs: Vec<Requirement>) -> NodeSelectorTerm {
    NodeSelectorTerm {
        match_expressions: reqs,
    }
}

fn pterm(key: &str, selector: LabelSelector) -> PodAffinityTerm {
    PodAffinityTerm {
        selector,
        namespaces: Vec::new(),
        topology_key: key.into(),
    }
}

fn spread(
    key: &str,
    max_skew: u32,
    when: WhenUnsatisfiable,
    selector: LabelSelector,
) -> TopologySpreadConstraint {
    TopologySpreadConstraint {
        max_skew,
        topology_key: key.into(),
        when_unsatisfiable: when,
        selector,
        min_domains: None,
    }
}

fn tol(key: &str, op: TolerationOperator, value: &str, effect: Option<TaintEffect>) -> Toleration {
    Toleration {
        key: key.into(),
        operator: op,
        value: value.into(),
        effect,
    }
}

/// Nodes, the pods bound to them and the topology index, as the engine keeps them.
struct Cluster {
    nodes: Vec<Node>,
    pods: PodTable,
    topo: TopologyIndex,
    seq: u64,
}

/// The outcome of one scheduling cycle.
struct Cycle {
    /// The chosen node's name, or the FailedScheduling message.
    result: Result<String, String>,
    trace: CycleTrace,
    names: Vec<String>,
}

impl Cluster {
    fn new(defs: Vec<NodeDef>) -> Cluster {
        let mut c = Cluster {
            nodes: Vec::new(),
            pods: PodTable::default(),
            topo: TopologyIndex::default(),
            seq: 0,
        };
        for d in defs {
            c.add(d);
        }
        c
    }

    fn add(&mut self, d: NodeDef) -> NodeId {
        let id = NodeId(self.nodes.len() as u32);
        self.nodes.push(Node {
            name: d.name,
            group: 0,
            instance_type: "m5.xlarge".into(),
            capacity_type: CapacityType::OnDemand,
            zone: d.zone,
            ami_version: "test".into(),
            launch: SimTime::ZERO,
            ready: Some(SimTime::ZERO),
            terminated: None,
            termination_reason: None,
            state: NodeState::Ready,
            allocatable: Resources {
                cpu_m: d.cpu_m,
                memory_mib: d.mem_mib,
                gpus: d.gpus,
                pods: d.pods,
            },
            requested: Resources::default(),
            price_per_hour: 0.0,
            labels: d.labels,
            taints: d.taints,
            unschedulable: d.cordoned,
            version: 0,
            draining: false,
            last_change: SimTime::ZERO,
            replaces: Vec::new(),
            pods: Vec::new(),
            ephemeral_allocatable_mib: d.eph_mib,
            ephemeral_requested_mib: 0,
            nonzero_cpu_m: 0,
            nonzero_memory_mib: 0,
        });
        self.topo.add_node(id);
        id
    }

    fn id(&self, name: &str) -> NodeId {
        let i = self
            .nodes
            .iter()
            .position(|n| n.name == name)
            .unwrap_or_else(|| panic!("no node {name}"));
        NodeId(i as u32)
    }

    /// Binds a running pod to a node, accounting it everywhere the engine does.
    fn place(&mut self, node_name: &str, p: P) {
        let id = self.id(node_name);
        let spec = p.0;
        self.seq += 1;
        let mut pod = Pod::new(spec.clone(), self.seq);
        pod.node = Some(id);
        pod.phase = PodPhase::Running;
        let key = self.pods.insert(pod);
        let n = &mut self.nodes[id.0 as usize];
        n.pods.push(key);
        n.add_requests(spec.requests, spec.ephemeral_mib);
        self.topo.bind(&spec, id);
    }

    /// Places `count` copies of `p` on a node.
    fn place_n(&mut self, node_name: &str, count: usize, p: &P) {
        for _ in 0..count {
            self.place(node_name, p.clone());
        }
    }

    fn order(&self) -> Vec<NodeId> {
        let all: Vec<NodeId> = (0..self.nodes.len() as u32).map(NodeId).collect();
        node_tree_order(&self.nodes, &all)
    }

    /// One cycle with a given scheduler (keeps its rotation and random stream).
    fn cycle(&mut self, sched: &mut Scheduler, p: &P) -> Cycle {
        let order = self.order();
        let view = ClusterView {
            nodes: &self.nodes,
            order: &order,
            pods: &self.pods,
        };
        let mut trace = CycleTrace::default();
        let result = sched.schedule(&p.0, &view, &mut self.topo, Some(&mut trace));
        let names: Vec<String> = self.nodes.iter().map(|n| n.name.clone()).collect();
        Cycle {
            result: result
                .map(|id| names[id.0 as usize].clone())
                .map_err(|u| u.message()),
            trace,
            names,
        }
    }

    /// One cycle with a fresh scheduler.
    fn run_with(&mut self, profile: Profile, seed: u64, p: &P) -> Cycle {
        let mut s = Scheduler::new(profile, stream(seed, "scheduler"));
        self.cycle(&mut s, p)
    }

    /// One cycle, default profile, seed 1.
    fn run(&mut self, p: &P) -> Cycle {
        self.run_with(Profile::default(), 1, p)
    }

    /// One cycle without a trace (the engine's hot path).
    fn run_untraced(&mut self, sched: &mut Scheduler, p: &P) -> Result<String, String> {
        let order = self.order();
        let view = ClusterView {
            nodes: &self.nodes,
            order: &order,
            pods: &self.pods,
        };
        sched
            .schedule(&p.0, &view, &mut self.topo, None)
            .map(|id| self.nodes[id.0 as usize].name.clone())
            .map_err(|u| u.message())
    }
}

impl Cycle {
    fn node(&self) -> &str {
        match &self.result {
            Ok(n) => n,
            Err(m) => panic!("expected a node, got: {m}"),
        }
    }

    fn message(&self) -> &str {
        match &self.result {
            Ok(n) => panic!("expected no node, got {n}"),
            Err(m) => m,
        }
    }

    fn verdict(&self, node: &str) -> &NodeVerdict {
        self.trace
            .nodes
            .iter()
            .find(|(id, _)| self.names[id.0 as usize] == node)
            .map(|(_, v)| v)
            .unwrap_or_else(|| panic!("{node} not in trace"))
    }

    fn scores(&self, node: &str) -> (&[PluginScore], i64) {
        match self.verdict(node) {
            NodeVerdict::Scored { scores, total } => (scores, *total),
            v => panic!("{node} was not scored: {v:?}"),
        }
    }

    fn plugin(&self, node: &str, plugin: &str) -> &PluginScore {
        self.scores(node)
            .0
            .iter()
            .find(|s| s.plugin == plugin)
            .unwrap_or_else(|| panic!("{plugin} did not score {node}"))
    }

    /// Normalised score of `plugin` on each of `nodes`.
    fn normalized(&self, plugin: &str, nodes: &[&str]) -> Vec<i64> {
        nodes
            .iter()
            .map(|n| self.plugin(n, plugin).normalized)
            .collect()
    }

    /// Raw score of `plugin` on each of `nodes`.
    fn raw(&self, plugin: &str, nodes: &[&str]) -> Vec<i64> {
        nodes.iter().map(|n| self.plugin(n, plugin).raw).collect()
    }

    fn has_plugin(&self, node: &str, plugin: &str) -> bool {
        self.scores(node).0.iter().any(|s| s.plugin == plugin)
    }

    fn total(&self, node: &str) -> i64 {
        self.scores(node).1
    }

    /// (plugin, reasons) if the node was filtered out.
    fn filtered(&self, node: &str) -> Option<(&'static str, Vec<String>)> {
        match self.verdict(node) {
            NodeVerdict::Filtered { plugin, reasons } => Some((plugin, reasons.clone())),
            _ => None,
        }
    }

    /// Names of the feasible (scored) nodes, sorted.
    fn feasible(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .trace
            .nodes
            .iter()
            .filter(|(_, v)| matches!(v, NodeVerdict::Scored { .. }))
            .map(|(id, _)| self.names[id.0 as usize].clone())
            .collect();
        v.sort();
        v
    }

    fn not_evaluated(&self) -> usize {
        self.trace
            .nodes
            .iter()
            .filter(|(_, v)| matches!(v, NodeVerdict::NotEvaluated))
            .count()
    }
}

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn web_spread(key: &str, skew: u32, when: WhenUnsatisfiable) -> TopologySpreadConstraint {
    spread(key, skew, when, sel(&[("app", "web")]))
}

const DNS: WhenUnsatisfiable = WhenUnsatisfiable::DoNotSchedule;
const SA: WhenUnsatisfiable = WhenUnsatisfiable::ScheduleAnyway;

// ---------------------------------------------------------------------------------------------
// NodeResourcesFit filter (§1.1, §1.2, §7.6)
// ---------------------------------------------------------------------------------------------

#[test]
fn fit_filter_insufficient_cpu_boundary() {
    // §1.2 step 3: reject iff podRequest.cpu > alloc.cpu − requested.cpu.
    // n1: 4000 − 3500 = 500 free < 1000 → "Insufficient cpu".
    // n2: 4000 − 3000 = 1000 free; 1000 > 1000 is false → fits (exactly full is allowed).
    let mut c = Cluster::new(vec![node("n1", 0), node("n2", 0)]);
    c.place("n1", pod("a").req(3500, 512));
    c.place("n2", pod("b").req(3000, 512));
    let r = c.run(&pod("p").req(1000, 1024));
    assert_eq!(r.node(), "n2");
    assert_eq!(r.filtered("n1"), Some((FIT, names(&["Insufficient cpu"]))));
}

#[test]
fn fit_filter_cpu_and_memory_reasons_from_one_node() {
    // §1.2: all failures of the node are collected, and §7.6 counts each reason separately.
    // 2000m > 1000m free and 2048 > 1024 MiB free → two parts from one node, sorted as strings.
    let mut c = Cluster::new(vec![node("n1", 0).cpu(1000).mem(1024)]);
    let r = c.run(&pod("p").req(2000, 2048));
    assert_eq!(
        r.message(),
        "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory."
    );
}

#[test]
fn fit_filter_too_many_pods() {
    // §1.2 step 1: len(pods) + 1 > allocatable.pods → "Too many pods". Both nodes hold 2 of 2.
    let mut c = Cluster::new(vec![node("n1", 0).max_pods(2), node("n2", 1).max_pods(2)]);
    for n in ["n1", "n2"] {
        c.place_n(n, 2, &pod("x").req(10, 10));
    }
    let r = c.run(&pod("p").req(100, 100));
    assert_eq!(r.message(), "0/2 nodes are available: 2 Too many pods.");
    // One node short of a slot AND of cpu reports both: "1 Insufficient cpu" < "1 Too many pods".
    let mut c = Cluster::new(vec![node("n1", 0).max_pods(1)]);
    c.place("n1", pod("x").req(3500, 10));
    assert_eq!(
        c.run(&pod("p").req(1000, 100)).message(),
        "0/1 nodes are available: 1 Insufficient cpu, 1 Too many pods."
    );
}

#[test]
fn fit_filter_gpu_and_ephemeral_storage_message() {
    // §1.2 steps 5 and 6. Pod: 1 nvidia.com/gpu and 4096 MiB ephemeral storage.
    // g1: 1 GPU, already used; 20480 MiB ephemeral free  → "Insufficient nvidia.com/gpu".
    // e1: 1 GPU free; 10240 − 8192 = 2048 MiB ephemeral   → "Insufficient ephemeral-storage".
    // §7.6 sort: "1 Insufficient e…" < "1 Insufficient n…".
    let mut c = Cluster::new(vec![
        node("g1", 0).gpus(1).eph(20480),
        node("e1", 0).gpus(1).eph(10240),
    ]);
    c.place("g1", pod("gpu-user").req(100, 100).gpus(1));
    c.place("e1", pod("disk-user").req(100, 100).eph(8192));
    let p = pod("p").req(500, 512).gpus(1).eph(4096);
    let r = c.run(&p);
    assert_eq!(
        r.message(),
        "0/2 nodes are available: 1 Insufficient ephemeral-storage, \
         1 Insufficient nvidia.com/gpu."
    );
}

#[test]
fn fit_filter_gpu_and_ephemeral_storage_fit() {
    // Same pod; g2 has 2 free GPUs and 20480 MiB ephemeral → the only feasible node.
    let mut c = Cluster::new(vec![
        node("g1", 0).gpus(1).eph(20480),
        node("e1", 0).gpus(1).eph(10240),
        node("g2", 1).gpus(2).eph(20480),
    ]);
    c.place("g1", pod("gpu-user").req(100, 100).gpus(1));
    c.place("e1", pod("disk-user").req(100, 100).eph(8192));
    let r = c.run(&pod("p").req(500, 512).gpus(1).eph(4096));
    assert_eq!(r.node(), "g2");
}

#[test]
fn fit_message_parts_sorted_as_strings() {
    // §7.6: parts are "<count> <reason>" sorted with sort.Strings, so "10 Insufficient memory"
    // comes before "2 Insufficient cpu" ('1' < '2'), although "cpu" < "memory".
    // 2 nodes with 500m (cpu short), 10 nodes with 1024 MiB (memory short); pod 1000m / 2048 MiB.
    let mut defs = Vec::new();
    for i in 0..2 {
        defs.push(node(&format!("c{i}"), 0).cpu(500));
    }
    for i in 0..10 {
        defs.push(node(&format!("m{i}"), 1).mem(1024));
    }
    let mut c = Cluster::new(defs);
    let r = c.run(&pod("p").req(1000, 2048));
    assert_eq!(
        r.message(),
        "0/12 nodes are available: 10 Insufficient memory, 2 Insufficient cpu."
    );
}

// ---------------------------------------------------------------------------------------------
// NodeResourcesFit scoring strategies (§1.3–§1.6)
// ---------------------------------------------------------------------------------------------

/// n1 holds 2000m / 4096 MiB, n2 1000m / 2048 MiB; the pod asks 1000m / 2048 MiB.
fn fuller_and_emptier() -> Cluster {
    let mut c = Cluster::new(vec![node("n1", 0), node("n2", 1)]);
    c.place("n1", pod("a").req(2000, 4096));
    c.place("n2", pod("b").req(1000, 2048));
    c
}

#[test]
fn least_allocated_prefers_emptier_node() {
    // §1.4 with the pod included (§1.3):
    // n1: cpu (4000−3000)·100/4000 = 25, mem (8192−6144)·100/8192 = 25 → 25.
    // n2: cpu (4000−2000)·100/4000 = 50, mem 50 → 50.
    // BalancedAllocation (§2): both 0.75/0.75 and 0.5/0.5 → 100. Taints: none → 100·3 each.
    let mut c = fuller_and_emptier();
    let r = c.run(&pod("p").req(1000, 2048));
    assert_eq!(r.raw(FIT, &["n1", "n2"]), vec![25, 50]);
    assert_eq!(r.node(), "n2");
}

#[test]
fn most_allocated_prefers_fuller_node() {
    // §1.5: n1 cpu 3000·100/4000 = 75, mem 6144·100/8192 = 75 → 75; n2 → 50. BA equal (100).
    let mut c = fuller_and_emptier();
    let mut profile = Profile::default();
    profile.fit.strategy = FitStrategy::MostAllocated;
    let r = c.run_with(profile, 1, &pod("p").req(1000, 2048));
    assert_eq!(r.raw(FIT, &["n1", "n2"]), vec![75, 50]);
    assert_eq!(r.node(), "n1");
}

#[test]
fn requested_to_capacity_ratio_bin_packing() {
    // §1.6, shape [{0,0},{100,10}] → scores ×10 → [{0,0},{100,100}].
    // n1: utilisation cpu 3000·100/4000 = 75 → 75, mem 75 → 75; round((75+75)/2) = 75.
    // n2: 50 and 50 → 50. n1 wins (BA equal).
    let mut c = fuller_and_emptier();
    let mut profile = Profile::default();
    profile.fit.strategy = FitStrategy::RequestedToCapacityRatio(vec![(0, 0), (100, 10)]);
    let r = c.run_with(profile, 1, &pod("p").req(1000, 2048));
    assert_eq!(r.raw(FIT, &["n1", "n2"]), vec![75, 50]);
    assert_eq!(r.node(), "n1");
}

#[test]
fn requested_to_capacity_ratio_drops_zero_scoring_resource() {
    // §1.6 quirk, shape [{0,10},{100,0}] → [{0,100},{100,0}].
    // n1 holds 3000m / 1024 MiB; pod 1000m / 1024 MiB → cpu 4000/4000: u = 100 → score 0 →
    //   cpu is DROPPED from the average; mem 2048/8192: u = 25 → 100 + (−100·25)/100 = 75.
    //   Result round(75/1) = 75 (not round(75/2) = 37).
    // n2 holds 1000m / 3072 MiB → cpu u = 50 → 50, mem 4096/8192 u = 50 → 50 → 50.
    // BalancedAllocation is disabled (weight 0) so the Fit score decides: 75 > 50 → n1.
    let mut c = Cluster::new(vec![node("n1", 0), node("n2", 1)]);
    c.place("n1", pod("a").req(3000, 1024));
    c.place("n2", pod("b").req(1000, 3072));
    let mut profile = Profile::default();
    profile.fit.strategy = FitStrategy::RequestedToCapacityRatio(vec![(0, 10), (100, 0)]);
    profile.weights.balanced_allocation = 0;
    let r = c.run_with(profile, 1, &pod("p").req(1000, 1024));
    assert_eq!(r.raw(FIT, &["n1", "n2"]), vec![75, 50]);
    assert!(!r.has_plugin("n1", BA));
    assert_eq!(r.node(), "n1");
}

#[test]
fn nonzero_defaults_for_pod_without_requests() {
    // §1.3 / §1.4 example 3: a pod with no requests counts as 100m / 200 MiB for Fit scoring.
    // n1: empty 2000m / 4096 MiB → cpu (2000−100)·100/2000 = 95, mem (4096−200)·100/4096 =
    //     389600/4096 = 95 → 95.
    // n2: same size holding one BestEffort pod (also counted 100m / 200 MiB):
    //     cpu (2000−200)·100/2000 = 90, mem (4096−400)·100/4096 = 90 → 90.
    // BalancedAllocation uses actual requests (§2): all zero → fractions 0,0 → 100 on both.
    // Without the defaults both nodes would score 100 and tie; with them n1 wins.
    let mut c = Cluster::new(vec![
        node("n1", 0).cpu(2000).mem(4096),
        node("n2", 1).cpu(2000).mem(4096),
    ]);
    c.place("n2", pod("besteffort"));
    let r = c.run(&pod("p"));
    assert_eq!(r.raw(FIT, &["n1", "n2"]), vec![95, 90]);
    assert_eq!(r.raw(BA, &["n1", "n2"]), vec![100, 100]);
    assert_eq!(r.node(), "n1");
}

#[test]
fn fit_score_skips_unrequested_extended_resource() {
    // §1.3: "scalar/extended resource the pod does not request: skip". Fit resources
    // cpu:1, memory:1, nvidia.com/gpu:1; the pod requests 1000m / 2048 MiB and no GPU.
    // c1 (no GPUs): gpu skipped (alloc 0) → (75 + 75)/2 = 75.
    // g1 (4 GPUs):  gpu skipped (pod requests none) → (75 + 75)/2 = 75 as well.
    // So both nodes score 75. (eksim scores g1 (75+75+100)/3 = 83 and pulls CPU-only pods
    // onto GPU nodes.)
    let mut c = Cluster::new(vec![node("c1", 0), node("g1", 1).gpus(4)]);
    let mut profile = Profile::default();
    profile.fit.resources = vec![
        (ScoredResource::Cpu, 1),
        (ScoredResource::Memory, 1),
        (ScoredResource::Gpu, 1),
    ];
    let r = c.run_with(profile, 1, &pod("p").req(1000, 2048));
    assert_eq!(r.raw(FIT, &["c1", "g1"]), vec![75, 75]);
}

// ---------------------------------------------------------------------------------------------
// NodeResourcesBalancedAllocation (§2)
// ---------------------------------------------------------------------------------------------

#[test]
fn balanced_allocation_breaks_least_allocated_tie() {
    // Pod 500m / 1024 MiB.
    // n1 holds 1500m / 3072 → after: cpu 2000/4000, mem 4096/8192.
    //   LeastAllocated: 50, 50 → 50. Balanced: |0.5 − 0.5|/2 = 0 → 100.
    // n2 holds 500m / 5120 → after: cpu 1000/4000, mem 6144/8192.
    //   LeastAllocated: 75, 25 → 50 (a tie with n1). Balanced: |0.25 − 0.75|/2 = 0.25 → 75.
    // Totals: n1 300 + 50 + 100 = 450; n2 300 + 50 + 75 = 425 → n1.
    let mut c = Cluster::new(vec![node("n1", 0), node("n2", 1)]);
    c.place("n1", pod("a").req(1500, 3072));
    c.place("n2", pod("b").req(500, 5120));
    let r = c.run(&pod("p").req(500, 1024));
    assert_eq!(r.raw(FIT, &["n1", "n2"]), vec![50, 50]);
    assert_eq!(r.raw(BA, &["n1", "n2"]), vec![100, 75]);
    assert_eq!((r.total("n1"), r.total("n2")), (450, 425));
    assert_eq!(r.node(), "n1");
}

// ---------------------------------------------------------------------------------------------
// TaintToleration (§3)
// ---------------------------------------------------------------------------------------------

#[test]
fn taint_no_schedule_message_prints_key_and_value() {
    // §3 filter: reason "node(s) had untolerated taint {<key>: <value>}"; an empty value prints
    // as "{key: }". NoExecute counts as a hard taint too.
    let mut c = Cluster::new(vec![
        node("n1", 0).taint("dedicated", "gpu", TaintEffect::NoSchedule),
        node("n2", 1).taint("node.kubernetes.io/not-ready", "", TaintEffect::NoExecute),
    ]);
    let r = c.run(&pod("p").req(100, 100));
    assert_eq!(
        r.message(),
        "0/2 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, \
         1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }."
    );
}

#[test]
fn taint_first_untolerated_hard_taint_is_reported() {
    // §3: the FIRST taint in node order that is NoSchedule/NoExecute and not tolerated.
    // soft (PreferNoSchedule) is skipped, b is tolerated, so c is reported.
    let mut c = Cluster::new(vec![
        node("n1", 0)
            .taint("soft", "1", TaintEffect::PreferNoSchedule)
            .taint("b", "2", TaintEffect::NoSchedule)
            .taint("c", "3", TaintEffect::NoExecute),
    ]);
    let p = pod("p").req(100, 100).tolerate(tol(
        "b",
        TolerationOperator::Equal,
        "2",
        Some(TaintEffect::NoSchedule),
    ));
    let r = c.run(&p);
    assert_eq!(
        r.message(),
        "0/1 nodes are available: 1 node(s) had untolerated taint {c: 3}."
    );
}

#[test]
fn toleration_equal_needs_value_and_effect() {
    // §3 ToleratesTaint: Equal requires key and value equal; a set effect must equal the taint's.
    let defs = vec![
        node("n1", 0).taint("team", "ml", TaintEffect::NoSchedule),
        node("n2", 1).taint("team", "web", TaintEffect::NoSchedule),
    ];
    // team=ml:NoSchedule tolerated only on n1 → n1.
    let mut c = Cluster::new(defs.clone());
    let p = pod("p").tolerate(tol(
        "team",
        TolerationOperator::Equal,
        "ml",
        Some(TaintEffect::NoSchedule),
    ));
    assert_eq!(c.run(&p).node(), "n1");
    // Empty effect matches every effect → n1 again.
    let p = pod("p").tolerate(tol("team", TolerationOperator::Equal, "ml", None));
    assert_eq!(c.run(&p).node(), "n1");
    // Effect NoExecute does not match the NoSchedule taint → nothing fits.
    let p = pod("p").tolerate(tol(
        "team",
        TolerationOperator::Equal,
        "ml",
        Some(TaintEffect::NoExecute),
    ));
    assert_eq!(
        c.run(&p).message(),
        "0/2 nodes are available: 1 node(s) had untolerated taint {team: ml}, \
         1 node(s) had untolerated taint {team: web}."
    );
}

#[test]
fn toleration_exists_ignores_value() {
    // §3: Exists ignores the value; an empty key with Exists matches every key.
    let mut c = Cluster::new(vec![
        node("n1", 0).taint("team", "ml", TaintEffect::NoSchedule),
        node("n2", 1).taint("gpu", "true", TaintEffect::NoExecute),
    ]);
    // {gpu Exists} → only n2's taint is tolerated → n2.
    let p = pod("p").tolerate(tol("gpu", TolerationOperator::Exists, "", None));
    assert_eq!(c.run(&p).node(), "n2");
    // {"" Exists, effect NoSchedule} → tolerates n1's taint, not n2's NoExecute → n1.
    let p = pod("p").tolerate(tol(
        "",
        TolerationOperator::Exists,
        "",
        Some(TaintEffect::NoSchedule),
    ));
    assert_eq!(c.run(&p).node(), "n1");
    // {"" Exists} → tolerates everything → both feasible.
    let p = pod("p").tolerate(tol("", TolerationOperator::Exists, "", None));
    assert_eq!(c.run(&p).feasible(), names(&["n1", "n2"]));
}

#[test]
fn prefer_no_schedule_steers_away() {
    // §3 score: raw = intolerable PreferNoSchedule taints: n1 1, n2 0. Reverse normalise, max 1:
    // n1 100 − 100·1/1 = 0, n2 100 − 0 = 100. ×3 → 0 / 300. Everything else equal → n2.
    let mut c = Cluster::new(vec![
        node("n1", 0).taint("soft", "x", TaintEffect::PreferNoSchedule),
        node("n2", 1),
    ]);
    let r = c.run(&pod("p").req(100, 100));
    assert_eq!(r.raw(TT, &["n1", "n2"]), vec![1, 0]);
    assert_eq!(r.normalized(TT, &["n1", "n2"]), vec![0, 100]);
    assert_eq!(r.node(), "n2");
    // A toleration for it (effect PreferNoSchedule) makes both raw 0 → m = 0 → all 100.
    let p = pod("p").req(100, 100).tolerate(tol(
        "soft",
        TolerationOperator::Exists,
        "",
        Some(TaintEffect::PreferNoSchedule),
    ));
    let r = c.run(&p);
    assert_eq!(r.normalized(TT, &["n1", "n2"]), vec![100, 100]);
}

#[test]
fn taint_score_reverse_normalization() {
    // §3 example: A/B/C with 0/1/2 intolerable PreferNoSchedule taints → m = 2:
    // A 100 − 0 = 100, B 100 − 100·1/2 = 50, C 100 − 100 = 0; ×3 → 300/150/0 → A.
    let mut c = Cluster::new(vec![
        node("A", 0),
        node("B", 1).taint("s1", "", TaintEffect::PreferNoSchedule),
        node("C", 2)
            .taint("s1", "", TaintEffect::PreferNoSchedule)
            .taint("s2", "", TaintEffect::PreferNoSchedule),
    ]);
    let r = c.run(&pod("p").req(100, 100));
    assert_eq!(r.normalized(TT, &["A", "B", "C"]), vec![100, 50, 0]);
    let weighted: Vec<i64> = ["A", "B", "C"]
        .iter()
        .map(|n| r.plugin(n, TT).weighted)
        .collect();
    assert_eq!(weighted, vec![300, 150, 0]);
    assert_eq!(r.node(), "A");
}

// ---------------------------------------------------------------------------------------------
// NodeAffinity (§4)
// ---------------------------------------------------------------------------------------------

#[test]
fn node_selector_filters() {
    // §4 filter: every nodeSelector key=value must equal a node label; reason
    // "node(s) didn't match Pod's node affinity/selector".
    let mut c = Cluster::new(vec![
        node("n1", 0).label("disktype", "ssd"),
        node("n2", 1).label("disktype", "hdd"),
        node("n3", 2),
    ]);
    assert_eq!(c.run(&pod("p").selector("disktype", "ssd")).node(), "n1");
    assert_eq!(
        c.run(&pod("p").selector("disktype", "nvme")).message(),
        "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector."
    );
}

#[test]
fn node_affinity_required_terms_ored() {
    // §4: terms are ORed, the expressions in a term ANDed; an empty term matches nothing.
    // T1 = {size In [large], arch In [amd64]} → n3 only (n1 is large but arm64);
    // T2 = {arch In [arm64]} → n1. n2 (small, amd64) matches neither.
    let mut c = Cluster::new(vec![
        node("n1", 0).label("size", "large").label("arch", "arm64"),
        node("n2", 1).label("size", "small").label("arch", "amd64"),
        node("n3", 2).label("size", "large").label("arch", "amd64"),
    ]);
    let p = pod("p").with(|k| {
        k.node_affinity.required = vec![
            nterm(vec![
                req("size", SelectorOp::In, &["large"]),
                req("arch", SelectorOp::In, &["amd64"]),
            ]),
            nterm(vec![req("arch", SelectorOp::In, &["arm64"])]),
        ]
    });
    let r = c.run(&p);
    assert_eq!(r.feasible(), names(&["n1", "n3"]));
    assert_eq!(
        r.filtered("n2"),
        Some((
            NA,
            names(&["node(s) didn't match Pod's node affinity/selector"])
        ))
    );
    let p = pod("p").with(|k| k.node_affinity.required = vec![nterm(vec![])]);
    assert_eq!(
        c.run(&p).message(),
        "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector."
    );
}

/// Nodes with `gen` = "5", "7", "x" and one without the label.
fn gen_cluster() -> Cluster {
    Cluster::new(vec![
        node("n5", 0).label("gen", "5"),
        node("n7", 1).label("gen", "7"),
        node("nx", 2).label("gen", "x"),
        node("nn", 3),
    ])
}

fn feasible_for(c: &mut Cluster, r: Requirement) -> Vec<String> {
    let p = pod("p").with(|k| k.node_affinity.required = vec![nterm(vec![r])]);
    c.run(&p).feasible()
}

#[test]
fn node_affinity_in_notin() {
    // §4 operators: In needs the label present with a listed value; NotIn is true when the label
    // is absent or its value is not listed.
    let mut c = gen_cluster();
    assert_eq!(
        feasible_for(&mut c, req("gen", SelectorOp::In, &["5", "7"])),
        names(&["n5", "n7"])
    );
    assert_eq!(
        feasible_for(&mut c, req("gen", SelectorOp::NotIn, &["5"])),
        names(&["n7", "nn", "nx"])
    );
}

#[test]
fn node_affinity_exists_doesnotexist() {
    // §4: Exists / DoesNotExist test presence only.
    let mut c = gen_cluster();
    assert_eq!(
        feasible_for(&mut c, req("gen", SelectorOp::Exists, &[])),
        names(&["n5", "n7", "nx"])
    );
    assert_eq!(
        feasible_for(&mut c, req("gen", SelectorOp::DoesNotExist, &[])),
        names(&["nn"])
    );
}

#[test]
fn node_affinity_gt_lt() {
    // §4: Gt/Lt need the label, parse both sides as base-10 int64 (failure → no match) and
    // compare strictly. "x" never matches; the unlabelled node never matches.
    let mut c = gen_cluster();
    assert_eq!(
        feasible_for(&mut c, req("gen", SelectorOp::Gt, &["5"])),
        names(&["n7"])
    );
    assert_eq!(
        feasible_for(&mut c, req("gen", SelectorOp::Lt, &["7"])),
        names(&["n5"])
    );
    assert_eq!(
        feasible_for(&mut c, req("gen", SelectorOp::Gt, &["4"])),
        names(&["n5", "n7"])
    );
    let p = pod("p").with(|k| {
        k.node_affinity.required = vec![nterm(vec![req("gen", SelectorOp::Lt, &["5.5"])])]
    });
    assert_eq!(
        c.run(&p).message(),
        "0/4 nodes are available: 4 node(s) didn't match Pod's node affinity/selector."
    );
}

#[test]
fn node_affinity_preferred_weights_normalized() {
    // §4 example: terms {w=80: zone=zone-a} and {w=20: type=m5}.
    // n1 (zone-a, m5) 100, n2 (zone-b, m5) 20, n3 (zone-b, c5) 0; max 100 → 100/20/0; ×2.
    let terms = |k: &mut PodConstraints| {
        k.node_affinity.preferred = vec![
            (80, nterm(vec![req(ZONE, SelectorOp::In, &["zone-a"])])),
            (20, nterm(vec![req("type", SelectorOp::In, &["m5"])])),
        ]
    };
    let mut c = Cluster::new(vec![
        node("n1", 0).label("type", "m5"),
        node("n2", 1).label("type", "m5"),
        node("n3", 1).label("type", "c5"),
    ]);
    let r = c.run(&pod("p").req(100, 100).with(terms));
    assert_eq!(r.raw(NA, &["n1", "n2", "n3"]), vec![100, 20, 0]);
    assert_eq!(r.normalized(NA, &["n1", "n2", "n3"]), vec![100, 20, 0]);
    assert_eq!(r.plugin("n1", NA).weighted, 200);
    assert_eq!(r.node(), "n1");
    // No node in zone-a: raw 20/20/0, max 20 → 100·20/20 = 100, 100, 0.
    let mut c = Cluster::new(vec![
        node("n1", 1).label("type", "m5"),
        node("n2", 2).label("type", "m5"),
        node("n3", 2).label("type", "c5"),
    ]);
    let r = c.run(&pod("p").req(100, 100).with(terms));
    assert_eq!(r.normalized(NA, &["n1", "n2", "n3"]), vec![100, 100, 0]);
}

// ---------------------------------------------------------------------------------------------
// PodTopologySpread (§5)
// ---------------------------------------------------------------------------------------------

const SPREAD_REASON: &str = "node(s) didn't match pod topology spread constraints";

/// One node per zone: za, zb, zc.
fn three_zones() -> Cluster {
    Cluster::new(vec![node("za", 0), node("zb", 1), node("zc", 2)])
}

#[test]
fn spread_zone_max_skew_with_self_match() {
    // §5.2 example: maxSkew 1 on zone, the pod matches its own selector (self = 1).
    // Counts a:2, b:1, c:0 → min 0: a 2+1−0 = 3 > 1 ✗, b 1+1−0 = 2 ✗, c 0+1−0 = 1 ✓ → zc.
    let p = pod("p")
        .label("app", "web")
        .req(100, 128)
        .with(|k| k.topology_spread = vec![web_spread(ZONE, 1, DNS)]);
    let mut c = three_zones();
    c.place_n("za", 2, &app("w", "web"));
    c.place_n("zb", 1, &app("w", "web"));
    let r = c.run(&p);
    assert_eq!(r.node(), "zc");
    assert_eq!(r.filtered("za"), Some((PTS, names(&[SPREAD_REASON]))));
    assert_eq!(r.filtered("zb"), Some((PTS, names(&[SPREAD_REASON]))));
    // Counts a:2, b:2, c:1 → min 1: c 1+1−1 = 1 ✓; a, b 2+1−1 = 2 ✗ → zc.
    let mut c = three_zones();
    c.place_n("za", 2, &app("w", "web"));
    c.place_n("zb", 2, &app("w", "web"));
    c.place_n("zc", 1, &app("w", "web"));
    let r = c.run(&p);
    assert_eq!(r.node(), "zc");
    assert!(r.filtered("za").is_some() && r.filtered("zb").is_some());
}

#[test]
fn spread_self_match_off_when_pod_does_not_match() {
    // §5.2: self = 1 only if the selector matches the INCOMING pod's labels.
    // Counts a:1, b:0, maxSkew 1. A pod labelled app=batch: a 1+0−0 = 1 ✓, b ✓ → both feasible.
    // A pod labelled app=web: a 1+1−0 = 2 ✗ → zb.
    let mut c = Cluster::new(vec![node("za", 0), node("zb", 1)]);
    c.place("za", app("w", "web"));
    let constraint = |k: &mut PodConstraints| k.topology_spread = vec![web_spread(ZONE, 1, DNS)];
    let other = pod("p").label("app", "batch").with(constraint);
    assert_eq!(c.run(&other).feasible(), names(&["za", "zb"]));
    let me = pod("p").label("app", "web").with(constraint);
    let r = c.run(&me);
    assert_eq!(r.node(), "zb");
    assert_eq!(r.filtered("za"), Some((PTS, names(&[SPREAD_REASON]))));
}

#[test]
fn spread_hostname() {
    // §5.2 on kubernetes.io/hostname (each node its own domain): counts n1:1, n2:1, n3:0 →
    // min 0; n1, n2: 1+1−0 = 2 > 1 ✗; n3: 1 ✓ → n3.
    let mut c = Cluster::new(vec![node("n1", 0), node("n2", 0), node("n3", 0)]);
    c.place("n1", app("w1", "web"));
    c.place("n2", app("w2", "web"));
    let p = pod("p")
        .label("app", "web")
        .with(|k| k.topology_spread = vec![web_spread(HOST, 1, DNS)]);
    let r = c.run(&p);
    assert_eq!(r.node(), "n3");
    assert_eq!(r.feasible(), names(&["n3"]));
}

#[test]
fn spread_min_domains_forces_min_zero() {
    // §5.2: minMatch = 0 when domains < minDomains. Counts a:1, b:1 (2 domains).
    // minDomains 3 → min 0 → both 1+1−0 = 2 > 1 → nothing fits.
    // minDomains 2 (or unset) → min 1 → both 1+1−1 = 1 ✓.
    let mut c = Cluster::new(vec![node("za", 0), node("zb", 1)]);
    c.place("za", app("w1", "web"));
    c.place("zb", app("w2", "web"));
    let with_min = |m: Option<u32>| {
        pod("p").label("app", "web").with(move |k| {
            let mut s = web_spread(ZONE, 1, DNS);
            s.min_domains = m;
            k.topology_spread = vec![s];
        })
    };
    assert_eq!(
        c.run(&with_min(Some(3))).message(),
        "0/2 nodes are available: 2 node(s) didn't match pod topology spread constraints."
    );
    assert_eq!(c.run(&with_min(Some(2))).feasible(), names(&["za", "zb"]));
    assert_eq!(c.run(&with_min(None)).feasible(), names(&["za", "zb"]));
}

#[test]
fn spread_missing_label_message() {
    // §5.2: a node without the constraint's key fails with
    // "node(s) didn't match pod topology spread constraints (missing required label)".
    let p = pod("p")
        .label("app", "web")
        .with(|k| k.topology_spread = vec![web_spread("rack", 1, DNS)]);
    let mut c = Cluster::new(vec![node("n1", 0), node("n2", 1), node("n3", 2)]);
    assert_eq!(
        c.run(&p).message(),
        "0/3 nodes are available: 3 node(s) didn't match pod topology spread constraints \
         (missing required label)."
    );
    // With a rack label on n1 only: n1 is the single domain (count 0) → n1.
    let mut c = Cluster::new(vec![
        node("n1", 0).label("rack", "r1"),
        node("n2", 1),
        node("n3", 2),
    ]);
    let r = c.run(&p);
    assert_eq!(r.node(), "n1");
    assert_eq!(
        r.filtered("n2").unwrap().1,
        names(&["node(s) didn't match pod topology spread constraints (missing required label)"])
    );
}

#[test]
fn spread_node_affinity_honor() {
    // §5.1 nodeAffinityPolicy Honor: only nodes matching the pod's nodeSelector count as
    // domains. za (pool=x, 1 web pod), zb (pool=x, 2), zc (pool=y, 0); pod selects pool=x.
    // Domains {a:1, b:2} → min 1: za 1+1−1 = 1 ✓, zb 2+1−1 = 2 ✗; zc fails NodeAffinity → za.
    // (If zc counted, min would be 0 and za would fail too: 1+1−0 = 2.)
    let mut c = Cluster::new(vec![
        node("za", 0).label("pool", "x"),
        node("zb", 1).label("pool", "x"),
        node("zc", 2).label("pool", "y"),
    ]);
    c.place("za", app("w1", "web"));
    c.place_n("zb", 2, &app("w", "web"));
    let p = pod("p")
        .label("app", "web")
        .selector("pool", "x")
        .with(|k| k.topology_spread = vec![web_spread(ZONE, 1, DNS)]);
    let r = c.run(&p);
    assert_eq!(r.node(), "za");
    assert_eq!(r.filtered("zb"), Some((PTS, names(&[SPREAD_REASON]))));
    assert_eq!(r.filtered("zc").unwrap().0, NA);
}

#[test]
fn spread_schedule_anyway_scores() {
    // §5.3 with the pod's own ScheduleAnyway constraint (no filter): zone maxSkew 1,
    // counts a:2, b:0. topoSize 2 → w = ln(4) = 1.386.
    // raw za = round(2·1.386 + 0) = round(2.77) = 3; zb = 0. max 3, min 0:
    // za 100·(3+0−3)/3 = 0; zb 100·(3+0−0)/3 = 100. ×2 → 0 / 200 → zb. za is scored, not filtered.
    let mut c = Cluster::new(vec![node("za", 0), node("zb", 1)]);
    c.place_n("za", 2, &app("w", "web"));
    let p = pod("p")
        .label("app", "web")
        .req(100, 128)
        .with(|k| k.topology_spread = vec![web_spread(ZONE, 1, SA)]);
    let r = c.run(&p);
    assert_eq!(r.raw(PTS, &["za", "zb"]), vec![3, 0]);
    assert_eq!(r.normalized(PTS, &["za", "zb"]), vec![0, 100]);
    assert_eq!(r.feasible(), names(&["za", "zb"]));
    assert_eq!(r.node(), "zb");
}

#[test]
fn spread_system_defaults_only_for_replicaset_pods() {
    // §5.1: a pod with no constraints gets the system defaults (hostname maxSkew 3, zone maxSkew
    // 5, ScheduleAnyway) only if its default selector is non-empty (ReplicaSet owner); a Bare or
    // Job pod gets no spreading score.
    // za: 3 web pods (100m/128 each). zb: one db pod 2000m / 4096. Pod app=web 500m / 512.
    // Fit (§1.4): za cpu 800 → 80, mem 896 → 89 → 84; zb cpu 2500 → 37, mem 4608 → 43 → 40.
    // BA (§2): za |0.2 − 0.109375|/2 → 95; zb |0.625 − 0.5625|/2 → 96.
    // Bare/Job: za 300+84+95 = 479, zb 300+40+96 = 436 → za.
    // ReplicaSet (§5.3, requireAll false): w_host = ln(2+2), w_zone = ln(2+2) = 1.386;
    //   za raw = 3·1.386+2 + 3·1.386+4 = 14.32 → 14; zb = 2 + 4 = 6.
    //   norm za 100·(14+6−14)/14 = 42, zb 100 → ×2 = 84 / 200 → za 563, zb 636 → zb.
    let mut c = Cluster::new(vec![node("za", 0), node("zb", 1)]);
    c.place_n("za", 3, &app("w", "web"));
    c.place("zb", pod("db").label("app", "db").req(2000, 4096));
    let base = pod("p").label("app", "web").req(500, 512);
    for owner in [OwnerKind::Bare, OwnerKind::Job] {
        let r = c.run(&base.clone().owner(owner));
        assert!(!r.has_plugin("za", PTS), "{owner:?} pod got a spread score");
        assert_eq!((r.total("za"), r.total("zb")), (479, 436));
        assert_eq!(r.node(), "za");
    }
    let r = c.run(&base.clone().owner(OwnerKind::ReplicaSet));
    assert_eq!(r.raw(PTS, &["za", "zb"]), vec![14, 6]);
    assert_eq!(r.normalized(PTS, &["za", "zb"]), vec![42, 100]);
    assert_eq!((r.total("za"), r.total("zb")), (563, 636));
    assert_eq!(r.node(), "zb");
}

#[test]
fn spread_worked_example_section_5_3() {
    // §5.3 example: 3 zones × 2 nodes, Deployment pod, system defaults. Matching pods
    // a1:2, b1:1. hostname w = ln 8 = 2.0794 (+2), zone w = ln 5 = 1.6094 (+4).
    // raw a1 13, a2 9, b1 10, b2 8, c1 6, c2 6; min 6, max 13 → 100·(19 − raw)/13:
    // a1 46, a2 76, b1 69, b2 84, c1 100, c2 100 (×2).
    let mut c = Cluster::new(vec![
        node("a1", 0),
        node("a2", 0),
        node("b1", 1),
        node("b2", 1),
        node("c1", 2),
        node("c2", 2),
    ]);
    c.place_n("a1", 2, &app("w", "web"));
    c.place("b1", app("w", "web"));
    let p = app("p", "web").owner(OwnerKind::ReplicaSet);
    let r = c.run(&p);
    let all = ["a1", "a2", "b1", "b2", "c1", "c2"];
    assert_eq!(r.raw(PTS, &all), vec![13, 9, 10, 8, 6, 6]);
    assert_eq!(r.normalized(PTS, &all), vec![46, 76, 69, 84, 100, 100]);
    let weighted: Vec<i64> = all.iter().map(|n| r.plugin(n, PTS).weighted).collect();
    assert_eq!(weighted, vec![92, 152, 138, 168, 200, 200]);
    assert!(["c1", "c2"].contains(&r.node()));
}

#[test]
fn spread_node_taints_policy_ignore() {
    // §5.1 nodeTaintsPolicy defaults to Ignore: a tainted node still counts as a domain.
    // za (tainted, 0 web pods), zb (1), zc (1) → domains a:0, b:1, c:1 → min 0:
    // zb, zc 1+1−0 = 2 > 1 ✗; za fails TaintToleration → nothing fits.
    let mut c = Cluster::new(vec![
        node("za", 0).taint("t", "v", TaintEffect::NoSchedule),
        node("zb", 1),
        node("zc", 2),
    ]);
    c.place("zb", app("w1", "web"));
    c.place("zc", app("w2", "web"));
    let p = pod("p")
        .label("app", "web")
        .with(|k| k.topology_spread = vec![web_spread(ZONE, 1, DNS)]);
    assert_eq!(
        c.run(&p).message(),
        "0/3 nodes are available: 1 node(s) had untolerated taint {t: v}, \
         2 node(s) didn't match pod topology spread constraints."
    );
}

#[test]
fn spread_counts_only_same_namespace() {
    // §5.1 counting: only pods in the incoming pod's namespace count.
    // za: 2 app=web pods in namespace "other"; zb: 1 in "default". Counts a:0, b:1 → min 0:
    // za 0+1−0 = 1 ✓, zb 1+1−0 = 2 ✗ → za. (Counting "other" would give a:2, min 1 → zb.)
    let mut c = Cluster::new(vec![node("za", 0), node("zb", 1)]);
    c.place_n("za", 2, &app("w", "web").ns("other"));
    c.place("zb", app("w", "web"));
    let p = pod("p")
        .label("app", "web")
        .with(|k| k.topology_spread = vec![web_spread(ZONE, 1, DNS)]);
    assert_eq!(c.run(&p).node(), "za");
}

#[test]
fn spread_nodes_missing_any_key_are_not_counted() {
    // §5.2 PreFilter: a node is counted only if it has ALL keys of ALL DoNotSchedule
    // constraints. Constraints: zone maxSkew 1, rack maxSkew 5.
    // za1 (zone-a, rack r1, 0 web), za2 (zone-a, NO rack, 3 web), zb (zone-b, rack r2, 1 web).
    // Zone counts skip za2 → a:0, b:1 → min 0: za1 0+1−0 = 1 ✓; zb 1+1−0 = 2 ✗;
    // za2 passes zone (a:0) then lacks rack → missing label. → za1.
    // (Counting za2 would give a:3, min 1 → za1 3+1−1 = 3 ✗ and zb ✓.)
    let mut c = Cluster::new(vec![
        node("za1", 0).label("rack", "r1"),
        node("za2", 0),
        node("zb", 1).label("rack", "r2"),
    ]);
    c.place_n("za2", 3, &app("w", "web"));
    c.place("zb", app("w", "web"));
    let p = pod("p")
        .label("app", "web")
        .with(|k| k.topology_spread = vec![web_spread(ZONE, 1, DNS), web_spread("rack", 5, DNS)]);
    let r = c.run(&p);
    assert_eq!(r.node(), "za1");
    assert_eq!(r.filtered("zb"), Some((PTS, names(&[SPREAD_REASON]))));
    assert_eq!(
        r.filtered("za2").unwrap().1,
        names(&["node(s) didn't match pod topology spread constraints (missing required label)"])
    );
}

#[test]
fn spread_schedule_anyway_ignores_nodes_missing_key() {
    // §5.3: with the pod's own constraints requireAllTopologies is true, so a feasible node
    // without the key is ignored and normalised to 0 (not treated as the emptiest).
    // ScheduleAnyway on rack, maxSkew 1: r1 (rack=a, 1 web), r2 (rack=b, 1 web), nr (no rack).
    // topoSize 2 → w = ln 4; r1, r2 raw round(1.386) = 1; min = max = 1 →
    // 100·(1+1−1)/1 = 100 each; nr → 0.
    let mut c = Cluster::new(vec![
        node("r1", 0).label("rack", "a"),
        node("r2", 1).label("rack", "b"),
        node("nr", 2),
    ]);
    c.place("r1", app("w", "web"));
    c.place("r2", app("w", "web"));
    let p = pod("p")
        .label("app", "web")
        .with(|k| k.topology_spread = vec![web_spread("rack", 1, SA)]);
    let r = c.run(&p);
    assert_eq!(r.normalized(PTS, &["r1", "r2", "nr"]), vec![100, 100, 0]);
}

#[test]
fn spread_system_defaults_keep_nodes_without_zone_label() {
    // §5.3: with the system defaults requireAllTopologies is false: a node without a zone label
    // is scored (zone constraint skipped for it; it adds the "" domain to topoSize).
    // za (zone-a, 2 web pods), nz (no zone label, empty). hostname w = ln(2+2), zone domains
    // {zone-a, ""} → w = ln 4 = 1.386.
    // za raw = 2·1.386+2 + 2·1.386+4 = 11.55 → 12; nz raw = 0+2 (no zone term) = 2.
    // max 12, min 2 → za 100·(14−12)/12 = 16; nz 100·(14−2)/12 = 100.
    let mut c = Cluster::new(vec![node("za", 0), node("nz", 1).unlabel(ZONE)]);
    c.place_n("za", 2, &app("w", "web"));
    let r = c.run(&app("p", "web").owner(OwnerKind::ReplicaSet));
    assert_eq!(r.raw(PTS, &["za", "nz"]), vec![12, 2]);
    assert_eq!(r.normalized(PTS, &["za", "nz"]), vec![16, 100]);
    assert_eq!(r.node(), "nz");
}

#[test]
fn spread_score_counts_pods_on_infeasible_nodes() {
    // §5.3: zone counts sum matching pods over ALL nodes passing the inclusion policies, not
    // only feasible ones. za1 (zone-a, empty), za2 (zone-a, tainted → infeasible, 3 web),
    // zb (zone-b, 1 web). ReplicaSet pod, system defaults.
    // Feasible za1, zb: hostname w = ln 4, zone domains {a, b} → w = ln 4 = 1.386;
    // zone counts a:3 (from za2), b:1.
    // za1 raw = 0+2 + 3·1.386+4 = 10.16 → 10; zb = 1.386+2 + 1.386+4 = 8.77 → 9.
    // max 10, min 9 → za1 100·(19−10)/10 = 90; zb 100.
    let mut c = Cluster::new(vec![
        node("za1", 0),
        node("za2", 0).taint("t", "v", TaintEffect::NoSchedule),
        node("zb", 1),
    ]);
    c.place_n("za2", 3, &app("w", "web"));
    c.place("zb", app("w", "web"));
    let r = c.run(&app("p", "web").owner(OwnerKind::ReplicaSet));
    assert_eq!(r.raw(PTS, &["za1", "zb"]), vec![10, 9]);
    assert_eq!(r.normalized(PTS, &["za1", "zb"]), vec![90, 100]);
}

// ---------------------------------------------------------------------------------------------
// InterPodAffinity (§6)
// ---------------------------------------------------------------------------------------------

const AFFINITY_REASON: &str = "node(s) didn't match pod affinity rules";

#[test]
fn pod_affinity_required_zone() {
    // §6.1 check 1: the node's zone must hold a pod matching the term. The cache pod runs on
    // za (zone-a); zb1/zb2 are in zone-b; "nolabel" lacks the zone key (fails outright) → za.
    let mut c = Cluster::new(vec![
        node("za", 0),
        node("zb1", 1),
        node("zb2", 1),
        node("nolabel", 2).unlabel(ZONE),
    ]);
    c.place("za", app("cache", "cache"));
    let p = pod("p")
        .label("app", "client")
        .with(|k| k.pod_affinity.required = vec![pterm(ZONE, sel(&[("app", "cache")]))]);
    let r = c.run(&p);
    assert_eq!(r.node(), "za");
    for n in ["zb1", "zb2", "nolabel"] {
        assert_eq!(r.filtered(n), Some((IPA, names(&[AFFINITY_REASON]))), "{n}");
    }
}

#[test]
fn pod_affinity_first_pod_of_group() {
    // §6.1: when no pod in the cluster matches the terms, a pod that matches its OWN terms
    // passes anyway (first pod of a self-affinity group); one that does not match them fails.
    let mut c = Cluster::new(vec![node("za", 0), node("zb", 1)]);
    let aff = |k: &mut PodConstraints| {
        k.pod_affinity.required = vec![pterm(ZONE, sel(&[("app", "cache")]))]
    };
    let first = pod("p").label("app", "cache").with(aff);
    assert_eq!(c.run(&first).feasible(), names(&["za", "zb"]));
    let other = pod("p").label("app", "web").with(aff);
    assert_eq!(
        c.run(&other).message(),
        "0/2 nodes are available: 2 node(s) didn't match pod affinity rules."
    );
}

#[test]
fn pod_affinity_term_namespaces() {
    // §6 terms: empty namespaces mean the pod's own namespace. The cache pod runs in "other",
    // so a "default" pod's term {app=cache} matches nothing (and the pod does not match its own
    // term) → every node fails. Listing namespaces ["other"] finds it in zone-a → za.
    let mut c = Cluster::new(vec![node("za", 0), node("zb", 1)]);
    c.place("za", app("cache", "cache").ns("other"));
    let own_ns = pod("p")
        .label("app", "client")
        .with(|k| k.pod_affinity.required = vec![pterm(ZONE, sel(&[("app", "cache")]))]);
    assert_eq!(
        c.run(&own_ns).message(),
        "0/2 nodes are available: 2 node(s) didn't match pod affinity rules."
    );
    let other_ns = pod("p").label("app", "client").with(|k| {
        let mut t = pterm(ZONE, sel(&[("app", "cache")]));
        t.namespaces = vec!["other".into()];
        k.pod_affinity.required = vec![t];
    });
    assert_eq!(c.run(&other_ns).node(), "za");
}

#[test]
fn pod_anti_affinity_required_hostname() {
    // §6.1 check 2: a pod matching the anti-affinity term in the node's domain rejects it.
    let anti = |k: &mut PodConstraints| {
        k.pod_anti_affinity.required = vec![pterm(HOST, sel(&[("app", "web")]))]
    };
    let p = pod("p").label("app", "web").with(anti);
    let mut c = Cluster::new(vec![node("n1", 0), node("n2", 1), node("n3", 2)]);
    c.place("n1", app("w1", "web"));
    c.place("n2", app("w2", "web"));
    assert_eq!(c.run(&p).node(), "n3");
    c.place("n3", app("w3", "web"));
    assert_eq!(
        c.run(&p).message(),
        "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules."
    );
}

#[test]
fn existing_pods_anti_affinity() {
    // §6.1 check 3: a running pod's required anti-affinity (app=web, zone) keeps app=web pods
    // out of its whole zone. db runs on n1 (zone-a); n2 is zone-a too; n3 is zone-b → n3.
    let db = pod("db")
        .label("app", "db")
        .req(100, 128)
        .with(|k| k.pod_anti_affinity.required = vec![pterm(ZONE, sel(&[("app", "web")]))]);
    let p = app("p", "web");
    let mut c = Cluster::new(vec![node("n1", 0), node("n2", 0), node("n3", 1)]);
    c.place("n1", db.clone());
    let r = c.run(&p);
    assert_eq!(r.node(), "n3");
    let reason = "node(s) didn't satisfy existing pods anti-affinity rules";
    assert_eq!(r.filtered("n2"), Some((IPA, names(&[reason]))));
    let mut c = Cluster::new(vec![node("n1", 0), node("n2", 0)]);
    c.place("n1", db);
    assert_eq!(
        c.run(&p).message(),
        "0/2 nodes are available: 2 node(s) didn't satisfy existing pods anti-affinity rules."
    );
}

#[test]
fn pod_affinity_preferred_scoring() {
    // §6.2 example: preferred affinity w=50 to app=cache on zone, preferred anti-affinity w=30
    // to app=web on hostname. n1 (zone-a) runs cache, n2 (zone-a) runs web, n3 (zone-b) empty.
    // topologyScore zone[a] = +50, hostname[n2] = −30 → raw 50 / 20 / 0 →
    // normalised 100 / int(100·20/50) = 40 / 0; ×2 → 200 / 80 / 0 → n1.
    let mut c = Cluster::new(vec![node("n1", 0), node("n2", 0), node("n3", 1)]);
    c.place("n1", app("cache", "cache"));
    c.place("n2", app("web", "web"));
    let p = app("p", "client").with(|k| {
        k.pod_affinity.preferred = vec![(50, pterm(ZONE, sel(&[("app", "cache")])))];
        k.pod_anti_affinity.preferred = vec![(30, pterm(HOST, sel(&[("app", "web")])))];
    });
    let r = c.run(&p);
    assert_eq!(r.raw(IPA, &["n1", "n2", "n3"]), vec![50, 20, 0]);
    assert_eq!(r.normalized(IPA, &["n1", "n2", "n3"]), vec![100, 40, 0]);
    assert_eq!(r.node(), "n1");
}

#[test]
fn inter_pod_affinity_min_max_normalization() {
    // §6.2 NormalizeScore: true min-max over the scored nodes (raw may be negative).
    // Preferred anti-affinity w=10 to app=web on hostname: n1 has 2 web pods, n2 1, n3 0.
    // raw −20 / −10 / 0; min −20, max 0, diff 20 → 0 / int(100·10/20) = 50 / 100 → n3.
    let mut c = Cluster::new(vec![node("n1", 0), node("n2", 1), node("n3", 2)]);
    c.place_n("n1", 2, &app("w", "web"));
    c.place("n2", app("w", "web"));
    let p = app("p", "client")
        .with(|k| k.pod_anti_affinity.preferred = vec![(10, pterm(HOST, sel(&[("app", "web")])))]);
    let r = c.run(&p);
    assert_eq!(r.raw(IPA, &["n1", "n2", "n3"]), vec![-20, -10, 0]);
    assert_eq!(r.normalized(IPA, &["n1", "n2", "n3"]), vec![0, 50, 100]);
    assert_eq!(r.node(), "n3");
}

#[test]
fn existing_pod_required_affinity_scores_with_hard_weight() {
    // §6.2: a running pod's REQUIRED affinity term that the incoming pod matches adds
    // hardPodAffinityWeight (default 1) to its domain. db on n1 (zone-a) requires app=web in
    // its zone → zone[a] += 1: raw n1 1, n2 (zone-a) 1, n3 (zone-b) 0 → 100 / 100 / 0.
    // With hardPodAffinityWeight 5 the raw scores are 5 / 5 / 0.
    let mut c = Cluster::new(vec![node("n1", 0), node("n2", 0), node("n3", 1)]);
    c.place(
        "n1",
        pod("db")
            .label("app", "db")
            .req(100, 128)
            .with(|k| k.pod_affinity.required = vec![pterm(ZONE, sel(&[("app", "web")]))]),
    );
    let p = app("p", "web");
    let r = c.run(&p);
    assert_eq!(r.raw(IPA, &["n1", "n2", "n3"]), vec![1, 1, 0]);
    assert_eq!(r.normalized(IPA, &["n1", "n2", "n3"]), vec![100, 100, 0]);
    let profile = Profile {
        hard_pod_affinity_weight: 5,
        ..Profile::default()
    };
    let r = c.run_with(profile, 1, &p);
    assert_eq!(r.raw(IPA, &["n1", "n2", "n3"]), vec![5, 5, 0]);
}

// ---------------------------------------------------------------------------------------------
// Framework (§7, §8)
// ---------------------------------------------------------------------------------------------

#[test]
fn default_weights_in_trace() {
    // §7.1/§7.2: total = Σ normalized × weight with TaintToleration 3, NodeAffinity 2,
    // PodTopologySpread 2, InterPodAffinity 2, NodeResourcesFit 1, BalancedAllocation 1.
    // n1 (zone-a): PreferNoSchedule taint, disk=ssd, empty. n2 (zone-b): one cache pod 100m/128.
    // Pod: ReplicaSet app=web 1000m / 2048, preferred node affinity {10: disk=ssd}, preferred
    // pod affinity {10: app=cache, zone}.
    // TT raw 1/0 → 0/100. NA raw 10/0 → 100/0. PTS (defaults, no web pods): raw 6/6 → 100/100.
    // IPA zone[b] = 10 → raw 0/10 → 0/100. Fit n1 (75+75)/2 = 75; n2 cpu 2900·100/4000 = 72,
    // mem 6016·100/8192 = 73 → 72. BA n1 100; n2 |0.275 − 0.265625|/2 → 99.
    // n1 = 0 + 200 + 200 + 0 + 75 + 100 = 575; n2 = 300 + 0 + 200 + 200 + 72 + 99 = 871 → n2.
    let mut c = Cluster::new(vec![
        node("n1", 0)
            .label("disk", "ssd")
            .taint("soft", "", TaintEffect::PreferNoSchedule),
        node("n2", 1),
    ]);
    c.place("n2", app("cache", "cache"));
    let p = pod("p")
        .label("app", "web")
        .req(1000, 2048)
        .owner(OwnerKind::ReplicaSet)
        .with(|k| {
            k.node_affinity.preferred =
                vec![(10, nterm(vec![req("disk", SelectorOp::In, &["ssd"])]))];
            k.pod_affinity.preferred = vec![(10, pterm(ZONE, sel(&[("app", "cache")])))];
        });
    let r = c.run(&p);
    let weight = |plugin: &str| match plugin {
        TT => 3,
        NA | PTS | IPA => 2,
        FIT | BA => 1,
        other => panic!("unexpected plugin {other}"),
    };
    for n in ["n1", "n2"] {
        let (scores, total) = r.scores(n);
        let mut seen: Vec<&str> = scores.iter().map(|s| s.plugin).collect();
        seen.sort();
        let mut want = vec![TT, NA, PTS, IPA, FIT, BA];
        want.sort();
        assert_eq!(seen, want);
        for s in scores {
            assert_eq!(
                s.weighted,
                s.normalized * weight(s.plugin),
                "{n} {}",
                s.plugin
            );
        }
        assert_eq!(total, scores.iter().map(|s| s.weighted).sum::<i64>());
    }
    assert_eq!(r.normalized(TT, &["n1", "n2"]), vec![0, 100]);
    assert_eq!(r.normalized(NA, &["n1", "n2"]), vec![100, 0]);
    assert_eq!(r.normalized(PTS, &["n1", "n2"]), vec![100, 100]);
    assert_eq!(r.normalized(IPA, &["n1", "n2"]), vec![0, 100]);
    assert_eq!(r.normalized(FIT, &["n1", "n2"]), vec![75, 72]);
    assert_eq!(r.normalized(BA, &["n1", "n2"]), vec![100, 99]);
    assert_eq!((r.total("n1"), r.total("n2")), (575, 871));
    assert_eq!(r.node(), "n2");
}

#[test]
fn cordoned_node_message() {
    // §7.1: NodeUnschedulable reason "node(s) were unschedulable".
    let mut c = Cluster::new(vec![node("n1", 0).cordon(), node("n2", 1).cordon()]);
    assert_eq!(
        c.run(&pod("p")).message(),
        "0/2 nodes are available: 2 node(s) were unschedulable."
    );
}

#[test]
fn cordoned_node_tolerated_by_unschedulable_toleration() {
    // Upstream nodeunschedulable/node_unschedulable.go Filter: a pod that tolerates the taint
    // {node.kubernetes.io/unschedulable, effect NoSchedule} also tolerates spec.unschedulable.
    // (kube-scheduler-rules.md §7.1 gives only the reason string; the toleration rule is read from the
    // plugin source.) So the only node, cordoned, is feasible → n1.
    let mut c = Cluster::new(vec![node("n1", 0).cordon()]);
    let p = pod("p").tolerate(tol(
        "node.kubernetes.io/unschedulable",
        TolerationOperator::Exists,
        "",
        Some(TaintEffect::NoSchedule),
    ));
    assert_eq!(c.run(&p).node(), "n1");
}

#[test]
fn first_failing_filter_wins() {
    // §7.1: RunFilterPlugins stops at the first rejecting plugin. TaintToleration runs before
    // NodeResourcesFit, so a tainted AND full node reports only the taint.
    let mut c = Cluster::new(vec![node("n1", 0).taint("k", "v", TaintEffect::NoSchedule)]);
    c.place("n1", pod("big").req(3900, 8000));
    assert_eq!(
        c.run(&pod("p").req(1000, 1024)).message(),
        "0/1 nodes are available: 1 node(s) had untolerated taint {k: v}."
    );
}

#[test]
fn filter_order_across_plugins() {
    // §7.1 filter order: NodeUnschedulable → TaintToleration → NodeAffinity → NodeResourcesFit
    // → PodTopologySpread → InterPodAffinity; each node reports its first failure only.
    // Pod: app=web, 1000m, nodeSelector pool=p, spread hostname maxSkew 1 (DoNotSchedule),
    // required anti-affinity app=web on hostname.
    // n1 cordoned + tainted + no pool      → "were unschedulable"
    // n2 tainted + no pool                 → untolerated taint {t: v}
    // n3 pool=q + cpu full                 → node affinity/selector
    // n4 pool=p, web pod, cpu full         → Insufficient cpu (not spread, not anti-affinity)
    // n5 pool=p, web pod, cpu free         → spread: 1+1−0 = 2 > 1 (min 0 from n6) before
    //                                        anti-affinity
    // n6 pool=p, no web pod, cpu full      → Insufficient cpu
    // §7.6: "1 node(s) didn't match Pod's…" < "1 node(s) didn't match pod…" ('P' < 'p').
    let mut c = Cluster::new(vec![
        node("n1", 0)
            .cordon()
            .taint("t", "v", TaintEffect::NoSchedule),
        node("n2", 0).taint("t", "v", TaintEffect::NoSchedule),
        node("n3", 0).label("pool", "q"),
        node("n4", 1).label("pool", "p"),
        node("n5", 1).label("pool", "p"),
        node("n6", 2).label("pool", "p"),
    ]);
    c.place("n3", pod("filler").req(3500, 128));
    c.place("n4", pod("w4").label("app", "web").req(3500, 128));
    c.place("n5", app("w5", "web"));
    c.place("n6", pod("filler").label("app", "db").req(3500, 128));
    let p = pod("p")
        .label("app", "web")
        .req(1000, 128)
        .selector("pool", "p")
        .with(|k| {
            k.topology_spread = vec![web_spread(HOST, 1, DNS)];
            k.pod_anti_affinity.required = vec![pterm(HOST, sel(&[("app", "web")]))];
        });
    let r = c.run(&p);
    assert_eq!(
        r.message(),
        "0/6 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, \
         1 node(s) didn't match pod topology spread constraints, \
         1 node(s) had untolerated taint {t: v}, 1 node(s) were unschedulable, \
         2 Insufficient cpu."
    );
    assert_eq!(r.filtered("n1").unwrap().0, "NodeUnschedulable");
    assert_eq!(r.filtered("n4").unwrap().0, FIT);
    assert_eq!(r.filtered("n5").unwrap().0, PTS);
}

#[test]
fn ties_broken_deterministically_per_seed() {
    // §7.5: uniform among equal best totals. eksim draws from the seeded "scheduler" stream, so
    // the same seed gives the same node on every rerun, and over many seeds both nodes win.
    let mut c = Cluster::new(vec![node("n1", 0), node("n2", 1)]);
    let p = pod("p").req(100, 100);
    let r = c.run_with(Profile::default(), 7, &p);
    assert_eq!(r.total("n1"), r.total("n2"));
    let first = r.node().to_string();
    for _ in 0..5 {
        assert_eq!(c.run_with(Profile::default(), 7, &p).node(), first);
    }
    let mut wins = [0u32; 2];
    for seed in 0..64 {
        match c.run_with(Profile::default(), seed, &p).node() {
            "n1" => wins[0] += 1,
            _ => wins[1] += 1,
        }
    }
    assert!(wins[0] > 0 && wins[1] > 0, "{wins:?}");
    // Three tied nodes over 600 seeds: reservoir sampling is uniform, so each wins about 200
    // times (σ ≈ 11.5; the bounds are more than 4σ away, and the seeds are fixed).
    let mut c = Cluster::new(vec![node("n1", 0), node("n2", 1), node("n3", 2)]);
    let mut wins = [0u32; 3];
    for seed in 0..600 {
        let r = c.run_with(Profile::default(), seed, &p);
        wins[r.node()[1..].parse::<usize>().unwrap() - 1] += 1;
    }
    assert!(wins.iter().all(|&w| (150..=250).contains(&w)), "{wins:?}");
}

#[test]
fn single_feasible_node_chosen_without_scoring() {
    // §7.2: with exactly one feasible node scoring (and so the random tie-break) is skipped.
    // n2 is tainted, so an intolerant pod has only n1. Evidence that nothing random was drawn:
    // a scheduler that first places that pod and then a tolerating pod (n1/n2 tied) picks the
    // same node as a fresh scheduler placing only the tolerating pod, for every seed. (Both
    // cycles examine both nodes, so the start index is back at 0.)
    let mut c = Cluster::new(vec![
        node("n1", 0),
        node("n2", 1).taint("k", "v", TaintEffect::NoSchedule),
    ]);
    let only_n1 = pod("x").req(100, 100);
    let tied = pod("y")
        .req(100, 100)
        .tolerate(tol("k", TolerationOperator::Exists, "", None));
    for seed in 0..32 {
        let mut a = Scheduler::new(Profile::default(), stream(seed, "scheduler"));
        assert_eq!(c.run_untraced(&mut a, &only_n1), Ok("n1".to_string()));
        let after = c.run_untraced(&mut a, &tied);
        let mut b = Scheduler::new(Profile::default(), stream(seed, "scheduler"));
        assert_eq!(after, c.run_untraced(&mut b, &tied), "seed {seed}");
    }
}

#[test]
fn percentage_of_nodes_to_score_and_rotation() {
    // §7.3: 200 nodes → pct 50 − 200/125 = 49 → 98 → at least 100 feasible nodes wanted.
    // §7.4: 200 identical feasible nodes: the pass stops after 100, the other 100 are not
    // evaluated, and nextStartNodeIndex = (0 + 100) % 200 = 100, so the next cycle evaluates
    // exactly the other half of the node-tree order, and the one after that the first half.
    let defs: Vec<NodeDef> = (0..200).map(|i| node(&format!("n{i:03}"), i % 2)).collect();
    let mut c = Cluster::new(defs);
    let order: Vec<String> = c
        .order()
        .iter()
        .map(|id| c.nodes[id.0 as usize].name.clone())
        .collect();
    let half = |r: std::ops::Range<usize>| {
        let mut v = order[r].to_vec();
        v.sort();
        v
    };
    let mut s = Scheduler::new(Profile::default(), stream(1, "scheduler"));
    let p = pod("p").req(100, 100);
    for (cycle, range) in [(1, 0..100), (2, 100..200), (3, 0..100)] {
        let r = c.cycle(&mut s, &p);
        assert_eq!(r.trace.wanted_feasible, 100, "cycle {cycle}");
        assert_eq!(r.not_evaluated(), 100, "cycle {cycle}");
        let evaluated = half(range);
        assert_eq!(r.feasible(), evaluated, "cycle {cycle}");
        assert!(evaluated.contains(&r.node().to_string()));
    }
}

#[test]
fn num_feasible_nodes_to_find_values() {
    // §7.3: N < 100 → N; pct = 50 − N/125 (min 5) when unset; at least 100.
    assert_eq!(num_feasible_nodes_to_find(0, 50), 50);
    assert_eq!(num_feasible_nodes_to_find(0, 99), 99);
    assert_eq!(num_feasible_nodes_to_find(0, 100), 100); // 49% of 100 = 49 → 100
    assert_eq!(num_feasible_nodes_to_find(0, 150), 100); // 49% → 73 → 100
    assert_eq!(num_feasible_nodes_to_find(0, 500), 230); // 46%
    assert_eq!(num_feasible_nodes_to_find(0, 1000), 420); // 42%
    assert_eq!(num_feasible_nodes_to_find(0, 5000), 500); // 10%
    assert_eq!(num_feasible_nodes_to_find(0, 6000), 300); // 2% → floor 5%
    assert_eq!(num_feasible_nodes_to_find(10, 300), 100); // 30 → 100
    assert_eq!(num_feasible_nodes_to_find(50, 1000), 500);
    assert_eq!(num_feasible_nodes_to_find(100, 5000), 5000);
}

#[test]
fn node_tree_order_interleaves_zones() {
    // §7.4 / nodeTree.list: one node per zone per round, zones in first-seen order, nodes in
    // join order. Joined: a1(A) a2(A) b1(B) a3(A) c1(C) b2(B) → a1 b1 c1 a2 b2 a3.
    let c = Cluster::new(vec![
        node("a1", 0),
        node("a2", 0),
        node("b1", 1),
        node("a3", 0),
        node("c1", 2),
        node("b2", 1),
    ]);
    let got: Vec<&str> = c
        .order()
        .iter()
        .map(|id| c.nodes[id.0 as usize].name.as_str())
        .collect();
    assert_eq!(got, vec!["a1", "b1", "c1", "a2", "b2", "a3"]);
}

#[test]
fn disabling_score_plugin_changes_choice() {
    // §7.2 with weights from the profile. n1: empty, PreferNoSchedule taint. n2: holds
    // 2000m / 4096 MiB. Pod 1000m / 2048.
    // Default: n1 TT 0 + Fit 75 + BA 100 = 175; n2 TT 300 + Fit 25 + BA 100 = 425 → n2.
    // TaintToleration weight 0: n1 175 − 0 = 175; n2 125 → n1.
    let mut c = Cluster::new(vec![
        node("n1", 0).taint("soft", "", TaintEffect::PreferNoSchedule),
        node("n2", 1),
    ]);
    c.place("n2", pod("a").req(2000, 4096));
    let p = pod("p").req(1000, 2048);
    let r = c.run(&p);
    assert_eq!((r.total("n1"), r.total("n2")), (175, 425));
    assert_eq!(r.node(), "n2");
    let mut profile = Profile::default();
    profile.weights.taint_toleration = 0;
    let r = c.run_with(profile, 1, &p);
    assert_eq!((r.total("n1"), r.total("n2")), (175, 125));
    assert!(!r.has_plugin("n1", TT));
    assert_eq!(r.node(), "n1");
}

#[test]
fn backoff_doubles_to_cap() {
    // §8 calculateBackoffDuration: 1 s doubling per attempt, capped at 10 s.
    let p = Profile::default();
    let got: Vec<SimDuration> = (1..=6).map(|a| p.backoff(a)).collect();
    let want: Vec<SimDuration> = [1, 2, 4, 8, 10, 10]
        .into_iter()
        .map(SimDuration::from_secs)
        .collect();
    assert_eq!(got, want);
}

#[test]
fn no_nodes_message() {
    // Upstream schedule_one.go schedulePod: if the snapshot has no nodes it returns
    // ErrNoNodesAvailable, "no nodes available to schedule pods", before any filter runs (not
    // a FitError). (Not covered by kube-scheduler-rules.md; read from schedule_one.go.)
    let mut c = Cluster::new(vec![]);
    assert_eq!(
        c.run(&pod("p").req(100, 100)).message(),
        "no nodes available to schedule pods"
    );
}
