//! NodeResourcesFit: the filter (requests must fit in allocatable minus what is already
//! requested, for cpu, memory, GPUs and pod slots) and the LeastAllocated score, the
//! kube-scheduler default (EKS_FACTS "kube-scheduler defaults"):
//! per resource `(allocatable − requested) × 100 / allocatable`, then the weighted mean with
//! cpu and memory weight 1, in integer arithmetic as upstream does.

use crate::cluster::node::Node;
use crate::scheduler::{FilterFailure, Insufficient};
use crate::workload::PodSpec;

/// The highest score a plugin gives (`framework.MaxNodeScore`).
pub const MAX_NODE_SCORE: u64 = 100;

/// Fails with every resource that is short, the way kube-scheduler lists them.
pub fn filter(pod: &PodSpec, node: &Node) -> Result<(), FilterFailure> {
    let free = node.free();
    let r = &pod.requests;
    let short = Insufficient {
        pods: r.pods > free.pods,
        cpu: r.cpu_m > free.cpu_m,
        memory: r.memory_mib > free.memory_mib,
        gpu: r.gpus > free.gpus,
    };
    if short.any() {
        Err(FilterFailure::Insufficient(short))
    } else {
        Ok(())
    }
}

fn least_allocated(requested: u64, allocatable: u64) -> u64 {
    if allocatable == 0 || requested > allocatable {
        return 0;
    }
    (allocatable - requested) * MAX_NODE_SCORE / allocatable
}

/// LeastAllocated score of placing `pod` on `node` (0–100; emptier is higher).
pub fn score_least_allocated(pod: &PodSpec, node: &Node) -> u64 {
    let cpu = least_allocated(
        node.requested.cpu_m + pod.requests.cpu_m,
        node.allocatable.cpu_m,
    );
    let mem = least_allocated(
        node.requested.memory_mib + pod.requests.memory_mib,
        node.allocatable.memory_mib,
    );
    (cpu + mem) / 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn least_allocated_matches_upstream_integer_formula() {
        // (4000 - 1000) * 100 / 4000 = 75
        assert_eq!(least_allocated(1000, 4000), 75);
        // (3 - 1) * 100 / 3 = 66 (integer division)
        assert_eq!(least_allocated(1, 3), 66);
        assert_eq!(least_allocated(5, 4), 0);
        assert_eq!(least_allocated(0, 0), 0);
    }
}
