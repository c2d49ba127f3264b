//! `autoscaler: {kind: karpenter, nodePools: [...]}` → [`KarpenterSpec`]: each NodePool's
//! requirements are evaluated against every catalog instance type and capacity type (with the
//! well-known labels Karpenter gives them) to list its offerings, cheapest first; the pool's
//! labels, taints and zones become a node group the engine launches from.

use std::collections::BTreeMap;

use super::raw::{RawAutoscaler, RawNodePool};
use super::units::{parse_cpu, parse_duration, parse_memory_mib};
use super::{ClusterSpec, DaemonSetSpec, NodeGroupSpec, SpotPricing};
use crate::autoscaler::karpenter::{ConsolidationPolicy, KarpenterSpec, NodePoolSpec, Offering};
use crate::cluster::catalog::{Catalog, allocatable};
use crate::cluster::node::CapacityType;
use crate::cluster::resources::Resources;
use crate::sim::time::SimDuration;
use crate::workload::constraints::{Requirement, SelectorOp};

type Err<'a> = &'a mut dyn FnMut(String, String);

/// Karpenter's default expireAfter (720h, EKS_FACTS "Karpenter").
pub const DEFAULT_EXPIRE_AFTER: SimDuration = SimDuration::from_secs(720 * 3600);
/// Karpenter's default disruption budget: 10% of a pool's nodes.
pub const DEFAULT_BUDGET_SHARE: f64 = 0.10;

/// The labels Karpenter puts on a node of `type_name` with `capacity`, which requirements test.
fn offering_labels(
    it: &crate::cluster::catalog::InstanceType,
    capacity: CapacityType,
) -> Vec<(String, String)> {
    let mut l = vec![
        (
            "node.kubernetes.io/instance-type".to_string(),
            it.name.clone(),
        ),
        (
            "karpenter.k8s.aws/instance-family".to_string(),
            it.family().to_string(),
        ),
        (
            "karpenter.k8s.aws/instance-size".to_string(),
            it.size().to_string(),
        ),
        (
            "karpenter.k8s.aws/instance-cpu".to_string(),
            it.vcpu.to_string(),
        ),
        (
            "karpenter.k8s.aws/instance-memory".to_string(),
            it.memory_mib.to_string(),
        ),
        (
            "karpenter.k8s.aws/instance-gpu-count".to_string(),
            it.gpus.to_string(),
        ),
        (
            "kubernetes.io/arch".to_string(),
            it.arch.kubernetes_label().to_string(),
        ),
        ("kubernetes.io/os".to_string(), "linux".to_string()),
        (
            "karpenter.sh/capacity-type".to_string(),
            if capacity == CapacityType::Spot {
                "spot"
            } else {
                "on-demand"
            }
            .to_string(),
        ),
    ];
    l.sort();
    l
}

/// Builds the Karpenter spec; appends one node group per NodePool to `cluster`.
#[allow(clippy::too_many_arguments)]
pub fn spec(
    a: &RawAutoscaler,
    cluster: &mut ClusterSpec,
    catalog: &Catalog,
    spot: &SpotPricing,
    daemon_sets: &[DaemonSetSpec],
    vm_memory_overhead: f64,
    ignored: &mut Vec<String>,
    err: Err,
) -> KarpenterSpec {
    let dur = |field: &str, v: &Option<String>, d: SimDuration, err: Err| match v {
        None => d,
        Some(t) => parse_duration(t).unwrap_or_else(|e| {
            err(field.into(), e);
            d
        }),
    };
    let batch_idle = dur(
        "autoscaler.batchIdleDuration",
        &a.batch_idle_duration,
        SimDuration::from_secs(1),
        err,
    );
    let batch_max = dur(
        "autoscaler.batchMaxDuration",
        &a.batch_max_duration,
        SimDuration::from_secs(10),
        err,
    );
    let ds = daemon_sets.iter().fold(Resources::default(), |acc, d| {
        acc + Resources::pod(d.cpu_m, d.memory_mib, 0)
    });
    let mut pools = Vec::new();
    let raw_pools: Vec<RawNodePool> = a.node_pools.clone().unwrap_or_default();
    if raw_pools.is_empty() {
        err(
            "autoscaler.nodePools".into(),
            "Karpenter needs at least one NodePool".into(),
        );
    }
    for (i, rp) in raw_pools.iter().enumerate() {
        let p = format!("autoscaler.nodePools[{i}]");
        for k in rp
            .other
            .keys()
            .filter(|k| *k != "apiVersion" && *k != "kind")
        {
            ignored.push(format!("{p}.{k}"));
        }
        let name = rp
            .metadata
            .as_ref()
            .and_then(|m| m.name.clone())
            .unwrap_or_else(|| {
                err(format!("{p}.metadata.name"), "required".into());
                format!("nodepool-{i}")
            });
        let spec = rp.spec.clone().unwrap_or_default();
        for k in spec.other.keys() {
            ignored.push(format!("{p}.spec.{k}"));
        }
        let template = spec.template.clone().unwrap_or_default();
        let tspec = template.spec.clone().unwrap_or_default();
        for k in tspec.other.keys() {
            ignored.push(format!("{p}.spec.template.spec.{k}"));
        }
        let mut zones: Vec<usize> = (0..cluster.zones.len()).collect();
        let mut reqs: Vec<Requirement> = Vec::new();
        for (j, r) in tspec.requirements.iter().enumerate() {
            let rp_ = format!("{p}.spec.template.spec.requirements[{j}]");
            let Some(op) = SelectorOp::parse(&r.operator) else {
                err(
                    format!("{rp_}.operator"),
                    format!(
                        "`{}` is not In, NotIn, Exists, DoesNotExist, Gt or Lt",
                        r.operator
                    ),
                );
                continue;
            };
            let req = Requirement {
                key: r.key.clone(),
                op,
                values: r.values.clone(),
            };
            if r.key == "topology.kubernetes.io/zone" {
                zones.retain(|&z| req.matches(&[(r.key.clone(), cluster.zones[z].clone())]));
                if zones.is_empty() {
                    err(
                        format!("{rp_}.values"),
                        "no zone of the cluster satisfies this requirement".into(),
                    );
                }
            } else {
                reqs.push(req);
            }
        }
        let capacity_given = reqs.iter().any(|r| r.key == "karpenter.sh/capacity-type");
        let mut offerings = Vec::new();
        let mut spot_unpriced = false;
        for it in catalog.iter() {
            for cap in [CapacityType::OnDemand, CapacityType::Spot] {
                // Karpenter defaults to on-demand when no capacity-type requirement is given.
                if !capacity_given && cap == CapacityType::Spot {
                    continue;
                }
                let labels = offering_labels(it, cap);
                if !reqs.iter().all(|r| r.matches(&labels)) {
                    continue;
                }
                let price = match cap {
                    CapacityType::OnDemand => Some(it.price_per_hour_usd),
                    CapacityType::Spot => spot.price(&it.name, it.price_per_hour_usd),
                };
                let Some(price) = price else {
                    spot_unpriced = true;
                    continue;
                };
                let a = allocatable(it, vm_memory_overhead);
                let alloc = Resources {
                    cpu_m: a.cpu_m,
                    memory_mib: a.memory_mib,
                    gpus: a.gpus,
                    pods: a.pods,
                };
                offerings.push(Offering {
                    instance_type: it.name.clone(),
                    capacity_type: cap,
                    free: alloc.saturating_sub(&ds),
                    price,
                });
            }
        }
        offerings.sort_by(|x, y| {
            x.price
                .total_cmp(&y.price)
                .then(x.instance_type.cmp(&y.instance_type))
        });
        if offerings.is_empty() {
            let extra = if spot_unpriced {
                " (spot offerings need `pricing.spot`)"
            } else {
                ""
            };
            err(
                format!("{p}.spec.template.spec.requirements"),
                format!("no instance type of the catalog satisfies the requirements{extra}"),
            );
        }
        let mut limit = |key: &str| -> Option<u64> {
            let q = spec.limits.get(key)?;
            let parsed = if key == "cpu" {
                parse_cpu(&q.0)
            } else {
                parse_memory_mib(&q.0)
            };
            parsed
                .map_err(|e| err(format!("{p}.spec.limits.{key}"), e))
                .ok()
        };
        let cpu_limit_m = limit("cpu");
        let memory_limit_mib = limit("memory");
        let d = spec.disruption.clone().unwrap_or_default();
        for k in d.other.keys() {
            ignored.push(format!("{p}.spec.disruption.{k}"));
        }
        let consolidation = match d.consolidation_policy.as_deref() {
            None | Some("WhenEmptyOrUnderutilized") => {
                ConsolidationPolicy::WhenEmptyOrUnderutilized
            }
            Some("WhenEmpty") => ConsolidationPolicy::WhenEmpty,
            Some(o) => {
                err(
                    format!("{p}.spec.disruption.consolidationPolicy"),
                    format!("`{o}` is not WhenEmpty or WhenEmptyOrUnderutilized"),
                );
                ConsolidationPolicy::WhenEmptyOrUnderutilized
            }
        };
        let consolidate_after = match d.consolidate_after.as_deref() {
            None => SimDuration::ZERO,
            Some("Never") => SimDuration(u64::MAX / 4),
            Some(t) => parse_duration(t).unwrap_or_else(|e| {
                err(format!("{p}.spec.disruption.consolidateAfter"), e);
                SimDuration::ZERO
            }),
        };
        let budget_share = match d.budgets.first().and_then(|b| b.get("nodes")) {
            None => DEFAULT_BUDGET_SHARE,
            Some(v) => {
                let t = v
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string());
                match t.strip_suffix('%').and_then(|n| n.parse::<f64>().ok()) {
                    Some(pct) if (0.0..=100.0).contains(&pct) => pct / 100.0,
                    _ => {
                        err(
                            format!("{p}.spec.disruption.budgets[0].nodes"),
                            format!("`{t}` is not a percentage like \"10%\""),
                        );
                        DEFAULT_BUDGET_SHARE
                    }
                }
            }
        };
        let expire_after = match tspec.expire_after.as_deref() {
            None => Some(DEFAULT_EXPIRE_AFTER),
            Some("Never") => None,
            Some(t) => parse_duration(t).map(Some).unwrap_or_else(|e| {
                err(format!("{p}.spec.template.spec.expireAfter"), e);
                Some(DEFAULT_EXPIRE_AFTER)
            }),
        };
        let mut labels: BTreeMap<String, String> = template
            .metadata
            .as_ref()
            .map(|m| m.labels.clone())
            .unwrap_or_default();
        labels.insert("karpenter.sh/nodepool".into(), name.clone());
        let mut taint_issues = Vec::new();
        let taints = super::validate::taints_of(
            &format!("{p}.spec.template.spec.taints"),
            &tspec.taints,
            &mut |path, m| taint_issues.push((path, m)),
        );
        for (path, m) in taint_issues {
            err(path, m);
        }
        let group = cluster.node_groups.len();
        cluster.node_groups.push(NodeGroupSpec {
            name: name.clone(),
            managed: false,
            instance_types: offerings
                .first()
                .map(|o| vec![o.instance_type.clone()])
                .unwrap_or_default(),
            min_size: 0,
            max_size: 100_000,
            desired: 0,
            zones,
            labels: labels.into_iter().collect(),
            taints,
            capacity_type: CapacityType::OnDemand,
            ami_version: "karpenter".into(),
            max_pods: None,
            volume_size_gib: super::DEFAULT_VOLUME_SIZE_GIB,
            update: Default::default(),
        });
        pools.push(NodePoolSpec {
            name,
            group,
            offerings,
            cpu_limit_m,
            memory_limit_mib,
            weight: spec.weight.unwrap_or(0) as i32,
            consolidation,
            consolidate_after,
            budget_share,
            expire_after,
        });
    }
    pools.sort_by_key(|p| std::cmp::Reverse(p.weight));
    KarpenterSpec {
        node_pools: pools,
        batch_idle,
        batch_max,
    }
}
