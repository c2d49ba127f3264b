//! Karpenter with hand-worked expectations: the batch window, packing onto the cheapest offering
//! that holds the batch, deletion of an emptied node, and replacement by a cheaper node.

use crate::common::*;

const POOL: &str = "autoscaler:\n  kind: karpenter\n  nodePools:\n    - metadata: {name: default}\n      spec:\n        template:\n          spec:\n            requirements:\n              - {key: karpenter.k8s.aws/instance-family, operator: In, values: [c6i, m5]}\n            nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}\n";

fn case(workload: &str) -> Case {
    Case::new(&format!(
        "horizon: 30m\nseed: 3\nlatency: {{nodeLaunch: {{fixed: 30s}}, imagePull: {{ec2: {{fixed: 0s}}}}, containerStart: {{fixed: 0s}}}}\n{POOL}{}workload:\n{workload}",
        cluster("[us-east-1a, us-east-1b]", "")
    ))
}

#[test]
fn batches_packs_onto_the_cheapest_offering_and_deletes_the_empty_node() {
    let c = case(
        "  - generator: {name: jobs, arrivals: {every: 1ms}, count: 6, duration: {fixed: 5m}, cpu: 800m, memory: 512Mi}\n",
    );
    let r = c.run(None, "o");
    let nodes = read_csv(&c.out("o/nodes.csv"));
    // Six 800m pods fail their first cycle at 0–5 ms; the batch closes 1 s after the last one.
    // Together they need 4800m: the cheapest offering holding them is c6i.2xlarge
    // (7910m − 125m DaemonSets = 7785m, $0.34/h; c6i.xlarge has only 3795m).
    assert_eq!(nodes.len(), 1);
    assert_eq!(nodes[0]["instance_type"], "c6i.2xlarge");
    assert_eq!(nodes[0]["launch_s"], "1.005");
    // Ready at 31.005 s, the pods run until 331.005 s; the next disruption poll (every 10 s)
    // finds the node empty at 340 s and deletes it.
    assert_eq!(nodes[0]["terminated_s"], "340.000");
    assert_eq!(nodes[0]["termination_reason"], "Consolidation");
    assert_eq!(r.summary.scheduling.karpenter_launches, 1);
    assert_eq!(r.summary.pods.succeeded, 6);
}

#[test]
fn replaces_an_underused_node_with_a_cheaper_one() {
    let c = case(
        "  - generator: {name: short, arrivals: {every: 1ms}, count: 5, duration: {fixed: 2m}, cpu: 1000m, memory: 512Mi}\n  - generator: {name: long, arrivals: {every: 1ms}, count: 1, cpu: 500m, memory: 512Mi}\n",
    );
    c.run(None, "o");
    let nodes = read_csv(&c.out("o/nodes.csv"));
    // 5500m packs onto one c6i.2xlarge. When the short pods end only 500m is left: the cheapest
    // offering holding it, c6i.large ($0.085/h), replaces the $0.34/h node, which is drained
    // once the replacement is Ready; the long pod is recreated on it.
    let types: Vec<&str> = nodes.iter().map(|n| n["instance_type"].as_str()).collect();
    assert_eq!(types, vec!["c6i.2xlarge", "c6i.large"]);
    assert_eq!(nodes[0]["termination_reason"], "Consolidation");
    assert!(nodes[1]["terminated_s"].is_empty());
    let pods = read_csv(&c.out("o/pods.csv"));
    let long: Vec<_> = pods.iter().filter(|p| p["group"] == "long").collect();
    assert_eq!(long.iter().filter(|p| p["outcome"] == "evicted").count(), 1);
    assert!(
        long.iter()
            .any(|p| p["outcome"] == "running" && p["node"] == "default-1")
    );
}

#[test]
fn multi_node_consolidation_merges_two_nodes_into_one_cheaper_node() {
    // c6i.xlarge repriced to $0.12/h. Two 1200m pods arrive 60 s apart: each batch takes the
    // cheapest fit, a c6i.large ($0.085; 1805m free), and the second does not fit in the 605m
    // left on the first. Neither node can take the other's pod, but both fit one c6i.xlarge
    // (3795m) at $0.12 < 2 × $0.085: one replacement, both old nodes drained when it is Ready.
    // The disruption budget must allow two nodes at once (the default 10% of 2 nodes is 1).
    let pool = format!("{POOL}        disruption: {{budgets: [{{nodes: \"100%\"}}]}}\n");
    let c = Case::new(&format!(
        "horizon: 30m\nseed: 3\npricing: {{instances: {{c6i.xlarge: 0.12}}}}\nlatency: {{nodeLaunch: {{fixed: 30s}}, imagePull: {{ec2: {{fixed: 0s}}}}, containerStart: {{fixed: 0s}}}}\n{pool}{}workload:\n  - generator: {{name: long, arrivals: {{every: 60s}}, count: 2, cpu: 1200m, memory: 512Mi}}\n",
        cluster("[us-east-1a, us-east-1b]", "")
    ));
    c.run(None, "o");
    let nodes = read_csv(&c.out("o/nodes.csv"));
    let types: Vec<(&str, &str)> = nodes
        .iter()
        .map(|n| {
            (
                n["instance_type"].as_str(),
                n["termination_reason"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        types,
        vec![
            ("c6i.large", "Consolidation"),
            ("c6i.large", "Consolidation"),
            ("c6i.xlarge", "")
        ]
    );
    let pods = read_csv(&c.out("o/pods.csv"));
    assert_eq!(
        pods.iter()
            .filter(|p| p["outcome"] == "running" && p["node"] == "default-2")
            .count(),
        2
    );
}
