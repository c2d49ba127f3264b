//! Reader for Kubernetes manifests (the YAML planners already have): Pods, Deployments,
//! StatefulSets, Jobs, PriorityClasses and PodDisruptionBudgets, with Kubernetes' own field
//! names and defaulting, turned into what the simulator needs from them.
//!
//! How a file is read:
//! 1. The YAML event stream is walked once to find each document's text and the line and column
//!    of every field (so problems found later still point into the file). A syntax error stops
//!    here, as [`ManifestError::Parse`] with the parser's line and column.
//! 2. Each document is parsed on its own into a JSON-like tree; empty documents are skipped.
//! 3. The tree is read field by field with its path, so *every* problem in the file (a wrong
//!    type, a bad quantity, an unknown operator, a rule Kubernetes' validation would reject) is
//!    reported at once, each as `doc N (Kind/name): field.path: what is wrong and what is
//!    expected (line L, column C)`. Fields that do not affect scheduling or capacity are accepted
//!    and listed once per document in [`ManifestSet::ignored`].
//!
//! Documents are numbered from 1 as a reader counts them: each `---` line starts a new document,
//! except one that opens the file.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use serde_saphyr::granit_parser::{Event, Parser};

use crate::cluster::taints::{TaintEffect, Toleration, TolerationOperator};
use crate::scenario::units::{parse_cpu, parse_memory_mib};
use crate::workload::constraints::{
    LabelSelector, NodeSelectorTerm, PodAffinity, PodAffinityTerm, PodConstraints, Requirement,
    SelectorOp, TopologySpreadConstraint, WhenUnsatisfiable,
};

/// Effective requests of a pod, per Kubernetes: max(largest init container, sum of regular
/// containers), per resource; a container with limits but no requests gets requests = limits
/// (Kubernetes defaulting). Native sidecars (init containers with `restartPolicy: Always`) count
/// like regular containers and also run alongside the init containers declared after them, as in
/// Kubernetes' `PodRequests` (k8s.io/component-helpers/resource).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct PodResources {
    /// CPU in millicores.
    pub cpu_m: u64,
    /// Memory in MiB.
    pub memory_mib: u64,
    /// `nvidia.com/gpu`.
    pub gpus: u32,
    /// `ephemeral-storage` in MiB.
    pub ephemeral_mib: u64,
}

/// Everything the simulator needs from a pod template (`spec.template` or a Pod).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodTemplateInfo {
    /// `metadata.namespace` of the object, default `default`.
    pub namespace: String,
    /// Pod labels, sorted by key.
    pub labels: Vec<(String, String)>,
    /// Effective requests.
    pub requests: PodResources,
    /// `spec.nodeSelector`, sorted by key.
    pub node_selector: Vec<(String, String)>,
    /// `spec.tolerations` (`tolerationSeconds` is not kept).
    pub tolerations: Vec<Toleration>,
    /// Node affinity, pod (anti-)affinity and topology spread constraints.
    pub constraints: PodConstraints,
    /// `spec.priorityClassName`.
    pub priority_class_name: Option<String>,
    /// `spec.priority`, if given.
    pub priority: Option<i32>,
    /// `spec.schedulerName`.
    pub scheduler_name: Option<String>,
    /// First regular container's image (`""` if none).
    pub image: String,
    /// Any container (init or regular) has `securityContext.privileged: true`.
    pub privileged: bool,
    /// `spec.hostNetwork`.
    pub host_network: bool,
    /// Any container port has a `hostPort`; with `hostNetwork: true` every declared container
    /// port counts, as Kubernetes defaults `hostPort` to `containerPort` there.
    pub host_port: bool,
    /// `spec.terminationGracePeriodSeconds`, default 30.
    pub termination_grace_period_s: u64,
}

/// A PodDisruptionBudget bound: an absolute count or a percentage (`"50%"`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum IntOrPercent {
    /// A number of pods.
    Int(u32),
    /// A percentage, 0–100.
    Percent(u32),
}

/// One Kubernetes object the simulator models.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ManifestObject {
    /// A bare `v1` Pod.
    Pod {
        /// metadata.name
        name: String,
        /// The pod itself.
        template: PodTemplateInfo,
    },
    /// An `apps/v1` Deployment.
    Deployment {
        /// metadata.name
        name: String,
        /// spec.replicas, default 1.
        replicas: u32,
        /// spec.template
        template: PodTemplateInfo,
    },
    /// An `apps/v1` StatefulSet.
    StatefulSet {
        /// metadata.name
        name: String,
        /// spec.replicas, default 1.
        replicas: u32,
        /// spec.template
        template: PodTemplateInfo,
    },
    /// A `batch/v1` Job. Defaulting as Kubernetes' `SetDefaults_Job`: with neither parallelism
    /// nor completions set both become 1; parallelism alone defaults to 1; completions left
    /// unset next to a parallelism is a work-queue Job (`None`: the first pod success completes).
    Job {
        /// metadata.name
        name: String,
        /// spec.parallelism
        parallelism: u32,
        /// spec.completions
        completions: Option<u32>,
        /// spec.backoffLimit, default 6.
        backoff_limit: u32,
        /// spec.template
        template: PodTemplateInfo,
    },
    /// A `scheduling.k8s.io/v1` PriorityClass.
    PriorityClass {
        /// metadata.name
        name: String,
        /// value
        value: i32,
        /// globalDefault, default false.
        global_default: bool,
        /// preemptionPolicy is `Never` (default `PreemptLowerPriority`).
        preemption_policy_never: bool,
    },
    /// A `policy/v1` PodDisruptionBudget.
    PodDisruptionBudget {
        /// metadata.name
        name: String,
        /// metadata.namespace, default `default`.
        namespace: String,
        /// spec.selector
        selector: LabelSelector,
        /// spec.minAvailable
        min_available: Option<IntOrPercent>,
        /// spec.maxUnavailable
        max_unavailable: Option<IntOrPercent>,
    },
}

impl ManifestObject {
    /// The object's kind, spelt as in Kubernetes.
    pub fn kind(&self) -> &'static str {
        match self {
            ManifestObject::Pod { .. } => "Pod",
            ManifestObject::Deployment { .. } => "Deployment",
            ManifestObject::StatefulSet { .. } => "StatefulSet",
            ManifestObject::Job { .. } => "Job",
            ManifestObject::PriorityClass { .. } => "PriorityClass",
            ManifestObject::PodDisruptionBudget { .. } => "PodDisruptionBudget",
        }
    }

    /// metadata.name
    pub fn name(&self) -> &str {
        match self {
            ManifestObject::Pod { name, .. }
            | ManifestObject::Deployment { name, .. }
            | ManifestObject::StatefulSet { name, .. }
            | ManifestObject::Job { name, .. }
            | ManifestObject::PriorityClass { name, .. }
            | ManifestObject::PodDisruptionBudget { name, .. } => name,
        }
    }

    /// The pod template of a workload kind.
    pub fn template(&self) -> Option<&PodTemplateInfo> {
        match self {
            ManifestObject::Pod { template, .. }
            | ManifestObject::Deployment { template, .. }
            | ManifestObject::StatefulSet { template, .. }
            | ManifestObject::Job { template, .. } => Some(template),
            ManifestObject::PriorityClass { .. } | ManifestObject::PodDisruptionBudget { .. } => {
                None
            }
        }
    }
}

/// The modelled objects of a file, in file order, plus what was left out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ManifestSet {
    /// Objects in file order.
    pub objects: Vec<ManifestObject>,
    /// What was accepted but not modelled, once each per document, e.g.
    /// `doc 3: Service/web (kind not modelled)`, `doc 1: Deployment/web spec.strategy`
    /// (list indices are dropped: `spec.template.spec.containers[].env`).
    pub ignored: Vec<String>,
}

/// Why a manifest file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The file could not be read.
    #[error("{}: cannot read: {source}", file.display())]
    Io {
        /// The file.
        file: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The YAML is malformed.
    #[error("{}: doc {doc_index}: {message}", file.display())]
    Parse {
        /// The file.
        file: PathBuf,
        /// 1-based document number.
        doc_index: usize,
        /// The parser's message, with line and column and a snippet.
        message: String,
    },
    /// The YAML parses but some objects are invalid.
    #[error(
        "{}: {} problem(s):\n{}",
        file.display(),
        problems.len(),
        problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n")
    )]
    Invalid {
        /// The file.
        file: PathBuf,
        /// Every problem, each `doc N (Kind/name): field.path: what is wrong and what is
        /// expected`, followed by `(line L, column C)` where known.
        problems: Vec<String>,
    },
}

/// Reads and parses a manifest file.
pub fn load_manifests(path: &Path) -> Result<ManifestSet, ManifestError> {
    let bytes = std::fs::read(path).map_err(|source| ManifestError::Io {
        file: path.to_path_buf(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|e| ManifestError::Parse {
        file: path.to_path_buf(),
        doc_index: 1,
        message: format!(
            "not valid UTF-8 (first bad byte at offset {}); save the file as UTF-8",
            e.utf8_error().valid_up_to()
        ),
    })?;
    parse_manifests(&text, path)
}

/// Parses multi-document YAML text holding Kubernetes objects; `file` only names the file in
/// messages.
pub fn parse_manifests(text: &str, file: &Path) -> Result<ManifestSet, ManifestError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let docs = scan(text).map_err(|(doc_index, fallback)| ManifestError::Parse {
        file: file.to_path_buf(),
        doc_index,
        message: syntax_message(text, file).unwrap_or(fallback),
    })?;
    let mut r = Reader::default();
    for doc in docs {
        let value = parse_document(text, &doc).map_err(|message| ManifestError::Parse {
            file: file.to_path_buf(),
            doc_index: doc.index,
            message: tidy_message(&message, file),
        })?;
        if value.is_null() {
            continue;
        }
        r.doc = doc.index;
        r.locs = doc.locs;
        r.label = String::new();
        r.read_object(&value, "");
    }
    if r.problems.is_empty() {
        Ok(ManifestSet {
            objects: r.objects,
            ignored: r.ignored,
        })
    } else {
        Err(ManifestError::Invalid {
            file: file.to_path_buf(),
            problems: r.problems,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Documents and locations
// ---------------------------------------------------------------------------------------------

/// One document of the stream: where its text is and where each of its fields is.
struct DocText {
    /// 1-based number.
    index: usize,
    /// Byte range of its text, starting at the beginning of a line.
    start: usize,
    end: usize,
    /// 1-based line of `start`.
    start_line: usize,
    /// Line and column (1-based) of each key and list item, by field path.
    locs: BTreeMap<String, (usize, usize)>,
}

enum Frame {
    Map { key: Option<String> },
    Seq { index: usize },
}

fn path_of(frames: &[Frame]) -> String {
    let mut p = String::new();
    for f in frames {
        match f {
            Frame::Map { key: Some(k) } => {
                if !p.is_empty() {
                    p.push('.');
                }
                p.push_str(k);
            }
            Frame::Map { key: None } => {}
            Frame::Seq { index } => {
                let _ = write!(p, "[{index}]");
            }
        }
    }
    p
}

fn byte_at(text: &str, m: &serde_saphyr::granit_parser::Marker) -> usize {
    m.byte_offset().unwrap_or_else(|| {
        text.char_indices()
            .nth(m.index())
            .map_or(text.len(), |(b, _)| b)
    })
}

/// Walks the YAML events: document boundaries and field locations. On a syntax error returns
/// the number of the document it is in and the scanner's message.
fn scan(text: &str) -> Result<Vec<DocText>, (usize, String)> {
    let mut docs = Vec::new();
    let mut cur: Option<DocText> = None;
    let mut frames: Vec<Frame> = Vec::new();
    let mut count = 0;
    fn done(frames: &mut [Frame]) {
        match frames.last_mut() {
            Some(Frame::Map { key }) => *key = None,
            Some(Frame::Seq { index }) => *index += 1,
            None => {}
        }
    }
    for item in Parser::new_from_str(text) {
        let (event, span) = item.map_err(|e| (count.max(1), e.to_string()))?;
        let at = (span.start.line(), span.start.col() + 1);
        let record_item = |frames: &[Frame], cur: &mut Option<DocText>| {
            if let (Some(Frame::Seq { .. }), Some(d)) = (frames.last(), cur.as_mut()) {
                d.locs.entry(path_of(frames)).or_insert(at);
            }
        };
        match event {
            Event::DocumentStart(..) => {
                count += 1;
                let b = byte_at(text, &span.start);
                let start = text[..b].rfind('\n').map_or(0, |i| i + 1);
                cur = Some(DocText {
                    index: count,
                    start,
                    end: text.len(),
                    start_line: span.start.line(),
                    locs: BTreeMap::new(),
                });
                frames.clear();
            }
            Event::DocumentEnd => {
                if let Some(mut d) = cur.take() {
                    d.end = byte_at(text, &span.end).max(d.start);
                    docs.push(d);
                }
            }
            Event::Scalar(value, ..) => match frames.last_mut() {
                Some(Frame::Map { key: key @ None }) => {
                    *key = Some(value.into_owned());
                    if let Some(d) = cur.as_mut() {
                        d.locs.entry(path_of(&frames)).or_insert(at);
                    }
                }
                _ => {
                    record_item(&frames, &mut cur);
                    done(&mut frames);
                }
            },
            Event::Alias(_) => match frames.last_mut() {
                Some(Frame::Map { key: key @ None }) => *key = Some("*".into()),
                _ => {
                    record_item(&frames, &mut cur);
                    done(&mut frames);
                }
            },
            Event::MappingStart(..) => {
                if let (true, Some(d)) = (frames.is_empty(), cur.as_mut()) {
                    d.locs.entry(String::new()).or_insert(at);
                }
                record_item(&frames, &mut cur);
                frames.push(Frame::Map { key: None });
            }
            Event::SequenceStart(..) => {
                record_item(&frames, &mut cur);
                frames.push(Frame::Seq { index: 0 });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                frames.pop();
                done(&mut frames);
            }
            _ => {}
        }
    }
    Ok(docs)
}

/// serde-saphyr's message for a syntax error in the whole text (it has a snippet).
fn syntax_message(text: &str, file: &Path) -> Option<String> {
    serde_saphyr::from_multiple::<serde::de::IgnoredAny>(text)
        .err()
        .map(|e| tidy_message(&e.to_string(), file))
}

fn tidy_message(msg: &str, file: &Path) -> String {
    let msg = msg.strip_prefix("error: ").unwrap_or(msg);
    msg.replace("<input>", &file.display().to_string())
        .replace(", set DuplicateKeyPolicy in Options if acceptable", "")
}

/// Parses one document's text; `Value::Null` for an empty one. On error, the message has line
/// numbers of the whole file.
fn parse_document(text: &str, doc: &DocText) -> Result<Value, String> {
    let slice = &text[doc.start..doc.end];
    serde_saphyr::from_str::<Value>(slice).map_err(|_| {
        let mut padded = "\n".repeat(doc.start_line.saturating_sub(1));
        padded.push_str(slice);
        match serde_saphyr::from_str::<Value>(&padded) {
            Err(e) => e.to_string(),
            Ok(_) => "the document cannot be read".to_string(),
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Reading objects
// ---------------------------------------------------------------------------------------------

/// Kinds we model and the apiVersion each must have.
const KINDS: [(&str, &str); 6] = [
    ("Pod", "v1"),
    ("Deployment", "apps/v1"),
    ("StatefulSet", "apps/v1"),
    ("Job", "batch/v1"),
    ("PriorityClass", "scheduling.k8s.io/v1"),
    ("PodDisruptionBudget", "policy/v1"),
];

/// Highest value a user-defined PriorityClass may have (Kubernetes
/// `HighestUserDefinablePriority`); `system-` classes may go higher.
const HIGHEST_USER_PRIORITY: i64 = 1_000_000_000;

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn at(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

/// `containers[3].env` → `containers[].env`.
fn strip_indices(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_brackets = false;
    for c in path.chars() {
        match c {
            '[' => {
                in_brackets = true;
                out.push('[');
            }
            ']' => {
                in_brackets = false;
                out.push(']');
            }
            _ if in_brackets => {}
            _ => out.push(c),
        }
    }
    out
}

/// How a value looks, for messages.
fn describe(v: &Value) -> String {
    match v {
        Value::Null => "nothing".into(),
        // Like Kubernetes' YAML reader, unquoted yes/no/on/off/y/n are booleans.
        Value::Bool(b) => {
            format!("the boolean `{b}` (unquoted yes/no/on/off/y/n read as booleans)")
        }
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string `{s}`"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a mapping".into(),
    }
}

/// A present, non-null field.
fn get<'v>(m: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    m.get(key).filter(|v| !v.is_null())
}

/// Requests or limits of one container.
#[derive(Default)]
struct ResourceList {
    cpu_m: Option<u64>,
    memory_mib: Option<u64>,
    gpus: Option<u64>,
    ephemeral_mib: Option<u64>,
}

/// Resources of one container after Kubernetes' requests-from-limits defaulting.
#[derive(Copy, Clone, Default)]
struct Need {
    cpu_m: u64,
    memory_mib: u64,
    gpus: u64,
    ephemeral_mib: u64,
}

impl Need {
    fn add(self, o: Need) -> Need {
        Need {
            cpu_m: self.cpu_m.saturating_add(o.cpu_m),
            memory_mib: self.memory_mib.saturating_add(o.memory_mib),
            gpus: self.gpus.saturating_add(o.gpus),
            ephemeral_mib: self.ephemeral_mib.saturating_add(o.ephemeral_mib),
        }
    }
    fn max(self, o: Need) -> Need {
        Need {
            cpu_m: self.cpu_m.max(o.cpu_m),
            memory_mib: self.memory_mib.max(o.memory_mib),
            gpus: self.gpus.max(o.gpus),
            ephemeral_mib: self.ephemeral_mib.max(o.ephemeral_mib),
        }
    }
}

/// What the containers of a pod contribute.
#[derive(Default)]
struct Containers {
    needs: Vec<Need>,
    first_image: Option<String>,
    privileged: bool,
    host_port: bool,
    any_container_port: bool,
}

/// The reader's state: where it is and what it found.
/// Reads `affinity` and `topologySpreadConstraints` written exactly as in a pod spec, for
/// generators and deployments in scenario files. Problems come back as `path: message`.
pub fn pod_constraints(
    affinity: Option<&Value>,
    spread: Option<&Value>,
    path: &str,
) -> (PodConstraints, Vec<String>) {
    let mut r = Reader::default();
    let mut out = PodConstraints::default();
    if let Some(a) = affinity {
        r.affinity(a, &join(path, "affinity"), &mut out);
    }
    if let Some(sp) = spread {
        out.topology_spread = r.spread(sp, &join(path, "topologySpreadConstraints"));
    }
    let prefix = format!("doc {} ({}): ", r.doc, r.label);
    let problems = r
        .problems
        .into_iter()
        .map(|p| p.strip_prefix(&prefix).map(str::to_string).unwrap_or(p))
        .collect();
    (out, problems)
}

#[derive(Default)]
struct Reader {
    /// Current document number.
    doc: usize,
    /// Current `Kind/name`.
    label: String,
    /// Field locations of the current document.
    locs: BTreeMap<String, (usize, usize)>,
    objects: Vec<ManifestObject>,
    ignored: Vec<String>,
    ignored_seen: BTreeSet<(usize, String)>,
    problems: Vec<String>,
    /// (kind, namespace, name) → `doc N` that defined it.
    defined: BTreeMap<(String, String, String), usize>,
    /// The PriorityClass with `globalDefault: true`, as (doc, name).
    global_default: Option<(usize, String)>,
}

impl Reader {
    fn locate(&self, path: &str) -> Option<(usize, usize)> {
        let mut p = path.to_string();
        loop {
            if let Some(at) = self.locs.get(&p) {
                return Some(*at);
            }
            if p.is_empty() {
                return None;
            }
            // Up one level; the document itself is recorded under "".
            let cut = p.rfind(['.', '[']).unwrap_or(0);
            p.truncate(cut);
        }
    }

    fn problem(&mut self, path: &str, msg: impl fmt::Display) {
        let mut s = format!("doc {} ({})", self.doc, self.label);
        if path.is_empty() {
            let _ = write!(s, ": {msg}");
        } else {
            let _ = write!(s, ": {path}: {msg}");
        }
        if let Some((line, col)) = self.locate(path) {
            let _ = write!(s, " (line {line}, column {col})");
        }
        self.problems.push(s);
    }

    fn ignore(&mut self, path: &str) {
        let entry = format!("{} {}", self.label, strip_indices(path));
        self.ignore_entry(entry);
    }

    fn ignore_entry(&mut self, entry: String) {
        if self.ignored_seen.insert((self.doc, entry.clone())) {
            self.ignored.push(format!("doc {}: {entry}", self.doc));
        }
    }

    // --- typed access -----------------------------------------------------------------------

    /// `v` as a mapping; keys not in `known` are listed as ignored.
    fn obj<'v>(
        &mut self,
        v: &'v Value,
        path: &str,
        known: &[&str],
    ) -> Option<&'v Map<String, Value>> {
        let Some(m) = v.as_object() else {
            self.problem(path, format!("expected a mapping, got {}", describe(v)));
            return None;
        };
        for k in m.keys() {
            if !known.contains(&k.as_str()) {
                self.ignore(&join(path, k));
            }
        }
        Some(m)
    }

    fn list<'v>(&mut self, v: &'v Value, path: &str) -> Option<&'v [Value]> {
        match v.as_array() {
            Some(a) => Some(a),
            None => {
                self.problem(path, format!("expected a list, got {}", describe(v)));
                None
            }
        }
    }

    fn string(&mut self, v: &Value, path: &str) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            _ => {
                self.problem(
                    path,
                    format!(
                        "expected a string, got {}; quote it if it is meant as text",
                        describe(v)
                    ),
                );
                None
            }
        }
    }

    fn bool(&mut self, v: &Value, path: &str) -> Option<bool> {
        match v {
            Value::Bool(b) => Some(*b),
            _ => {
                self.problem(
                    path,
                    format!("expected `true` or `false`, got {}", describe(v)),
                );
                None
            }
        }
    }

    fn int(&mut self, v: &Value, path: &str, min: i64, max: i64) -> Option<i64> {
        match v.as_i64() {
            Some(n) if (min..=max).contains(&n) => Some(n),
            _ => {
                self.problem(
                    path,
                    format!(
                        "expected a whole number from {min} to {max}, got {}",
                        describe(v)
                    ),
                );
                None
            }
        }
    }

    fn opt_string(&mut self, m: &Map<String, Value>, key: &str, path: &str) -> Option<String> {
        get(m, key).and_then(|v| self.string(v, &join(path, key)))
    }

    fn opt_int(
        &mut self,
        m: &Map<String, Value>,
        key: &str,
        path: &str,
        min: i64,
        max: i64,
    ) -> Option<i64> {
        get(m, key).and_then(|v| self.int(v, &join(path, key), min, max))
    }

    fn opt_bool(&mut self, m: &Map<String, Value>, key: &str, path: &str) -> Option<bool> {
        get(m, key).and_then(|v| self.bool(v, &join(path, key)))
    }

    /// A `key: value` string map (labels, nodeSelector), sorted by key. A null value reads as
    /// `""`, as in Kubernetes.
    fn string_map(&mut self, v: &Value, path: &str) -> Vec<(String, String)> {
        let Some(m) = v.as_object() else {
            self.problem(
                path,
                format!("expected a mapping of strings, got {}", describe(v)),
            );
            return Vec::new();
        };
        let mut out = Vec::with_capacity(m.len());
        for (k, val) in m {
            match val {
                Value::String(s) => out.push((k.clone(), s.clone())),
                Value::Null => out.push((k.clone(), String::new())),
                other => self.problem(
                    &join(path, k),
                    format!(
                        "expected a string, got {}; quote it (Kubernetes label values are strings)",
                        describe(other)
                    ),
                ),
            }
        }
        out.sort();
        out
    }

    fn string_list(&mut self, v: &Value, path: &str) -> Vec<String> {
        let Some(items) = self.list(v, path) else {
            return Vec::new();
        };
        items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| self.string(item, &at(path, i)))
            .collect()
    }

    // --- objects ----------------------------------------------------------------------------

    fn read_object(&mut self, v: &Value, base: &str) {
        let Some(m) = v.as_object() else {
            self.label = "?".into();
            self.problem(
                base,
                format!(
                    "expected a Kubernetes object (a mapping with apiVersion, kind, metadata), got {}",
                    describe(v)
                ),
            );
            return;
        };
        let kind = get(m, "kind").and_then(Value::as_str).map(str::to_string);
        let meta = get(m, "metadata").and_then(Value::as_object);
        let name = meta
            .and_then(|md| get(md, "name").or_else(|| get(md, "generateName")))
            .and_then(Value::as_str)
            .map(str::to_string);
        self.label = format!(
            "{}/{}",
            kind.as_deref().unwrap_or("?"),
            name.as_deref().unwrap_or("?")
        );
        let Some(kind) = kind else {
            let what = match get(m, "kind") {
                None => "missing".to_string(),
                Some(other) => format!("expected a string, got {}", describe(other)),
            };
            self.problem(
                &join(base, "kind"),
                format!(
                    "{what}; every Kubernetes object names its kind (Pod, Deployment, StatefulSet, Job, PriorityClass, PodDisruptionBudget, ...)"
                ),
            );
            return;
        };
        if kind == "List" && base.is_empty() {
            // `kubectl get ... -o yaml` output: the objects are under `items`.
            self.label = "List".into();
            self.obj(v, base, &["apiVersion", "kind", "metadata", "items"]);
            if let Some(items) = get(m, "items").and_then(|i| self.list(i, "items")) {
                for (i, item) in items.iter().enumerate() {
                    self.read_object(item, &at("items", i));
                }
            }
            return;
        }
        let Some(&(_, api_version)) = KINDS.iter().find(|(k, _)| *k == kind) else {
            let entry = if base.is_empty() {
                format!("{} (kind not modelled)", self.label)
            } else {
                format!("{} at {base} (kind not modelled)", self.label)
            };
            self.ignore_entry(entry);
            return;
        };
        match get(m, "apiVersion") {
            Some(Value::String(s)) if s == api_version => {}
            Some(other) => self.problem(
                &join(base, "apiVersion"),
                format!(
                    "{} is not an API version of {kind}; expected `{api_version}`",
                    describe(other)
                ),
            ),
            None => self.problem(
                &join(base, "apiVersion"),
                format!("missing; expected `{api_version}` for a {kind}"),
            ),
        }
        let known: &[&str] = if kind == "PriorityClass" {
            &[
                "apiVersion",
                "kind",
                "metadata",
                "value",
                "globalDefault",
                "preemptionPolicy",
            ]
        } else {
            &["apiVersion", "kind", "metadata", "spec"]
        };
        self.obj(v, base, known);

        // metadata
        let meta_path = join(base, "metadata");
        let mut namespace = "default".to_string();
        let mut labels = Vec::new();
        match get(m, "metadata") {
            None => self.problem(&meta_path, "missing; every object needs `metadata.name`"),
            Some(mv) => {
                if let Some(md) = self.obj(
                    mv,
                    &meta_path,
                    &["name", "generateName", "namespace", "labels"],
                ) {
                    if name.is_none() {
                        match get(md, "name") {
                            None => self.problem(
                                &join(&meta_path, "name"),
                                "missing; every object needs a name",
                            ),
                            Some(n) => {
                                self.string(n, &join(&meta_path, "name"));
                            }
                        }
                    }
                    if let Some(ns) = self.opt_string(md, "namespace", &meta_path) {
                        namespace = ns;
                    }
                    if let Some(l) = get(md, "labels") {
                        labels = self.string_map(l, &join(&meta_path, "labels"));
                    }
                }
            }
        }
        let name = name.unwrap_or_default();

        // Same object twice in a file: Kubernetes keeps one, so the file is ambiguous.
        let scope = if kind == "PriorityClass" {
            String::new()
        } else {
            namespace.clone()
        };
        let key = (kind.clone(), scope, name.clone());
        if !name.is_empty() {
            if let Some(first) = self.defined.get(&key) {
                let first = *first;
                self.problem(
                    &join(&meta_path, "name"),
                    format!("a {kind} named `{name}` in namespace `{namespace}` is already defined in doc {first}; names must be unique per kind and namespace"),
                );
            } else {
                self.defined.insert(key, self.doc);
            }
        }

        let spec_path = join(base, "spec");
        let spec = get(m, "spec");
        if kind != "PriorityClass" && spec.is_none() {
            self.problem(&spec_path, format!("missing; a {kind} needs a spec"));
            return;
        }
        match kind.as_str() {
            "Pod" => {
                let Some(spec) = spec else { return };
                if let Some(template) = self.pod_spec(spec, &spec_path, namespace, labels) {
                    self.objects.push(ManifestObject::Pod { name, template });
                }
            }
            "Deployment" | "StatefulSet" => {
                let Some(sm) = self.obj(
                    spec.unwrap_or(&Value::Null),
                    &spec_path,
                    &["replicas", "selector", "template"],
                ) else {
                    return;
                };
                let replicas = self
                    .opt_int(sm, "replicas", &spec_path, 0, i32::MAX as i64)
                    .unwrap_or(1) as u32;
                let Some(template) = self.template(sm, &spec_path, namespace) else {
                    return;
                };
                if let Some(sel) = get(sm, "selector") {
                    let sel_path = join(&spec_path, "selector");
                    if let Some(sel) = self.label_selector(sel, &sel_path)
                        && !sel.matches(&template.labels)
                    {
                        self.problem(
                            &sel_path,
                            "does not match spec.template.metadata.labels; Kubernetes rejects a selector that does not select its own pods",
                        );
                    }
                }
                self.objects.push(if kind == "Deployment" {
                    ManifestObject::Deployment {
                        name,
                        replicas,
                        template,
                    }
                } else {
                    ManifestObject::StatefulSet {
                        name,
                        replicas,
                        template,
                    }
                });
            }
            "Job" => {
                let Some(sm) = self.obj(
                    spec.unwrap_or(&Value::Null),
                    &spec_path,
                    &[
                        "parallelism",
                        "completions",
                        "backoffLimit",
                        "template",
                        "selector",
                        "manualSelector",
                    ],
                ) else {
                    return;
                };
                let max = i32::MAX as i64;
                let parallelism = self
                    .opt_int(sm, "parallelism", &spec_path, 0, max)
                    .map(|n| n as u32);
                let completions = self
                    .opt_int(sm, "completions", &spec_path, 0, max)
                    .map(|n| n as u32);
                let backoff_limit = self
                    .opt_int(sm, "backoffLimit", &spec_path, 0, max)
                    .unwrap_or(6) as u32;
                // SetDefaults_Job: both unset → both 1.
                let (parallelism, completions) = match (parallelism, completions) {
                    (None, None) => (1, Some(1)),
                    (p, c) => (p.unwrap_or(1), c),
                };
                let Some(template) = self.template(sm, &spec_path, namespace) else {
                    return;
                };
                self.objects.push(ManifestObject::Job {
                    name,
                    parallelism,
                    completions,
                    backoff_limit,
                    template,
                });
            }
            "PriorityClass" => {
                let value = match get(m, "value") {
                    None => {
                        self.problem(
                            &join(base, "value"),
                            "missing; a PriorityClass needs an integer `value`",
                        );
                        None
                    }
                    Some(v) => {
                        let max = if name.starts_with("system-") {
                            i32::MAX as i64
                        } else {
                            HIGHEST_USER_PRIORITY
                        };
                        self.int(v, &join(base, "value"), i32::MIN as i64, max)
                    }
                };
                let global_default = self.opt_bool(m, "globalDefault", base).unwrap_or(false);
                let preemption_policy_never = match self
                    .opt_string(m, "preemptionPolicy", base)
                    .as_deref()
                {
                    None | Some("PreemptLowerPriority") => false,
                    Some("Never") => true,
                    Some(other) => {
                        self.problem(
                            &join(base, "preemptionPolicy"),
                            format!("`{other}` is not a preemption policy; expected `PreemptLowerPriority` or `Never`"),
                        );
                        false
                    }
                };
                if global_default {
                    if let Some((doc, first)) = self.global_default.clone() {
                        self.problem(
                            &join(base, "globalDefault"),
                            format!("PriorityClass `{first}` in doc {doc} is already the global default; only one may be"),
                        );
                    } else {
                        self.global_default = Some((self.doc, name.clone()));
                    }
                }
                if let Some(value) = value {
                    self.objects.push(ManifestObject::PriorityClass {
                        name,
                        value: value as i32,
                        global_default,
                        preemption_policy_never,
                    });
                }
            }
            _ => {
                // PodDisruptionBudget
                let Some(sm) = self.obj(
                    spec.unwrap_or(&Value::Null),
                    &spec_path,
                    &["minAvailable", "maxUnavailable", "selector"],
                ) else {
                    return;
                };
                let min_available = get(sm, "minAvailable")
                    .and_then(|v| self.int_or_percent(v, &join(&spec_path, "minAvailable")));
                let max_unavailable = get(sm, "maxUnavailable")
                    .and_then(|v| self.int_or_percent(v, &join(&spec_path, "maxUnavailable")));
                if get(sm, "minAvailable").is_some() && get(sm, "maxUnavailable").is_some() {
                    self.problem(&spec_path, "sets both minAvailable and maxUnavailable; Kubernetes allows only one of them");
                }
                let sel_path = join(&spec_path, "selector");
                let selector = match get(sm, "selector") {
                    None => {
                        self.problem(
                            &sel_path,
                            "missing; in policy/v1 a PodDisruptionBudget without selector protects no pods (an empty `{}` selects every pod of the namespace)",
                        );
                        None
                    }
                    Some(s) => self.label_selector(s, &sel_path),
                };
                if let Some(selector) = selector {
                    self.objects.push(ManifestObject::PodDisruptionBudget {
                        name,
                        namespace,
                        selector,
                        min_available,
                        max_unavailable,
                    });
                }
            }
        }
    }

    /// `spec.template` of a workload.
    fn template(
        &mut self,
        spec: &Map<String, Value>,
        spec_path: &str,
        namespace: String,
    ) -> Option<PodTemplateInfo> {
        let path = join(spec_path, "template");
        let Some(t) = get(spec, "template") else {
            self.problem(
                &path,
                "missing; the workload needs a pod template (`template.spec.containers`)",
            );
            return None;
        };
        let tm = self.obj(t, &path, &["metadata", "spec"])?;
        let mut labels = Vec::new();
        if let Some(md) = get(tm, "metadata") {
            let md_path = join(&path, "metadata");
            if let Some(md) = self.obj(md, &md_path, &["labels", "name", "namespace"])
                && let Some(l) = get(md, "labels")
            {
                labels = self.string_map(l, &join(&md_path, "labels"));
            }
        }
        let spec_path = join(&path, "spec");
        match get(tm, "spec") {
            None => {
                self.problem(
                    &spec_path,
                    "missing; the pod template needs a spec with containers",
                );
                None
            }
            Some(s) => self.pod_spec(s, &spec_path, namespace, labels),
        }
    }

    /// A PodSpec.
    fn pod_spec(
        &mut self,
        v: &Value,
        path: &str,
        namespace: String,
        labels: Vec<(String, String)>,
    ) -> Option<PodTemplateInfo> {
        let m = self.obj(
            v,
            path,
            &[
                "containers",
                "initContainers",
                "nodeSelector",
                "tolerations",
                "affinity",
                "topologySpreadConstraints",
                "priorityClassName",
                "priority",
                "schedulerName",
                "hostNetwork",
                "terminationGracePeriodSeconds",
            ],
        )?;
        let mut ok = true;
        let problems_before = self.problems.len();

        // Containers.
        let c_path = join(path, "containers");
        let mut regular = Containers::default();
        match get(m, "containers").map(|c| (c, c.as_array())) {
            None => {
                self.problem(&c_path, "missing; a pod needs at least one container");
                ok = false;
            }
            Some((_, Some(items))) if items.is_empty() => {
                self.problem(&c_path, "empty; a pod needs at least one container");
                ok = false;
            }
            Some((c, _)) => {
                let mut sidecar = Vec::new();
                self.container_list(c, &c_path, false, &mut regular, &mut sidecar);
            }
        }
        let mut init = Containers::default();
        let mut sidecar = Vec::new();
        if let Some(c) = get(m, "initContainers") {
            self.container_list(
                c,
                &join(path, "initContainers"),
                true,
                &mut init,
                &mut sidecar,
            );
        }
        // Kubernetes PodRequests: regular containers and sidecars run together; each ordinary
        // init container runs with the sidecars declared before it.
        let mut total = regular.needs.iter().fold(Need::default(), |a, n| a.add(*n));
        let mut sidecars = Need::default();
        let mut init_peak = Need::default();
        for (need, is_sidecar) in init.needs.iter().zip(&sidecar) {
            if *is_sidecar {
                total = total.add(*need);
                sidecars = sidecars.add(*need);
                init_peak = init_peak.max(sidecars);
            } else {
                init_peak = init_peak.max(need.add(sidecars));
            }
        }
        let need = total.max(init_peak);
        let requests = PodResources {
            cpu_m: need.cpu_m,
            memory_mib: need.memory_mib,
            gpus: u32::try_from(need.gpus).unwrap_or(u32::MAX),
            ephemeral_mib: need.ephemeral_mib,
        };

        let node_selector = match get(m, "nodeSelector") {
            Some(ns) => self.string_map(ns, &join(path, "nodeSelector")),
            None => Vec::new(),
        };
        let tolerations = match get(m, "tolerations") {
            Some(t) => self.tolerations(t, &join(path, "tolerations")),
            None => Vec::new(),
        };
        let mut constraints = PodConstraints::default();
        if let Some(a) = get(m, "affinity") {
            self.affinity(a, &join(path, "affinity"), &mut constraints);
        }
        if let Some(t) = get(m, "topologySpreadConstraints") {
            constraints.topology_spread = self.spread(t, &join(path, "topologySpreadConstraints"));
        }
        let priority_class_name = self.opt_string(m, "priorityClassName", path);
        let priority = self
            .opt_int(m, "priority", path, i32::MIN as i64, i32::MAX as i64)
            .map(|p| p as i32);
        let scheduler_name = self.opt_string(m, "schedulerName", path);
        let host_network = self.opt_bool(m, "hostNetwork", path).unwrap_or(false);
        let termination_grace_period_s = self
            .opt_int(m, "terminationGracePeriodSeconds", path, 0, i64::MAX)
            .unwrap_or(30) as u64;

        if !ok || self.problems.len() > problems_before {
            return None;
        }
        Some(PodTemplateInfo {
            namespace,
            labels,
            requests,
            node_selector,
            tolerations,
            constraints,
            priority_class_name,
            priority,
            scheduler_name,
            image: regular.first_image.unwrap_or_default(),
            privileged: regular.privileged || init.privileged,
            host_network,
            // SetDefaults_Pod: with hostNetwork, hostPort defaults to containerPort.
            host_port: regular.host_port
                || init.host_port
                || (host_network && (regular.any_container_port || init.any_container_port)),
            termination_grace_period_s,
        })
    }

    fn container_list(
        &mut self,
        v: &Value,
        path: &str,
        init: bool,
        out: &mut Containers,
        sidecar: &mut Vec<bool>,
    ) {
        let Some(items) = self.list(v, path) else {
            return;
        };
        for (i, c) in items.iter().enumerate() {
            self.container(c, &at(path, i), init, out, sidecar);
        }
    }

    fn container(
        &mut self,
        v: &Value,
        path: &str,
        init: bool,
        out: &mut Containers,
        sidecar: &mut Vec<bool>,
    ) {
        let known: &[&str] = if init {
            &[
                "name",
                "image",
                "resources",
                "securityContext",
                "ports",
                "restartPolicy",
            ]
        } else {
            &["name", "image", "resources", "securityContext", "ports"]
        };
        let Some(m) = self.obj(v, path, known) else {
            return;
        };
        if let Some(n) = get(m, "name") {
            self.string(n, &join(path, "name"));
        }
        let image = self.opt_string(m, "image", path);
        if !init && out.first_image.is_none() {
            out.first_image = Some(image.unwrap_or_default());
        }
        let mut is_sidecar = false;
        if init && let Some(rp) = self.opt_string(m, "restartPolicy", path) {
            if rp == "Always" {
                is_sidecar = true;
            } else {
                self.problem(
                    &join(path, "restartPolicy"),
                    format!("`{rp}` is not allowed; an init container may only set `Always` (a native sidecar)"),
                );
            }
        }
        sidecar.push(is_sidecar);

        // Resources.
        let r_path = join(path, "resources");
        let mut requests = ResourceList::default();
        let mut limits = ResourceList::default();
        if let Some(r) = get(m, "resources")
            && let Some(rm) = self.obj(r, &r_path, &["requests", "limits"])
        {
            if let Some(q) = get(rm, "requests") {
                requests = self.resource_list(q, &join(&r_path, "requests"));
            }
            if let Some(q) = get(rm, "limits") {
                limits = self.resource_list(q, &join(&r_path, "limits"));
            }
        }
        self.check_request_le_limit(&r_path, "cpu", requests.cpu_m, limits.cpu_m, "m");
        self.check_request_le_limit(
            &r_path,
            "memory",
            requests.memory_mib,
            limits.memory_mib,
            "Mi",
        );
        self.check_request_le_limit(
            &r_path,
            "ephemeral-storage",
            requests.ephemeral_mib,
            limits.ephemeral_mib,
            "Mi",
        );
        match (requests.gpus, limits.gpus) {
            (Some(r), None) if r > 0 => self.problem(
                &join(&join(&r_path, "requests"), "nvidia.com/gpu"),
                "a GPU request needs an equal limit (Kubernetes does not overcommit extended resources); set limits.nvidia.com/gpu",
            ),
            (Some(r), Some(l)) if r != l => self.problem(
                &join(&join(&r_path, "requests"), "nvidia.com/gpu"),
                format!("request {r} differs from limit {l}; Kubernetes requires them equal for GPUs"),
            ),
            _ => {}
        }
        out.needs.push(Need {
            cpu_m: requests.cpu_m.or(limits.cpu_m).unwrap_or(0),
            memory_mib: requests.memory_mib.or(limits.memory_mib).unwrap_or(0),
            gpus: requests.gpus.or(limits.gpus).unwrap_or(0),
            ephemeral_mib: requests.ephemeral_mib.or(limits.ephemeral_mib).unwrap_or(0),
        });

        if let Some(sc) = get(m, "securityContext") {
            let sc_path = join(path, "securityContext");
            if let Some(scm) = self.obj(sc, &sc_path, &["privileged"])
                && self.opt_bool(scm, "privileged", &sc_path) == Some(true)
            {
                out.privileged = true;
            }
        }
        if let Some(p) = get(m, "ports") {
            let p_path = join(path, "ports");
            let Some(items) = self.list(p, &p_path) else {
                return;
            };
            for (i, port) in items.iter().enumerate() {
                let pp = at(&p_path, i);
                let Some(pm) = self.obj(port, &pp, &["containerPort", "hostPort"]) else {
                    continue;
                };
                if self.opt_int(pm, "containerPort", &pp, 1, 65535).is_some() {
                    out.any_container_port = true;
                }
                if let Some(h) = self.opt_int(pm, "hostPort", &pp, 0, 65535)
                    && h > 0
                {
                    out.host_port = true;
                }
            }
        }
    }

    fn check_request_le_limit(
        &mut self,
        r_path: &str,
        key: &str,
        req: Option<u64>,
        lim: Option<u64>,
        unit: &str,
    ) {
        if let (Some(r), Some(l)) = (req, lim)
            && r > l
        {
            self.problem(
                &join(&join(r_path, "requests"), key),
                format!(
                    "request {r}{unit} exceeds limit {l}{unit}; Kubernetes requires request ≤ limit"
                ),
            );
        }
    }

    fn resource_list(&mut self, v: &Value, path: &str) -> ResourceList {
        let mut out = ResourceList::default();
        let Some(m) = v.as_object() else {
            self.problem(
                path,
                format!(
                    "expected a mapping of resource quantities, got {}",
                    describe(v)
                ),
            );
            return out;
        };
        for (k, q) in m {
            let qp = join(path, k);
            match k.as_str() {
                "cpu" | "memory" | "ephemeral-storage" | "nvidia.com/gpu" => {}
                _ => {
                    self.ignore(&qp);
                    continue;
                }
            }
            let text = match q {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                other => {
                    self.problem(&qp, format!("expected a quantity, got {}", describe(other)));
                    continue;
                }
            };
            let parsed = match k.as_str() {
                "cpu" => parse_cpu(&text).map(|m| out.cpu_m = Some(m)),
                "memory" => parse_memory_mib(&text).map(|m| out.memory_mib = Some(m)),
                "ephemeral-storage" => parse_memory_mib(&text).map(|m| out.ephemeral_mib = Some(m)),
                _ => match text.trim().parse::<u64>() {
                    Ok(n) if n <= u32::MAX as u64 => {
                        out.gpus = Some(n);
                        Ok(())
                    }
                    _ => Err(format!(
                        "`{text}` is not a GPU count; expected a whole number like `1`"
                    )),
                },
            };
            if let Err(e) = parsed {
                self.problem(&qp, e);
            }
        }
        out
    }

    fn tolerations(&mut self, v: &Value, path: &str) -> Vec<Toleration> {
        let Some(items) = self.list(v, path) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, t) in items.iter().enumerate() {
            let tp = at(path, i);
            let Some(m) = self.obj(
                t,
                &tp,
                &["key", "operator", "value", "effect", "tolerationSeconds"],
            ) else {
                continue;
            };
            let key = self.opt_string(m, "key", &tp).unwrap_or_default();
            let value = self.opt_string(m, "value", &tp).unwrap_or_default();
            let operator = match self.opt_string(m, "operator", &tp).as_deref() {
                None | Some("Equal") => TolerationOperator::Equal,
                Some("Exists") => TolerationOperator::Exists,
                Some(other) => {
                    self.problem(
                        &join(&tp, "operator"),
                        format!(
                            "`{other}` is not a toleration operator; expected `Equal` or `Exists`"
                        ),
                    );
                    continue;
                }
            };
            if key.is_empty() && operator == TolerationOperator::Equal {
                self.problem(
                    &join(&tp, "operator"),
                    "must be `Exists` when key is empty (a toleration of every taint)",
                );
            }
            if operator == TolerationOperator::Exists && !value.is_empty() {
                self.problem(
                    &join(&tp, "value"),
                    "must be empty when operator is `Exists`",
                );
            }
            let effect = match self.opt_string(m, "effect", &tp).as_deref() {
                None | Some("") => None,
                Some(e @ ("NoSchedule" | "PreferNoSchedule" | "NoExecute")) => {
                    TaintEffect::parse(e)
                }
                Some(other) => {
                    self.problem(
                        &join(&tp, "effect"),
                        format!("`{other}` is not a taint effect; expected `NoSchedule`, `PreferNoSchedule` or `NoExecute` (or leave it out for all)"),
                    );
                    continue;
                }
            };
            if get(m, "tolerationSeconds").is_some() {
                self.opt_int(m, "tolerationSeconds", &tp, i64::MIN, i64::MAX);
                if effect != Some(TaintEffect::NoExecute) {
                    self.problem(
                        &join(&tp, "tolerationSeconds"),
                        "only allowed with effect `NoExecute`",
                    );
                }
                // Eviction delay after a NoExecute taint: not a scheduling input.
                self.ignore(&join(&tp, "tolerationSeconds"));
            }
            out.push(Toleration {
                key,
                operator,
                value,
                effect,
            });
        }
        out
    }

    /// One `{key, operator, values}`; `node` allows `Gt`/`Lt`.
    fn requirement(&mut self, v: &Value, path: &str, node: bool) -> Option<Requirement> {
        let m = self.obj(v, path, &["key", "operator", "values"])?;
        let key = self.opt_string(m, "key", path).unwrap_or_default();
        if key.is_empty() {
            self.problem(
                &join(path, "key"),
                "missing; a requirement needs a label key",
            );
        }
        let ops = if node {
            "`In`, `NotIn`, `Exists`, `DoesNotExist`, `Gt` or `Lt`"
        } else {
            "`In`, `NotIn`, `Exists` or `DoesNotExist`"
        };
        let op = match self.opt_string(m, "operator", path) {
            None => {
                self.problem(&join(path, "operator"), format!("missing; expected {ops}"));
                None
            }
            Some(s) => match SelectorOp::parse(&s) {
                Some(SelectorOp::Gt | SelectorOp::Lt) if !node => {
                    self.problem(
                        &join(path, "operator"),
                        format!("`{s}` is only for node selectors; expected {ops}"),
                    );
                    None
                }
                Some(op) => Some(op),
                None => {
                    self.problem(
                        &join(path, "operator"),
                        format!("`{s}` is not an operator; expected {ops}"),
                    );
                    None
                }
            },
        };
        let values = match get(m, "values") {
            Some(vals) => self.string_list(vals, &join(path, "values")),
            None => Vec::new(),
        };
        let op = op?;
        let vp = join(path, "values");
        match op {
            SelectorOp::In | SelectorOp::NotIn if values.is_empty() => {
                self.problem(&vp, format!("`{op:?}` needs at least one value"));
            }
            SelectorOp::Exists | SelectorOp::DoesNotExist if !values.is_empty() => {
                self.problem(&vp, format!("must be empty with `{op:?}`"));
            }
            SelectorOp::Gt | SelectorOp::Lt
                if values.len() != 1 || values[0].parse::<i64>().is_err() =>
            {
                self.problem(
                    &vp,
                    format!("`{op:?}` needs exactly one integer value, e.g. [\"4\"]"),
                );
            }
            _ => {}
        }
        if key.is_empty() {
            return None;
        }
        Some(Requirement { key, op, values })
    }

    fn requirements(&mut self, v: &Value, path: &str, node: bool) -> Vec<Requirement> {
        let Some(items) = self.list(v, path) else {
            return Vec::new();
        };
        items
            .iter()
            .enumerate()
            .filter_map(|(i, r)| self.requirement(r, &at(path, i), node))
            .collect()
    }

    fn label_selector(&mut self, v: &Value, path: &str) -> Option<LabelSelector> {
        let m = self.obj(v, path, &["matchLabels", "matchExpressions"])?;
        let match_labels = match get(m, "matchLabels") {
            Some(l) => self.string_map(l, &join(path, "matchLabels")),
            None => Vec::new(),
        };
        let match_expressions = match get(m, "matchExpressions") {
            Some(e) => self.requirements(e, &join(path, "matchExpressions"), false),
            None => Vec::new(),
        };
        Some(LabelSelector {
            match_labels,
            match_expressions,
        })
    }

    fn node_selector_term(&mut self, v: &Value, path: &str) -> Option<NodeSelectorTerm> {
        let m = self.obj(v, path, &["matchExpressions", "matchFields"])?;
        if get(m, "matchFields").is_some() {
            self.problem(
                &join(path, "matchFields"),
                "not modelled (it pins pods to node names); use matchExpressions on `kubernetes.io/hostname` instead",
            );
        }
        let match_expressions = match get(m, "matchExpressions") {
            Some(e) => self.requirements(e, &join(path, "matchExpressions"), true),
            None => Vec::new(),
        };
        Some(NodeSelectorTerm { match_expressions })
    }

    fn weight(&mut self, m: &Map<String, Value>, path: &str) -> Option<i32> {
        match get(m, "weight") {
            None => {
                self.problem(
                    &join(path, "weight"),
                    "missing; expected a weight from 1 to 100",
                );
                None
            }
            Some(w) => self.int(w, &join(path, "weight"), 1, 100).map(|w| w as i32),
        }
    }

    fn affinity(&mut self, v: &Value, path: &str, out: &mut PodConstraints) {
        let Some(m) = self.obj(v, path, &["nodeAffinity", "podAffinity", "podAntiAffinity"]) else {
            return;
        };
        const REQ: &str = "requiredDuringSchedulingIgnoredDuringExecution";
        const PREF: &str = "preferredDuringSchedulingIgnoredDuringExecution";
        if let Some(na) = get(m, "nodeAffinity") {
            let np = join(path, "nodeAffinity");
            if let Some(nm) = self.obj(na, &np, &[REQ, PREF]) {
                if let Some(req) = get(nm, REQ) {
                    let rp = join(&np, REQ);
                    if let Some(rm) = self.obj(req, &rp, &["nodeSelectorTerms"]) {
                        let tp = join(&rp, "nodeSelectorTerms");
                        match get(rm, "nodeSelectorTerms").and_then(|t| self.list(t, &tp)) {
                            Some(terms) if !terms.is_empty() => {
                                for (i, t) in terms.iter().enumerate() {
                                    if let Some(term) = self.node_selector_term(t, &at(&tp, i)) {
                                        out.node_affinity.required.push(term);
                                    }
                                }
                            }
                            _ => self.problem(&tp, "needs at least one node selector term"),
                        }
                    }
                }
                if let Some(pref) = get(nm, PREF) {
                    let pp = join(&np, PREF);
                    if let Some(items) = self.list(pref, &pp) {
                        for (i, item) in items.iter().enumerate() {
                            let ip = at(&pp, i);
                            let Some(im) = self.obj(item, &ip, &["weight", "preference"]) else {
                                continue;
                            };
                            let w = self.weight(im, &ip);
                            let term = match get(im, "preference") {
                                None => {
                                    self.problem(
                                        &join(&ip, "preference"),
                                        "missing; expected a node selector term",
                                    );
                                    None
                                }
                                Some(t) => self.node_selector_term(t, &join(&ip, "preference")),
                            };
                            if let (Some(w), Some(term)) = (w, term) {
                                out.node_affinity.preferred.push((w, term));
                            }
                        }
                    }
                }
            }
        }
        for (key, anti) in [("podAffinity", false), ("podAntiAffinity", true)] {
            let Some(pa) = get(m, key) else { continue };
            let pp = join(path, key);
            let Some(pm) = self.obj(pa, &pp, &[REQ, PREF]) else {
                continue;
            };
            let mut result = PodAffinity::default();
            if let Some(req) = get(pm, REQ) {
                let rp = join(&pp, REQ);
                if let Some(items) = self.list(req, &rp) {
                    for (i, t) in items.iter().enumerate() {
                        let tp = at(&rp, i);
                        match self.pod_affinity_term(t, &tp) {
                            Some((term, true)) => result.required.push(term),
                            Some((_, false)) if !anti => self.problem(
                                &join(&tp, "labelSelector"),
                                "missing; without a labelSelector the term matches no pods, so the pod could never be scheduled",
                            ),
                            Some((_, false)) => self.no_selector(&tp),
                            None => {}
                        }
                    }
                }
            }
            if let Some(pref) = get(pm, PREF) {
                let fp = join(&pp, PREF);
                if let Some(items) = self.list(pref, &fp) {
                    for (i, item) in items.iter().enumerate() {
                        let ip = at(&fp, i);
                        let Some(im) = self.obj(item, &ip, &["weight", "podAffinityTerm"]) else {
                            continue;
                        };
                        let w = self.weight(im, &ip);
                        let tp = join(&ip, "podAffinityTerm");
                        let term = match get(im, "podAffinityTerm") {
                            None => {
                                self.problem(&tp, "missing; expected a pod affinity term");
                                None
                            }
                            Some(t) => self.pod_affinity_term(t, &tp),
                        };
                        match (w, term) {
                            (Some(w), Some((term, true))) => result.preferred.push((w, term)),
                            (_, Some((_, false))) => self.no_selector(&ip),
                            _ => {}
                        }
                    }
                }
            }
            if anti {
                out.pod_anti_affinity = result;
            } else {
                out.pod_affinity = result;
            }
        }
    }

    /// A term or spread constraint without labelSelector matches no pods in Kubernetes, so it
    /// has no effect: dropped, and said so.
    fn no_selector(&mut self, path: &str) {
        let entry = format!(
            "{} {} (no labelSelector: matches no pods, so has no effect)",
            self.label,
            strip_indices(path)
        );
        self.ignore_entry(entry);
    }

    /// A PodAffinityTerm, and whether it had a labelSelector.
    fn pod_affinity_term(&mut self, v: &Value, path: &str) -> Option<(PodAffinityTerm, bool)> {
        let m = self.obj(v, path, &["labelSelector", "namespaces", "topologyKey"])?;
        let before = self.problems.len();
        let (selector, has_selector) = match get(m, "labelSelector") {
            Some(s) => (
                self.label_selector(s, &join(path, "labelSelector"))
                    .unwrap_or_default(),
                true,
            ),
            None => (LabelSelector::default(), false),
        };
        let namespaces = match get(m, "namespaces") {
            Some(n) => self.string_list(n, &join(path, "namespaces")),
            None => Vec::new(),
        };
        let topology_key = self.opt_string(m, "topologyKey", path).unwrap_or_default();
        if topology_key.is_empty() {
            self.problem(&join(path, "topologyKey"), "missing or empty; expected a node label such as `kubernetes.io/hostname` or `topology.kubernetes.io/zone`");
        }
        if self.problems.len() > before {
            return None;
        }
        Some((
            PodAffinityTerm {
                selector,
                namespaces,
                topology_key,
            },
            has_selector,
        ))
    }

    fn spread(&mut self, v: &Value, path: &str) -> Vec<TopologySpreadConstraint> {
        let Some(items) = self.list(v, path) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, c) in items.iter().enumerate() {
            let cp = at(path, i);
            let Some(m) = self.obj(
                c,
                &cp,
                &[
                    "maxSkew",
                    "topologyKey",
                    "whenUnsatisfiable",
                    "labelSelector",
                    "minDomains",
                ],
            ) else {
                continue;
            };
            let before = self.problems.len();
            let max_skew = match get(m, "maxSkew") {
                None => {
                    self.problem(
                        &join(&cp, "maxSkew"),
                        "missing; expected a whole number ≥ 1",
                    );
                    0
                }
                Some(s) => self
                    .int(s, &join(&cp, "maxSkew"), 1, i32::MAX as i64)
                    .unwrap_or(0) as u32,
            };
            let topology_key = self.opt_string(m, "topologyKey", &cp).unwrap_or_default();
            if topology_key.is_empty() {
                self.problem(
                    &join(&cp, "topologyKey"),
                    "missing or empty; expected a node label such as `topology.kubernetes.io/zone`",
                );
            }
            let wp = join(&cp, "whenUnsatisfiable");
            let when = match self.opt_string(m, "whenUnsatisfiable", &cp).as_deref() {
                Some("DoNotSchedule") => Some(WhenUnsatisfiable::DoNotSchedule),
                Some("ScheduleAnyway") => Some(WhenUnsatisfiable::ScheduleAnyway),
                Some(other) => {
                    self.problem(
                        &wp,
                        format!(
                            "`{other}` is not allowed; expected `DoNotSchedule` or `ScheduleAnyway`"
                        ),
                    );
                    None
                }
                None => {
                    if get(m, "whenUnsatisfiable").is_none() {
                        self.problem(&wp, "missing; expected `DoNotSchedule` or `ScheduleAnyway`");
                    }
                    None
                }
            };
            let min_domains = self
                .opt_int(m, "minDomains", &cp, 1, i32::MAX as i64)
                .map(|n| n as u32);
            if min_domains.is_some() && when == Some(WhenUnsatisfiable::ScheduleAnyway) {
                self.problem(
                    &join(&cp, "minDomains"),
                    "only allowed with whenUnsatisfiable `DoNotSchedule`",
                );
            }
            let selector = get(m, "labelSelector")
                .and_then(|s| self.label_selector(s, &join(&cp, "labelSelector")));
            if self.problems.len() > before {
                continue;
            }
            let Some(when_unsatisfiable) = when else {
                continue;
            };
            match selector {
                Some(selector) => out.push(TopologySpreadConstraint {
                    max_skew,
                    topology_key,
                    when_unsatisfiable,
                    selector,
                    min_domains,
                }),
                None => self.no_selector(&cp),
            }
        }
        out
    }

    fn int_or_percent(&mut self, v: &Value, path: &str) -> Option<IntOrPercent> {
        match v {
            Value::String(s) => match s.strip_suffix('%').map(|n| n.parse::<u32>()) {
                Some(Ok(p)) if p <= 100 => Some(IntOrPercent::Percent(p)),
                _ => {
                    self.problem(path, format!("`{s}` is not a count or a percentage; expected a whole number like `2` or a percentage like `50%`"));
                    None
                }
            },
            _ => {
                match v.as_i64() {
                    Some(n) if (0..=i32::MAX as i64).contains(&n) => {
                        Some(IntOrPercent::Int(n as u32))
                    }
                    _ => {
                        self.problem(path, format!("expected a whole number like `2` or a percentage like `50%`, got {}", describe(v)));
                        None
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::constraints::NodeAffinity;

    const SHOP: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/manifests/shop.yaml"
    ));
    const INVALID: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/manifests/invalid.yaml"
    ));
    const SYNTAX: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/manifests/syntax_error.yaml"
    ));
    const EMPTY: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/manifests/empty.yaml"
    ));

    fn parse(text: &str) -> Result<ManifestSet, ManifestError> {
        parse_manifests(text, Path::new("m.yaml"))
    }

    fn ok(text: &str) -> ManifestSet {
        parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn problems(text: &str) -> Vec<String> {
        match parse(text) {
            Err(ManifestError::Invalid { problems, .. }) => problems,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    /// Asserts that exactly one problem contains every fragment.
    fn has(problems: &[String], fragments: &[&str]) {
        let n = problems
            .iter()
            .filter(|p| fragments.iter().all(|f| p.contains(f)))
            .count();
        assert_eq!(
            n,
            1,
            "want one problem with {fragments:?} in:\n{}",
            problems.join("\n")
        );
    }

    fn l(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn req(key: &str, op: SelectorOp, values: &[&str]) -> Requirement {
        Requirement {
            key: key.into(),
            op,
            values: values.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn app_web() -> LabelSelector {
        LabelSelector {
            match_labels: l(&[("app", "web")]),
            match_expressions: vec![],
        }
    }

    /// A Pod document with `spec_body` (indented by 2) as its spec.
    fn pod(spec_body: &str) -> String {
        format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n{spec_body}")
    }

    fn only_template(set: &ManifestSet) -> &PodTemplateInfo {
        assert_eq!(set.objects.len(), 1, "{:?}", set.objects);
        set.objects[0].template().unwrap()
    }

    #[test]
    fn shop_fixture_is_read_to_hand_checked_values() {
        let set = ok(SHOP);
        assert_eq!(set.objects.len(), 5);
        let expected_web = PodTemplateInfo {
            namespace: "shop".into(),
            labels: l(&[("app", "web"), ("tier", "frontend")]),
            // cpu: max(init 1 CPU, 250m + 500m from the limits-only sidecar) = 1000m;
            // memory: max(init 256Mi, 512Mi + 128Mi) = 640; ephemeral 1Gi = 1024.
            requests: PodResources {
                cpu_m: 1000,
                memory_mib: 640,
                gpus: 0,
                ephemeral_mib: 1024,
            },
            node_selector: l(&[
                ("eks.amazonaws.com/capacityType", "ON_DEMAND"),
                ("kubernetes.io/os", "linux"),
            ]),
            tolerations: vec![
                Toleration {
                    key: "dedicated".into(),
                    operator: TolerationOperator::Equal,
                    value: "web".into(),
                    effect: Some(TaintEffect::NoSchedule),
                },
                Toleration {
                    key: "node.kubernetes.io/not-ready".into(),
                    operator: TolerationOperator::Exists,
                    value: String::new(),
                    effect: Some(TaintEffect::NoExecute),
                },
            ],
            constraints: PodConstraints {
                node_affinity: NodeAffinity {
                    required: vec![NodeSelectorTerm {
                        match_expressions: vec![
                            req(
                                "node.kubernetes.io/instance-type",
                                SelectorOp::In,
                                &["m5.large", "m5.xlarge"],
                            ),
                            req("karpenter.k8s.aws/instance-cpu", SelectorOp::Gt, &["1"]),
                        ],
                    }],
                    preferred: vec![(
                        50,
                        NodeSelectorTerm {
                            match_expressions: vec![req(
                                "topology.kubernetes.io/zone",
                                SelectorOp::In,
                                &["eu-west-1a"],
                            )],
                        },
                    )],
                },
                pod_affinity: PodAffinity::default(),
                pod_anti_affinity: PodAffinity {
                    required: vec![PodAffinityTerm {
                        selector: app_web(),
                        namespaces: vec![],
                        topology_key: "kubernetes.io/hostname".into(),
                    }],
                    preferred: vec![],
                },
                topology_spread: vec![TopologySpreadConstraint {
                    max_skew: 1,
                    topology_key: "topology.kubernetes.io/zone".into(),
                    when_unsatisfiable: WhenUnsatisfiable::ScheduleAnyway,
                    selector: app_web(),
                    min_domains: None,
                }],
            },
            priority_class_name: Some("shop-high".into()),
            priority: None,
            scheduler_name: None,
            image: "shop/web:2.1".into(),
            privileged: false,
            host_network: false,
            host_port: false,
            termination_grace_period_s: 45,
        };
        assert_eq!(
            set.objects[0],
            ManifestObject::Deployment {
                name: "web".into(),
                replicas: 3,
                template: expected_web
            }
        );
        let ManifestObject::Job {
            name,
            parallelism,
            completions,
            backoff_limit,
            template,
        } = &set.objects[1]
        else {
            panic!("{:?}", set.objects[1]);
        };
        assert_eq!(
            (name.as_str(), *parallelism, *completions, *backoff_limit),
            ("reindex", 2, Some(8), 3)
        );
        // 0.5 CPU; 1G = 10^9 B = 953.67 MiB rounded up; the GPU limit becomes the request.
        assert_eq!(
            template.requests,
            PodResources {
                cpu_m: 500,
                memory_mib: 954,
                gpus: 1,
                ephemeral_mib: 0
            }
        );
        assert_eq!(template.namespace, "shop");
        assert!(template.labels.is_empty());
        assert_eq!(template.termination_grace_period_s, 30);
        assert_eq!(template.priority_class_name.as_deref(), Some("shop-batch"));
        assert_eq!(
            set.objects[2],
            ManifestObject::PriorityClass {
                name: "shop-high".into(),
                value: 100_000,
                global_default: false,
                preemption_policy_never: false
            }
        );
        assert_eq!(
            set.objects[3],
            ManifestObject::PriorityClass {
                name: "shop-batch".into(),
                value: -10,
                global_default: false,
                preemption_policy_never: true
            }
        );
        assert_eq!(
            set.objects[4],
            ManifestObject::PodDisruptionBudget {
                name: "web-pdb".into(),
                namespace: "shop".into(),
                selector: app_web(),
                min_available: None,
                max_unavailable: Some(IntOrPercent::Percent(50)),
            }
        );
        assert_eq!(
            set.ignored,
            [
                "doc 1: Deployment/web metadata.annotations",
                "doc 1: Deployment/web spec.strategy",
                "doc 1: Deployment/web spec.template.spec.serviceAccountName",
                "doc 1: Deployment/web spec.template.spec.containers[].env",
                "doc 1: Deployment/web spec.template.spec.containers[].livenessProbe",
                "doc 1: Deployment/web spec.template.spec.containers[].ports[].name",
                "doc 1: Deployment/web spec.template.spec.tolerations[].tolerationSeconds",
                "doc 2: Service/web (kind not modelled)",
                "doc 4: Job/reindex spec.template.spec.restartPolicy",
                "doc 5: PriorityClass/shop-high description",
            ]
        );
    }

    #[test]
    fn invalid_fixture_reports_every_problem_with_doc_kind_name_path_and_line() {
        let p = problems(INVALID);
        assert_eq!(p.len(), 15, "{}", p.join("\n"));
        has(
            &p,
            &[
                "doc 1 (Deployment/web): spec.replicas: expected a whole number",
                "`three`",
                "(line 8, column 3)",
            ],
        );
        has(
            &p,
            &[
                "doc 1 (Deployment/web): spec.template.metadata.labels.version: expected a string",
                "quote it",
            ],
        );
        assert!(p.contains(&"doc 1 (Deployment/web): spec.template.spec.containers[0].resources.requests.cpu: `lots` is not a CPU quantity; expected cores like `2` or `0.5`, or millicores like `500m` (line 20, column 15)".to_string()), "{p:?}");
        has(
            &p,
            &[
                "doc 1 (Deployment/web): spec.template.spec.containers[0].resources.requests.memory: `2GB` is not a memory quantity",
            ],
        );
        has(
            &p,
            &[
                "doc 1 (Deployment/web): spec.template.spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchExpressions[0].operator: `Gt` is only for node selectors",
            ],
        );
        has(
            &p,
            &["requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: missing or empty"],
        );
        has(
            &p,
            &[
                "doc 2 (Deployment/legacy): apiVersion: the string `extensions/v1beta1` is not an API version of Deployment; expected `apps/v1`",
            ],
        );
        has(
            &p,
            &[
                "doc 3 (?/nameless-kind): kind: missing",
                "(line 42, column 1)",
            ],
        );
        has(
            &p,
            &[
                "doc 4 (Pod/spread): spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: expected a whole number from 1 to 100, got the number 101",
            ],
        );
        has(
            &p,
            &[
                "doc 4 (Pod/spread): spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].preference.matchExpressions[0].values: `In` needs at least one value",
            ],
        );
        has(
            &p,
            &[
                "doc 4 (Pod/spread): spec.topologySpreadConstraints[0].maxSkew: expected a whole number from 1",
            ],
        );
        has(
            &p,
            &[
                "doc 4 (Pod/spread): spec.topologySpreadConstraints[0].whenUnsatisfiable: `Sometimes` is not allowed; expected `DoNotSchedule` or `ScheduleAnyway`",
            ],
        );
        has(
            &p,
            &[
                "doc 4 (Pod/spread): spec.topologySpreadConstraints[1].topologyKey: missing or empty",
            ],
        );
        has(
            &p,
            &[
                "doc 4 (Pod/spread): spec.topologySpreadConstraints[1].minDomains: only allowed with whenUnsatisfiable `DoNotSchedule`",
            ],
        );
        has(
            &p,
            &["doc 5 (PodDisruptionBudget/both): spec: sets both minAvailable and maxUnavailable"],
        );
        // The Display lists them all under the file name.
        let shown = parse(INVALID).unwrap_err().to_string();
        assert!(
            shown.starts_with("m.yaml: 15 problem(s):\n  - doc 1 (Deployment/web)"),
            "{shown}"
        );
    }

    #[test]
    fn syntax_errors_name_the_document_line_and_column() {
        match parse_manifests(SYNTAX, Path::new("deploy/app.yaml")).unwrap_err() {
            ManifestError::Parse {
                file,
                doc_index,
                message,
            } => {
                assert_eq!(file, Path::new("deploy/app.yaml"));
                assert_eq!(doc_index, 2);
                assert!(message.starts_with("line 14 column 5: "), "{message}");
                assert!(message.contains("deploy/app.yaml:14:5"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn duplicate_keys_are_a_parse_error_in_their_document() {
        let text = "kind: PriorityClass\n---\napiVersion: v1\nkind: Pod\nkind: Pod\n";
        match parse(text).unwrap_err() {
            ManifestError::Parse {
                doc_index, message, ..
            } => {
                assert_eq!(doc_index, 2);
                assert!(
                    message.starts_with("line 5 column 1: duplicate mapping key: kind"),
                    "{message}"
                );
                assert!(!message.contains("DuplicateKeyPolicy"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn empty_files_and_documents_give_an_empty_set() {
        for text in ["", "\n\n", EMPTY, "---\n...\n", "~\n---\nnull\n"] {
            assert_eq!(ok(text), ManifestSet::default(), "{text:?}");
        }
    }

    #[test]
    fn documents_are_numbered_as_a_reader_counts_them() {
        // A leading `---` does not add a document; an empty one still counts.
        let text = "---\nkind: ConfigMap\nmetadata: {name: a}\n---\n---\nkind: Secret\nmetadata: {name: b}\n";
        assert_eq!(
            ok(text).ignored,
            [
                "doc 1: ConfigMap/a (kind not modelled)",
                "doc 3: Secret/b (kind not modelled)"
            ]
        );
        let bad = "kind: Service\n---\n\n# comment\napiVersion: v2\nkind: Pod\nmetadata: {name: x}\nspec: {containers: [{image: a}]}\n";
        has(
            &problems(bad),
            &[
                "doc 2 (Pod/x): apiVersion:",
                "expected `v1`",
                "(line 5, column 1)",
            ],
        );
    }

    #[test]
    fn defaults_for_a_minimal_deployment() {
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers: [{name: c}]\n";
        let set = ok(text);
        let ManifestObject::Deployment {
            replicas, template, ..
        } = &set.objects[0]
        else {
            panic!()
        };
        assert_eq!(*replicas, 1);
        assert_eq!(template.namespace, "default");
        assert_eq!(template.termination_grace_period_s, 30);
        assert_eq!(template.requests, PodResources::default());
        assert_eq!(template.image, "");
        assert!(template.constraints.is_empty());
        assert!(set.ignored.is_empty(), "{:?}", set.ignored);
    }

    #[test]
    fn statefulset_replicas_and_selector_must_select_the_template() {
        let sts = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\nspec:\n  replicas: 0\n  serviceName: db\n  selector: {matchLabels: {app: db}}\n  template:\n    metadata: {labels: {app: db}}\n    spec: {containers: [{image: pg}]}\n";
        let set = ok(sts);
        assert!(
            matches!(&set.objects[0], ManifestObject::StatefulSet { replicas: 0, name, .. } if name == "db")
        );
        assert_eq!(set.ignored, ["doc 1: StatefulSet/db spec.serviceName"]);
        let p = problems(&sts.replace("{app: db}}\n  template", "{app: cache}}\n  template"));
        has(
            &p,
            &[
                "doc 1 (StatefulSet/db): spec.selector: does not match spec.template.metadata.labels",
            ],
        );
    }

    #[test]
    fn job_defaulting_follows_set_defaults_job() {
        let job = |spec: &str| {
            format!(
                "apiVersion: batch/v1\nkind: Job\nmetadata: {{name: j}}\nspec:\n{spec}  template:\n    spec: {{containers: [{{image: a}}]}}\n"
            )
        };
        let get = |text: String| match ok(&text).objects.remove(0) {
            ManifestObject::Job {
                parallelism,
                completions,
                backoff_limit,
                ..
            } => (parallelism, completions, backoff_limit),
            other => panic!("{other:?}"),
        };
        assert_eq!(get(job("")), (1, Some(1), 6));
        assert_eq!(get(job("  parallelism: 4\n")), (4, None, 6)); // work queue
        assert_eq!(get(job("  completions: 5\n")), (1, Some(5), 6));
        assert_eq!(
            get(job(
                "  parallelism: 0\n  completions: 3\n  backoffLimit: 0\n"
            )),
            (0, Some(3), 0)
        );
    }

    #[test]
    fn effective_requests_with_limits_only_init_and_native_sidecars() {
        // Regular: 100m + 200m (limits only) = 300m. Sidecar 50m runs with both the later init
        // container (400m + 50m = 450m) and the app (300m + 50m = 350m) → 450m.
        let spec = "  initContainers:\n    - {name: proxy, restartPolicy: Always, resources: {requests: {cpu: 50m, memory: 64Mi}}}\n    - {name: seed, resources: {requests: {cpu: 400m, memory: 100Mi, ephemeral-storage: 2Gi}}}\n  containers:\n    - {name: a, image: app:1, resources: {requests: {cpu: 100m, memory: 1Gi}}}\n    - {name: b, image: helper:2, resources: {limits: {cpu: 200m, memory: 256Mi, ephemeral-storage: 512Mi}}}\n";
        let set = ok(&pod(spec));
        let t = only_template(&set);
        assert_eq!(
            t.requests,
            PodResources {
                cpu_m: 450,
                memory_mib: 1024 + 256 + 64,
                gpus: 0,
                ephemeral_mib: 2048
            }
        );
        assert_eq!(t.image, "app:1");
    }

    #[test]
    fn requests_above_limits_and_gpu_rules_are_rejected() {
        let spec = "  containers:\n    - name: a\n      resources:\n        requests: {cpu: \"2\", nvidia.com/gpu: 1}\n        limits: {cpu: \"1\"}\n    - name: b\n      resources:\n        requests: {nvidia.com/gpu: 2}\n        limits: {nvidia.com/gpu: 1, hugepages-2Mi: 1Gi}\n    - name: c\n      resources: {limits: {nvidia.com/gpu: 0.5}}\n";
        let p = problems(&pod(spec));
        assert_eq!(p.len(), 4, "{}", p.join("\n"));
        has(
            &p,
            &[
                "doc 1 (Pod/p): spec.containers[0].resources.requests.cpu: request 2000m exceeds limit 1000m",
            ],
        );
        has(
            &p,
            &[
                "spec.containers[0].resources.requests.nvidia.com/gpu: a GPU request needs an equal limit",
            ],
        );
        has(
            &p,
            &[
                "spec.containers[1].resources.requests.nvidia.com/gpu: request 2 differs from limit 1",
            ],
        );
        has(
            &p,
            &["spec.containers[2].resources.limits.nvidia.com/gpu: `0.5` is not a GPU count"],
        );
    }

    #[test]
    fn unmodelled_resources_are_listed_as_ignored() {
        let spec = "  containers:\n    - resources: {limits: {cpu: 1, hugepages-2Mi: 1Gi, vpc.amazonaws.com/pod-eni: 1}}\n";
        let set = ok(&pod(spec));
        assert_eq!(
            set.ignored,
            [
                "doc 1: Pod/p spec.containers[].resources.limits.hugepages-2Mi",
                "doc 1: Pod/p spec.containers[].resources.limits.vpc.amazonaws.com/pod-eni",
            ]
        );
        assert_eq!(only_template(&set).requests.cpu_m, 1000);
    }

    #[test]
    fn host_network_defaults_host_ports_and_privileged_counts_init_containers() {
        let spec = "  hostNetwork: true\n  initContainers:\n    - {image: setup, securityContext: {privileged: true}}\n  containers:\n    - {image: agent, ports: [{containerPort: 9100}]}\n";
        let set = ok(&pod(spec));
        let t = only_template(&set);
        assert!(t.host_network && t.host_port && t.privileged);

        let spec = "  containers:\n    - {image: a, ports: [{containerPort: 80}], securityContext: {privileged: false, runAsUser: 1000}}\n";
        let set = ok(&pod(spec));
        let t = only_template(&set);
        assert!(!t.host_network && !t.host_port && !t.privileged);
        assert_eq!(
            set.ignored,
            ["doc 1: Pod/p spec.containers[].securityContext.runAsUser"]
        );

        let set = ok(&pod(
            "  containers:\n    - {image: a, ports: [{containerPort: 80, hostPort: 8080}]}\n",
        ));
        assert!(only_template(&set).host_port);
    }

    #[test]
    fn pod_fields_priority_scheduler_and_sorted_labels() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: batch\n  labels: {zeta: z, alpha: a, empty: }\nspec:\n  priority: -5\n  schedulerName: my-scheduler\n  terminationGracePeriodSeconds: 0\n  nodeSelector: {b: \"2\", a: \"1\"}\n  containers: [{image: x}]\n";
        let set = ok(text);
        let t = only_template(&set);
        assert_eq!(t.labels, l(&[("alpha", "a"), ("empty", ""), ("zeta", "z")]));
        assert_eq!(t.node_selector, l(&[("a", "1"), ("b", "2")]));
        assert_eq!(
            (t.priority, t.scheduler_name.as_deref()),
            (Some(-5), Some("my-scheduler"))
        );
        assert_eq!(
            (t.namespace.as_str(), t.termination_grace_period_s),
            ("batch", 0)
        );
    }

    #[test]
    fn tolerations_are_validated_like_kubernetes() {
        let spec = "  containers: [{image: a}]\n  tolerations:\n    - {operator: Exists}\n    - {key: a, operator: Exists, value: x}\n    - {key: b, effect: NO_SCHEDULE}\n    - {key: c, operator: Maybe}\n    - {value: v}\n    - {key: d, effect: NoSchedule, tolerationSeconds: 30}\n";
        let p = problems(&pod(spec));
        assert_eq!(p.len(), 5, "{}", p.join("\n"));
        has(
            &p,
            &["spec.tolerations[1].value: must be empty when operator is `Exists`"],
        );
        has(
            &p,
            &["spec.tolerations[2].effect: `NO_SCHEDULE` is not a taint effect"],
        );
        has(
            &p,
            &["spec.tolerations[3].operator: `Maybe` is not a toleration operator"],
        );
        has(
            &p,
            &["spec.tolerations[4].operator: must be `Exists` when key is empty"],
        );
        has(
            &p,
            &["spec.tolerations[5].tolerationSeconds: only allowed with effect `NoExecute`"],
        );

        let set = ok(&pod(
            "  containers: [{image: a}]\n  tolerations:\n    - operator: Exists\n",
        ));
        assert_eq!(
            only_template(&set).tolerations,
            [Toleration {
                key: String::new(),
                operator: TolerationOperator::Exists,
                value: String::new(),
                effect: None
            }]
        );
    }

    #[test]
    fn pod_affinity_terms_selectors_and_weights() {
        let spec = "  containers: [{image: a}]\n  affinity:\n    podAffinity:\n      preferredDuringSchedulingIgnoredDuringExecution:\n        - weight: 100\n          podAffinityTerm:\n            labelSelector:\n              matchExpressions: [{key: app, operator: In, values: [cache]}, {key: tier, operator: Exists}]\n            namespaces: [data]\n            namespaceSelector: {}\n            topologyKey: topology.kubernetes.io/zone\n    podAntiAffinity:\n      preferredDuringSchedulingIgnoredDuringExecution:\n        - weight: 10\n          podAffinityTerm: {topologyKey: kubernetes.io/hostname}\n";
        let set = ok(&pod(spec));
        let c = &only_template(&set).constraints;
        assert_eq!(
            c.pod_affinity.preferred,
            [(
                100,
                PodAffinityTerm {
                    selector: LabelSelector {
                        match_labels: vec![],
                        match_expressions: vec![
                            req("app", SelectorOp::In, &["cache"]),
                            req("tier", SelectorOp::Exists, &[])
                        ],
                    },
                    namespaces: vec!["data".into()],
                    topology_key: "topology.kubernetes.io/zone".into(),
                }
            )]
        );
        // No labelSelector: matches no pods in Kubernetes, so the anti-affinity does nothing.
        assert!(c.pod_anti_affinity.preferred.is_empty());
        assert_eq!(
            set.ignored,
            [
                "doc 1: Pod/p spec.affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution[].podAffinityTerm.namespaceSelector",
                "doc 1: Pod/p spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[] (no labelSelector: matches no pods, so has no effect)",
            ]
        );

        // A required affinity without selector could never be met.
        let spec = "  containers: [{image: a}]\n  affinity:\n    podAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        - topologyKey: kubernetes.io/hostname\n      preferredDuringSchedulingIgnoredDuringExecution:\n        - weight: 0\n          podAffinityTerm: {labelSelector: {}, topologyKey: zone}\n";
        let p = problems(&pod(spec));
        assert_eq!(p.len(), 2, "{}", p.join("\n"));
        has(
            &p,
            &[
                "requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector: missing; without a labelSelector the term matches no pods",
            ],
        );
        has(
            &p,
            &[
                "preferredDuringSchedulingIgnoredDuringExecution[0].weight: expected a whole number from 1 to 100, got the number 0",
            ],
        );
    }

    #[test]
    fn node_requirements_are_validated() {
        let spec = "  containers: [{image: a}]\n  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms:\n          - matchExpressions:\n              - {key: a, operator: Exists, values: [x]}\n              - {key: b, operator: Gt, values: [many]}\n              - {key: c, operator: Near, values: [x]}\n              - {operator: In, values: [x]}\n          - matchFields: [{key: metadata.name, operator: In, values: [n1]}]\n";
        let p = problems(&pod(spec));
        assert_eq!(p.len(), 5, "{}", p.join("\n"));
        has(
            &p,
            &["nodeSelectorTerms[0].matchExpressions[0].values: must be empty with `Exists`"],
        );
        has(
            &p,
            &[
                "nodeSelectorTerms[0].matchExpressions[1].values: `Gt` needs exactly one integer value",
            ],
        );
        has(
            &p,
            &["nodeSelectorTerms[0].matchExpressions[2].operator: `Near` is not an operator"],
        );
        has(
            &p,
            &["nodeSelectorTerms[0].matchExpressions[3].key: missing"],
        );
        has(&p, &["nodeSelectorTerms[1].matchFields: not modelled"]);
        let empty = "  containers: [{image: a}]\n  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms: []\n";
        has(
            &problems(&pod(empty)),
            &["nodeSelectorTerms: needs at least one node selector term"],
        );
    }

    #[test]
    fn spread_constraints_min_domains_and_missing_selector() {
        let spec = "  containers: [{image: a}]\n  topologySpreadConstraints:\n    - {maxSkew: 2, topologyKey: zone, whenUnsatisfiable: DoNotSchedule, minDomains: 3, labelSelector: {matchLabels: {app: w}}, nodeTaintsPolicy: Honor}\n    - {maxSkew: 1, topologyKey: zone, whenUnsatisfiable: DoNotSchedule}\n";
        let set = ok(&pod(spec));
        let c = &only_template(&set).constraints;
        assert_eq!(c.topology_spread.len(), 1);
        assert_eq!(
            (
                c.topology_spread[0].max_skew,
                c.topology_spread[0].min_domains
            ),
            (2, Some(3))
        );
        assert_eq!(
            set.ignored,
            [
                "doc 1: Pod/p spec.topologySpreadConstraints[].nodeTaintsPolicy",
                "doc 1: Pod/p spec.topologySpreadConstraints[] (no labelSelector: matches no pods, so has no effect)",
            ]
        );
        let bad = "  containers: [{image: a}]\n  topologySpreadConstraints:\n    - {maxSkew: 1, topologyKey: zone, labelSelector: {}, minDomains: 0}\n";
        let p = problems(&pod(bad));
        assert_eq!(p.len(), 2, "{}", p.join("\n"));
        has(
            &p,
            &["spec.topologySpreadConstraints[0].whenUnsatisfiable: missing"],
        );
        has(
            &p,
            &["spec.topologySpreadConstraints[0].minDomains: expected a whole number from 1"],
        );
    }

    #[test]
    fn pdb_counts_percentages_and_selector_rules() {
        let pdb = |spec: &str| {
            format!(
                "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: b}}\nspec:\n{spec}"
            )
        };
        let set = ok(&pdb("  minAvailable: 2\n  selector: {}\n"));
        assert_eq!(
            set.objects[0],
            ManifestObject::PodDisruptionBudget {
                name: "b".into(),
                namespace: "default".into(),
                selector: LabelSelector::default(),
                min_available: Some(IntOrPercent::Int(2)),
                max_unavailable: None,
            }
        );
        let p = problems(&pdb("  maxUnavailable: \"50\"\n"));
        has(
            &p,
            &[
                "doc 1 (PodDisruptionBudget/b): spec.maxUnavailable: `50` is not a count or a percentage",
            ],
        );
        has(
            &p,
            &["doc 1 (PodDisruptionBudget/b): spec.selector: missing"],
        );
        has(
            &problems(&pdb("  minAvailable: 150%\n  selector: {}\n")),
            &["spec.minAvailable: `150%`"],
        );
    }

    #[test]
    fn priority_classes_value_policy_and_single_global_default() {
        let pc = |name: &str, rest: &str| {
            format!(
                "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {{name: {name}}}\n{rest}"
            )
        };
        let set = ok(&pc("system-x", "value: 2000000000\nglobalDefault: true\n"));
        assert!(matches!(
            set.objects[0],
            ManifestObject::PriorityClass {
                value: 2_000_000_000,
                global_default: true,
                ..
            }
        ));
        has(
            &problems(&pc("big", "value: 2000000000\n")),
            &[
                "doc 1 (PriorityClass/big): value: expected a whole number from -2147483648 to 1000000000",
            ],
        );
        has(
            &problems(&pc("none", "")),
            &["doc 1 (PriorityClass/none): value: missing"],
        );
        has(
            &problems(&pc("p", "value: 1\npreemptionPolicy: Sometimes\n")),
            &["preemptionPolicy: `Sometimes` is not a preemption policy"],
        );
        let two = format!(
            "{}---\n{}",
            pc("a", "value: 1\nglobalDefault: true\n"),
            pc("b", "value: 2\nglobalDefault: true\n")
        );
        has(
            &problems(&two),
            &[
                "doc 2 (PriorityClass/b): globalDefault: PriorityClass `a` in doc 1 is already the global default",
            ],
        );
    }

    #[test]
    fn names_must_be_unique_per_kind_and_namespace() {
        let d = |ns: &str| {
            format!(
                "apiVersion: v1\nkind: Pod\nmetadata: {{name: w, namespace: {ns}}}\nspec: {{containers: [{{image: a}}]}}\n"
            )
        };
        assert_eq!(ok(&format!("{}---\n{}", d("a"), d("b"))).objects.len(), 2);
        has(
            &problems(&format!("{}---\n{}", d("a"), d("a"))),
            &[
                "doc 2 (Pod/w): metadata.name: a Pod named `w` in namespace `a` is already defined in doc 1",
            ],
        );
    }

    #[test]
    fn structural_problems_missing_name_spec_containers_and_wrong_shapes() {
        let p = problems(
            "apiVersion: v1\nkind: Pod\nmetadata: {}\nspec: {containers: []}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n---\n- a list\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: q}\nspec: {containers: {image: a}, hostNetwork: yes please}\n",
        );
        assert_eq!(p.len(), 6, "{}", p.join("\n"));
        has(&p, &["doc 1 (Pod/?): metadata.name: missing"]);
        has(
            &p,
            &["doc 1 (Pod/?): spec.containers: empty; a pod needs at least one container"],
        );
        has(&p, &["doc 2 (Deployment/d): spec: missing"]);
        has(
            &p,
            &["doc 3 (?): expected a Kubernetes object", "got a list"],
        );
        has(
            &p,
            &["doc 4 (Pod/q): spec.containers: expected a list, got a mapping"],
        );
        has(
            &p,
            &[
                "doc 4 (Pod/q): spec.hostNetwork: expected `true` or `false`, got the string `yes please`",
            ],
        );
    }

    #[test]
    fn kubectl_list_output_is_read_item_by_item() {
        let text = "apiVersion: v1\nkind: List\nmetadata: {resourceVersion: \"\"}\nitems:\n  - apiVersion: v1\n    kind: Pod\n    metadata: {name: a}\n    spec: {containers: [{image: x}]}\n    status: {phase: Running}\n  - apiVersion: v1\n    kind: Service\n    metadata: {name: s}\n  - apiVersion: v1\n    kind: Pod\n    metadata: {name: b}\n    spec: {containers: [{image: x, resources: {requests: {cpu: much}}}]}\n";
        has(
            &problems(text),
            &[
                "doc 1 (Pod/b): items[2].spec.containers[0].resources.requests.cpu: `much` is not a CPU quantity",
                "(line 16, column",
            ],
        );
        let set = ok(&text.replace("much", "2"));
        let names: Vec<&str> = set.objects.iter().map(ManifestObject::name).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(
            set.ignored,
            [
                "doc 1: Pod/a items[].status",
                "doc 1: Service/s at items[1] (kind not modelled)",
            ]
        );
    }

    #[test]
    fn object_helpers() {
        let set = ok(SHOP);
        let kinds: Vec<&str> = set.objects.iter().map(ManifestObject::kind).collect();
        assert_eq!(
            kinds,
            [
                "Deployment",
                "Job",
                "PriorityClass",
                "PriorityClass",
                "PodDisruptionBudget"
            ]
        );
        assert!(set.objects[2].template().is_none());
    }

    #[test]
    fn load_reads_files_and_reports_io_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shop.yaml");
        std::fs::write(&path, format!("\u{feff}{SHOP}")).unwrap();
        assert_eq!(load_manifests(&path).unwrap(), ok(SHOP));
        let missing = dir.path().join("nope.yaml");
        let e = load_manifests(&missing).unwrap_err();
        assert!(matches!(e, ManifestError::Io { .. }), "{e:?}");
        assert!(e.to_string().contains("nope.yaml: cannot read"), "{e}");
        std::fs::write(&path, b"kind: \xff\n").unwrap();
        assert!(
            load_manifests(&path)
                .unwrap_err()
                .to_string()
                .contains("not valid UTF-8")
        );
    }

    #[test]
    fn every_fixture_behaves_as_its_name_says() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/manifests");
        assert!(load_manifests(&dir.join("shop.yaml")).is_ok());
        assert!(
            load_manifests(&dir.join("empty.yaml"))
                .unwrap()
                .objects
                .is_empty()
        );
        assert!(matches!(
            load_manifests(&dir.join("invalid.yaml")),
            Err(ManifestError::Invalid { .. })
        ));
        assert!(matches!(
            load_manifests(&dir.join("syntax_error.yaml")),
            Err(ManifestError::Parse { .. })
        ));
    }
}
