//! Parsed traces kept across the runs of a sweep. Every run of a sweep over one trace used to
//! parse the same CSV again: a fifth of each run of the bundled EC2-vs-Fargate study. A sweep
//! hands its runs a [`TraceCache`]; the runs over one trace share one recording of the pods
//! read from it. A run that gets past the end of the recording parses the next rows into it
//! (a chunk at a time), so no row is parsed twice, whichever thread gets there first, and no
//! run parses rows far past those any run has reached.
//!
//! A run copies the pods it replays, a chunk at a time, into pods of its own: the namespace,
//! group, image and labels a recorded pod shares with its job's other pods are replaced by
//! copies the run makes once per run of equal values. Pods are cloned and dropped all the time,
//! and two threads counting references to the same allocations fight over their cache lines.
//! (Each thread parsing a recording of its own, as before, made `--jobs 2` parse every trace
//! twice over, and the first run of each thread was the slowest of its runs.)
//! Only small traces are kept ([`MAX_FILE_BYTES`], [`MAX_TOTAL_BYTES`]); larger ones are read
//! as before. Replayed pods equal freshly parsed ones and share text in the same pattern, so
//! outputs are byte-identical.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use super::shared::{SharedLabels, SharedStr};
use super::trace::{TraceSource, TraceSpec};
use super::{PodImage, PodSource, PodSpec, WorkloadError};
use crate::cluster::taints::Toleration;

/// Largest trace file kept (16 MiB: about 200,000 rows, some 50 MB of parsed pods).
pub const MAX_FILE_BYTES: u64 = 16 << 20;
/// Most trace bytes kept over all recordings; past it, traces are read uncached.
pub const MAX_TOTAL_BYTES: u64 = 64 << 20;

/// Pods a run takes from the recording (or parses into it) per lock: the lock is shared by the
/// runs of every thread, so each run takes it once per chunk, not once per pod.
const CHUNK: usize = 256;

/// The traces recorded by the runs of one sweep; dropped with the sweep.
#[derive(Debug, Default)]
pub struct TraceCache {
    entries: Mutex<Vec<Entry>>,
}

#[derive(Debug)]
struct Entry {
    key: Key,
    recording: Arc<Mutex<Recording>>,
}

/// What makes two traces the same: the spec (file and every option applied to its rows) and
/// the file's size and modification time, in case it is rewritten during the sweep.
#[derive(Debug, PartialEq)]
struct Key {
    spec: TraceSpec,
    len: u64,
    modified: Option<SystemTime>,
}

/// The pods read from a trace so far, and the reader to read on with.
#[derive(Debug)]
struct Recording {
    source: TraceSource,
    /// The pods in chunks of [`CHUNK`] (the last may be shorter), each complete and never
    /// changed once here: a run replays a chunk without holding the lock.
    chunks: Vec<Arc<[PodSpec]>>,
    /// The reader returned its last pod.
    exhausted: bool,
    /// The reader failed after `pods`: every replay that gets there fails the same way (the
    /// reader itself may have moved past the bad row).
    failed: Option<ReplayedError>,
}

impl Recording {
    /// Parses a chunk of up to [`CHUNK`] more pods, stopping at the end of the trace or a bad
    /// row.
    fn read_on(&mut self) {
        let mut chunk = Vec::with_capacity(CHUNK);
        while chunk.len() < CHUNK {
            match self.source.next_pod() {
                Ok(Some(p)) => chunk.push(p),
                Ok(None) => {
                    self.exhausted = true;
                    break;
                }
                Err(e) => {
                    self.failed = Some(ReplayedError::of(&e));
                    break;
                }
            }
        }
        if !chunk.is_empty() {
            self.chunks.push(chunk.into());
        }
    }
}

/// A [`WorkloadError`] that can be raised again (an I/O error keeps its kind and text).
#[derive(Debug, Clone)]
enum ReplayedError {
    Io {
        path: std::path::PathBuf,
        kind: std::io::ErrorKind,
        text: String,
    },
    Trace {
        path: std::path::PathBuf,
        line: u64,
        message: String,
    },
}

impl ReplayedError {
    fn of(e: &WorkloadError) -> ReplayedError {
        match e {
            WorkloadError::Io { path, source } => ReplayedError::Io {
                path: path.clone(),
                kind: source.kind(),
                text: source.to_string(),
            },
            WorkloadError::Trace {
                path,
                line,
                message,
            } => ReplayedError::Trace {
                path: path.clone(),
                line: *line,
                message: message.clone(),
            },
        }
    }

    fn raise(&self) -> WorkloadError {
        match self.clone() {
            ReplayedError::Io { path, kind, text } => WorkloadError::Io {
                path,
                source: std::io::Error::new(kind, text),
            },
            ReplayedError::Trace {
                path,
                line,
                message,
            } => WorkloadError::Trace {
                path,
                line,
                message,
            },
        }
    }
}

impl TraceCache {
    /// An empty cache.
    pub fn new() -> TraceCache {
        TraceCache::default()
    }

    /// A source of `spec`'s pods: the recording of the same trace replayed, else the file
    /// opened and, if small enough, recorded. Errors are those of [`TraceSource::open`].
    pub fn open(&self, spec: TraceSpec) -> Result<Box<dyn PodSource>, WorkloadError> {
        let meta = match std::fs::metadata(&spec.path) {
            Ok(m) if m.is_file() && m.len() <= MAX_FILE_BYTES => m,
            // Missing, unreadable or large: opened as before (with its error, if any).
            _ => return Ok(Box::new(TraceSource::open(spec)?)),
        };
        let constraints = spec.constraints.clone();
        let key = Key {
            len: meta.len(),
            modified: meta.modified().ok(),
            spec,
        };
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(e) = entries.iter().find(|e| e.key == key) {
            return Ok(Box::new(Replay::new(e.recording.clone(), constraints)));
        }
        // Header errors are the run's, as before, and nothing is kept.
        let source = TraceSource::open(key.spec.clone())?;
        let kept: u64 = entries.iter().map(|e| e.key.len).sum();
        if kept + key.len > MAX_TOTAL_BYTES {
            return Ok(Box::new(source));
        }
        let recording = Arc::new(Mutex::new(Recording {
            source,
            chunks: Vec::new(),
            exhausted: false,
            failed: None,
        }));
        entries.push(Entry {
            key,
            recording: recording.clone(),
        });
        Ok(Box::new(Replay::new(recording, constraints)))
    }
}

/// What a replay meets after the pods it has taken.
#[derive(Debug)]
enum End {
    /// The trace's last pod was taken.
    Exhausted,
    /// The row after the last pod taken is bad.
    Failed(ReplayedError),
}

/// One run's reading of a recorded trace.
struct Replay {
    /// Shared with the runs on other threads.
    recording: Arc<Mutex<Recording>>,
    /// The chunk being replayed and the index in it of the next pod.
    chunk: Arc<[PodSpec]>,
    at: usize,
    /// Index in the recording of the next chunk to take.
    next_chunk: usize,
    /// Set once nothing more can be taken.
    end: Option<End>,
    /// This run's spec's constraints: a fresh parse gives every pod this allocation, and the
    /// scheduling queue tells pod classes apart by it.
    constraints: Arc<super::PodConstraints>,
    /// This run's copies of the recording's shared text.
    own: OwnCopies,
}

impl Replay {
    fn new(recording: Arc<Mutex<Recording>>, constraints: Arc<super::PodConstraints>) -> Replay {
        Replay {
            recording,
            chunk: Arc::new([]),
            at: 0,
            next_chunk: 0,
            end: None,
            constraints,
            own: OwnCopies::default(),
        }
    }

    /// Takes the next chunk, parsing it into the recording first if no run has yet; at the
    /// end of the recording, notes what comes after it.
    fn take_chunk(&mut self) {
        let mut r = self
            .recording
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if self.next_chunk == r.chunks.len() && !r.exhausted && r.failed.is_none() {
            r.read_on();
        }
        match r.chunks.get(self.next_chunk) {
            Some(c) => {
                self.chunk = c.clone();
                self.at = 0;
                self.next_chunk += 1;
            }
            None => {
                self.end = Some(match &r.failed {
                    Some(e) => End::Failed(e.clone()),
                    None => End::Exhausted,
                });
            }
        }
    }
}

impl PodSource for Replay {
    fn next_pod(&mut self) -> Result<Option<PodSpec>, WorkloadError> {
        while self.at == self.chunk.len() {
            match &self.end {
                Some(End::Failed(e)) => return Err(e.raise()),
                Some(End::Exhausted) => return Ok(None),
                None => self.take_chunk(),
            }
        }
        let pod = self.own.pod(&self.chunk[self.at], &self.constraints);
        self.at += 1;
        Ok(Some(pod))
    }
}

/// A run's copies of the shared text of the recorded pods, each made when the recorded value
/// changes from one pod to the next, as a fresh parse makes a new one when the row's text
/// changes: the copies are shared by the same pods as the recorded values.
#[derive(Default)]
struct OwnCopies {
    namespace: Copied<SharedStr>,
    group: Copied<SharedStr>,
    image: Copied<SharedStr>,
    labels: Copied<SharedLabels>,
    node_selector: Copied<Arc<[(String, String)]>>,
    tolerations: Copied<Arc<[Toleration]>>,
}

/// The last recorded value and this run's copy of it.
type Copied<T> = Option<(T, T)>;

impl OwnCopies {
    /// `recorded` as a pod of this run: equal, with this run's copies of its shared parts.
    fn pod(&mut self, recorded: &PodSpec, constraints: &Arc<super::PodConstraints>) -> PodSpec {
        // Destructured, so that a field added later must be considered here.
        let PodSpec {
            requests,
            ephemeral_mib,
            priority,
            privileged,
            host_network,
            host_port,
            preemption_never,
            owner,
            constraints: _,
            node_selector,
            tolerations,
            submit,
            duration,
            name,
            namespace,
            group,
            labels,
            image,
        } = recorded;
        let group_own = own_str(&mut self.group, group);
        let image = match image {
            // A row without an image names its group's (one allocation for both).
            PodImage::Named(s) if s.same(group) => PodImage::Named(group_own.clone()),
            PodImage::Named(s) => PodImage::Named(own_str(&mut self.image, s)),
            PodImage::OwnName => PodImage::OwnName,
        };
        PodSpec {
            requests: *requests,
            ephemeral_mib: *ephemeral_mib,
            priority: *priority,
            privileged: *privileged,
            host_network: *host_network,
            host_port: *host_port,
            preemption_never: *preemption_never,
            owner: *owner,
            constraints: constraints.clone(),
            node_selector: own(&mut self.node_selector, node_selector, Arc::ptr_eq, |s| {
                Arc::from(&**s)
            }),
            tolerations: own(&mut self.tolerations, tolerations, Arc::ptr_eq, |t| {
                Arc::from(&**t)
            }),
            submit: *submit,
            duration: *duration,
            name: name.clone(),
            namespace: own_str(&mut self.namespace, namespace),
            group: group_own,
            labels: own(
                &mut self.labels,
                labels,
                SharedLabels::same,
                SharedLabels::unshared,
            ),
            image,
        }
    }
}

/// This run's copy of `recorded` (text, labels, selector, tolerations): the last one made if
/// `recorded` is of the same allocation as the value it was made from, else a new one,
/// remembered in `slot`.
fn own<T: Clone>(
    slot: &mut Copied<T>,
    recorded: &T,
    same: fn(&T, &T) -> bool,
    unshared: fn(&T) -> T,
) -> T {
    match slot {
        Some((rec, own)) if same(rec, recorded) => own.clone(),
        slot => slot
            .insert((recorded.clone(), unshared(recorded)))
            .1
            .clone(),
    }
}

/// [`own`] for text.
fn own_str(slot: &mut Copied<SharedStr>, recorded: &SharedStr) -> SharedStr {
    own(slot, recorded, SharedStr::same, SharedStr::unshared)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn trace(rows: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        write!(
            f,
            "submit_s,name,namespace,labels,cpu_m,memory_mib,duration_s\n{rows}"
        )
        .unwrap();
        f
    }

    fn drain(s: &mut dyn PodSource, n: usize) -> Vec<Result<Option<PodSpec>, String>> {
        (0..n)
            .map(|_| s.next_pod().map_err(|e| e.to_string()))
            .collect()
    }

    #[test]
    fn a_replay_equals_a_fresh_read_even_after_a_partial_first_run() {
        let f = trace("0,a,ns,app=x,100,64,10\n1,b,ns,app=x,200,64,\n2,,other,,300,128,5\n");
        let fresh = drain(
            &mut TraceSource::open(TraceSpec::plain(f.path())).unwrap(),
            5,
        );
        let cache = TraceCache::new();
        // A first run that stops after one pod, then two full runs.
        let first = drain(&mut *cache.open(TraceSpec::plain(f.path())).unwrap(), 1);
        assert_eq!(first[..], fresh[..1]);
        for _ in 0..2 {
            let again = drain(&mut *cache.open(TraceSpec::plain(f.path())).unwrap(), 5);
            assert_eq!(again, fresh);
        }
        assert_eq!(cache.entries.lock().unwrap().len(), 1);
    }

    #[test]
    fn a_bad_row_fails_every_run_at_the_same_pod_with_the_same_message() {
        let f = trace("0,a,ns,,100,64,10\n1,b,ns,,lots,64,10\n2,c,ns,,100,64,10\n");
        let fresh = drain(
            &mut TraceSource::open(TraceSpec::plain(f.path())).unwrap(),
            2,
        );
        assert!(fresh[1].as_ref().unwrap_err().contains("cpu_m `lots`"));
        let cache = TraceCache::new();
        for _ in 0..3 {
            let got = drain(&mut *cache.open(TraceSpec::plain(f.path())).unwrap(), 2);
            assert_eq!(got, fresh);
        }
    }

    #[test]
    fn different_options_get_their_own_recording_and_threads_share_one() {
        let f = trace("0,a,ns,,100,64,10\n");
        let cache = TraceCache::new();
        let plain = TraceSpec::plain(f.path());
        let moved = TraceSpec {
            namespace: Some("elsewhere".into()),
            ..TraceSpec::plain(f.path())
        };
        let pod = |r: &Result<Option<PodSpec>, String>| r.clone().unwrap().unwrap();
        let a = drain(&mut *cache.open(plain.clone()).unwrap(), 2);
        let b = drain(&mut *cache.open(moved).unwrap(), 1);
        assert_eq!(pod(&a[0]).namespace.as_str(), "ns");
        assert_eq!(pod(&b[0]).namespace.as_str(), "elsewhere");
        let other = std::thread::scope(|s| {
            s.spawn(|| drain(&mut *cache.open(plain).unwrap(), 2))
                .join()
                .unwrap()
        });
        assert_eq!(other, a);
        // One recording per trace and options, whatever the thread...
        assert_eq!(cache.entries.lock().unwrap().len(), 2);
        // ...but the runs' pods share no counted allocation with each other.
        assert!(!pod(&a[0]).namespace.same(&pod(&other[0]).namespace));
    }

    /// Which pods share their group, namespace, labels, image (with their group), node
    /// selector and tolerations with the pod before.
    fn sharing(pods: &[PodSpec]) -> Vec<(bool, bool, bool, bool, bool, bool)> {
        pods.windows(2)
            .map(|w| {
                let image = |p: &PodSpec| match &p.image {
                    PodImage::Named(s) => s.clone(),
                    PodImage::OwnName => SharedStr::from("own"),
                };
                (
                    w[1].group.same(&w[0].group),
                    w[1].namespace.same(&w[0].namespace),
                    w[1].labels.same(&w[0].labels),
                    image(&w[1]).same(&w[1].group),
                    Arc::ptr_eq(&w[1].node_selector, &w[0].node_selector),
                    Arc::ptr_eq(&w[1].tolerations, &w[0].tolerations),
                )
            })
            .collect()
    }

    #[test]
    fn replayed_pods_share_their_text_as_freshly_parsed_ones_do() {
        let rows: String = [
            "g1,ns,a=1,t=x",
            "g1,ns,a=1,t=x",
            "g2,ns,a=2,t=y",
            "g1,ns,a=1,t=x",
            ",other,,",
        ]
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let [g, ns, l, sel] = r.split(',').collect::<Vec<_>>()[..] else {
                unreachable!()
            };
            format!("{i},p{i},{ns},{l},100,64,10,{g},{sel}\n")
        })
        .collect();
        let mut f = tempfile::NamedTempFile::new().unwrap();
        write!(
            f,
            "submit_s,name,namespace,labels,cpu_m,memory_mib,duration_s,group,node_selector\n{rows}"
        )
        .unwrap();
        let read = |s: &mut dyn PodSource| -> Vec<PodSpec> {
            std::iter::from_fn(|| s.next_pod().unwrap()).collect()
        };
        let spec = || TraceSpec {
            tolerations: vec![Toleration::exists("dedicated", None)].into(),
            ..TraceSpec::plain(f.path())
        };
        let fresh = read(&mut TraceSource::open(spec()).unwrap());
        let cache = TraceCache::new();
        let first = read(&mut *cache.open(spec()).unwrap());
        let second = read(&mut *cache.open(spec()).unwrap());
        assert_eq!(first, fresh);
        assert_eq!(second, fresh);
        let expected = sharing(&fresh);
        assert_eq!(expected[0], (true, true, true, true, true, true));
        assert_eq!(expected[2], (false, true, false, true, false, true));
        assert_eq!(sharing(&first), expected);
        assert_eq!(sharing(&second), expected);
        // Each run has its own copies.
        assert!(!first[0].group.same(&second[0].group));
        assert!(!first[0].labels.same(&second[0].labels));
        assert!(!Arc::ptr_eq(
            &first[0].node_selector,
            &second[0].node_selector
        ));
        assert!(!Arc::ptr_eq(&first[0].tolerations, &second[0].tolerations));
    }

    #[test]
    fn interleaved_runs_read_past_many_chunks_and_fail_at_the_same_row() {
        let n = 3 * CHUNK + 17;
        let bad = 2 * CHUNK + 5;
        let rows: String = (0..n)
            .map(|i| {
                let cpu = if i == bad {
                    "x".to_string()
                } else {
                    format!("{}", 100 + i)
                };
                format!("{i},p{i},ns{},,{cpu},64,10\n", i / 7)
            })
            .collect();
        let f = trace(&rows);
        let fresh = drain(
            &mut TraceSource::open(TraceSpec::plain(f.path())).unwrap(),
            bad + 1,
        );
        assert!(fresh[bad].is_err(), "{:?}", fresh[bad]);
        let cache = TraceCache::new();
        let mut a = cache.open(TraceSpec::plain(f.path())).unwrap();
        let mut b = cache.open(TraceSpec::plain(f.path())).unwrap();
        // b runs ahead by a chunk and a half, then a catches up, pod by pod in turn.
        let mut got_b = drain(&mut *b, CHUNK + CHUNK / 2);
        let mut got_a = Vec::new();
        for _ in 0..bad + 1 {
            got_a.extend(drain(&mut *a, 1));
            if got_b.len() < bad + 1 {
                got_b.extend(drain(&mut *b, 1));
            }
        }
        assert_eq!(got_a, fresh);
        assert_eq!(got_b, fresh);
    }

    #[test]
    fn a_missing_file_gives_the_plain_error() {
        let cache = TraceCache::new();
        let e = cache
            .open(TraceSpec::plain("/nonexistent/t.csv"))
            .err()
            .unwrap();
        assert!(e.to_string().starts_with("/nonexistent/t.csv: "), "{e}");
    }
}
