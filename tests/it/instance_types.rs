//! `instanceTypes:`: custom shapes join the catalog (the shared benchmark cluster's nodes), with
//! allocatable as stated; clashes and bad values are refused with the field named.

use std::process::Command;

use crate::common::*;

fn scenario(types: &str) -> String {
    format!(
        "horizon: 10m\nseed: 1\ndaemonSets: []\ninstanceTypes:\n{types}{}\
         workload:\n  - generator: {{name: w, arrivals: {{every: 1s}}, count: 3, duration: {{fixed: 60s}}, cpu: 1, memory: 1Gi}}\n",
        cluster(
            "[us-east-1a, us-east-1b]",
            "  nodeGroups:\n    - {name: ng, instanceType: bench.4x16, minSize: 2, maxSize: 2, desiredCapacity: 2}\n"
        )
    )
}

#[test]
fn a_custom_type_runs_with_its_stated_allocatable_and_price() {
    let case = Case::new(&scenario(
        "  - {name: bench.4x16, vcpu: 4, memory: 16Gi, pricePerHour: 0.2, maxPods: 110, allocatable: {cpu: 4000m, memory: 16384Mi}}\n",
    ));
    let r = case.run(None, "out");
    let nodes = read_csv(&case.out("out/nodes.csv"));
    assert_eq!(nodes.len(), 2);
    for n in &nodes {
        assert_eq!(n["instance_type"], "bench.4x16");
        assert_eq!(n["cpu_allocatable_m"], "4000");
        assert_eq!(n["memory_allocatable_mib"], "16384");
        assert_eq!(n["max_pods"], "110");
        assert_eq!(n["price_per_hour_usd"], "0.2");
    }
    assert_eq!(r.summary.pods.succeeded, 3);
}

#[test]
fn custom_type_errors_name_the_field() {
    let case = Case::new(&scenario(
        "  - {name: m5.large, vcpu: 2, memory: 8Gi, pricePerHour: 0.1}\n\
         \x20 - {name: bench.4x16, vcpu: 0, memory: 16Gi, allocatable: {cpu: 5000m}}\n",
    ));
    let out = Command::new(env!("CARGO_BIN_EXE_eksim"))
        .arg("validate")
        .arg(&case.scenario)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    for f in [
        "instanceTypes[0].name",
        "`m5.large` is already in the catalog",
        "instanceTypes[1].vcpu",
        "must be 1 to 10000, got 0",
        "instanceTypes[1].pricePerHour",
        "required",
        "instanceTypes[1].allocatable.cpu",
    ] {
        assert!(err.contains(f), "expected `{f}` in:\n{err}");
    }
}
