//! Spot: prices from the scenario, the 2-minute notice, ASG replacement, pods recreated.

use crate::common::*;

#[test]
fn scripted_interruption_evicts_replaces_and_bills_spot_prices() {
    let c = Case::new(&format!(
        "horizon: 30m\nlatency: {{nodeLaunch: {{fixed: 30s}}, imagePull: {{ec2: {{fixed: 0s}}}}, containerStart: {{fixed: 0s}}}}\npricing: {{spot: {{discount: 0.7}}}}\nevents:\n  - {{at: 10m, spotInterruption: {{nodeGroup: spot, count: 1}}}}\n{}workload:\n  - deployment: {{name: web, replicas: 2, cpu: 1500m, memory: 1Gi}}\n",
        cluster(
            "[us-east-1a, us-east-1b]",
            "  managedNodeGroups:\n    - {name: spot, instanceType: m5.large, spot: true, desiredCapacity: 2, minSize: 2, maxSize: 4}\n"
        )
    ));
    let r = c.run(None, "o");
    let nodes = read_csv(&c.out("o/nodes.csv"));
    // m5.large on Spot at 70% off: 0.096 × 0.3 = $0.0288/h.
    assert!(
        nodes
            .iter()
            .all(|n| n["capacity_type"] == "SPOT" && n["price_per_hour_usd"] == "0.0288")
    );
    // The notice at 600 s cordons spot-0; it ends at 720 s; the ASG launches spot-2 at 600 s.
    assert_eq!(
        (
            nodes[0]["terminated_s"].as_str(),
            nodes[0]["termination_reason"].as_str()
        ),
        ("720.000", "SpotInterruption")
    );
    assert_eq!(nodes[2]["launch_s"], "600.000");
    assert_eq!(nodes[2]["ready_s"], "630.000");
    let pods = read_csv(&c.out("o/pods.csv"));
    // The evicted replica leaves after its 30 s grace; its replacement, created at the notice,
    // waits for spot-2 (each m5.large holds one 1500m replica) and runs there from 630 s.
    let evicted: Vec<_> = pods.iter().filter(|p| p["outcome"] == "evicted").collect();
    assert_eq!(evicted.len(), 1);
    assert_eq!(evicted[0]["finished_s"], "630.000");
    let replacement = pods.iter().find(|p| p["submit_s"] == "600.000").unwrap();
    assert_eq!(
        (
            replacement["node"].as_str(),
            replacement["scheduled_s"].as_str()
        ),
        ("spot-2", "630.000")
    );
    assert_eq!(r.summary.scheduling.spot_interruptions, 1);
}

#[test]
fn spot_without_a_price_is_refused() {
    let c = Case::new(&format!(
        "horizon: 1h\n{}",
        cluster(
            "[us-east-1a, us-east-1b]",
            "  managedNodeGroups:\n    - {name: s, instanceType: m5.large, spot: true, desiredCapacity: 1}\n"
        )
    ));
    let e = eksim::scenario::load(&c.scenario).unwrap_err().to_string();
    assert!(e.contains("runs on Spot but has no Spot price"), "{e}");
}
