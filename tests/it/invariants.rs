//! Invariants checked from the output files of real runs: no node ever holds more requests than
//! its allocatable; every submitted pod appears exactly once with one outcome; timestamps are
//! ordered; summary totals equal the sums of the files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::common::*;

/// Replays bind/finish intervals from pods.csv per node and checks requests never exceed
/// allocatable (DaemonSet requests included).
fn check_no_overcommit(dir: &Path, ds_cpu: i64, ds_mem: i64, ds_pods: i64) -> usize {
    let nodes = read_csv(&dir.join("nodes.csv"));
    let alloc: BTreeMap<String, (i64, i64, i64)> = nodes
        .iter()
        .map(|n| {
            (
                n["node"].clone(),
                (
                    n["cpu_allocatable_m"].parse().unwrap(),
                    n["memory_allocatable_mib"].parse().unwrap(),
                    n["max_pods"].parse().unwrap(),
                ),
            )
        })
        .collect();
    // (node, time, kind 0 = release before 1 = acquire at the same instant, cpu, mem)
    let mut ev: Vec<(String, i64, u8, i64, i64)> = Vec::new();
    for p in read_csv(&dir.join("pods.csv")) {
        if p["capacity"] != "ec2" {
            continue;
        }
        let (cpu, mem): (i64, i64) = (
            p["cpu_m"].parse().unwrap(),
            p["memory_mib"].parse().unwrap(),
        );
        ev.push((
            p["node"].clone(),
            ms(&p["scheduled_s"]).unwrap(),
            1,
            cpu,
            mem,
        ));
        if let Some(f) = ms(&p["finished_s"]) {
            ev.push((p["node"].clone(), f, 0, cpu, mem));
        }
    }
    ev.sort();
    let mut used: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
    let mut peak_checks = 0;
    for (node, t, kind, cpu, mem) in ev {
        let u = used
            .entry(node.clone())
            .or_insert((ds_cpu, ds_mem, ds_pods));
        if kind == 1 {
            *u = (u.0 + cpu, u.1 + mem, u.2 + 1);
            let a = alloc[&node];
            assert!(
                u.0 <= a.0 && u.1 <= a.1 && u.2 <= a.2,
                "{node} over-committed at {t} ms: {u:?} > {a:?}"
            );
            peak_checks += 1;
        } else {
            *u = (u.0 - cpu, u.1 - mem, u.2 - 1);
        }
    }
    peak_checks
}

fn check_pods_and_totals(dir: &Path) {
    let s = summary(dir);
    let pods = read_csv(&dir.join("pods.csv"));
    let names: BTreeSet<(String, String)> = pods
        .iter()
        .map(|p| (p["namespace"].clone(), p["pod"].clone()))
        .collect();
    assert_eq!(names.len(), pods.len(), "a pod appears twice in pods.csv");
    assert_eq!(pods.len() as u64, s["pods"]["submitted"].as_u64().unwrap());
    let mut outcomes: BTreeMap<String, u64> = BTreeMap::new();
    for p in &pods {
        *outcomes.entry(p["outcome"].clone()).or_default() += 1;
        let t: Vec<Option<i64>> = [
            "submit_s",
            "scheduled_s",
            "pull_start_s",
            "running_s",
            "finished_s",
        ]
        .iter()
        .map(|c| ms(&p[*c]))
        .collect();
        let present: Vec<i64> = t.iter().flatten().copied().collect();
        assert!(
            present.windows(2).all(|w| w[0] <= w[1]),
            "timestamps out of order: {p:?}"
        );
        match p["outcome"].as_str() {
            "succeeded" => assert!(t.iter().all(Option::is_some), "{p:?}"),
            "running" => assert!(t[1].is_some() && t[4].is_none(), "{p:?}"),
            "pending" | "rejected" => assert!(t[1].is_none() && p["capacity"] == "none", "{p:?}"),
            other => panic!("unexpected outcome {other}"),
        }
        // Timestamps are reached in order: no gaps.
        let first_missing = t.iter().position(Option::is_none).unwrap_or(5);
        assert!(t[first_missing..].iter().all(Option::is_none), "{p:?}");
    }
    for (k, v) in &outcomes {
        assert_eq!(s["pods"][k].as_u64().unwrap(), *v, "count of {k}");
    }
    let sum_pods: i64 = pods.iter().map(|p| micros(&p["cost_usd"])).sum();
    let sum_nodes: i64 = read_csv(&dir.join("nodes.csv"))
        .iter()
        .map(|n| micros(&n["cost_usd"]))
        .sum();
    let c = &s["cost_usd"];
    let m = |k: &str| (c[k].as_f64().unwrap() * 1e6).round() as i64;
    assert_eq!(m("fargate"), sum_pods);
    assert_eq!(m("ec2"), sum_nodes);
    assert_eq!(m("total"), m("ec2") + m("fargate") + m("control_plane"));
    // The timeline's last cumulative cost is the accrued cost before minimum charges: never more
    // than the bill.
    let tl = read_csv(&dir.join("timeline.csv"));
    let last = micros(&tl.last().unwrap()["cost_usd_cumulative"]);
    assert!(last <= m("total") + 1, "{last} > {}", m("total"));
    assert_eq!(
        ms(&tl.last().unwrap()["t_s"]).unwrap() as f64,
        s["horizon_s"].as_f64().unwrap() * 1000.0
    );
}

#[test]
fn alibaba_slice_holds_every_invariant() {
    let sc = eksim::scenario::load(&root().join("scenarios/alibaba-2017-slice.yaml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    eksim::sim::engine::run(
        &sc,
        &eksim::sim::engine::RunOptions {
            seed: None,
            out_dir: dir.path().into(),
            explain_pod: None,
            ..Default::default()
        },
    )
    .unwrap();
    // Default DaemonSets: aws-node 25m + kube-proxy 100m, two pod slots.
    let binds = check_no_overcommit(dir.path(), 125, 0, 2);
    assert!(binds > 10_000, "{binds}");
    check_pods_and_totals(dir.path());
}

#[test]
fn a_tight_cluster_queues_pods_but_never_overcommits() {
    // 2 small nodes, 300 pods of mixed sizes arriving fast: most wait, none overflows a node, and
    // what waits at the end is reported as pending with kube-scheduler's reason.
    let case = Case::new(&format!(
        "horizon: 30m\nseed: 3\n{}workload:\n  - generator:\n      name: mix\n      arrivals: {{poisson: {{ratePerMinute: 20}}}}\n      count: 300\n      duration: {{exponential: {{mean: 2m}}}}\n      requests:\n        - {{cpu: 300m, memory: 512Mi, weight: 2}}\n        - {{cpu: 1500m, memory: 3Gi, weight: 1}}\n        - {{cpu: 64, memory: 1Gi, weight: 1}}\n",
        cluster(
            "[us-east-1a, us-east-1b]",
            "  managedNodeGroups:\n    - {name: ng, instanceType: t3.medium, desiredCapacity: 2, maxSize: 2}\n"
        )
    ));
    case.run(None, "out");
    let dir = case.out("out");
    check_no_overcommit(&dir, 125, 0, 2);
    check_pods_and_totals(&dir);
    let pods = read_csv(&dir.join("pods.csv"));
    let big = pods.iter().find(|p| p["cpu_m"] == "64000").unwrap();
    assert_eq!(big["outcome"], "pending");
    assert!(
        big["reason"].starts_with("0/2 nodes are available: 2 Insufficient cpu"),
        "{}",
        big["reason"]
    );
}

#[test]
fn every_shipped_scenario_holds_the_file_invariants() {
    for name in ["quickstart", "fargate-only", "ec2-only"] {
        let sc = eksim::scenario::load(&root().join(format!("scenarios/{name}.yaml"))).unwrap();
        let dir = tempfile::tempdir().unwrap();
        eksim::sim::engine::run(
            &sc,
            &eksim::sim::engine::RunOptions {
                seed: None,
                out_dir: dir.path().into(),
                explain_pod: None,
                ..Default::default()
            },
        )
        .unwrap();
        check_no_overcommit(dir.path(), 125, 0, 2);
        check_pods_and_totals(dir.path());
    }
}
