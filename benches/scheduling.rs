//! One scheduling cycle (PreFilter → Filter over the sampled nodes → Score → select) on
//! clusters of 100, 1,000 and 5,000 nodes over three zones, half full, with the default profile:
//! a plain pod, a ReplicaSet pod (system default spread scoring), and a pod with a zone
//! DoNotSchedule spread constraint plus hostname anti-affinity. The cluster is not changed
//! between iterations. Iterations alternate between two pods that differ in their CPU
//! request, so the scheduler's per-node verdict memo (valid only for the previous pod's shape)
//! never helps: each iteration is a cold cycle. `default-repeat` schedules the same pod every
//! iteration: the memo answers every node, as for the pods of one burst of identical pods.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use eksim::cluster::node::{Node, NodeId};
use eksim::cluster::pod::{Pod, PodTable};
use eksim::cluster::resources::Resources;
use eksim::scheduler::topology::TopologyIndex;
use eksim::scheduler::{ClusterView, Profile, Scheduler, node_tree_order};
use eksim::sim::rng::stream;
use eksim::workload::constraints::{
    LabelSelector, PodAffinity, PodAffinityTerm, PodConstraints, TopologySpreadConstraint,
    WhenUnsatisfiable,
};
use eksim::workload::{OwnerKind, PodSpec};

const ZONES: [&str; 3] = ["us-east-1a", "us-east-1b", "us-east-1c"];

fn labels(app: &str) -> Vec<(String, String)> {
    vec![("app".to_string(), app.to_string())]
}

struct World {
    nodes: Vec<Node>,
    order: Vec<NodeId>,
    pods: PodTable,
    topo: TopologyIndex,
}

/// N nodes of 4 vCPU / 16 GiB, each with 4 pods of 500m / 2 GiB from 20 apps.
fn world(n: usize) -> World {
    let mut nodes = Vec::new();
    let mut pods = PodTable::default();
    let mut topo = TopologyIndex::default();
    for i in 0..n {
        let z = i % 3;
        let alloc = Resources {
            cpu_m: 4000,
            memory_mib: 16_384,
            gpus: 0,
            pods: 110,
        };
        nodes.push(Node::ready(&format!("node-{i}"), z, ZONES[z], alloc));
        topo.add_node(NodeId(i as u32));
        // Every node is Ready, in the scheduler's order (as the engine tells the index).
        topo.set_candidate(NodeId(i as u32), true);
    }
    for (i, node) in nodes.iter_mut().enumerate() {
        for j in 0..4 {
            let spec = PodSpec {
                name: format!("p-{i}-{j}").into(),
                namespace: "default".into(),
                labels: labels(&format!("app-{}", (i * 4 + j) % 20)).into(),
                requests: Resources::pod(500, 2048, 0),
                owner: OwnerKind::ReplicaSet,
                ..Default::default()
            };
            let key = pods.insert(Pod::new(spec.clone(), 0));
            node.add_requests(spec.requests, 0);
            node.pods.push(key);
            topo.bind(&spec, NodeId(i as u32));
        }
    }
    let ready: Vec<NodeId> = (0..n as u32).map(NodeId).collect();
    let order = node_tree_order(&nodes, &ready);
    World {
        nodes,
        order,
        pods,
        topo,
    }
}

fn pods() -> Vec<(&'static str, PodSpec)> {
    let plain = PodSpec {
        name: "plain".into(),
        namespace: "default".into(),
        requests: Resources::pod(250, 512, 0),
        owner: OwnerKind::Job,
        ..Default::default()
    };
    let replica = PodSpec {
        name: "replica".into(),
        labels: labels("app-3").into(),
        owner: OwnerKind::ReplicaSet,
        ..plain.clone()
    };
    let sel = LabelSelector {
        match_labels: labels("app-3"),
        match_expressions: vec![],
    };
    let constrained = PodSpec {
        name: "constrained".into(),
        constraints: Arc::new(PodConstraints {
            topology_spread: vec![TopologySpreadConstraint {
                max_skew: 1,
                topology_key: "topology.kubernetes.io/zone".into(),
                when_unsatisfiable: WhenUnsatisfiable::DoNotSchedule,
                selector: sel.clone(),
                min_domains: None,
            }],
            pod_anti_affinity: PodAffinity {
                required: vec![PodAffinityTerm {
                    selector: sel,
                    namespaces: vec![],
                    topology_key: "kubernetes.io/hostname".into(),
                }],
                preferred: vec![],
            },
            ..Default::default()
        }),
        ..replica.clone()
    };
    vec![
        ("default", plain),
        ("replicaset", replica),
        ("spread+anti-affinity", constrained),
    ]
}

fn cycle(c: &mut Criterion) {
    let mut group = c.benchmark_group("scheduling_cycle");
    group.sample_size(30);
    for n in [100usize, 1_000, 5_000] {
        let mut w = world(n);
        let mut cases: Vec<(&str, PodSpec, PodSpec)> = pods()
            .into_iter()
            .map(|(label, pod)| {
                let mut other = pod.clone();
                other.requests.cpu_m += 10;
                (label, pod, other)
            })
            .collect();
        let plain = cases[0].1.clone();
        cases.insert(1, ("default-repeat", plain.clone(), plain));
        for (label, pod, other) in cases {
            let mut s = Scheduler::new(Profile::default(), stream(1, "scheduler"));
            let mut flip = false;
            group.bench_with_input(BenchmarkId::new(label, n), &n, |b, _| {
                b.iter(|| {
                    let view = ClusterView {
                        nodes: &w.nodes,
                        order: &w.order,
                        pods: &w.pods,
                    };
                    flip = !flip;
                    let p = if flip { &pod } else { &other };
                    black_box(s.schedule(p, &view, &mut w.topo, None).ok())
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, cycle);
criterion_main!(benches);
