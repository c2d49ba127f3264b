//! Autoscalers: the policies that change the data plane's size. The Cluster Autoscaler is here
//! (pure estimation and expander choice; the engine carries out its decisions).

pub mod cluster_autoscaler;
pub mod expander;
pub mod karpenter;

pub use cluster_autoscaler::ClusterAutoscalerSpec;
pub use expander::Expander;
