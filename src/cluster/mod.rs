//! The cluster being simulated: instance catalog, resources, taints, Fargate policies, the
//! control plane's shape, and the runtime state of nodes and pods.

pub mod catalog;
pub mod control_plane;
pub mod fargate;
pub mod node;
pub mod node_list;
pub mod pod;
pub mod resources;
pub mod taints;
