//! The EKS API's shapes for node groups and Fargate profiles: the JSON that
//! `aws eks create-nodegroup --cli-input-json` and `aws eks create-fargate-profile
//! --cli-input-json` take (nodegroupName, scalingConfig, instanceTypes, capacityType, subnets,
//! labels, taints, updateConfig; fargateProfileName, selectors, subnets). Subnets map to AZs
//! through the scenario's `subnets:` table.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{NodeGroupSpec, UpdateConfig};
use crate::cluster::fargate::{Profile, Selector};
use crate::cluster::node::CapacityType;
use crate::cluster::taints::{Taint, TaintEffect};

type Err<'a> = &'a mut dyn FnMut(String, String);

/// What one EKS API input describes.
pub enum Item {
    /// A managed node group.
    NodeGroup(NodeGroupSpec),
    /// A Fargate profile.
    FargateProfile(Profile),
}

fn str_map(v: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = v
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Reads one input. `zones` are the cluster's AZs, `subnets` the subnet → AZ table.
pub fn read(
    v: &Value,
    path: &str,
    zones: &[String],
    subnets: &BTreeMap<String, String>,
    version: &str,
    ignored: &mut Vec<String>,
    err: Err,
) -> Option<Item> {
    let Some(obj) = v.as_object() else {
        err(
            path.into(),
            "expected a create-nodegroup or create-fargate-profile input object".into(),
        );
        return None;
    };
    let zone_of = |list: Option<&Value>, err: Err| -> Vec<usize> {
        let Some(list) = list.and_then(Value::as_array) else {
            return (0..zones.len()).collect();
        };
        let mut out = Vec::new();
        for (i, s) in list.iter().enumerate() {
            let id = s.as_str().unwrap_or_default();
            match subnets
                .get(id)
                .and_then(|z| zones.iter().position(|c| c == z))
            {
                Some(z) => {
                    if !out.contains(&z) {
                        out.push(z);
                    }
                }
                None => err(
                    format!("{path}.subnets[{i}]"),
                    format!(
                        "subnet `{id}` is not in the scenario's `subnets:` table (subnet id → Availability Zone of the cluster)"
                    ),
                ),
            }
        }
        out
    };
    if let Some(name) = obj.get("nodegroupName").and_then(Value::as_str) {
        let known = [
            "nodegroupName",
            "clusterName",
            "scalingConfig",
            "instanceTypes",
            "capacityType",
            "subnets",
            "labels",
            "taints",
            "updateConfig",
            "releaseVersion",
            "version",
            "diskSize",
        ];
        for k in obj.keys().filter(|k| !known.contains(&k.as_str())) {
            ignored.push(format!("{path}.{k}"));
        }
        let sc = obj.get("scalingConfig").cloned().unwrap_or_default();
        let get = |k: &str, d: i64| sc.get(k).and_then(Value::as_i64).unwrap_or(d);
        let (min, max, desired) = (get("minSize", 1), get("maxSize", 2), get("desiredSize", 2));
        if min < 0 || max < min || desired < min || desired > max {
            err(
                format!("{path}.scalingConfig"),
                format!(
                    "needs 0 <= minSize <= desiredSize <= maxSize, got {min} / {desired} / {max}"
                ),
            );
        }
        let instance_types: Vec<String> = obj
            .get("instanceTypes")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|t| t.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_else(|| vec!["t3.medium".into()]); // the EKS API's default instance type
        let capacity_type = match obj.get("capacityType").and_then(Value::as_str) {
            None | Some("ON_DEMAND") => CapacityType::OnDemand,
            Some("SPOT") => CapacityType::Spot,
            Some(o) => {
                err(
                    format!("{path}.capacityType"),
                    format!("`{o}` is not ON_DEMAND or SPOT"),
                );
                CapacityType::OnDemand
            }
        };
        let mut taints = Vec::new();
        for (i, t) in obj
            .get("taints")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let effect = t
                .get("effect")
                .and_then(Value::as_str)
                .and_then(TaintEffect::parse);
            match (t.get("key").and_then(Value::as_str), effect) {
                (Some(k), Some(e)) => taints.push(Taint {
                    key: k.into(),
                    value: t
                        .get("value")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .into(),
                    effect: e,
                }),
                _ => err(
                    format!("{path}.taints[{i}]"),
                    "needs key and effect NO_SCHEDULE, NO_EXECUTE or PREFER_NO_SCHEDULE".into(),
                ),
            }
        }
        let uc = obj.get("updateConfig");
        let update = UpdateConfig {
            max_unavailable: uc
                .and_then(|u| u.get("maxUnavailable"))
                .and_then(Value::as_u64)
                .map(|v| v as u32),
            max_unavailable_percentage: uc
                .and_then(|u| u.get("maxUnavailablePercentage"))
                .and_then(Value::as_u64)
                .map(|v| v as u32),
            minimal: uc
                .and_then(|u| u.get("updateStrategy"))
                .and_then(Value::as_str)
                == Some("MINIMAL"),
        };
        let update =
            if update.max_unavailable.is_none() && update.max_unavailable_percentage.is_none() {
                UpdateConfig {
                    max_unavailable: Some(1),
                    ..update
                }
            } else {
                update
            };
        return Some(Item::NodeGroup(NodeGroupSpec {
            name: name.to_string(),
            managed: true,
            instance_types,
            min_size: min.max(0) as u32,
            max_size: max.max(0) as u32,
            desired: desired.max(0) as u32,
            zones: zone_of(obj.get("subnets"), err),
            labels: obj.get("labels").map(str_map).unwrap_or_default(),
            taints,
            capacity_type,
            ami_version: obj
                .get("releaseVersion")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| format!("eks-optimized-{version}-latest")),
            max_pods: None,
            volume_size_gib: obj
                .get("diskSize")
                .and_then(Value::as_u64)
                .map(|d| d as u32)
                .unwrap_or(20),
            update,
        }));
    }
    if let Some(name) = obj.get("fargateProfileName").and_then(Value::as_str) {
        let known = [
            "fargateProfileName",
            "clusterName",
            "podExecutionRoleArn",
            "subnets",
            "selectors",
            "tags",
        ];
        for k in obj.keys().filter(|k| !known.contains(&k.as_str())) {
            ignored.push(format!("{path}.{k}"));
        }
        let _ = zone_of(obj.get("subnets"), err);
        let selectors: Vec<Selector> = obj
            .get("selectors")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|s| Selector {
                namespace: s
                    .get("namespace")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                labels: s.get("labels").map(str_map).unwrap_or_default(),
            })
            .collect();
        if selectors.is_empty() || selectors.iter().any(|s| s.namespace.is_empty()) {
            err(
                format!("{path}.selectors"),
                "a Fargate profile needs selectors, each with a namespace".into(),
            );
        }
        return Some(Item::FargateProfile(Profile {
            name: name.to_string(),
            selectors,
        }));
    }
    err(path.into(), "neither `nodegroupName` (create-nodegroup) nor `fargateProfileName` (create-fargate-profile)".into());
    None
}
