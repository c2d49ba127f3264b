//! Karpenter inside the engine. Provisioning: pods the scheduler found unschedulable open a batch
//! that closes after 1 s without new ones or 10 s in all; the batch's pods that fit nowhere are
//! packed per NodePool (highest weight first) and each new node launches as the cheapest
//! offering that holds its pods, within the pool's limits. Disruption, every 10 s and within each
//! pool's budget (10% of its nodes): expired nodes are replaced, empty nodes deleted, and with
//! WhenEmptyOrUnderutilized a node whose pods fit on the others is deleted, or replaced by a
//! cheaper node that holds them (the old one is drained once the replacement is Ready).

use rustc_hash::FxHashMap;

use super::autoscaling::{FitMemo, resumed_first_fit};
use super::{Engine, Event, RunError};
use crate::autoscaler::karpenter::{ConsolidationPolicy, cheapest_fit, pack};
use crate::cluster::node::{NodeId, NodeState};
use crate::cluster::resources::Resources;
use crate::scheduler::NodeLocalFilters;
use crate::sim::time::{SimDuration, SimTime};

/// How often Karpenter's disruption controller looks for work.
pub const DISRUPTION_POLL: SimDuration = SimDuration::from_secs(10);
/// Karpenter re-validates a consolidation decision after this long before acting on it
/// (its consolidation validation TTL), so a node must stay a candidate that long.
pub const CONSOLIDATION_VALIDATION: SimDuration = SimDuration::from_secs(15);

impl Engine<'_> {
    /// A pod failed a scheduling cycle: open or extend the provisioning batch.
    pub(super) fn karpenter_note_unschedulable(&mut self) {
        if self.sc.karpenter.is_none() {
            return;
        }
        let start = *self.kp_batch_start.get_or_insert(self.now);
        self.kp_last_pending = self.now;
        let k = self.sc.karpenter.as_ref().expect("checked");
        let due = (self.kp_last_pending + k.batch_idle).min(start + k.batch_max);
        if self.kp_timer.is_none_or(|t| t != due) {
            self.kp_timer = Some(due);
            self.queue.push(due, Event::KarpenterBatch);
        }
    }

    /// The batch timer fired: provision if the batch is really closed now.
    pub(super) fn on_karpenter_batch(&mut self) -> Result<(), RunError> {
        if self.kp_timer != Some(self.now) {
            return Ok(()); // superseded
        }
        self.kp_timer = None;
        self.kp_batch_start = None;
        if self.api_up {
            self.karpenter_provision();
        }
        Ok(())
    }

    fn pool_usage(&self, group: usize) -> Resources {
        self.nodes
            .iter()
            .filter(|n| n.group == group && n.state != NodeState::Terminated)
            .fold(Resources::default(), |acc, n| acc + n.allocatable)
    }

    fn karpenter_provision(&mut self) {
        let sc = self.sc;
        let Some(k) = sc.karpenter.as_ref() else {
            return;
        };
        let keys = self.pods_needing_capacity();
        if keys.is_empty() {
            return;
        }
        // Each pod goes to the highest-weight pool whose nodes it could run on.
        let mut by_pool: Vec<Vec<Resources>> = vec![Vec::new(); k.node_pools.len()];
        let templates: Vec<Option<crate::cluster::node::Node>> = k
            .node_pools
            .iter()
            .map(|p| {
                let o = p.offerings.last()?; // the largest, most permissive on resources
                let mut t = self.make_node_as(
                    p.group,
                    self.ca_next_zone(p.group),
                    "template".into(),
                    &o.instance_type,
                    o.capacity_type,
                )?;
                t.allocatable = Resources {
                    cpu_m: u64::MAX / 4,
                    memory_mib: u64::MAX / 4,
                    gpus: u32::MAX / 4,
                    pods: u32::MAX / 4,
                };
                Some(t)
            })
            .collect();
        for key in &keys {
            let Some(p) = self.pods.get(*key) else {
                continue;
            };
            let filters = NodeLocalFilters::new(&sc.scheduler, &p.spec);
            for (i, t) in templates.iter().enumerate() {
                if let Some(t) = t
                    && filters.passes(t)
                {
                    let mut r = p.spec.requests;
                    r.pods = 1;
                    by_pool[i].push(r);
                    break;
                }
            }
        }
        for (i, pool) in k.node_pools.iter().enumerate() {
            if by_pool[i].is_empty() {
                continue;
            }
            let fits = vec![true; by_pool[i].len()];
            let mut used = self.pool_usage(pool.group);
            for claim in pack(pool, &by_pool[i], &fits) {
                let o = &pool.offerings[claim.offering];
                let alloc = o.free;
                if pool
                    .cpu_limit_m
                    .is_some_and(|l| used.cpu_m + alloc.cpu_m > l)
                    || pool
                        .memory_limit_mib
                        .is_some_and(|l| used.memory_mib + alloc.memory_mib > l)
                {
                    continue;
                }
                let zone = self.ca_next_zone(pool.group);
                if self
                    .launch_node_as(pool.group, zone, &o.instance_type.clone(), o.capacity_type)
                    .is_some()
                {
                    used += alloc;
                    self.kp_launches += 1;
                }
            }
        }
    }

    /// Karpenter's disruption loop.
    pub(super) fn on_karpenter_disrupt(&mut self) -> Result<(), RunError> {
        let sc = self.sc;
        let Some(k) = sc.karpenter.as_ref() else {
            return Ok(());
        };
        let pools = if self.api_up { &k.node_pools[..] } else { &[] };
        for pool in pools {
            let live: Vec<NodeId> = (0..self.nodes.len() as u32)
                .map(NodeId)
                .filter(|id| {
                    let n = &self.nodes[id.0 as usize];
                    n.group == pool.group && n.state != NodeState::Terminated
                })
                .collect();
            let disrupting = live
                .iter()
                .filter(|id| self.nodes[id.0 as usize].draining)
                .count();
            let budget = ((live.len() as f64 * pool.budget_share).ceil() as usize)
                .saturating_sub(disrupting);
            if budget == 0 {
                continue;
            }
            let mut acted = 0;
            let ready: Vec<NodeId> = live
                .iter()
                .copied()
                .filter(|id| {
                    let n = &self.nodes[id.0 as usize];
                    n.state == NodeState::Ready && !n.draining && !n.unschedulable
                })
                .collect();
            // Expiration.
            for &id in &ready {
                if acted >= budget {
                    break;
                }
                if let Some(exp) = pool.expire_after
                    && self.now.since(self.nodes[id.0 as usize].launch) >= exp
                {
                    self.kp_disruptions += 1;
                    self.drain_node(id, SimDuration::from_secs(600), "Expired")?;
                    acted += 1;
                }
            }
            // A node is a consolidation candidate once its pods have not changed for
            // consolidateAfter and no replacement is already on its way for it.
            let replaced: Vec<NodeId> = self
                .nodes
                .iter()
                .flat_map(|n| n.replaces.iter().copied())
                .collect();
            let mut candidates: Vec<NodeId> = Vec::new();
            for &id in &ready {
                let n = &self.nodes[id.0 as usize];
                let eligible = !n.draining
                    && self.now.since(n.last_change) >= pool.consolidate_after
                    && !replaced.contains(&id);
                let slot = &mut self.kp_candidate_since[id.0 as usize];
                if !eligible {
                    *slot = None;
                    continue;
                }
                let since = *slot.get_or_insert(self.now);
                if self.now.since(since) >= CONSOLIDATION_VALIDATION {
                    candidates.push(id);
                }
            }
            // Empty nodes.
            for &id in &candidates {
                if acted >= budget {
                    break;
                }
                if self.nodes[id.0 as usize].pods.is_empty() {
                    self.kp_disruptions += 1;
                    self.drain_node(id, SimDuration::ZERO, "Consolidation")?;
                    acted += 1;
                }
            }
            if pool.consolidation != ConsolidationPolicy::WhenEmptyOrUnderutilized
                || acted >= budget
            {
                continue;
            }
            if self.karpenter_multi_node(pool, &candidates, budget - acted)? {
                continue;
            }
            // Single-node consolidation, cheapest saving first: delete if the pods fit on the
            // other nodes, else replace with a cheaper offering that holds them.
            let mut order: Vec<NodeId> = candidates
                .into_iter()
                .filter(|id| !self.nodes[id.0 as usize].draining)
                .collect();
            order.sort_by(|a, b| {
                let (na, nb) = (&self.nodes[a.0 as usize], &self.nodes[b.0 as usize]);
                nb.price_per_hour
                    .total_cmp(&na.price_per_hour)
                    .then(a.cmp(b))
            });
            // Every search starts from the same nodes (a failed one takes its reservations
            // back, and a success ends the loop): one memo serves them all.
            let mut memo = FitMemo::default();
            for id in order {
                let mut reserved = Vec::new();
                let budgets = crate::scheduler::preemption::pdb_budgets(&self.sc.pdbs, &self.pods);
                if self.ca_pods_movable(true, id, &budgets, &mut reserved, &mut memo) {
                    for (t, r, e) in reserved {
                        self.nodes[t.0 as usize].remove_requests(r, e);
                    }
                    self.kp_disruptions += 1;
                    self.drain_node(id, SimDuration::from_secs(600), "Consolidation")?;
                    break;
                }
                let n = &self.nodes[id.0 as usize];
                let need = n.requested.saturating_sub(&self.daemonset_requests());
                if let Some(o) = cheapest_fit(pool, &need).map(|i| &pool.offerings[i])
                    && o.price < n.price_per_hour - 1e-9
                {
                    let zone = n.zone;
                    let (t, c) = (o.instance_type.clone(), o.capacity_type);
                    if let Some(new) = self.launch_node_as(pool.group, zone, &t, c) {
                        self.nodes[new.0 as usize].replaces = vec![id];
                        self.kp_disruptions += 1;
                    }
                    break;
                }
            }
        }
        let next = self.now + DISRUPTION_POLL;
        if next <= self.horizon {
            self.queue.push(next, Event::KarpenterDisrupt);
        }
        Ok(())
    }

    /// A replacement node became Ready: drain the nodes it replaces.
    pub(super) fn karpenter_node_ready(&mut self, id: NodeId) -> Result<(), RunError> {
        for old in std::mem::take(&mut self.nodes[id.0 as usize].replaces) {
            if self.nodes[old.0 as usize].state == NodeState::Ready
                && !self.nodes[old.0 as usize].draining
            {
                self.drain_node(old, SimDuration::from_secs(600), "Consolidation")?;
            }
        }
        Ok(())
    }

    /// Multi-node consolidation: the largest set of the first candidates (fewest pods, cheapest
    /// first) whose pods fit on the other nodes plus at most one new node cheaper than the set.
    /// Returns true if it acted.
    fn karpenter_multi_node(
        &mut self,
        pool: &crate::autoscaler::karpenter::NodePoolSpec,
        cands: &[NodeId],
        budget: usize,
    ) -> Result<bool, RunError> {
        let mut order: Vec<NodeId> = cands
            .iter()
            .copied()
            .filter(|id| !self.nodes[id.0 as usize].draining)
            .collect();
        order.sort_by_key(|id| (self.nodes[id.0 as usize].pods.len(), id.0));
        let max_k = order.len().min(budget).min(10);
        for k in (2..=max_k).rev() {
            let set = &order[..k];
            // Place the set's pods first-fit on the other Ready nodes, reserving as we go.
            let mut reserved: Vec<(NodeId, Resources, u64)> = Vec::new();
            let mut leftover = Resources::default();
            // Per pod shape, where its last search ended (nodes only fill up during a trial):
            // searches that scanned every node for each of a set's pods took most of a
            // 5,000-node run.
            let mut resume = FxHashMap::default();
            for &id in set {
                for key in self.nodes[id.0 as usize].pods.clone() {
                    let Some(p) = self.pods.get(key) else {
                        continue;
                    };
                    if p.terminating {
                        continue;
                    }
                    let shape = self.fit_key(key);
                    let Some(p) = self.pods.get(key) else {
                        continue;
                    };
                    let filters = NodeLocalFilters::new(&self.sc.scheduler, &p.spec);
                    let nodes = &self.nodes;
                    let target = resumed_first_fit(&mut resume, shape, &self.order, |t| {
                        !set.contains(&t)
                            && !nodes[t.0 as usize].unschedulable
                            && filters.passes(&nodes[t.0 as usize])
                    });
                    match target {
                        Some(at) => {
                            let t = self.order[at];
                            self.nodes[t.0 as usize]
                                .add_requests(p.spec.requests, p.spec.ephemeral_mib);
                            reserved.push((t, p.spec.requests, p.spec.ephemeral_mib));
                        }
                        None => leftover += p.spec.requests,
                    }
                }
            }
            for (t, r, e) in reserved {
                self.nodes[t.0 as usize].remove_requests(r, e);
            }
            let set_price: f64 = set
                .iter()
                .map(|id| self.nodes[id.0 as usize].price_per_hour)
                .sum();
            if leftover.pods == 0 {
                for &id in set {
                    self.kp_disruptions += 1;
                    self.drain_node(id, SimDuration::from_secs(600), "Consolidation")?;
                }
                return Ok(true);
            }
            if let Some(o) = cheapest_fit(pool, &leftover).map(|i| &pool.offerings[i])
                && o.price < set_price - 1e-9
            {
                let zone = self.nodes[set[0].0 as usize].zone;
                let (t, c) = (o.instance_type.clone(), o.capacity_type);
                if let Some(new) = self.launch_node_as(pool.group, zone, &t, c) {
                    self.nodes[new.0 as usize].replaces = set.to_vec();
                    self.kp_disruptions += k as u64;
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// What the DaemonSets request on every node.
    fn daemonset_requests(&self) -> Resources {
        self.sc
            .daemon_sets
            .iter()
            .fold(Resources::default(), |acc, d| {
                acc + Resources::pod(d.cpu_m, d.memory_mib, 0)
            })
    }

    /// Time of the next disruption poll, for the first one.
    pub(super) fn karpenter_start(&mut self) {
        if self.sc.karpenter.is_some() {
            self.queue
                .push(SimTime::ZERO + DISRUPTION_POLL, Event::KarpenterDisrupt);
        }
    }
}
