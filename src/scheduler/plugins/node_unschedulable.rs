//! NodeUnschedulable: cordoned nodes (`spec.unschedulable`) take no new pods.

use crate::cluster::node::Node;
use crate::scheduler::FilterFailure;
use crate::workload::PodSpec;

/// Fails on cordoned nodes. (Pods tolerating `node.kubernetes.io/unschedulable` are not modelled
/// yet; DaemonSet pods are placed by the engine, not by this filter.)
pub fn filter(_pod: &PodSpec, node: &Node) -> Result<(), FilterFailure> {
    if node.unschedulable {
        Err(FilterFailure::Unschedulable)
    } else {
        Ok(())
    }
}
