//! Fargate: per pod-second on the provisioned (rounded) vCPU and memory, 60 s minimum, from the
//! start of the image pull until the pod ends; ephemeral storage above the included 20 GB billed
//! per GB-hour.

use super::{MS_PER_HOUR, billed_ms};
use crate::cluster::fargate::FargateSize;
use crate::scenario::FargateSpec;

/// $ per hour of a provisioned size.
pub fn rate_per_hour(size: &FargateSize, prices: &FargateSpec) -> f64 {
    size.vcpu() * prices.vcpu_hour
        + size.memory_gb() * prices.gb_hour
        + f64::from(size.billable_extra_storage_gib()) * prices.storage_gb_hour
}

/// Billed milliseconds and dollars of one pod.
pub fn pod_cost(rate_per_hour: f64, pull_start_ms: u64, end_ms: u64, ended: bool) -> (u64, f64) {
    let ms = billed_ms(pull_start_ms, end_ms, ended);
    (ms, rate_per_hour * ms as f64 / MS_PER_HOUR)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prices() -> FargateSpec {
        FargateSpec {
            vcpu_hour: 0.04048,
            gb_hour: 0.004445,
            storage_gb_hour: 0.000111,
            max_concurrent_pods: 1000,
        }
    }

    #[test]
    fn hand_computed_pod_costs() {
        // 2 vCPU / 9 GB (the guide's worked example): 2*0.04048 + 9*0.004445 = 0.120965 $/h.
        let size = FargateSize {
            vcpu_m: 2000,
            memory_mib: 9 * 1024,
            ephemeral_gib: 20,
        };
        let rate = rate_per_hour(&size, &prices());
        assert!((rate - 0.120965).abs() < 1e-12);
        // Ran 10 s: billed the 60 s minimum = 0.120965 / 60.
        let (ms, c) = pod_cost(rate, 5_000, 15_000, true);
        assert_eq!(ms, 60_000);
        assert!((c - 0.120965 / 60.0).abs() < 1e-12);
        // Ran 90.2 s: rounded up to 91 s.
        let (ms, _) = pod_cost(rate, 0, 90_200, true);
        assert_eq!(ms, 91_000);
        // 0.25 vCPU / 0.5 GB with 30 GB storage (10 GB extra) for one hour:
        // 0.25*0.04048 + 0.5*0.004445 + 10*0.000111 = 0.01012 + 0.0022225 + 0.00111 = 0.0134525.
        let small = FargateSize {
            vcpu_m: 250,
            memory_mib: 512,
            ephemeral_gib: 30,
        };
        let (_, c) = pod_cost(rate_per_hour(&small, &prices()), 0, 3_600_000, false);
        assert!((c - 0.0134525).abs() < 1e-12);
    }
}
