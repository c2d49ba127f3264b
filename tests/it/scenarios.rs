//! The shipped scenarios validate, and the CLI's two README commands work.

use std::process::Command;

use crate::common::*;

#[test]
fn every_shipped_scenario_validates() {
    let mut n = 0;
    for entry in std::fs::read_dir(root().join("scenarios")).unwrap() {
        let path = entry.unwrap().path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.ends_with(".sweep.yaml") {
            eksim::sweep::load_plan(&path).unwrap_or_else(|e| panic!("{e}"));
        } else if name.ends_with(".yaml") {
            eksim::scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
            n += 1;
        }
    }
    assert!(n >= 4, "{n} scenarios");
    // The benchmark scenarios that need nothing outside the repository.
    for name in [
        "churn-5000.yaml",
        "churn-5000-selectors.yaml",
        "churn-5000-services.yaml",
    ] {
        let path = root().join("scenarios/bench").join(name);
        eksim::scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn cli_run_writes_the_contract_files_and_a_summary_table() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_eksim"))
        .args(["run", "scenarios/quickstart.yaml", "--out"])
        .arg(dir.path())
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("cost (USD)"), "{stdout}");
    for f in [
        "pods.csv",
        "nodes.csv",
        "timeline.csv",
        "summary.json",
        "timing.json",
    ] {
        assert!(dir.path().join(f).is_file(), "{f}");
    }
    // Exactly the contract's columns first, in order.
    let header = |f: &str| {
        std::fs::read_to_string(dir.path().join(f))
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .to_string()
    };
    assert!(header("pods.csv").starts_with("pod,namespace,group,submit_s,scheduled_s,pull_start_s,running_s,finished_s,outcome,capacity,node,node_group,fargate_profile,zone,cpu_m,memory_mib,fargate_vcpu,fargate_memory_gb,billed_s,cost_usd"));
    assert!(header("nodes.csv").starts_with("node,node_group,instance_type,capacity_type,zone,ami_version,launch_s,ready_s,terminated_s,termination_reason,billed_s,price_per_hour_usd,cost_usd"));
    assert_eq!(
        header("timeline.csv"),
        "t_s,nodes_launching,nodes_ready,pods_pending,pods_running,fargate_pods,cpu_requested_m,cpu_allocatable_m,memory_requested_mib,memory_allocatable_mib,cost_usd_cumulative,api_available,cost_usd_cumulative_ec2,cost_usd_cumulative_fargate,cost_usd_cumulative_control_plane"
    );
    let s = summary(dir.path());
    for k in [
        "scenario",
        "seed",
        "horizon_s",
        "pods",
        "cost_usd",
        "pending_s",
        "startup_s",
        "utilization",
        "control_plane",
        "events",
    ] {
        assert!(s.get(k).is_some(), "summary.json lacks {k}");
    }
    for k in [
        "submitted",
        "succeeded",
        "running",
        "pending",
        "evicted",
        "rejected",
        "failed",
    ] {
        assert!(s["pods"].get(k).is_some(), "pods.{k}");
    }
    let t: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("timing.json")).unwrap())
            .unwrap();
    for k in ["wall_s", "events_per_s", "peak_rss_mib"] {
        assert!(t.get(k).is_some(), "timing.{k}");
    }
}

#[test]
fn cli_validate_accepts_the_quickstart_and_names_ignored_fields() {
    let out = Command::new(env!("CARGO_BIN_EXE_eksim"))
        .args(["validate", "scenarios/quickstart.yaml"])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("valid"), "{stdout}");
    assert!(
        stdout.contains("cluster.managedNodeGroups[0].ssh"),
        "{stdout}"
    );
}

#[test]
fn cluster_can_come_from_an_eksctl_file() {
    let case = Case::new("horizon: 1h\ncluster: {file: eksctl.yaml}\n");
    case.file(
        "eksctl.yaml",
        "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: real, region: eu-west-1, version: \"1.31\", tags: {team: x}}\navailabilityZones: [eu-west-1a, eu-west-1b]\nvpc: {cidr: 10.0.0.0/16}\nmanagedNodeGroups:\n  - {name: ng, instanceType: m6i.large, desiredCapacity: 1, iam: {withAddonPolicies: {autoScaler: true}}}\n",
    );
    let sc = eksim::scenario::load(&case.scenario).unwrap();
    assert_eq!(sc.cluster.name, "real");
    assert_eq!(sc.cluster.zones, vec!["eu-west-1a", "eu-west-1b"]);
    assert_eq!(
        sc.ignored_fields,
        vec![
            "cluster.vpc",
            "cluster.metadata.tags",
            "cluster.managedNodeGroups[0].iam"
        ]
    );
}

#[test]
fn eks_api_inputs_define_node_groups_and_fargate_profiles() {
    let case = Case::new(
        "horizon: 1h\ncluster:\n  metadata: {name: shop}\n  availabilityZones: [us-east-1a, us-east-1b, us-east-1c]\nsubnets: {subnet-0a1: us-east-1a, subnet-0b2: us-east-1b, subnet-0c3: us-east-1c}\neksApi:\n  - file: general-nodegroup.json\n  - file: batch-profile.json\n  - inline: {nodegroupName: spot, scalingConfig: {minSize: 0, maxSize: 3, desiredSize: 1}, instanceTypes: [m5.large], capacityType: SPOT, subnets: [subnet-0b2], taints: [{key: spot, value: \"true\", effect: NO_SCHEDULE}]}\npricing: {spot: {discount: 0.6}}\n",
    );
    for f in ["general-nodegroup.json", "batch-profile.json"] {
        case.file(
            f,
            &std::fs::read_to_string(root().join("scenarios/eks-api").join(f)).unwrap(),
        );
    }
    let sc = eksim::scenario::load(&case.scenario).unwrap_or_else(|e| panic!("{e}"));
    let g = &sc.cluster.node_groups;
    assert_eq!(g.len(), 2);
    assert_eq!(
        (
            g[0].name.as_str(),
            g[0].min_size,
            g[0].desired,
            g[0].max_size
        ),
        ("general", 2, 3, 6)
    );
    assert_eq!(g[0].zones, vec![0, 1, 2]);
    assert_eq!(g[1].zones, vec![1]);
    assert_eq!(g[1].capacity_type, eksim::cluster::node::CapacityType::Spot);
    assert_eq!(
        g[1].taints[0].effect,
        eksim::cluster::taints::TaintEffect::NoSchedule
    );
    assert_eq!(sc.cluster.fargate_profiles[0].name, "batch");
    assert!(sc.ignored_fields.iter().any(|f| f == "eksApi[0].nodeRole"));
    let bad = Case::new(
        "horizon: 1h\ncluster:\n  metadata: {name: shop}\n  availabilityZones: [us-east-1a, us-east-1b]\neksApi:\n  - inline: {nodegroupName: x, subnets: [subnet-zz]}\n",
    );
    let e = eksim::scenario::load(&bad.scenario)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(
            "eksApi[0].subnets[0]: subnet `subnet-zz` is not in the scenario's `subnets:` table"
        ),
        "{e}"
    );
}
