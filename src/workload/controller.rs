//! Workload controllers: what owns pods over time. A ReplicaSet (a Deployment's) or StatefulSet
//! keeps a replica count that can step up and down; a Job runs pods until enough complete; a bare
//! Pod is created once. The engine runs them, so a pod that is evicted or preempted is recreated
//! by its controller (a bare pod is lost), and scale-downs delete pods the way the ReplicaSet
//! controller ranks them.

use super::generator::RequestChoice;
use super::{OwnerKind, PodTemplate};
use crate::scenario::distribution::Distribution;
use crate::sim::time::{SimDuration, SimTime};

/// What kind of controller, with its kind-specific settings.
#[derive(Clone, Debug, PartialEq)]
pub enum ControllerKind {
    /// A Deployment's ReplicaSet.
    ReplicaSet,
    /// A StatefulSet (pods keep their ordinal names when recreated).
    StatefulSet,
    /// A Job: `parallelism` pods at a time until `completions` succeed (`None`: until the first
    /// success, a work queue).
    Job {
        /// Pods running at once.
        parallelism: u32,
        /// Successes needed.
        completions: Option<u32>,
    },
    /// A bare pod.
    Pod,
}

impl ControllerKind {
    /// The owner recorded on the pods.
    pub fn owner(&self) -> OwnerKind {
        match self {
            ControllerKind::ReplicaSet => OwnerKind::ReplicaSet,
            ControllerKind::StatefulSet => OwnerKind::StatefulSet,
            ControllerKind::Job { .. } => OwnerKind::Job,
            ControllerKind::Pod => OwnerKind::Bare,
        }
    }
}

/// A validated controller.
#[derive(Clone, Debug, PartialEq)]
pub struct ControllerSpec {
    /// Object name; pods are `<name>-<i>` (a bare pod keeps the name).
    pub name: String,
    /// Kind and settings.
    pub kind: ControllerKind,
    /// Pod template.
    pub template: PodTemplate,
    /// Requests of each pod.
    pub requests: RequestChoice,
    /// When the object is created.
    pub at: SimTime,
    /// Replica count changes for ReplicaSets and StatefulSets: (time, replicas), sorted, the
    /// first at `at`.
    pub replicas: Vec<(SimTime, u64)>,
    /// Run time of each pod; `None` = runs until deleted.
    pub duration: Option<Distribution>,
    /// terminationGracePeriodSeconds: how long a deleted pod keeps its room.
    pub grace: SimDuration,
}

/// A PodDisruptionBudget: how many of the selected pods must stay up during voluntary
/// disruptions (preemption honours it where it can).
#[derive(Clone, Debug, PartialEq)]
pub struct PdbSpec {
    /// Name.
    pub name: String,
    /// Namespace of the pods it protects.
    pub namespace: String,
    /// Which pods.
    pub selector: super::constraints::LabelSelector,
    /// minAvailable (count, or percent of selected pods).
    pub min_available: Option<super::manifest::IntOrPercent>,
    /// maxUnavailable.
    pub max_unavailable: Option<super::manifest::IntOrPercent>,
}

impl PdbSpec {
    /// How many of `healthy` selected pods (out of `expected`) may be disrupted now.
    pub fn allowed_disruptions(&self, healthy: u32, expected: u32) -> u32 {
        use super::manifest::IntOrPercent::{Int, Percent};
        let pct = |p: u32| (u64::from(expected) * u64::from(p)).div_ceil(100) as u32;
        let desired_healthy = match (self.min_available, self.max_unavailable) {
            (Some(Int(n)), _) => n,
            (Some(Percent(p)), _) => pct(p),
            (None, Some(Int(n))) => expected.saturating_sub(n),
            (None, Some(Percent(p))) => expected.saturating_sub(pct(p)),
            (None, None) => 0,
        };
        healthy.saturating_sub(desired_healthy)
    }
}

/// Replica steps from a daily profile (one count per hour of the day) over `horizon`.
pub fn daily_steps(start: SimTime, counts: &[u64], horizon: SimDuration) -> Vec<(SimTime, u64)> {
    let mut out = Vec::new();
    let mut t = start.0;
    let hour = 3_600_000;
    while t <= horizon.0 && !counts.is_empty() {
        let h = ((t / hour) % 24) as usize;
        out.push((SimTime(t), counts[h % counts.len()]));
        t = (t / hour + 1) * hour;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::manifest::IntOrPercent;

    #[test]
    fn pdb_allowed_disruptions() {
        let pdb = |min, max| PdbSpec {
            name: "p".into(),
            namespace: "n".into(),
            selector: Default::default(),
            min_available: min,
            max_unavailable: max,
        };
        assert_eq!(
            pdb(Some(IntOrPercent::Int(2)), None).allowed_disruptions(3, 3),
            1
        );
        assert_eq!(
            pdb(Some(IntOrPercent::Percent(50)), None).allowed_disruptions(4, 4),
            2
        );
        // 50% of 3 rounds up to 2 pods that must stay.
        assert_eq!(
            pdb(Some(IntOrPercent::Percent(50)), None).allowed_disruptions(3, 3),
            1
        );
        assert_eq!(
            pdb(None, Some(IntOrPercent::Int(1))).allowed_disruptions(3, 3),
            1
        );
        assert_eq!(
            pdb(None, Some(IntOrPercent::Int(1))).allowed_disruptions(2, 3),
            0
        );
    }

    #[test]
    fn daily_steps_follow_hours() {
        let counts: Vec<u64> = (0..24).collect();
        let steps = daily_steps(SimTime(1_800_000), &counts, SimDuration(3 * 3_600_000));
        assert_eq!(
            steps,
            vec![
                (SimTime(1_800_000), 0),
                (SimTime(3_600_000), 1),
                (SimTime(7_200_000), 2),
                (SimTime(10_800_000), 3)
            ]
        );
    }
}
