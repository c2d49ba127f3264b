//! The control plane at run time: API server and etcd instances over the AZs, their failures and
//! repairs, and what an unavailable API stops (EKS_FACTS "Control plane"). The API serves when at
//! least one API server is up and etcd has a majority; writes need the same. While it does not:
//! no scheduling or binding, no node registration, no Fargate launches, no autoscaler actions, no
//! pod creation; running pods keep running. EKS replaces a failed instance after a detection
//! delay, in another AZ if its own is down; a self-managed one waits for a manual repair. An AZ
//! outage also takes down that AZ's EC2 nodes (their pods are evicted after node-monitor-grace-
//! period + the 300 s toleration and recreated elsewhere; the ASG replaces the instances in other
//! AZs) and its Fargate pods.

use super::{Engine, Event, Removal, RunError};
use crate::cluster::control_plane::ControlPlaneMode;
use crate::cluster::node::{NodeId, NodeState};
use crate::cluster::pod::{PodKey, PodPhase};
use crate::sim::time::{SimDuration, SimTime, fmt_secs};

/// One control-plane instance.
#[derive(Clone, Debug)]
pub(super) struct CpInstance {
    pub(super) etcd: bool,
    pub(super) index: usize,
    pub(super) zone: usize,
    pub(super) up: bool,
    /// A repair is scheduled.
    repairing: bool,
    /// Row of incidents.csv of its open failure.
    incident: Option<usize>,
    /// Cut off by a partition (back when it heals; not replaced).
    partitioned: bool,
}

impl CpInstance {
    fn name(&self) -> String {
        format!(
            "{}-{}",
            if self.etcd { "etcd" } else { "apiserver" },
            self.index
        )
    }
}

impl Engine<'_> {
    /// Places the instances and draws their first failures.
    pub(super) fn start_control_plane(&mut self) {
        let cp = &self.sc.control_plane;
        let zone_of = |name: &str| {
            self.sc
                .cluster
                .zones
                .iter()
                .position(|z| z == name)
                .unwrap_or(0)
        };
        let mut inst = Vec::new();
        for (i, z) in cp.api_server_zones().iter().enumerate() {
            inst.push(CpInstance {
                etcd: false,
                index: i,
                zone: zone_of(z),
                up: true,
                repairing: false,
                incident: None,
                partitioned: false,
            });
        }
        for (i, z) in cp.etcd_zones().iter().enumerate() {
            inst.push(CpInstance {
                etcd: true,
                index: i,
                zone: zone_of(z),
                up: true,
                repairing: false,
                incident: None,
                partitioned: false,
            });
        }
        self.cp = inst;
        self.api_area.set(0, 1);
        for i in 0..self.cp.len() {
            self.schedule_cp_failure(i);
        }
    }

    fn schedule_cp_failure(&mut self, i: usize) {
        let sc = self.sc;
        if let Some(mtbf) = &sc.control_plane.failures.mtbf {
            let after = mtbf.sample(&mut self.cp_rng);
            let at = self.now + SimDuration(after.0.max(1));
            if at <= self.horizon {
                self.queue.push(at, Event::CpFailure { instance: i as u32 });
            }
        }
    }

    /// Instance `i` fails; a replacement or repair is scheduled.
    pub(super) fn on_cp_failure(&mut self, i: usize) {
        if !self.cp[i].up {
            return;
        }
        self.cp[i].up = false;
        let z = self.sc.cluster.zones[self.cp[i].zone].clone();
        let name = self.cp[i].name();
        let impact = match self.sc.control_plane.mode {
            ControlPlaneMode::Eks => "replaced automatically",
            ControlPlaneMode::SelfManaged => "waits for a manual repair",
        };
        self.cp[i].incident = Some(self.incidents.len());
        self.incident(self.now, None, "instance-failure", &z, &name, impact);
        self.schedule_cp_repair(i);
        self.recompute_api();
    }

    fn schedule_cp_repair(&mut self, i: usize) {
        if self.cp[i].repairing {
            return;
        }
        self.cp[i].repairing = true;
        let f = &self.sc.control_plane.failures;
        let delay = match self.sc.control_plane.mode {
            ControlPlaneMode::Eks => f.detection_delay + f.replacement.sample(&mut self.cp_rng),
            ControlPlaneMode::SelfManaged => f.repair.sample(&mut self.cp_rng),
        };
        self.queue
            .push(self.now + delay, Event::CpRepair { instance: i as u32 });
    }

    /// A replacement (EKS) or repair (self-managed) is done. EKS places it in another AZ if its
    /// own is down; a self-managed instance whose AZ is still down stays down until it is back.
    pub(super) fn on_cp_repair(&mut self, i: usize) {
        self.cp[i].repairing = false;
        if self.zone_down[self.cp[i].zone] {
            let up_zones: Vec<usize> = (0..self.zone_down.len())
                .filter(|z| !self.zone_down[*z])
                .collect();
            match (self.sc.control_plane.mode, up_zones.first()) {
                (ControlPlaneMode::Eks, Some(_)) => {
                    // The AZ with the fewest instances of this kind.
                    let etcd = self.cp[i].etcd;
                    let count = |z: usize| {
                        self.cp
                            .iter()
                            .filter(|c| c.etcd == etcd && c.zone == z && c.up)
                            .count()
                    };
                    let z = *up_zones
                        .iter()
                        .min_by_key(|z| count(**z))
                        .expect("non-empty");
                    self.cp[i].zone = z;
                }
                _ => return, // comes back with its AZ
            }
        }
        self.cp_back(i);
        self.recompute_api();
    }

    /// Instance `i` serves again: its incident closes and its next failure is drawn.
    fn cp_back(&mut self, i: usize) {
        self.cp[i].up = true;
        if let Some(row) = self.cp[i].incident.take() {
            self.incidents[row][1] = fmt_secs(self.now.0);
        }
        self.schedule_cp_failure(i);
    }

    /// Scripted control-plane failures.
    pub(super) fn fail_cp(&mut self, etcd: bool, count: u32) {
        let victims: Vec<usize> = (0..self.cp.len())
            .filter(|&i| self.cp[i].etcd == etcd && self.cp[i].up)
            .take(count as usize)
            .collect();
        for i in victims {
            self.on_cp_failure(i);
        }
    }

    fn recompute_api(&mut self) {
        let servers = self.cp.iter().filter(|c| !c.etcd && c.up).count();
        let etcd = self.cp.iter().filter(|c| c.etcd && c.up).count() as u32;
        let up = servers >= 1 && etcd >= self.sc.control_plane.etcd_quorum();
        if up == self.api_up {
            return;
        }
        self.api_up = up;
        self.api_area.set(self.now.0, u64::from(up));
        if up {
            if let Some(start) = self.api_down_since.take() {
                self.incident(
                    start,
                    Some(self.now),
                    "api-unavailable",
                    "",
                    "control-plane",
                    "no scheduling, binding, node registration, Fargate launches or autoscaling",
                );
            }
            self.api_recovered();
        } else {
            self.api_down_since = Some(self.now);
        }
    }

    /// The API is back: everything that waited for it proceeds.
    fn api_recovered(&mut self) {
        for spec in std::mem::take(&mut self.deferred_arrivals) {
            // Errors can only come from writing pods.csv, which the run reports at the end.
            let _ = self.admit(spec.0, spec.1);
        }
        for c in 0..self.controllers.len() {
            let _ = self.reconcile(c);
        }
        for id in std::mem::take(&mut self.deferred_ready) {
            self.on_node_ready(id);
        }
        for key in std::mem::take(&mut self.deferred_binds) {
            self.complete_bind(key);
        }
        while self.fargate_active < self.sc.fargate.max_concurrent_pods {
            let Some(k) = self.fargate_waiting.pop_front() else {
                break;
            };
            self.start_fargate(k);
        }
        self.kick_scheduler();
        self.karpenter_note_unschedulable();
    }

    /// A zone goes down for `duration`.
    pub(super) fn az_outage(&mut self, zone: usize, duration: SimDuration) -> Result<(), RunError> {
        self.zone_down[zone] = true;
        let end = self.now + duration;
        let zname = self.sc.cluster.zones[zone].clone();
        for i in 0..self.cp.len() {
            if self.cp[i].zone == zone && self.cp[i].up {
                self.on_cp_failure(i);
            }
        }
        let lost_nodes = self.cut_off_zone_nodes(zone, true);
        // Fargate pods in the zone die with their micro-VMs; their controllers recreate them.
        let fargate_lost: Vec<PodKey> = self
            .pods
            .iter()
            .filter(|(_, p)| {
                p.fargate.as_ref().is_some_and(|f| f.zone as usize == zone)
                    && p.phase != PodPhase::Pending
            })
            .map(|(k, _)| k)
            .collect();
        let nf = fargate_lost.len();
        for k in fargate_lost {
            self.remove_pod_with_grace(k, Removal::Drained, Some(SimDuration::ZERO))?;
        }
        self.incident(
            self.now,
            Some(end),
            "az-outage",
            &zname,
            "zone",
            &format!("{lost_nodes} EC2 node(s) and {nf} Fargate pod(s) lost"),
        );
        self.queue
            .push(end, Event::AzOutageEnd { zone: zone as u32 });
        Ok(())
    }

    /// The EC2 nodes of `zone` that were reachable go NotReady; their pods are evicted after
    /// node-monitor-grace-period + the eviction timeout, and with `replace` (an outage, not a
    /// partition) the ASG replaces them after its unhealthy-replacement delay. Returns how many.
    fn cut_off_zone_nodes(&mut self, zone: usize, replace: bool) -> usize {
        let mut count = 0;
        for id in (0..self.nodes.len() as u32).map(NodeId) {
            let n = &self.nodes[id.0 as usize];
            if n.zone != zone || matches!(n.state, NodeState::Terminated | NodeState::NotReady) {
                continue;
            }
            count += 1;
            self.node_not_ready(id);
            let f = &self.sc.control_plane.failures;
            let evict_at = self.now + f.node_monitor_grace + f.pod_eviction_timeout;
            self.queue
                .push(evict_at, Event::NodeLostEviction { node: id });
            if replace {
                self.queue.push(
                    self.now + self.sc.unhealthy_replacement_delay,
                    Event::NodeUnhealthyReplace { node: id },
                );
            }
        }
        count
    }

    /// A zone is cut off: its control-plane instances cannot reach the others (they are not
    /// replaced: they are healthy), its nodes cannot reach the API (NotReady; their pods are
    /// evicted after the timeout and recreated elsewhere), Fargate pods keep running.
    pub(super) fn az_partition(&mut self, zone: usize, duration: SimDuration) {
        self.zone_down[zone] = true;
        let end = self.now + duration;
        let zname = self.sc.cluster.zones[zone].clone();
        for i in 0..self.cp.len() {
            if self.cp[i].zone == zone && self.cp[i].up {
                self.cp[i].up = false;
                self.cp[i].partitioned = true;
            }
        }
        let nodes = self.cut_off_zone_nodes(zone, false);
        self.incident(
            self.now,
            Some(end),
            "az-partition",
            &zname,
            "network",
            &format!("{nodes} EC2 node(s) cut off"),
        );
        self.recompute_api();
        self.queue
            .push(end, Event::AzOutageEnd { zone: zone as u32 });
    }

    pub(super) fn on_az_outage_end(&mut self, zone: usize) {
        for i in 0..self.cp.len() {
            if self.cp[i].partitioned {
                self.cp[i].partitioned = false;
                self.cp[i].up = true;
            }
        }
        self.zone_down[zone] = false;
        // Nodes the ASG has not replaced yet come back.
        for id in (0..self.nodes.len() as u32).map(NodeId) {
            let n = &self.nodes[id.0 as usize];
            if n.zone == zone && n.state == NodeState::NotReady {
                self.nodes[id.0 as usize].state = NodeState::Launching;
                self.nodes_launching += 1;
                self.on_node_ready(id);
            }
        }
        // Self-managed instances waiting for their AZ.
        for i in 0..self.cp.len() {
            if self.cp[i].zone == zone && !self.cp[i].up && !self.cp[i].repairing {
                self.cp_back(i);
            }
        }
        self.recompute_api();
    }

    /// A node stops answering: it leaves the schedulable set (still billed).
    fn node_not_ready(&mut self, id: NodeId) {
        let was = std::mem::replace(&mut self.nodes[id.0 as usize].state, NodeState::NotReady);
        self.leave_schedulable(id, was);
    }

    /// Taint-based eviction of the pods on a node that stayed NotReady.
    pub(super) fn on_node_lost_eviction(&mut self, id: NodeId) -> Result<(), RunError> {
        if self.nodes[id.0 as usize].state != NodeState::NotReady {
            return Ok(());
        }
        for k in self.nodes[id.0 as usize].pods.clone() {
            self.remove_pod_with_grace(k, Removal::Drained, Some(SimDuration::ZERO))?;
        }
        Ok(())
    }

    /// The ASG replaces an instance that failed its health checks, in an AZ that is up.
    pub(super) fn on_node_unhealthy_replace(&mut self, id: NodeId) -> Result<(), RunError> {
        if self.nodes[id.0 as usize].state != NodeState::NotReady {
            return Ok(());
        }
        for k in self.nodes[id.0 as usize].pods.clone() {
            self.remove_pod_with_grace(k, Removal::Drained, Some(SimDuration::ZERO))?;
        }
        let g = self.nodes[id.0 as usize].group;
        self.terminate_node(id, "Unhealthy");
        if self.group_pool[g].is_none() {
            let z = self.ca_next_zone(g);
            self.launch_node(g, z);
        }
        Ok(())
    }

    /// Records a row of incidents.csv.
    fn incident(
        &mut self,
        start: SimTime,
        end: Option<SimTime>,
        kind: &str,
        zone: &str,
        component: &str,
        impact: &str,
    ) {
        self.incidents.push([
            fmt_secs(start.0),
            end.map(|e| fmt_secs(e.0)).unwrap_or_default(),
            kind.to_string(),
            zone.to_string(),
            component.to_string(),
            impact.to_string(),
        ]);
    }

    /// Closes an API outage still open at the horizon.
    pub(super) fn close_incidents(&mut self) {
        if let Some(start) = self.api_down_since.take() {
            self.incident(
                start,
                None,
                "api-unavailable",
                "",
                "control-plane",
                "still unavailable at the horizon",
            );
        }
        self.api_area.advance(self.horizon.0);
    }
}
