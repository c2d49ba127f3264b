//! `workload: - manifests:` → controllers and PDBs. The manifest file says what the workload is
//! (with Kubernetes' own field names); the timing block says what a manifest cannot: when each
//! object is created, how its replica count changes, how long a Job's pods run.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use super::raw::{RawManifests, RawReplicas};
use super::units::parse_duration;
use crate::sim::time::{SimDuration, SimTime};
use crate::suggest::did_you_mean;
use crate::workload::controller::daily_steps;
use crate::workload::manifest::{ManifestObject, PodTemplateInfo, parse_manifests};
use crate::workload::{ControllerKind, ControllerSpec, PdbSpec, PodTemplate, RequestChoice};

/// Kubernetes' default terminationGracePeriodSeconds.
pub const DEFAULT_GRACE: SimDuration = SimDuration::from_secs(30);

/// Priority of the built-in `system-cluster-critical` class.
pub const SYSTEM_CLUSTER_CRITICAL: i32 = 2_000_000_000;
/// Priority of the built-in `system-node-critical` class.
pub const SYSTEM_NODE_CRITICAL: i32 = 2_000_001_000;

type Err<'a> = &'a mut dyn FnMut(String, String);

fn template(
    t: &PodTemplateInfo,
    (priority, preemption_never): (i32, bool),
    owner: crate::workload::OwnerKind,
) -> (PodTemplate, RequestChoice) {
    (
        PodTemplate {
            namespace: t.namespace.clone().into(),
            labels: t.labels.clone().into(),
            priority,
            image: t.image.clone().into(),
            node_selector: t.node_selector.clone().into(),
            tolerations: t.tolerations.clone().into(),
            privileged: t.privileged,
            host_network: t.host_network,
            host_port: t.host_port,
            preemption_never,
            constraints: Arc::new(t.constraints.clone()),
            owner,
        },
        RequestChoice {
            cpu_m: t.requests.cpu_m,
            memory_mib: t.requests.memory_mib,
            gpus: t.requests.gpus,
            ephemeral_mib: t.requests.ephemeral_mib,
            weight: 1,
        },
    )
}

/// Reads the manifests of one workload item and builds its controllers (each with no PDB) and
/// PDBs (each with no controller), in file order.
pub fn controllers(
    m: &RawManifests,
    path: &str,
    base_dir: &Path,
    horizon: SimDuration,
    err: Err,
) -> Vec<(Option<ControllerSpec>, Vec<PdbSpec>)> {
    let (text, file) = match (&m.file, &m.inline) {
        (Some(f), None) => {
            let full = base_dir.join(f);
            match std::fs::read_to_string(&full) {
                Ok(t) => (t, full),
                Err(e) => {
                    err(
                        format!("{path}.file"),
                        format!("cannot read `{}`: {e}", full.display()),
                    );
                    return Vec::new();
                }
            }
        }
        (None, Some(text)) => (text.clone(), base_dir.join("<inline manifests>")),
        _ => {
            err(
                path.into(),
                "give either `file:` (a manifest file) or `inline:` (manifests as a YAML string)"
                    .into(),
            );
            return Vec::new();
        }
    };
    let set = match parse_manifests(&text, &file) {
        Ok(s) => s,
        Err(e) => {
            err(format!("{path}.file"), e.to_string());
            return Vec::new();
        }
    };
    let at_all = match &m.at {
        None => SimDuration::ZERO,
        Some(t) => parse_duration(t).unwrap_or_else(|e| {
            err(format!("{path}.at"), e);
            SimDuration::ZERO
        }),
    };
    // Priority classes: built-ins, then the file's.
    let mut classes: BTreeMap<String, (i32, bool)> = BTreeMap::from([
        (
            "system-cluster-critical".to_string(),
            (SYSTEM_CLUSTER_CRITICAL, false),
        ),
        (
            "system-node-critical".to_string(),
            (SYSTEM_NODE_CRITICAL, false),
        ),
    ]);
    let mut global_default = (0, false);
    for o in &set.objects {
        if let ManifestObject::PriorityClass {
            name,
            value,
            global_default: g,
            preemption_policy_never,
        } = o
        {
            classes.insert(name.clone(), (*value, *preemption_policy_never));
            if *g {
                global_default = (*value, *preemption_policy_never);
            }
        }
    }
    let names: Vec<&str> = set.objects.iter().map(|o| o.name()).collect();
    for key in m.objects.keys() {
        if !names.contains(&key.as_str()) {
            let hint = did_you_mean(key, names.iter().copied());
            err(
                format!("{path}.objects.{key}"),
                format!("no object named `{key}` in the manifests{hint}"),
            );
        }
    }
    let mut out = Vec::new();
    for o in &set.objects {
        let timing = m.objects.get(o.name()).cloned().unwrap_or_default();
        let tp = format!("{path}.objects.{}", o.name());
        let at = match &timing.at {
            None => at_all,
            Some(t) => parse_duration(t).unwrap_or_else(|e| {
                err(format!("{tp}.at"), e);
                at_all
            }),
        };
        let duration = timing.duration.as_ref().and_then(|d| match d.validate() {
            Ok(d) => Some(d),
            Err(e) => {
                err(format!("{tp}.duration"), e);
                None
            }
        });
        let priority = |t: &PodTemplateInfo, err: Err| -> (i32, bool) {
            let class = match &t.priority_class_name {
                None => global_default,
                Some(c) => classes.get(c).copied().unwrap_or_else(|| {
                    let hint = did_you_mean(c, classes.keys().map(String::as_str));
                    err(
                        tp.clone(),
                        format!("priorityClassName `{c}` is not defined in the manifests{hint}"),
                    );
                    (0, false)
                }),
            };
            (t.priority.unwrap_or(class.0), class.1)
        };
        let at_t = SimTime(at.0);
        let spec = |kind: ControllerKind,
                    t: &PodTemplateInfo,
                    replicas: Vec<(SimTime, u64)>,
                    duration,
                    err: Err| {
            let (template, requests) = template(t, priority(t, err), kind.owner());
            ControllerSpec {
                name: o.name().to_string(),
                kind,
                template,
                requests,
                at: at_t,
                replicas,
                duration,
                grace: SimDuration::from_secs(t.termination_grace_period_s),
            }
        };
        let steps = |base: u32, err: Err| -> Vec<(SimTime, u64)> {
            let mut v = vec![(at_t, u64::from(base))];
            match &timing.replicas {
                None => {}
                Some(RawReplicas::Steps(list)) => {
                    for (i, s) in list.iter().enumerate() {
                        match parse_duration(&s.at) {
                            Ok(d) if s.count >= 0 && s.count <= 1_000_000 => {
                                v.push((SimTime(d.0), s.count as u64))
                            }
                            Ok(_) => err(
                                format!("{tp}.replicas.steps[{i}].count"),
                                format!("must be between 0 and 1000000, got {}", s.count),
                            ),
                            Err(e) => err(format!("{tp}.replicas.steps[{i}].at"), e),
                        }
                    }
                }
                Some(RawReplicas::DailyProfile(counts)) => {
                    if counts.len() != 24 || counts.iter().any(|c| *c < 0 || *c > 1_000_000) {
                        err(
                            format!("{tp}.replicas.dailyProfile"),
                            "needs 24 counts (one per hour of the day), each 0–1000000".into(),
                        );
                    } else {
                        let c: Vec<u64> = counts.iter().map(|c| *c as u64).collect();
                        v = daily_steps(at_t, &c, horizon);
                    }
                }
            }
            v.sort_by_key(|s| s.0);
            v
        };
        match o {
            ManifestObject::Pod { template: t, .. } => {
                out.push((
                    Some(spec(ControllerKind::Pod, t, vec![(at_t, 1)], duration, err)),
                    Vec::new(),
                ));
            }
            ManifestObject::Deployment {
                replicas,
                template: t,
                ..
            } => {
                let st = steps(*replicas, err);
                out.push((
                    Some(spec(ControllerKind::ReplicaSet, t, st, duration, err)),
                    Vec::new(),
                ));
            }
            ManifestObject::StatefulSet {
                replicas,
                template: t,
                ..
            } => {
                let st = steps(*replicas, err);
                out.push((
                    Some(spec(ControllerKind::StatefulSet, t, st, duration, err)),
                    Vec::new(),
                ));
            }
            ManifestObject::Job {
                parallelism,
                completions,
                template: t,
                ..
            } => {
                if duration.is_none() {
                    err(format!("{tp}.duration"), "a Job's pods need a run time: give `duration` (a distribution) in the timing block".into());
                }
                let kind = ControllerKind::Job {
                    parallelism: *parallelism,
                    completions: *completions,
                };
                out.push((
                    Some(spec(
                        kind,
                        t,
                        vec![(at_t, u64::from(*parallelism))],
                        duration,
                        err,
                    )),
                    Vec::new(),
                ));
            }
            ManifestObject::PodDisruptionBudget {
                name,
                namespace,
                selector,
                min_available,
                max_unavailable,
            } => {
                out.push((
                    None,
                    vec![PdbSpec {
                        name: name.clone(),
                        namespace: namespace.clone(),
                        selector: selector.clone(),
                        min_available: *min_available,
                        max_unavailable: *max_unavailable,
                    }],
                ));
            }
            ManifestObject::PriorityClass { .. } => {}
        }
    }
    out
}
