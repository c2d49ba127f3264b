//! Cluster Autoscaler with hand-worked expectations: scale-up count and group per expander, the
//! exact moment an idle node goes, minSize, and a PDB that blocks a drain.

use crate::common::*;

fn two_groups(expander: &str) -> Case {
    Case::new(&format!(
        "horizon: 30m\nseed: 5\nlatency: {{nodeLaunch: {{fixed: 30s}}, imagePull: {{ec2: {{fixed: 0s}}}}, containerStart: {{fixed: 0s}}}}\n\
         autoscaler: {{kind: cluster-autoscaler, expander: {expander}, priorities: {{50: [big], 10: [\"sm*\"]}}}}\n{}\
         workload:\n  - deployment: {{name: batch, replicas: 6, cpu: 800m, memory: 256Mi}}\n",
        cluster(
            "[us-east-1a, us-east-1b]",
            "  managedNodeGroups:\n    - {name: small, instanceType: m5.large, minSize: 0, maxSize: 10, desiredCapacity: 0}\n    - {name: big, instanceType: m5.2xlarge, minSize: 0, maxSize: 10, desiredCapacity: 0}\n"
        )
    ))
}

fn launched(c: &Case) -> Vec<(String, String)> {
    read_csv(&c.out("o/nodes.csv"))
        .into_iter()
        .map(|n| (n["node_group"].clone(), n["launch_s"].clone()))
        .collect()
}

#[test]
fn least_waste_and_price_pick_three_small_nodes() {
    // Six 800m pods. m5.large: 1930m − 125m DaemonSets = 1805m → 2 pods a node → 3 nodes.
    // m5.2xlarge: 7910m − 125m = 7785m → 1 node. least-waste: small wastes (5415 − 4800)/5415 =
    // 0.114 CPU + 0.926 memory = 1.04; big wastes 0.383 + 0.948 = 1.33. price: 3 × $0.096 <
    // 1 × $0.384. The pods fail their first cycle at 0 s; the first scan that sees them is at 10 s.
    for expander in ["least-waste", "price"] {
        let c = two_groups(expander);
        let r = c.run(None, "o");
        let l = launched(&c);
        assert_eq!(
            l,
            vec![("small".to_string(), "10.000".to_string()); 3],
            "{expander}"
        );
        assert_eq!(r.summary.pods.running, 6);
        assert_eq!(r.summary.scheduling.autoscaler_scale_ups, 1);
        // Nodes Ready at 40 s: every pod waited 40 s.
        assert_eq!(r.summary.pending_s.max, Some(40.0));
    }
}

#[test]
fn priority_and_most_pods_expanders() {
    let c = two_groups("priority");
    c.run(None, "o");
    assert_eq!(
        launched(&c),
        vec![("big".to_string(), "10.000".to_string())]
    );
    // most-pods: both options place all six pods, so the choice is random but deterministic.
    let a = two_groups("most-pods");
    a.run(Some(1), "o");
    let b = two_groups("most-pods");
    b.run(Some(1), "o");
    assert_eq!(launched(&a), launched(&b));
}

#[test]
fn an_idle_node_goes_after_exactly_the_unneeded_time_and_min_size_holds() {
    let c = Case::new(&format!(
        "horizon: 1h\nlatency: {{nodeLaunch: {{fixed: 30s}}}}\nautoscaler: {{kind: cluster-autoscaler}}\n{}",
        cluster(
            "[us-east-1a, us-east-1b]",
            "  managedNodeGroups:\n    - {name: ng, instanceType: m5.large, minSize: 1, maxSize: 5, desiredCapacity: 3}\n"
        )
    ));
    let r = c.run(None, "o");
    let nodes = read_csv(&c.out("o/nodes.csv"));
    // Ready at 30 s; the 30 s scan finds them empty (under 50%): unneeded since 30 s. The first
    // scan at least 10 minutes later is at 630 s: two go (the group keeps minSize 1).
    let ended: Vec<(&str, &str)> = nodes
        .iter()
        .map(|n| (n["terminated_s"].as_str(), n["termination_reason"].as_str()))
        .collect();
    assert_eq!(
        ended,
        vec![("630.000", "ScaleDown"), ("630.000", "ScaleDown"), ("", "")]
    );
    assert_eq!(nodes[0]["billed_s"], "630.000");
    assert_eq!(r.summary.scheduling.autoscaler_scale_downs, 2);
}

#[test]
fn a_pdb_blocks_the_drain() {
    let c = Case::new(&format!(
        "horizon: 1h\nlatency: {{nodeLaunch: {{fixed: 30s}}}}\nautoscaler: {{kind: cluster-autoscaler}}\n{}workload:\n  - manifests:\n      inline: |\n        apiVersion: apps/v1\n        kind: Deployment\n        metadata: {{name: web}}\n        spec:\n          replicas: 2\n          selector: {{matchLabels: {{app: web}}}}\n          template:\n            metadata: {{labels: {{app: web}}}}\n            spec:\n              containers: [{{name: c, image: i, resources: {{requests: {{cpu: 100m}}}}}}]\n              affinity:\n                podAntiAffinity:\n                  requiredDuringSchedulingIgnoredDuringExecution:\n                    - {{topologyKey: kubernetes.io/hostname, labelSelector: {{matchLabels: {{app: web}}}}}}\n        ---\n        apiVersion: policy/v1\n        kind: PodDisruptionBudget\n        metadata: {{name: web}}\n        spec: {{minAvailable: 2, selector: {{matchLabels: {{app: web}}}}}}\n",
        cluster(
            "[us-east-1a, us-east-1b]",
            "  managedNodeGroups:\n    - {name: ng, instanceType: m5.large, minSize: 0, maxSize: 5, desiredCapacity: 2}\n"
        )
    ));
    let r = c.run(None, "o");
    // Both nodes are nearly idle, but each holds a web pod the PDB does not let go.
    assert_eq!(r.summary.scheduling.autoscaler_scale_downs, 0);
    assert!(
        read_csv(&c.out("o/nodes.csv"))
            .iter()
            .all(|n| n["terminated_s"].is_empty())
    );
}

/// Node a holds one 400m pod; node b (its group at minSize) is 1500m full until 155 s, so the pod
/// fits nowhere else before then. `recheck` is `unremovable-node-recheck-timeout`, if set.
fn blocked_until_155s(recheck: Option<&str>) -> Case {
    let flag = recheck.map_or(String::new(), |t| {
        format!(", unremovable-node-recheck-timeout: {t}")
    });
    Case::new(&format!(
        "horizon: 30m\nlatency: {{nodeLaunch: {{fixed: 30s}}, imagePull: {{ec2: {{fixed: 0s}}}}, containerStart: {{fixed: 0s}}}}\n\
         autoscaler: {{kind: cluster-autoscaler, allow-unreplicated-pods: true{flag}}}\n{}\
         workload:\n  - generator: {{name: big, arrivals: {{every: 1h}}, count: 1, cpu: 1500m, memory: 256Mi, duration: {{fixed: 125s}}, nodeSelector: {{eks.amazonaws.com/nodegroup: b}}}}\n  - generator: {{name: small, arrivals: {{every: 1h}}, start: 65s, count: 1, cpu: 400m, memory: 256Mi}}\n",
        cluster(
            "[us-east-1a, us-east-1b]",
            "  managedNodeGroups:\n    - {name: a, instanceType: m5.large, minSize: 0, maxSize: 1, desiredCapacity: 1}\n    - {name: b, instanceType: m5.large, minSize: 1, maxSize: 1, desiredCapacity: 1}\n"
        )
    ))
}

#[test]
fn a_node_that_could_not_be_emptied_is_not_simulated_again_for_the_recheck_timeout() {
    // Both nodes Ready at 30 s; big runs on b from 30 s to 155 s; small lands on a at 65 s (b is
    // the fuller node). a is under 50% (400m of 1805m), so the 70 s scan simulates its removal:
    // small does not fit b's 305m left, and a is unremovable until 70 s + 5m = 370 s. The 370 s
    // scan finds small a place on b: unneeded since 370 s, drained at 370 s + 10m = 970 s, gone
    // after small's 30 s grace at 1,000 s. With a 0s recheck, the first scan after big ends
    // (160 s) starts the unneeded time: drained at 760 s, gone at 790 s.
    for (recheck, drained, gone) in [
        (None, "970.000", "1000.000"),
        (Some("5m"), "970.000", "1000.000"),
        (Some("0s"), "760.000", "790.000"),
    ] {
        let c = blocked_until_155s(recheck);
        let r = c.run(None, "o");
        let nodes = read_csv(&c.out("o/nodes.csv"));
        assert_eq!(nodes[0]["node"], "a-0");
        assert_eq!(nodes[0]["terminated_s"], gone, "{recheck:?}");
        assert_eq!(nodes[0]["termination_reason"], "ScaleDown");
        assert_eq!(nodes[1]["terminated_s"], "", "b stays at its minSize");
        let pods = read_csv(&c.out("o/pods.csv"));
        let small = pods.iter().find(|p| p["pod"] == "small-0").unwrap();
        assert_eq!(small["node"], "a-0");
        assert_eq!(small["outcome"], "evicted");
        assert_eq!(small["finished_s"], gone, "{recheck:?}");
        // Its replacement is created when the drain evicts it, and fits b at once.
        let again = pods.iter().find(|p| p["pod"] == "small-0-r").unwrap();
        assert_eq!(again["scheduled_s"], drained, "{recheck:?}");
        assert_eq!(again["node"], "b-0");
        assert_eq!(r.summary.scheduling.autoscaler_scale_downs, 1);
    }
}
