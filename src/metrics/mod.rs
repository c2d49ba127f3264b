//! What a run measures: latency distributions (pending, startup), time-weighted utilisation, and
//! the summary written to summary.json.

pub mod summary;

use hdrhistogram::Histogram;
use serde::Serialize;

/// A latency distribution in milliseconds: exact count, mean and max, percentiles from an HDR
/// histogram (3 significant digits: at most 0.1% off, in bounded memory whatever the pod count).
#[derive(Debug, Clone)]
pub struct LatencyStats {
    hist: Histogram<u64>,
    count: u64,
    sum_ms: u128,
    max_ms: u64,
}

impl Default for LatencyStats {
    fn default() -> Self {
        LatencyStats {
            // Auto-resizing histogram; 3 significant figures cannot fail to construct.
            hist: Histogram::new(3).unwrap_or_else(|_| unreachable!("3 sigfigs is valid")),
            count: 0,
            sum_ms: 0,
            max_ms: 0,
        }
    }
}

/// The five figures summary.json reports for a latency, in seconds.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LatencySummary {
    /// Arithmetic mean.
    pub mean: Option<f64>,
    /// Median.
    pub p50: Option<f64>,
    /// 95th percentile.
    pub p95: Option<f64>,
    /// 99th percentile.
    pub p99: Option<f64>,
    /// Largest value.
    pub max: Option<f64>,
}

impl LatencyStats {
    /// Records one latency.
    pub fn record(&mut self, ms: u64) {
        // Auto-resize means recording cannot fail for any u64 we produce.
        let _ = self.hist.record(ms);
        self.count += 1;
        self.sum_ms += u128::from(ms);
        self.max_ms = self.max_ms.max(ms);
    }

    /// Number of values.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Mean, percentiles and max in seconds (rounded to the millisecond); `None`s when empty.
    pub fn summary(&self) -> LatencySummary {
        if self.count == 0 {
            return LatencySummary {
                mean: None,
                p50: None,
                p95: None,
                p99: None,
                max: None,
            };
        }
        let s = |ms: u64| Some(ms as f64 / 1000.0);
        let q = |x: f64| s(self.hist.value_at_quantile(x).min(self.max_ms));
        LatencySummary {
            mean: s((self.sum_ms / u128::from(self.count)) as u64),
            p50: q(0.50),
            p95: q(0.95),
            p99: q(0.99),
            max: s(self.max_ms),
        }
    }
}

/// Integrates a piecewise-constant quantity over time (e.g. requested CPU), so averages are
/// time-weighted without sampling error.
#[derive(Debug, Clone, Copy, Default)]
pub struct TimeIntegral {
    last_ms: u64,
    value: u64,
    area: u128,
}

impl TimeIntegral {
    /// Sets a new value from `now_ms` on.
    pub fn set(&mut self, now_ms: u64, value: u64) {
        self.advance(now_ms);
        self.value = value;
    }

    /// Accumulates the area up to `now_ms`.
    pub fn advance(&mut self, now_ms: u64) {
        if now_ms > self.last_ms {
            self.area += u128::from(self.value) * u128::from(now_ms - self.last_ms);
            self.last_ms = now_ms;
        }
    }

    /// Area (value × ms) so far.
    pub fn area(&self) -> u128 {
        self.area
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_summary_of_known_values() {
        let mut s = LatencyStats::default();
        for ms in 1..=100 {
            s.record(ms * 1000);
        }
        let sum = s.summary();
        assert_eq!(sum.mean, Some(50.5));
        assert_eq!(sum.max, Some(100.0));
        let p50 = sum.p50.unwrap();
        assert!((p50 - 50.0).abs() <= 0.05, "{p50}");
        let p99 = sum.p99.unwrap();
        assert!((p99 - 99.0).abs() <= 0.1, "{p99}");
        assert_eq!(LatencyStats::default().summary().mean, None);
    }

    #[test]
    fn time_integral_is_exact() {
        let mut t = TimeIntegral::default();
        t.set(0, 10);
        t.set(1000, 20);
        t.advance(3000);
        assert_eq!(t.area(), 10 * 1000 + 20 * 2000);
    }
}
