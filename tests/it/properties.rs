//! Property tests of the scheduler on random small clusters: a pod is only ever bound where it
//! passes every filter, no node is ever over-committed, DoNotSchedule spread never exceeds
//! maxSkew, and the same inputs and seed give the same placements.

use std::sync::Arc;

use eksim::cluster::node::{Node, NodeId};
use eksim::cluster::pod::{Pod, PodTable};
use eksim::cluster::resources::Resources;
use eksim::cluster::taints::{Taint, TaintEffect, Toleration, TolerationOperator};
use eksim::scheduler::topology::TopologyIndex;
use eksim::scheduler::{ClusterView, Profile, Scheduler, node_tree_order};
use eksim::sim::rng::stream;
use eksim::workload::constraints::{
    LabelSelector, PodConstraints, TopologySpreadConstraint, WhenUnsatisfiable,
};
use eksim::workload::{OwnerKind, PodSpec};
use proptest::prelude::*;

const ZONES: [&str; 3] = ["a", "b", "c"];

#[derive(Clone, Debug)]
struct NodeIn {
    cpu: u64,
    mem: u64,
    zone: usize,
    pool: bool,
    tainted: bool,
}

#[derive(Clone, Debug)]
struct PodIn {
    cpu: u64,
    mem: u64,
    web: bool,
    selector: bool,
    tolerates: bool,
}

fn node_in() -> impl Strategy<Value = NodeIn> {
    (
        1u64..=8,
        1u64..=16,
        0usize..3,
        any::<bool>(),
        prop::bool::weighted(0.2),
    )
        .prop_map(|(c, m, zone, pool, tainted)| NodeIn {
            cpu: c * 1000,
            mem: m * 1024,
            zone,
            pool,
            tainted,
        })
}

fn pod_in() -> impl Strategy<Value = PodIn> {
    (
        1u64..=30,
        1u64..=32,
        any::<bool>(),
        prop::bool::weighted(0.2),
        any::<bool>(),
    )
        .prop_map(|(c, m, web, selector, tolerates)| PodIn {
            cpu: c * 100,
            mem: m * 128,
            web,
            selector,
            tolerates,
        })
}

struct World {
    nodes: Vec<Node>,
    order: Vec<NodeId>,
    pods: PodTable,
    topo: TopologyIndex,
}

fn world(nodes_in: &[NodeIn]) -> World {
    let mut nodes = Vec::new();
    let mut topo = TopologyIndex::default();
    for (i, n) in nodes_in.iter().enumerate() {
        let alloc = Resources {
            cpu_m: n.cpu,
            memory_mib: n.mem,
            gpus: 0,
            pods: 110,
        };
        let mut node = Node::ready(&format!("n{i}"), n.zone, ZONES[n.zone], alloc);
        if n.pool {
            node.labels.push(("pool".into(), "x".into()));
            node.labels.sort();
        }
        if n.tainted {
            node.taints.push(Taint {
                key: "dedicated".into(),
                value: "gpu".into(),
                effect: TaintEffect::NoSchedule,
            });
        }
        nodes.push(node);
        topo.add_node(NodeId(i as u32));
    }
    let ready: Vec<NodeId> = (0..nodes.len() as u32).map(NodeId).collect();
    let order = node_tree_order(&nodes, &ready);
    World {
        nodes,
        order,
        pods: PodTable::default(),
        topo,
    }
}

fn spec(i: usize, p: &PodIn, max_skew: u32) -> PodSpec {
    let web_sel = LabelSelector {
        match_labels: vec![("app".into(), "web".into())],
        match_expressions: vec![],
    };
    PodSpec {
        name: format!("p{i}").into(),
        namespace: "default".into(),
        labels: vec![(
            "app".into(),
            if p.web { "web".into() } else { "other".into() },
        )]
        .into(),
        requests: Resources::pod(p.cpu, p.mem, 0),
        // Spread pods carry no nodeSelector, so every zone with a node is one of their domains.
        node_selector: if p.selector && !p.web {
            vec![("pool".into(), "x".into())]
        } else {
            vec![]
        }
        .into(),
        tolerations: if p.tolerates {
            vec![Toleration {
                key: "dedicated".into(),
                operator: TolerationOperator::Exists,
                value: String::new(),
                effect: None,
            }]
        } else {
            vec![]
        }
        .into(),
        constraints: Arc::new(if p.web {
            PodConstraints {
                topology_spread: vec![TopologySpreadConstraint {
                    max_skew,
                    topology_key: "topology.kubernetes.io/zone".into(),
                    when_unsatisfiable: WhenUnsatisfiable::DoNotSchedule,
                    selector: web_sel,
                    min_domains: None,
                }],
                ..Default::default()
            }
        } else {
            PodConstraints::default()
        }),
        owner: OwnerKind::ReplicaSet,
        ..Default::default()
    }
}

/// Schedules every pod in turn, checking the invariants after each bind; returns placements.
fn play(nodes_in: &[NodeIn], pods_in: &[PodIn], max_skew: u32, seed: u64) -> Vec<Option<usize>> {
    play_with(nodes_in, pods_in, max_skew, seed, false)
}

/// [`play`], with every cycle traced (the explain path, which scores each plugin separately)
/// when `traced`; the untraced path scores in one fused pass and must choose the same nodes.
fn play_with(
    nodes_in: &[NodeIn],
    pods_in: &[PodIn],
    max_skew: u32,
    seed: u64,
    traced: bool,
) -> Vec<Option<usize>> {
    let mut w = world(nodes_in);
    let mut s = Scheduler::new(Profile::default(), stream(seed, "scheduler"));
    let mut placements = Vec::new();
    for (i, p) in pods_in.iter().enumerate() {
        let pod = spec(i, p, max_skew);
        let view = ClusterView {
            nodes: &w.nodes,
            order: &w.order,
            pods: &w.pods,
        };
        let mut trace = eksim::scheduler::CycleTrace::default();
        let result = s.schedule(&pod, &view, &mut w.topo, traced.then_some(&mut trace));
        let Ok(id) = result else {
            placements.push(None);
            continue;
        };
        // The chosen node passes every filter right now.
        let view = ClusterView {
            nodes: &w.nodes,
            order: &w.order,
            pods: &w.pods,
        };
        assert!(
            s.fits_on(&pod, &view, &mut w.topo, id),
            "{} bound where it does not fit",
            pod.name
        );
        let key = w.pods.insert(Pod::new(pod.clone(), i as u64));
        let node = &mut w.nodes[id.0 as usize];
        node.add_requests(pod.requests, 0);
        node.pods.push(key);
        w.topo.bind(&pod, id);
        // Never over-committed.
        for n in &w.nodes {
            assert!(
                n.requested.fits_in(&n.allocatable),
                "{} over-committed: {:?} > {:?}",
                n.name,
                n.requested,
                n.allocatable
            );
        }
        // Zone skew of the web pods stays within maxSkew over the zones that have nodes.
        let mut counts = [0u32; 3];
        let mut present = [false; 3];
        for n in &w.nodes {
            present[n.zone] = true;
            counts[n.zone] += n
                .pods
                .iter()
                .filter(|k| w.pods.get(**k).is_some_and(|p| p.spec.labels[0].1 == "web"))
                .count() as u32;
        }
        let zs: Vec<u32> = (0..3).filter(|z| present[*z]).map(|z| counts[z]).collect();
        let (max, min) = (
            zs.iter().max().copied().unwrap_or(0),
            zs.iter().min().copied().unwrap_or(0),
        );
        assert!(
            max - min <= max_skew,
            "skew {} > {max_skew}: {counts:?}",
            max - min
        );
        placements.push(Some(id.0 as usize));
    }
    placements
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn scheduler_invariants_hold(
        nodes in prop::collection::vec(node_in(), 1..7),
        pods in prop::collection::vec(pod_in(), 1..30),
        max_skew in 1u32..=2,
        seed in 0u64..1000,
    ) {
        let a = play(&nodes, &pods, max_skew, seed);
        let b = play(&nodes, &pods, max_skew, seed);
        prop_assert_eq!(a, b);
    }

    #[test]
    fn traced_and_untraced_cycles_choose_the_same_nodes(
        nodes in prop::collection::vec(node_in(), 1..7),
        pods in prop::collection::vec(pod_in(), 1..30),
        max_skew in 1u32..=2,
        seed in 0u64..1000,
    ) {
        let untraced = play_with(&nodes, &pods, max_skew, seed, false);
        let traced = play_with(&nodes, &pods, max_skew, seed, true);
        prop_assert_eq!(untraced, traced);
    }
}
