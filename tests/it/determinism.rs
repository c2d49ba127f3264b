//! Same scenario + seed → byte-identical files (all but timing.json); another seed → another run.

use crate::common::*;

const FILES: [&str; 4] = ["pods.csv", "nodes.csv", "timeline.csv", "summary.json"];

/// Asserts that the two output folders hold the same bytes in every compared file.
fn assert_same_files(a: &std::path::Path, b: &std::path::Path, between: &str) {
    for f in FILES {
        let x = std::fs::read(a.join(f)).unwrap();
        let y = std::fs::read(b.join(f)).unwrap();
        assert!(!x.is_empty());
        assert!(x == y, "{f} differs between {between}");
    }
}

fn quickstart() -> Case {
    let text = std::fs::read_to_string(root().join("scenarios/quickstart.yaml")).unwrap();
    Case::new(&text)
}

#[test]
fn reruns_are_byte_identical() {
    let case = quickstart();
    case.run(None, "a");
    case.run(None, "b");
    assert_same_files(&case.out("a"), &case.out("b"), "two runs of the same seed");
    assert!(case.out("a/timing.json").is_file());
}

#[test]
fn another_seed_changes_the_outcome() {
    let case = quickstart();
    let a = case.run(Some(1), "a");
    let b = case.run(Some(2), "b");
    assert_ne!(
        std::fs::read(case.out("a/pods.csv")).unwrap(),
        std::fs::read(case.out("b/pods.csv")).unwrap()
    );
    assert_ne!(a.summary.cost_usd.fargate, b.summary.cost_usd.fargate);
    assert_eq!(a.summary.seed, 1);
    assert_eq!(summary(&case.out("b"))["seed"], 2);
}

#[test]
fn adding_a_generator_does_not_change_another_generators_pods() {
    // Named random streams: generator `a` draws the same arrivals whether or not `b` exists.
    let base = |extra: &str| {
        Case::new(&format!(
            "horizon: 1h\n{}workload:\n  - generator: {{name: a, namespace: batch, arrivals: {{poisson: {{ratePerMinute: 3}}}}, duration: {{fixed: 10s}}, cpu: 100m, memory: 64Mi}}\n{extra}",
            cluster(
                "[us-east-1a, us-east-1b]",
                "  fargateProfiles:\n    - {name: fp, selectors: [{namespace: batch}]}\n"
            )
        ))
    };
    let one = base("");
    let two = base(
        "  - generator: {name: b, namespace: batch, arrivals: {poisson: {ratePerMinute: 5}}, duration: {fixed: 10s}, cpu: 100m, memory: 64Mi}\n",
    );
    one.run(None, "o");
    two.run(None, "o");
    let submits = |c: &Case| -> Vec<String> {
        read_csv(&c.out("o/pods.csv"))
            .into_iter()
            .filter(|p| p["group"] == "a")
            .map(|p| format!("{} {}", p["pod"], p["submit_s"]))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect()
    };
    assert!(!submits(&one).is_empty());
    assert_eq!(submits(&one), submits(&two));
}

#[test]
fn zero_time_pulls_skip_the_image_cache_without_changing_a_byte() {
    // `fixed: 0s` takes the path without node image caches; `empirical: [0s]` draws for every
    // pull, so it keeps the caches, and on an EC2-only cluster nothing else reads that stream.
    // A generator's pods share its image, so cached images are hit.
    let case = |pull: &str| {
        Case::new(&format!(
            "horizon: 2h\nseed: 3\nlatency: {{nodeLaunch: {{fixed: 40s}}, imagePull: {{ec2: {pull}}}, containerStart: {{fixed: 1s}}}}\n\
             autoscaler: {{kind: cluster-autoscaler}}\n{}\
             workload:\n  - generator: {{name: g, arrivals: {{poisson: {{ratePerMinute: 3}}}}, duration: {{uniform: {{min: 2m, max: 9m}}}}, cpu: 700m, memory: 512Mi}}\n",
            cluster(
                "[us-east-1a, us-east-1b]",
                "  managedNodeGroups:\n    - {name: ng, instanceType: m5.large, minSize: 1, maxSize: 8, desiredCapacity: 1}\n"
            )
        ))
    };
    let (skip, kept) = (case("{fixed: 0s}"), case("{empirical: [0s]}"));
    skip.run(None, "o");
    kept.run(None, "o");
    assert_same_files(
        &skip.out("o"),
        &kept.out("o"),
        "a zero-time pull that skips the image cache and one that keeps it",
    );
}
