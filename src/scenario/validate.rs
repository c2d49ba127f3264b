//! Raw scenario → validated [`Scenario`]. Every check adds an [`Issue`] with its field path and
//! keeps going, so one `eksim validate` lists every problem in the file. Defaults are applied
//! here, each next to the fact it comes from.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::distribution::{Distribution, RawDistribution};
use super::raw::*;
use super::units::{parse_cpu, parse_duration, parse_memory_mib};
use super::{
    ClusterSpec, DaemonSetSpec, FargateSpec, Issue, LatencySpec, NodeGroupSpec, Scenario,
    ScenarioError, UpdateConfig, WorkloadSpec,
};
use crate::cluster::catalog::{Catalog, DEFAULT_VM_MEMORY_OVERHEAD};
use crate::cluster::control_plane::{
    ControlPlaneSpec, DEFAULT_API_SERVERS, DEFAULT_ETCD_MEMBERS, EXTENDED_FEE_PER_HOUR,
    STANDARD_FEE_PER_HOUR, SupportTier,
};
use crate::cluster::fargate::profile::MAX_SELECTORS_PER_PROFILE;
use crate::cluster::fargate::{Profile, Selector};
use crate::cluster::node::CapacityType;
use crate::cluster::taints::{Taint, TaintEffect, Toleration, TolerationOperator};
use crate::sim::time::{SimDuration, SimTime};
use crate::suggest::did_you_mean;
use crate::workload::{
    Arrivals, ControllerKind, ControllerSpec, GeneratorSpec, OwnerKind, PodTemplate, RequestChoice,
    TraceSpec,
};

/// Fargate price, $ per vCPU-hour, us-east-1 Linux/x86 (EKS_FACTS "Fargate for EKS").
pub const FARGATE_VCPU_HOUR: f64 = 0.04048;
/// Fargate price, $ per GB-hour of memory (EKS_FACTS "Fargate for EKS").
pub const FARGATE_GB_HOUR: f64 = 0.004445;
/// Fargate ephemeral storage beyond 20 GB, $ per GB-hour (EKS_FACTS "Fargate for EKS").
pub const FARGATE_STORAGE_GB_HOUR: f64 = 0.000111;
/// Fargate profiles per cluster (EKS quota table, EKS_FACTS).
pub const MAX_FARGATE_PROFILES: usize = 10;
/// Label pairs per Fargate selector (EKS quota table, EKS_FACTS).
pub const MAX_SELECTOR_LABELS: usize = 5;
/// Concurrent Fargate pods per account (EKS quota table, EKS_FACTS; adjustable).
pub const DEFAULT_FARGATE_MAX_PODS: u32 = 1000;
/// Managed node groups per cluster (EKS quota, EKS_FACTS; adjustable, so only a warning).
pub const MAX_MANAGED_NODE_GROUPS: usize = 30;
/// Nodes per managed node group (EKS quota, EKS_FACTS; adjustable, so only a warning).
pub const MAX_NODES_PER_MANAGED_GROUP: u32 = 450;
/// EKS spreads the control plane over three AZs; clusters use two or three.
pub const MAX_ZONES: usize = 3;
/// Longest horizon accepted: two years of virtual time is far past any planning question, and a
/// typo like `1000y` must not start a run that never ends.
pub const MAX_HORIZON: SimDuration = SimDuration(2 * 366 * 86_400_000);
/// Default timeline sampling interval.
pub const DEFAULT_SAMPLE_INTERVAL: SimDuration = SimDuration::from_secs(60);
/// Most timeline rows a run may produce (horizon / sampleInterval).
pub const MAX_TIMELINE_ROWS: u64 = 5_000_000;
/// Deployment replicas / generator counts above this are refused as a likely typo.
pub const MAX_PODS_PER_SOURCE: i64 = 100_000_000;
/// Most replicas of one Deployment: they are all alive at once, and a live pod costs about
/// 700 bytes of engine state, so this bounds a Deployment to a few GiB of memory.
pub const MAX_REPLICAS: i64 = 5_000_000;

/// Default DaemonSets on every EKS node: the VPC CNI (`aws-node`, requests cpu 25m in
/// amazon-vpc-cni-k8s config/master/aws-k8s-cni.yaml) and `kube-proxy` (EKS add-on, requests
/// cpu 100m). Neither requests memory.
fn default_daemon_sets() -> Vec<DaemonSetSpec> {
    vec![
        DaemonSetSpec {
            name: "aws-node".into(),
            cpu_m: 25,
            memory_mib: 0,
        },
        DaemonSetSpec {
            name: "kube-proxy".into(),
            cpu_m: 100,
            memory_mib: 0,
        },
    ]
}

/// Default latencies (EKS_FACTS "EC2 nodes" and "Fargate for EKS"): node launch→Ready measured at
/// 30–55 s with reports up to 2.5 min, modelled as lognormal median 45 s, p99 120 s; Fargate
/// micro-VM 30–45 s; image pulls of seconds on EC2 (1.7 s and 4 s measured) and longer on
/// Fargate, which never caches; container start well under the 5 s SLO.
fn default_latency() -> LatencySpec {
    let d = |s: &str| {
        RawDistribution::Fixed(s.into())
            .validate()
            .unwrap_or(Distribution::Fixed(SimDuration::ZERO))
    };
    let lognormal = |m: &str, p: &str| {
        RawDistribution::Lognormal {
            median: m.into(),
            p99: p.into(),
        }
        .validate()
        .unwrap_or(Distribution::Fixed(SimDuration::ZERO))
    };
    LatencySpec {
        node_launch: lognormal("45s", "120s"),
        fargate_provision: RawDistribution::Uniform {
            min: "30s".into(),
            max: "45s".into(),
        }
        .validate()
        .unwrap_or(Distribution::Fixed(SimDuration::ZERO)),
        image_pull_ec2: d("4s"),
        image_pull_fargate: lognormal("15s", "60s"),
        container_start: d("1s"),
    }
}

struct Ctx {
    issues: Vec<Issue>,
    ignored: Vec<String>,
    base_dir: PathBuf,
}

impl Ctx {
    fn err(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.issues.push(Issue {
            path: path.into(),
            message: message.into(),
            at: None,
        });
    }

    /// Notes unmodelled eksctl fields; one within two edits of a field eksim reads (`known`) is
    /// more likely a typo of it, so the notice says which.
    fn ignore(&mut self, prefix: &str, other: &Ignored, known: &[&str]) {
        for k in other.keys() {
            let hint = match crate::suggest::closest(k, known.iter().copied()) {
                Some(c)
                    if k.len() >= 4
                        && strsim::levenshtein(
                            &k.to_ascii_lowercase(),
                            &c.to_ascii_lowercase(),
                        ) <= 2 =>
                {
                    format!(" (did you mean `{c}`?)")
                }
                _ => String::new(),
            };
            self.ignored.push(format!("{prefix}.{k}{hint}"));
        }
    }

    fn duration(&mut self, path: &str, text: &Option<String>, default: SimDuration) -> SimDuration {
        match text {
            None => default,
            Some(t) => parse_duration(t).unwrap_or_else(|e| {
                self.err(path, e);
                default
            }),
        }
    }

    fn dist(
        &mut self,
        path: &str,
        raw: &Option<RawDistribution>,
        default: &Distribution,
    ) -> Distribution {
        match raw {
            None => default.clone(),
            Some(r) => r.validate().unwrap_or_else(|e| {
                self.err(path, e);
                default.clone()
            }),
        }
    }

    fn cpu(&mut self, path: &str, q: &Option<Quantity>) -> u64 {
        match q {
            None => 0,
            Some(q) => parse_cpu(&q.0).unwrap_or_else(|e| {
                self.err(path, e);
                0
            }),
        }
    }

    fn memory(&mut self, path: &str, q: &Option<Quantity>) -> u64 {
        match q {
            None => 0,
            Some(q) => parse_memory_mib(&q.0).unwrap_or_else(|e| {
                self.err(path, e);
                0
            }),
        }
    }

    fn count(&mut self, path: &str, v: Option<i64>, default: i64, max: i64) -> u64 {
        let v = v.unwrap_or(default);
        if v < 0 {
            self.err(path, format!("must be 0 or more, got {v}"));
            0
        } else if v > max {
            self.err(path, format!("{v} is more than the {max} eksim accepts"));
            0
        } else {
            v as u64
        }
    }

    fn price(&mut self, path: &str, v: Option<f64>, default: f64) -> f64 {
        match v {
            Some(p) if !p.is_finite() || p < 0.0 => {
                self.err(
                    path,
                    format!("a price must be a finite number >= 0, got {p}"),
                );
                default
            }
            Some(p) => p,
            None => default,
        }
    }
}

fn sorted_pairs(m: &BTreeMap<String, String>) -> Vec<(String, String)> {
    m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// Fields of the eksctl ClusterConfig eksim reads.
const CLUSTER_FIELDS: &[&str] = &[
    "file",
    "apiVersion",
    "kind",
    "metadata",
    "availabilityZones",
    "managedNodeGroups",
    "nodeGroups",
    "fargateProfiles",
];

/// Fields of an eksctl node group eksim reads.
const NODE_GROUP_FIELDS: &[&str] = &[
    "name",
    "instanceType",
    "instanceTypes",
    "minSize",
    "maxSize",
    "desiredCapacity",
    "availabilityZones",
    "labels",
    "taints",
    "spot",
    "releaseVersion",
    "ami",
    "maxPodsPerNode",
    "volumeSize",
    "updateConfig",
];

/// Validates a parsed scenario read from `path`.
pub fn validate(raw: RawScenario, path: &Path) -> Result<Scenario, ScenarioError> {
    let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut cx = Ctx {
        issues: Vec::new(),
        ignored: Vec::new(),
        base_dir,
    };

    let horizon = match &raw.horizon {
        None => {
            cx.err(
                "horizon",
                "required: how much time to simulate, e.g. `6h` or `2d`",
            );
            SimDuration::from_secs(3600)
        }
        Some(_) => {
            let h = cx.duration("horizon", &raw.horizon, SimDuration::from_secs(3600));
            if h.0 == 0 {
                cx.err("horizon", "must be longer than 0s");
            } else if h > MAX_HORIZON {
                cx.err(
                    "horizon",
                    format!("{h} is longer than the {} eksim accepts", MAX_HORIZON),
                );
            }
            h
        }
    };

    let raw_cluster = match &raw.cluster {
        None => {
            cx.err(
                "cluster",
                "required: an eksctl ClusterConfig (inline, or `{file: eksctl.yaml}`)",
            );
            None
        }
        Some(c) => match &c.file {
            Some(f) => {
                let has_inline = c.metadata.is_some()
                    || c.availability_zones.is_some()
                    || !c.managed_node_groups.is_empty()
                    || !c.node_groups.is_empty()
                    || !c.fargate_profiles.is_empty();
                if has_inline {
                    cx.err(
                        "cluster.file",
                        "give either `file:` or an inline ClusterConfig, not both",
                    );
                }
                let file = cx.base_dir.join(f);
                let text = super::read_text(&file)?;
                Some(super::parse_yaml::<RawCluster>(&text, &file)?)
            }
            None => Some(c.clone()),
        },
    };
    let mut cluster = match raw_cluster {
        Some(c) => validate_cluster(&mut cx, c),
        None => ClusterSpec {
            name: String::new(),
            region: String::new(),
            version: String::new(),
            zones: Vec::new(),
            node_groups: Vec::new(),
            fargate_profiles: Vec::new(),
        },
    };
    for (i, item) in raw.eks_api.iter().enumerate() {
        let p = format!("eksApi[{i}]");
        let value = match (&item.file, &item.inline) {
            (Some(f), None) => {
                let file = cx.base_dir.join(f);
                let text = super::read_text(&file)?;
                super::parse_yaml::<serde_json::Value>(&text, &file)?
            }
            (None, Some(v)) => v.clone(),
            _ => {
                cx.err(p, "give either `file:` or `inline:`");
                continue;
            }
        };
        let mut issues = Vec::new();
        let read = super::eks_api::read(
            &value,
            &p,
            &cluster.zones,
            &raw.subnets,
            &cluster.version,
            &mut cx.ignored,
            &mut |path, m| issues.push((path, m)),
        );
        for (path, m) in issues {
            cx.err(path, m);
        }
        match read {
            Some(super::eks_api::Item::NodeGroup(g)) => {
                if cluster.node_groups.iter().any(|o| o.name == g.name) {
                    cx.err(
                        format!("{p}.nodegroupName"),
                        format!("node group name `{}` is used twice", g.name),
                    );
                }
                cluster.node_groups.push(g);
            }
            Some(super::eks_api::Item::FargateProfile(f)) => cluster.fargate_profiles.push(f),
            None => {}
        }
    }

    // Catalog with custom types and price overrides.
    let mut catalog = Catalog::embedded().clone();
    for (i, t) in raw.instance_types.iter().enumerate() {
        if let Some(it) = validate_instance_type(&mut cx, &format!("instanceTypes[{i}]"), t) {
            if catalog.get(&it.name).is_some() {
                cx.err(
                    format!("instanceTypes[{i}].name"),
                    format!(
                        "`{}` is already in the catalog; give the custom type another name, or \
                         change only its price under `pricing.instances`",
                        it.name
                    ),
                );
            } else {
                catalog.insert(it);
            }
        }
    }
    if let Some(p) = &raw.pricing {
        for (name, price) in &p.instances {
            let path = format!("pricing.instances.{name}");
            match catalog.get(name) {
                None => {
                    let hint = did_you_mean(name, catalog.names());
                    cx.err(path, format!("unknown instance type `{name}`{hint}"));
                }
                Some(_) => {
                    let price = cx.price(&path, Some(*price), 0.0);
                    if let Ok(c) = catalog.with_price_override(name, price) {
                        catalog = c;
                    }
                }
            }
        }
    }
    for (gi, g) in cluster.node_groups.iter().enumerate() {
        let _ = gi;
        for t in &g.instance_types {
            if catalog.get(t).is_none() {
                let hint = did_you_mean(t, catalog.names());
                cx.err(
                    format!("cluster.{}", group_path(&cluster, g)),
                    format!("unknown instance type `{t}`{hint}; known types are listed by the catalog in src/cluster/instances.csv, or add a price under `pricing.instances`"),
                );
            }
        }
    }

    let control_plane = validate_control_plane(
        &mut cx,
        raw.control_plane.clone().unwrap_or_default(),
        &raw.pricing,
        &cluster,
    );
    let latency = validate_latency(&mut cx, raw.latency.clone().unwrap_or_default());

    let fp = raw
        .pricing
        .as_ref()
        .and_then(|p| p.fargate.clone())
        .unwrap_or_default();
    let fs = raw.fargate.clone().unwrap_or_default();
    let max_pods = cx.count(
        "fargate.maxConcurrentPods",
        fs.max_concurrent_pods,
        DEFAULT_FARGATE_MAX_PODS as i64,
        1_000_000,
    );
    if max_pods == 0 && fs.max_concurrent_pods.is_some() {
        cx.err("fargate.maxConcurrentPods", "must be at least 1");
    }
    let fargate = FargateSpec {
        vcpu_hour: cx.price("pricing.fargate.vcpuHour", fp.vcpu_hour, FARGATE_VCPU_HOUR),
        gb_hour: cx.price("pricing.fargate.gbHour", fp.gb_hour, FARGATE_GB_HOUR),
        storage_gb_hour: cx.price(
            "pricing.fargate.storageGbHour",
            fp.storage_gb_hour,
            FARGATE_STORAGE_GB_HOUR,
        ),
        max_concurrent_pods: max_pods.max(1) as u32,
    };

    let vm_memory_overhead = match raw.ec2.as_ref().and_then(|e| e.vm_memory_overhead) {
        None => DEFAULT_VM_MEMORY_OVERHEAD,
        Some(v) if (0.0..=0.5).contains(&v) => v,
        Some(v) => {
            cx.err(
                "ec2.vmMemoryOverhead",
                format!("must be a share between 0 and 0.5 (default 0.075), got {v}"),
            );
            DEFAULT_VM_MEMORY_OVERHEAD
        }
    };

    let daemon_sets = match &raw.daemon_sets {
        None => default_daemon_sets(),
        Some(list) => list
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let p = format!("daemonSets[{i}]");
                let name = d.name.clone().unwrap_or_else(|| {
                    cx.err(format!("{p}.name"), "required");
                    String::new()
                });
                DaemonSetSpec {
                    name,
                    cpu_m: cx.cpu(&format!("{p}.cpu"), &d.cpu),
                    memory_mib: cx.memory(&format!("{p}.memory"), &d.memory),
                }
            })
            .collect(),
    };

    let sample_interval = cx.duration(
        "output.sampleInterval",
        &raw.output.as_ref().and_then(|o| o.sample_interval.clone()),
        DEFAULT_SAMPLE_INTERVAL,
    );
    if sample_interval.0 == 0 {
        cx.err("output.sampleInterval", "must be longer than 0s");
    } else if horizon.0 / sample_interval.0 > MAX_TIMELINE_ROWS {
        cx.err(
            "output.sampleInterval",
            format!("{sample_interval} over a horizon of {horizon} gives more than {MAX_TIMELINE_ROWS} timeline rows; use a longer interval"),
        );
    }

    let spot = validate_spot(&mut cx, &raw.pricing, &catalog);
    let (autoscaler, karpenter) = match raw.autoscaler.as_ref() {
        Some(a) if a.kind.as_deref() == Some("karpenter") => {
            let mut issues = Vec::new();
            let k = super::karpenter::spec(
                a,
                &mut cluster,
                &catalog,
                &spot,
                &daemon_sets,
                vm_memory_overhead,
                &mut cx.ignored,
                &mut |path, m| issues.push((path, m)),
            );
            for (path, m) in issues {
                cx.err(path, m);
            }
            (None, Some(k))
        }
        Some(a) => (Some(validate_autoscaler(&mut cx, a)), None),
        None => (None, None),
    };
    for g in &cluster.node_groups {
        if g.capacity_type == CapacityType::Spot {
            for t in &g.instance_types {
                if let Some(it) = catalog.get(t)
                    && spot.price(t, it.price_per_hour_usd).is_none()
                {
                    cx.err(
                        format!("cluster.{}", group_path(&cluster, g)),
                        format!("`{t}` runs on Spot but has no Spot price: set `pricing.spot.discount` or `pricing.spot.instances.{t}`"),
                    );
                }
            }
        }
    }
    let spot_interruption_rate = match raw
        .spot
        .as_ref()
        .and_then(|sp| sp.interruptions_per_instance_hour)
    {
        None => 0.0,
        Some(r) if r.is_finite() && (0.0..=100.0).contains(&r) => r,
        Some(r) => {
            cx.err(
                "spot.interruptionsPerInstanceHour",
                format!("must be a rate between 0 and 100, got {r}"),
            );
            0.0
        }
    };
    let mut events = Vec::new();
    for (i, e) in raw.events.iter().enumerate() {
        let p = format!("events[{i}]");
        let at = match &e.at {
            None => {
                cx.err(
                    format!("{p}.at"),
                    "required: when the event happens, e.g. `30m`",
                );
                SimDuration::ZERO
            }
            Some(_) => cx.duration(&format!("{p}.at"), &e.at, SimDuration::ZERO),
        };
        match &e.spot_interruption {
            Some(si) => {
                let names: Vec<&str> = cluster
                    .node_groups
                    .iter()
                    .map(|g| g.name.as_str())
                    .collect();
                let group = match &si.node_group {
                    None => {
                        cx.err(format!("{p}.spotInterruption.nodeGroup"), "required");
                        None
                    }
                    Some(n) => match names.iter().position(|x| x == n) {
                        Some(g) => Some(g),
                        None => {
                            let hint = did_you_mean(n, names.iter().copied());
                            cx.err(
                                format!("{p}.spotInterruption.nodeGroup"),
                                format!("no node group or NodePool named `{n}`{hint}"),
                            );
                            None
                        }
                    },
                };
                let count =
                    cx.count(&format!("{p}.spotInterruption.count"), si.count, 1, 100_000) as u32;
                if let Some(group) = group {
                    events.push(super::ScriptedEvent {
                        at,
                        action: super::ScriptedAction::SpotInterruption { group, count },
                    });
                }
            }
            None if e.az_outage.is_some() || e.az_partition.is_some() => {
                let partition = e.az_outage.is_none();
                let o = e
                    .az_outage
                    .as_ref()
                    .or(e.az_partition.as_ref())
                    .expect("checked");
                let zone = match o
                    .zone
                    .as_ref()
                    .map(|z| (z, cluster.zones.iter().position(|c| c == z)))
                {
                    Some((_, Some(zi))) => Some(zi),
                    Some((z, None)) => {
                        let hint = did_you_mean(z, cluster.zones.iter().map(String::as_str));
                        cx.err(
                            format!("{p}.azOutage.zone"),
                            format!("`{z}` is not one of the cluster's availabilityZones{hint}"),
                        );
                        None
                    }
                    None => {
                        cx.err(format!("{p}.azOutage.zone"), "required");
                        None
                    }
                };
                let duration = cx.duration(
                    &format!("{p}.azOutage.duration"),
                    &o.duration,
                    SimDuration::from_secs(3600),
                );
                if let Some(zone) = zone {
                    events.push(super::ScriptedEvent {
                        at,
                        action: if partition {
                            super::ScriptedAction::AzPartition { zone, duration }
                        } else {
                            super::ScriptedAction::AzOutage { zone, duration }
                        },
                    });
                }
            }
            None if e.control_plane_failure.is_some() => {
                let f = e.control_plane_failure.as_ref().expect("checked");
                let etcd = match f.component.as_deref() {
                    Some("etcd") => true,
                    Some("apiServer") => false,
                    other => {
                        cx.err(
                            format!("{p}.controlPlaneFailure.component"),
                            format!("{other:?} is not `etcd` or `apiServer`"),
                        );
                        true
                    }
                };
                let count =
                    cx.count(&format!("{p}.controlPlaneFailure.count"), f.count, 1, 64) as u32;
                events.push(super::ScriptedEvent {
                    at,
                    action: super::ScriptedAction::ControlPlaneFailure { etcd, count },
                });
            }
            None => match e
                .node_group_update
                .as_ref()
                .map(|u| (u, false))
                .or(e.node_group_replacement.as_ref().map(|u| (u, true)))
            {
                Some((u, scripted)) => {
                    let names: Vec<&str> = cluster
                        .node_groups
                        .iter()
                        .map(|g| g.name.as_str())
                        .collect();
                    let gp = format!("{p}.nodeGroupUpdate.nodeGroup");
                    match u.node_group.as_ref().map(|n| (n, names.iter().position(|x| x == n))) {
                        None => cx.err(gp, "required"),
                        Some((n, None)) => {
                            let hint = did_you_mean(n, names.iter().copied());
                            cx.err(gp, format!("no node group named `{n}`{hint}"));
                        }
                        Some((n, Some(g))) if !scripted && !cluster.node_groups[g].managed => cx.err(
                            gp,
                            format!("`{n}` is self-managed: EKS rolls only managed node groups (use your own replacement process)"),
                        ),
                        Some((_, Some(g))) => {
                            let version = match (&u.release_version, &u.kubernetes_version) {
                                (Some(r), _) => r.clone(),
                                (None, Some(k)) => format!("eks-optimized-{k}-latest"),
                                (None, None) => {
                                    cx.err(format!("{p}.nodeGroupUpdate"), "give `releaseVersion` or `kubernetesVersion`");
                                    String::new()
                                }
                            };
                            let base = cluster.node_groups[g].update.clone();
                            let update = update_config(&mut cx, &format!("{p}.nodeGroupUpdate.updateConfig"), &u.update_config, base);
                            events.push(super::ScriptedEvent {
                                at,
                                action: super::ScriptedAction::NodeGroupUpdate { group: g, version, update, force: u.force.unwrap_or(false), scripted },
                            });
                        }
                    }
                }
                None => cx.err(
                    p,
                    "an event needs an action: `spotInterruption` or `nodeGroupUpdate`",
                ),
            },
        }
    }
    events.sort_by_key(|e| e.at);
    // An Auto Scaling group replaces an instance that fails its EC2 health checks; the checks and
    // the replacement take minutes. No published figure: an eksim assumption of 5 minutes.
    let unhealthy_replacement_delay = cx.duration(
        "ec2.unhealthyReplacementDelay",
        &raw.ec2
            .as_ref()
            .and_then(|e| e.unhealthy_replacement_delay.clone()),
        SimDuration::from_secs(300),
    );
    let codes = [
        "InsufficientInstanceCapacity",
        "AsgInstanceLaunchFailures",
        "InstanceLimitExceeded",
        "InsufficientFreeAddresses",
        "Ec2SubnetInvalidConfiguration",
    ];
    let mut launch_failures = Vec::new();
    for (i, f) in raw.launch_failures.iter().enumerate() {
        let p = format!("launchFailures[{i}]");
        let names: Vec<&str> = cluster
            .node_groups
            .iter()
            .map(|g| g.name.as_str())
            .collect();
        let Some(group) = f
            .node_group
            .as_ref()
            .and_then(|n| names.iter().position(|x| x == n))
        else {
            let hint = f
                .node_group
                .as_deref()
                .map(|n| did_you_mean(n, names.iter().copied()))
                .unwrap_or_default();
            cx.err(
                format!("{p}.nodeGroup"),
                format!("required: the name of a node group{hint}"),
            );
            continue;
        };
        let zone = match &f.zone {
            None => None,
            Some(z) => match cluster.zones.iter().position(|c| c == z) {
                Some(zi) => Some(zi),
                None => {
                    cx.err(
                        format!("{p}.zone"),
                        format!("`{z}` is not one of the cluster's availabilityZones"),
                    );
                    None
                }
            },
        };
        let from = cx.duration(&format!("{p}.from"), &f.from, SimDuration::ZERO);
        let to = cx.duration(&format!("{p}.to"), &f.to, horizon);
        if to < from {
            cx.err(format!("{p}.to"), "must not be before `from`");
        }
        let probability = f.probability.unwrap_or(1.0);
        if !(0.0..=1.0).contains(&probability) {
            cx.err(
                format!("{p}.probability"),
                format!("must be between 0 and 1, got {probability}"),
            );
        }
        let code = f
            .code
            .clone()
            .unwrap_or_else(|| "InsufficientInstanceCapacity".into());
        if !codes.contains(&code.as_str()) {
            let hint = did_you_mean(&code, codes);
            cx.err(
                format!("{p}.code"),
                format!("`{code}` is not a modelled health issue code{hint}"),
            );
        }
        launch_failures.push(super::LaunchFailure {
            group,
            zone,
            from,
            to,
            probability,
            code,
        });
    }
    let mut pdbs = Vec::new();
    let workload = validate_workload(&mut cx, &raw.workload, horizon, &mut pdbs);
    let scheduler = {
        let mut issues = Vec::new();
        let p = super::scheduler_config::profile(
            &raw.scheduler.clone().unwrap_or_default(),
            &mut |path, msg| issues.push((path, msg)),
        );
        for (path, msg) in issues {
            cx.err(path, msg);
        }
        p
    };

    if !cx.issues.is_empty() {
        return Err(ScenarioError::Invalid {
            file: path.to_path_buf(),
            issues: cx.issues,
        });
    }
    Ok(Scenario {
        name: raw.name.clone().unwrap_or_else(|| cluster.name.clone()),
        path: Some(path.to_path_buf()),
        horizon,
        seed: raw.seed.unwrap_or(0),
        cluster,
        control_plane,
        latency,
        fargate,
        catalog,
        vm_memory_overhead,
        daemon_sets,
        sample_interval,
        scheduler,
        autoscaler,
        karpenter,
        spot,
        spot_interruption_rate,
        events,
        launch_failures,
        unhealthy_replacement_delay,
        workload,
        pdbs,
        ignored_fields: cx.ignored,
    })
}

fn group_path(cluster: &ClusterSpec, g: &NodeGroupSpec) -> String {
    let list = if g.managed {
        "managedNodeGroups"
    } else {
        "nodeGroups"
    };
    let idx = cluster
        .node_groups
        .iter()
        .filter(|o| o.managed == g.managed)
        .position(|o| std::ptr::eq(o, g))
        .unwrap_or(0);
    format!("{list}[{idx}].instanceType")
}

fn validate_cluster(cx: &mut Ctx, c: RawCluster) -> ClusterSpec {
    if let Some(v) = &c.api_version
        && v != "eksctl.io/v1alpha5"
    {
        cx.err(
            "cluster.apiVersion",
            format!("`{v}` is not supported; expected `eksctl.io/v1alpha5`"),
        );
    }
    if let Some(k) = &c.kind
        && k != "ClusterConfig"
    {
        cx.err(
            "cluster.kind",
            format!("`{k}` is not supported; expected `ClusterConfig`"),
        );
    }
    cx.ignore("cluster", &c.other, CLUSTER_FIELDS);
    let meta = c.metadata.clone().unwrap_or_default();
    cx.ignore(
        "cluster.metadata",
        &meta.other,
        &["name", "region", "version"],
    );
    let name = meta.name.clone().unwrap_or_else(|| {
        cx.err("cluster.metadata.name", "required: the cluster name");
        String::new()
    });
    let region = meta.region.clone().unwrap_or_else(|| "us-east-1".into());
    let version = match &meta.version {
        None => "1.30".to_string(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => {
            cx.err(
                "cluster.metadata.version",
                format!("write the version as a quoted string, e.g. \"1.30\" (YAML reads {other} as a number)"),
            );
            String::new()
        }
    };
    let zones = match &c.availability_zones {
        None => ["a", "b", "c"]
            .iter()
            .map(|s| format!("{region}{s}"))
            .collect(),
        Some(z) => z.clone(),
    };
    if zones.len() < 2 || zones.len() > MAX_ZONES {
        cx.err(
            "cluster.availabilityZones",
            format!("{} zone(s) given; an EKS cluster spans 2 or 3 Availability Zones (the control plane uses three)", zones.len()),
        );
    }
    let mut seen = BTreeSet::new();
    for (i, z) in zones.iter().enumerate() {
        if !seen.insert(z) {
            cx.err(
                format!("cluster.availabilityZones[{i}]"),
                format!("`{z}` is listed twice"),
            );
        }
        if !z.starts_with(&region) || z.len() != region.len() + 1 {
            cx.err(
                format!("cluster.availabilityZones[{i}]"),
                format!("`{z}` is not a zone of region `{region}`; expected e.g. `{region}a`"),
            );
        }
    }

    let mut node_groups = Vec::new();
    let mut names = BTreeSet::new();
    let managed_count = c.managed_node_groups.len();
    if managed_count > MAX_MANAGED_NODE_GROUPS {
        cx.ignored.push(format!(
            "warning: {managed_count} managed node groups exceed the default EKS quota of {MAX_MANAGED_NODE_GROUPS} (adjustable)"
        ));
    }
    for (list, managed, groups) in [
        ("managedNodeGroups", true, &c.managed_node_groups),
        ("nodeGroups", false, &c.node_groups),
    ] {
        for (i, g) in groups.iter().enumerate() {
            let p = format!("cluster.{list}[{i}]");
            if let Some(ng) = validate_node_group(cx, &p, g, managed, &zones, &version) {
                if !names.insert(ng.name.clone()) {
                    cx.err(
                        format!("{p}.name"),
                        format!("node group name `{}` is used twice", ng.name),
                    );
                }
                node_groups.push(ng);
            }
        }
    }

    let mut fargate_profiles = Vec::new();
    if c.fargate_profiles.len() > MAX_FARGATE_PROFILES {
        cx.err(
            "cluster.fargateProfiles",
            format!("{} profiles given; EKS allows at most {MAX_FARGATE_PROFILES} Fargate profiles per cluster", c.fargate_profiles.len()),
        );
    }
    let mut pnames = BTreeSet::new();
    for (i, fp) in c.fargate_profiles.iter().enumerate() {
        let p = format!("cluster.fargateProfiles[{i}]");
        cx.ignore(&p, &fp.other, &["name", "selectors"]);
        let name = fp.name.clone().unwrap_or_else(|| {
            cx.err(format!("{p}.name"), "required");
            String::new()
        });
        if !name.is_empty() && !pnames.insert(name.clone()) {
            cx.err(
                format!("{p}.name"),
                format!("profile name `{name}` is used twice"),
            );
        }
        if fp.selectors.is_empty() {
            cx.err(
                format!("{p}.selectors"),
                "a Fargate profile needs at least one selector",
            );
        }
        if fp.selectors.len() > MAX_SELECTORS_PER_PROFILE {
            cx.err(
                format!("{p}.selectors"),
                format!("{} selectors given; EKS allows at most {MAX_SELECTORS_PER_PROFILE} per profile", fp.selectors.len()),
            );
        }
        let mut selectors = Vec::new();
        for (j, s) in fp.selectors.iter().enumerate() {
            let sp = format!("{p}.selectors[{j}]");
            let namespace = match &s.namespace {
                Some(n) if !n.is_empty() => n.clone(),
                _ => {
                    cx.err(
                        format!("{sp}.namespace"),
                        "required: the namespace (wildcards `*` and `?` allowed)",
                    );
                    String::new()
                }
            };
            if s.labels.len() > MAX_SELECTOR_LABELS {
                cx.err(
                    format!("{sp}.labels"),
                    format!(
                        "{} labels given; EKS allows at most {MAX_SELECTOR_LABELS} per selector",
                        s.labels.len()
                    ),
                );
            }
            selectors.push(Selector {
                namespace,
                labels: sorted_pairs(&s.labels),
            });
        }
        fargate_profiles.push(Profile { name, selectors });
    }

    ClusterSpec {
        name,
        region,
        version,
        zones,
        node_groups,
        fargate_profiles,
    }
}

fn validate_node_group(
    cx: &mut Ctx,
    p: &str,
    g: &RawNodeGroup,
    managed: bool,
    zones: &[String],
    version: &str,
) -> Option<NodeGroupSpec> {
    cx.ignore(p, &g.other, NODE_GROUP_FIELDS);
    let name = match &g.name {
        Some(n) if !n.is_empty() => n.clone(),
        _ => {
            cx.err(format!("{p}.name"), "required: the node group name");
            return None;
        }
    };
    let instance_types = match (&g.instance_type, &g.instance_types) {
        (Some(t), None) => vec![t.clone()],
        (None, Some(ts)) if !ts.is_empty() => ts.clone(),
        (Some(_), Some(_)) => {
            cx.err(
                format!("{p}.instanceTypes"),
                "give either `instanceType` or `instanceTypes`, not both",
            );
            vec![]
        }
        _ => {
            // eksctl's default instance type.
            vec!["m5.large".into()]
        }
    };
    // eksctl defaults: desiredCapacity 2, minSize = desired, maxSize = desired.
    let desired_raw = g.desired_capacity.unwrap_or_else(|| {
        g.min_size
            .unwrap_or(2)
            .max(0)
            .min(g.max_size.unwrap_or(i64::MAX))
    });
    let min_raw = g
        .min_size
        .unwrap_or(desired_raw.min(g.max_size.unwrap_or(desired_raw)));
    let max_raw = g.max_size.unwrap_or(desired_raw.max(min_raw));
    let mut bad = false;
    for (field, v) in [
        ("minSize", min_raw),
        ("maxSize", max_raw),
        ("desiredCapacity", desired_raw),
    ] {
        if v < 0 {
            cx.err(
                format!("{p}.{field}"),
                format!("must be 0 or more, got {v}"),
            );
            bad = true;
        } else if v > 100_000 {
            cx.err(
                format!("{p}.{field}"),
                format!("{v} nodes is more than the 100000 eksim accepts"),
            );
            bad = true;
        }
    }
    if !bad {
        if min_raw > max_raw {
            cx.err(
                format!("{p}.minSize"),
                format!("minSize ({min_raw}) is greater than maxSize ({max_raw})"),
            );
        } else if desired_raw < min_raw || desired_raw > max_raw {
            cx.err(
                format!("{p}.desiredCapacity"),
                format!("desiredCapacity ({desired_raw}) must be between minSize ({min_raw}) and maxSize ({max_raw})"),
            );
        }
    }
    if managed && max_raw > MAX_NODES_PER_MANAGED_GROUP as i64 {
        cx.ignored.push(format!(
            "warning: {p}.maxSize {max_raw} exceeds the default EKS quota of {MAX_NODES_PER_MANAGED_GROUP} nodes per managed node group (adjustable)"
        ));
    }
    let group_zones: Vec<usize> = match &g.availability_zones {
        None => (0..zones.len()).collect(),
        Some(list) => list
            .iter()
            .enumerate()
            .filter_map(|(i, z)| match zones.iter().position(|c| c == z) {
                Some(idx) => Some(idx),
                None => {
                    let hint = did_you_mean(z, zones.iter().map(String::as_str));
                    cx.err(
                        format!("{p}.availabilityZones[{i}]"),
                        format!("`{z}` is not one of the cluster's availabilityZones{hint}"),
                    );
                    None
                }
            })
            .collect(),
    };
    let taints = parse_taints(cx, &format!("{p}.taints"), &g.taints);
    let max_pods = match g.max_pods_per_node {
        None => None,
        Some(v) if (1..=1000).contains(&v) => Some(v as u32),
        Some(v) => {
            cx.err(
                format!("{p}.maxPodsPerNode"),
                format!("must be between 1 and 1000, got {v}"),
            );
            None
        }
    };
    let ami_version = g
        .release_version
        .clone()
        .or_else(|| g.ami.clone())
        .unwrap_or_else(|| format!("eks-optimized-{version}-latest"));
    Some(NodeGroupSpec {
        name,
        managed,
        instance_types,
        min_size: min_raw.max(0) as u32,
        max_size: max_raw.max(0) as u32,
        desired: desired_raw.max(0) as u32,
        zones: group_zones,
        labels: sorted_pairs(&g.labels),
        taints,
        capacity_type: if g.spot.unwrap_or(false) {
            CapacityType::Spot
        } else {
            CapacityType::OnDemand
        },
        ami_version,
        max_pods,
        update: update_config(
            cx,
            &format!("{p}.updateConfig"),
            &g.update_config,
            UpdateConfig::default(),
        ),
        volume_size_gib: match g.volume_size {
            None => super::DEFAULT_VOLUME_SIZE_GIB,
            Some(v) if (1..=16_384).contains(&v) => v as u32,
            Some(v) => {
                cx.err(
                    format!("{p}.volumeSize"),
                    format!("must be between 1 and 16384 GiB, got {v}"),
                );
                super::DEFAULT_VOLUME_SIZE_GIB
            }
        },
    })
}

/// Taints in eksctl's list or map form, problems reported through `err(path, message)`.
pub(crate) fn taints_of(
    p: &str,
    v: &Option<serde_json::Value>,
    err: &mut dyn FnMut(String, String),
) -> Vec<Taint> {
    let mut cx = Ctx {
        issues: Vec::new(),
        ignored: Vec::new(),
        base_dir: PathBuf::new(),
    };
    let t = parse_taints(&mut cx, p, v);
    for i in cx.issues {
        err(i.path, i.message);
    }
    t
}

fn parse_taints(cx: &mut Ctx, p: &str, v: &Option<serde_json::Value>) -> Vec<Taint> {
    let mut out = Vec::new();
    let effect_of = |cx: &mut Ctx, path: String, e: &str| match TaintEffect::parse(e) {
        Some(e) => Some(e),
        None => {
            cx.err(
                path,
                format!("effect `{e}` is not one of NoSchedule, PreferNoSchedule, NoExecute"),
            );
            None
        }
    };
    match v {
        None => {}
        Some(serde_json::Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let ip = format!("{p}[{i}]");
                let get = |k: &str| item.get(k).and_then(|x| x.as_str()).map(str::to_string);
                let Some(key) = get("key") else {
                    cx.err(format!("{ip}.key"), "required");
                    continue;
                };
                let value = get("value").unwrap_or_default();
                let Some(e) = get("effect") else {
                    cx.err(
                        format!("{ip}.effect"),
                        "required: NoSchedule, PreferNoSchedule or NoExecute",
                    );
                    continue;
                };
                if let Some(effect) = effect_of(cx, format!("{ip}.effect"), &e) {
                    out.push(Taint { key, value, effect });
                }
            }
        }
        Some(serde_json::Value::Object(map)) => {
            // eksctl's older form: `key: value:Effect`.
            for (k, val) in map {
                let s = val.as_str().unwrap_or_default();
                let (value, e) = s.rsplit_once(':').unwrap_or(("", s));
                if let Some(effect) = effect_of(cx, format!("{p}.{k}"), e) {
                    out.push(Taint {
                        key: k.clone(),
                        value: value.to_string(),
                        effect,
                    });
                }
            }
        }
        Some(_) => cx.err(p, "expected a list of {key, value, effect}"),
    }
    out
}

fn validate_control_plane(
    cx: &mut Ctx,
    cp: RawControlPlane,
    pricing: &Option<RawPricing>,
    cluster: &ClusterSpec,
) -> ControlPlaneSpec {
    use crate::cluster::control_plane::{
        ControlPlaneMode, EKS_DETECTION_DELAY, EKS_REPLACEMENT_TIME, FailureModel,
        NODE_MONITOR_GRACE, POD_EVICTION_TIMEOUT, SELF_MANAGED_REPAIR_TIME,
    };
    let mode = match cp.mode.as_deref() {
        None | Some("eks") => ControlPlaneMode::Eks,
        Some("self-managed") => ControlPlaneMode::SelfManaged,
        Some(o) => {
            cx.err(
                "controlPlane.mode",
                format!("`{o}` is not `eks` or `self-managed`"),
            );
            ControlPlaneMode::Eks
        }
    };
    let eks = mode == ControlPlaneMode::Eks;
    let default_servers = if eks { DEFAULT_API_SERVERS as i64 } else { 1 };
    let default_etcd = if eks { DEFAULT_ETCD_MEMBERS as i64 } else { 1 };
    let fixed = |d| Distribution::Fixed(d);
    let failures = FailureModel {
        mtbf: cp.mtbf.as_ref().and_then(|r| match r.validate() {
            Ok(d) => Some(d),
            Err(e) => {
                cx.err("controlPlane.mtbf", e);
                None
            }
        }),
        detection_delay: cx.duration(
            "controlPlane.detectionDelay",
            &cp.detection_delay,
            EKS_DETECTION_DELAY,
        ),
        replacement: cx.dist(
            "controlPlane.replacementTime",
            &cp.replacement_time,
            &fixed(EKS_REPLACEMENT_TIME),
        ),
        repair: cx.dist(
            "controlPlane.repairTime",
            &cp.repair_time,
            &fixed(SELF_MANAGED_REPAIR_TIME),
        ),
        node_monitor_grace: cx.duration(
            "controlPlane.nodeMonitorGracePeriod",
            &cp.node_monitor_grace_period,
            NODE_MONITOR_GRACE,
        ),
        pod_eviction_timeout: cx.duration(
            "controlPlane.podEvictionTimeout",
            &cp.pod_eviction_timeout,
            POD_EVICTION_TIMEOUT,
        ),
    };
    let api_servers = cx.count(
        "controlPlane.apiServers",
        cp.api_servers,
        default_servers,
        64,
    ) as u32;
    if !eks && api_servers == 0 {
        cx.err(
            "controlPlane.apiServers",
            "a self-managed control plane needs at least 1 API server",
        );
    }
    if eks && api_servers < 2 {
        cx.err(
            "controlPlane.apiServers",
            format!("EKS runs at least 2 API server instances, got {api_servers}"),
        );
    }
    let etcd_members = cx.count(
        "controlPlane.etcdMembers",
        cp.etcd_members,
        default_etcd,
        64,
    ) as u32;
    if !eks && ![1, 3, 5].contains(&etcd_members) {
        cx.err(
            "controlPlane.etcdMembers",
            format!("a self-managed etcd has 1, 3 or 5 members, got {etcd_members}"),
        );
    } else if eks && etcd_members != 3 && etcd_members != 5 {
        cx.err(
            "controlPlane.etcdMembers",
            format!("must be 3 or 5, got {etcd_members}"),
        );
    }
    let support_tier = match cp.support_tier.as_deref() {
        None | Some("standard") => SupportTier::Standard,
        Some("extended") => SupportTier::Extended,
        Some(other) => {
            cx.err(
                "controlPlane.supportTier",
                format!("`{other}` is not `standard` or `extended`"),
            );
            SupportTier::Standard
        }
    };
    let cpp = pricing
        .as_ref()
        .and_then(|p| p.control_plane.clone())
        .unwrap_or_default();
    let standard = cx.price(
        "pricing.controlPlane.standard",
        cpp.standard,
        STANDARD_FEE_PER_HOUR,
    );
    let extended = cx.price(
        "pricing.controlPlane.extended",
        cpp.extended,
        EXTENDED_FEE_PER_HOUR,
    );
    let zones = match cp.zones {
        None => cluster.zones.clone(),
        Some(z) => {
            for (i, zone) in z.iter().enumerate() {
                if !cluster.zones.contains(zone) {
                    cx.err(
                        format!("controlPlane.zones[{i}]"),
                        format!("`{zone}` is not one of the cluster's availabilityZones"),
                    );
                }
            }
            z
        }
    };
    ControlPlaneSpec {
        mode,
        failures,
        api_servers,
        etcd_members,
        zones,
        support_tier,
        fee_per_hour: match support_tier {
            SupportTier::Standard => standard,
            SupportTier::Extended => extended,
        },
    }
}

fn validate_latency(cx: &mut Ctx, l: RawLatency) -> LatencySpec {
    let d = default_latency();
    let pull = l.image_pull.unwrap_or_default();
    LatencySpec {
        node_launch: cx.dist("latency.nodeLaunch", &l.node_launch, &d.node_launch),
        fargate_provision: cx.dist(
            "latency.fargateProvision",
            &l.fargate_provision,
            &d.fargate_provision,
        ),
        image_pull_ec2: cx.dist("latency.imagePull.ec2", &pull.ec2, &d.image_pull_ec2),
        image_pull_fargate: cx.dist(
            "latency.imagePull.fargate",
            &pull.fargate,
            &d.image_pull_fargate,
        ),
        container_start: cx.dist(
            "latency.containerStart",
            &l.container_start,
            &d.container_start,
        ),
    }
}

fn tolerations(cx: &mut Ctx, p: &str, raw: &[RawToleration]) -> Vec<Toleration> {
    raw.iter()
        .enumerate()
        .filter_map(|(i, t)| {
            let tp = format!("{p}[{i}]");
            let operator = match t.operator.as_deref() {
                None | Some("Equal") => TolerationOperator::Equal,
                Some("Exists") => TolerationOperator::Exists,
                Some(o) => {
                    cx.err(
                        format!("{tp}.operator"),
                        format!("`{o}` is not `Equal` or `Exists`"),
                    );
                    return None;
                }
            };
            let effect = match t.effect.as_deref() {
                None | Some("") => None,
                Some(e) => match TaintEffect::parse(e) {
                    Some(e) => Some(e),
                    None => {
                        cx.err(
                            format!("{tp}.effect"),
                            format!("`{e}` is not NoSchedule, PreferNoSchedule or NoExecute"),
                        );
                        return None;
                    }
                },
            };
            Some(Toleration {
                key: t.key.clone().unwrap_or_default(),
                operator,
                value: t.value.clone().unwrap_or_default(),
                effect,
            })
        })
        .collect()
}

struct TemplateFields<'a> {
    namespace: &'a Option<String>,
    labels: &'a BTreeMap<String, String>,
    priority: Option<i32>,
    image: &'a Option<String>,
    node_selector: &'a BTreeMap<String, String>,
    tolerations: &'a [RawToleration],
    privileged: Option<bool>,
    host_network: Option<bool>,
    owner: OwnerKind,
    affinity: &'a Option<serde_json::Value>,
    spread: &'a Option<serde_json::Value>,
}

fn template(cx: &mut Ctx, p: &str, name: &str, f: TemplateFields) -> PodTemplate {
    PodTemplate {
        namespace: f.namespace.as_deref().unwrap_or("default").into(),
        labels: sorted_pairs(f.labels).into(),
        priority: f.priority.unwrap_or(0),
        image: f.image.as_deref().unwrap_or(name).into(),
        node_selector: sorted_pairs(f.node_selector).into(),
        tolerations: tolerations(cx, &format!("{p}.tolerations"), f.tolerations).into(),
        privileged: f.privileged.unwrap_or(false),
        host_network: f.host_network.unwrap_or(false),
        host_port: false,
        preemption_never: false,
        constraints: {
            let (c, problems) = crate::workload::manifest::pod_constraints(
                f.affinity.as_ref(),
                f.spread.as_ref(),
                p,
            );
            for msg in problems {
                let (path, m) = msg.split_once(": ").unwrap_or((p, msg.as_str()));
                cx.err(path.to_string(), m.to_string());
            }
            std::sync::Arc::new(c)
        },
        owner: f.owner,
    }
}

fn request(
    cx: &mut Ctx,
    p: &str,
    cpu: &Option<Quantity>,
    mem: &Option<Quantity>,
    gpu: Option<i64>,
    eph: &Option<Quantity>,
    weight: Option<i64>,
) -> RequestChoice {
    let gpus = cx.count(&format!("{p}.gpu"), gpu, 0, 64) as u32;
    let weight = cx.count(&format!("{p}.weight"), weight, 1, 1_000_000_000);
    if weight == 0 {
        cx.err(format!("{p}.weight"), "must be at least 1");
    }
    RequestChoice {
        cpu_m: cx.cpu(&format!("{p}.cpu"), cpu),
        memory_mib: cx.memory(&format!("{p}.memory"), mem),
        gpus,
        ephemeral_mib: cx.memory(&format!("{p}.ephemeralStorage"), eph),
        weight: weight.max(1),
    }
}

fn validate_workload(
    cx: &mut Ctx,
    items: &[RawWorkload],
    horizon: SimDuration,
    pdbs: &mut Vec<crate::workload::PdbSpec>,
) -> Vec<WorkloadSpec> {
    let mut out = Vec::new();
    let mut names = BTreeSet::new();
    let mut check_name = |cx: &mut Ctx, p: &str, name: &Option<String>| -> String {
        match name {
            Some(n) if !n.is_empty() => {
                if !names.insert(n.clone()) {
                    cx.err(format!("{p}.name"), format!("workload name `{n}` is used twice; names seed the random streams and must be unique"));
                }
                n.clone()
            }
            _ => {
                cx.err(format!("{p}.name"), "required");
                String::new()
            }
        }
    };
    for (i, item) in items.iter().enumerate() {
        match item {
            RawWorkload::Deployment(d) => {
                let p = format!("workload[{i}].deployment");
                let name = check_name(cx, &p, &d.name);
                let replicas = cx.count(&format!("{p}.replicas"), d.replicas, 1, MAX_REPLICAS);
                let at = cx.duration(&format!("{p}.at"), &d.at, SimDuration::ZERO);
                let requests =
                    request(cx, &p, &d.cpu, &d.memory, d.gpu, &d.ephemeral_storage, None);
                // A Deployment's selector must match its pods' labels and cannot be empty, so pods
                // of a Deployment always carry labels; `app: <name>` when none are given.
                let labels = if d.labels.is_empty() {
                    BTreeMap::from([("app".to_string(), name.clone())])
                } else {
                    d.labels.clone()
                };
                let template = template(
                    cx,
                    &p,
                    &name,
                    TemplateFields {
                        namespace: &d.namespace,
                        labels: &labels,
                        priority: d.priority,
                        image: &d.image,
                        node_selector: &d.node_selector,
                        tolerations: &d.tolerations,
                        privileged: d.privileged,
                        host_network: d.host_network,
                        owner: OwnerKind::ReplicaSet,
                        affinity: &d.affinity,
                        spread: &d.topology_spread_constraints,
                    },
                );
                out.push(WorkloadSpec::Controller(ControllerSpec {
                    name,
                    kind: ControllerKind::ReplicaSet,
                    template,
                    requests,
                    at: SimTime(at.0),
                    replicas: vec![(SimTime(at.0), replicas)],
                    duration: None,
                    grace: super::manifests::DEFAULT_GRACE,
                }));
            }
            RawWorkload::Generator(g) => {
                let p = format!("workload[{i}].generator");
                let name = check_name(cx, &p, &g.name);
                let arrivals = match &g.arrivals {
                    None => {
                        cx.err(format!("{p}.arrivals"), "required: `{poisson: {ratePerMinute: N}}`, `{dailyProfile: {ratePerMinute: [24 values]}}` or `{every: 30s}`");
                        Arrivals::Poisson { per_minute: 0.0 }
                    }
                    Some(RawArrivals::Poisson { rate_per_minute }) => {
                        if !rate_per_minute.is_finite()
                            || *rate_per_minute < 0.0
                            || *rate_per_minute > 1.0e7
                        {
                            cx.err(format!("{p}.arrivals.poisson.ratePerMinute"), format!("must be a rate between 0 and 10,000,000 per minute, got {rate_per_minute}"));
                        }
                        Arrivals::Poisson {
                            per_minute: *rate_per_minute,
                        }
                    }
                    Some(RawArrivals::DailyProfile { rate_per_minute }) => {
                        if rate_per_minute.len() != 24 {
                            cx.err(
                                format!("{p}.arrivals.dailyProfile.ratePerMinute"),
                                format!(
                                    "needs 24 values (one per hour of the day), got {}",
                                    rate_per_minute.len()
                                ),
                            );
                        }
                        for (h, r) in rate_per_minute.iter().enumerate() {
                            if !r.is_finite() || *r < 0.0 || *r > 1.0e7 {
                                cx.err(format!("{p}.arrivals.dailyProfile.ratePerMinute[{h}]"), format!("must be a rate between 0 and 10,000,000 per minute, got {r}"));
                            }
                        }
                        let mut v = rate_per_minute.clone();
                        v.resize(24, 0.0);
                        Arrivals::DailyProfile { per_minute: v }
                    }
                    Some(RawArrivals::Every(s)) => {
                        let d = cx.duration(
                            &format!("{p}.arrivals.every"),
                            &Some(s.clone()),
                            SimDuration::from_secs(1),
                        );
                        if d.0 == 0 {
                            cx.err(format!("{p}.arrivals.every"), "must be longer than 0s");
                        }
                        Arrivals::Every(SimDuration(d.0.max(1)))
                    }
                };
                let duration = g.duration.as_ref().map(|r| {
                    r.validate().unwrap_or_else(|e| {
                        cx.err(format!("{p}.duration"), e);
                        Distribution::Fixed(SimDuration::ZERO)
                    })
                });
                let fixed_given = g.cpu.is_some()
                    || g.memory.is_some()
                    || g.gpu.is_some()
                    || g.ephemeral_storage.is_some();
                let requests = match &g.requests {
                    Some(list) => {
                        if fixed_given {
                            cx.err(
                                format!("{p}.requests"),
                                "give either cpu/memory or a `requests` list, not both",
                            );
                        }
                        if list.is_empty() {
                            cx.err(format!("{p}.requests"), "needs at least one entry");
                        }
                        list.iter()
                            .enumerate()
                            .map(|(j, r)| {
                                request(
                                    cx,
                                    &format!("{p}.requests[{j}]"),
                                    &r.cpu,
                                    &r.memory,
                                    r.gpu,
                                    &r.ephemeral_storage,
                                    r.weight,
                                )
                            })
                            .collect()
                    }
                    None => vec![request(
                        cx,
                        &p,
                        &g.cpu,
                        &g.memory,
                        g.gpu,
                        &g.ephemeral_storage,
                        None,
                    )],
                };
                let start = cx.duration(&format!("{p}.start"), &g.start, SimDuration::ZERO);
                let end = g.end.as_ref().map(|_| {
                    SimTime(
                        cx.duration(&format!("{p}.end"), &g.end, SimDuration::ZERO)
                            .0,
                    )
                });
                if let Some(e) = end
                    && e.0 <= start.0
                {
                    cx.err(format!("{p}.end"), "must be later than start");
                }
                let count = g
                    .count
                    .map(|_| cx.count(&format!("{p}.count"), g.count, 0, MAX_PODS_PER_SOURCE));
                // Every pod is kept for pods.csv, so a generator that would submit more pods
                // than a source may hold is refused here, not after filling memory.
                let window_end = end.map_or(horizon.0, |e| e.0.min(horizon.0));
                let window_min = window_end.saturating_sub(start.0) as f64 / 60_000.0;
                let expected = match &arrivals {
                    Arrivals::Poisson { per_minute } => per_minute * window_min,
                    Arrivals::DailyProfile { per_minute } => {
                        per_minute.iter().sum::<f64>() / 24.0 * window_min
                    }
                    Arrivals::Every(d) => window_min * 60_000.0 / d.0 as f64,
                };
                let expected = count.map_or(expected, |c| expected.min(c as f64));
                if expected > MAX_PODS_PER_SOURCE as f64 {
                    cx.err(
                        format!("{p}.arrivals"),
                        format!(
                            "would submit about {expected:.0} pods in its window (start to end or \
                             the horizon), more than the {MAX_PODS_PER_SOURCE} eksim accepts per \
                             source; set `count` or `end`, or lower the rate"
                        ),
                    );
                }
                let template = template(
                    cx,
                    &p,
                    &name,
                    TemplateFields {
                        namespace: &g.namespace,
                        labels: &g.labels,
                        priority: g.priority,
                        image: &g.image,
                        node_selector: &g.node_selector,
                        tolerations: &g.tolerations,
                        privileged: g.privileged,
                        host_network: g.host_network,
                        owner: OwnerKind::Job,
                        affinity: &g.affinity,
                        spread: &g.topology_spread_constraints,
                    },
                );
                out.push(WorkloadSpec::Generator(GeneratorSpec {
                    name,
                    arrivals,
                    duration,
                    requests,
                    start: SimTime(start.0),
                    end,
                    count,
                    template,
                }));
            }
            RawWorkload::Manifests(m) => {
                let p = format!("workload[{i}].manifests");
                let base = cx.base_dir.clone();
                let mut issues = Vec::new();
                let specs =
                    super::manifests::controllers(m, &p, &base, horizon, &mut |path, msg| {
                        issues.push((path, msg))
                    });
                for (path, msg) in issues {
                    cx.err(path, msg);
                }
                for (c, pdbs_of) in specs {
                    if let Some(c) = c {
                        let _ = check_name(cx, &p, &Some(c.name.clone()));
                        out.push(WorkloadSpec::Controller(c));
                    }
                    pdbs.extend(pdbs_of);
                }
            }
            RawWorkload::Trace(t) => {
                let p = format!("workload[{i}].trace");
                let path = match &t.file {
                    None => {
                        cx.err(format!("{p}.file"), "required: path of a canonical trace CSV, relative to the scenario file");
                        PathBuf::new()
                    }
                    Some(f) => {
                        let full = cx.base_dir.join(f);
                        if !full.is_file() {
                            cx.err(
                                format!("{p}.file"),
                                format!("trace file `{}` not found", full.display()),
                            );
                        }
                        full
                    }
                };
                let offset = cx.duration(&format!("{p}.offset"), &t.offset, SimDuration::ZERO);
                let (constraints, problems) = crate::workload::manifest::pod_constraints(
                    t.affinity.as_ref(),
                    t.topology_spread_constraints.as_ref(),
                    &p,
                );
                for msg in problems {
                    let (path, m) = msg.split_once(": ").unwrap_or((p.as_str(), msg.as_str()));
                    cx.err(path.to_string(), m.to_string());
                }
                let tolerations = tolerations(cx, &format!("{p}.tolerations"), &t.tolerations);
                out.push(WorkloadSpec::Trace(TraceSpec {
                    path,
                    namespace: t.namespace.clone(),
                    labels: sorted_pairs(&t.labels),
                    offset,
                    node_selector: sorted_pairs(&t.node_selector),
                    tolerations: tolerations.into(),
                    constraints: std::sync::Arc::new(constraints),
                }));
            }
        }
    }
    out
}

fn validate_autoscaler(
    cx: &mut Ctx,
    a: &RawAutoscaler,
) -> crate::autoscaler::ClusterAutoscalerSpec {
    use crate::autoscaler::{ClusterAutoscalerSpec, Expander};
    let d = ClusterAutoscalerSpec::default();
    match a.kind.as_deref() {
        None | Some("cluster-autoscaler") => {}
        Some(other) => {
            let hint = did_you_mean(other, ["cluster-autoscaler"]);
            cx.err(
                "autoscaler.kind",
                format!("`{other}` is not modelled; expected `cluster-autoscaler`{hint}"),
            );
        }
    }
    let expander = match a.expander.as_deref() {
        None | Some("least-waste") => Expander::LeastWaste,
        Some("random") => Expander::Random,
        Some("most-pods") => Expander::MostPods,
        Some("price") => Expander::Price,
        Some("priority") => match &a.priorities {
            None => {
                cx.err(
                    "autoscaler.priorities",
                    "the priority expander needs `priorities: {10: [pattern, ...], 50: [...]}`",
                );
                Expander::Priority(Vec::new())
            }
            Some(p) => Expander::Priority(
                p.iter()
                    .flat_map(|(prio, pats)| {
                        pats.iter().map(move |pat| (*prio as i32, pat.clone()))
                    })
                    .collect(),
            ),
        },
        Some(other) => {
            let names = ["random", "most-pods", "least-waste", "price", "priority"];
            let hint = did_you_mean(other, names);
            cx.err(
                "autoscaler.expander",
                format!(
                    "`{other}` is not one of random, most-pods, least-waste, price, priority{hint}"
                ),
            );
            Expander::LeastWaste
        }
    };
    let threshold = match a.scale_down_utilization_threshold {
        None => d.scale_down_utilization_threshold,
        Some(t) if (0.0..=1.0).contains(&t) => t,
        Some(t) => {
            cx.err(
                "autoscaler.scale-down-utilization-threshold",
                format!("must be between 0 and 1, got {t}"),
            );
            d.scale_down_utilization_threshold
        }
    };
    let scan = cx.duration(
        "autoscaler.scan-interval",
        &a.scan_interval,
        d.scan_interval,
    );
    if scan.0 == 0 {
        cx.err("autoscaler.scan-interval", "must be longer than 0s");
    }
    ClusterAutoscalerSpec {
        scan_interval: SimDuration(scan.0.max(1)),
        expander,
        scale_down_enabled: a.scale_down_enabled.unwrap_or(d.scale_down_enabled),
        scale_down_unneeded_time: cx.duration(
            "autoscaler.scale-down-unneeded-time",
            &a.scale_down_unneeded_time,
            d.scale_down_unneeded_time,
        ),
        scale_down_utilization_threshold: threshold,
        scale_down_delay_after_add: cx.duration(
            "autoscaler.scale-down-delay-after-add",
            &a.scale_down_delay_after_add,
            d.scale_down_delay_after_add,
        ),
        scale_down_delay_after_failure: cx.duration(
            "autoscaler.scale-down-delay-after-failure",
            &a.scale_down_delay_after_failure,
            d.scale_down_delay_after_failure,
        ),
        max_node_provision_time: cx.duration(
            "autoscaler.max-node-provision-time",
            &a.max_node_provision_time,
            d.max_node_provision_time,
        ),
        max_graceful_termination: SimDuration::from_secs(cx.count(
            "autoscaler.max-graceful-termination-sec",
            a.max_graceful_termination_sec,
            600,
            86_400,
        )),
        max_empty_bulk_delete: cx
            .count(
                "autoscaler.max-empty-bulk-delete",
                a.max_empty_bulk_delete,
                10,
                10_000,
            )
            .max(1) as u32,
        unremovable_node_recheck_timeout: cx.duration(
            "autoscaler.unremovable-node-recheck-timeout",
            &a.unremovable_node_recheck_timeout,
            d.unremovable_node_recheck_timeout,
        ),
        allow_unreplicated: a.allow_unreplicated_pods.unwrap_or(false),
    }
}

fn validate_spot(
    cx: &mut Ctx,
    pricing: &Option<RawPricing>,
    catalog: &Catalog,
) -> super::SpotPricing {
    let raw = pricing
        .as_ref()
        .and_then(|p| p.spot.clone())
        .unwrap_or_default();
    let discount = match raw.discount {
        None => None,
        Some(d) if (0.0..1.0).contains(&d) => Some(d),
        Some(d) => {
            cx.err(
                "pricing.spot.discount",
                format!("must be a share in [0, 1), e.g. 0.7 for 70% off, got {d}"),
            );
            None
        }
    };
    let mut prices = BTreeMap::new();
    for (name, price) in &raw.instances {
        let path = format!("pricing.spot.instances.{name}");
        if catalog.get(name).is_none() {
            let hint = did_you_mean(name, catalog.names());
            cx.err(path, format!("unknown instance type `{name}`{hint}"));
        } else {
            prices.insert(name.clone(), cx.price(&path, Some(*price), 0.0));
        }
    }
    super::SpotPricing { discount, prices }
}

fn update_config(
    cx: &mut Ctx,
    p: &str,
    raw: &Option<RawUpdateConfig>,
    base: UpdateConfig,
) -> UpdateConfig {
    let Some(r) = raw else { return base };
    let mut u = base;
    if let Some(n) = r.max_unavailable {
        if (1..=100).contains(&n) {
            u.max_unavailable = Some(n as u32);
            u.max_unavailable_percentage = None;
        } else {
            cx.err(
                format!("{p}.maxUnavailable"),
                format!("must be between 1 and 100, got {n}"),
            );
        }
    }
    if let Some(n) = r.max_unavailable_percentage {
        if r.max_unavailable.is_some() {
            cx.err(
                format!("{p}.maxUnavailablePercentage"),
                "give maxUnavailable or maxUnavailablePercentage, not both",
            );
        } else if (1..=100).contains(&n) {
            u.max_unavailable_percentage = Some(n as u32);
            u.max_unavailable = None;
        } else {
            cx.err(
                format!("{p}.maxUnavailablePercentage"),
                format!("must be between 1 and 100, got {n}"),
            );
        }
    }
    match r.update_strategy.as_deref() {
        None => {}
        Some("DEFAULT") => u.minimal = false,
        Some("MINIMAL") => u.minimal = true,
        Some(o) => cx.err(
            format!("{p}.updateStrategy"),
            format!("`{o}` is not DEFAULT or MINIMAL"),
        ),
    }
    u
}

/// Checks one `instanceTypes[]` entry; `None` when it has errors (already reported).
fn validate_instance_type(
    cx: &mut Ctx,
    p: &str,
    t: &super::raw::RawInstanceType,
) -> Option<crate::cluster::catalog::InstanceType> {
    use crate::cluster::catalog::{Allocatable, Arch, InstanceType};
    let before = cx.issues.len();
    let name = t.name.clone().unwrap_or_else(|| {
        cx.err(format!("{p}.name"), "required");
        String::new()
    });
    let vcpu = match t.vcpu {
        Some(v) if (1..=10_000).contains(&v) => v as u32,
        Some(v) => {
            cx.err(format!("{p}.vcpu"), format!("must be 1 to 10000, got {v}"));
            0
        }
        None => {
            cx.err(format!("{p}.vcpu"), "required");
            0
        }
    };
    let memory_mib = cx.memory(&format!("{p}.memory"), &t.memory);
    if t.memory.is_some() && memory_mib == 0 {
        cx.err(format!("{p}.memory"), "must be more than 0");
    } else if t.memory.is_none() {
        cx.err(format!("{p}.memory"), "required, e.g. 16Gi");
    }
    let price = match t.price_per_hour {
        None => {
            cx.err(format!("{p}.pricePerHour"), "required (USD per hour)");
            0.0
        }
        v => cx.price(&format!("{p}.pricePerHour"), v, 0.0),
    };
    let max_pods = t.max_pods.unwrap_or(110);
    if !(1..=10_000).contains(&max_pods) {
        cx.err(
            format!("{p}.maxPods"),
            format!("must be 1 to 10000, got {max_pods}"),
        );
    }
    let gpus = t.gpus.unwrap_or(0);
    if !(0..=64).contains(&gpus) {
        cx.err(format!("{p}.gpus"), format!("must be 0 to 64, got {gpus}"));
    }
    let allocatable = t.allocatable.as_ref().map(|a| {
        let cpu_m = match &a.cpu {
            Some(_) => cx.cpu(&format!("{p}.allocatable.cpu"), &a.cpu),
            None => u64::from(vcpu) * 1000,
        };
        let mem = match &a.memory {
            Some(_) => cx.memory(&format!("{p}.allocatable.memory"), &a.memory),
            None => memory_mib,
        };
        if cpu_m > u64::from(vcpu) * 1000 {
            cx.err(
                format!("{p}.allocatable.cpu"),
                format!("{cpu_m}m is more than the type's {vcpu} vCPU"),
            );
        }
        if mem > memory_mib {
            cx.err(
                format!("{p}.allocatable.memory"),
                format!("{mem}Mi is more than the type's {memory_mib}Mi"),
            );
        }
        Allocatable {
            cpu_m,
            memory_mib: mem,
            pods: max_pods.clamp(1, 10_000) as u32,
            gpus: gpus.clamp(0, 64) as u32,
        }
    });
    if cx.issues.len() > before {
        return None;
    }
    // ENIs chosen so the VPC CNI formula gives maxPods when no allocatable is stated:
    // enis × (ipv4 − 1) + 2 with one ENI of maxPods − 1 addresses.
    let max_pods = max_pods as u32;
    Some(InstanceType {
        name,
        vcpu,
        memory_mib,
        gpus: gpus as u32,
        gpu_model: None,
        enis: 1,
        ipv4_per_eni: max_pods.saturating_sub(1).max(1),
        price_per_hour_usd: price,
        arch: Arch::X86_64,
        allocatable_override: allocatable,
    })
}
