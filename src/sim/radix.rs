//! A monotone radix queue on integer time with first-in first-out ties: the large store of
//! [`super::queue::EventQueue`].
//!
//! Why not a general radix heap: the event queue's keys are (time, insertion number), unique,
//! so a heap keyed on both reorganises a bucket on every pop (thousands of events share one
//! millisecond in a burst), and the crate we used scanned all 129 of its buckets to find the
//! first non-empty one each time. Here buckets are keyed on time alone (65 of them, a bit mask
//! says which hold events) and events of one time leave in the order they came: every bucket
//! keeps its events in insertion order (a bucket is only ever refilled while empty, from one
//! bucket above it, in that bucket's order, and pushes append later insertion numbers), so the
//! events that reach bucket 0 are already in order.

use std::collections::VecDeque;

/// Events at or after a floor time, taken out earliest first and, at one time, in push order.
/// Pushing an event before the floor is the caller's error (the event queue sets such events
/// aside instead).
#[derive(Debug)]
pub struct RadixQueue<E> {
    /// Every queued time is at or after it; bucket 0 holds the events at exactly this time.
    floor: u64,
    /// Bucket 0: (insertion number, event) at the floor time, in insertion order.
    zero: VecDeque<(u64, E)>,
    /// Bucket `b + 1` (index `b`): events whose time first differs from the floor at bit `b`.
    buckets: Vec<Vec<(u64, u64, E)>>,
    /// Bit `b` set when `buckets[b]` holds events.
    nonempty: u64,
    len: usize,
}

impl<E> RadixQueue<E> {
    /// An empty queue accepting times from `floor` on.
    pub fn new_at(floor: u64) -> Self {
        RadixQueue {
            floor,
            zero: VecDeque::new(),
            buckets: (0..64).map(|_| Vec::new()).collect(),
            nonempty: 0,
            len: 0,
        }
    }

    /// The earliest time it accepts: the time of the last event taken out or looked at.
    pub fn floor(&self) -> u64 {
        self.floor
    }

    /// Number of queued events.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Queues `event` at `time` (at or after [`RadixQueue::floor`]) with its insertion number
    /// `seq`, which must exceed every number pushed before.
    #[inline]
    pub fn push(&mut self, time: u64, seq: u64, event: E) {
        debug_assert!(time >= self.floor, "radix queue: time before the floor");
        self.len += 1;
        if time == self.floor {
            self.zero.push_back((seq, event));
            return;
        }
        let b = 63 - (time ^ self.floor).leading_zeros() as usize;
        self.buckets[b].push((time, seq, event));
        self.nonempty |= 1 << b;
    }

    /// The earliest event as (time, insertion number, event), without taking it out (its time
    /// becomes the floor).
    #[inline]
    pub fn peek(&mut self) -> Option<(u64, u64, &E)> {
        if self.zero.is_empty() {
            self.refill_zero();
        }
        let floor = self.floor;
        self.zero.front().map(|(s, e)| (floor, *s, e))
    }

    /// Takes out the earliest event as (time, insertion number, event).
    #[inline]
    pub fn pop(&mut self) -> Option<(u64, u64, E)> {
        if self.zero.is_empty() {
            self.refill_zero();
        }
        let (s, e) = self.zero.pop_front()?;
        self.len -= 1;
        Some((self.floor, s, e))
    }

    /// With bucket 0 empty: moves the floor to the earliest time of the lowest non-empty
    /// bucket and spreads that bucket over the buckets below it, in its order.
    #[cold]
    fn refill_zero(&mut self) {
        if self.nonempty == 0 {
            return;
        }
        let b = self.nonempty.trailing_zeros() as usize;
        let mut from = std::mem::take(&mut self.buckets[b]);
        self.nonempty &= !(1 << b);
        let floor = from
            .iter()
            .map(|&(t, _, _)| t)
            .min()
            .expect("non-empty bucket");
        self.floor = floor;
        for (t, s, e) in from.drain(..) {
            if t == floor {
                self.zero.push_back((s, e));
            } else {
                let c = 63 - (t ^ floor).leading_zeros() as usize;
                debug_assert!(c < b, "radix queue: an event did not move down");
                self.buckets[c].push((t, s, e));
                self.nonempty |= 1 << c;
            }
        }
        // Keep the emptied bucket's allocation for its next events.
        self.buckets[b] = from;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_events_out_by_time_then_push_order() {
        let mut q = RadixQueue::new_at(10);
        let times = [15u64, 10, 1000, 15, 12, 10, 1 << 40, 12, 15];
        for (seq, &t) in times.iter().enumerate() {
            q.push(t, seq as u64, seq);
        }
        assert_eq!(q.len(), times.len());
        let mut expect: Vec<(u64, u64, usize)> = times
            .iter()
            .enumerate()
            .map(|(s, &t)| (t, s as u64, s))
            .collect();
        expect.sort();
        let mut got = Vec::new();
        while let Some(x) = q.pop() {
            got.push(x);
        }
        assert_eq!(got, expect);
        assert_eq!(q.len(), 0);
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn matches_a_sorted_reference_with_pushes_between_pops() {
        // Pushes at or after the floor (many at the floor itself, as a burst does), peeks and
        // pops interleaved: the order is that of sorting by (time, insertion).
        let mut q = RadixQueue::new_at(0);
        let mut reference = std::collections::BTreeSet::new();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut seq = 0u64;
        for step in 0..200_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if step < 150_000 && !x.is_multiple_of(3) {
                let t = q.floor()
                    + match x % 4 {
                        0 => 0,
                        1 => x % 5,
                        2 => x % 1_000,
                        _ => x % 10_000_000,
                    };
                q.push(t, seq, seq);
                reference.insert((t, seq));
                seq += 1;
            }
            if x.is_multiple_of(5) {
                assert_eq!(
                    q.peek().map(|(t, s, &e)| (t, s, e)),
                    reference.first().map(|&(t, s)| (t, s, s))
                );
            }
            if x.is_multiple_of(2) {
                assert_eq!(
                    q.pop(),
                    reference.pop_first().map(|(t, s)| (t, s, s)),
                    "step {step}"
                );
            }
            assert_eq!(q.len(), reference.len());
        }
        while let Some(got) = q.pop() {
            assert_eq!(Some(got), reference.pop_first().map(|(t, s)| (t, s, s)));
        }
        assert!(reference.is_empty());
    }
}
