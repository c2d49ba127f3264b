//! EC2: per instance-second, 60 s minimum, from launch to termination.

use super::{MS_PER_HOUR, billed_ms};

/// Billed milliseconds and dollars of one instance at `price_per_hour`.
pub fn instance_cost(
    price_per_hour: f64,
    launch_ms: u64,
    end_ms: u64,
    terminated: bool,
) -> (u64, f64) {
    let ms = billed_ms(launch_ms, end_ms, terminated);
    (ms, price_per_hour * ms as f64 / MS_PER_HOUR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_computed_instance_costs() {
        // m5.large at $0.096/h terminated after 30 s: the 60 s minimum, 0.096 / 60 = $0.0016.
        let (ms, c) = instance_cost(0.096, 0, 30_000, true);
        assert_eq!(ms, 60_000);
        assert!((c - 0.0016).abs() < 1e-12);
        // Alive at a 2 h horizon after launching at 10 min: 110 min billed, 0.096 * 110 / 60.
        let (ms, c) = instance_cost(0.096, 600_000, 7_200_000, false);
        assert_eq!(ms, 6_600_000);
        assert!((c - 0.176).abs() < 1e-12);
    }
}
