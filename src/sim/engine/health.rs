//! Node group health: injected launch failures and nodes that never join. A failed launch
//! creates no instance (nothing is billed); the group turns DEGRADED with the health issue code
//! and its Auto Scaling group retries, in the next AZ, until it reaches its desired size again,
//! when the group is ACTIVE again. A node not Ready within 15 minutes is NodeCreationFailure: it
//! is terminated and replaced (EKS_FACTS "Managed node groups").

use rand::RngExt;

use super::{Engine, Event};
use crate::cluster::node::NodeId;
use crate::sim::time::SimDuration;

/// How long EKS waits for a node to join before NodeCreationFailure.
pub const NODE_JOIN_TIMEOUT: SimDuration = SimDuration::from_secs(900);
/// How long an Auto Scaling group waits before retrying a failed launch (eksim setting: ASG
/// retries are not published; a minute keeps retries frequent without flooding the queue).
pub const ASG_RETRY: SimDuration = SimDuration::from_secs(60);

impl Engine<'_> {
    /// The health issue code if a launch of `group` in `zone` fails now.
    pub(super) fn launch_failure(&mut self, group: usize, zone: usize) -> Option<String> {
        let now = self.now;
        let sc = self.sc;
        for f in &sc.launch_failures {
            if f.group == group
                && f.zone.is_none_or(|z| z == zone)
                && now.0 >= f.from.0
                && now.0 < f.to.0
                && (f.probability >= 1.0 || self.failure_rng.random::<f64>() < f.probability)
            {
                return Some(f.code.clone());
            }
        }
        None
    }

    /// A launch failed: count it against the group's desired size and retry later.
    pub(super) fn launch_failed(&mut self, group: usize, code: &str) {
        self.launch_failures_count += 1;
        self.group_shortfall[group] += 1;
        self.group_size[group] += 1;
        if self.group_degraded[group].as_deref() != Some(code) {
            self.group_degraded[group] = Some(code.to_string());
            self.record_group_status(group, "DEGRADED", code);
        }
        if !self.asg_retry_pending[group] {
            self.asg_retry_pending[group] = true;
            self.queue.push(
                self.now + ASG_RETRY,
                Event::AsgRetry {
                    group: group as u32,
                },
            );
        }
    }

    /// The ASG retries its missing launches, rotating over the group's AZs.
    pub(super) fn on_asg_retry(&mut self, group: usize) {
        self.asg_retry_pending[group] = false;
        let missing = std::mem::take(&mut self.group_shortfall[group]);
        self.group_size[group] = self.group_size[group].saturating_sub(missing);
        let zones = self.sc.cluster.node_groups[group].zones.clone();
        for i in 0..missing {
            let z = zones[(self.asg_rotation[group] + i as usize) % zones.len().max(1)];
            self.launch_node(group, z);
        }
        self.asg_rotation[group] += 1;
        self.check_group_healthy(group);
    }

    /// Back to ACTIVE once nothing is missing.
    pub(super) fn check_group_healthy(&mut self, group: usize) {
        if self.group_degraded[group].is_some()
            && self.group_shortfall[group] == 0
            && !self.asg_retry_pending[group]
        {
            self.group_degraded[group] = None;
            self.record_group_status(group, "ACTIVE", "");
        }
    }

    /// A node did not become Ready within 15 minutes.
    pub(super) fn on_node_join_timeout(&mut self, id: NodeId) {
        let n = &self.nodes[id.0 as usize];
        if n.state != crate::cluster::node::NodeState::Launching {
            return;
        }
        let (group, zone) = (n.group, n.zone);
        self.terminate_node(id, "NodeCreationFailure");
        if self.group_pool[group].is_none() {
            self.group_degraded[group] = Some("NodeCreationFailure".into());
            self.record_group_status(group, "DEGRADED", "NodeCreationFailure");
            self.launch_node(group, zone);
        }
    }
}
