//! Latency and duration distributions, as scenario files write them and as the engine samples
//! them. Samples are whole milliseconds so they can go straight onto the integer clock.

use rand::RngExt;
use rand_distr::{Distribution as _, Exp, LogNormal};
use serde::Deserialize;

use super::units::parse_duration;
use crate::sim::rng::SimRng;
use crate::sim::time::SimDuration;

/// z-score of the 99th percentile of the standard normal distribution, used to turn a
/// (median, p99) pair into the lognormal's sigma.
pub const Z_P99: f64 = 2.326_347_874_040_841;

/// A distribution as written in YAML, e.g. `{lognormal: {median: 45s, p99: 120s}}`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum RawDistribution {
    /// Always the same value: `{fixed: 4s}`.
    Fixed(String),
    /// Uniform between two values: `{uniform: {min: 30s, max: 45s}}`.
    Uniform { min: String, max: String },
    /// Lognormal given by its median and 99th percentile.
    Lognormal { median: String, p99: String },
    /// Exponential given by its mean.
    Exponential { mean: String },
    /// Equally likely observed values: `{empirical: [31s, 54s, 40s]}`.
    Empirical(Vec<String>),
}

/// A validated distribution of durations.
#[derive(Debug, Clone, PartialEq)]
pub enum Distribution {
    /// Constant.
    Fixed(SimDuration),
    /// Uniform on `[min, max]` milliseconds.
    Uniform { min: SimDuration, max: SimDuration },
    /// `exp(N(mu, sigma))` milliseconds.
    Lognormal {
        median: SimDuration,
        p99: SimDuration,
        mu: f64,
        sigma: f64,
    },
    /// Exponential with the given mean.
    Exponential { mean: SimDuration },
    /// One of the listed values, each equally likely.
    Empirical(Vec<SimDuration>),
}

impl RawDistribution {
    /// Checks the values and computes the parameters; the error says what is wrong.
    pub fn validate(&self) -> Result<Distribution, String> {
        Ok(match self {
            RawDistribution::Fixed(v) => Distribution::Fixed(parse_duration(v)?),
            RawDistribution::Uniform { min, max } => {
                let (min, max) = (parse_duration(min)?, parse_duration(max)?);
                if min > max {
                    return Err(format!("uniform min ({min}) is greater than max ({max})"));
                }
                Distribution::Uniform { min, max }
            }
            RawDistribution::Lognormal { median, p99 } => {
                let (median, p99) = (parse_duration(median)?, parse_duration(p99)?);
                if median.0 == 0 {
                    return Err("lognormal median must be greater than 0".into());
                }
                if p99 < median {
                    return Err(format!(
                        "lognormal p99 ({p99}) must be at least the median ({median})"
                    ));
                }
                let mu = (median.0 as f64).ln();
                let sigma = ((p99.0 as f64).ln() - mu) / Z_P99;
                Distribution::Lognormal {
                    median,
                    p99,
                    mu,
                    sigma,
                }
            }
            RawDistribution::Exponential { mean } => Distribution::Exponential {
                mean: parse_duration(mean)?,
            },
            RawDistribution::Empirical(values) => {
                if values.is_empty() {
                    return Err("empirical needs at least one value".into());
                }
                Distribution::Empirical(
                    values
                        .iter()
                        .map(|v| parse_duration(v))
                        .collect::<Result<_, _>>()?,
                )
            }
        })
    }
}

impl Distribution {
    /// True when every [`Distribution::sample`] is zero without drawing a random number, so a
    /// caller may skip the sampling and whatever only the sampled time depends on.
    pub fn always_zero(&self) -> bool {
        match self {
            Distribution::Fixed(d) => d.0 == 0,
            Distribution::Uniform { min, max } => min.0 == 0 && max.0 == 0,
            // Validation requires a positive median, so never in practice; kept exact anyway.
            Distribution::Lognormal { median, sigma, .. } => *sigma == 0.0 && median.0 == 0,
            Distribution::Exponential { mean } => mean.0 == 0,
            // One draw per sample even with a single value: the stream must advance.
            Distribution::Empirical(_) => false,
        }
    }

    /// Draws one duration.
    pub fn sample(&self, rng: &mut SimRng) -> SimDuration {
        let ms = match self {
            Distribution::Fixed(d) => return *d,
            Distribution::Uniform { min, max } => {
                if min == max {
                    return *min;
                }
                return SimDuration(rng.random_range(min.0..=max.0));
            }
            Distribution::Lognormal {
                median, mu, sigma, ..
            } => {
                if *sigma == 0.0 {
                    return *median;
                }
                // Parameters were checked in `validate`, so construction cannot fail.
                match LogNormal::new(*mu, *sigma) {
                    Ok(d) => d.sample(rng),
                    Err(_) => median.0 as f64,
                }
            }
            Distribution::Exponential { mean } => {
                if mean.0 == 0 {
                    return SimDuration::ZERO;
                }
                match Exp::new(1.0 / mean.0 as f64) {
                    Ok(d) => d.sample(rng),
                    Err(_) => mean.0 as f64,
                }
            }
            Distribution::Empirical(values) => {
                return values[rng.random_range(0..values.len())];
            }
        };
        // Cap at about 31 years so a heavy tail cannot overflow the clock.
        SimDuration(ms.round().clamp(0.0, 1.0e12) as u64)
    }

    /// The distribution's mean, for documentation and sanity checks.
    pub fn mean(&self) -> f64 {
        match self {
            Distribution::Fixed(d) => d.0 as f64,
            Distribution::Uniform { min, max } => (min.0 + max.0) as f64 / 2.0,
            Distribution::Lognormal { mu, sigma, .. } => (mu + sigma * sigma / 2.0).exp(),
            Distribution::Exponential { mean } => mean.0 as f64,
            Distribution::Empirical(v) => {
                v.iter().map(|d| d.0 as f64).sum::<f64>() / v.len() as f64
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::stream;

    fn raw(y: &str) -> RawDistribution {
        serde_saphyr::from_str(y).unwrap()
    }

    #[test]
    fn parses_every_form() {
        assert_eq!(
            raw("fixed: 4s").validate().unwrap(),
            Distribution::Fixed(SimDuration(4000))
        );
        assert_eq!(
            raw("uniform: {min: 30s, max: 45s}").validate().unwrap(),
            Distribution::Uniform {
                min: SimDuration(30_000),
                max: SimDuration(45_000)
            }
        );
        assert!(matches!(
            raw("lognormal: {median: 45s, p99: 120s}")
                .validate()
                .unwrap(),
            Distribution::Lognormal { .. }
        ));
        assert_eq!(
            raw("empirical: [1s, 2s]").validate().unwrap(),
            Distribution::Empirical(vec![SimDuration(1000), SimDuration(2000)])
        );
    }

    #[test]
    fn always_zero_means_zero_samples_and_an_untouched_stream() {
        use rand::RngExt;
        for y in [
            "fixed: 0s",
            "uniform: {min: 0s, max: 0s}",
            "exponential: {mean: 0s}",
        ] {
            let d = raw(y).validate().unwrap();
            assert!(d.always_zero(), "{y}");
            let (mut a, mut b) = (stream(3, "t"), stream(3, "t"));
            for _ in 0..10 {
                assert_eq!(d.sample(&mut a), SimDuration::ZERO, "{y}");
            }
            // Sampling drew nothing: both streams are still at their start.
            assert_eq!(
                a.random_range(0..u64::MAX),
                b.random_range(0..u64::MAX),
                "{y}"
            );
        }
        for y in [
            "fixed: 1ms",
            "uniform: {min: 0s, max: 1s}",
            "exponential: {mean: 1s}",
            "lognormal: {median: 45s, p99: 120s}",
            // One value, but a draw per sample: skipping samples would shift the stream.
            "empirical: [0s]",
        ] {
            assert!(!raw(y).validate().unwrap().always_zero(), "{y}");
        }
    }

    #[test]
    fn rejects_inverted_bounds() {
        assert!(
            raw("uniform: {min: 45s, max: 30s}")
                .validate()
                .unwrap_err()
                .contains("greater")
        );
        assert!(
            raw("lognormal: {median: 45s, p99: 10s}")
                .validate()
                .unwrap_err()
                .contains("at least")
        );
    }

    #[test]
    fn lognormal_hits_its_median_and_p99() {
        let d = raw("lognormal: {median: 45s, p99: 120s}")
            .validate()
            .unwrap();
        let mut rng = stream(7, "test");
        let mut xs: Vec<u64> = (0..20_000).map(|_| d.sample(&mut rng).0).collect();
        xs.sort_unstable();
        let median = xs[xs.len() / 2] as f64;
        let p99 = xs[xs.len() * 99 / 100] as f64;
        assert!(
            (median - 45_000.0).abs() / 45_000.0 < 0.03,
            "median {median}"
        );
        assert!((p99 - 120_000.0).abs() / 120_000.0 < 0.08, "p99 {p99}");
    }

    #[test]
    fn uniform_stays_in_bounds_and_exponential_has_its_mean() {
        let u = raw("uniform: {min: 30s, max: 45s}").validate().unwrap();
        let e = raw("exponential: {mean: 5m}").validate().unwrap();
        let mut rng = stream(1, "test");
        for _ in 0..1000 {
            let x = u.sample(&mut rng).0;
            assert!((30_000..=45_000).contains(&x));
        }
        let n = 50_000;
        let mean = (0..n).map(|_| e.sample(&mut rng).0 as f64).sum::<f64>() / n as f64;
        assert!((mean - 300_000.0).abs() / 300_000.0 < 0.02, "mean {mean}");
    }
}
