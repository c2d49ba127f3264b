//! NodeAffinity (the nodeSelector part): the node must carry every label of the pod's
//! `nodeSelector` with the same value.

use crate::cluster::node::Node;
use crate::scheduler::FilterFailure;
use crate::workload::PodSpec;

/// Fails when a nodeSelector label is missing or different on the node.
pub fn filter(pod: &PodSpec, node: &Node) -> Result<(), FilterFailure> {
    for (k, v) in &pod.node_selector {
        if node.label(k) != Some(v.as_str()) {
            return Err(FilterFailure::NodeAffinity);
        }
    }
    Ok(())
}
