//! The scheduling queue: activeQ (priority, then arrival), backoffQ (pods waiting out their
//! backoff), and two pools of unschedulable pods, as kube-scheduler keeps them.
//!
//! Pods that failed only for reasons a node event can change (resources, taints, selectors) wait
//! in a pool grouped into equivalence classes (same requests, nodeSelector, tolerations, priority,
//! namespace, labels and constraints: pods the filters cannot tell apart).
//!
//! Why classes: when capacity frees up on one node, only that node changed, so only pods that fit
//! on that node can move. Checking one representative per class instead of every pending pod
//! keeps a burst of 40,000 identical pending pods from making each pod completion cost 40,000
//! filter calls (the quadratic collapse other simulators show on the Alibaba trace). Pods leave
//! the pool in priority order, then arrival order, as kube-scheduler's activeQ orders them.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, VecDeque};
use std::ops::Bound;

use crate::cluster::pod::PodKey;
use crate::cluster::resources::Resources;
use crate::cluster::taints::Toleration;
use crate::workload::{PodConstraints, PodSpec, SharedLabels, SharedStr};
use std::sync::Arc;

/// What makes two pods interchangeable for the filters.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ClassKey {
    /// Pod priority (order, not feasibility, but keeps each class FIFO).
    pub priority: i32,
    /// Requests.
    pub requests: Resources,
    /// Ephemeral storage request.
    pub ephemeral_mib: u64,
    /// nodeSelector.
    pub node_selector: Arc<[(String, String)]>,
    /// Tolerations.
    pub tolerations: Arc<[Toleration]>,
    /// Namespace (other pods' anti-affinity terms select by namespace).
    pub namespace: SharedStr,
    /// Labels (other pods' anti-affinity terms select by labels).
    pub labels: SharedLabels,
    /// Affinity and spread.
    pub constraints: Arc<PodConstraints>,
}

impl ClassKey {
    /// The class of a pod.
    pub fn of(pod: &PodSpec) -> ClassKey {
        ClassKey {
            priority: pod.priority,
            requests: pod.requests,
            ephemeral_mib: pod.ephemeral_mib,
            node_selector: pod.node_selector.clone(),
            tolerations: pod.tolerations.clone(),
            namespace: pod.namespace.clone(),
            labels: pod.labels.clone(),
            constraints: pod.constraints.clone(),
        }
    }

    /// True when `pod` is of this class; compares in place, without building a key.
    fn matches(&self, pod: &PodSpec) -> bool {
        self.priority == pod.priority
            && self.requests == pod.requests
            && self.ephemeral_mib == pod.ephemeral_mib
            && Arc::ptr_eq(&self.constraints, &pod.constraints)
            && self.namespace == pod.namespace
            && self.node_selector == pod.node_selector
            && self.tolerations == pod.tolerations
            && self.labels == pod.labels
    }
}

/// Numbers the equivalence classes of the pods a run sees, in order of first sight, so the
/// queue and the autoscaler key on a `u32` instead of cloning and comparing a [`ClassKey`]
/// per pod (a scale-down scan meets every pod on every candidate node).
#[derive(Debug, Default)]
pub struct PodClasses {
    ids: BTreeMap<ClassKey, u32>,
    /// The class of the last pod looked up: pods of one job or template arrive in runs.
    last: Option<(ClassKey, u32)>,
}

impl PodClasses {
    /// The class number of a pod (a new number for a class not seen before).
    pub fn id_of(&mut self, pod: &PodSpec) -> u32 {
        if let Some((key, id)) = &self.last
            && key.matches(pod)
        {
            return *id;
        }
        let key = ClassKey::of(pod);
        let next = self.ids.len() as u32;
        let id = *self.ids.entry(key.clone()).or_insert(next);
        self.last = Some((key, id));
        id
    }

    /// Number of classes seen so far.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True before the first pod.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

type Head = (Reverse<i32>, u64, u32);

/// Unschedulable pods, by class, ordered by (priority desc, arrival).
#[derive(Debug, Default)]
pub struct PendingPool {
    members: Vec<VecDeque<(u64, PodKey)>>,
    priorities: Vec<i32>,
    heads: BTreeSet<Head>,
    len: usize,
}

impl PendingPool {
    /// Adds a pod of class `class` (from [`PodClasses`]) that failed to schedule.
    /// `arrival_seq` orders pods of equal priority.
    pub fn push(&mut self, class: u32, priority: i32, key: PodKey, arrival_seq: u64) {
        let id = class;
        if self.members.len() <= id as usize {
            self.members.resize_with(id as usize + 1, VecDeque::new);
            self.priorities.resize(id as usize + 1, 0);
        }
        self.priorities[id as usize] = priority;
        let q = &mut self.members[id as usize];
        if q.is_empty() {
            self.heads.insert((Reverse(priority), arrival_seq, id));
        }
        q.push_back((arrival_seq, key));
        self.len += 1;
    }

    /// True when a pod of this class is already waiting: then the new pod cannot fit anywhere
    /// either (the pool holds only pods that fit nowhere), and its full scan can be skipped.
    /// Dead members (deleted pods, `is_live` false) at the head are dropped on the way.
    pub fn has_waiting_class(&mut self, class: u32, is_live: impl Fn(PodKey) -> bool) -> bool {
        let id = class;
        let Some(q) = self.members.get_mut(id as usize) else {
            return false;
        };
        while let Some(&(seq, k)) = q.front() {
            if is_live(k) {
                return true;
            }
            q.pop_front();
            self.len -= 1;
            self.heads
                .remove(&(Reverse(self.priorities[id as usize]), seq, id));
            if let Some(&(next, _)) = q.front() {
                self.heads
                    .insert((Reverse(self.priorities[id as usize]), next, id));
            }
        }
        false
    }

    /// Offers waiting pods, best first, to `try_place` (which takes the pod — reserving its room
    /// on the node — and returns true, or returns false if it does not fit). Call it after one
    /// node gained room: a class that does not fit is skipped for the rest of the pass, since the
    /// node only fills up as pods are taken.
    pub fn retry(&mut self, mut try_place: impl FnMut(PodKey) -> bool) {
        let mut cursor: Option<Head> = None;
        loop {
            let next = match cursor {
                None => self.heads.iter().next().copied(),
                Some(c) => self
                    .heads
                    .range((Bound::Excluded(c), Bound::Unbounded))
                    .next()
                    .copied(),
            };
            let Some(head) = next else { break };
            cursor = Some(head);
            let id = head.2 as usize;
            let Some(&(_, pod)) = self.members[id].front() else {
                continue;
            };
            if try_place(pod) {
                self.members[id].pop_front();
                self.heads.remove(&head);
                self.len -= 1;
                if let Some(&(seq, _)) = self.members[id].front() {
                    self.heads
                        .insert((Reverse(self.priorities[id]), seq, head.2));
                }
            }
        }
    }

    /// Number of waiting pods.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing waits.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Waiting pods in leave order (priority, then arrival), for the end-of-run report.
    pub fn pods_in_order(&self) -> Vec<PodKey> {
        let mut all: Vec<(Reverse<i32>, u64, PodKey)> = self
            .members
            .iter()
            .enumerate()
            .flat_map(|(id, q)| {
                q.iter()
                    .map(move |&(s, k)| (Reverse(self.priorities[id]), s, k))
            })
            .collect();
        all.sort();
        all.into_iter().map(|(_, _, k)| k).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::time::SimTime;

    fn pod(cpu: u64, prio: i32) -> PodSpec {
        PodSpec {
            submit: SimTime::ZERO,
            name: Default::default(),
            namespace: "default".into(),
            group: String::new().into(),
            labels: vec![].into(),
            requests: Resources::pod(cpu, 100, 0),
            ephemeral_mib: 0,
            duration: None,
            priority: prio,
            image: String::new().into(),
            node_selector: Default::default(),
            tolerations: Default::default(),
            privileged: false,
            host_network: false,
            ..Default::default()
        }
    }

    fn key(i: u32) -> PodKey {
        PodKey {
            index: i,
            generation: 0,
        }
    }

    #[test]
    fn retries_in_priority_then_arrival_order_and_skips_classes_that_do_not_fit() {
        let mut pool = PendingPool::default();
        let mut classes = PodClasses::default();
        let mut push = |p: PodSpec, k: u32| {
            pool.push(classes.id_of(&p), p.priority, key(k), k as u64);
        };
        push(pod(4000, 0), 0); // big, does not fit
        push(pod(500, 0), 1);
        push(pod(500, 0), 2);
        push(pod(500, 10), 3); // higher priority goes first
        assert!(pool.has_waiting_class(classes.id_of(&pod(500, 0)), |_| true));
        assert!(!pool.has_waiting_class(classes.id_of(&pod(600, 0)), |_| true));
        let mut room = 1000u64;
        let mut placed = vec![];
        let mut offered = vec![];
        pool.retry(|k| {
            offered.push(k.index);
            let cpu = if k.index == 0 { 4000 } else { 500 };
            if cpu <= room {
                room -= cpu;
                placed.push(k.index);
                true
            } else {
                false
            }
        });
        assert_eq!(placed, vec![3, 1]);
        // Each class is offered until it stops fitting; pod 2 is tried once and refused.
        assert_eq!(offered, vec![3, 0, 1, 2]);
        assert_eq!(pool.len(), 2);
        assert_eq!(pool.pods_in_order(), vec![key(0), key(2)]);
    }

    #[test]
    fn classes_are_numbered_in_order_of_first_sight() {
        let mut classes = PodClasses::default();
        let a = pod(500, 0);
        let mut b = pod(500, 0);
        b.labels = vec![("app".into(), "web".into())].into();
        assert_eq!(classes.id_of(&a), 0);
        assert_eq!(classes.id_of(&a), 0);
        assert_eq!(classes.id_of(&b), 1);
        assert_eq!(classes.id_of(&a), 0); // not the last one looked up: found in the map
        assert_eq!(classes.id_of(&pod(500, 1)), 2);
        let mut c = pod(500, 0);
        c.constraints = Arc::new((*a.constraints).clone());
        assert_eq!(
            classes.id_of(&c),
            0,
            "equal constraints in another allocation"
        );
        assert_eq!(classes.len(), 3);
    }

    fn entry(priority: i32, queued_ms: u64, arrival_seq: u64) -> QueueEntry {
        QueueEntry {
            key: key(arrival_seq as u32),
            priority,
            queued_ms,
            arrival_seq,
        }
    }

    #[test]
    fn active_q_pops_higher_priority_then_earlier_timestamp_then_arrival() {
        let mut q = SchedulingQueue::default();
        for e in [
            entry(0, 5, 3),
            entry(i32::MIN, 0, 0),
            entry(0, 5, 1),
            entry(-1, 0, 2),
            entry(i32::MAX, 9, 4),
            entry(0, 4, 5),
            entry(1000, (1 << 48) - 1, 6),
        ] {
            q.push_active(e);
        }
        let order: Vec<u32> = std::iter::from_fn(|| q.pop_active())
            .map(|k| k.index)
            .collect();
        assert_eq!(order, vec![4, 6, 5, 1, 3, 2, 0]);
    }

    proptest::proptest! {
        /// activeQ (a heap) pops exactly what an ordered set of the same pushes would, a pod
        /// pushed twice under one key included, with pops and backoff flushes interleaved.
        #[test]
        fn active_q_behaves_as_an_ordered_set(
            ops in proptest::collection::vec((0u8..4, 0u64..6, 0u64..8), 0..120),
        ) {
            let mut q = SchedulingQueue::default();
            let mut model: BTreeMap<ActiveKey, PodKey> = BTreeMap::new();
            let mut backing_off: Vec<QueueEntry> = Vec::new();
            for (op, ms, seq) in ops {
                // The arrival number names the pod, and a pod keeps its priority. With 8 pods
                // and 6 timestamps, one pod is often pushed twice under one key.
                let e = entry(seq as i32 % 3 - 1, ms, seq);
                match op {
                    0 | 1 => {
                        q.push_active(e);
                        model.insert(e.active_key(), e.key);
                    }
                    2 => {
                        q.push_backoff(e, ms);
                        backing_off.push(e);
                    }
                    _ => {
                        let want = model.pop_first().map(|(_, k)| k);
                        proptest::prop_assert_eq!(q.pop_active(), want);
                    }
                }
                if op == 1 {
                    q.flush_backoff(ms);
                    backing_off.retain(|b| {
                        if b.queued_ms <= ms {
                            model.insert(b.active_key(), b.key);
                            false
                        } else {
                            true
                        }
                    });
                }
            }
            while let Some(k) = q.pop_active() {
                proptest::prop_assert_eq!(Some(k), model.pop_first().map(|(_, k)| k));
            }
            proptest::prop_assert!(model.is_empty());
        }

        /// The packed key orders entries as upstream's (priority descending, timestamp,
        /// arrival) tuple does.
        #[test]
        fn packed_keys_order_as_the_tuple_does(
            a in (proptest::prelude::any::<i32>(), 0u64..1 << 48, 0u64..1 << 48),
            b in (proptest::prelude::any::<i32>(), 0u64..1 << 48, 0u64..1 << 48),
        ) {
            let (ea, eb) = (entry(a.0, a.1, a.2), entry(b.0, b.1, b.2));
            let tuple = |e: &QueueEntry| (Reverse(e.priority), e.queued_ms, e.arrival_seq);
            proptest::prop_assert_eq!(
                ea.active_key().cmp(&eb.active_key()),
                tuple(&ea).cmp(&tuple(&eb))
            );
        }
    }
}

/// Order of activeQ (upstream PrioritySort): higher priority first, then the earlier queue
/// timestamp (when the pod was added, or re-added after a failed cycle), then arrival. Packed
/// into one integer — the priority flipped so that higher comes first, then 48 bits each of
/// timestamp and arrival number — so the ordered maps compare one `u128` instead of a four-part
/// tuple (a third of a bursty replay's queue time went into those comparisons). Arrival numbers
/// are distinct, so two pods never share a key.
type ActiveKey = u128;

/// Queue timestamps (ms) and arrival numbers must stay below this to fit an [`ActiveKey`]:
/// 8,900 years of virtual time (horizons are at most two) and 2.8 × 10^14 pods.
const ACTIVE_KEY_FIELD_LIMIT: u64 = 1 << 48;

/// activeQ and backoffQ, plus the pool of pods whose failure depends on other pods (topology
/// spread, inter-pod affinity), which any pod event may resolve.
#[derive(Debug, Default)]
pub struct SchedulingQueue {
    /// A binary heap: activeQ is only pushed and popped, and a heap push costs a fraction of an
    /// ordered-map insert (ali100k pushes 441 k times into a queue of up to 15 k pods).
    active: BinaryHeap<Reverse<ActiveEntry>>,
    /// By (expiry ms, queue order).
    backoff: BTreeMap<(u64, ActiveKey), PodKey>,
    /// Unschedulable for reasons only node events change, by class.
    pub pool: PendingPool,
    /// The pod and its queue timestamp.
    pod_dependent: BTreeMap<ActiveKey, (PodKey, u64)>,
}

/// An activeQ entry, ordered by its key alone (equal keys are one pod: arrival numbers are
/// distinct).
#[derive(Copy, Clone, Debug)]
struct ActiveEntry {
    key: ActiveKey,
    pod: PodKey,
}

impl PartialEq for ActiveEntry {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for ActiveEntry {}

impl PartialOrd for ActiveEntry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ActiveEntry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key.cmp(&other.key)
    }
}

/// Where a pod stands in the queue order.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct QueueEntry {
    /// The pod.
    pub key: PodKey,
    /// Its priority.
    pub priority: i32,
    /// Queue timestamp, ms.
    pub queued_ms: u64,
    /// Arrival order.
    pub arrival_seq: u64,
}

impl QueueEntry {
    fn active_key(&self) -> ActiveKey {
        assert!(
            self.queued_ms < ACTIVE_KEY_FIELD_LIMIT && self.arrival_seq < ACTIVE_KEY_FIELD_LIMIT,
            "queue timestamp {} ms or arrival {} past 2^48",
            self.queued_ms,
            self.arrival_seq
        );
        // Higher priority first: i32::MAX maps to 0, i32::MIN to 2^32 - 1.
        let rank = (i64::from(i32::MAX) - i64::from(self.priority)) as u128;
        (rank << 96) | (u128::from(self.queued_ms) << 48) | u128::from(self.arrival_seq)
    }
}

impl SchedulingQueue {
    /// Adds a pod to activeQ.
    pub fn push_active(&mut self, e: QueueEntry) {
        self.active.push(Reverse(ActiveEntry {
            key: e.active_key(),
            pod: e.key,
        }));
    }

    /// Adds a pod to backoffQ until `expiry_ms`.
    pub fn push_backoff(&mut self, e: QueueEntry, expiry_ms: u64) {
        self.backoff.insert((expiry_ms, e.active_key()), e.key);
    }

    /// The highest-priority, earliest pod of activeQ.
    pub fn pop_active(&mut self) -> Option<PodKey> {
        let Reverse(first) = self.active.pop()?;
        // A pod pushed twice under the same key is queued once, as in upstream's set (and the
        // ordered map this was): its copies come out next to each other.
        while self
            .active
            .peek()
            .is_some_and(|Reverse(e)| e.key == first.key)
        {
            self.active.pop();
        }
        Some(first.pod)
    }

    /// True when activeQ is empty.
    pub fn active_is_empty(&self) -> bool {
        self.active.is_empty()
    }

    /// Earliest backoff expiry, if any pod is backing off.
    pub fn next_backoff_expiry(&self) -> Option<u64> {
        self.backoff.first_key_value().map(|((t, _), _)| *t)
    }

    /// Moves pods whose backoff has expired by `now_ms` to activeQ; returns how many.
    pub fn flush_backoff(&mut self, now_ms: u64) -> usize {
        let mut n = 0;
        while let Some((&(t, k), &key)) = self.backoff.first_key_value() {
            if t > now_ms {
                break;
            }
            self.backoff.pop_first();
            self.active.push(Reverse(ActiveEntry { key: k, pod: key }));
            n += 1;
        }
        n
    }

    /// Parks a pod whose failure depends on other pods.
    pub fn push_pod_dependent(&mut self, e: QueueEntry) {
        self.pod_dependent
            .insert(e.active_key(), (e.key, e.queued_ms));
    }

    /// Takes every pod-dependent pod parked at or before `older_than_ms` (all with `u64::MAX`).
    pub fn take_pod_dependent(&mut self, older_than_ms: u64) -> Vec<PodKey> {
        let keys: Vec<ActiveKey> = self
            .pod_dependent
            .iter()
            .filter(|(_, (_, since))| *since <= older_than_ms)
            .map(|(k, _)| *k)
            .collect();
        keys.iter()
            .filter_map(|k| self.pod_dependent.remove(k).map(|(key, _)| key))
            .collect()
    }

    /// Number of pod-dependent pods parked.
    pub fn pod_dependent_len(&self) -> usize {
        self.pod_dependent.len()
    }
}
