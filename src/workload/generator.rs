//! Synthetic arrivals: Poisson at a constant rate or following a daily profile, durations from a
//! distribution, requests fixed or drawn from a weighted list. Each generator has its own random
//! stream, so adding a generator does not change the pods another one produces.

use rand::RngExt;
use rand_distr::{Distribution as _, Exp};

use super::{PodSource, PodSpec, PodTemplate, SharedStr, WorkloadError};
use crate::scenario::distribution::Distribution;
use crate::sim::rng::{SimRng, stream};
use crate::sim::time::{SimDuration, SimTime};

/// How pods arrive.
#[derive(Clone, Debug, PartialEq)]
pub enum Arrivals {
    /// Poisson process with a constant rate (pods per minute).
    Poisson {
        /// Mean arrivals per minute.
        per_minute: f64,
    },
    /// Non-homogeneous Poisson process with one rate per hour of the day (24 values, pods per
    /// minute), repeating every day.
    DailyProfile {
        /// Rate for each hour 0..24.
        per_minute: Vec<f64>,
    },
    /// One pod every fixed interval.
    Every(SimDuration),
}

/// One possible request of a generated pod, with its weight in the draw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestChoice {
    /// CPU millicores.
    pub cpu_m: u64,
    /// Memory MiB.
    pub memory_mib: u64,
    /// GPUs.
    pub gpus: u32,
    /// Ephemeral storage MiB.
    pub ephemeral_mib: u64,
    /// Relative weight (> 0).
    pub weight: u64,
}

/// A validated generator.
#[derive(Clone, Debug, PartialEq)]
pub struct GeneratorSpec {
    /// Generator name: pods are `<name>-<i>`, the random stream is `workload/<name>`.
    pub name: String,
    /// Arrival process.
    pub arrivals: Arrivals,
    /// Run time of each pod; `None` = runs past the horizon.
    pub duration: Option<Distribution>,
    /// Requests to draw from (at least one).
    pub requests: Vec<RequestChoice>,
    /// First possible arrival.
    pub start: SimTime,
    /// No arrivals at or after this time.
    pub end: Option<SimTime>,
    /// At most this many pods.
    pub count: Option<u64>,
    /// Everything else about each pod.
    pub template: PodTemplate,
}

/// Streams the pods of one generator.
#[derive(Debug)]
pub struct GeneratorSource {
    spec: GeneratorSpec,
    /// The generator's name, the group of every pod, shared by them.
    group: SharedStr,
    rng: SimRng,
    now_ms: f64,
    produced: u64,
    total_weight: u64,
    done: bool,
}

const MS_PER_MINUTE: f64 = 60_000.0;
const MS_PER_HOUR: f64 = 3_600_000.0;

impl GeneratorSource {
    /// A generator whose draws come from the run seed and the generator's name.
    pub fn new(spec: GeneratorSpec, seed: u64) -> Self {
        let rng = stream(seed, &format!("workload/{}", spec.name));
        let total_weight = spec.requests.iter().map(|r| r.weight).sum();
        GeneratorSource {
            now_ms: spec.start.0 as f64,
            group: SharedStr::from(&spec.name),
            spec,
            rng,
            produced: 0,
            total_weight,
            done: false,
        }
    }

    fn exp_gap(rng: &mut SimRng, per_ms: f64) -> f64 {
        match Exp::new(per_ms) {
            Ok(e) => e.sample(rng),
            Err(_) => f64::INFINITY,
        }
    }

    /// Advances `now_ms` to the next arrival; `false` if there is none.
    fn advance(&mut self) -> bool {
        match &self.spec.arrivals {
            Arrivals::Poisson { per_minute } => {
                if *per_minute <= 0.0 {
                    return false;
                }
                self.now_ms += Self::exp_gap(&mut self.rng, per_minute / MS_PER_MINUTE);
            }
            Arrivals::Every(d) => {
                if self.produced > 0 {
                    self.now_ms += d.0 as f64;
                }
            }
            Arrivals::DailyProfile { per_minute } => {
                // Thinning (Lewis & Shedler): candidates at the peak rate, each kept with
                // probability rate(t) / peak.
                let peak = per_minute.iter().cloned().fold(0.0, f64::max);
                if peak <= 0.0 {
                    return false;
                }
                loop {
                    self.now_ms += Self::exp_gap(&mut self.rng, peak / MS_PER_MINUTE);
                    if !self.now_ms.is_finite() || self.now_ms > 1.0e15 {
                        return false;
                    }
                    let hour = ((self.now_ms / MS_PER_HOUR) as u64 % 24) as usize;
                    let keep: f64 = self.rng.random();
                    if keep * peak < per_minute[hour] {
                        break;
                    }
                }
            }
        }
        self.now_ms.is_finite() && self.now_ms <= 1.0e15
    }

    fn pick_requests(&mut self) -> usize {
        if self.spec.requests.len() == 1 {
            return 0;
        }
        let mut x = self.rng.random_range(0..self.total_weight);
        for (i, r) in self.spec.requests.iter().enumerate() {
            if x < r.weight {
                return i;
            }
            x -= r.weight;
        }
        self.spec.requests.len() - 1
    }
}

impl PodSource for GeneratorSource {
    fn next_pod(&mut self) -> Result<Option<PodSpec>, WorkloadError> {
        if self.done || self.spec.count.is_some_and(|c| self.produced >= c) || !self.advance() {
            self.done = true;
            return Ok(None);
        }
        let submit = SimTime(self.now_ms.round() as u64);
        if self.spec.end.is_some_and(|end| submit >= end) {
            self.done = true;
            return Ok(None);
        }
        let choice = self.pick_requests();
        let duration = self.spec.duration.as_ref().map(|d| d.sample(&mut self.rng));
        let i = self.produced;
        self.produced += 1;
        let s = &self.spec;
        Ok(Some(s.template.instantiate(
            submit,
            format!("{}-{}", s.name, i),
            self.group.clone(),
            &s.requests[choice],
            duration,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(arrivals: Arrivals) -> GeneratorSpec {
        GeneratorSpec {
            name: "g".into(),
            arrivals,
            duration: Some(Distribution::Fixed(SimDuration::from_secs(30))),
            requests: vec![RequestChoice {
                cpu_m: 500,
                memory_mib: 512,
                gpus: 0,
                ephemeral_mib: 0,
                weight: 1,
            }],
            start: SimTime::ZERO,
            end: Some(SimTime(3_600_000)),
            count: None,
            template: PodTemplate {
                namespace: "ns".into(),
                ..Default::default()
            },
        }
    }

    fn drain(mut s: GeneratorSource) -> Vec<PodSpec> {
        std::iter::from_fn(|| s.next_pod().unwrap()).collect()
    }

    #[test]
    fn poisson_rate_and_order() {
        let pods = drain(GeneratorSource::new(
            spec(Arrivals::Poisson { per_minute: 10.0 }),
            1,
        ));
        // 600 expected in an hour; 5 sigma is about 122.
        assert!((480..=720).contains(&pods.len()), "{}", pods.len());
        assert!(pods.windows(2).all(|w| w[0].submit <= w[1].submit));
        assert!(pods.iter().all(|p| p.submit < SimTime(3_600_000)));
        assert_eq!(pods[0].name, "g-0");
        assert_eq!(pods[0].duration, Some(SimDuration(30_000)));
    }

    #[test]
    fn fixed_interval_and_count() {
        let mut s = spec(Arrivals::Every(SimDuration::from_secs(10)));
        s.count = Some(3);
        let pods = drain(GeneratorSource::new(s, 1));
        let t: Vec<u64> = pods.iter().map(|p| p.submit.0).collect();
        assert_eq!(t, vec![0, 10_000, 20_000]);
    }

    #[test]
    fn daily_profile_follows_hourly_rates() {
        let mut rates = vec![0.0; 24];
        rates[1] = 30.0; // only hour 1 has arrivals
        let mut s = spec(Arrivals::DailyProfile { per_minute: rates });
        s.end = Some(SimTime(86_400_000));
        let pods = drain(GeneratorSource::new(s, 3));
        assert!(
            pods.iter()
                .all(|p| (3_600_000..7_200_000).contains(&p.submit.0))
        );
        assert!((1500..=2100).contains(&pods.len()), "{}", pods.len());
    }

    #[test]
    fn weighted_requests_follow_weights() {
        let mut s = spec(Arrivals::Poisson { per_minute: 100.0 });
        s.requests.push(RequestChoice {
            cpu_m: 2000,
            weight: 3,
            ..s.requests[0].clone()
        });
        let pods = drain(GeneratorSource::new(s, 9));
        let big = pods.iter().filter(|p| p.requests.cpu_m == 2000).count() as f64;
        let share = big / pods.len() as f64;
        assert!((share - 0.75).abs() < 0.03, "{share}");
    }

    #[test]
    fn same_seed_same_pods_other_seed_other_pods() {
        let a = drain(GeneratorSource::new(
            spec(Arrivals::Poisson { per_minute: 5.0 }),
            1,
        ));
        let b = drain(GeneratorSource::new(
            spec(Arrivals::Poisson { per_minute: 5.0 }),
            1,
        ));
        let c = drain(GeneratorSource::new(
            spec(Arrivals::Poisson { per_minute: 5.0 }),
            2,
        ));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
