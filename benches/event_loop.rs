//! The event queue under a hold model: a steady queue of N pending events, each pop schedules one
//! new event a pseudo-random delay later (the classic discrete-event benchmark). Compare with the
//! bare `BinaryHeap` figures in ../shared/bench/README.md (22 M pairs/s at 1,000 entries, 8.7 M
//! at 100,000), and with `bare_binary_heap_hold`, the same model on a bare `BinaryHeap` of
//! (time, insertion number, payload) measured in the same run (the machine is shared, so the
//! ratio of two figures taken together is the one to read).

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use eksim::cluster::node::NodeId;
use eksim::sim::event::Event;
use eksim::sim::queue::EventQueue;
use eksim::sim::time::{SimDuration, SimTime};

const PAIRS: u64 = 100_000;

/// Pseudo-random delays of 0-9,999 ms (xorshift), the same sequence for every queue.
fn delays() -> impl FnMut() -> u64 {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % 10_000
    }
}

fn hold(c: &mut Criterion) {
    let mut group = c.benchmark_group("event_queue_hold");
    group.throughput(Throughput::Elements(PAIRS));
    for size in [1_000u64, 100_000] {
        group.bench_with_input(BenchmarkId::from_parameter(size), &size, |b, &size| {
            let mut q = EventQueue::new();
            let mut next = delays();
            for i in 0..size {
                q.push(
                    SimTime(next()),
                    Event::NodeReady {
                        node: NodeId(i as u32),
                    },
                );
            }
            b.iter(|| {
                for _ in 0..PAIRS {
                    let (t, ev) = q.pop().expect("queue never empties");
                    q.push(t + SimDuration(next()), black_box(ev));
                }
            });
        });
    }
    group.finish();
}

fn bare_heap(c: &mut Criterion) {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let mut group = c.benchmark_group("bare_binary_heap_hold");
    group.throughput(Throughput::Elements(PAIRS));
    for size in [1_000u64, 100_000] {
        group.bench_with_input(BenchmarkId::from_parameter(size), &size, |b, &size| {
            let mut q = BinaryHeap::new();
            let mut seq = 0u64;
            let mut next = delays();
            for i in 0..size {
                q.push(Reverse((next(), seq, i as u32)));
                seq += 1;
            }
            b.iter(|| {
                for _ in 0..PAIRS {
                    let Reverse((t, _, payload)) = q.pop().expect("queue never empties");
                    q.push(Reverse((t + next(), seq, black_box(payload))));
                    seq += 1;
                }
            });
        });
    }
    group.finish();
}

criterion_group!(benches, hold, bare_heap);
criterion_main!(benches);
