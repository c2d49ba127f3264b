//! `scheduler:` → [`Profile`]: KubeSchedulerConfiguration's plugin sets and plugin arguments
//! applied to kube-scheduler's default profile, every problem reported with its path.

use super::raw::{RawPluginSet, RawScheduler};
use super::units::parse_duration;
use crate::scheduler::Profile;
use crate::scheduler::plugins::node_resources_fit::{FitStrategy, ScoredResource};
use crate::scheduler::plugins::pod_topology_spread::Defaulting;
use crate::scheduler::profile::{FILTER_PLUGINS, SCORE_PLUGINS};
use crate::sim::time::SimDuration;
use crate::suggest::did_you_mean;
use crate::workload::constraints::{LabelSelector, TopologySpreadConstraint, WhenUnsatisfiable};

/// Builds the profile; `err(path, message)` records problems.
pub fn profile(raw: &RawScheduler, err: &mut dyn FnMut(String, String)) -> Profile {
    let mut p = Profile::default();
    let count = |path: &str,
                 v: Option<i64>,
                 lo: i64,
                 hi: i64,
                 err: &mut dyn FnMut(String, String)|
     -> Option<i64> {
        let v = v?;
        if v < lo || v > hi {
            err(
                path.into(),
                format!("must be between {lo} and {hi}, got {v}"),
            );
            None
        } else {
            Some(v)
        }
    };
    if let Some(v) = count(
        "scheduler.percentageOfNodesToScore",
        raw.percentage_of_nodes_to_score,
        0,
        100,
        err,
    ) {
        p.percentage_of_nodes_to_score = v as u32;
    }
    if let Some(v) = count(
        "scheduler.podInitialBackoffSeconds",
        raw.pod_initial_backoff_seconds,
        1,
        3600,
        err,
    ) {
        p.pod_initial_backoff = SimDuration::from_secs(v as u64);
    }
    if let Some(v) = count(
        "scheduler.podMaxBackoffSeconds",
        raw.pod_max_backoff_seconds,
        1,
        3600,
        err,
    ) {
        p.pod_max_backoff = SimDuration::from_secs(v as u64);
    }
    if p.pod_max_backoff < p.pod_initial_backoff {
        err(
            "scheduler.podMaxBackoffSeconds".into(),
            "must be at least podInitialBackoffSeconds".into(),
        );
    }
    for (field, text, slot) in [
        (
            "scheduler.cycleLatency",
            &raw.cycle_latency,
            &mut p.cycle_latency,
        ),
        (
            "scheduler.bindLatency",
            &raw.bind_latency,
            &mut p.bind_latency,
        ),
    ] {
        if let Some(t) = text {
            match parse_duration(t) {
                Ok(d) => *slot = d,
                Err(e) => err(field.into(), e),
            }
        }
    }
    let profiles = raw.profiles.clone().unwrap_or_default();
    if profiles.len() > 1 {
        err(
            "scheduler.profiles".into(),
            "eksim models one scheduler profile (default-scheduler); give one".into(),
        );
    }
    let Some(prof) = profiles.first() else {
        return p;
    };
    if let Some(n) = &prof.scheduler_name
        && n != "default-scheduler"
    {
        err(
            "scheduler.profiles[0].schedulerName".into(),
            format!("`{n}` is not modelled; pods use `default-scheduler`"),
        );
    }
    if let Some(v) = count(
        "scheduler.profiles[0].percentageOfNodesToScore",
        prof.percentage_of_nodes_to_score,
        0,
        100,
        err,
    ) {
        p.percentage_of_nodes_to_score = v as u32;
    }
    if let Some(plugins) = &prof.plugins {
        let sets = [
            ("multiPoint", &plugins.multi_point, true, true),
            ("filter", &plugins.filter, true, false),
            ("score", &plugins.score, false, true),
        ];
        for (name, set, filters, scores) in sets {
            if let Some(set) = set {
                apply_set(
                    &mut p,
                    &format!("scheduler.profiles[0].plugins.{name}"),
                    set,
                    filters,
                    scores,
                    err,
                );
            }
        }
    }
    for (i, pc) in prof.plugin_config.iter().enumerate() {
        let path = format!("scheduler.profiles[0].pluginConfig[{i}].args");
        let args = &pc.args;
        match pc.name.as_str() {
            "NodeResourcesFit" => {
                let ss = &args["scoringStrategy"];
                if let Some(t) = ss["type"].as_str() {
                    p.fit.strategy = match t {
                        "LeastAllocated" => FitStrategy::LeastAllocated,
                        "MostAllocated" => FitStrategy::MostAllocated,
                        "RequestedToCapacityRatio" => {
                            let shape = shape_points(
                                &ss["requestedToCapacityRatio"]["shape"],
                                &format!("{path}.scoringStrategy.requestedToCapacityRatio.shape"),
                                err,
                            );
                            FitStrategy::RequestedToCapacityRatio(shape)
                        }
                        other => {
                            err(
                                format!("{path}.scoringStrategy.type"),
                                format!(
                                    "`{other}` is not LeastAllocated, MostAllocated or RequestedToCapacityRatio"
                                ),
                            );
                            FitStrategy::LeastAllocated
                        }
                    };
                }
                if !ss["resources"].is_null() {
                    p.fit.resources = resources(
                        &ss["resources"],
                        &format!("{path}.scoringStrategy.resources"),
                        err,
                    );
                }
            }
            "NodeResourcesBalancedAllocation" => {
                if !args["resources"].is_null() {
                    p.balanced_resources =
                        resources(&args["resources"], &format!("{path}.resources"), err)
                            .into_iter()
                            .map(|(r, _)| r)
                            .collect();
                }
            }
            "PodTopologySpread" => match args["defaultingType"].as_str() {
                None | Some("System") => {}
                Some("List") => {
                    let mut list = Vec::new();
                    for (j, c) in args["defaultConstraints"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default()
                        .iter()
                        .enumerate()
                    {
                        let cp = format!("{path}.defaultConstraints[{j}]");
                        let max_skew = c["maxSkew"].as_i64().unwrap_or(0);
                        let key = c["topologyKey"].as_str().unwrap_or("");
                        let when = match c["whenUnsatisfiable"].as_str() {
                            Some("DoNotSchedule") => WhenUnsatisfiable::DoNotSchedule,
                            Some("ScheduleAnyway") => WhenUnsatisfiable::ScheduleAnyway,
                            _ => {
                                err(
                                    format!("{cp}.whenUnsatisfiable"),
                                    "expected DoNotSchedule or ScheduleAnyway".into(),
                                );
                                continue;
                            }
                        };
                        if max_skew < 1 || key.is_empty() {
                            err(cp, "needs maxSkew >= 1 and a topologyKey".into());
                            continue;
                        }
                        list.push(TopologySpreadConstraint {
                            max_skew: max_skew as u32,
                            topology_key: key.to_string(),
                            when_unsatisfiable: when,
                            selector: LabelSelector::default(),
                            min_domains: None,
                        });
                    }
                    p.spread_defaulting = Defaulting::List(list);
                }
                Some(other) => err(
                    format!("{path}.defaultingType"),
                    format!("`{other}` is not System or List"),
                ),
            },
            "InterPodAffinity" => {
                if let Some(w) = args["hardPodAffinityWeight"].as_i64() {
                    if (0..=100).contains(&w) {
                        p.hard_pod_affinity_weight = w;
                    } else {
                        err(
                            format!("{path}.hardPodAffinityWeight"),
                            format!("must be between 0 and 100, got {w}"),
                        );
                    }
                }
            }
            other => {
                let hint = did_you_mean(
                    other,
                    SCORE_PLUGINS.iter().chain(FILTER_PLUGINS.iter()).copied(),
                );
                err(
                    format!("scheduler.profiles[0].pluginConfig[{i}].name"),
                    format!("no arguments are modelled for `{other}`{hint}"),
                );
            }
        }
    }
    p
}

fn apply_set(
    p: &mut Profile,
    path: &str,
    set: &RawPluginSet,
    filters: bool,
    scores: bool,
    err: &mut dyn FnMut(String, String),
) {
    let known = |n: &str| SCORE_PLUGINS.contains(&n) || FILTER_PLUGINS.contains(&n) || n == "*";
    for (j, d) in set.disabled.iter().enumerate() {
        if !known(&d.name) {
            let hint = did_you_mean(
                &d.name,
                SCORE_PLUGINS.iter().chain(FILTER_PLUGINS.iter()).copied(),
            );
            err(
                format!("{path}.disabled[{j}].name"),
                format!("unknown plugin `{}`{hint}", d.name),
            );
            continue;
        }
        for name in FILTER_PLUGINS.iter().chain(SCORE_PLUGINS.iter()) {
            if d.name == "*" || d.name == *name {
                if filters && let Some(s) = p.filters.slot(name) {
                    *s = false;
                }
                if scores && let Some(s) = p.weights.slot(name) {
                    *s = 0;
                }
            }
        }
    }
    let defaults = Profile::default();
    for (j, e) in set.enabled.iter().enumerate() {
        if !known(&e.name) || e.name == "*" {
            let hint = did_you_mean(
                &e.name,
                SCORE_PLUGINS.iter().chain(FILTER_PLUGINS.iter()).copied(),
            );
            err(
                format!("{path}.enabled[{j}].name"),
                format!("unknown plugin `{}`{hint}", e.name),
            );
            continue;
        }
        if filters && let Some(s) = p.filters.slot(&e.name) {
            *s = true;
        }
        if scores && let Some(s) = p.weights.slot(&e.name) {
            let default = defaults
                .weights
                .clone()
                .slot(&e.name)
                .map(|w| *w)
                .unwrap_or(1);
            let w = e.weight.unwrap_or(default.max(1));
            if !(1..=100).contains(&w) {
                err(
                    format!("{path}.enabled[{j}].weight"),
                    format!("must be between 1 and 100, got {w}"),
                );
            } else {
                *s = w;
            }
        }
    }
}

fn resources(
    v: &serde_json::Value,
    path: &str,
    err: &mut dyn FnMut(String, String),
) -> Vec<(ScoredResource, i64)> {
    let mut out = Vec::new();
    for (i, r) in v.as_array().cloned().unwrap_or_default().iter().enumerate() {
        let name = r["name"].as_str().unwrap_or("");
        match ScoredResource::parse(name) {
            Some(res) => out.push((res, r["weight"].as_i64().unwrap_or(1).max(1))),
            None => err(
                format!("{path}[{i}].name"),
                format!("`{name}` is not cpu, memory, ephemeral-storage or nvidia.com/gpu"),
            ),
        }
    }
    out
}

fn shape_points(
    v: &serde_json::Value,
    path: &str,
    err: &mut dyn FnMut(String, String),
) -> Vec<(i64, i64)> {
    let mut out: Vec<(i64, i64)> = Vec::new();
    for (i, pt) in v.as_array().cloned().unwrap_or_default().iter().enumerate() {
        let (u, s) = (
            pt["utilization"].as_i64().unwrap_or(-1),
            pt["score"].as_i64().unwrap_or(-1),
        );
        if !(0..=100).contains(&u) || !(0..=10).contains(&s) {
            err(
                format!("{path}[{i}]"),
                "needs utilization 0–100 and score 0–10".into(),
            );
            continue;
        }
        if out.last().is_some_and(|&(pu, _)| pu >= u) {
            err(
                format!("{path}[{i}].utilization"),
                "shape points must be in increasing utilization".into(),
            );
            continue;
        }
        out.push((u, s));
    }
    if out.is_empty() {
        err(
            path.into(),
            "RequestedToCapacityRatio needs at least one shape point".into(),
        );
        out.push((0, 0));
        out.push((100, 10));
    }
    out
}
