//! Spot interruptions and scripted events. A Spot node gets the 2-minute interruption notice
//! (EKS_FACTS "EC2 nodes"): it is cordoned and drained at once and terminated two minutes later;
//! its pods are evicted and recreated by their controllers. An Auto Scaling group launches a
//! replacement straight away to keep its desired capacity; Karpenter provisions for the pods.

use rand_distr::{Distribution as _, Exp};

use super::{Engine, Event, Removal, RunError};
use crate::cluster::node::{CapacityType, NodeId, NodeState};
use crate::scenario::ScriptedAction;
use crate::sim::time::{SimDuration, SimTime};

/// The Spot interruption notice.
pub const SPOT_NOTICE: SimDuration = SimDuration::from_secs(120);

impl Engine<'_> {
    /// Queues the scripted events.
    pub(super) fn schedule_scripted(&mut self) {
        for (i, e) in self.sc.events.iter().enumerate() {
            let t = SimTime(e.at.0);
            if t <= self.horizon {
                self.queue.push(t, Event::Scripted { index: i as u32 });
            }
        }
    }

    /// Draws when a newly launched Spot node will be interrupted, if the scenario has a rate.
    pub(super) fn schedule_spot_interruption(&mut self, id: NodeId) {
        let rate = self.sc.spot_interruption_rate;
        if rate <= 0.0 || self.nodes[id.0 as usize].capacity_type != CapacityType::Spot {
            return;
        }
        let Ok(exp) = Exp::new(rate / 3_600_000.0) else {
            return;
        };
        let after: f64 = exp.sample(&mut self.spot_rng);
        if after.is_finite() && after < 1.0e15 {
            let at = self.now + SimDuration(after as u64);
            if at <= self.horizon {
                self.queue.push(at, Event::SpotInterruption { node: id });
            }
        }
    }

    pub(super) fn on_scripted(&mut self, index: usize) -> Result<(), RunError> {
        let sc = self.sc;
        match sc.events[index].action {
            ScriptedAction::SpotInterruption { group, count } => {
                let victims: Vec<NodeId> = (0..self.nodes.len() as u32)
                    .map(NodeId)
                    .filter(|id| {
                        let n = &self.nodes[id.0 as usize];
                        n.group == group
                            && n.capacity_type == CapacityType::Spot
                            && n.state != NodeState::Terminated
                            && !n.draining
                    })
                    .take(count as usize)
                    .collect();
                for id in victims {
                    self.spot_interrupt(id)?;
                }
            }
            ScriptedAction::AzOutage { zone, duration } => self.az_outage(zone, duration)?,
            ScriptedAction::AzPartition { zone, duration } => self.az_partition(zone, duration),
            ScriptedAction::ControlPlaneFailure { etcd, count } => self.fail_cp(etcd, count),
            ScriptedAction::NodeGroupUpdate {
                group,
                ref version,
                ref update,
                force,
                scripted,
            } => {
                let (version, update) = (version.clone(), update.clone());
                self.start_update(group, &version, &update, force, scripted);
            }
        }
        Ok(())
    }

    /// The 2-minute notice reaches a Spot node.
    pub(super) fn spot_interrupt(&mut self, id: NodeId) -> Result<(), RunError> {
        let n = &mut self.nodes[id.0 as usize];
        if n.state == NodeState::Terminated || n.draining {
            return Ok(());
        }
        self.spot_interruptions += 1;
        n.termination_reason = Some("SpotInterruption".into());
        n.cordon();
        n.draining = true;
        let (group, zone) = (n.group, n.zone);
        self.group_size[group] = self.group_size[group].saturating_sub(1);
        let keys = n.pods.clone();
        for k in keys {
            self.remove_pod_with_grace(k, Removal::Drained, Some(SPOT_NOTICE))?;
        }
        self.queue
            .push(self.now + SPOT_NOTICE, Event::NodeTerminate { node: id });
        if self.group_pool[group].is_none() {
            // The ASG keeps its desired capacity: a replacement launches now.
            self.launch_node(group, zone);
        }
        Ok(())
    }
}
