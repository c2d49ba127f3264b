//! NodeResourcesBalancedAllocation: prefer nodes where the pod leaves CPU and memory equally
//! used. Score `(1 − std) × 100` where std is the standard deviation of the requested fractions
//! (requested / allocatable, capped at 1) of the resources (cpu and memory by default); with two
//! resources that is `|f1 − f2| / 2` (EKS_FACTS "kube-scheduler defaults"; upstream
//! noderesources/balanced_allocation.go). It uses the plain requests, not the non-zero defaults.

use super::node_resources_fit::{MAX_NODE_SCORE, ScoredResource, requested_and_allocatable};
use crate::cluster::node::Node;
use crate::workload::PodSpec;

/// BalancedAllocation score (0–100).
#[inline]
pub fn score(pod: &PodSpec, node: &Node, resources: &[ScoredResource]) -> i64 {
    if let [ScoredResource::Cpu, ScoredResource::Memory] = resources {
        // The default pair, without the general loop: std of two fractions is |f1 − f2| / 2.
        let frac = |req: u64, alloc: u64| {
            if alloc == 0 {
                None
            } else {
                Some((req as f64 / alloc as f64).min(1.0))
            }
        };
        let cpu = frac(
            node.requested.cpu_m + pod.requests.cpu_m,
            node.allocatable.cpu_m,
        );
        let mem = frac(
            node.requested.memory_mib + pod.requests.memory_mib,
            node.allocatable.memory_mib,
        );
        let std = match (cpu, mem) {
            (Some(c), Some(m)) => (c - m).abs() / 2.0,
            _ => 0.0,
        };
        return ((1.0 - std) * MAX_NODE_SCORE as f64) as i64;
    }
    let mut fractions = [0f64; 4];
    let mut n = 0;
    for &r in resources {
        if super::node_resources_fit::skip_unrequested(pod, r) {
            continue;
        }
        let (req, alloc) = requested_and_allocatable(pod, node, r, false);
        if alloc == 0 {
            continue;
        }
        fractions[n] = (req as f64 / alloc as f64).min(1.0);
        n += 1;
    }
    let f = &fractions[..n];
    let std = match n {
        0 | 1 => 0.0,
        2 => (f[0] - f[1]).abs() / 2.0,
        _ => {
            let mean = f.iter().sum::<f64>() / n as f64;
            (f.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64).sqrt()
        }
    };
    ((1.0 - std) * MAX_NODE_SCORE as f64) as i64
}
