//! A Deployment: a fixed number of replicas created at one moment that run until the horizon.
//! This is the steady, always-on part of a cluster (web servers, APIs) that node groups are sized
//! for.

use super::{PodSource, PodSpec, PodTemplate, RequestChoice, WorkloadError};
use crate::sim::time::SimTime;

/// A validated deployment.
#[derive(Clone, Debug, PartialEq)]
pub struct DeploymentSpec {
    /// Deployment name; pods are `<name>-<i>`.
    pub name: String,
    /// Number of replicas.
    pub replicas: u64,
    /// When the replicas are created.
    pub at: SimTime,
    /// Requests of each replica.
    pub requests: RequestChoice,
    /// Everything else about each replica.
    pub template: PodTemplate,
}

/// Streams the replicas of one deployment.
#[derive(Debug)]
pub struct DeploymentSource {
    spec: DeploymentSpec,
    next: u64,
}

impl DeploymentSource {
    /// A source that yields every replica at `spec.at`.
    pub fn new(spec: DeploymentSpec) -> Self {
        DeploymentSource { spec, next: 0 }
    }
}

impl PodSource for DeploymentSource {
    fn next_pod(&mut self) -> Result<Option<PodSpec>, WorkloadError> {
        if self.next >= self.spec.replicas {
            return Ok(None);
        }
        let i = self.next;
        self.next += 1;
        let s = &self.spec;
        Ok(Some(s.template.instantiate(
            s.at,
            format!("{}-{}", s.name, i),
            &s.name,
            &s.requests,
            None,
        )))
    }
}
