//! Control plane: a fee per cluster-hour for the support tier, over the simulated span.

use super::MS_PER_HOUR;

/// $ for `span_ms` of cluster time at `fee_per_hour`.
pub fn cluster_fee(fee_per_hour: f64, span_ms: u64) -> f64 {
    fee_per_hour * span_ms as f64 / MS_PER_HOUR
}

#[cfg(test)]
mod tests {
    #[test]
    fn standard_and_extended_fees() {
        assert!((super::cluster_fee(0.10, 6 * 3_600_000) - 0.6).abs() < 1e-12);
        assert!((super::cluster_fee(0.60, 30 * 60_000) - 0.3).abs() < 1e-12);
    }
}
