//! Parsed traces kept across the runs of a sweep. Every run of a sweep over one trace used to
//! parse the same CSV again: a fifth of each run of the bundled EC2-vs-Fargate study. A sweep
//! hands its runs a [`TraceCache`]; a run's thread records the pods it reads from a trace, and
//! the next run on that thread with the same trace replays the recording (reading on from the
//! file where the recording ends, so no run parses rows that no run has reached, as before).
//!
//! Recordings are kept per thread: replaying clones each pod, which bumps the reference counts
//! of its shared namespace, group, image and labels, and two threads doing that to the same
//! counters would fight over their cache lines. (Parsing once and copying for the other
//! threads was measured too: the other threads wait for the parse instead of doing it, for the
//! same wall time.) Only small traces are kept ([`MAX_FILE_BYTES`], [`MAX_TOTAL_BYTES`]);
//! larger ones are read as before. Replayed pods equal freshly parsed ones, so outputs are
//! byte-identical.

use std::sync::{Arc, Mutex, PoisonError};
use std::thread::ThreadId;
use std::time::SystemTime;

use super::trace::{TraceSource, TraceSpec};
use super::{PodSource, PodSpec, WorkloadError};

/// Largest trace file kept (16 MiB: about 200,000 rows, some 50 MB of parsed pods).
pub const MAX_FILE_BYTES: u64 = 16 << 20;
/// Most trace bytes kept over all threads' recordings; past it, traces are read uncached.
pub const MAX_TOTAL_BYTES: u64 = 64 << 20;

/// The traces recorded by the runs of one sweep, per thread; dropped with the sweep.
#[derive(Debug, Default)]
pub struct TraceCache {
    entries: Mutex<Vec<Entry>>,
}

#[derive(Debug)]
struct Entry {
    thread: ThreadId,
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
    pods: Vec<PodSpec>,
    /// The reader returned its last pod.
    exhausted: bool,
    /// The reader failed after `pods`: every replay that gets there fails the same way (the
    /// reader itself may have moved past the bad row).
    failed: Option<ReplayedError>,
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

    /// A source of `spec`'s pods: this thread's recording of the same trace replayed, else the
    /// file opened and, if small enough, recorded. Errors are those of [`TraceSource::open`].
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
        let thread = std::thread::current().id();
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(e) = entries.iter().find(|e| e.thread == thread && e.key == key) {
            return Ok(Box::new(Replay {
                recording: e.recording.clone(),
                next: 0,
                constraints,
            }));
        }
        // Header errors are the run's, as before, and nothing is kept.
        let source = TraceSource::open(key.spec.clone())?;
        let kept: u64 = entries.iter().map(|e| e.key.len).sum();
        if kept + key.len > MAX_TOTAL_BYTES {
            return Ok(Box::new(source));
        }
        let recording = Arc::new(Mutex::new(Recording {
            source,
            pods: Vec::new(),
            exhausted: false,
            failed: None,
        }));
        entries.push(Entry {
            thread,
            key,
            recording: recording.clone(),
        });
        Ok(Box::new(Replay {
            recording,
            next: 0,
            constraints,
        }))
    }
}

/// One run's reading of a recorded trace.
struct Replay {
    /// Only this thread's runs read it: its lock is never contended.
    recording: Arc<Mutex<Recording>>,
    /// Index of the next pod in the recording.
    next: usize,
    /// This run's spec's constraints: a fresh parse gives every pod this allocation, and the
    /// scheduling queue tells pod classes apart by it.
    constraints: Arc<super::PodConstraints>,
}

impl PodSource for Replay {
    fn next_pod(&mut self) -> Result<Option<PodSpec>, WorkloadError> {
        let mut r = self
            .recording
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let pod = if let Some(p) = r.pods.get(self.next) {
            p.clone()
        } else if let Some(e) = &r.failed {
            return Err(e.raise());
        } else if r.exhausted {
            return Ok(None);
        } else {
            match r.source.next_pod() {
                Ok(Some(p)) => {
                    r.pods.push(p.clone());
                    p
                }
                Ok(None) => {
                    r.exhausted = true;
                    return Ok(None);
                }
                Err(e) => {
                    r.failed = Some(ReplayedError::of(&e));
                    return Err(e);
                }
            }
        };
        self.next += 1;
        Ok(Some(PodSpec {
            constraints: self.constraints.clone(),
            ..pod
        }))
    }
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
    fn different_options_or_threads_get_their_own_recording() {
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
        // The other thread parsed its own: its pods share no allocation with this thread's.
        assert!(!pod(&a[0]).namespace.same(&pod(&other[0]).namespace));
        assert_eq!(cache.entries.lock().unwrap().len(), 3);
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
