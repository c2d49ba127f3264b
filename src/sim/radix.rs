//! A monotone radix queue on integer time with first-in first-out ties: the large store of
//! [`super::queue::EventQueue`].
//!
//! Why not a general radix heap: the event queue's keys are (time, insertion number), unique,
//! so a heap keyed on both reorganises a bucket on every pop (thousands of events share one
//! millisecond in a burst), and the crate we used scanned all 129 of its buckets to find the
//! first non-empty one each time. Here buckets are keyed on time alone and events of one time
//! leave in the order they came: every bucket keeps its events in insertion order (a bucket is
//! only ever refilled while empty, from one bucket above it, in that bucket's order, and pushes
//! append later insertion numbers), so the events that reach bucket 0 are already in order.
//!
//! Buckets go by 6-bit digits rather than single bits (a level per digit, 64 buckets per level,
//! a bit mask per level): spreading a bucket moves each of its events down at least a whole
//! digit. Over the full Alibaba trace on Fargate, one bit per bucket moved every event 7.4 times
//! on average (56 M moves for 7.6 M events); 6-bit digits move it 3 times (23 M), for 3.5% fewer
//! instructions and 8% fewer first-level cache misses (cachegrind, first 3 h of the trace).

/// Bits of time per level: a bucket holds events whose time first differs from the floor in
/// one 6-bit digit, with one value of that digit. An event moves down at least one level each
/// time its bucket is spread, so an event an hour ahead (2^22 ms) moves at most 4 times; with
/// one bit per level it moved 7 times on average over the full Alibaba trace.
const DIGIT_BITS: u32 = 6;
/// Buckets per level (one bit of a level's mask each).
const DIGITS: usize = 1 << DIGIT_BITS;
/// Levels covering a 64-bit time.
const LEVELS: usize = 64_usize.div_ceil(DIGIT_BITS as usize);

/// Events at or after a floor time, taken out earliest first and, at one time, in push order.
/// Pushing an event before the floor is the caller's error (the event queue sets such events
/// aside instead).
#[derive(Debug)]
pub struct RadixQueue<E> {
    /// Every queued time is at or after it; bucket 0 holds the events at exactly this time.
    floor: u64,
    /// Bucket 0: the events at the floor time, in insertion order, from `head` on (a bucket
    /// of level 0 holds one time only, so it becomes bucket 0 by a swap, without a copy).
    zero: Vec<(u64, E)>,
    /// The next event of bucket 0 to take out.
    head: usize,
    /// Bucket `level * DIGITS + d`: events whose time first differs from the floor in digit
    /// `level` and has the value `d` there (above the floor's digit), in insertion order.
    buckets: Vec<Vec<(u64, E)>>,
    /// Bit `d` of `masks[level]` set when that bucket holds events.
    masks: [u64; LEVELS],
    /// Bit `level` set when `masks[level]` is not zero.
    levels: u32,
    len: usize,
}

impl<E: Copy> RadixQueue<E> {
    /// An empty queue accepting times from `floor` on.
    pub fn new_at(floor: u64) -> Self {
        RadixQueue {
            floor,
            zero: Vec::new(),
            head: 0,
            buckets: (0..LEVELS * DIGITS).map(|_| Vec::new()).collect(),
            masks: [0; LEVELS],
            levels: 0,
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

    /// Queues `event` at `time` (at or after [`RadixQueue::floor`]), after every event
    /// already queued at that time.
    #[inline]
    pub fn push(&mut self, time: u64, event: E) {
        debug_assert!(time >= self.floor, "radix queue: time before the floor");
        self.len += 1;
        if time == self.floor {
            self.zero.push((time, event));
            return;
        }
        self.place(time, event);
    }

    /// Puts an event after the floor into its bucket.
    #[inline(always)]
    fn place(&mut self, time: u64, event: E) {
        let level = level_of(time, self.floor);
        let digit = (time >> (level * DIGIT_BITS)) as usize & (DIGITS - 1);
        self.buckets[level as usize * DIGITS + digit].push((time, event));
        self.masks[level as usize] |= 1 << digit;
        self.levels |= 1 << level;
    }

    /// The earliest event as (time, event), without taking it out (its time becomes the
    /// floor).
    #[inline]
    pub fn peek(&mut self) -> Option<(u64, &E)> {
        if self.head == self.zero.len() {
            self.refill_zero();
        }
        let floor = self.floor;
        self.zero.get(self.head).map(|(_, e)| (floor, e))
    }

    /// Takes out the earliest event as (time, event).
    #[inline]
    pub fn pop(&mut self) -> Option<(u64, E)> {
        if self.head == self.zero.len() {
            self.refill_zero();
        }
        let &(_, e) = self.zero.get(self.head)?;
        self.head += 1;
        self.len -= 1;
        Some((self.floor, e))
    }

    /// With bucket 0 empty: moves the floor to the earliest time of the earliest bucket (the
    /// lowest level, then the lowest digit) and spreads that bucket over the levels below it,
    /// in its order. Those levels are empty, so every bucket stays in insertion order.
    #[cold]
    fn refill_zero(&mut self) {
        self.zero.clear();
        self.head = 0;
        if self.levels == 0 {
            return;
        }
        let level = self.levels.trailing_zeros() as usize;
        let digit = self.masks[level].trailing_zeros() as usize;
        self.masks[level] &= !(1 << digit);
        if self.masks[level] == 0 {
            self.levels &= !(1 << level);
        }
        if level == 0 {
            // Events that differ from the floor in the lowest digit only share one time: the
            // bucket becomes bucket 0 (which leaves its empty allocation in its place).
            let bucket = &mut self.buckets[digit];
            self.floor = bucket[0].0;
            std::mem::swap(&mut self.zero, bucket);
            release_if_large(bucket);
            return;
        }
        let mut from = std::mem::take(&mut self.buckets[level * DIGITS + digit]);
        self.floor = from
            .iter()
            .map(|&(t, _)| t)
            .min()
            .expect("non-empty bucket");
        for (t, e) in from.drain(..) {
            if t == self.floor {
                self.zero.push((t, e));
            } else {
                debug_assert!(
                    level_of(t, self.floor) < level as u32,
                    "radix queue: an event did not move down"
                );
                self.place(t, e);
            }
        }
        // Keep the emptied bucket's allocation for its next events, unless a burst made it big.
        release_if_large(&mut from);
        self.buckets[level * DIGITS + digit] = from;
    }
}

/// The level of an event at `time` above `floor`: the digit in which the two first differ.
#[inline(always)]
fn level_of(time: u64, floor: u64) -> u32 {
    (63 - (time ^ floor).leading_zeros()) / DIGIT_BITS
}

/// Entries an emptied bucket may keep room for. With 704 buckets, each keeping the room of
/// its largest burst, the full trace with the autoscaler peaked at 173 MB instead of 129 MB;
/// refilling a released bucket costs a few reallocations, once per burst.
const KEPT_ROOM: usize = 4096;

/// Frees an empty bucket's allocation if it is larger than [`KEPT_ROOM`].
#[inline]
fn release_if_large<T>(bucket: &mut Vec<T>) {
    debug_assert!(bucket.is_empty());
    if bucket.capacity() > KEPT_ROOM {
        *bucket = Vec::new();
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
            q.push(t, seq);
        }
        assert_eq!(q.len(), times.len());
        let mut expect: Vec<(u64, usize)> =
            times.iter().enumerate().map(|(s, &t)| (t, s)).collect();
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
    fn every_level_and_digit_comes_out_in_order() {
        // Times that first differ from the floor in each bit (so in every level, the top one
        // of 4 bits included) and with every digit value, pushed in a scrambled order.
        let floor = 3u64;
        let mut times: Vec<u64> = (0..64).map(|b| floor | (1u64 << b)).collect();
        times.extend((1..64u64).map(|d| floor + (d << 12)));
        times.extend([u64::MAX, u64::MAX - 1, floor, floor + 1]);
        let mut q = RadixQueue::new_at(floor);
        let n = times.len();
        for i in 0..n {
            let t = times[(i * 37) % n];
            q.push(t, t);
        }
        let mut got = Vec::new();
        while let Some((t, e)) = q.pop() {
            assert_eq!(t, e);
            got.push(t);
        }
        let mut want = times.clone();
        want.sort_unstable();
        assert_eq!(got, want);
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
                q.push(t, seq);
                reference.insert((t, seq));
                seq += 1;
            }
            if x.is_multiple_of(5) {
                assert_eq!(q.peek().map(|(t, &e)| (t, e)), reference.first().copied());
            }
            if x.is_multiple_of(2) {
                assert_eq!(q.pop(), reference.pop_first(), "step {step}");
            }
            assert_eq!(q.len(), reference.len());
        }
        while let Some(got) = q.pop() {
            assert_eq!(Some(got), reference.pop_first());
        }
        assert!(reference.is_empty());
    }
}
