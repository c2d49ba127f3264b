//! Runtime state of a pod: where it is in its life, where it runs, and the timestamps that end up
//! in pods.csv.

use super::fargate::FargateSize;
use super::node::NodeId;
use crate::sim::time::{MaybeTime, SimTime};
use crate::workload::PodSpec;

/// Handle of a live pod: a slot index plus a generation, so an event that outlives its pod (for
/// example after an eviction) is recognised as stale instead of touching a newer pod.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PodKey {
    /// Slot in the pod table.
    pub index: u32,
    /// Generation of the slot when the pod was created.
    pub generation: u32,
}

/// Where a pod is in its life.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum PodPhase {
    /// Waiting for capacity (no node or micro-VM yet).
    Pending,
    /// Has capacity; micro-VM provisioning, image pull or container start under way.
    Starting,
    /// Containers running.
    Running,
    /// Containers exited successfully.
    Succeeded,
    /// Refused by admission (e.g. Fargate cannot run it); never runs.
    Rejected,
    /// Deleted by its controller (scale-down).
    Deleted,
    /// Evicted (preempted by a higher-priority pod).
    Evicted,
}

/// Which kind of capacity a pod runs on.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CapacityKind {
    /// An EC2 node of a node group.
    Ec2,
    /// Its own Fargate micro-VM.
    Fargate,
}

/// A Fargate pod's micro-VM.
#[derive(Clone, Debug, PartialEq)]
pub struct FargatePlacement {
    /// Index of the profile in the scenario.
    pub profile: u32,
    /// Provisioned (billed) size.
    pub size: FargateSize,
    /// Zone index in the cluster's zones.
    pub zone: u32,
    /// $ per hour of this size (vCPU + memory + extra storage).
    pub rate_per_hour: f64,
}

/// One pod in the cluster.
///
/// The fields are in a fixed order (`repr(C)`), the small ones first: with the spec's
/// scheduling fields, which [`PodSpec`] puts first, they fill the first three cache lines of a
/// pod table slot, and a scale-down simulation, which visits thousands of pods per scan, reads
/// nothing else ([`PodTable::prefetch_head`]).
#[derive(Clone, Debug)]
#[repr(C)]
pub struct Pod {
    /// Deletion requested; it keeps its room until its grace period ends.
    pub terminating: bool,
    /// Current phase.
    pub phase: PodPhase,
    /// EC2 or Fargate, once decided at admission.
    pub capacity: Option<CapacityKind>,
    /// Why it is being removed (engine detail: `Removal` as a number).
    pub removal: Option<crate::sim::engine::Removal>,
    /// Scheduling equivalence class (a [`crate::scheduler::queue::PodClasses`] number) of an
    /// EC2 pod, set at admission; `u32::MAX` until then and for Fargate pods.
    pub class: u32,
    /// The image as a number the run gives each distinct image, set at admission (node image
    /// caches key on it).
    pub image: u32,
    /// Failed scheduling cycles so far (drives the backoff).
    pub attempts: u32,
    /// The node, for EC2 pods that are bound.
    pub node: Option<NodeId>,
    /// nominatedNodeName: the node it preempted pods on and waits for.
    pub nominated: Option<super::node::NodeId>,
    /// Index of the controller that owns it, if any ([`Pod::controller`] as a `usize`).
    pub controller: Option<u32>,
    /// Queue timestamp: when the pod was queued, or re-queued after its last failed cycle.
    pub queued_at: SimTime,
    /// Arrival order over the whole run; ties in every queue are broken by it.
    pub arrival_seq: u64,
    /// What the workload asked for.
    pub spec: PodSpec,
    /// When it was bound to a node or micro-VM.
    pub scheduled: MaybeTime,
    /// When the image pull started (the start of Fargate billing).
    pub pull_start: MaybeTime,
    /// When containers started.
    pub running: MaybeTime,
    /// When containers exited.
    pub finished: MaybeTime,
    /// Why it is pending or was rejected, in kube-scheduler's words.
    pub reason: Option<Box<str>>,
    /// The micro-VM, for Fargate pods.
    pub fargate: Option<FargatePlacement>,
}

impl Pod {
    /// Index of the controller that owns it, if any.
    pub fn controller(&self) -> Option<usize> {
        self.controller.map(|c| c as usize)
    }

    /// The pod's place in the scheduling queue order.
    pub fn queue_entry(&self, key: PodKey) -> crate::scheduler::queue::QueueEntry {
        crate::scheduler::queue::QueueEntry {
            key,
            priority: self.spec.priority,
            queued_ms: self.queued_at.0,
            arrival_seq: self.arrival_seq,
        }
    }

    /// A freshly submitted pod.
    pub fn new(spec: PodSpec, arrival_seq: u64) -> Pod {
        let spec_submit = spec.submit;
        Pod {
            spec,
            arrival_seq,
            phase: PodPhase::Pending,
            capacity: None,
            node: None,
            fargate: None,
            scheduled: MaybeTime::NONE,
            pull_start: MaybeTime::NONE,
            running: MaybeTime::NONE,
            finished: MaybeTime::NONE,
            reason: None,
            attempts: 0,
            queued_at: spec_submit,
            controller: None,
            terminating: false,
            nominated: None,
            removal: None,
            class: u32::MAX,
            image: u32::MAX,
        }
    }

    /// The outcome column of pods.csv. A pod that has capacity but whose containers have not
    /// started yet counts as `running` (it holds capacity and, on Fargate, is billed).
    pub fn outcome(&self) -> &'static str {
        match self.phase {
            PodPhase::Pending => "pending",
            PodPhase::Starting | PodPhase::Running => "running",
            PodPhase::Succeeded => "succeeded",
            PodPhase::Rejected => "rejected",
            PodPhase::Deleted => "deleted",
            PodPhase::Evicted => "evicted",
        }
    }
}

/// A table of live pods with O(1) insert, lookup and removal, and stable handles.
#[derive(Debug, Default)]
pub struct PodTable {
    slots: Vec<(u32, Option<Pod>)>,
    free: Vec<u32>,
    live: usize,
}

impl PodTable {
    /// Stores a pod and returns its handle.
    pub fn insert(&mut self, pod: Pod) -> PodKey {
        self.live += 1;
        if let Some(index) = self.free.pop() {
            // The slot after this one is fetched while the next pod is being read: a burst of
            // arrivals takes slots freed long ago, each of which would otherwise miss the cache.
            prefetch_slot(self.free.last().and_then(|&i| self.slots.get(i as usize)));
            let slot = &mut self.slots[index as usize];
            slot.0 = slot.0.wrapping_add(1);
            slot.1 = Some(pod);
            PodKey {
                index,
                generation: slot.0,
            }
        } else {
            let index = self.slots.len() as u32;
            self.slots.push((0, Some(pod)));
            PodKey {
                index,
                generation: 0,
            }
        }
    }

    /// The pod behind a handle, if it is still live.
    pub fn get(&self, key: PodKey) -> Option<&Pod> {
        match self.slots.get(key.index as usize) {
            Some((g, Some(p))) if *g == key.generation => Some(p),
            _ => None,
        }
    }

    /// Mutable access to a live pod.
    pub fn get_mut(&mut self, key: PodKey) -> Option<&mut Pod> {
        match self.slots.get_mut(key.index as usize) {
            Some((g, Some(p))) if *g == key.generation => Some(p),
            _ => None,
        }
    }

    /// Asks the CPU to bring a pod's record into the cache (a hint: nothing is read, a stale
    /// key is harmless). A replay with tens of thousands of pods in flight touches each pod's
    /// record once per event, far apart in time, so every touch would otherwise wait on memory.
    #[inline]
    pub fn prefetch(&self, key: PodKey) {
        prefetch_slot(self.slots.get(key.index as usize));
    }

    /// Like [`PodTable::prefetch`], but only the slot's first three cache lines: the pod's own
    /// small fields (`Pod` puts them first) and the spec's scheduling fields (`PodSpec` puts
    /// them first), all a scale-down simulation reads. Fewer lines in flight let it fetch
    /// further ahead.
    #[inline]
    pub fn prefetch_head(&self, key: PodKey) {
        #[cfg(target_arch = "x86_64")]
        if let Some(slot) = self.slots.get(key.index as usize) {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            let p = (slot as *const (u32, Option<Pod>)).cast::<i8>();
            for line in [0, 64, 128] {
                // SAFETY: a prefetch is a hint that never faults and reads nothing the program
                // sees; `p + line` lies inside the slot (424 bytes).
                unsafe { _mm_prefetch::<_MM_HINT_T0>(p.add(line)) };
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = key;
    }

    /// For step `i` of a walk over `keys`: [`PodTable::prefetch_head`] of the pod four steps
    /// ahead (and at the first step, of the first four), so that each record is on its way
    /// well before its turn.
    #[inline]
    pub fn prefetch_walk(&self, keys: &[PodKey], i: usize) {
        const AHEAD: usize = 4;
        if i == 0 {
            for &k in keys.iter().take(AHEAD) {
                self.prefetch_head(k);
            }
        }
        if let Some(&k) = keys.get(i + AHEAD) {
            self.prefetch_head(k);
        }
    }

    /// Removes a pod and frees its slot.
    pub fn remove(&mut self, key: PodKey) -> Option<Pod> {
        self.vacate(key).and_then(Option::take)
    }

    /// Removes a pod and drops its record where it lies (what `remove` returns is a move of
    /// the whole record, which a caller done with the pod does not need). False when the
    /// handle is stale.
    pub fn discard(&mut self, key: PodKey) -> bool {
        self.vacate(key).map(|slot| *slot = None).is_some()
    }

    /// Frees a live pod's slot (the pod still in it, for the caller to take or drop); `None`
    /// when the handle is stale.
    fn vacate(&mut self, key: PodKey) -> Option<&mut Option<Pod>> {
        match self.slots.get_mut(key.index as usize) {
            Some((g, slot @ Some(_))) if *g == key.generation => {
                self.free.push(key.index);
                self.live -= 1;
                Some(slot)
            }
            _ => None,
        }
    }

    /// Number of live pods.
    pub fn len(&self) -> usize {
        self.live
    }

    /// True when no pod is live.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Every live pod with its handle, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (PodKey, &Pod)> {
        self.slots.iter().enumerate().filter_map(|(i, (g, p))| {
            p.as_ref().map(|p| {
                (
                    PodKey {
                        index: i as u32,
                        generation: *g,
                    },
                    p,
                )
            })
        })
    }
}

/// Prefetches every cache line of a slot (the handlers read and write fields all over it).
#[inline(always)]
fn prefetch_slot(slot: Option<&(u32, Option<Pod>)>) {
    #[cfg(target_arch = "x86_64")]
    if let Some(slot) = slot {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let p = (slot as *const (u32, Option<Pod>)).cast::<i8>();
        for line in (0..size_of::<(u32, Option<Pod>)>()).step_by(64) {
            // SAFETY: a prefetch is a hint that never faults and reads nothing the program
            // sees; `p + line` lies inside the slot anyway.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(p.add(line)) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = slot;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::resources::Resources;

    /// A pod record is read on every event of its pod and millions are written per run: a
    /// field that grows it should be a decision (it was 416 bytes before times, controller,
    /// Fargate indices and reason were narrowed and the spec's selector and tolerations shared).
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn a_pod_record_stays_small() {
        assert_eq!(std::mem::size_of::<Pod>(), 344);
    }

    fn spec() -> PodSpec {
        PodSpec {
            submit: SimTime::ZERO,
            name: "p".into(),
            namespace: "default".into(),
            group: String::new().into(),
            labels: vec![].into(),
            requests: Resources::pod(1, 1, 0),
            ephemeral_mib: 0,
            duration: None,
            priority: 0,
            image: "i".into(),
            node_selector: Default::default(),
            tolerations: Default::default(),
            privileged: false,
            host_network: false,
            ..Default::default()
        }
    }

    #[test]
    fn stale_handles_do_not_reach_new_pods() {
        let mut t = PodTable::default();
        let a = t.insert(Pod::new(spec(), 0));
        assert!(t.remove(a).is_some());
        let b = t.insert(Pod::new(spec(), 1));
        assert_eq!(a.index, b.index);
        assert!(t.get(a).is_none());
        assert_eq!(t.get(b).unwrap().arrival_seq, 1);
        assert_eq!(t.len(), 1);
        assert!(t.remove(a).is_none());
    }

    #[test]
    fn discard_frees_the_slot_and_ignores_stale_handles() {
        let mut t = PodTable::default();
        let a = t.insert(Pod::new(spec(), 0));
        let b = t.insert(Pod::new(spec(), 1));
        assert!(t.discard(a));
        assert!(!t.discard(a), "a stale handle discards nothing");
        assert!(t.get(a).is_none());
        assert_eq!(t.len(), 1);
        // The freed slot is taken again, under a new generation.
        let c = t.insert(Pod::new(spec(), 2));
        assert_eq!(c.index, a.index);
        assert!(!t.discard(a));
        assert_eq!(t.get(c).unwrap().arrival_seq, 2);
        assert_eq!(t.get(b).unwrap().arrival_seq, 1);
        assert_eq!(t.len(), 2);
    }
}
