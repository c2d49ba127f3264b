//! One scheduling cycle (PreFilter → Filter over the sampled nodes → Score → select) on
//! clusters of 100, 1,000 and 5,000 nodes over three zones, half full, with the default profile:
//! a plain pod, a ReplicaSet pod (system default spread scoring), and a pod with a zone
//! DoNotSchedule spread constraint plus hostname anti-affinity. The cluster is not changed
//! between iterations, so every iteration is the same cycle.

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
    }
    for (i, node) in nodes.iter_mut().enumerate() {
        for j in 0..4 {
            let spec = PodSpec {
                name: format!("p-{i}-{j}"),
                namespace: "default".into(),
                labels: labels(&format!("app-{}", (i * 4 + j) % 20)).into(),
                requests: Resources::pod(500, 2048, 0),
                owner: OwnerKind::ReplicaSet,
                ..Default::default()
            };
            let key = pods.insert(Pod::new(spec.clone(), 0));
            node.add_requests(spec.requests, 0);
            node.pods.push(key);
            topo.bind(key, &spec, NodeId(i as u32));
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
        for (label, pod) in pods() {
            let mut s = Scheduler::new(Profile::default(), stream(1, "scheduler"));
            group.bench_with_input(BenchmarkId::new(label, n), &n, |b, _| {
                b.iter(|| {
                    let view = ClusterView {
                        nodes: &w.nodes,
                        order: &w.order,
                        pods: &w.pods,
                    };
                    black_box(s.schedule(&pod, &view, &mut w.topo, None).ok())
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, cycle);
criterion_main!(benches);
