//! Integration tests: one binary, a module per concern.

mod attribution;
mod autoscaling;
mod bad_corpus;
mod bad_input;
mod billing;
mod common;
mod conformance;
mod control_plane;
mod determinism;
mod engine_properties;
mod fuzz_inputs;
mod health;
mod importers;
mod instance_types;
mod invariants;
mod karpenter;
mod manifests;
mod mng;
mod preemption;
mod properties;
mod reliability;
mod report;
mod scenarios;
mod spot;
mod study;
mod sweeps;
