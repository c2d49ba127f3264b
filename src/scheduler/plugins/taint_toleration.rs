//! TaintToleration filter: a node with a `NoSchedule` or `NoExecute` taint the pod does not
//! tolerate is infeasible. (`PreferNoSchedule` only affects scoring.)

use crate::cluster::node::Node;
use crate::cluster::taints::first_untolerated;
use crate::scheduler::FilterFailure;
use crate::workload::PodSpec;

/// Fails on the first untolerated hard taint, naming it as kube-scheduler does.
pub fn filter(pod: &PodSpec, node: &Node) -> Result<(), FilterFailure> {
    match first_untolerated(&node.taints, &pod.tolerations) {
        None => Ok(()),
        Some(t) => Err(FilterFailure::UntoleratedTaint {
            index: node.taints.iter().position(|x| x == t).unwrap_or(0),
        }),
    }
}
