//! NodeResourcesFit: the filter (the pod's requests must fit in allocatable minus what is already
//! requested: cpu, memory, ephemeral storage, GPUs, pod slots) and the score, with the three
//! scoring strategies of KubeSchedulerConfiguration (EKS_FACTS "kube-scheduler defaults";
//! upstream pkg/scheduler/framework/plugins/noderesources):
//! - LeastAllocated (default): per resource `(allocatable − requested) × 100 / allocatable`;
//! - MostAllocated: `requested × 100 / allocatable`;
//! - RequestedToCapacityRatio: a piecewise-linear function of `requested × 100 / allocatable`
//!   given as (utilization, score 0–10) points, scaled to 0–100.
//!
//! Then the weighted mean over the configured resources (cpu 1, memory 1 by default), in integer
//! arithmetic. Scoring counts pods without requests as 100m CPU / 200 MiB (upstream
//! `GetNonzeroRequests`), so empty pods do not all pile on one node.

use crate::cluster::node::Node;
use crate::cluster::resources::Resources;
use crate::scheduler::{FilterFailure, Insufficient};
use crate::workload::PodSpec;

/// The highest score a plugin gives (`framework.MaxNodeScore`).
pub const MAX_NODE_SCORE: i64 = 100;
/// CPU counted for a container without a CPU request when scoring (upstream
/// `DefaultMilliCPURequest`).
pub const DEFAULT_MILLI_CPU_REQUEST: u64 = 100;
/// Memory counted for a container without a memory request when scoring (upstream
/// `DefaultMemoryRequest`, 200 MiB).
pub const DEFAULT_MEMORY_REQUEST_MIB: u64 = 200;

/// A resource the score looks at.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ScoredResource {
    /// CPU.
    Cpu,
    /// Memory.
    Memory,
    /// GPUs (`nvidia.com/gpu`).
    Gpu,
    /// Ephemeral storage.
    EphemeralStorage,
}

impl ScoredResource {
    /// Parses the Kubernetes resource name.
    pub fn parse(s: &str) -> Option<ScoredResource> {
        Some(match s {
            "cpu" => ScoredResource::Cpu,
            "memory" => ScoredResource::Memory,
            "nvidia.com/gpu" => ScoredResource::Gpu,
            "ephemeral-storage" => ScoredResource::EphemeralStorage,
            _ => return None,
        })
    }
}

/// How NodeResourcesFit scores.
#[derive(Clone, Debug, PartialEq)]
pub enum FitStrategy {
    /// Prefer emptier nodes (spreading; the default).
    LeastAllocated,
    /// Prefer fuller nodes (bin-packing).
    MostAllocated,
    /// Score by a piecewise-linear function of utilisation: (utilization 0–100, score 0–10).
    RequestedToCapacityRatio(Vec<(i64, i64)>),
}

/// Scoring settings of NodeResourcesFit.
#[derive(Clone, Debug, PartialEq)]
pub struct FitScoring {
    /// Strategy.
    pub strategy: FitStrategy,
    /// Resources and their weights.
    pub resources: Vec<(ScoredResource, i64)>,
}

impl Default for FitScoring {
    fn default() -> Self {
        FitScoring {
            strategy: FitStrategy::LeastAllocated,
            resources: vec![(ScoredResource::Cpu, 1), (ScoredResource::Memory, 1)],
        }
    }
}

/// Fails with every resource that is short, the way kube-scheduler lists them.
#[inline]
pub fn filter(pod: &PodSpec, node: &Node) -> Result<(), FilterFailure> {
    let free = node.free();
    let r = &pod.requests;
    let short = Insufficient {
        pods: r.pods > free.pods,
        cpu: r.cpu_m > free.cpu_m,
        memory: r.memory_mib > free.memory_mib,
        gpu: r.gpus > free.gpus,
        ephemeral: pod.ephemeral_mib > 0
            && pod.ephemeral_mib
                > node
                    .ephemeral_allocatable_mib
                    .saturating_sub(node.ephemeral_requested_mib),
    };
    if short.any() {
        Err(FilterFailure::Insufficient(short))
    } else {
        Ok(())
    }
}

/// True when [`filter`] passes, without naming what is short: the memoised cycles only need
/// the verdict (the reasons are recomputed when a cycle is explained).
#[inline(always)]
pub fn fits(requests: &Resources, ephemeral_mib: u64, node: &Node) -> bool {
    let (a, q, r) = (&node.allocatable, &node.requested, requests);
    // CPU first, one resource at a time: on a busy cluster most nodes that fail, fail there.
    let short = |x: u64, a: u64, q: u64| x > a.saturating_sub(q);
    !(short(r.cpu_m, a.cpu_m, q.cpu_m)
        || short(r.memory_mib, a.memory_mib, q.memory_mib)
        || r.pods > a.pods.saturating_sub(q.pods)
        || r.gpus > a.gpus.saturating_sub(q.gpus)
        || (ephemeral_mib > 0
            && short(
                ephemeral_mib,
                node.ephemeral_allocatable_mib,
                node.ephemeral_requested_mib,
            )))
}

/// (requested after placing the pod, allocatable) of one resource on a node, with the non-zero
/// defaults for cpu and memory when `nonzero` (scoring), or the plain requests (balanced
/// allocation).
pub fn requested_and_allocatable(
    pod: &PodSpec,
    node: &Node,
    r: ScoredResource,
    nonzero: bool,
) -> (i64, i64) {
    let nz = |v: u64, d: u64| if nonzero && v == 0 { d } else { v };
    match r {
        ScoredResource::Cpu => (
            (node.nonzero_requested(nonzero).0 + nz(pod.requests.cpu_m, DEFAULT_MILLI_CPU_REQUEST))
                as i64,
            node.allocatable.cpu_m as i64,
        ),
        ScoredResource::Memory => (
            (node.nonzero_requested(nonzero).1
                + nz(pod.requests.memory_mib, DEFAULT_MEMORY_REQUEST_MIB)) as i64,
            node.allocatable.memory_mib as i64,
        ),
        ScoredResource::Gpu => (
            i64::from(node.requested.gpus + pod.requests.gpus),
            i64::from(node.allocatable.gpus),
        ),
        ScoredResource::EphemeralStorage => (
            (node.ephemeral_requested_mib + pod.ephemeral_mib) as i64,
            node.ephemeral_allocatable_mib as i64,
        ),
    }
}

/// Upstream `calculateResourceAllocatableRequest` leaves out a scalar (extended) resource such
/// as `nvidia.com/gpu` that the pod does not request, so CPU-only pods are not drawn to or
/// pushed from GPU nodes by the GPU term.
pub fn skip_unrequested(pod: &PodSpec, r: ScoredResource) -> bool {
    r == ScoredResource::Gpu && pod.requests.gpus == 0
}

/// `num / den` for non-negative values, in 32-bit arithmetic when both fit (64-bit division is
/// several times slower on many x86 cores, and this runs for every scored node).
#[inline]
fn div(num: i64, den: i64) -> i64 {
    if (num | den) >= 0 && ((num | den) as u64) <= u64::from(u32::MAX) {
        i64::from(num as u32 / den as u32)
    } else {
        num / den
    }
}

#[inline(always)]
fn least_allocated(requested: i64, allocatable: i64) -> i64 {
    if allocatable == 0 || requested > allocatable {
        return 0;
    }
    div((allocatable - requested) * MAX_NODE_SCORE, allocatable)
}

fn most_allocated(requested: i64, allocatable: i64) -> i64 {
    if allocatable == 0 {
        return 0;
    }
    div(requested.min(allocatable) * MAX_NODE_SCORE, allocatable)
}

/// Piecewise-linear interpolation of `shape` (utilization, score 0–10) at `utilization`, scaled
/// to 0–100 (upstream `buildBrokenLinearFunction` with shape scores multiplied by 10).
pub fn broken_linear(shape: &[(i64, i64)], utilization: i64) -> i64 {
    let scaled: Vec<(i64, i64)> = shape
        .iter()
        .map(|&(u, s)| (u, s * MAX_NODE_SCORE / 10))
        .collect();
    let Some(&(first_u, first_s)) = scaled.first() else {
        return 0;
    };
    if utilization <= first_u {
        return first_s;
    }
    for w in scaled.windows(2) {
        let ((u0, s0), (u1, s1)) = (w[0], w[1]);
        if utilization <= u1 {
            return s0 + (s1 - s0) * (utilization - u0) / (u1 - u0).max(1);
        }
    }
    scaled.last().map(|&(_, s)| s).unwrap_or(0)
}

/// The default profile's score (LeastAllocated, cpu and memory weight 1), without the general
/// loop: what [`score`] returns for that configuration.
#[inline]
pub fn score_least_allocated_default(pod: &PodSpec, node: &Node) -> i64 {
    let (cpu, mem) = nonzero_requests(pod);
    least_allocated_default(cpu, mem, node)
}

/// The pod's cpu and memory requests as scoring counts them (zero becomes upstream's default).
#[inline(always)]
pub fn nonzero_requests(pod: &PodSpec) -> (u64, u64) {
    let nz = |v: u64, d: u64| if v == 0 { d } else { v };
    (
        nz(pod.requests.cpu_m, DEFAULT_MILLI_CPU_REQUEST),
        nz(pod.requests.memory_mib, DEFAULT_MEMORY_REQUEST_MIB),
    )
}

/// [`score_least_allocated_default`] of a pod with the given [`nonzero_requests`].
#[inline(always)]
pub fn least_allocated_default(cpu_m: u64, memory_mib: u64, node: &Node) -> i64 {
    let cpu = least_allocated(
        (node.nonzero_cpu_m + cpu_m) as i64,
        node.allocatable.cpu_m as i64,
    );
    let mem = least_allocated(
        (node.nonzero_memory_mib + memory_mib) as i64,
        node.allocatable.memory_mib as i64,
    );
    (cpu + mem) / 2
}

/// NodeResourcesFit score of placing `pod` on `node` (0–100).
#[inline]
pub fn score(pod: &PodSpec, node: &Node, cfg: &FitScoring) -> i64 {
    if cfg.strategy == FitStrategy::LeastAllocated
        && let [(ScoredResource::Cpu, 1), (ScoredResource::Memory, 1)] = cfg.resources[..]
    {
        return score_least_allocated_default(pod, node);
    }
    let mut total = 0;
    let mut weights = 0;
    for &(r, w) in &cfg.resources {
        if skip_unrequested(pod, r) {
            continue;
        }
        let (req, alloc) = requested_and_allocatable(pod, node, r, true);
        if alloc == 0 && r != ScoredResource::Cpu && r != ScoredResource::Memory {
            // Extended resources a node does not have are skipped, as upstream does.
            continue;
        }
        match &cfg.strategy {
            FitStrategy::LeastAllocated => {
                total += least_allocated(req, alloc) * w;
                weights += w;
            }
            FitStrategy::MostAllocated => {
                total += most_allocated(req, alloc) * w;
                weights += w;
            }
            FitStrategy::RequestedToCapacityRatio(shape) => {
                let util = if alloc == 0 || req > alloc {
                    100
                } else {
                    req * 100 / alloc
                };
                let s = broken_linear(shape, util);
                // Upstream quirk: a resource scoring 0 is left out of the average.
                if s > 0 {
                    total += s * w;
                    weights += w;
                }
            }
        }
    }
    if weights == 0 {
        0
    } else if matches!(cfg.strategy, FitStrategy::RequestedToCapacityRatio(_)) {
        (total as f64 / weights as f64).round() as i64
    } else {
        div(total, weights)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_integer_formulas() {
        // (4000 - 1000) * 100 / 4000 = 75
        assert_eq!(least_allocated(1000, 4000), 75);
        // (3 - 1) * 100 / 3 = 66 (integer division)
        assert_eq!(least_allocated(1, 3), 66);
        assert_eq!(least_allocated(5, 4), 0);
        assert_eq!(least_allocated(0, 0), 0);
        assert_eq!(most_allocated(1000, 4000), 25);
        assert_eq!(most_allocated(5000, 4000), 100);
    }

    #[test]
    fn broken_linear_interpolates_and_scales() {
        let bin_pack = [(0, 0), (100, 10)];
        assert_eq!(broken_linear(&bin_pack, 0), 0);
        assert_eq!(broken_linear(&bin_pack, 25), 25);
        assert_eq!(broken_linear(&bin_pack, 100), 100);
        let spread = [(0, 10), (100, 0)];
        assert_eq!(broken_linear(&spread, 30), 70);
        let steps = [(0, 0), (50, 8), (100, 10)];
        assert_eq!(broken_linear(&steps, 25), 40);
        assert_eq!(broken_linear(&steps, 75), 90);
    }
}
