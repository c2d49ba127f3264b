//! Billing rules, exactly as AWS bills (EKS_FACTS "EC2 nodes", "Fargate for EKS", "Control
//! plane"). Pure functions of times and rates, so they are tested by hand-computed cases.

pub mod attribution;
pub mod control_plane;
pub mod ec2;
pub mod fargate;

/// Milliseconds in an hour: prices are per hour, the clock is in milliseconds.
pub const MS_PER_HOUR: f64 = 3_600_000.0;

/// The one-minute minimum charge of EC2 Linux instances and Fargate pods.
pub const MINIMUM_BILLED_MS: u64 = 60_000;

/// How long an item is billed for: whole seconds rounded up with a 60 s minimum if it ended
/// inside the horizon, or exactly up to the horizon if it was still alive there (no minimum: the
/// horizon is a cut, not a termination).
pub fn billed_ms(start_ms: u64, end_ms: u64, ended: bool) -> u64 {
    let span = end_ms.saturating_sub(start_ms);
    if ended {
        (span.div_ceil(1000) * 1000).max(MINIMUM_BILLED_MS)
    } else {
        span
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimum_and_rounding_apply_only_to_ended_items() {
        assert_eq!(billed_ms(0, 30_000, true), 60_000);
        assert_eq!(billed_ms(0, 60_000, true), 60_000);
        assert_eq!(billed_ms(0, 60_001, true), 61_000);
        assert_eq!(billed_ms(1_000, 91_500, true), 91_000);
        assert_eq!(billed_ms(0, 30_000, false), 30_000);
        assert_eq!(billed_ms(0, 30_500, false), 30_500);
    }
}
