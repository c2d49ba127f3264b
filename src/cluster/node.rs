//! Runtime state of an EC2 node: its lifecycle times (for billing and nodes.csv), what it can
//! offer, what is requested on it, and which images it has cached.

use rustc_hash::FxHashMap;

use super::pod::PodKey;
use super::resources::Resources;
use super::taints::Taint;
use crate::sim::time::SimTime;

/// Index of a node in the run's node table. Nodes are never removed from the table, so an id
/// stays valid for the whole run.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u32);

/// Lifecycle of an EC2 node.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum NodeState {
    /// Instance launched, kubelet not Ready yet: billed, not schedulable.
    Launching,
    /// Ready: schedulable.
    Ready,
    /// Unreachable (its AZ is down): still billed, not schedulable, its pods unreachable.
    NotReady,
    /// Terminated: no longer billed.
    Terminated,
}

/// On-demand or Spot.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum CapacityType {
    /// On-demand instances.
    OnDemand,
    /// Spot instances.
    Spot,
}

impl CapacityType {
    /// The value of the `eks.amazonaws.com/capacityType` label and the nodes.csv column.
    pub fn as_str(self) -> &'static str {
        match self {
            CapacityType::OnDemand => "ON_DEMAND",
            CapacityType::Spot => "SPOT",
        }
    }
}

/// One EC2 node. The fields the scheduler reads for every node of every cycle come first, in
/// this order (`repr(C)`), so a cycle touches one or two cache lines per node, not six.
#[derive(Clone, Debug)]
#[repr(C)]
pub struct Node {
    /// What pods may request in total (kubelet allocatable).
    pub allocatable: Resources,
    /// What is requested now (DaemonSet pods included).
    pub requested: Resources,
    /// CPU requested with kube-scheduler's non-zero default (100m) for pods that request none;
    /// what scoring sees.
    pub nonzero_cpu_m: u64,
    /// Memory requested with the non-zero default (200 MiB) for pods that request none.
    pub nonzero_memory_mib: u64,
    /// Ephemeral storage the kubelet offers, MiB.
    pub ephemeral_allocatable_mib: u64,
    /// Ephemeral storage requested, MiB.
    pub ephemeral_requested_mib: u64,
    /// Cordoned; set through [`Node::cordon`].
    pub unschedulable: bool,
    /// Bumped by every change to what the filters and scores read of the node (requests,
    /// cordon): the scheduler's per-node verdict cache is valid while it is unchanged.
    pub version: u64,
    /// Node taints.
    pub taints: Vec<Taint>,
    /// Node labels (sorted by key), including the well-known ones.
    pub labels: Vec<(String, String)>,
    /// Node name.
    pub name: String,
    /// Index of its node group in the scenario.
    pub group: usize,
    /// EC2 instance type.
    pub instance_type: String,
    /// On-demand or Spot.
    pub capacity_type: CapacityType,
    /// Zone index in the cluster's zones.
    pub zone: usize,
    /// AMI release version.
    pub ami_version: String,
    /// Launch time (billing starts).
    pub launch: SimTime,
    /// When it became Ready.
    pub ready: Option<SimTime>,
    /// When it was terminated (billing stops).
    pub terminated: Option<SimTime>,
    /// Why it was terminated.
    pub termination_reason: Option<String>,
    /// Lifecycle state.
    pub state: NodeState,
    /// $ per hour.
    pub price_per_hour: f64,
    /// Being drained for removal (its group's size already counts it as gone).
    pub draining: bool,
    /// Last time a pod was bound to or left the node (Karpenter's consolidateAfter).
    pub last_change: SimTime,
    /// The nodes this one replaces (Karpenter consolidation): drained when this one is Ready.
    pub replaces: Vec<NodeId>,
    /// Pods bound to the node (not DaemonSet pods), in bind order.
    pub pods: Vec<PodKey>,
}

/// CPU kube-scheduler's scoring counts for a pod that requests none (upstream
/// `DefaultMilliCPURequest`).
pub const NONZERO_CPU_M: u64 = 100;
/// Memory scoring counts for a pod that requests none (upstream `DefaultMemoryRequest`).
pub const NONZERO_MEMORY_MIB: u64 = 200;

fn nonzero(v: u64, default: u64) -> u64 {
    if v == 0 { default } else { v }
}

impl Node {
    /// True when the node has a `PreferNoSchedule` taint, the only kind TaintToleration's score
    /// counts: without one the score is the same for every pod.
    #[inline]
    pub fn has_soft_taint(&self) -> bool {
        // Most nodes have no taint: one length check, as cheap as asking for any taint.
        !self.taints.is_empty()
            && self
                .taints
                .iter()
                .any(|t| t.effect == super::taints::TaintEffect::PreferNoSchedule)
    }

    /// A Ready node with the given name, zone and allocatable, labelled with its zone and
    /// hostname and nothing else requested: a fixture for benchmarks and property tests, and
    /// the shape every launched node starts from.
    pub fn ready(name: &str, zone: usize, zone_name: &str, allocatable: Resources) -> Node {
        let mut labels = vec![
            ("kubernetes.io/hostname".to_string(), name.to_string()),
            (
                "topology.kubernetes.io/zone".to_string(),
                zone_name.to_string(),
            ),
        ];
        labels.sort();
        Node {
            name: name.to_string(),
            group: 0,
            instance_type: String::new(),
            capacity_type: CapacityType::OnDemand,
            zone,
            ami_version: String::new(),
            launch: SimTime::ZERO,
            ready: Some(SimTime::ZERO),
            terminated: None,
            termination_reason: None,
            state: NodeState::Ready,
            allocatable,
            requested: Resources::default(),
            price_per_hour: 0.0,
            labels,
            taints: Vec::new(),
            unschedulable: false,
            version: 0,
            draining: false,
            last_change: SimTime::ZERO,
            replaces: Vec::new(),
            pods: Vec::new(),
            ephemeral_allocatable_mib: 0,
            ephemeral_requested_mib: 0,
            nonzero_cpu_m: 0,
            nonzero_memory_mib: 0,
        }
    }

    /// Accounts a pod's requests on the node (DaemonSet pods included).
    pub fn add_requests(&mut self, requests: Resources, ephemeral_mib: u64) {
        self.version += 1;
        self.requested += requests;
        self.ephemeral_requested_mib += ephemeral_mib;
        self.nonzero_cpu_m += nonzero(requests.cpu_m, NONZERO_CPU_M);
        self.nonzero_memory_mib += nonzero(requests.memory_mib, NONZERO_MEMORY_MIB);
    }

    /// Releases what [`Node::add_requests`] accounted.
    pub fn remove_requests(&mut self, requests: Resources, ephemeral_mib: u64) {
        self.version += 1;
        self.requested -= requests;
        self.ephemeral_requested_mib = self.ephemeral_requested_mib.saturating_sub(ephemeral_mib);
        self.nonzero_cpu_m = self
            .nonzero_cpu_m
            .saturating_sub(nonzero(requests.cpu_m, NONZERO_CPU_M));
        self.nonzero_memory_mib = self
            .nonzero_memory_mib
            .saturating_sub(nonzero(requests.memory_mib, NONZERO_MEMORY_MIB));
    }

    /// Cordons the node (`spec.unschedulable`): no new pods.
    pub fn cordon(&mut self) {
        self.unschedulable = true;
        self.version += 1;
    }

    /// (cpu, memory) requested as scoring sees it: with the non-zero defaults if `nonzero`.
    pub fn nonzero_requested(&self, nonzero: bool) -> (u64, u64) {
        if nonzero {
            (self.nonzero_cpu_m, self.nonzero_memory_mib)
        } else {
            (self.requested.cpu_m, self.requested.memory_mib)
        }
    }

    /// What is left for new pods.
    pub fn free(&self) -> Resources {
        self.allocatable.saturating_sub(&self.requested)
    }

    /// The value of a node label, if set.
    #[inline]
    pub fn label(&self, key: &str) -> Option<&str> {
        crate::workload::constraints::label(&self.labels, key)
    }
}

/// Which nodes have which images (by [`ImageIds`] number) and when each finished (or will
/// finish) pulling, kept image by image: the pods of one job share its image and bind in a
/// burst, so the map they look up stays in the cache, where a map per node (thousands of job
/// images on a long trace's node) missed it on nearly every bind. Hash maps are only looked up,
/// never iterated, so their order cannot leak into outputs.
#[derive(Debug, Default)]
pub struct ImageCaches {
    by_image: Vec<FxHashMap<NodeId, SimTime>>,
}

impl ImageCaches {
    /// When `image` is (or will be) on `node`, if it was ever pulled there.
    #[inline]
    pub fn get(&self, image: u32, node: NodeId) -> Option<SimTime> {
        self.by_image.get(image as usize)?.get(&node).copied()
    }

    /// Records that `image` is on `node` from `ready` on.
    pub fn insert(&mut self, image: u32, node: NodeId, ready: SimTime) {
        let i = image as usize;
        if self.by_image.len() <= i {
            self.by_image.resize_with(i + 1, FxHashMap::default);
        }
        self.by_image[i].insert(node, ready);
    }
}

/// Numbers each distinct image name in order of first sight, so node image caches compare
/// integers instead of strings (a trace whose pods each have their own image otherwise leaves
/// every node with a thousand-entry map of strings to search on each bind).
#[derive(Debug, Default)]
pub struct ImageIds {
    ids: std::collections::HashMap<Box<str>, u32>,
    /// The last name looked up and its number: pods of one job arrive in runs.
    last_name: String,
    last_id: Option<u32>,
}

impl ImageIds {
    /// The number of an image name. Lookups only (never iterated), so the map's hash order
    /// cannot leak into results.
    pub fn id_of(&mut self, image: &str) -> u32 {
        if let Some(id) = self.last_id
            && self.last_name == image
        {
            return id;
        }
        let next = self.ids.len() as u32;
        let id = match self.ids.get(image) {
            Some(&id) => id,
            None => {
                self.ids.insert(image.into(), next);
                next
            }
        };
        self.last_name.clear();
        self.last_name.push_str(image);
        self.last_id = Some(id);
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_caches_keep_each_image_node_pair_apart() {
        let mut c = ImageCaches::default();
        assert_eq!(c.get(0, NodeId(0)), None);
        c.insert(3, NodeId(7), SimTime(500));
        c.insert(3, NodeId(2), SimTime(900));
        c.insert(0, NodeId(7), SimTime(100));
        assert_eq!(c.get(3, NodeId(7)), Some(SimTime(500)));
        assert_eq!(c.get(3, NodeId(2)), Some(SimTime(900)));
        assert_eq!(c.get(0, NodeId(7)), Some(SimTime(100)));
        // Same node, an image never pulled there; an image number past every one seen.
        assert_eq!(c.get(1, NodeId(7)), None);
        assert_eq!(c.get(0, NodeId(2)), None);
        assert_eq!(c.get(99, NodeId(7)), None);
        // A later pull of the same pair replaces the time.
        c.insert(3, NodeId(7), SimTime(42));
        assert_eq!(c.get(3, NodeId(7)), Some(SimTime(42)));
    }

    #[test]
    fn image_ids_number_names_in_order_of_first_sight() {
        let mut ids = ImageIds::default();
        assert_eq!(ids.id_of("a"), 0);
        assert_eq!(ids.id_of("b"), 1);
        assert_eq!(ids.id_of("b"), 1);
        assert_eq!(ids.id_of("a"), 0);
        assert_eq!(ids.id_of("c"), 2);
    }
}
