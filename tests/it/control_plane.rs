//! Control plane availability and failures with hand-worked expectations, and an analytic
//! check of k-of-n availability.

use crate::common::*;

fn run(
    extra: &str,
    zones: &str,
    groups: &str,
    workload: &str,
) -> (Case, eksim::sim::engine::RunResult) {
    let c = Case::new(&format!(
        "horizon: 1h\nlatency: {{nodeLaunch: {{fixed: 30s}}, imagePull: {{ec2: {{fixed: 0s}}}}, containerStart: {{fixed: 0s}}}}\n{extra}{}{workload}",
        cluster(zones, groups)
    ));
    let r = c.run(None, "o");
    (c, r)
}

const ZONES3: &str = "[us-east-1a, us-east-1b, us-east-1c]";
const CP_TIMING: &str = "controlPlane: {detectionDelay: 1m, replacementTime: {fixed: 10m}}\n";

#[test]
fn one_etcd_member_down_keeps_the_api_two_take_it_down_until_replaced() {
    let (_, r) = run(
        &format!(
            "{CP_TIMING}events: [{{at: 10m, controlPlaneFailure: {{component: etcd, count: 1}}}}]\n"
        ),
        ZONES3,
        "",
        "",
    );
    assert_eq!(r.summary.control_plane.api_availability, 1.0);
    // Two of three down at 600 s: no quorum until both replacements (1 + 10 min) at 1260 s.
    // Availability 1 − 660 / 3600 = 0.816667; SLA credit 100% (below 95%).
    let (c, r) = run(
        &format!(
            "{CP_TIMING}events: [{{at: 10m, controlPlaneFailure: {{component: etcd, count: 2}}}}]\n"
        ),
        ZONES3,
        "",
        "",
    );
    assert_eq!(r.summary.control_plane.api_availability, 0.816667);
    assert_eq!(r.summary.control_plane.sla_credit_percent, 100);
    let incidents = read_csv(&c.out("o/incidents.csv"));
    let api: Vec<_> = incidents
        .iter()
        .filter(|i| i["kind"] == "api-unavailable")
        .collect();
    assert_eq!(
        (api[0]["start_s"].as_str(), api[0]["end_s"].as_str()),
        ("600.000", "1260.000")
    );
    let tl = read_csv(&c.out("o/timeline.csv"));
    let at = |t: &str| tl.iter().find(|r| r["t_s"] == t).unwrap()["api_available"].clone();
    assert_eq!(
        (at("540.000"), at("660.000"), at("1320.000")),
        ("1".into(), "0".into(), "1".into())
    );
}

#[test]
fn an_az_outage_with_api_servers_in_two_azs_keeps_the_api_up() {
    // API servers in a and b, etcd in a, b, c: zone a down leaves one API server and 2 of 3.
    let (c, r) = run(
        &format!(
            "{CP_TIMING}events: [{{at: 10m, azOutage: {{zone: us-east-1a, duration: 30m}}}}]\n"
        ),
        ZONES3,
        "",
        "",
    );
    assert_eq!(r.summary.control_plane.api_availability, 1.0);
    let incidents = read_csv(&c.out("o/incidents.csv"));
    assert!(incidents.iter().any(|i| i["kind"] == "az-outage"
        && i["zone"] == "us-east-1a"
        && i["end_s"] == "2400.000"));
}

#[test]
fn a_single_replica_self_managed_control_plane_waits_for_its_repair() {
    // One API server and one etcd in us-east-1a; the AZ is down 600–1800 s; the operator's repair
    // takes 1 h from the failure, so the API is back at 4200 s: availability 1 − 3600/7200.
    let c = Case::new(&format!(
        "horizon: 2h\ncontrolPlane: {{mode: self-managed, apiServers: 1, etcdMembers: 1, repairTime: {{fixed: 1h}}}}\nevents: [{{at: 10m, azOutage: {{zone: us-east-1a, duration: 20m}}}}]\n{}",
        cluster(ZONES3, "")
    ));
    let r = c.run(None, "o");
    assert_eq!(r.summary.control_plane.api_availability, 0.5);
    assert_eq!(r.summary.control_plane.mode, "self-managed");
}

#[test]
fn scheduling_stops_during_an_api_outage_and_resumes_after() {
    // etcd quorum lost 600–1260 s. A pod created at 900 s waits for the API: scheduled at 1260 s.
    let (c, _) = run(
        &format!(
            "{CP_TIMING}events: [{{at: 10m, controlPlaneFailure: {{component: etcd, count: 2}}}}]\n"
        ),
        ZONES3,
        "  managedNodeGroups:\n    - {name: ng, instanceType: m5.large, desiredCapacity: 1}\n",
        "workload:\n  - generator: {name: j, arrivals: {every: 1h}, start: 15m, count: 1, duration: {fixed: 1m}, cpu: 100m, memory: 64Mi}\n",
    );
    let pods = read_csv(&c.out("o/pods.csv"));
    assert_eq!(
        (
            pods[0]["submit_s"].as_str(),
            pods[0]["scheduled_s"].as_str()
        ),
        ("900.000", "1260.000")
    );
}

#[test]
fn pods_on_nodes_of_a_failed_az_are_recreated_elsewhere_after_the_eviction_timeout() {
    // Two nodes (a, b), one 1500m replica each; the control plane spans a, b and c, so it keeps
    // its quorum. Zone a fails at 600 s: after node-monitor-grace
    // 40 s + toleration 300 s the replica is evicted (940 s) and recreated; node b is full, so it
    // waits for the ASG's replacement of the unhealthy node (10 min → 1200 s, launched in b, Ready
    // at 1230 s).
    let (c, r) = run(
        "ec2: {unhealthyReplacementDelay: 10m}\nevents: [{at: 10m, azOutage: {zone: us-east-1a, duration: 1h}}]\n",
        ZONES3,
        "  managedNodeGroups:\n    - {name: ng, instanceType: m5.large, desiredCapacity: 2, availabilityZones: [us-east-1a, us-east-1b]}\n",
        "workload:\n  - deployment: {name: web, replicas: 2, cpu: 1500m, memory: 1Gi}\n",
    );
    let pods = read_csv(&c.out("o/pods.csv"));
    let evicted: Vec<_> = pods.iter().filter(|p| p["outcome"] == "evicted").collect();
    assert_eq!(evicted.len(), 1);
    assert_eq!(evicted[0]["finished_s"], "940.000");
    let replacement = pods.iter().find(|p| p["submit_s"] == "940.000").unwrap();
    assert_eq!(
        (
            replacement["scheduled_s"].as_str(),
            replacement["zone"].as_str()
        ),
        ("1230.000", "us-east-1b")
    );
    assert_eq!(r.summary.pods.running, 2);
    let nodes = read_csv(&c.out("o/nodes.csv"));
    assert_eq!(
        (
            nodes[0]["terminated_s"].as_str(),
            nodes[0]["termination_reason"].as_str()
        ),
        ("1200.000", "Unhealthy")
    );
}

#[test]
fn long_run_availability_matches_the_k_of_n_formula() {
    // Every instance fails after Exp(mean 10 h) and is replaced after Exp(mean 2 h): each is up
    // a = 10 / 12 of the time, independently. The API needs >= 1 of 2 API servers and >= 2 of 3
    // etcd members:
    //   A = [1 − (1 − a)^2] · [a^3 + 3 a^2 (1 − a)] = (35/36) · (25/27) = 0.900206.
    let a: f64 = 10.0 / 12.0;
    let expected = (1.0 - (1.0 - a).powi(2)) * (a.powi(3) + 3.0 * a * a * (1.0 - a));
    let runs: Vec<f64> = (0..8)
        .map(|seed| {
            let c = Case::new(&format!(
                "horizon: 365d\nseed: {seed}\noutput: {{sampleInterval: 1d}}\ncontrolPlane: {{mtbf: {{exponential: {{mean: 10h}}}}, detectionDelay: 0s, replacementTime: {{exponential: {{mean: 2h}}}}}}\n{}",
                cluster(ZONES3, "")
            ));
            c.run(None, "o").summary.control_plane.api_availability
        })
        .collect();
    let n = runs.len() as f64;
    let mean = runs.iter().sum::<f64>() / n;
    let sd = (runs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    // 99.9% confidence interval of the mean (t with 7 degrees of freedom: 5.408).
    let half = 5.408 * sd / n.sqrt();
    assert!(
        (mean - expected).abs() <= half.max(0.002),
        "simulated {mean} ± {half}, formula {expected}"
    );
}

#[test]
fn replicas_are_identical_whatever_the_thread_count() {
    let c = Case::new(&format!(
        "horizon: 10d\noutput: {{sampleInterval: 1h}}\ncontrolPlane: {{mode: self-managed, apiServers: 1, etcdMembers: 1, mtbf: {{exponential: {{mean: 48h}}}}, repairTime: {{fixed: 2h}}}}\n{}",
        cluster(ZONES3, "")
    ));
    let sc = eksim::scenario::load(&c.scenario).unwrap();
    let run_with = |threads: usize, out: &str| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| eksim::sim::replicas::run_replicas(&sc, 100, 6, &c.out(out)).unwrap())
    };
    let one = run_with(1, "one");
    let two = run_with(2, "two");
    assert_eq!(one, two);
    assert_eq!(
        std::fs::read(c.out("one/replicas.csv")).unwrap(),
        std::fs::read(c.out("two/replicas.csv")).unwrap()
    );
    assert_eq!(one.seeds, vec![100, 101, 102, 103, 104, 105]);
    // A single replica that fails every 48 h on average and takes 2 h to repair is down about
    // 2 / 50 of the time.
    assert!(
        one.api_availability.mean < 0.99 && one.api_availability.mean > 0.9,
        "{:?}",
        one.api_availability
    );
}

#[test]
fn a_partitioned_az_keeps_its_nodes_but_loses_their_pods_after_the_timeout() {
    // Zone a is cut off 600–2400 s. The control plane keeps its majority; the node in a is
    // NotReady, its replica is evicted at 600 + 40 + 300 = 940 s and recreated on the node in b
    // (room for both); the node is not replaced and is Ready again when the partition heals.
    let (c, r) = run(
        "events: [{at: 10m, azPartition: {zone: us-east-1a, duration: 30m}}]\n",
        ZONES3,
        "  managedNodeGroups:\n    - {name: ng, instanceType: m5.large, desiredCapacity: 2, availabilityZones: [us-east-1a, us-east-1b]}\n",
        "workload:\n  - deployment: {name: web, replicas: 2, cpu: 500m, memory: 256Mi}\n",
    );
    assert_eq!(r.summary.control_plane.api_availability, 1.0);
    let pods = read_csv(&c.out("o/pods.csv"));
    let evicted: Vec<_> = pods.iter().filter(|p| p["outcome"] == "evicted").collect();
    assert_eq!(
        (evicted.len(), evicted[0]["finished_s"].as_str()),
        (1, "940.000")
    );
    let replacement = pods.iter().find(|p| p["submit_s"] == "940.000").unwrap();
    assert_eq!(
        (
            replacement["scheduled_s"].as_str(),
            replacement["zone"].as_str()
        ),
        ("940.000", "us-east-1b")
    );
    let nodes = read_csv(&c.out("o/nodes.csv"));
    assert_eq!(nodes.len(), 2);
    assert!(nodes.iter().all(|n| n["terminated_s"].is_empty()));
    let incidents = read_csv(&c.out("o/incidents.csv"));
    assert!(incidents.iter().any(|i| i["kind"] == "az-partition"));
}
