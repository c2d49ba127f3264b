//! NodeUnschedulable: cordoned nodes (`spec.unschedulable`) take no new pods.

use crate::cluster::node::Node;
use crate::cluster::taints::{Taint, TaintEffect};
use crate::scheduler::FilterFailure;
use crate::workload::PodSpec;

/// The taint key a cordoned node is treated as having.
pub const UNSCHEDULABLE_TAINT_KEY: &str = "node.kubernetes.io/unschedulable";

/// Fails on cordoned nodes, unless the pod tolerates `node.kubernetes.io/unschedulable:
/// NoSchedule` (upstream node_unschedulable.go). DaemonSet pods are placed by the engine.
#[inline]
pub fn filter(pod: &PodSpec, node: &Node) -> Result<(), FilterFailure> {
    if !node.unschedulable {
        return Ok(());
    }
    cordoned(pod)
}

/// True when the pod tolerates the cordon taint, so a cordoned node does not filter it out
/// (asked once per cycle: a pod without tolerations answers without building the taint).
pub fn tolerated(pod: &PodSpec) -> bool {
    !pod.tolerations.is_empty() && cordoned(pod).is_ok()
}

/// The cordoned case, kept out of line so the common check inlines into every cycle.
#[cold]
fn cordoned(pod: &PodSpec) -> Result<(), FilterFailure> {
    let taint = Taint {
        key: UNSCHEDULABLE_TAINT_KEY.to_string(),
        value: String::new(),
        effect: TaintEffect::NoSchedule,
    };
    if pod.tolerations.iter().any(|t| t.tolerates(&taint)) {
        Ok(())
    } else {
        Err(FilterFailure::Unschedulable)
    }
}
