//! End-to-end billing and timing on tiny scenarios whose every number is worked out by hand from
//! EKS_FACTS (prices, sizing, minimum charges) and fixed latencies.

use crate::common::*;

fn ec2_case() -> Case {
    Case::new(&format!(
        "horizon: 10m\nseed: 1\ndaemonSets: []\n\
         latency: {{nodeLaunch: {{fixed: 30s}}, imagePull: {{ec2: {{fixed: 4s}}}}, containerStart: {{fixed: 1s}}}}\n\
         {}\
         workload:\n  - generator: {{name: jobs, arrivals: {{every: 60s}}, count: 3, duration: {{fixed: 10s}}, cpu: 1, memory: 1Gi}}\n",
        cluster(
            "[us-east-1a, us-east-1b]",
            "  managedNodeGroups:\n    - {name: ng, instanceType: m5.large, minSize: 1, maxSize: 1, desiredCapacity: 1}\n"
        )
    ))
}

#[test]
fn ec2_pod_times_node_cost_and_control_plane_fee_by_hand() {
    let case = ec2_case();
    let r = case.run(None, "out");
    let pods = read_csv(&case.out("out/pods.csv"));
    assert_eq!(pods.len(), 3);
    // Pod 0 arrives at 0, waits for the node (Ready at 30 s), pulls the image (4 s), starts (1 s)
    // and runs 10 s. Pods 1 and 2 find the image cached: running 1 s after arrival.
    let times: Vec<[Option<i64>; 5]> = pods
        .iter()
        .map(|p| {
            [
                ms(&p["submit_s"]),
                ms(&p["scheduled_s"]),
                ms(&p["pull_start_s"]),
                ms(&p["running_s"]),
                ms(&p["finished_s"]),
            ]
        })
        .collect();
    assert_eq!(
        times[0],
        [
            Some(0),
            Some(30_000),
            Some(30_000),
            Some(35_000),
            Some(45_000)
        ]
    );
    assert_eq!(
        times[1],
        [
            Some(60_000),
            Some(60_000),
            Some(60_000),
            Some(61_000),
            Some(71_000)
        ]
    );
    assert_eq!(
        times[2],
        [
            Some(120_000),
            Some(120_000),
            Some(120_000),
            Some(121_000),
            Some(131_000)
        ]
    );
    assert!(
        pods.iter()
            .all(|p| p["capacity"] == "ec2" && p["node"] == "ng-0" && p["cost_usd"] == "0.000000")
    );

    // m5.large: $0.096/h, alive at the 10 min horizon → billed 600 s = $0.016.
    let nodes = read_csv(&case.out("out/nodes.csv"));
    assert_eq!(nodes.len(), 1);
    assert_eq!(nodes[0]["billed_s"], "600.000");
    assert_eq!(nodes[0]["cost_usd"], "0.016000");
    assert_eq!(nodes[0]["ready_s"], "30.000");
    // Allocatable by the EKS AMI formulas: 2000m − (60 + 10)m; 8192 × 0.925 → 7577 − (11×29 + 255) − 100.
    assert_eq!(nodes[0]["cpu_allocatable_m"], "1930");
    assert_eq!(nodes[0]["memory_allocatable_mib"], "6903");
    assert_eq!(nodes[0]["max_pods"], "29");

    let s = &r.summary;
    // Control plane $0.10/h × 1/6 h = 0.0166667 → 0.016667.
    assert_eq!(s.cost_usd.control_plane, 0.016667);
    assert_eq!(s.cost_usd.ec2, 0.016);
    assert_eq!(s.cost_usd.total, 0.032667);
    assert_eq!(s.pending_s.mean, Some(10.0));
    assert_eq!(s.pending_s.max, Some(30.0));
    assert_eq!(s.startup_s.max, Some(35.0));
    assert_eq!(s.pods.succeeded, 3);
}

#[test]
fn fargate_sizing_minimum_and_horizon_cut_by_hand() {
    let case = Case::new(&format!(
        "horizon: 10m\nseed: 1\n\
         latency: {{fargateProvision: {{fixed: 30s}}, imagePull: {{fargate: {{fixed: 5s}}}}, containerStart: {{fixed: 1s}}}}\n\
         {}\
         workload:\n\
         \x20 - generator: {{name: short, namespace: batch, arrivals: {{every: 1s}}, count: 1, duration: {{fixed: 10s}}, cpu: 1, memory: 8Gi}}\n\
         \x20 - generator: {{name: long, namespace: batch, arrivals: {{every: 1s}}, count: 1, cpu: 100m, memory: 128Mi}}\n\
         \x20 - generator: {{name: gpu, namespace: batch, arrivals: {{every: 1s}}, count: 1, duration: {{fixed: 1s}}, cpu: 1, memory: 1Gi, gpu: 1}}\n\
         \x20 - generator: {{name: huge, namespace: batch, arrivals: {{every: 1s}}, count: 1, duration: {{fixed: 1s}}, cpu: 17, memory: 1Gi}}\n",
        cluster(
            "[us-east-1a, us-east-1b, us-east-1c]",
            "  fargateProfiles:\n    - name: fp\n      selectors: [{namespace: batch}]\n"
        )
    ));
    let r = case.run(None, "out");
    let pods = read_csv(&case.out("out/pods.csv"));
    let by = |n: &str| {
        pods.iter()
            .find(|p| p["pod"] == n)
            .unwrap_or_else(|| panic!("{n}"))
    };

    // 1 vCPU + 8 GiB → +256 MiB → 2 vCPU / 9 GB (the User Guide's example). Micro-VM at 30 s, pull
    // 5 s, start 1 s, run 10 s: billed from 30 s to 46 s = 16 s → the 60 s minimum.
    // (2 × 0.04048 + 9 × 0.004445) $/h × 60 s = 0.120965 / 60 = 0.00201608 → 0.002016.
    let short = by("short-0");
    assert_eq!(
        (
            short["fargate_vcpu"].as_str(),
            short["fargate_memory_gb"].as_str()
        ),
        ("2", "9")
    );
    assert_eq!(short["pull_start_s"], "30.000");
    assert_eq!(short["finished_s"], "46.000");
    assert_eq!(short["billed_s"], "60.000");
    assert_eq!(short["cost_usd"], "0.002016");
    assert_eq!(short["capacity"], "fargate");
    assert_eq!(short["fargate_profile"], "fp");

    // 100m + 128 MiB → 0.25 vCPU / 0.5 GB, still running at the 600 s horizon: billed 570 s with
    // no minimum. (0.25 × 0.04048 + 0.5 × 0.004445) × 570 / 3600 = 0.00195423 → 0.001954.
    let long = by("long-0");
    assert_eq!(
        (
            long["fargate_vcpu"].as_str(),
            long["fargate_memory_gb"].as_str()
        ),
        ("0.25", "0.5")
    );
    assert_eq!(long["outcome"], "running");
    assert_eq!(long["billed_s"], "570.000");
    assert_eq!(long["cost_usd"], "0.001954");

    let gpu = by("gpu-0");
    assert_eq!(gpu["outcome"], "rejected");
    assert_eq!(gpu["capacity"], "none");
    assert!(
        gpu["reason"].starts_with("Pod not supported on Fargate"),
        "{}",
        gpu["reason"]
    );
    let huge = by("huge-0");
    assert_eq!(huge["outcome"], "rejected");
    assert!(!huge["reason"].is_empty());
    assert_eq!(huge["cost_usd"], "0.000000");

    assert_eq!(r.summary.pods.rejected, 2);
    assert_eq!(r.summary.cost_usd.fargate, 0.00397);
    assert_eq!(r.summary.cost_usd.ec2, 0.0);
}

#[test]
fn extended_support_and_price_overrides_change_the_bill() {
    let case = Case::new(&format!(
        "horizon: 2h\ncontrolPlane: {{supportTier: extended}}\npricing: {{instances: {{m5.large: 0.5}}}}\nlatency: {{nodeLaunch: {{fixed: 0s}}}}\n{}",
        cluster(
            "[us-east-1a, us-east-1b]",
            "  nodeGroups:\n    - {name: self, instanceType: m5.large, desiredCapacity: 2}\n"
        )
    ));
    let r = case.run(None, "out");
    // $0.60/h × 2 h; two self-managed nodes at the overridden $0.50/h for 2 h.
    assert_eq!(r.summary.cost_usd.control_plane, 1.2);
    assert_eq!(r.summary.cost_usd.ec2, 2.0);
    assert_eq!(r.summary.cost_usd.total, 3.2);
}
