//! The simulation engine: integer time, the `(time, seq)` event queue, named random streams and
//! the event loop.

pub mod engine;
pub mod event;
pub mod queue;
pub mod radix;
pub mod replicas;
pub mod rng;
pub mod time;
