//! The Cluster Autoscaler's loop inside the engine: every scan-interval it gives up on nodes that
//! did not become Ready in time, scales up the group the expander picks for the pods that fit
//! nowhere (after counting what the nodes still launching will take), or, when nothing needed
//! adding, removes nodes that stayed under the utilisation threshold for scale-down-unneeded-time
//! and whose pods all fit elsewhere (CA FAQ "How does scale-up work?", "How does scale-down
//! work?").

use rustc_hash::FxHashMap;

use super::{CostPart, Engine, Event, Removal, RunError};
use crate::autoscaler::ClusterAutoscalerSpec;
use crate::autoscaler::cluster_autoscaler::binpack;
use crate::autoscaler::expander::ScaleUpOption;
use crate::cluster::node::{NodeId, NodeState};
use crate::cluster::pod::{CapacityKind, PodKey, PodPhase};
use crate::cluster::resources::Resources;
use crate::scheduler::NodeLocalFilters;
use crate::sim::time::SimDuration;
use crate::workload::{OwnerKind, PodSpec};

/// CA's initial node-group backoff after a failed scale-up (`--initial-node-group-backoff-duration`).
pub const NODE_GROUP_BACKOFF: SimDuration = SimDuration::from_secs(300);

/// What a first-fit search without pod-dependent filters can tell apart: two pods with the same
/// key pass and fail the same nodes. Pods without a nodeSelector, tolerations or required node
/// affinity differ to the filters only in their requests, so the pods of many jobs share one
/// search; the others are keyed by their equivalence class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum FitKey {
    /// Requests and ephemeral storage of a pod with no placement constraint.
    Requests(Resources, u64),
    /// The pod's class ([`crate::scheduler::queue::PodClasses`]).
    Class(u32),
}

/// What first-fit searches for pods to move learned, for the next searches of a scan, while
/// reservations only grow (the caller clears it when anything else changes the nodes).
#[derive(Debug, Default)]
pub(super) struct FitMemo {
    /// Per [`FitKey`]: where the search may resume. A node that failed a pod fails every later
    /// one of its key, so the search restarts at the last fit (or at a source node skipped
    /// before it, which was never tried). Undoing reservations frees room on their nodes, so a
    /// node that cannot be emptied moves every entry back to the first of them.
    resume: FxHashMap<FitKey, usize>,
    /// Per [`FitKey`]: a search found no node for it with no reservation of its own call yet,
    /// passing over only the source node kept here, so only that node may ever take such a
    /// pod in the scan. In a full cluster every candidate's first pod fails: the next
    /// candidates check one node instead of scanning thousands.
    nowhere: FxHashMap<FitKey, NodeId>,
}

/// The position of the first of `nodes` that is `usable` for a pod of `key`, searched from
/// where the key's last search ended, and recorded for the next one. While reservations only
/// grow, a node that failed a pod fails every later pod of its key, and a key that found no
/// node finds none again (`None` in `resume`), so such searches fail at once. Debug builds
/// check the answer against a search from the first node.
pub(super) fn resumed_first_fit(
    resume: &mut FxHashMap<FitKey, Option<usize>>,
    key: FitKey,
    nodes: &[NodeId],
    usable: impl Fn(NodeId) -> bool,
) -> Option<usize> {
    let start = match resume.get(&key) {
        Some(None) => return None,
        Some(Some(at)) => *at,
        None => 0,
    };
    let found = nodes[start..]
        .iter()
        .position(|&t| usable(t))
        .map(|j| start + j);
    debug_assert_eq!(
        found,
        nodes.iter().position(|&t| usable(t)),
        "a resumed first fit"
    );
    resume.insert(key, found);
    found
}

impl FitMemo {
    /// Forgets everything, for when the nodes change other than by reservations.
    pub(super) fn clear(&mut self) {
        self.resume.clear();
        self.nowhere.clear();
    }
}

impl Engine<'_> {
    /// One Cluster Autoscaler loop.
    pub(super) fn on_autoscaler_scan(&mut self) -> Result<(), RunError> {
        let sc = self.sc;
        let Some(ca) = sc.autoscaler.as_ref() else {
            return Ok(());
        };
        if !self.api_up {
            // The Cluster Autoscaler cannot act without the API.
            if self.now + ca.scan_interval <= self.horizon {
                self.queue
                    .push(self.now + ca.scan_interval, Event::AutoscalerScan);
            }
            return Ok(());
        }
        self.ca_give_up_slow_nodes(ca);
        let scaled_up = self.ca_scale_up(ca);
        if !scaled_up && ca.scale_down_enabled {
            self.ca_scale_down(ca)?;
        }
        let next = self.now + ca.scan_interval;
        if next <= self.horizon {
            self.queue.push(next, Event::AutoscalerScan);
        }
        Ok(())
    }

    /// Nodes still not Ready after max-node-provision-time are removed and their group backs off.
    fn ca_give_up_slow_nodes(&mut self, ca: &ClusterAutoscalerSpec) {
        let late: Vec<NodeId> = self
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| {
                n.state == NodeState::Launching
                    && self.now.since(n.launch) >= ca.max_node_provision_time
            })
            .map(|(i, _)| NodeId(i as u32))
            .collect();
        for id in late {
            let g = self.nodes[id.0 as usize].group;
            self.group_backoff_until[g] = self.now + NODE_GROUP_BACKOFF;
            self.ca_last_failure = Some(self.now);
            self.terminate_node(id, "NodeNotReadyInTime");
        }
    }

    /// The key first-fit searches share their resume points by (see [`FitKey`]).
    pub(super) fn fit_key(&mut self, k: PodKey) -> FitKey {
        let Some(p) = self.pods.get(k) else {
            return FitKey::Class(u32::MAX);
        };
        let s = &p.spec;
        if s.filtered_by_requests_only() {
            FitKey::Requests(s.requests, s.ephemeral_mib)
        } else {
            FitKey::Class(self.pod_class(k))
        }
    }

    /// Pods the Cluster Autoscaler tries to help: unbound EC2 pods that are not being deleted,
    /// highest priority and oldest first.
    pub(super) fn ca_pending(&mut self) -> Vec<PodKey> {
        let pods = &self.pods;
        let mut out = Vec::new();
        // Every pod a cycle failed was noted, in this order; one no longer pending never will
        // be again, so it is dropped for good.
        self.unschedulable_seen.retain(|&(_, _, k)| {
            let keep = pods.get(k).is_some_and(|p| {
                // Only pods the scheduler has already found unschedulable (PodScheduled=False).
                p.phase == PodPhase::Pending
                    && p.node.is_none()
                    && !p.terminating
                    && p.attempts > 0
                    && p.capacity == Some(CapacityKind::Ec2)
            });
            if keep {
                out.push(k);
            }
            keep
        });
        out
    }

    /// Pending pods that fit neither on a schedulable Ready node as it is now (CA's "filter out
    /// schedulable" step) nor on a node still launching: the pods new capacity is for. Each pod
    /// goes first-fit onto those nodes (in id order) with its room reserved; reservations are
    /// undone at the end.
    ///
    /// Exactly the first fit, found faster: during the scan nodes only fill up, so a node that
    /// failed a pod fails every later pod of the same [`FitKey`]. The search for a key resumes
    /// where its last pod landed, and a key that fitted nowhere is skipped
    /// (a backlog of 40,000 pods of a few shapes over 2,000 nodes costs a few thousand filter
    /// calls, not 80 million).
    pub(super) fn pods_needing_capacity(&mut self) -> Vec<PodKey> {
        let pending = self.ca_pending();
        if pending.is_empty() {
            return pending;
        }
        let profile = &self.sc.scheduler;
        let candidates: Vec<NodeId> = self
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| {
                n.state == NodeState::Launching || (n.state == NodeState::Ready && !n.unschedulable)
            })
            .map(|(i, _)| NodeId(i as u32))
            .collect();
        let mut reserved: Vec<(NodeId, Resources, u64)> = Vec::new();
        // Looked up and written, never iterated: a hash map.
        let mut resume = FxHashMap::default();
        let mut still = Vec::new();
        // Pending pods' records lie all over the pod table: fetched ahead of their turn.
        for (i, &k) in pending.iter().enumerate() {
            self.pods.prefetch_walk(&pending, i);
            let key = self.fit_key(k);
            let Some(p) = self.pods.get(k) else { continue };
            let filters = NodeLocalFilters::new(profile, &p.spec);
            let nodes = &self.nodes;
            let found = resumed_first_fit(&mut resume, key, &candidates, |id| {
                filters.passes(&nodes[id.0 as usize])
            });
            match found {
                Some(i) => {
                    let id = candidates[i];
                    self.nodes[id.0 as usize].add_requests(p.spec.requests, p.spec.ephemeral_mib);
                    reserved.push((id, p.spec.requests, p.spec.ephemeral_mib));
                }
                None => still.push(k),
            }
        }
        for (id, r, e) in reserved {
            self.nodes[id.0 as usize].remove_requests(r, e);
        }
        still
    }

    fn ca_scale_up(&mut self, ca: &ClusterAutoscalerSpec) -> bool {
        let keys = self.pods_needing_capacity();
        if keys.is_empty() {
            return false;
        }
        let profile = &self.sc.scheduler;
        let still: Vec<&PodSpec> = keys
            .iter()
            .filter_map(|k| self.pods.get(*k))
            .map(|p| &p.spec)
            .collect();
        let mut options = Vec::new();
        for (g, spec) in self.sc.cluster.node_groups.iter().enumerate() {
            let size = self.group_size[g];
            if size >= spec.max_size || self.group_backoff_until[g] > self.now {
                continue;
            }
            let zone = self.ca_next_zone(g);
            let Some(template) = self.make_node(g, zone, format!("{}-template", spec.name)) else {
                continue;
            };
            let est = binpack(profile, &template, &still, spec.max_size - size);
            if est.nodes == 0 {
                continue;
            }
            let (mut cpu, mut mem) = (0, 0);
            for &i in &est.placed {
                cpu += still[i].requests.cpu_m;
                mem += still[i].requests.memory_mib;
            }
            let free = template.allocatable.saturating_sub(&template.requested);
            options.push(ScaleUpOption {
                group: g,
                group_name: spec.name.clone(),
                nodes: est.nodes,
                pods: est.placed.len() as u32,
                cpu_capacity_m: free.cpu_m * u64::from(est.nodes),
                memory_capacity_mib: free.memory_mib * u64::from(est.nodes),
                cpu_requested_m: cpu,
                memory_requested_mib: mem,
                price_per_hour: template.price_per_hour * f64::from(est.nodes),
            });
        }
        let Some(i) = ca.expander.choose(&options, &mut self.ca_rng) else {
            return false;
        };
        let choice = options[i].clone();
        for _ in 0..choice.nodes {
            let zone = self.ca_next_zone(choice.group);
            self.launch_node(choice.group, zone);
        }
        self.ca_scale_ups += 1;
        self.ca_last_scale_up = Some(self.now);
        true
    }

    /// The zone an ASG balancing over its AZs launches in next: the one with the fewest live
    /// nodes of the group, the first such in the group's list.
    pub(super) fn ca_next_zone(&self, group: usize) -> usize {
        let zones = &self.sc.cluster.node_groups[group].zones;
        let count = |z: usize| {
            self.nodes
                .iter()
                .filter(|n| n.group == group && n.zone == z && n.state != NodeState::Terminated)
                .count()
        };
        zones
            .iter()
            .copied()
            .filter(|z| !self.zone_down[*z])
            .min_by_key(|&z| count(z))
            .or(zones.first().copied())
            .unwrap_or(0)
    }

    /// Could every pod on `id` run elsewhere? Pods are placed first-fit on other schedulable
    /// Ready nodes, with the room they take reserved; `reserved` carries reservations across the
    /// nodes removed in the same scan.
    ///
    /// `memo` carries what the scan's searches learned ([`FitMemo`]); the caller clears it
    /// whenever the nodes change other than by reservations (a drain).
    ///
    /// `budgets` are the PodDisruptionBudgets' allowed disruptions
    /// ([`crate::scheduler::preemption::pdb_budgets`]); they change only when pods do, so a scan
    /// computes them once and again after each drain.
    pub(super) fn ca_pods_movable(
        &mut self,
        allow_unreplicated: bool,
        id: NodeId,
        budgets: &[u32],
        reserved: &mut Vec<(NodeId, Resources, u64)>,
        memo: &mut FitMemo,
    ) -> bool {
        // The node's pod keys, copied into a buffer kept across calls (other nodes change
        // below, so the list cannot stay borrowed).
        let mut keys = std::mem::take(&mut self.ca_keys);
        keys.clear();
        keys.extend_from_slice(&self.nodes[id.0 as usize].pods);
        let mut used = budgets.to_vec();
        // This node's reservations go straight into `reserved`, after this mark; they are
        // taken back if the node cannot be emptied.
        let mark = reserved.len();
        let profile = &self.sc.scheduler;
        let mut ok = true;
        // The last search's key and resume position, written back to `resume` when the key
        // changes: a node's pods mostly come from one job, and this spares the map a lookup and
        // an insert per pod.
        let mut last: Option<(FitKey, usize)> = None;
        // The earliest position this call reserved room at.
        let mut first_reserved = usize::MAX;
        // Each pod's record is fetched into the cache ahead of its turn: a node's pods were
        // bound over hours, their records lie all over the pod table, and every first touch
        // would wait on memory.
        for (i, &k) in keys.iter().enumerate() {
            self.pods.prefetch_walk(&keys, i);
            let Some(p) = self.pods.get(k) else { continue };
            if p.terminating {
                continue;
            }
            if p.controller.is_none() && p.spec.owner == OwnerKind::Bare && !allow_unreplicated {
                ok = false;
                break;
            }
            for (i, pdb) in self.sc.pdbs.iter().enumerate() {
                if pdb.namespace == p.spec.namespace && pdb.selector.matches(&p.spec.labels) {
                    if used[i] == 0 {
                        ok = false;
                    } else {
                        used[i] -= 1;
                    }
                }
            }
            if !ok {
                break;
            }
            let key = self.fit_key(k);
            let Some(p) = self.pods.get(k) else { continue };
            let start = match last {
                Some((lk, at)) if lk == key => at,
                _ => {
                    if let Some((lk, at)) = last.take() {
                        memo.resume.insert(lk, at);
                    }
                    memo.resume.get(&key).copied().unwrap_or(0)
                }
            }
            .min(self.order.len());
            let filters = NodeLocalFilters::new(profile, &p.spec);
            let usable = |t: NodeId| {
                t != id
                    && !self.nodes[t.0 as usize].unschedulable
                    && filters.passes(&self.nodes[t.0 as usize])
            };
            let found = if let Some(&only) = memo.nowhere.get(&key) {
                // Only `only` may take the pod: where this search would meet it, if it can.
                // The search resumes from `start` again next time, which is never too late.
                self.order[start..]
                    .iter()
                    .position(|&t| t == only)
                    .filter(|_| usable(only))
                    .map(|j| (start + j, only, start))
            } else {
                // Where the source node was passed over (skipped, not tried) in this search.
                let mut skipped_source = None;
                let found = self.order[start..]
                    .iter()
                    .enumerate()
                    .find(|&(j, &t)| {
                        if t == id {
                            skipped_source = Some(start + j);
                        }
                        usable(t)
                    })
                    .map(|(j, &t)| (start + j, t));
                if found.is_none() && reserved.len() == mark {
                    memo.nowhere.insert(key, id);
                }
                // The next search must try the source node, which this one never did.
                found.map(|(j, t)| (j, t, skipped_source.unwrap_or(j)))
            };
            // Debug builds: the memo changes where searches start, never what they find.
            debug_assert_eq!(
                found.map(|(j, t, _)| (j, t)),
                self.order
                    .iter()
                    .position(|&t| usable(t))
                    .map(|j| (j, self.order[j])),
                "first fit for a pod of {id:?}"
            );
            match found {
                Some((j, t, resume_at)) => {
                    first_reserved = first_reserved.min(j);
                    self.nodes[t.0 as usize].add_requests(p.spec.requests, p.spec.ephemeral_mib);
                    reserved.push((t, p.spec.requests, p.spec.ephemeral_mib));
                    last = Some((key, resume_at));
                }
                None => {
                    ok = false;
                    break;
                }
            }
        }
        if ok {
            if let Some((lk, at)) = last {
                memo.resume.insert(lk, at);
            }
        } else {
            for (t, r, e) in reserved.drain(mark..) {
                self.nodes[t.0 as usize].remove_requests(r, e);
            }
            // Only the nodes whose reservations were taken back gained room: searches resume
            // no later than the first of them (each entry on its own: the order of the map's
            // values does not matter).
            for at in memo.resume.values_mut() {
                *at = (*at).min(first_reserved);
            }
        }
        self.ca_keys = keys;
        ok
    }

    fn ca_scale_down(&mut self, ca: &ClusterAutoscalerSpec) -> Result<(), RunError> {
        if self
            .ca_last_scale_up
            .is_some_and(|t| self.now < t + ca.scale_down_delay_after_add)
            || self
                .ca_last_failure
                .is_some_and(|t| self.now < t + ca.scale_down_delay_after_failure)
        {
            return Ok(());
        }
        let mut reserved: Vec<(NodeId, Resources, u64)> = Vec::new();
        // Looked up and written, never iterated: hash maps.
        let mut memo = FitMemo::default();
        let mut budgets = crate::scheduler::preemption::pdb_budgets(&self.sc.pdbs, &self.pods);
        let mut removed_empty = 0u32;
        let mut removed_busy = 0u32;
        let ready: Vec<NodeId> = self.ready_nodes.clone();
        for id in ready {
            let n = &self.nodes[id.0 as usize];
            if n.unschedulable || n.state != NodeState::Ready {
                continue;
            }
            let share = |req: u64, alloc: u64| {
                if alloc == 0 {
                    1.0
                } else {
                    req as f64 / alloc as f64
                }
            };
            let util = share(n.requested.cpu_m, n.allocatable.cpu_m)
                .max(share(n.requested.memory_mib, n.allocatable.memory_mib));
            let is_empty = n.pods.is_empty();
            let g = n.group;
            // A node whose removal simulation failed lately is not simulated again (CA's
            // RecentlyUnremovable), whatever changed on it since.
            let simulate = util < ca.scale_down_utilization_threshold
                && self.now >= self.ca_unremovable_until[id.0 as usize];
            let movable = simulate
                && self.ca_pods_movable(
                    ca.allow_unreplicated,
                    id,
                    &budgets,
                    &mut reserved,
                    &mut memo,
                );
            if simulate && !movable {
                self.ca_unremovable_until[id.0 as usize] =
                    self.now + ca.unremovable_node_recheck_timeout;
            }
            if !movable {
                self.unneeded_since[id.0 as usize] = None;
                continue;
            }
            let since = *self.unneeded_since[id.0 as usize].get_or_insert(self.now);
            let due = self.now.since(since) >= ca.scale_down_unneeded_time;
            let spec = &self.sc.cluster.node_groups[g];
            let allowed = if is_empty {
                removed_empty < ca.max_empty_bulk_delete
            } else {
                removed_busy == 0
            };
            if due && allowed && self.group_size[g] > spec.min_size {
                if is_empty {
                    removed_empty += 1;
                } else {
                    removed_busy += 1;
                }
                self.ca_drain(ca, id)?;
                // A drain may end the node at once, which changes the node list, and evicts
                // pods, which changes the budgets.
                memo.clear();
                budgets = crate::scheduler::preemption::pdb_budgets(&self.sc.pdbs, &self.pods);
            }
        }
        for (t, r, e) in reserved {
            self.nodes[t.0 as usize].remove_requests(r, e);
        }
        Ok(())
    }

    fn ca_drain(&mut self, ca: &ClusterAutoscalerSpec, id: NodeId) -> Result<(), RunError> {
        self.ca_scale_downs += 1;
        self.drain_node(id, ca.max_graceful_termination, "ScaleDown")
    }

    /// Cordons and drains a node, then terminates it once its pods' grace periods are over
    /// (each capped by `max_grace`).
    pub(super) fn drain_node(
        &mut self,
        id: NodeId,
        max_grace: SimDuration,
        reason: &str,
    ) -> Result<(), RunError> {
        self.nodes[id.0 as usize].termination_reason = Some(reason.to_string());
        let g = self.nodes[id.0 as usize].group;
        self.group_size[g] = self.group_size[g].saturating_sub(1);
        self.nodes[id.0 as usize].cordon();
        self.nodes[id.0 as usize].draining = true;
        self.unneeded_since[id.0 as usize] = None;
        let keys = self.nodes[id.0 as usize].pods.clone();
        let mut wait = SimDuration::ZERO;
        for k in keys {
            let grace = self
                .pods
                .get(k)
                .and_then(|p| p.controller())
                .map(|c| self.controllers[c].spec.grace)
                .unwrap_or(SimDuration::from_secs(30))
                .min(max_grace);
            wait = wait.max(grace);
            self.remove_pod_with_grace(k, Removal::Drained, Some(grace))?;
        }
        if wait.0 == 0 {
            self.terminate_node(id, "ScaleDown");
        } else {
            self.queue
                .push(self.now + wait, Event::NodeTerminate { node: id });
        }
        Ok(())
    }

    /// Ends a node: billing stops, it leaves the schedulable set.
    pub(super) fn terminate_node(&mut self, id: NodeId, reason: &str) {
        let now = self.now;
        let n = &mut self.nodes[id.0 as usize];
        if n.state == NodeState::Terminated {
            return;
        }
        let was = n.state;
        n.state = NodeState::Terminated;
        n.terminated = Some(now);
        if n.termination_reason.is_none() {
            n.termination_reason = Some(reason.to_string());
        }
        let (price, g, launch) = (n.price_per_hour, n.group, n.launch);
        if !n.draining {
            // Not already taken off the group's size by a drain.
            self.group_size[g] = self.group_size[g].saturating_sub(1);
        }
        self.cost_meter.change(now.0, CostPart::Ec2, -price);
        self.cost_meter
            .top_up(now.0, CostPart::Ec2, price, launch.0);
        self.leave_schedulable(id, was);
    }

    /// Bookkeeping when node `id` (which was `was`) stops being Ready or launching: it leaves
    /// the scheduler's node list and the Ready totals, or the launching count.
    pub(super) fn leave_schedulable(&mut self, id: NodeId, was: NodeState) {
        let n = &self.nodes[id.0 as usize];
        let (alloc, req) = (n.allocatable, n.requested);
        match was {
            NodeState::Launching => self.nodes_launching -= 1,
            NodeState::Ready => {
                self.ready_nodes.retain(|&x| x != id);
                self.topo.set_candidate(id, false);
                self.zone_lists.leave(n.zone, id);
                self.zone_lists.order_into(&mut self.order);
                debug_assert_eq!(
                    self.order,
                    crate::scheduler::node_tree_order(&self.nodes, &self.ready_nodes)
                );
                self.order_epoch += 1;
                self.ready_alloc -= alloc;
                self.ready_req -= req;
                self.update_util();
            }
            NodeState::NotReady | NodeState::Terminated => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Ten m5.large nodes running one Deployment per entry of `pods` (CPU in tenths of a vCPU,
    /// replicas), after its first 3,000 events.
    fn scenario(pods: &[(u32, u32)]) -> crate::scenario::Scenario {
        let mut text = String::from(
            "horizon: 1h\nseed: 3\n\
             cluster:\n  metadata: {name: t, region: us-east-1, version: \"1.30\"}\n  \
             availabilityZones: [us-east-1a, us-east-1b]\n  nodeGroups:\n    - {name: fleet, \
             instanceType: m5.large, minSize: 10, maxSize: 10, desiredCapacity: 10}\nworkload:\n",
        );
        for (i, &(tenths, replicas)) in pods.iter().enumerate() {
            text.push_str(&format!(
                "  - deployment: {{name: d{i}, replicas: {replicas}, cpu: {}m, memory: 64Mi}}\n",
                tenths * 100
            ));
        }
        crate::scenario::load_str(&text, std::path::Path::new("memo.yaml")).unwrap()
    }

    fn engine<'s>(sc: &'s crate::scenario::Scenario, dir: &std::path::Path) -> Engine<'s> {
        std::fs::create_dir_all(dir).unwrap();
        let mut e = Engine::new(sc, 3, dir, &None, None).unwrap();
        e.max_events = Some(3000);
        e.start().unwrap();
        e.run_loop().unwrap();
        e
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// A scan's searches sharing one [`FitMemo`] find what fresh searches find, call after
        /// call: nodes that can be emptied keep their reservations, those that cannot take
        /// theirs back, on nearly full nodes with pods of several sizes. (Debug builds also
        /// check every search against a first fit from the first node.)
        #[test]
        fn a_shared_memo_moves_pods_as_fresh_searches_do(
            pods in proptest::collection::vec((1u32..9, 1u32..14), 2..6),
            sources in proptest::collection::vec(0usize..64, 1..40),
        ) {
            let sc = scenario(&pods);
            let dir = tempfile::tempdir().unwrap();
            let mut shared = engine(&sc, &dir.path().join("a"));
            let mut fresh = engine(&sc, &dir.path().join("b"));
            let mut memo = FitMemo::default();
            let (mut kept, mut kept_fresh) = (Vec::new(), Vec::new());
            for s in sources {
                let id = shared.order[s % shared.order.len()];
                let a = shared.ca_pods_movable(true, id, &[], &mut kept, &mut memo);
                let b = fresh.ca_pods_movable(true, id, &[], &mut kept_fresh, &mut FitMemo::default());
                prop_assert_eq!(a, b, "node {:?}", id);
                prop_assert_eq!(&kept, &kept_fresh);
            }
        }
    }
}
