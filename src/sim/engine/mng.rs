//! Managed node group rolling updates, phase by phase as EKS runs them (EKS_FACTS "Managed node
//! groups"): setup (the new version for new nodes); scale up by max(2 × AZs, maxUnavailable) and
//! wait for a Ready new node in every AZ, old nodes cordoned; upgrade, draining up to
//! maxUnavailable old nodes at a time (PDBs respected; pods not evicted within 15 minutes fail
//! the update with PodEvictionFailure unless forced), terminating each 60 s after it is empty
//! while the ASG replaces it with a new node; scale down by the surge. MINIMAL skips the surge.

use super::{Engine, Event, Removal, RunError};
use crate::cluster::node::{NodeId, NodeState};
use crate::sim::time::{SimDuration, SimTime};

/// How long EKS keeps trying to evict a node's pods before PodEvictionFailure.
pub const EVICTION_TIMEOUT: SimDuration = SimDuration::from_secs(900);
/// Wait between a node's last eviction and its termination.
pub const TERMINATION_WAIT: SimDuration = SimDuration::from_secs(60);
/// How often the update controller re-checks its progress.
pub const UPDATE_TICK: SimDuration = SimDuration::from_secs(10);

/// Where an update is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    WaitNewReady,
    Upgrading,
    Done,
}

/// One rolling update in progress or finished.
#[derive(Clone, Debug)]
pub(super) struct Update {
    group: usize,
    version: String,
    batch: u32,
    surge: u32,
    force: bool,
    phase: Phase,
    pub(super) started: SimTime,
    pub(super) ended: Option<SimTime>,
    pub(super) outcome: String,
    pub(super) pods_disrupted: u64,
    /// Old nodes not yet being drained, oldest first.
    old: Vec<NodeId>,
    /// (node, drain start, empty since).
    draining: Vec<(NodeId, SimTime, Option<SimTime>)>,
    /// A self-managed replacement script: waits for its new batch, not for every AZ.
    scripted: bool,
}

impl Update {
    /// (group, version) of the update.
    pub(super) fn what(&self) -> (usize, &str) {
        (self.group, &self.version)
    }
}

impl Engine<'_> {
    pub(super) fn start_update(
        &mut self,
        group: usize,
        version: &str,
        batch_cfg: &crate::scenario::UpdateConfig,
        force: bool,
        scripted: bool,
    ) {
        let live: Vec<NodeId> = (0..self.nodes.len() as u32)
            .map(NodeId)
            .filter(|id| {
                let n = &self.nodes[id.0 as usize];
                n.group == group && n.state != NodeState::Terminated && !n.draining
            })
            .collect();
        self.group_ami[group] = version.to_string();
        let old: Vec<NodeId> = live
            .iter()
            .copied()
            .filter(|id| self.nodes[id.0 as usize].ami_version != version)
            .collect();
        let batch = batch_cfg.batch(live.len() as u32);
        let zones = self.sc.cluster.node_groups[group].zones.len() as u32;
        // A user's replacement script launches one batch; EKS surges by max(2 × AZs, batch).
        let surge = if batch_cfg.minimal {
            0
        } else if scripted {
            batch
        } else {
            (2 * zones).max(batch)
        };
        for _ in 0..surge {
            let z = self.ca_next_zone(group);
            self.launch_node(group, z);
        }
        for &id in &old {
            self.nodes[id.0 as usize].cordon();
        }
        let idx = self.updates.len();
        self.updates.push(Update {
            group,
            version: version.to_string(),
            batch,
            surge,
            force,
            phase: if batch_cfg.minimal {
                Phase::Upgrading
            } else {
                Phase::WaitNewReady
            },
            started: self.now,
            ended: None,
            outcome: "InProgress".into(),
            pods_disrupted: 0,
            scripted,
            old,
            draining: Vec::new(),
        });
        self.record_group_status(group, "UPDATING", "");
        self.queue
            .push(self.now, Event::UpdateTick { update: idx as u32 });
    }

    /// Evicts what PDBs allow from a node; returns how many pods it evicted.
    fn evict_allowed(&mut self, id: NodeId, ignore_pdbs: bool) -> Result<u64, RunError> {
        let mut budgets = crate::scheduler::preemption::pdb_budgets(&self.sc.pdbs, &self.pods);
        let keys = self.nodes[id.0 as usize].pods.clone();
        let mut evicted = 0;
        for k in keys {
            let Some(p) = self.pods.get(k) else { continue };
            if p.terminating {
                continue;
            }
            let matching: Vec<usize> = self
                .sc
                .pdbs
                .iter()
                .enumerate()
                .filter(|(_, pdb)| {
                    pdb.namespace == p.spec.namespace && pdb.selector.matches(&p.spec.labels)
                })
                .map(|(i, _)| i)
                .collect();
            if !ignore_pdbs && matching.iter().any(|&i| budgets[i] == 0) {
                continue;
            }
            for i in matching {
                budgets[i] = budgets[i].saturating_sub(1);
            }
            self.remove_pod_with_grace(k, Removal::Drained, None)?;
            evicted += 1;
        }
        Ok(evicted)
    }

    pub(super) fn on_update_tick(&mut self, idx: usize) -> Result<(), RunError> {
        let mut u = self.updates[idx].clone();
        let group = u.group;
        if u.phase == Phase::WaitNewReady {
            let zones = self.sc.cluster.node_groups[group].zones.clone();
            let ready_in = |z: usize| {
                self.nodes.iter().any(|n| {
                    n.group == group
                        && n.zone == z
                        && n.state == NodeState::Ready
                        && n.ami_version == u.version
                })
            };
            let new_ready = self
                .nodes
                .iter()
                .filter(|n| {
                    n.group == group && n.state == NodeState::Ready && n.ami_version == u.version
                })
                .count() as u32;
            let ready = if u.scripted {
                new_ready >= u.surge
            } else {
                zones.iter().all(|&z| ready_in(z))
            };
            if ready {
                u.phase = Phase::Upgrading;
            }
        }
        if u.phase == Phase::Upgrading {
            // Progress the nodes being drained.
            let mut still = Vec::new();
            for (id, since, empty) in u.draining.clone() {
                u.pods_disrupted += self.evict_allowed(id, false)?;
                let live_pods = self.nodes[id.0 as usize]
                    .pods
                    .iter()
                    .filter(|k| self.pods.get(**k).is_some())
                    .count();
                if live_pods == 0 {
                    let empty = empty.unwrap_or(self.now);
                    if self.now.since(empty) >= TERMINATION_WAIT {
                        let z = self.nodes[id.0 as usize].zone;
                        self.terminate_node(id, "NodeGroupUpdate");
                        // The ASG keeps its desired count: a node of the new version replaces it.
                        self.group_size[group] += 1;
                        self.launch_node_replacement(group, z);
                    } else {
                        still.push((id, since, Some(empty)));
                    }
                } else if self.now.since(since) >= EVICTION_TIMEOUT {
                    if u.force {
                        u.pods_disrupted += self.evict_allowed(id, true)?;
                        still.push((id, since, None));
                    } else {
                        u.phase = Phase::Done;
                        u.ended = Some(self.now);
                        u.outcome = "Failed: PodEvictionFailure".into();
                        self.record_group_status(group, "ACTIVE", "PodEvictionFailure");
                        self.updates[idx] = u;
                        return Ok(());
                    }
                } else {
                    still.push((id, since, None));
                }
            }
            u.draining = still;
            // Start new drains up to maxUnavailable.
            while (u.draining.len() as u32) < u.batch && !u.old.is_empty() {
                let id = u.old.remove(0);
                if self.nodes[id.0 as usize].state == NodeState::Terminated {
                    continue;
                }
                self.nodes[id.0 as usize].draining = true;
                self.group_size[group] = self.group_size[group].saturating_sub(1);
                u.pods_disrupted += self.evict_allowed(id, false)?;
                u.draining.push((id, self.now, None));
            }
            if u.old.is_empty() && u.draining.is_empty() {
                // Scale down by the surge: the emptiest new nodes go.
                let mut new: Vec<NodeId> = (0..self.nodes.len() as u32)
                    .map(NodeId)
                    .filter(|id| {
                        let n = &self.nodes[id.0 as usize];
                        n.group == group && n.state != NodeState::Terminated && !n.draining
                    })
                    .collect();
                new.sort_by_key(|id| {
                    (
                        self.nodes[id.0 as usize].pods.len(),
                        std::cmp::Reverse(id.0),
                    )
                });
                for id in new.into_iter().take(u.surge as usize) {
                    u.pods_disrupted += self.nodes[id.0 as usize].pods.len() as u64;
                    self.drain_node(id, SimDuration::from_secs(600), "NodeGroupUpdate")?;
                }
                u.phase = Phase::Done;
                u.ended = Some(self.now);
                u.outcome = "Successful".into();
                self.record_group_status(group, "ACTIVE", "");
            }
        }
        let done = u.phase == Phase::Done;
        self.updates[idx] = u;
        if !done && self.now + UPDATE_TICK <= self.horizon {
            self.queue.push(
                self.now + UPDATE_TICK,
                Event::UpdateTick { update: idx as u32 },
            );
        }
        Ok(())
    }

    /// Launches a replacement in the group, in the zone of the node it replaces.
    fn launch_node_replacement(&mut self, group: usize, zone: usize) {
        self.group_size[group] = self.group_size[group].saturating_sub(1);
        self.launch_node(group, zone);
    }

    /// A row of nodegroups.csv: the group's status, desired size and Ready nodes now.
    pub(super) fn record_group_status(&mut self, group: usize, status: &str, issue: &str) {
        let ready = self
            .nodes
            .iter()
            .filter(|n| n.group == group && n.state == NodeState::Ready)
            .count();
        let row = [
            crate::sim::time::fmt_secs(self.now.0),
            self.sc.cluster.node_groups[group].name.clone(),
            status.to_string(),
            self.group_size[group].to_string(),
            ready.to_string(),
            issue.to_string(),
        ];
        self.group_rows.push(row);
    }
}
