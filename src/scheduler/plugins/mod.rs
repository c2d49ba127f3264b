//! Scheduler plugins, one per file, each a pure function of the pod and one node. The set and the
//! names follow kube-scheduler's default profile; issue-by-issue more of it lands here.

pub mod node_affinity;
pub mod node_resources_fit;
pub mod node_unschedulable;
pub mod taint_toleration;
