//! TaintToleration: the filter (a `NoSchedule` or `NoExecute` taint the pod does not tolerate
//! makes the node infeasible) and the score: the number of `PreferNoSchedule` taints the pod does
//! not tolerate, normalised in reverse so fewer is better (upstream
//! tainttoleration/taint_toleration.go, `DefaultNormalizeScore(MaxNodeScore, true, …)`).

use super::node_resources_fit::MAX_NODE_SCORE;
use crate::cluster::node::Node;
use crate::cluster::taints::{TaintEffect, first_untolerated};
use crate::scheduler::FilterFailure;
use crate::workload::PodSpec;

/// Fails on the first untolerated hard taint, naming it as kube-scheduler does.
#[inline]
pub fn filter(pod: &PodSpec, node: &Node) -> Result<(), FilterFailure> {
    if node.taints.is_empty() {
        return Ok(());
    }
    match first_untolerated(&node.taints, &pod.tolerations) {
        None => Ok(()),
        Some(t) => Err(FilterFailure::UntoleratedTaint {
            index: node.taints.iter().position(|x| x == t).unwrap_or(0),
        }),
    }
}

/// Raw score: intolerable PreferNoSchedule taints (only tolerations with an empty or
/// PreferNoSchedule effect count).
pub fn score(pod: &PodSpec, node: &Node) -> i64 {
    node.taints
        .iter()
        .filter(|t| t.effect == TaintEffect::PreferNoSchedule)
        .filter(|t| {
            !pod.tolerations.iter().any(|tol| {
                (tol.effect.is_none() || tol.effect == Some(TaintEffect::PreferNoSchedule))
                    && tol.tolerates(t)
            })
        })
        .count() as i64
}

/// Upstream `DefaultNormalizeScore`: scale to 0–100 by the maximum, optionally reversed.
pub fn default_normalize(scores: &mut [i64], reverse: bool) {
    let max = scores.iter().copied().max().unwrap_or(0);
    if max == 0 {
        if reverse {
            scores.iter_mut().for_each(|s| *s = MAX_NODE_SCORE);
        }
        return;
    }
    for s in scores.iter_mut() {
        *s = MAX_NODE_SCORE * *s / max;
        if reverse {
            *s = MAX_NODE_SCORE - *s;
        }
    }
}

/// Normalises raw counts: 0 intolerable taints → 100.
pub fn normalize(scores: &mut [i64]) {
    default_normalize(scores, true);
}
