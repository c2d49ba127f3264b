//! Node group health: injected launch failures and the DEGRADED → ACTIVE cycle.

use crate::common::*;

#[test]
fn insufficient_capacity_in_one_az_degrades_the_group_until_the_asg_launches_elsewhere() {
    let c = Case::new(&format!(
        "horizon: 30m\nlatency: {{nodeLaunch: {{fixed: 30s}}}}\nlaunchFailures:\n  - {{nodeGroup: ng, zone: us-east-1a, to: 10m}}\n{}",
        cluster(
            "[us-east-1a, us-east-1b, us-east-1c]",
            "  managedNodeGroups:\n    - {name: ng, instanceType: m5.large, desiredCapacity: 3}\n"
        )
    ));
    let r = c.run(None, "o");
    // t=0: the us-east-1a launch fails (nothing billed), b and c launch. The ASG retries every
    // 60 s, rotating AZs: at 60 s in a (fails again), at 120 s in b (succeeds).
    let nodes = read_csv(&c.out("o/nodes.csv"));
    let placed: Vec<(&str, &str)> = nodes
        .iter()
        .map(|n| (n["zone"].as_str(), n["launch_s"].as_str()))
        .collect();
    assert_eq!(
        placed,
        vec![
            ("us-east-1b", "0.000"),
            ("us-east-1c", "0.000"),
            ("us-east-1b", "120.000")
        ]
    );
    let groups = read_csv(&c.out("o/nodegroups.csv"));
    let rows: Vec<(&str, &str, &str)> = groups
        .iter()
        .map(|g| (g["t_s"].as_str(), g["status"].as_str(), g["issue"].as_str()))
        .collect();
    assert_eq!(
        rows,
        vec![
            ("0.000", "ACTIVE", ""),
            ("0.000", "DEGRADED", "InsufficientInstanceCapacity"),
            ("120.000", "ACTIVE", "")
        ]
    );
    assert_eq!(r.summary.scheduling.launch_failures, 2);
}

#[test]
fn a_node_that_never_joins_is_a_node_creation_failure() {
    let c = Case::new(&format!(
        "horizon: 1h\nlatency: {{nodeLaunch: {{empirical: [20m, 30s]}}}}\nseed: 1\n{}",
        cluster(
            "[us-east-1a, us-east-1b]",
            "  managedNodeGroups:\n    - {name: ng, instanceType: m5.large, desiredCapacity: 4}\n"
        )
    ));
    c.run(None, "o");
    let nodes = read_csv(&c.out("o/nodes.csv"));
    let failed: Vec<_> = nodes
        .iter()
        .filter(|n| n["termination_reason"] == "NodeCreationFailure")
        .collect();
    assert!(!failed.is_empty());
    // Terminated 15 minutes after launch, billed for those 15 minutes, and replaced at once.
    for f in &failed {
        assert_eq!(
            ms(&f["terminated_s"]).unwrap() - ms(&f["launch_s"]).unwrap(),
            900_000
        );
        assert_eq!(f["ready_s"], "");
    }
    let live = nodes
        .iter()
        .filter(|n| n["terminated_s"].is_empty())
        .count();
    assert!(live >= 4, "{live}");
    let groups = read_csv(&c.out("o/nodegroups.csv"));
    assert!(groups.iter().any(|g| g["issue"] == "NodeCreationFailure"));
}
