//! Scheduler plugins, one per file, each pure functions of the pod, the node and per-cycle state
//! computed once. Names and rules follow kube-scheduler's default profile.

pub mod balanced_allocation;
pub mod inter_pod_affinity;
pub mod node_affinity;
pub mod node_resources_fit;
pub mod node_unschedulable;
pub mod pod_topology_spread;
pub mod taint_toleration;
