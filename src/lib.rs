//! eksim: a deterministic discrete-event simulator of Amazon EKS clusters.
//!
//! A [`scenario::Scenario`] (cluster, workload, latencies, prices) is replayed on an integer
//! virtual clock by [`sim::engine`]; the run writes what happened and what it cost (see
//! [`output`]). Same scenario and seed, same bytes.

pub mod autoscaler;
pub mod billing;
pub mod cli;
pub mod cluster;
pub mod metrics;
pub mod output;
pub mod report;
pub mod scenario;
pub mod scheduler;
pub mod sim;
pub mod suggest;
pub mod sweep;
pub mod text;
pub mod workload;
