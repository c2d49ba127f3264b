//! `eksim explain`: a pod's scheduling cycles and its outcome, the same as a full run gives,
//! whether or not the run stops once the pod is done.

use std::process::Command;

use eksim::scenario;
use eksim::sim::engine::{RunOptions, RunResult, run};

use crate::common::{Case, read_csv};

/// A spot group that loses both nodes at 1 h to a scripted interruption (and gets new ones), a
/// StatefulSet `db` of 2 and a Deployment `web` of 2 held on spot, and short jobs all along on
/// an on-demand group too.
const SCENARIO: &str = "\
name: explain
horizon: 3h
seed: 5
cluster:
  metadata: {name: x, region: us-east-1, version: \"1.30\"}
  availabilityZones: [us-east-1a, us-east-1b, us-east-1c]
  managedNodeGroups:
    - {name: spot, instanceTypes: [m5.xlarge], spot: true, minSize: 2, maxSize: 2, desiredCapacity: 2, labels: {lifecycle: spot}}
    - {name: base, instanceType: m5.xlarge, minSize: 2, maxSize: 2, desiredCapacity: 2}
pricing:
  spot: {discount: 0.65}
events:
  - at: 1h
    spotInterruption: {nodeGroup: spot, count: 2}
workload:
  - manifests: {file: k8s.yaml}
  - generator:
      name: jobs
      namespace: batch
      arrivals: {poisson: {ratePerMinute: 4}}
      duration: {exponential: {mean: 3m}}
      cpu: 250m
      memory: 256Mi
";

const MANIFESTS: &str = "\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec:
  replicas: 2
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      nodeSelector: {lifecycle: spot}
      containers: [{name: db, image: pg, resources: {requests: {cpu: 500m, memory: 1Gi}}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      nodeSelector: {lifecycle: spot}
      containers: [{name: web, image: web, resources: {requests: {cpu: 500m, memory: 1Gi}}}]
";

fn case() -> Case {
    let c = Case::new(SCENARIO);
    c.file("k8s.yaml", MANIFESTS);
    c
}

fn explain(c: &Case, pod: &str, stop: bool, out: &str) -> RunResult {
    let sc = scenario::load(&c.scenario).unwrap_or_else(|e| panic!("{e}"));
    run(
        &sc,
        &RunOptions {
            out_dir: c.out(out),
            explain_pod: Some(pod.to_string()),
            stop_when_explained: stop,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// The explanation's cycles as comparable text: time, chosen node, failure.
fn cycles(r: &RunResult) -> Vec<String> {
    r.explained
        .iter()
        .map(|c| format!("{:?} {:?} {:?}", c.at, c.trace.chosen, c.failure))
        .collect()
}

#[test]
fn a_run_stopped_when_the_pod_is_done_explains_it_as_a_full_run_does() {
    let c = case();
    let full = c.run(None, "full");
    let pods = read_csv(&c.out("full").join("pods.csv"));
    let row = |name: &str| pods.iter().find(|r| r["pod"] == name).unwrap().clone();
    // A job done long before the horizon, and a web replica the interruption evicted (its
    // replacement has another name).
    let job = pods
        .iter()
        .find(|r| r["group"] == "jobs" && r["outcome"] == "succeeded")
        .unwrap()["pod"]
        .clone();
    assert_eq!(row("web-0")["outcome"], "evicted", "{:?}", row("web-0"));
    for pod in [job.as_str(), "web-0"] {
        let stopped = explain(&c, pod, true, "stopped");
        let whole = explain(&c, pod, false, "whole");
        assert_eq!(cycles(&stopped), cycles(&whole), "{pod}");
        assert!(!stopped.explained.is_empty(), "{pod}");
        assert_eq!(stopped.explained_outcome, whole.explained_outcome, "{pod}");
        let outcome: std::collections::BTreeMap<_, _> = stopped
            .explained_outcome
            .clone()
            .unwrap()
            .into_iter()
            .collect();
        assert_eq!(outcome, row(pod), "{pod}");
        // It stopped at the event that wrote the pod's row, well before the horizon.
        let partial = stopped.summary.partial.clone().unwrap();
        assert_eq!(partial.reason, "explained-pod-done");
        if pod == job {
            assert_eq!(
                format!("{:.3}", partial.stopped_at_s),
                row(pod)["finished_s"]
            );
        }
        assert!(stopped.summary.events < full.summary.events, "{pod}");
        assert_eq!(whole.summary.events, full.summary.events, "{pod}");
    }
}

#[test]
fn a_statefulset_pod_recreated_under_its_name_is_followed_to_the_end() {
    let c = case();
    c.run(None, "full");
    let pods = read_csv(&c.out("full").join("pods.csv"));
    // db-0 was evicted at the interruption and came back as db-0.
    let db0: Vec<_> = pods.iter().filter(|r| r["pod"] == "db-0").collect();
    assert_eq!(db0.len(), 2, "{db0:?}");
    assert_eq!(db0[0]["outcome"], "evicted");
    let stopped = explain(&c, "db-0", true, "stopped");
    let whole = explain(&c, "db-0", false, "whole");
    assert!(stopped.summary.partial.is_none());
    assert_eq!(stopped.summary.events, whole.summary.events);
    assert_eq!(cycles(&stopped), cycles(&whole));
    // Both incarnations' cycles: one before the interruption, at least one after.
    assert!(stopped.explained.len() >= 2, "{:?}", cycles(&stopped));
    assert_eq!(stopped.explained_outcome, whole.explained_outcome);
}

#[test]
fn cli_explains_a_pod_and_names_an_unknown_one() {
    let c = case();
    let eksim = |pod: &str| {
        Command::new(env!("CARGO_BIN_EXE_eksim"))
            .arg("explain")
            .arg(&c.scenario)
            .args(["--pod", pod])
            .output()
            .unwrap()
    };
    let out = eksim("web-0");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.starts_with("pod web-0 (namespace shop, cpu 500m, memory 1024Mi), submitted at 0"),
        "{text}"
    );
    assert!(text.contains("\ncycle 1 at "), "{text}");
    assert!(
        text.contains("\noutcome: evicted (capacity ec2, node spot-"),
        "{text}"
    );
    let out = eksim("nope-1");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("no pod named `nope-1` was submitted"), "{err}");
}
