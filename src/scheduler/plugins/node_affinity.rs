//! NodeAffinity: the filter (the node must carry every `nodeSelector` label, and match at least
//! one of the required node selector terms if there are any) and the score (the sum of the
//! weights of the preferred terms the node matches, normalised by the maximum; upstream
//! nodeaffinity/node_affinity.go).

use super::taint_toleration::default_normalize;
use crate::cluster::node::Node;
use crate::scheduler::FilterFailure;
use crate::text::same_str;
use crate::workload::PodSpec;

/// True if the node satisfies the pod's nodeSelector and required node affinity.
pub fn matches(pod: &PodSpec, node: &Node) -> bool {
    pod.node_selector
        .iter()
        .all(|(k, v)| node.label(k).is_some_and(|l| same_str(l, v)))
        && {
            let req = &pod.constraints.node_affinity.required;
            req.is_empty() || req.iter().any(|t| t.matches(&node.labels))
        }
}

/// Fails when nodeSelector or required node affinity does not match.
#[inline]
pub fn filter(pod: &PodSpec, node: &Node) -> Result<(), FilterFailure> {
    if (pod.node_selector.is_empty() && pod.constraints.node_affinity.required.is_empty())
        || matches(pod, node)
    {
        Ok(())
    } else {
        Err(FilterFailure::NodeAffinity)
    }
}

/// Raw score: sum of the weights of matching preferred terms.
pub fn score(pod: &PodSpec, node: &Node) -> i64 {
    pod.constraints
        .node_affinity
        .preferred
        .iter()
        .filter(|(_, t)| t.matches(&node.labels))
        .map(|(w, _)| i64::from(*w))
        .sum()
}

/// Scales to 0–100 by the maximum.
pub fn normalize(scores: &mut [i64]) {
    default_normalize(scores, false);
}
