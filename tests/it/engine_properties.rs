//! Property tests of whole runs on random small scenarios (node groups with or without the
//! Cluster Autoscaler, Fargate profiles, generators and Deployments, seeds): every invariant
//! holds after every event (`check_invariants`), a rerun gives the same bytes, the total cost is
//! the sum of its parts, and each pod's timestamps are ordered (submit ≤ scheduled ≤ pull_start
//! ≤ running ≤ finished).

use proptest::prelude::*;

use crate::common::*;

#[derive(Clone, Debug)]
struct Shape {
    instance: &'static str,
    nodes: u32,
    autoscale: bool,
    fargate_ns: Option<&'static str>,
    rate_per_minute: u32,
    mean_min: u32,
    cpu_m: u32,
    mem_mi: u32,
    replicas: u32,
    seed: u64,
    quota: u32,
}

fn shape() -> impl Strategy<Value = Shape> {
    (
        prop::sample::select(vec!["m5.large", "c6i.xlarge", "r5.large", "t3.medium"]),
        0u32..4,
        any::<bool>(),
        prop::sample::select(vec![None, Some("batch"), Some("*")]),
        1u32..40,
        1u32..20,
        prop::sample::select(vec![100u32, 250, 500, 1000, 1900]),
        prop::sample::select(vec![128u32, 512, 2048, 6144]),
        0u32..6,
        0u64..1000,
        prop::sample::select(vec![3u32, 50, 1000]),
    )
        .prop_map(
            |(
                instance,
                nodes,
                autoscale,
                fargate_ns,
                rate,
                mean,
                cpu,
                mem,
                replicas,
                seed,
                quota,
            )| {
                Shape {
                    instance,
                    nodes,
                    autoscale,
                    fargate_ns,
                    rate_per_minute: rate,
                    mean_min: mean,
                    cpu_m: cpu,
                    mem_mi: mem,
                    replicas,
                    seed,
                    quota,
                }
            },
        )
}

fn yaml(s: &Shape) -> String {
    let fargate = match s.fargate_ns {
        Some(ns) => format!(
            "  fargateProfiles:\n    - {{name: fp, selectors: [{{namespace: \"{ns}\"}}]}}\n"
        ),
        None => String::new(),
    };
    let max = if s.autoscale { s.nodes + 5 } else { s.nodes };
    format!(
        "horizon: 40m\nseed: {}\nfargate: {{maxConcurrentPods: {}}}\n{}{}\
         workload:\n\
         \x20 - generator: {{name: jobs, namespace: batch, arrivals: {{poisson: {{ratePerMinute: {}}}}}, duration: {{exponential: {{mean: {}m}}}}, cpu: {}m, memory: {}Mi}}\n\
         \x20 - deployment: {{name: web, namespace: web, replicas: {}, cpu: 200m, memory: 256Mi}}\n",
        s.seed,
        s.quota,
        if s.autoscale {
            "autoscaler: {kind: cluster-autoscaler}\n"
        } else {
            ""
        },
        cluster(
            "[us-east-1a, us-east-1b, us-east-1c]",
            &format!(
                "  managedNodeGroups:\n    - {{name: ng, instanceType: {}, minSize: 0, maxSize: {max}, desiredCapacity: {}}}\n{fargate}",
                s.instance, s.nodes
            )
        ),
        s.rate_per_minute,
        s.mean_min,
        s.cpu_m,
        s.mem_mi,
        s.replicas,
    )
}

fn run_checked(case: &Case, out: &str) -> eksim::sim::engine::RunResult {
    let sc = eksim::scenario::load(&case.scenario).unwrap_or_else(|e| panic!("{e}"));
    eksim::sim::engine::run(
        &sc,
        &eksim::sim::engine::RunOptions {
            out_dir: case.out(out),
            check_invariants: true,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

proptest! {
    // 24 cases by default; PROPTEST_CASES raises it for a longer pass.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(24),
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_runs_hold_every_invariant(s in shape()) {
        let case = Case::new(&yaml(&s));
        let r = run_checked(&case, "a");
        run_checked(&case, "b");
        for f in ["pods.csv", "nodes.csv", "timeline.csv", "summary.json"] {
            prop_assert_eq!(
                std::fs::read(case.out("a").join(f)).unwrap(),
                std::fs::read(case.out("b").join(f)).unwrap(),
                "rerun differs in {}", f
            );
        }
        let c = &r.summary.cost_usd;
        let m = |x: f64| (x * 1e6).round() as i64;
        prop_assert_eq!(m(c.total), m(c.ec2) + m(c.fargate) + m(c.control_plane));
        for p in read_csv(&case.out("a/pods.csv")) {
            let times: Vec<f64> = ["submit_s", "scheduled_s", "pull_start_s", "running_s", "finished_s"]
                .iter()
                .filter_map(|c| p[*c].parse::<f64>().ok())
                .collect();
            prop_assert!(
                times.windows(2).all(|w| w[0] <= w[1]),
                "{} has unordered timestamps {:?}", p["pod"], times
            );
        }
    }
}
