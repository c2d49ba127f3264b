//! Cluster Autoscaler expanders: which node group grows when several could take the pending
//! pods (CA FAQ "What are Expanders?"; least-waste is the default from 1.33, EKS_FACTS).

use rand::RngExt;

use crate::sim::rng::SimRng;

/// Expander strategy.
#[derive(Clone, Debug, PartialEq)]
pub enum Expander {
    /// Uniformly at random.
    Random,
    /// The option that schedules the most pods.
    MostPods,
    /// The option that leaves the least CPU and memory idle (default).
    LeastWaste,
    /// The cheapest option per hour.
    Price,
    /// The highest priority from a list of (priority, node group name pattern with `*`).
    Priority(Vec<(i32, String)>),
}

/// One way to scale up: grow `group` by `nodes` to place `pods` pods.
#[derive(Clone, Debug, PartialEq)]
pub struct ScaleUpOption {
    /// Node group index.
    pub group: usize,
    /// Group name (for the priority expander).
    pub group_name: String,
    /// Nodes to add.
    pub nodes: u32,
    /// Pending pods the new nodes would take.
    pub pods: u32,
    /// CPU the new nodes offer, millicores (allocatable, all nodes).
    pub cpu_capacity_m: u64,
    /// Memory the new nodes offer, MiB.
    pub memory_capacity_mib: u64,
    /// CPU the placed pods request.
    pub cpu_requested_m: u64,
    /// Memory the placed pods request.
    pub memory_requested_mib: u64,
    /// $ per hour of the new nodes.
    pub price_per_hour: f64,
}

impl ScaleUpOption {
    /// least-waste's score: idle CPU share + idle memory share (lower is better).
    pub fn waste(&self) -> f64 {
        let w = |cap: u64, req: u64| {
            if cap == 0 {
                0.0
            } else {
                (cap.saturating_sub(req)) as f64 / cap as f64
            }
        };
        w(self.cpu_capacity_m, self.cpu_requested_m)
            + w(self.memory_capacity_mib, self.memory_requested_mib)
    }
}

fn glob(pattern: &str, text: &str) -> bool {
    crate::cluster::fargate::profile::glob_match(pattern, text)
}

impl Expander {
    /// Picks an option; among equally good ones, at random with the seeded stream (as CA's
    /// expanders fall back to random).
    pub fn choose(&self, options: &[ScaleUpOption], rng: &mut SimRng) -> Option<usize> {
        if options.is_empty() {
            return None;
        }
        let best: Vec<usize> = match self {
            Expander::Random => (0..options.len()).collect(),
            Expander::MostPods => {
                let m = options.iter().map(|o| o.pods).max().unwrap_or(0);
                (0..options.len())
                    .filter(|&i| options[i].pods == m)
                    .collect()
            }
            Expander::LeastWaste => {
                let m = options
                    .iter()
                    .map(|o| o.waste())
                    .fold(f64::INFINITY, f64::min);
                (0..options.len())
                    .filter(|&i| (options[i].waste() - m).abs() < 1e-12)
                    .collect()
            }
            Expander::Price => {
                let m = options
                    .iter()
                    .map(|o| o.price_per_hour)
                    .fold(f64::INFINITY, f64::min);
                (0..options.len())
                    .filter(|&i| (options[i].price_per_hour - m).abs() < 1e-12)
                    .collect()
            }
            Expander::Priority(list) => {
                let prio = |o: &ScaleUpOption| {
                    list.iter()
                        .filter(|(_, p)| glob(p, &o.group_name))
                        .map(|(v, _)| *v)
                        .max()
                };
                let m = options.iter().filter_map(prio).max();
                match m {
                    None => (0..options.len()).collect(),
                    Some(m) => (0..options.len())
                        .filter(|&i| prio(&options[i]) == Some(m))
                        .collect(),
                }
            }
        };
        if best.len() == 1 {
            Some(best[0])
        } else {
            Some(best[rng.random_range(0..best.len())])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::stream;

    fn opt(
        group: usize,
        name: &str,
        nodes: u32,
        pods: u32,
        cpu_cap: u64,
        price: f64,
    ) -> ScaleUpOption {
        ScaleUpOption {
            group,
            group_name: name.into(),
            nodes,
            pods,
            cpu_capacity_m: cpu_cap,
            memory_capacity_mib: 16_384,
            cpu_requested_m: 3000,
            memory_requested_mib: 8192,
            price_per_hour: price,
        }
    }

    #[test]
    fn each_expander_picks_by_its_rule() {
        let mut rng = stream(1, "t");
        // a: 1 node of 4000m for 3000m (waste 0.25 + 0.5); b: 1 node of 8000m (0.625 + 0.5).
        let opts = vec![
            opt(0, "small", 1, 6, 4000, 0.192),
            opt(1, "big", 1, 6, 8000, 0.17),
        ];
        assert_eq!(Expander::LeastWaste.choose(&opts, &mut rng), Some(0));
        assert_eq!(Expander::Price.choose(&opts, &mut rng), Some(1));
        let opts2 = vec![
            opt(0, "small", 1, 4, 4000, 0.1),
            opt(1, "big", 1, 6, 8000, 0.2),
        ];
        assert_eq!(Expander::MostPods.choose(&opts2, &mut rng), Some(1));
        let prio = Expander::Priority(vec![(10, "sm*".into()), (50, "b?g".into())]);
        assert_eq!(prio.choose(&opts, &mut rng), Some(1));
        assert_eq!(Expander::Random.choose(&[], &mut rng), None);
    }

    #[test]
    fn random_spreads_over_options_deterministically() {
        let opts = vec![opt(0, "a", 1, 1, 1, 1.0), opt(1, "b", 1, 1, 1, 1.0)];
        let picks: Vec<usize> = {
            let mut rng = stream(3, "t");
            (0..100)
                .map(|_| Expander::Random.choose(&opts, &mut rng).unwrap())
                .collect()
        };
        let again: Vec<usize> = {
            let mut rng = stream(3, "t");
            (0..100)
                .map(|_| Expander::Random.choose(&opts, &mut rng).unwrap())
                .collect()
        };
        assert_eq!(picks, again);
        assert!(picks.contains(&0) && picks.contains(&1));
    }
}
