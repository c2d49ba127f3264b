//! Kubernetes manifests as workloads: controllers create, replace and delete pods as Kubernetes
//! does, with the timing block's schedule.

use crate::common::*;

#[test]
fn deployment_steps_job_completions_and_priority_classes() {
    let sc = eksim::scenario::load(&root().join("scenarios/manifests.yaml")).unwrap();
    let web = sc
        .workload
        .iter()
        .find_map(|w| match w {
            eksim::scenario::WorkloadSpec::Controller(c) if c.name == "web" => Some(c),
            _ => None,
        })
        .unwrap();
    // priorityClassName web-critical resolves to its value; replicas 4, then 8 at 1h, 3 at 3h.
    assert_eq!(web.template.priority, 100_000);
    let steps: Vec<(u64, u64)> = web.replicas.iter().map(|(t, n)| (t.0 / 1000, *n)).collect();
    assert_eq!(steps, vec![(0, 4), (3600, 8), (10_800, 3)]);
    assert_eq!(sc.pdbs.len(), 1);

    let dir = tempfile::tempdir().unwrap();
    let r = eksim::sim::engine::run(
        &sc,
        &eksim::sim::engine::RunOptions {
            seed: None,
            out_dir: dir.path().into(),
            explain_pod: None,
            ..Default::default()
        },
    )
    .unwrap();
    let pods = read_csv(&dir.path().join("pods.csv"));
    let web_pods: Vec<_> = pods.iter().filter(|p| p["group"] == "web").collect();
    // 8 replicas were created in all; the scale-down to 3 deleted the 5 newest (web-7 … web-3),
    // each after the default 30 s grace period.
    assert_eq!(web_pods.len(), 8);
    let mut deleted: Vec<&str> = web_pods
        .iter()
        .filter(|p| p["outcome"] == "deleted")
        .map(|p| p["pod"].as_str())
        .collect();
    deleted.sort();
    assert_eq!(deleted, vec!["web-3", "web-4", "web-5", "web-6", "web-7"]);
    assert!(
        web_pods
            .iter()
            .filter(|p| p["outcome"] == "deleted")
            .all(|p| p["finished_s"] == "10830.000")
    );
    // The Job runs 9 completions, 3 at a time; effective CPU = max(init 1, 250m) = 1000m.
    let job: Vec<_> = pods
        .iter()
        .filter(|p| p["group"] == "nightly-report")
        .collect();
    assert_eq!(job.len(), 9);
    assert!(
        job.iter().all(|p| p["outcome"] == "succeeded"
            && p["cpu_m"] == "1000"
            && p["memory_mib"] == "2048")
    );
    assert_eq!(r.summary.pods.deleted, 5);
    assert_eq!(r.summary.pods.submitted, 17);
}

#[test]
fn inline_manifests_and_timing_errors() {
    let ok = Case::new(&format!(
        "horizon: 1h\n{}workload:\n  - manifests:\n      inline: |\n        apiVersion: v1\n        kind: Pod\n        metadata: {{name: solo}}\n        spec:\n          containers: [{{name: c, image: i, resources: {{requests: {{cpu: 100m}}}}}}]\n      objects:\n        solo: {{at: 5m, duration: {{fixed: 1m}}}}\n",
        cluster(
            "[us-east-1a, us-east-1b]",
            "  managedNodeGroups:\n    - {name: ng, instanceType: m5.large, desiredCapacity: 1}\n"
        )
    ));
    ok.run(None, "o");
    let pods = read_csv(&ok.out("o/pods.csv"));
    assert_eq!(pods.len(), 1);
    assert_eq!(
        (pods[0]["pod"].as_str(), pods[0]["submit_s"].as_str()),
        ("solo", "300.000")
    );
    assert_eq!(pods[0]["outcome"], "succeeded");

    let bad = Case::new(&format!(
        "horizon: 1h\n{}workload:\n  - manifests:\n      inline: |\n        apiVersion: batch/v1\n        kind: Job\n        metadata: {{name: j}}\n        spec:\n          template:\n            spec:\n              containers: [{{name: c, image: i}}]\n      objects:\n        jj: {{at: 1m}}\n",
        cluster("[us-east-1a, us-east-1b]", "")
    ));
    let e = eksim::scenario::load(&bad.scenario)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("objects.jj: no object named `jj` in the manifests (did you mean `j`?)"),
        "{e}"
    );
    assert!(
        e.contains("objects.j.duration: a Job's pods need a run time"),
        "{e}"
    );
}

#[test]
fn deployments_and_generators_take_pod_spec_constraints() {
    let c = Case::new(&format!(
        "horizon: 1h\nlatency: {{nodeLaunch: {{fixed: 10s}}}}\n{}workload:\n  - deployment:\n      name: web\n      replicas: 4\n      cpu: 100m\n      affinity:\n        podAntiAffinity:\n          requiredDuringSchedulingIgnoredDuringExecution:\n            - {{topologyKey: kubernetes.io/hostname, labelSelector: {{matchLabels: {{app: web}}}}}}\n",
        cluster(
            "[us-east-1a, us-east-1b, us-east-1c]",
            "  managedNodeGroups:\n    - {name: ng, instanceType: m5.large, desiredCapacity: 3}\n"
        )
    ));
    c.run(None, "o");
    let pods = read_csv(&c.out("o/pods.csv"));
    // One replica per host: three run, the fourth waits with kube-scheduler's reason.
    let mut nodes: Vec<&str> = pods
        .iter()
        .filter(|p| p["outcome"] == "running")
        .map(|p| p["node"].as_str())
        .collect();
    nodes.sort();
    assert_eq!(nodes, vec!["ng-0", "ng-1", "ng-2"]);
    let waiting: Vec<_> = pods.iter().filter(|p| p["outcome"] == "pending").collect();
    assert_eq!(waiting.len(), 1);
    assert_eq!(
        waiting[0]["reason"],
        "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules."
    );
}
