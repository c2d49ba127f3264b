//! Bad input: each problem gives a clear message naming the field, exit code 2, no panic, and no
//! output file left behind.

use std::process::Command;

use crate::common::*;

const OK_CLUSTER: &str =
    "  managedNodeGroups:\n    - {name: ng, instanceType: m5.large, desiredCapacity: 1}\n";

/// Runs `eksim run` on the case and returns (exit code, stderr); checks nothing was written.
fn run_cli(case: &Case) -> (i32, String) {
    let out_dir = case.out("out");
    let out = Command::new(env!("CARGO_BIN_EXE_eksim"))
        .arg("run")
        .arg(&case.scenario)
        .arg("--out")
        .arg(&out_dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let left: Vec<_> = std::fs::read_dir(&out_dir)
        .map(|d| d.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "files left behind: {left:?}");
    (out.status.code().unwrap_or(-1), stderr)
}

fn expect(yaml: &str, fragments: &[&str]) {
    let case = Case::new(yaml);
    let (code, stderr) = run_cli(&case);
    assert_eq!(code, 2, "{stderr}");
    for f in fragments {
        assert!(stderr.contains(f), "expected `{f}` in:\n{stderr}");
    }
    assert!(
        stderr.contains("scenario.yaml"),
        "message must name the file:\n{stderr}"
    );
}

fn with_cluster(extra_top: &str, zones: &str, body: &str) -> String {
    format!("horizon: 1h\n{extra_top}{}", cluster(zones, body))
}

#[test]
fn unknown_instance_type_suggests_the_right_one() {
    expect(
        &with_cluster(
            "",
            "[us-east-1a, us-east-1b]",
            "  managedNodeGroups:\n    - {name: ng, instanceType: m5.lareg}\n",
        ),
        &[
            "cluster.managedNodeGroups[0].instanceType",
            "unknown instance type `m5.lareg`",
            "did you mean `m5.large`?",
        ],
    );
}

#[test]
fn a_fourth_zone_is_refused() {
    expect(
        &with_cluster(
            "",
            "[us-east-1a, us-east-1b, us-east-1c, us-east-1d]",
            OK_CLUSTER,
        ),
        &["cluster.availabilityZones", "4 zone(s) given", "2 or 3"],
    );
}

#[test]
fn too_many_selectors_and_profiles() {
    let selectors: String = (0..6).map(|i| format!("{{namespace: ns{i}}}, ")).collect();
    expect(
        &with_cluster(
            "",
            "[us-east-1a, us-east-1b]",
            &format!("  fargateProfiles:\n    - {{name: p, selectors: [{selectors}]}}\n"),
        ),
        &[
            "cluster.fargateProfiles[0].selectors",
            "6 selectors given",
            "at most 5",
        ],
    );
    let profiles: String = (0..11)
        .map(|i| format!("    - {{name: p{i}, selectors: [{{namespace: n}}]}}\n"))
        .collect();
    expect(
        &with_cluster(
            "",
            "[us-east-1a, us-east-1b]",
            &format!("  fargateProfiles:\n{profiles}"),
        ),
        &["cluster.fargateProfiles", "11 profiles given", "at most 10"],
    );
}

#[test]
fn min_size_above_max_size() {
    expect(
        &with_cluster(
            "",
            "[us-east-1a, us-east-1b]",
            "  managedNodeGroups:\n    - {name: ng, instanceType: m5.large, minSize: 5, maxSize: 2, desiredCapacity: 3}\n",
        ),
        &[
            "cluster.managedNodeGroups[0].minSize",
            "minSize (5) is greater than maxSize (2)",
        ],
    );
}

#[test]
fn negative_rate_and_bad_duration_are_both_reported_at_once() {
    let yaml = format!(
        "{}workload:\n  - generator: {{name: g, arrivals: {{poisson: {{ratePerMinute: -3}}}}, duration: {{fixed: 10 minutes}}}}\n",
        with_cluster("", "[us-east-1a, us-east-1b]", OK_CLUSTER)
    );
    expect(
        &yaml,
        &[
            "2 problem(s)",
            "workload[0].generator.arrivals.poisson.ratePerMinute: must be a rate between 0",
            "workload[0].generator.duration: `10 minutes` is not a duration",
        ],
    );
}

#[test]
fn missing_trace_file() {
    let yaml = format!(
        "{}workload:\n  - trace: {{file: nowhere.csv}}\n",
        with_cluster("", "[us-east-1a, us-east-1b]", OK_CLUSTER)
    );
    expect(
        &yaml,
        &["workload[0].trace.file", "nowhere.csv", "not found"],
    );
}

#[test]
fn bad_trace_row_mid_run_leaves_no_files() {
    let case = Case::new(&format!(
        "{}workload:\n  - trace: {{file: t.csv}}\n",
        with_cluster("", "[us-east-1a, us-east-1b]", OK_CLUSTER)
    ));
    case.file(
        "t.csv",
        "submit_s,cpu_m,memory_mib,duration_s\n0,100,64,5\n1,100,64,5\n2,lots,64,5\n",
    );
    let (code, stderr) = run_cli(&case);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("t.csv:4: cpu_m `lots` is not a number"),
        "{stderr}"
    );
}

#[test]
fn yaml_syntax_and_type_errors_name_line_and_column() {
    expect("horizon: [1h\n", &["line"]);
    expect(
        &with_cluster("seed: many\n", "[us-east-1a, us-east-1b]", OK_CLUSTER),
        &["seed", "line 2"],
    );
}

#[test]
fn misspelt_section_gets_a_suggestion() {
    expect(
        &with_cluster(
            "contrlPlane: {apiServers: 2}\n",
            "[us-east-1a, us-east-1b]",
            OK_CLUSTER,
        ),
        &[
            "unknown field `contrlPlane`",
            "did you mean `controlPlane`?",
        ],
    );
}

#[test]
fn unquoted_version_and_bad_control_plane() {
    let yaml = "horizon: 1h\ncontrolPlane: {apiServers: 1, etcdMembers: 4, supportTier: premium}\ncluster:\n  metadata: {name: t, version: 1.30}\n  availabilityZones: [us-east-1a, us-east-1b]\n";
    expect(
        yaml,
        &[
            "cluster.metadata.version",
            "quoted string",
            "controlPlane.apiServers",
            "controlPlane.etcdMembers: must be 3 or 5",
            "controlPlane.supportTier",
        ],
    );
}

#[test]
fn absurd_horizon_and_zone_outside_the_cluster() {
    let yaml = format!(
        "horizon: 1000000d\n{}",
        cluster(
            "[us-east-1a, us-east-1b]",
            "  managedNodeGroups:\n    - {name: ng, instanceType: m5.large, availabilityZones: [us-east-1c]}\n"
        )
    );
    expect(
        &yaml,
        &[
            "horizon:",
            "longer than",
            "cluster.managedNodeGroups[0].availabilityZones[0]",
            "`us-east-1c` is not one of",
        ],
    );
}

#[test]
fn missing_scenario_file_and_bad_arguments() {
    let out = Command::new(env!("CARGO_BIN_EXE_eksim"))
        .args(["run", "/nonexistent/s.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/s.yaml: cannot read"));
    let out = Command::new(env!("CARGO_BIN_EXE_eksim"))
        .args(["run"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = Command::new(env!("CARGO_BIN_EXE_eksim"))
        .args(["run", "x.yaml", "--seed", "minus-one"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn validate_exits_2_with_every_problem() {
    let case = Case::new(&with_cluster(
        "",
        "[us-east-1a, us-east-1b]",
        "  managedNodeGroups:\n    - {name: ng, instanceType: nope.large, minSize: -1}\n",
    ));
    let out = Command::new(env!("CARGO_BIN_EXE_eksim"))
        .arg("validate")
        .arg(&case.scenario)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("minSize: must be 0 or more, got -1"),
        "{stderr}"
    );
    assert!(
        stderr.contains("unknown instance type `nope.large`"),
        "{stderr}"
    );
}
