//! Control plane: a fee per cluster-hour for the support tier, over the simulated span.

use super::MS_PER_HOUR;

/// $ for `span_ms` of cluster time at `fee_per_hour`.
pub fn cluster_fee(fee_per_hour: f64, span_ms: u64) -> f64 {
    fee_per_hour * span_ms as f64 / MS_PER_HOUR
}

/// EKS SLA service credit in percent for a monthly uptime percentage (aws.amazon.com/eks/sla,
/// EKS_FACTS "Control plane"): 10% below 99.95%, 25% below 99.0%, 100% below 95.0%.
pub fn sla_credit_percent(uptime_percent: f64) -> u32 {
    if uptime_percent < 95.0 {
        100
    } else if uptime_percent < 99.0 {
        25
    } else if uptime_percent < 99.95 {
        10
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sla_tiers() {
        use super::sla_credit_percent as c;
        assert_eq!(
            (
                c(100.0),
                c(99.95),
                c(99.949),
                c(99.0),
                c(98.99),
                c(95.0),
                c(94.9)
            ),
            (0, 0, 10, 10, 25, 25, 100)
        );
    }

    #[test]
    fn standard_and_extended_fees() {
        assert!((super::cluster_fee(0.10, 6 * 3_600_000) - 0.6).abs() < 1e-12);
        assert!((super::cluster_fee(0.60, 30 * 60_000) - 0.3).abs() < 1e-12);
    }
}
