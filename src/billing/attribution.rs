//! Cost attribution: how much of an EC2 node's bill each pod on it accounts for, the way the
//! OpenCost specification (opencost/opencost `spec/opencost-specv01.md`, "Workload Costs",
//! "Idle Costs", "Appendix A") does it, so a FinOps user sees the same split they would get from
//! OpenCost or Kubecost on the real cluster:
//!
//! - A node's hourly price is split into a CPU part and a memory part in the ratio of marginal
//!   per-resource prices, normalised so the parts sum to the node's price (Appendix A). eksim
//!   takes the ratio from AWS's own per-resource prices for the region, the Fargate per vCPU-hour
//!   and per GB-hour rates of the scenario (EKS_FACTS "Fargate for EKS").
//! - A workload pays for max(request, usage) of each resource. eksim has no usage model, so
//!   usage = request and the workload pays for its requests, from binding to leaving the node.
//! - Idle cost = node cost − workload costs: allocatable nobody requested, boot time before the
//!   node is Ready, and the billing rounding and 60 s minimum.
//!
//! The shares are of the node's allocatable (not its raw capacity), so the kubelet and system
//! reservations are carried by the pods and a node whose allocatable is fully requested for its
//! whole life has no idle cost. GPUs are not priced separately (left for later).

/// The per-resource prices whose ratio splits a node's price between CPU and memory.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct PriceSplit {
    /// Relative $ per vCPU-hour.
    pub vcpu_hour: f64,
    /// Relative $ per GiB-hour.
    pub gib_hour: f64,
}

/// $ per hour that `requested` CPU (millicores) and memory (MiB) account for on a node of
/// `price_per_hour` with `allocatable` CPU and memory. Requests above allocatable are capped, so
/// pods that fit together never account for more than the node's price.
pub fn requested_rate(
    price_per_hour: f64,
    allocatable: (u64, u64),
    requested: (u64, u64),
    split: PriceSplit,
) -> f64 {
    let (alloc_cpu_m, alloc_mem_mib) = allocatable;
    let cpu_m = requested.0.min(alloc_cpu_m) as f64;
    let mem_mib = requested.1.min(alloc_mem_mib) as f64;
    let weight_cpu = split.vcpu_hour * alloc_cpu_m as f64 / 1000.0;
    let weight_mem = split.gib_hour * alloc_mem_mib as f64 / 1024.0;
    let total = weight_cpu + weight_mem;
    if total <= 0.0 {
        return 0.0;
    }
    let mut share = 0.0;
    if alloc_cpu_m > 0 {
        share += weight_cpu / total * cpu_m / alloc_cpu_m as f64;
    }
    if alloc_mem_mib > 0 {
        share += weight_mem / total * mem_mib / alloc_mem_mib as f64;
    }
    price_per_hour * share.min(1.0)
}

/// Whole micro-dollars (rounded down, so the parts never exceed the whole) that `rate_per_hour`
/// costs over `ms` milliseconds.
pub fn micros_over(rate_per_hour: f64, ms: u64) -> u64 {
    let v = rate_per_hour * ms as f64 / super::MS_PER_HOUR * 1e6;
    // `as` truncates, which for the non-negative amounts here is `floor`; negatives and NaN
    // saturate to 0 (no libm `floor` call, once per pod).
    v as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const FARGATE: PriceSplit = PriceSplit {
        vcpu_hour: 0.04048,
        gib_hour: 0.004445,
    };

    #[test]
    fn hand_computed_shares() {
        // m5.large-like node: 2,000 m and 8,192 MiB allocatable at $0.096/h.
        // CPU weight 0.04048 × 2 = 0.08096, memory weight 0.004445 × 8 = 0.03556,
        // total 0.11652: CPU carries 69.48% of the price, memory 30.52%.
        let alloc = (2000, 8192);
        let full = requested_rate(0.096, alloc, alloc, FARGATE);
        assert!((full - 0.096).abs() < 1e-12);
        // Half the CPU and no memory: 0.096 × 0.08096 / 0.11652 / 2.
        let half_cpu = requested_rate(0.096, alloc, (1000, 0), FARGATE);
        assert!((half_cpu - 0.096 * 0.08096 / 0.11652 / 2.0).abs() < 1e-12);
        // A quarter of the memory only: 0.096 × 0.03556 / 0.11652 / 4.
        let quarter_mem = requested_rate(0.096, alloc, (0, 2048), FARGATE);
        assert!((quarter_mem - 0.096 * 0.03556 / 0.11652 / 4.0).abs() < 1e-12);
        // Over-requests are capped at the node.
        assert!((requested_rate(0.096, alloc, (9000, 99_999), FARGATE) - 0.096).abs() < 1e-12);
        assert_eq!(requested_rate(0.096, (0, 0), (100, 100), FARGATE), 0.0);
    }

    #[test]
    fn micros_round_down_exactly() {
        // $0.36/h for 10 s = $0.001 = 1,000 µ$ (less a float hair at most).
        assert!((999..=1000).contains(&micros_over(0.36, 10_000)));
        // $0.096/h for 1 ms = 0.0267 µ$ → 0.
        assert_eq!(micros_over(0.096, 1), 0);
        assert_eq!(micros_over(0.096, 3_600_000), 96_000);
    }

    proptest! {
        /// Pods whose requests fit on the node together never account for more than its
        /// price, whatever the price split.
        #[test]
        fn fitting_pods_never_exceed_the_node(
            alloc_cpu in 1u64..100_000,
            alloc_mem in 1u64..500_000,
            cuts in proptest::collection::vec((0u64..1000, 0u64..1000), 1..20),
            price in 0.001f64..50.0,
            vcpu in 0.0001f64..1.0,
            gib in 0.0001f64..1.0,
        ) {
            let split = PriceSplit { vcpu_hour: vcpu, gib_hour: gib };
            // Share the allocatable out in proportion to the random cuts (never more than it).
            let (sc, sm): (u64, u64) = cuts.iter().fold((0, 0), |a, c| (a.0 + c.0, a.1 + c.1));
            let mut total = 0.0;
            for (c, m) in &cuts {
                let cpu = (alloc_cpu * c).checked_div(sc).unwrap_or(0);
                let mem = (alloc_mem * m).checked_div(sm).unwrap_or(0);
                total += requested_rate(price, (alloc_cpu, alloc_mem), (cpu, mem), split);
            }
            prop_assert!(total <= price * (1.0 + 1e-9));
            let ms = 3_600_000;
            let parts: u64 = cuts.iter().map(|(c, m)| {
                let cpu = (alloc_cpu * c).checked_div(sc).unwrap_or(0);
                let mem = (alloc_mem * m).checked_div(sm).unwrap_or(0);
                micros_over(requested_rate(price, (alloc_cpu, alloc_mem), (cpu, mem), split), ms)
            }).sum();
            prop_assert!(parts <= micros_over(price, ms) + 1);
        }
    }
}
