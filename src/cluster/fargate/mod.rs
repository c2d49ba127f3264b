//! Fargate for EKS: profile matching (the admission webhook's job), pod sizing (what is
//! provisioned and billed), and the pod traits Fargate refuses. All pure functions.

pub mod profile;
pub mod sizing;

pub use profile::{PROFILE_LABEL, Profile, Selector, match_profile};
pub use sizing::{ContainerRequests, FargatePodTraits, FargateSize, SizingError, size_pod};
