//! Cost attribution and waste: hand-computed cases from the OpenCost method (node price split
//! between CPU and memory in the ratio of the Fargate per-resource rates, pods paying for their
//! requests) and the invariants that must hold on every bundled scenario (attribution + idle =
//! node cost, exactly, per node and in total).

use std::collections::BTreeMap;

use crate::common::*;

/// Fargate us-east-1 rates (EKS_FACTS "Fargate for EKS"): the CPU : memory price ratio.
const VCPU_HOUR: f64 = 0.04048;
const GB_HOUR: f64 = 0.004445;

#[test]
fn ec2_pods_pay_their_requested_share_from_binding_to_exit() {
    let case = Case::new(&format!(
        "horizon: 10m\nseed: 1\ndaemonSets: []\n\
         latency: {{nodeLaunch: {{fixed: 30s}}, imagePull: {{ec2: {{fixed: 4s}}}}, containerStart: {{fixed: 1s}}}}\n\
         {}\
         workload:\n  - generator: {{name: jobs, arrivals: {{every: 60s}}, count: 3, duration: {{fixed: 10s}}, cpu: 1, memory: 1Gi}}\n",
        cluster(
            "[us-east-1a, us-east-1b]",
            "  managedNodeGroups:\n    - {name: ng, instanceType: m5.large, minSize: 1, maxSize: 1, desiredCapacity: 1}\n"
        )
    ));
    let r = case.run(None, "out");
    let nodes = read_csv(&case.out("out/nodes.csv"));
    let pods = read_csv(&case.out("out/pods.csv"));
    assert_eq!(nodes.len(), 1);
    let alloc_cpu: f64 = nodes[0]["cpu_allocatable_m"].parse().unwrap();
    let alloc_mem: f64 = nodes[0]["memory_allocatable_mib"].parse().unwrap();
    // The node's $0.096/h split in the Fargate ratio over its allocatable; a pod of 1 vCPU and
    // 1 GiB pays its share of each part.
    let w_cpu = VCPU_HOUR * alloc_cpu / 1000.0;
    let w_mem = GB_HOUR * alloc_mem / 1024.0;
    let rate = 0.096
        * (w_cpu / (w_cpu + w_mem) * 1000.0 / alloc_cpu
            + w_mem / (w_cpu + w_mem) * 1024.0 / alloc_mem);
    // Bound 30→45 s (waited for the node), 60→71 s and 120→131 s (image cached).
    let expected = |secs: f64| (rate * secs / 3600.0 * 1e6).floor() as i64;
    let got: Vec<i64> = pods
        .iter()
        .map(|p| micros(&p["attributed_cost_usd"]))
        .collect();
    assert_eq!(got, vec![expected(15.0), expected(11.0), expected(11.0)]);
    // The node: 600 s at $0.096/h = $0.016; no DaemonSets; everything else is idle.
    assert_eq!(micros(&nodes[0]["cost_usd"]), 16_000);
    let a = &r.summary.attribution;
    let pods_sum: i64 = got.iter().sum();
    assert_eq!((a.ec2_pods_usd * 1e6).round() as i64, pods_sum);
    assert_eq!(a.ec2_daemonsets_usd, 0.0);
    assert_eq!(
        ((a.ec2_idle_usd * 1e6).round() as i64),
        16_000 - pods_sum,
        "idle = node cost − attributed"
    );
    // Idle in node-hours: the idle dollars over the node's price.
    let idle_hours = (16_000 - pods_sum) as f64 / 1e6 / 0.096;
    assert!((r.summary.waste.ec2_idle_node_hours - idle_hours).abs() < 2e-6);
    assert_eq!(a.by_namespace.len(), 1);
    assert_eq!(
        (a.by_namespace["default"].ec2_usd * 1e6).round() as i64,
        pods_sum
    );
    assert_eq!(a.by_namespace["default"].fargate_usd, 0.0);
    // The timeline accrues each part: at the 600 s horizon the node has cost $0.016 and the
    // control plane $0.10/h × 600 s = $0.016667; the total column is their sum.
    let timeline = read_csv(&case.out("out/timeline.csv"));
    let last = timeline.last().unwrap();
    assert_eq!(last["t_s"], "600.000");
    assert_eq!(micros(&last["cost_usd_cumulative_ec2"]), 16_000);
    assert_eq!(micros(&last["cost_usd_cumulative_fargate"]), 0);
    assert_eq!(micros(&last["cost_usd_cumulative_control_plane"]), 16_667);
    assert_eq!(micros(&last["cost_usd_cumulative"]), 32_667);
}

#[test]
fn daemonsets_pay_from_ready_to_the_end() {
    let case = Case::new(&format!(
        "horizon: 1h\nseed: 1\n\
         daemonSets: [{{name: agent, cpu: 500m, memory: 512Mi}}]\n\
         latency: {{nodeLaunch: {{fixed: 60s}}}}\n{}",
        cluster(
            "[us-east-1a, us-east-1b]",
            "  managedNodeGroups:\n    - {name: ng, instanceType: m5.large, minSize: 1, maxSize: 1, desiredCapacity: 1}\n"
        )
    ));
    let r = case.run(None, "out");
    let nodes = read_csv(&case.out("out/nodes.csv"));
    let alloc_cpu: f64 = nodes[0]["cpu_allocatable_m"].parse().unwrap();
    let alloc_mem: f64 = nodes[0]["memory_allocatable_mib"].parse().unwrap();
    let w_cpu = VCPU_HOUR * alloc_cpu / 1000.0;
    let w_mem = GB_HOUR * alloc_mem / 1024.0;
    let rate = 0.096
        * (w_cpu / (w_cpu + w_mem) * 500.0 / alloc_cpu
            + w_mem / (w_cpu + w_mem) * 512.0 / alloc_mem);
    // Ready at 60 s, alive at the 3,600 s horizon: 3,540 s of DaemonSet requests.
    let ds = (rate * 3540.0 / 3600.0 * 1e6).floor() as i64;
    let a = &r.summary.attribution;
    assert_eq!((a.ec2_daemonsets_usd * 1e6).round() as i64, ds);
    assert_eq!(r.summary.cost_usd.ec2, 0.096);
    assert_eq!((a.ec2_idle_usd * 1e6).round() as i64, 96_000 - ds);
}

#[test]
fn fargate_rounding_and_minimum_charge_waste_by_hand() {
    let case = Case::new(&format!(
        "horizon: 10m\nseed: 1\n\
         latency: {{fargateProvision: {{fixed: 30s}}, imagePull: {{fargate: {{fixed: 5s}}}}, containerStart: {{fixed: 1s}}}}\n\
         {}\
         workload:\n\
         \x20 - generator: {{name: short, namespace: batch, arrivals: {{every: 1s}}, count: 1, duration: {{fixed: 10s}}, cpu: 1, memory: 8Gi}}\n\
         \x20 - generator: {{name: long, namespace: batch, arrivals: {{every: 1s}}, count: 1, cpu: 100m, memory: 128Mi}}\n",
        cluster(
            "[us-east-1a, us-east-1b, us-east-1c]",
            "  fargateProfiles:\n    - name: fp\n      selectors: [{namespace: batch}]\n"
        )
    ));
    let r = case.run(None, "out");
    let pods = read_csv(&case.out("out/pods.csv"));
    // Fargate pods are attributed exactly their own bill.
    for p in &pods {
        assert_eq!(p["attributed_cost_usd"], p["cost_usd"], "{}", p["pod"]);
    }
    let w = &r.summary.waste;
    // short: 1 vCPU / 8 GiB runs on 2 vCPU / 9 GB, billed 60 s (1/60 h): 1 vCPU and 1 GB over.
    // long: 0.1 vCPU / 0.125 GiB on 0.25 / 0.5, billed 570 s: 0.15 vCPU and 0.375 GB over.
    let vcpu_h = 1.0 / 60.0 + 0.15 * 570.0 / 3600.0;
    let gb_h = 1.0 / 60.0 + 0.375 * 570.0 / 3600.0;
    assert!((w.fargate_rounding_vcpu_hours - vcpu_h).abs() < 1e-6);
    assert!((w.fargate_rounding_gb_hours - gb_h).abs() < 1e-6);
    assert!((w.fargate_rounding_usd - (vcpu_h * VCPU_HOUR + gb_h * GB_HOUR)).abs() < 1e-6);
    // short used 16 s of its 60 s minimum: 44 s at (2 × 0.04048 + 9 × 0.004445) $/h.
    let minimum = 44.0 / 3600.0 * (2.0 * VCPU_HOUR + 9.0 * GB_HOUR);
    assert!((w.fargate_minimum_charge_usd - minimum).abs() < 1e-6);
    let a = &r.summary.attribution;
    assert_eq!(a.fargate_pods_usd, r.summary.cost_usd.fargate);
    assert_eq!(
        a.by_namespace["batch"].fargate_usd,
        r.summary.cost_usd.fargate
    );
    assert_eq!(a.ec2_pods_usd + a.ec2_idle_usd, 0.0);
}

/// On every bundled scenario that has EC2 nodes or Fargate pods: per node, what its pods were
/// attributed never exceeds its cost; in total, pods + DaemonSets + idle = EC2 cost and Fargate
/// attribution = Fargate cost, to the micro-dollar; namespaces add up to the same.
#[test]
fn attribution_adds_up_on_the_bundled_scenarios() {
    let root = root();
    for name in [
        "quickstart",
        "autoscaling-ca",
        "autoscaling-karpenter",
        "spot-interruptions",
        "mng-upgrade",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_eksim"))
            .arg("run")
            .arg(root.join(format!("scenarios/{name}.yaml")))
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(
            status.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&status.stderr)
        );
        let s = summary(&out);
        let pods = read_csv(&out.join("pods.csv"));
        let nodes = read_csv(&out.join("nodes.csv"));
        let mut per_node: BTreeMap<&str, i64> = BTreeMap::new();
        let (mut ec2, mut fargate) = (0i64, 0i64);
        let mut per_ns: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
        for p in &pods {
            let a = micros(&p["attributed_cost_usd"]);
            if !p["node_group"].is_empty() {
                *per_node.entry(p["node"].as_str()).or_default() += a;
                ec2 += a;
                per_ns.entry(p["namespace"].as_str()).or_default().0 += a;
            } else {
                assert_eq!(a, micros(&p["cost_usd"]), "{name}: {}", p["pod"]);
                fargate += a;
                if a > 0 {
                    per_ns.entry(p["namespace"].as_str()).or_default().1 += a;
                }
            }
        }
        let mut node_total = 0i64;
        for n in &nodes {
            let cost = micros(&n["cost_usd"]);
            node_total += cost;
            let attributed = per_node.get(n["node"].as_str()).copied().unwrap_or(0);
            assert!(
                attributed <= cost,
                "{name}: node {} attributed {attributed} > cost {cost}",
                n["node"]
            );
        }
        let usd = |p: &str| (s.pointer(p).unwrap().as_f64().unwrap() * 1e6).round() as i64;
        assert_eq!(usd("/attribution/ec2_pods_usd"), ec2, "{name}");
        assert_eq!(usd("/attribution/fargate_pods_usd"), fargate, "{name}");
        assert_eq!(usd("/cost_usd/fargate"), fargate, "{name}");
        assert_eq!(usd("/cost_usd/ec2"), node_total, "{name}");
        assert_eq!(
            usd("/attribution/ec2_pods_usd")
                + usd("/attribution/ec2_daemonsets_usd")
                + usd("/attribution/ec2_idle_usd"),
            node_total,
            "{name}: pods + DaemonSets + idle = EC2 cost"
        );
        assert!(ec2 > 0 || fargate > 0, "{name}: nothing attributed");
        for (ns, (e, f)) in &per_ns {
            let key = format!("/attribution/by_namespace/{ns}");
            assert_eq!(usd(&format!("{key}/ec2_usd")), *e, "{name} {ns}");
            assert_eq!(usd(&format!("{key}/fargate_usd")), *f, "{name} {ns}");
        }
        // The timeline's cumulative cost per part ends at the bill (rounding and the 60 s
        // minimum are accrued when an item ends); the bill floors each item to the
        // micro-dollar, so the two may differ by up to one micro-dollar per item.
        let timeline = read_csv(&out.join("timeline.csv"));
        let last = timeline.last().unwrap();
        for (part, items) in [("ec2", nodes.len()), ("fargate", pods.len())] {
            let accrued = micros(&last[&format!("cost_usd_cumulative_{part}")]);
            let billed = usd(&format!("/cost_usd/{part}"));
            assert!(
                (accrued - billed).abs() <= items as i64 + 1,
                "{name}: timeline {part} {accrued} vs billed {billed}"
            );
        }
    }
}
