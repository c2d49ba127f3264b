//! NodeResourcesBalancedAllocation: prefer nodes where the pod leaves CPU and memory equally
//! used. Score `(1 − std) × 100` where std is the standard deviation of the requested fractions
//! (requested / allocatable, capped at 1) of the resources (cpu and memory by default); with two
//! resources that is `|f1 − f2| / 2` (EKS_FACTS "kube-scheduler defaults"; upstream
//! noderesources/balanced_allocation.go). It uses the plain requests, not the non-zero defaults.

use super::node_resources_fit::{MAX_NODE_SCORE, ScoredResource, requested_and_allocatable};
use crate::cluster::node::Node;
use crate::workload::PodSpec;

/// The default pair (cpu, memory) without the general loop: the std of two fractions is
/// `|f1 − f2| / 2`. The same floating-point operations as the loop, in the same order, so the
/// same score: integers convert through `i64` as the loop's do (one instruction on x86-64), and
/// the cap at 1 is a comparison (no NaN can arise: allocatable is positive here).
#[inline(always)]
pub fn score_default(pod: &PodSpec, node: &Node) -> i64 {
    score_default_of(pod.requests.cpu_m, pod.requests.memory_mib, node)
}

/// [`score_default`] of a pod requesting `cpu_m` and `memory_mib`.
#[inline(always)]
pub fn score_default_of(cpu_m: u64, memory_mib: u64, node: &Node) -> i64 {
    let frac = |req: u64, alloc: u64| {
        let f = req as i64 as f64 / alloc as i64 as f64;
        if f > 1.0 { 1.0 } else { f }
    };
    let (ac, am) = (node.allocatable.cpu_m, node.allocatable.memory_mib);
    let std = if ac == 0 || am == 0 {
        0.0
    } else {
        let cpu = frac(node.requested.cpu_m + cpu_m, ac);
        let mem = frac(node.requested.memory_mib + memory_mib, am);
        (cpu - mem).abs() / 2.0
    };
    ((1.0 - std) * MAX_NODE_SCORE as f64) as i64
}

/// BalancedAllocation score (0–100).
#[inline]
pub fn score(pod: &PodSpec, node: &Node, resources: &[ScoredResource]) -> i64 {
    if let [ScoredResource::Cpu, ScoredResource::Memory] = resources {
        return score_default(pod, node);
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
