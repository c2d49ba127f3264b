//! Where pods come from. Every source yields pods in submit-time order, one at a time, so a
//! multi-million-pod trace is never held in memory; the engine keeps exactly one upcoming pod per
//! source in its event queue.

pub mod constraints;
pub mod controller;
pub mod generator;
pub mod importers;
pub mod manifest;
pub mod shared;
pub mod trace;
pub mod trace_cache;

use std::path::PathBuf;
use std::sync::Arc;

use thiserror::Error;

use crate::cluster::resources::Resources;
use crate::cluster::taints::Toleration;
use crate::sim::time::{SimDuration, SimTime};

pub use constraints::PodConstraints;
pub use controller::{ControllerKind, ControllerSpec, PdbSpec};
pub use generator::{Arrivals, GeneratorSource, GeneratorSpec, RequestChoice};
pub use shared::{SharedLabels, SharedStr};
pub use trace::{TraceSource, TraceSpec};

/// The controller that owns a pod. It decides what happens to an evicted pod (a controller
/// recreates it, a bare pod is lost) and whether kube-scheduler's system default topology spread
/// applies (pods of ReplicaSets and StatefulSets).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OwnerKind {
    /// No controller.
    #[default]
    Bare,
    /// A Deployment's ReplicaSet.
    ReplicaSet,
    /// A StatefulSet.
    StatefulSet,
    /// A Job (trace and generator pods are Job pods).
    Job,
}

/// One pod as the workload describes it, before the cluster has touched it.
///
/// The fields are in a fixed order (`repr(C)`): what the filters read (requests, flags,
/// owner, constraints, selectors, tolerations) first, so that it shares cache lines with the
/// pod's own small fields (see [`crate::cluster::pod::Pod`]).
#[derive(Clone, Debug, PartialEq, Default)]
#[repr(C)]
pub struct PodSpec {
    /// Effective requests (cpu, memory, GPUs; one pod slot).
    pub requests: Resources,
    /// Ephemeral storage request in MiB (0 = none).
    pub ephemeral_mib: u64,
    /// Pod priority (higher is scheduled first).
    pub priority: i32,
    /// A privileged container (not supported on Fargate).
    pub privileged: bool,
    /// `hostNetwork: true` (not supported on Fargate).
    pub host_network: bool,
    /// A container port with a hostPort (not supported on Fargate).
    pub host_port: bool,
    /// preemptionPolicy: Never (the pod waits instead of preempting).
    pub preemption_never: bool,
    /// Owning controller.
    pub owner: OwnerKind,
    /// Affinity and topology spread; shared by the pods of one template.
    pub constraints: Arc<PodConstraints>,
    /// `nodeSelector` labels the node must carry. Shared by the pods of one template or run of
    /// trace rows (a clone per pod was most of the cost of a pod with a selector).
    pub node_selector: Arc<[(String, String)]>,
    /// Tolerations for node taints; shared as the node selector is.
    pub tolerations: Arc<[Toleration]>,
    /// When the pod is created (reaches the API server).
    pub submit: SimTime,
    /// How long the containers run once started; `None` = past the horizon.
    pub duration: Option<SimDuration>,
    /// Pod name, unique within its source.
    pub name: compact_str::CompactString,
    /// Kubernetes namespace; drives Fargate profile matching. Shared by the pods that carry it.
    pub namespace: SharedStr,
    /// Job, deployment or generator the pod belongs to, for reports. Shared by its pods.
    pub group: SharedStr,
    /// Pod labels, sorted by key. Shared by the pods of one job or template.
    pub labels: SharedLabels,
    /// Container image; EC2 nodes cache it after the first pull ([`PodSpec::image_name`]).
    pub image: PodImage,
}

/// A pod's container image.
#[derive(Clone, Debug, PartialEq)]
pub enum PodImage {
    /// A named image, shared by the pods that carry it.
    Named(SharedStr),
    /// The pod's own name: what a trace row with neither an image nor a group gets. Every such
    /// pod has an image of its own, so naming it by the pod saves an allocation per pod.
    OwnName,
}

impl Default for PodImage {
    /// The empty name (one image shared by every pod that names none), as before.
    fn default() -> PodImage {
        PodImage::Named(SharedStr::default())
    }
}

impl From<SharedStr> for PodImage {
    fn from(s: SharedStr) -> PodImage {
        PodImage::Named(s)
    }
}

impl From<&str> for PodImage {
    fn from(s: &str) -> PodImage {
        PodImage::Named(s.into())
    }
}

impl From<String> for PodImage {
    fn from(s: String) -> PodImage {
        PodImage::Named(s.into())
    }
}

impl PodSpec {
    /// No nodeSelector, tolerations or required node affinity: the node-local filters then
    /// tell this pod from another such pod only by their requests, so first-fit searches can
    /// be shared by requests alone.
    pub fn filtered_by_requests_only(&self) -> bool {
        self.node_selector.is_empty()
            && self.tolerations.is_empty()
            && self.constraints.node_affinity.required.is_empty()
    }

    /// The name of the pod's image, for the node image caches.
    pub fn image_name(&self) -> &str {
        match &self.image {
            PodImage::Named(s) => s,
            PodImage::OwnName => &self.name,
        }
    }
}

/// The parts of a pod that generators and deployments share.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct PodTemplate {
    /// Namespace of every pod.
    pub namespace: SharedStr,
    /// Labels of every pod, sorted by key.
    pub labels: SharedLabels,
    /// Priority of every pod.
    pub priority: i32,
    /// Image of every pod.
    pub image: SharedStr,
    /// Node selector of every pod.
    pub node_selector: Arc<[(String, String)]>,
    /// Tolerations of every pod.
    pub tolerations: Arc<[Toleration]>,
    /// Privileged containers.
    pub privileged: bool,
    /// Host networking.
    pub host_network: bool,
    /// Host ports.
    pub host_port: bool,
    /// preemptionPolicy: Never.
    pub preemption_never: bool,
    /// Affinity and topology spread.
    pub constraints: Arc<PodConstraints>,
    /// Owning controller of the pods.
    pub owner: OwnerKind,
}

impl PodTemplate {
    /// A copy sharing no counted allocation with this one, for a run on another thread: each
    /// pod clones the template's namespace, labels, image, selector, tolerations and
    /// constraints, and two threads
    /// counting the same allocations fight over their cache lines (the runs of a sweep start
    /// from one shared scenario).
    pub fn unshared(&self) -> PodTemplate {
        PodTemplate {
            namespace: self.namespace.unshared(),
            labels: self.labels.unshared(),
            image: self.image.unshared(),
            node_selector: Arc::from(&*self.node_selector),
            tolerations: Arc::from(&*self.tolerations),
            constraints: Arc::new(PodConstraints::clone(&self.constraints)),
            ..self.clone()
        }
    }

    /// A pod from this template with the given identity, requests and lifetime.
    pub fn instantiate(
        &self,
        submit: SimTime,
        name: String,
        group: SharedStr,
        requests: &RequestChoice,
        duration: Option<SimDuration>,
    ) -> PodSpec {
        PodSpec {
            submit,
            name: name.into(),
            namespace: self.namespace.clone(),
            group,
            labels: self.labels.clone(),
            requests: Resources::pod(requests.cpu_m, requests.memory_mib, requests.gpus),
            ephemeral_mib: requests.ephemeral_mib,
            duration,
            priority: self.priority,
            image: PodImage::Named(self.image.clone()),
            node_selector: self.node_selector.clone(),
            tolerations: self.tolerations.clone(),
            privileged: self.privileged,
            host_network: self.host_network,
            host_port: self.host_port,
            preemption_never: self.preemption_never,
            constraints: self.constraints.clone(),
            owner: self.owner,
        }
    }
}

/// Why a workload source could not produce its next pod.
#[derive(Debug, Error)]
pub enum WorkloadError {
    /// The trace file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The trace file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A row of a trace is malformed.
    #[error("{path}:{line}: {message}")]
    Trace {
        /// The trace file.
        path: PathBuf,
        /// 1-based line number in the file.
        line: u64,
        /// What is wrong and what was expected.
        message: String,
    },
}

/// A time-ordered stream of pods.
pub trait PodSource {
    /// The next pod, `Ok(None)` when the source is exhausted. Submit times never decrease.
    fn next_pod(&mut self) -> Result<Option<PodSpec>, WorkloadError>;
}

/// Parses `k=v;k2=v2` into sorted pairs; `None` on a malformed pair.
pub fn parse_labels(text: &str) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    for part in text.split(';') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (k, v) = part.split_once('=')?;
        if k.trim().is_empty() {
            return None;
        }
        out.push((k.trim().to_string(), v.trim().to_string()));
    }
    out.sort();
    out.dedup_by(|a, b| a.0 == b.0);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_parse_sorted() {
        assert_eq!(
            parse_labels("b=2;a=1").unwrap(),
            vec![("a".into(), "1".into()), ("b".into(), "2".into())]
        );
        assert_eq!(parse_labels("").unwrap(), vec![]);
        assert!(parse_labels("novalue").is_none());
        assert!(parse_labels("=x").is_none());
    }

    #[test]
    fn an_unshared_template_is_equal_but_counts_nothing_with_the_original() {
        let t = PodTemplate {
            namespace: "batch".into(),
            labels: vec![("app".to_string(), "x".to_string())].into(),
            image: "img".into(),
            priority: 7,
            node_selector: vec![("zone".to_string(), "a".to_string())].into(),
            tolerations: vec![Toleration::exists("dedicated", None)].into(),
            constraints: Arc::new(PodConstraints {
                node_affinity: constraints::NodeAffinity {
                    required: vec![Default::default()],
                    ..Default::default()
                },
                ..Default::default()
            }),
            ..Default::default()
        };
        let u = t.unshared();
        assert_eq!(u, t);
        assert!(!u.namespace.same(&t.namespace));
        assert!(!u.labels.same(&t.labels));
        assert!(!u.image.same(&t.image));
        assert!(!Arc::ptr_eq(&u.constraints, &t.constraints));
        assert!(!Arc::ptr_eq(&u.node_selector, &t.node_selector));
        assert!(!Arc::ptr_eq(&u.tolerations, &t.tolerations));
        // Nothing of the original is held by the copy.
        assert_eq!(Arc::strong_count(&t.constraints), 1);
        assert_eq!(Arc::strong_count(&t.tolerations), 1);
        let spec = trace::TraceSpec {
            tolerations: t.tolerations.clone(),
            ..trace::TraceSpec::plain("t.csv")
        };
        let v = spec.unshared();
        assert_eq!(v, spec);
        assert!(!Arc::ptr_eq(&v.constraints, &spec.constraints));
        assert!(!Arc::ptr_eq(&v.tolerations, &spec.tolerations));
    }
}
