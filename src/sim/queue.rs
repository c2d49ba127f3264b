//! The future event list, ordered by `(time, seq)`. `seq` is assigned at insertion, so events
//! scheduled for the same instant run first-in first-out, exactly as SimPy orders its
//! `(time, priority, eid)` entries. Nothing about the order depends on memory addresses or hashes.
//!
//! Two stores with the same order: a binary heap while the queue is small (fastest there), and
//! a radix queue on time ([`super::radix::RadixQueue`]) once it holds more than [`LARGE`]
//! events. Simulated time never goes back, so every new event is at or after the last popped
//! one — the monotone case radix queues are made for: O(1) pushes, amortised O(log of the time
//! distance) pops and far fewer cache misses than a binary heap of 100,000 events (a
//! Fargate-only replay keeps that many micro-VMs in flight). The queue moves back below
//! [`SMALL`] events.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::radix::RadixQueue;
use super::time::SimTime;

/// Above this many events the queue moves to the radix queue.
pub const LARGE: usize = 16_384;
/// Below this many events it moves back to the binary heap.
pub const SMALL: usize = 4_096;

/// (time, seq) as one integer.
#[inline]
fn key(time: SimTime, seq: u64) -> u128 {
    (u128::from(time.0) << 64) | u128::from(seq)
}

#[inline]
fn time_of(key: u128) -> SimTime {
    SimTime((key >> 64) as u64)
}

#[inline]
fn seq_of(key: u128) -> u64 {
    key as u64
}

/// One pending event of the binary heap with its ordering key.
struct Entry<E> {
    key: u128,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    // Reversed: BinaryHeap is a max-heap and we want the earliest (time, seq) on top.
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        other.key.cmp(&self.key)
    }
}

/// A deterministic priority queue of events keyed by `(time, insertion order)`.
pub struct EventQueue<E> {
    /// The store while small.
    small: BinaryHeap<Entry<E>>,
    /// The store while large. It accepts only times at or after the last one taken out of it
    /// or looked at.
    large: RadixQueue<E>,
    is_large: bool,
    /// Events the radix queue cannot take because they come before its floor: one pushed after
    /// a peek but before the peeked event (the engine never does that), or one in the past (an
    /// engine bug, which the engine reports when it pops it). Usually empty.
    aside: Vec<(u128, E)>,
    /// The last key popped.
    last: u128,
    next_seq: u64,
}

impl<E> std::fmt::Debug for EventQueue<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventQueue")
            .field("len", &self.len())
            .field("large", &self.is_large)
            .field("next_seq", &self.next_seq)
            .finish()
    }
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        EventQueue {
            small: BinaryHeap::new(),
            large: RadixQueue::new_at(0),
            is_large: false,
            aside: Vec::new(),
            last: 0,
            next_seq: 0,
        }
    }

    /// Schedules `event` at `time`; ties with already queued events at the same time run after
    /// them.
    #[inline]
    pub fn push(&mut self, time: SimTime, event: E) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let k = key(time, seq);
        if !self.is_large {
            self.small.push(Entry { key: k, event });
            if self.small.len() > LARGE {
                self.grow();
            }
            return;
        }
        self.push_large(k, event);
    }

    #[inline]
    fn push_large(&mut self, k: u128, event: E) {
        let t = time_of(k).0;
        if t < self.large.floor() {
            self.aside.push((k, event));
        } else {
            self.large.push(t, seq_of(k), event);
        }
    }

    /// Moves every event into the radix queue (in key order: it keeps each time's events in
    /// the order they reach it).
    #[cold]
    fn grow(&mut self) {
        self.large = RadixQueue::new_at(time_of(self.last).0);
        self.is_large = true;
        let mut all = std::mem::take(&mut self.small).into_vec();
        all.sort_unstable_by_key(|e| e.key);
        for Entry { key, event } in all {
            self.push_large(key, event);
        }
    }

    /// Moves every event back into the binary heap.
    #[cold]
    fn shrink(&mut self) {
        let mut all: Vec<Entry<E>> = Vec::with_capacity(self.len());
        all.extend(
            self.aside
                .drain(..)
                .map(|(key, event)| Entry { key, event }),
        );
        while let Some((t, s, event)) = self.large.pop() {
            all.push(Entry {
                key: key(SimTime(t), s),
                event,
            });
        }
        self.small = BinaryHeap::from(all);
        self.is_large = false;
    }

    /// Index of the earliest event set aside, if any.
    fn earliest_aside(&self) -> Option<usize> {
        (0..self.aside.len()).min_by_key(|&i| self.aside[i].0)
    }

    /// The key of the radix queue's earliest event.
    #[inline]
    fn large_front(&mut self) -> Option<u128> {
        self.large.peek().map(|(t, s, _)| key(SimTime(t), s))
    }

    /// Removes and returns the earliest event.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        if !self.is_large {
            let Entry { key, event } = self.small.pop()?;
            self.last = key;
            return Some((time_of(key), event));
        }
        let (k, e) = self.pop_large()?;
        self.last = self.last.max(k);
        if self.len() < SMALL {
            self.shrink();
        }
        Some((time_of(k), e))
    }

    fn pop_large(&mut self) -> Option<(u128, E)> {
        if !self.aside.is_empty() {
            let i = self.earliest_aside().expect("non-empty");
            if self.large_front().is_none_or(|fk| self.aside[i].0 < fk) {
                return Some(self.aside.swap_remove(i));
            }
        }
        self.large.pop().map(|(t, s, e)| (key(SimTime(t), s), e))
    }

    /// Time of the earliest event without removing it from the queue's order.
    pub fn peek_time(&mut self) -> Option<SimTime> {
        if !self.is_large {
            return self.small.peek().map(|e| time_of(e.key));
        }
        let front = self.large_front();
        let aside = self.earliest_aside().map(|i| self.aside[i].0);
        let k = match (front, aside) {
            (Some(f), Some(a)) => f.min(a),
            (f, a) => f.or(a)?,
        };
        Some(time_of(k))
    }

    /// The earliest event without removing it (what [`EventQueue::pop`] would return next),
    /// so the caller can fetch what it will need ahead of time.
    #[inline]
    pub fn peek(&mut self) -> Option<&E> {
        if !self.is_large {
            return self.small.peek().map(|e| &e.event);
        }
        let front = self.large_front();
        match (front, self.earliest_aside()) {
            (Some(fk), Some(i)) if self.aside[i].0 < fk => Some(&self.aside[i].1),
            (None, Some(i)) => Some(&self.aside[i].1),
            _ => self.large.peek().map(|(_, _, e)| e),
        }
    }

    /// Number of queued events.
    pub fn len(&self) -> usize {
        self.small.len() + self.large.len() + self.aside.len()
    }

    /// True when nothing is scheduled.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_time_then_insertion_order() {
        let mut q = EventQueue::new();
        q.push(SimTime(10), "c");
        q.push(SimTime(5), "a");
        q.push(SimTime(10), "d");
        q.push(SimTime(5), "b");
        q.push(SimTime(0), "z");
        let order: Vec<_> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, vec!["z", "a", "b", "c", "d"]);
    }

    #[test]
    fn peek_reports_earliest_time() {
        let mut q = EventQueue::new();
        assert_eq!(q.peek_time(), None);
        q.push(SimTime(7), 1);
        q.push(SimTime(3), 2);
        assert_eq!(q.peek_time(), Some(SimTime(3)));
        assert_eq!(q.len(), 2);
        // An event earlier than the peeked one still comes first.
        q.push(SimTime(2), 3);
        assert_eq!(q.peek_time(), Some(SimTime(2)));
        assert_eq!(q.pop(), Some((SimTime(2), 3)));
        assert_eq!(q.pop(), Some((SimTime(3), 2)));
        // Pushed after popping time 3 at time 3: runs after nothing earlier, FIFO at 7.
        q.push(SimTime(3), 4);
        q.push(SimTime(7), 5);
        assert_eq!(q.pop(), Some((SimTime(3), 4)));
        assert_eq!(q.pop(), Some((SimTime(7), 1)));
        assert_eq!(q.pop(), Some((SimTime(7), 5)));
        assert!(q.is_empty());
    }

    #[test]
    fn an_event_in_the_past_is_handed_out_first_instead_of_panicking() {
        let mut q = EventQueue::new();
        q.push(SimTime(10), "a");
        q.push(SimTime(20), "b");
        assert_eq!(q.pop(), Some((SimTime(10), "a")));
        q.push(SimTime(5), "late");
        assert_eq!(q.peek_time(), Some(SimTime(5)));
        assert_eq!(q.pop(), Some((SimTime(5), "late")));
        assert_eq!(q.pop(), Some((SimTime(20), "b")));
    }

    #[test]
    fn the_radix_store_also_hands_out_past_and_pre_peek_events_first() {
        let mut q = EventQueue::new();
        for i in 0..(LARGE as u64 + 10) {
            q.push(SimTime(100 + i), i);
        }
        assert!(q.is_large);
        assert_eq!(q.pop(), Some((SimTime(100), 0)));
        q.push(SimTime(50), 999); // in the past
        assert_eq!(q.peek_time(), Some(SimTime(50)));
        assert_eq!(q.peek(), Some(&999));
        assert_eq!(q.pop(), Some((SimTime(50), 999)));
        assert_eq!(q.peek_time(), Some(SimTime(101)));
        assert_eq!(q.peek(), Some(&1));
        q.push(SimTime(100), 1000); // after the peek, before the peeked event
        assert_eq!(q.peek(), Some(&1000));
        assert_eq!(q.pop(), Some((SimTime(100), 1000)));
        assert_eq!(q.pop(), Some((SimTime(101), 1)));
    }

    #[test]
    fn matches_a_sorted_reference_through_both_stores() {
        // Random pushes at or after the current time, interleaved with peeks and pops: first
        // growing past LARGE (radix queue), then draining below SMALL (binary heap again). The
        // same order as sorting by (time, insertion).
        let mut q = EventQueue::new();
        let mut reference: std::collections::BTreeSet<(u64, u64)> = Default::default();
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut now = 0u64;
        let mut was_large = false;
        for id in 0..120_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let pop = if id < 60_000 {
                x.is_multiple_of(4)
            } else {
                !x.is_multiple_of(4)
            };
            if id < 100_000 {
                let t = now + x % 1_000;
                q.push(SimTime(t), id);
                reference.insert((t, id));
            }
            if x.is_multiple_of(7) {
                assert_eq!(
                    q.peek_time().map(|t| t.0),
                    reference.first().map(|&(t, _)| t)
                );
            }
            if x.is_multiple_of(5) {
                assert_eq!(q.peek().copied(), reference.first().map(|&(_, id)| id));
            }
            if pop && let Some((t, id)) = q.pop() {
                assert_eq!(Some((t.0, id)), reference.pop_first());
                now = t.0;
            }
            was_large |= q.is_large;
            assert_eq!(q.len(), reference.len());
        }
        assert!(was_large, "the test reaches the radix queue");
        while let Some((t, id)) = q.pop() {
            assert_eq!(Some((t.0, id)), reference.pop_first());
        }
        assert!(!q.is_large, "and leaves it");
        assert!(reference.is_empty());
    }
}
