//! Managed node group rolling update, phase by phase, and PodEvictionFailure.

use crate::common::*;

fn case(pdb_min: Option<u32>, force: bool) -> Case {
    let pdb = pdb_min
        .map(|m| format!("        ---\n        apiVersion: policy/v1\n        kind: PodDisruptionBudget\n        metadata: {{name: web}}\n        spec: {{minAvailable: {m}, selector: {{matchLabels: {{app: web}}}}}}\n"))
        .unwrap_or_default();
    Case::new(&format!(
        "horizon: 1h\nlatency: {{nodeLaunch: {{fixed: 30s}}, imagePull: {{ec2: {{fixed: 0s}}}}, containerStart: {{fixed: 0s}}}}\nevents:\n  - {{at: 10m, nodeGroupUpdate: {{nodeGroup: ng, releaseVersion: v2, updateConfig: {{maxUnavailable: 2}}, force: {force}}}}}\n{}workload:\n  - manifests:\n      inline: |\n        apiVersion: apps/v1\n        kind: Deployment\n        metadata: {{name: web}}\n        spec:\n          replicas: 6\n          selector: {{matchLabels: {{app: web}}}}\n          template:\n            metadata: {{labels: {{app: web}}}}\n            spec:\n              containers: [{{name: c, image: i, resources: {{requests: {{cpu: 500m}}}}}}]\n{pdb}",
        cluster(
            "[us-east-1a, us-east-1b, us-east-1c]",
            "  managedNodeGroups:\n    - {name: ng, instanceType: m5.large, releaseVersion: v1, minSize: 6, maxSize: 20, desiredCapacity: 6}\n"
        )
    ))
}

#[test]
fn rolls_through_the_phases_and_ends_on_the_new_version() {
    let c = case(None, false);
    let r = c.run(None, "o");
    let nodes = read_csv(&c.out("o/nodes.csv"));
    // 10m: surge max(2 × 3 AZs, 2) = 6 new nodes, Ready at 630 s in every AZ; then old nodes go
    // two at a time: drained, their pods end after the 30 s grace, terminated 60 s later, and
    // replaced by new-version nodes: 720, 810, 900 s. At 900 s the surge is scaled back down.
    let old_end: Vec<&str> = nodes
        .iter()
        .take(6)
        .map(|n| n["terminated_s"].as_str())
        .collect();
    assert_eq!(
        old_end,
        vec![
            "720.000", "720.000", "810.000", "810.000", "900.000", "900.000"
        ]
    );
    assert!(
        nodes
            .iter()
            .take(6)
            .all(|n| n["ami_version"] == "v1" && n["termination_reason"] == "NodeGroupUpdate")
    );
    let live: Vec<_> = nodes
        .iter()
        .filter(|n| n["terminated_s"].is_empty())
        .collect();
    assert_eq!(live.len(), 6);
    assert!(live.iter().all(|n| n["ami_version"] == "v2"));
    let u = &r.summary.node_group_updates[0];
    assert_eq!(
        (u.outcome.as_str(), u.start_s, u.end_s),
        ("Successful", 600.0, Some(900.0))
    );
    assert!(u.pods_disrupted >= 6);
    let groups = read_csv(&c.out("o/nodegroups.csv"));
    let statuses: Vec<(&str, &str)> = groups
        .iter()
        .map(|g| (g["t_s"].as_str(), g["status"].as_str()))
        .collect();
    assert_eq!(
        statuses,
        vec![
            ("0.000", "ACTIVE"),
            ("600.000", "UPDATING"),
            ("900.000", "ACTIVE")
        ]
    );
    // All six replicas are running at the end.
    assert_eq!(r.summary.pods.running, 6);
}

#[test]
fn a_pod_that_cannot_be_evicted_fails_the_update_after_15_minutes_unless_forced() {
    // minAvailable 6 of 6 replicas: no eviction is ever allowed. Draining starts at 630 s; at
    // 630 + 900 = 1530 s the update fails with PodEvictionFailure.
    let c = case(Some(6), false);
    let r = c.run(None, "o");
    let u = &r.summary.node_group_updates[0];
    assert_eq!(
        (u.outcome.as_str(), u.end_s),
        ("Failed: PodEvictionFailure", Some(1530.0))
    );
    let groups = read_csv(&c.out("o/nodegroups.csv"));
    assert_eq!(groups.last().unwrap()["issue"], "PodEvictionFailure");
    let forced = case(Some(6), true);
    let r = forced.run(None, "o");
    assert_eq!(r.summary.node_group_updates[0].outcome, "Successful");
}

#[test]
fn a_self_managed_group_is_replaced_by_a_scripted_batch_process() {
    let c = Case::new(&format!(
        "horizon: 1h\nlatency: {{nodeLaunch: {{fixed: 30s}}}}\nevents:\n  - {{at: 10m, nodeGroupReplacement: {{nodeGroup: self, releaseVersion: ami-2, updateConfig: {{maxUnavailable: 1}}}}}}\n{}",
        cluster(
            "[us-east-1a, us-east-1b, us-east-1c]",
            "  nodeGroups:\n    - {name: self, instanceType: m5.large, ami: ami-1, desiredCapacity: 3, minSize: 3, maxSize: 6}\n"
        )
    ));
    let r = c.run(None, "o");
    let nodes = read_csv(&c.out("o/nodes.csv"));
    let live: Vec<_> = nodes
        .iter()
        .filter(|n| n["terminated_s"].is_empty())
        .collect();
    assert_eq!(live.len(), 3);
    assert!(live.iter().all(|n| n["ami_version"] == "ami-2"));
    assert_eq!(r.summary.node_group_updates[0].outcome, "Successful");
    // A managed update of a self-managed group is refused.
    let bad = Case::new(&format!(
        "horizon: 1h\nevents:\n  - {{at: 10m, nodeGroupUpdate: {{nodeGroup: self, releaseVersion: x}}}}\n{}",
        cluster(
            "[us-east-1a, us-east-1b]",
            "  nodeGroups:\n    - {name: self, instanceType: m5.large}\n"
        )
    ));
    let e = eksim::scenario::load(&bad.scenario)
        .unwrap_err()
        .to_string();
    assert!(e.contains("is self-managed"), "{e}");
}
