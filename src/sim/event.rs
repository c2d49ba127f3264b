//! The one event enum. Every kind of thing that can happen at an instant is a variant; the loop's
//! match over it is exhaustive, so a new kind of event cannot be silently ignored. Variants are
//! small and `Copy`: handles, not data.

use crate::cluster::node::NodeId;
use crate::cluster::pod::PodKey;

/// Something that happens at one instant of virtual time.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The next pod of workload source `source` reaches the API server.
    Arrival {
        /// Index of the source in the scenario's workload list.
        source: u32,
    },
    /// An EC2 node's kubelet reports Ready.
    NodeReady {
        /// The node.
        node: NodeId,
    },
    /// A Fargate pod's micro-VM is up and registered; its image pull starts.
    FargateVmReady {
        /// The pod.
        pod: PodKey,
    },
    /// A pod's containers start.
    PodRunning {
        /// The pod.
        pod: PodKey,
    },
    /// A pod's containers exit.
    PodFinished {
        /// The pod.
        pod: PodKey,
    },
    /// Write one timeline row.
    Sample,
    /// The scheduler runs its next cycle(s).
    ScheduleNext,
    /// Pods whose backoff has expired move from backoffQ to activeQ.
    BackoffFlush,
    /// Pods unschedulable for over 5 minutes are retried (every 30 s).
    LeftoverFlush,
    /// A controller's replica count changes (or it is created).
    ControllerStep {
        /// Controller index.
        ctrl: u32,
        /// Index into its replica steps.
        step: u32,
    },
    /// A deleted or evicted pod's grace period is over; its room is freed.
    PodTerminated {
        /// The pod.
        pod: PodKey,
    },
    /// The Cluster Autoscaler's periodic loop.
    AutoscalerScan,
    /// Karpenter's provisioning batch may have closed.
    KarpenterBatch,
    /// Karpenter's disruption (consolidation, expiration) loop.
    KarpenterDisrupt,
    /// A Spot node receives its 2-minute interruption notice.
    SpotInterruption {
        /// The node.
        node: NodeId,
    },
    /// A managed node group update re-checks its progress.
    UpdateTick {
        /// Index of the update.
        update: u32,
    },
    /// An Auto Scaling group retries launches that failed.
    AsgRetry {
        /// Node group index.
        group: u32,
    },
    /// A node has not joined the cluster 15 minutes after launch.
    NodeJoinTimeout {
        /// The node.
        node: NodeId,
    },
    /// A control-plane instance fails.
    CpFailure {
        /// Instance index.
        instance: u32,
    },
    /// A control-plane instance is replaced or repaired.
    CpRepair {
        /// Instance index.
        instance: u32,
    },
    /// An AZ outage ends.
    AzOutageEnd {
        /// Zone index.
        zone: u32,
    },
    /// Pods on a NotReady node are evicted (the toleration ran out).
    NodeLostEviction {
        /// The node.
        node: NodeId,
    },
    /// The ASG replaces an unhealthy instance.
    NodeUnhealthyReplace {
        /// The node.
        node: NodeId,
    },
    /// A scripted event of the scenario.
    Scripted {
        /// Index in the scenario's events.
        index: u32,
    },
    /// A drained node is terminated.
    NodeTerminate {
        /// The node.
        node: NodeId,
    },
    /// A pod's binding API call completes.
    PodBound {
        /// The pod.
        pod: PodKey,
    },
}

impl Event {
    /// The pod the event is about, if it is about one: the loop fetches its record into the
    /// cache while the event before it is handled.
    #[inline]
    pub fn pod(&self) -> Option<PodKey> {
        match *self {
            Event::FargateVmReady { pod }
            | Event::PodRunning { pod }
            | Event::PodFinished { pod }
            | Event::PodBound { pod }
            | Event::PodTerminated { pod } => Some(pod),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_events_name_their_pod_and_others_none() {
        let pod = PodKey {
            index: 7,
            generation: 2,
        };
        for ev in [
            Event::FargateVmReady { pod },
            Event::PodRunning { pod },
            Event::PodFinished { pod },
            Event::PodBound { pod },
            Event::PodTerminated { pod },
        ] {
            assert_eq!(ev.pod(), Some(pod), "{ev:?}");
        }
        for ev in [
            Event::Arrival { source: 0 },
            Event::NodeReady { node: NodeId(3) },
            Event::Sample,
            Event::AutoscalerScan,
        ] {
            assert_eq!(ev.pod(), None, "{ev:?}");
        }
    }
}
