//! The runtime invariant checker: after an event, the engine's state must be one a real cluster
//! could be in. It catches bookkeeping bugs where they happen (the event, the time, the seed)
//! instead of as a wrong number in a report. On in debug builds (sampled, so large runs stay
//! usable) and after every event with `eksim run --check-invariants`.

use super::{CostPart, Engine, Event, RunError};
use crate::cluster::node::NodeState;
use crate::cluster::pod::PodPhase;

/// How often the full check runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InvariantMode {
    /// Never (release builds without `--check-invariants`).
    #[default]
    Off,
    /// After every event; each full check costs O(nodes + live pods).
    EveryEvent,
    /// Debug builds: the cheap checks after every event, the full check after every k-th event
    /// with k = max(1, (nodes + live pods) / 64), so the checking cost per event stays bounded.
    Sampled,
}

/// What the checker remembers between events.
#[derive(Debug, Default)]
pub(super) struct InvariantState {
    pub(super) mode: InvariantMode,
    /// Cumulative cost per part at the last check: never allowed to go down.
    last_accrued: [f64; 3],
    /// Micro-dollar totals (EC2 pod attribution, Fargate bill) at the last check.
    last_micros: [u64; 2],
    /// Events since the last full check.
    since_full: u64,
}

impl InvariantState {
    pub(super) fn new(mode: InvariantMode) -> InvariantState {
        InvariantState {
            mode,
            ..Default::default()
        }
    }
}

impl Engine<'_> {
    /// Runs the checks due after `ev`; a violation stops the run with
    /// [`RunError::Invariant`]. Inlined so the `Off` case costs one comparison per event.
    #[inline]
    pub(super) fn check_invariants(&mut self, ev: &Event) -> Result<(), RunError> {
        let mode = self.invariants.mode;
        if mode == InvariantMode::Off {
            return Ok(());
        }
        let fail = |e: &Engine, what: String| RunError::Invariant {
            time: e.now,
            event: format!("{ev:?}"),
            seed: e.seed,
            message: what,
        };
        // Cheap checks, every event: costs never decrease.
        let accrued = self.cost_meter.accrued;
        for (part, name) in [
            (CostPart::Ec2, "EC2"),
            (CostPart::Fargate, "Fargate"),
            (CostPart::ControlPlane, "control plane"),
        ] {
            let i = part as usize;
            // A few ulps of float noise are not a decrease.
            if accrued[i] + 1e-9 < self.invariants.last_accrued[i] {
                return Err(fail(
                    self,
                    format!(
                        "cumulative {name} cost went down from {} to {}",
                        self.invariants.last_accrued[i], accrued[i]
                    ),
                ));
            }
        }
        self.invariants.last_accrued = accrued;
        let micros = [self.ec2_pod_micros, self.fargate_micros];
        for (i, name) in ["EC2 pod attribution", "Fargate bill"].iter().enumerate() {
            if micros[i] < self.invariants.last_micros[i] {
                return Err(fail(
                    self,
                    format!(
                        "{name} total went down from {} to {} micro-dollars",
                        self.invariants.last_micros[i], micros[i]
                    ),
                ));
            }
        }
        self.invariants.last_micros = micros;
        self.invariants.since_full += 1;
        let every = match mode {
            InvariantMode::EveryEvent => 1,
            _ => ((self.nodes.len() + self.pods.len()) as u64 / 64).max(1),
        };
        if self.invariants.since_full < every {
            return Ok(());
        }
        self.invariants.since_full = 0;
        self.check_state().map_err(|m| fail(self, m))
    }

    /// The O(nodes + pods) checks: capacity, pod states, links between pods and nodes, Fargate
    /// micro-VMs.
    fn check_state(&self) -> Result<(), String> {
        for (i, n) in self.nodes.iter().enumerate() {
            if n.state == NodeState::Terminated {
                continue;
            }
            let (r, a) = (&n.requested, &n.allocatable);
            if r.cpu_m > a.cpu_m || r.memory_mib > a.memory_mib || r.gpus > a.gpus {
                return Err(format!(
                    "node {} is over-committed: requested {}m CPU / {} MiB / {} GPU, allocatable \
                     {}m / {} MiB / {}",
                    n.name, r.cpu_m, r.memory_mib, r.gpus, a.cpu_m, a.memory_mib, a.gpus
                ));
            }
            if n.pods.len() > a.pods as usize {
                return Err(format!(
                    "node {} holds {} pods, more than its {} pod slots",
                    n.name,
                    n.pods.len(),
                    a.pods
                ));
            }
            for (j, &k) in n.pods.iter().enumerate() {
                let Some(p) = self.pods.get(k) else {
                    return Err(format!("node {} lists a pod that no longer exists", n.name));
                };
                if p.node.map(|x| x.0 as usize) != Some(i) {
                    return Err(format!(
                        "pod {} is listed on node {} but bound to {:?}",
                        p.spec.name, n.name, p.node
                    ));
                }
                if n.pods[..j].contains(&k) {
                    return Err(format!(
                        "pod {} is listed twice on node {}",
                        p.spec.name, n.name
                    ));
                }
            }
        }
        let (mut pending, mut running, mut vms) = (0usize, 0usize, 0u32);
        for (k, p) in self.pods.iter() {
            match p.phase {
                PodPhase::Pending => pending += 1,
                PodPhase::Running => running += 1,
                PodPhase::Starting => {}
                done => {
                    return Err(format!(
                        "pod {} is still live in phase {done:?}",
                        p.spec.name
                    ));
                }
            }
            let on_vm = p.fargate.is_some() && p.phase != PodPhase::Pending;
            if on_vm && p.node.is_some() {
                return Err(format!(
                    "pod {} is on a Fargate micro-VM and on a node at once",
                    p.spec.name
                ));
            }
            if on_vm {
                vms += 1;
            }
            if let Some(n) = p.node {
                let node = &self.nodes[n.0 as usize];
                if node.state == NodeState::Terminated {
                    return Err(format!(
                        "pod {} is bound to terminated node {}",
                        p.spec.name, node.name
                    ));
                }
                if !node.pods.contains(&k) {
                    return Err(format!(
                        "pod {} is bound to node {} which does not list it",
                        p.spec.name, node.name
                    ));
                }
            }
            if p.phase != PodPhase::Pending && p.node.is_none() && p.fargate.is_none() {
                return Err(format!(
                    "pod {} is {:?} with neither a node nor a micro-VM",
                    p.spec.name, p.phase
                ));
            }
            let order_ok = [p.scheduled, p.pull_start, p.running, p.finished]
                .iter()
                .filter_map(|t| t.get())
                .try_fold(p.spec.submit, |prev, t| (t >= prev).then_some(t))
                .is_some();
            if !order_ok {
                return Err(format!(
                    "pod {} has timestamps out of order (submit {}, scheduled {:?}, pull {:?}, \
                     running {:?})",
                    p.spec.name, p.spec.submit, p.scheduled, p.pull_start, p.running
                ));
            }
        }
        let per_node: u64 = self.node_pod_micros.iter().sum();
        if per_node != self.ec2_pod_micros {
            return Err(format!(
                "EC2 attribution per node sums to {per_node} micro-dollars, the total says {}",
                self.ec2_pod_micros
            ));
        }
        if pending != self.n_pending as usize || running != self.n_running as usize {
            return Err(format!(
                "pod counters say {} pending / {} running, the pod table {} / {}",
                self.n_pending, self.n_running, pending, running
            ));
        }
        // One micro-VM per pod: the VMs alive are exactly the started Fargate pods.
        if vms != self.fargate_active {
            return Err(format!(
                "{} Fargate micro-VMs alive for {} started Fargate pods",
                self.fargate_active, vms
            ));
        }
        if self.fargate_active > self.sc.fargate.max_concurrent_pods {
            return Err(format!(
                "{} Fargate micro-VMs alive, above the quota of {}",
                self.fargate_active, self.sc.fargate.max_concurrent_pods
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::node::NodeId;

    /// The quickstart scenario, started and run for its first thousand events.
    fn engine_after_some_events<'s>(
        sc: &'s crate::scenario::Scenario,
        dir: &std::path::Path,
    ) -> Engine<'s> {
        let mut e = Engine::new(sc, 1, dir, &None, None).unwrap();
        e.invariants = InvariantState::new(InvariantMode::EveryEvent);
        e.max_events = Some(1000);
        e.start().unwrap();
        e.run_loop().unwrap();
        e
    }

    fn quickstart() -> crate::scenario::Scenario {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.yaml");
        crate::scenario::load(&path).unwrap()
    }

    #[test]
    fn a_consistent_run_passes_and_each_corruption_is_caught() {
        let sc = quickstart();
        let dir = tempfile::tempdir().unwrap();
        let e = engine_after_some_events(&sc, dir.path());
        assert_eq!(e.check_state(), Ok(()));

        // Over-commit a Ready node.
        let mut e = engine_after_some_events(&sc, dir.path());
        let id = e.order[0];
        let alloc = e.nodes[id.0 as usize].allocatable.cpu_m;
        e.nodes[id.0 as usize].requested.cpu_m = alloc + 1;
        let err = e.check_state().unwrap_err();
        assert!(err.contains("over-committed"), "{err}");

        // A pod counter out of step with the pod table.
        let mut e = engine_after_some_events(&sc, dir.path());
        e.n_running += 1;
        let err = e.check_state().unwrap_err();
        assert!(err.contains("pod counters"), "{err}");

        // A bound pod that its node does not list.
        let mut e = engine_after_some_events(&sc, dir.path());
        let (node, key) = e
            .nodes
            .iter()
            .enumerate()
            .find_map(|(i, n)| n.pods.first().map(|k| (NodeId(i as u32), *k)))
            .expect("a bound pod after 1000 events");
        e.nodes[node.0 as usize].pods.retain(|k| *k != key);
        let err = e.check_state().unwrap_err();
        assert!(err.contains("does not list it"), "{err}");

        // Costs going down are caught by the per-event check, with the event and the seed.
        let mut e = engine_after_some_events(&sc, dir.path());
        e.invariants.last_accrued[CostPart::Ec2 as usize] = 1e9;
        let err = e.check_invariants(&Event::Sample).unwrap_err().to_string();
        assert!(err.contains("cumulative EC2 cost went down"), "{err}");
        assert!(err.contains("after event Sample (seed 1;"), "{err}");
    }
}
