//! Karpenter (aws/karpenter-provider-aws): NodePools, pod batching, and the provisioning
//! decision — pack the batch's pods onto as few new nodes as fit, then launch each node as the
//! cheapest offering (instance type × capacity type) that holds its pods (EKS_FACTS "Karpenter":
//! batching 1 s idle / 10 s max, consolidation WhenEmptyOrUnderutilized, consolidateAfter 0s,
//! budget 10% of nodes, expireAfter 720h).

use crate::cluster::node::CapacityType;
use crate::cluster::resources::Resources;
use crate::sim::time::SimDuration;

/// One way Karpenter can launch a node: an instance type with a capacity type, its allocatable
/// (after DaemonSets) and price.
#[derive(Clone, Debug, PartialEq)]
pub struct Offering {
    /// Instance type.
    pub instance_type: String,
    /// On-demand or Spot.
    pub capacity_type: CapacityType,
    /// What pods can request on it (allocatable minus DaemonSet requests).
    pub free: Resources,
    /// $ per hour.
    pub price: f64,
}

/// When consolidation may remove or replace nodes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ConsolidationPolicy {
    /// Only empty nodes.
    WhenEmpty,
    /// Empty nodes, and nodes whose pods fit elsewhere or on a cheaper replacement (default).
    WhenEmptyOrUnderutilized,
}

/// A validated NodePool.
#[derive(Clone, Debug, PartialEq)]
pub struct NodePoolSpec {
    /// Name (also the `karpenter.sh/nodepool` label).
    pub name: String,
    /// Index of the node group that carries its nodes' labels, taints and zones.
    pub group: usize,
    /// Offerings allowed by the requirements, cheapest first.
    pub offerings: Vec<Offering>,
    /// limits.cpu in millicores (None = unlimited).
    pub cpu_limit_m: Option<u64>,
    /// limits.memory in MiB.
    pub memory_limit_mib: Option<u64>,
    /// Higher weight is tried first.
    pub weight: i32,
    /// disruption.consolidationPolicy.
    pub consolidation: ConsolidationPolicy,
    /// disruption.consolidateAfter.
    pub consolidate_after: SimDuration,
    /// disruption.budgets nodes, as a share of the pool's nodes (0.10).
    pub budget_share: f64,
    /// expireAfter (None = Never).
    pub expire_after: Option<SimDuration>,
}

/// Validated Karpenter settings.
#[derive(Clone, Debug, PartialEq)]
pub struct KarpenterSpec {
    /// NodePools, highest weight first.
    pub node_pools: Vec<NodePoolSpec>,
    /// BATCH_IDLE_DURATION (1s).
    pub batch_idle: SimDuration,
    /// BATCH_MAX_DURATION (10s).
    pub batch_max: SimDuration,
}

/// One node Karpenter decided to launch, with the pods (indices) it is for.
#[derive(Clone, Debug, PartialEq)]
pub struct Claim {
    /// Index into the pool's offerings.
    pub offering: usize,
    /// Pods (indices into the batch) packed on it.
    pub pods: Vec<usize>,
}

/// Packs `pods` (their requests; `fits_pool[i]` says pod i may run on this pool at all) onto new
/// nodes of one pool: largest pods first, each onto the first open claim that some offering can
/// still hold, else a new claim; each claim then takes the cheapest offering that holds it.
pub fn pack(pool: &NodePoolSpec, pods: &[Resources], fits_pool: &[bool]) -> Vec<Claim> {
    let biggest = |r: &Resources| pool.offerings.iter().any(|o| r.fits_in(&o.free));
    let mut order: Vec<usize> = (0..pods.len())
        .filter(|&i| fits_pool[i] && biggest(&pods[i]))
        .collect();
    order.sort_by(|&a, &b| {
        let key = |r: &Resources| (r.cpu_m, r.memory_mib);
        key(&pods[b]).cmp(&key(&pods[a])).then(a.cmp(&b))
    });
    let mut claims: Vec<(Resources, Vec<usize>)> = Vec::new();
    for i in order {
        let r = pods[i];
        match claims.iter_mut().find(|(sum, _)| biggest(&(*sum + r))) {
            Some((sum, list)) => {
                *sum += r;
                list.push(i);
            }
            None => claims.push((r, vec![i])),
        }
    }
    claims
        .into_iter()
        .map(|(sum, pods)| Claim {
            offering: pool
                .offerings
                .iter()
                .position(|o| sum.fits_in(&o.free))
                .unwrap_or(0),
            pods,
        })
        .collect()
}

/// The cheapest offering of the pool that holds `need`, if any (for single-node replacement).
pub fn cheapest_fit(pool: &NodePoolSpec, need: &Resources) -> Option<usize> {
    pool.offerings.iter().position(|o| need.fits_in(&o.free))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offering(t: &str, cpu: u64, price: f64) -> Offering {
        Offering {
            instance_type: t.into(),
            capacity_type: CapacityType::OnDemand,
            free: Resources {
                cpu_m: cpu,
                memory_mib: 64_000,
                gpus: 0,
                pods: 110,
            },
            price,
        }
    }

    fn pool() -> NodePoolSpec {
        NodePoolSpec {
            name: "p".into(),
            group: 0,
            // Cheapest first.
            offerings: vec![
                offering("small", 2000, 0.1),
                offering("medium", 4000, 0.19),
                offering("large", 8000, 0.37),
            ],
            cpu_limit_m: None,
            memory_limit_mib: None,
            weight: 0,
            consolidation: ConsolidationPolicy::WhenEmptyOrUnderutilized,
            consolidate_after: SimDuration::ZERO,
            budget_share: 0.1,
            expire_after: None,
        }
    }

    #[test]
    fn packs_then_picks_the_cheapest_fitting_offering() {
        let p = |cpu| Resources::pod(cpu, 100, 0);
        // 3000 + 3000 + 1500 + 500 = 8000m: one claim on `large`; a 500m pod alone → `small`.
        let pods = [p(3000), p(1500), p(3000), p(500)];
        let claims = pack(&pool(), &pods, &[true; 4]);
        assert_eq!(claims.len(), 1);
        assert_eq!(pool().offerings[claims[0].offering].instance_type, "large");
        assert_eq!(claims[0].pods, vec![0, 2, 1, 3]);
        let one = pack(&pool(), &[p(500)], &[true]);
        assert_eq!(pool().offerings[one[0].offering].instance_type, "small");
        // A pod no offering can hold, or one the pool may not take, is left out.
        assert!(pack(&pool(), &[p(9000), p(100)], &[true, false]).is_empty());
        assert_eq!(cheapest_fit(&pool(), &p(3500)), Some(1));
    }
}
