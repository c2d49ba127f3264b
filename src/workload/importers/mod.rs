//! Importers: convert public workload traces into eksim's canonical trace CSV
//! (`submit_s,name,namespace,labels,cpu_m,memory_mib,duration_s,gpu,priority,group`).
//!
//! Every importer reads its source row by row, keeps only small per-row records (a task row of
//! the Alibaba 2017 trace stands for `instances_num` pods and is held once, not per pod), sorts
//! them by submit time with a stable order (ties keep the file order), and expands pods one at a
//! time while writing. The output is written atomically through [`CsvOut`].
//!
//! Options ([`ImportOptions`]) apply the same way to every format, in this order: the time window
//! (`from <= source submit < to`, source seconds), sampling (each pod kept with probability
//! `sample`, decided by the `import` ChaCha stream of `seed`), then the time transform
//! `submit_s = (source_submit - base) / time_scale + shift`, `duration_s = duration / time_scale`,
//! where `base` is the first kept arrival (or 0 with `keep_time`).

pub mod alibaba2017;
pub mod alibaba_gpu2023;
pub mod canonical;

use std::path::{Path, PathBuf};

use rand::RngExt;
use thiserror::Error;

use crate::output::{CsvOut, OutputError};
use crate::sim::rng::{SimRng, stream};

/// The canonical trace header every importer writes.
pub const CANONICAL_HEADER: [&str; 10] = [
    "submit_s",
    "name",
    "namespace",
    "labels",
    "cpu_m",
    "memory_mib",
    "duration_s",
    "gpu",
    "priority",
    "group",
];

/// Default memory of one machine for the Alibaba 2017 trace (its memory is normalised to one
/// machine): 128 GiB, as the benchmark notes use.
pub const DEFAULT_MACHINE_MEMORY_MIB: f64 = 131_072.0;

/// Source formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// CloudSimPy `jobs.csv` derived from Alibaba cluster-trace-v2017 batch tasks.
    #[value(name = "alibaba-2017-batch")]
    Alibaba2017Batch,
    /// The raw cluster-trace-v2017 `batch_task` table (no header).
    #[value(name = "alibaba-2017-batch-task")]
    Alibaba2017BatchTask,
    /// The cluster-trace-gpu-v2023 `openb` pod list.
    #[value(name = "alibaba-gpu-2023")]
    AlibabaGpu2023,
    /// An eksim canonical trace.
    #[value(name = "canonical")]
    Canonical,
}

/// Options shared by every importer.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportOptions {
    /// Keep rows whose source submit time is `>= from` (source seconds).
    pub from: Option<f64>,
    /// Keep rows whose source submit time is `< to` (source seconds).
    pub to: Option<f64>,
    /// Seconds added to every output submit time (after scaling).
    pub shift: f64,
    /// Do not move the first kept arrival to 0.
    pub keep_time: bool,
    /// Submit times and durations are divided by this (24 turns a day into an hour).
    pub time_scale: f64,
    /// Keep each pod with this probability.
    pub sample: Option<f64>,
    /// Seed of the sampling stream.
    pub seed: u64,
    /// Namespace of the pods (canonical: replaces each row's namespace).
    pub namespace: Option<String>,
    /// Namespace of pods of tasks/jobs with more than `batch_min_instances` instances.
    pub batch_namespace: Option<String>,
    /// See `batch_namespace`.
    pub batch_min_instances: u64,
    /// Count malformed rows instead of failing on the first one.
    pub skip_bad_rows: bool,
    /// Memory of one machine in MiB (Alibaba 2017 memory is a fraction of a machine).
    pub machine_memory_mib: f64,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            from: None,
            to: None,
            shift: 0.0,
            keep_time: false,
            time_scale: 1.0,
            sample: None,
            seed: 0,
            namespace: None,
            batch_namespace: None,
            batch_min_instances: 1,
            skip_bad_rows: false,
            machine_memory_mib: DEFAULT_MACHINE_MEMORY_MIB,
        }
    }
}

impl ImportOptions {
    fn check(&self) -> Result<(), ImportError> {
        let bad = |m: String| Err(ImportError::BadOptions(m));
        if !(self.time_scale.is_finite() && self.time_scale > 0.0) {
            return bad(format!("--time-scale {} must be > 0", self.time_scale));
        }
        if let Some(p) = self.sample
            && !(0.0..=1.0).contains(&p)
        {
            return bad(format!("--sample {p} must be a fraction between 0 and 1"));
        }
        if let (Some(f), Some(t)) = (self.from, self.to)
            && t <= f
        {
            return bad(format!("--to {t} must be greater than --from {f}"));
        }
        if !self.shift.is_finite() {
            return bad("--shift must be a finite number".into());
        }
        if !(self.machine_memory_mib.is_finite() && self.machine_memory_mib > 0.0) {
            return bad(format!(
                "--machine-memory-mib {} must be > 0",
                self.machine_memory_mib
            ));
        }
        Ok(())
    }

    fn in_window(&self, submit: f64) -> bool {
        self.from.is_none_or(|f| submit >= f) && self.to.is_none_or(|t| submit < t)
    }
}

/// Why an import failed.
#[derive(Debug, Error)]
pub enum ImportError {
    /// A malformed source row (file, 1-based line, what is wrong).
    #[error("{path}:{line}: {message}")]
    BadRow {
        /// The source file.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// What is wrong with which field.
        message: String,
    },
    /// The source could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The source file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Inconsistent options.
    #[error("{0}")]
    BadOptions(String),
    /// The output could not be written.
    #[error(transparent)]
    Output(#[from] OutputError),
}

impl ImportError {
    /// Whether the error is the input's fault (exit code 2) rather than the machine's.
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, ImportError::Output(_))
    }
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImportSummary {
    /// Data rows read from the source.
    pub rows_read: u64,
    /// Malformed rows skipped (`skip_bad_rows`).
    pub rows_skipped: u64,
    /// Rows outside the time window.
    pub rows_outside_window: u64,
    /// Pods written.
    pub pods_written: u64,
    /// Pods dropped by sampling.
    pub pods_sampled_out: u64,
    /// Output submit time of the first pod written.
    pub first_submit_s: Option<f64>,
    /// Output submit time of the last pod written.
    pub last_submit_s: Option<f64>,
}

impl std::fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "rows read {}, pods written {}, rows skipped (bad) {}, rows outside window {}, pods sampled out {}",
            self.rows_read,
            self.pods_written,
            self.rows_skipped,
            self.rows_outside_window,
            self.pods_sampled_out
        )?;
        match (self.first_submit_s, self.last_submit_s) {
            (Some(a), Some(b)) => write!(
                f,
                ", span {} s to {} s ({} s)",
                fmt_num(a),
                fmt_num(b),
                fmt_num(b - a)
            ),
            _ => write!(f, ", span empty"),
        }
    }
}

/// Imports `input` in `format` into the canonical trace `out`.
pub fn import(
    format: Format,
    input: &Path,
    out: &Path,
    opts: &ImportOptions,
) -> Result<ImportSummary, ImportError> {
    opts.check()?;
    match format {
        Format::Alibaba2017Batch => alibaba2017::import_jobs_csv(input, out, opts),
        Format::Alibaba2017BatchTask => alibaba2017::import_batch_task(input, out, opts),
        Format::AlibabaGpu2023 => alibaba_gpu2023::import(input, out, opts),
        Format::Canonical => canonical::import(input, out, opts),
    }
}

/// Formats seconds with at most 3 decimals in minimal form (`12`, `12.5`, `116.234`), the
/// formatting of `scripts/make_alibaba_slice.py`.
pub fn fmt_num(x: f64) -> String {
    let s = format!("{x:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// `floor(x + 0.5)`, clamped at 0.
pub(crate) fn round_half_up(x: f64) -> u64 {
    let r = (x + 0.5).floor();
    if r <= 0.0 { 0 } else { r as u64 }
}

/// One source row: `count` identical pods.
#[derive(Clone, Debug, Default)]
pub(crate) struct Entry {
    /// Source submit time, seconds.
    pub submit: f64,
    /// Source duration, seconds; `None` = censored / unknown.
    pub duration: Option<f64>,
    pub cpu_m: u64,
    pub memory_mib: u64,
    pub gpu: u32,
    /// Number of pods.
    pub count: u64,
    /// The pod name (`indexed == false`) or the prefix to which `0..count` is appended.
    pub name: String,
    pub indexed: bool,
    /// The row's own namespace (canonical input), used when no option overrides it.
    pub namespace: Option<String>,
    pub labels: String,
    pub priority: String,
    pub group: String,
    /// Instance count of the task/job, for `batch_namespace`.
    pub instances: u64,
}

/// Handles a row's parse result; a bad row is an error or, with `skip_bad_rows`, a count.
pub(crate) fn bad_row<T>(
    res: Result<T, String>,
    path: &Path,
    line: u64,
    opts: &ImportOptions,
    summary: &mut ImportSummary,
) -> Result<Option<T>, ImportError> {
    match res {
        Ok(v) => Ok(Some(v)),
        Err(_) if opts.skip_bad_rows => {
            summary.rows_skipped += 1;
            Ok(None)
        }
        Err(message) => Err(ImportError::BadRow {
            path: path.to_path_buf(),
            line,
            message,
        }),
    }
}

/// A field of a record, or a message naming the missing field.
pub(crate) fn field<'r>(
    rec: &'r csv::StringRecord,
    idx: usize,
    name: &str,
) -> Result<&'r str, String> {
    match rec.get(idx) {
        Some(v) if !v.is_empty() => Ok(v),
        Some(_) => Err(format!("{name} is empty; expected a value")),
        None => Err(format!(
            "{name} (column {}) is missing; the row has {} field(s)",
            idx + 1,
            rec.len()
        )),
    }
}

/// Largest number an importer reads or writes (seconds, millicores, MiB): the limit the
/// canonical trace reader accepts, so every written trace can be read back.
pub const MAX_VALUE: f64 = 1.0e12;

/// Most pods one import writes (before sampling); a larger expansion is refused up front rather
/// than filling the disk.
pub const MAX_PODS: u64 = 100_000_000;

/// A finite, non-negative number field, at most [`MAX_VALUE`].
pub(crate) fn number(rec: &csv::StringRecord, idx: usize, name: &str) -> Result<f64, String> {
    let text = field(rec, idx, name)?;
    let v: f64 = text
        .parse()
        .map_err(|_| format!("{name} `{text}` is not a number"))?;
    if !v.is_finite() || v < 0.0 {
        return Err(format!("{name} `{text}` must be a finite number >= 0"));
    }
    if v > MAX_VALUE {
        return Err(format!("{name} `{text}` is too large"));
    }
    Ok(v)
}

/// `v × factor` rounded half up, refused above [`MAX_VALUE`] (a unit conversion of a number
/// field, e.g. cores to millicores).
pub(crate) fn scaled(v: f64, factor: f64, name: &str, unit: &str) -> Result<u64, String> {
    let x = v * factor;
    if x.is_nan() || x > MAX_VALUE {
        return Err(format!(
            "{name} `{v}` is too large: {} {unit} is more than the {} a trace may hold",
            fmt_num(x),
            fmt_num(MAX_VALUE)
        ));
    }
    Ok(round_half_up(x))
}

/// Reads the next record; an unreadable row is a bad row (`Ok(Some(None))` when skipped).
pub(crate) fn next_record(
    reader: &mut csv::Reader<std::io::BufReader<std::fs::File>>,
    rec: &mut csv::StringRecord,
    path: &Path,
    opts: &ImportOptions,
    summary: &mut ImportSummary,
) -> Result<Option<Option<u64>>, ImportError> {
    match reader.read_record(rec) {
        Ok(false) => Ok(None),
        Ok(true) => {
            summary.rows_read += 1;
            Ok(Some(Some(rec.position().map(|p| p.line()).unwrap_or(0))))
        }
        Err(e) => {
            if let csv::ErrorKind::Io(_) = e.kind() {
                return Err(ImportError::Io {
                    path: path.to_path_buf(),
                    source: std::io::Error::other(e.to_string()),
                });
            }
            summary.rows_read += 1;
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            bad_row::<()>(
                Err(format!("unreadable row: {e}")),
                path,
                line,
                opts,
                summary,
            )?;
            Ok(Some(None))
        }
    }
}

/// Opens a CSV source.
pub(crate) fn open_csv(
    path: &Path,
    has_headers: bool,
) -> Result<csv::Reader<std::io::BufReader<std::fs::File>>, ImportError> {
    let file = std::fs::File::open(path).map_err(|source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(csv::ReaderBuilder::new()
        .has_headers(has_headers)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(std::io::BufReader::with_capacity(1 << 16, file)))
}

/// Finds header columns by name; a missing one is a line-1 error.
pub(crate) fn header_columns(
    reader: &mut csv::Reader<std::io::BufReader<std::fs::File>>,
    path: &Path,
    wanted: &[&str],
) -> Result<Vec<Option<usize>>, ImportError> {
    let headers = reader.headers().map_err(|e| ImportError::BadRow {
        path: path.to_path_buf(),
        line: 1,
        message: format!("cannot read the header: {e}"),
    })?;
    let names: Vec<String> = headers
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
        .collect();
    Ok(wanted
        .iter()
        .map(|w| names.iter().position(|n| n == w))
        .collect())
}

/// Requires columns found by [`header_columns`].
pub(crate) fn require(
    cols: &[Option<usize>],
    wanted: &[&str],
    path: &Path,
) -> Result<Vec<usize>, ImportError> {
    let missing: Vec<&str> = wanted
        .iter()
        .zip(cols)
        .filter(|(_, c)| c.is_none())
        .map(|(w, _)| *w)
        .collect();
    if !missing.is_empty() {
        return Err(ImportError::BadRow {
            path: path.to_path_buf(),
            line: 1,
            message: format!(
                "the header lacks the column(s) {}; expected `{}`",
                missing.join(", "),
                wanted.join(",")
            ),
        });
    }
    Ok(cols.iter().map(|c| c.unwrap_or(0)).collect())
}

/// Writes pods in order, applying sampling, namespaces and the time transform.
pub(crate) struct PodWriter<'a> {
    opts: &'a ImportOptions,
    out: CsvOut,
    rng: Option<SimRng>,
    base: Option<f64>,
    default_namespace: &'static str,
    pub summary: ImportSummary,
}

impl<'a> PodWriter<'a> {
    pub fn create(
        out: &Path,
        opts: &'a ImportOptions,
        default_namespace: &'static str,
    ) -> Result<Self, ImportError> {
        let dir = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| {
                ImportError::BadOptions(format!("--out {} is not a file", out.display()))
            })?;
        Ok(PodWriter {
            opts,
            out: CsvOut::create(&dir, &name, &CANONICAL_HEADER)?,
            rng: opts.sample.map(|_| stream(opts.seed, "import")),
            base: None,
            default_namespace,
            summary: ImportSummary::default(),
        })
    }

    /// Writes the pods of one entry (already inside the window).
    pub fn write(&mut self, e: &Entry) -> Result<(), ImportError> {
        let namespace = match (
            &self.opts.batch_namespace,
            &self.opts.namespace,
            &e.namespace,
        ) {
            (Some(b), _, _) if e.instances > self.opts.batch_min_instances => b.as_str(),
            (_, Some(ns), _) => ns.as_str(),
            (_, None, Some(ns)) => ns.as_str(),
            _ => self.default_namespace,
        };
        let mut formatted: Option<[String; 5]> = None;
        for i in 0..e.count {
            if let (Some(rng), Some(p)) = (self.rng.as_mut(), self.opts.sample)
                && rng.random::<f64>() >= p
            {
                self.summary.pods_sampled_out += 1;
                continue;
            }
            if formatted.is_none() {
                let base =
                    *self
                        .base
                        .get_or_insert(if self.opts.keep_time { 0.0 } else { e.submit });
                let scale = self.opts.time_scale;
                let submit = (e.submit - base) / scale + self.opts.shift;
                if submit < 0.0 {
                    return Err(ImportError::BadOptions(format!(
                        "pod `{}` would have a negative submit_s ({}); use a larger --shift",
                        e.name,
                        fmt_num(submit)
                    )));
                }
                let longest = submit.max(e.duration.map_or(0.0, |d| d / scale));
                if longest.is_nan() || longest > MAX_VALUE {
                    return Err(ImportError::BadOptions(format!(
                        "pod `{}` would have a submit_s or duration_s above {} s; use a smaller \
                         --shift or a larger --time-scale",
                        e.name,
                        fmt_num(MAX_VALUE)
                    )));
                }
                self.summary.first_submit_s.get_or_insert(submit);
                self.summary.last_submit_s = Some(submit);
                formatted = Some([
                    fmt_num(submit),
                    e.cpu_m.to_string(),
                    e.memory_mib.to_string(),
                    e.duration.map(|d| fmt_num(d / scale)).unwrap_or_default(),
                    e.gpu.to_string(),
                ]);
            }
            let Some([s, cpu, mem, dur, gpu]) = &formatted else {
                unreachable!()
            };
            let name = if e.indexed {
                format!("{}{i}", e.name)
            } else {
                e.name.clone()
            };
            self.out.row([
                s.as_str(),
                &name,
                namespace,
                &e.labels,
                cpu,
                mem,
                dur,
                gpu,
                &e.priority,
                &e.group,
            ])?;
            self.summary.pods_written += 1;
        }
        Ok(())
    }

    /// Commits the file and returns the summary.
    pub fn finish(self, mut summary: ImportSummary) -> Result<ImportSummary, ImportError> {
        self.out.commit()?;
        summary.pods_written = self.summary.pods_written;
        summary.pods_sampled_out = self.summary.pods_sampled_out;
        summary.first_submit_s = self.summary.first_submit_s;
        summary.last_submit_s = self.summary.last_submit_s;
        Ok(summary)
    }
}

/// Sorts entries by source submit time (stable: ties keep file order) and writes them; refuses
/// up front an expansion to more than [`MAX_PODS`] pods.
pub(crate) fn write_sorted(
    mut entries: Vec<Entry>,
    input: &Path,
    out: &Path,
    opts: &ImportOptions,
    default_namespace: &'static str,
    summary: ImportSummary,
) -> Result<ImportSummary, ImportError> {
    let pods = entries.iter().fold(0u64, |n, e| n.saturating_add(e.count));
    if pods > MAX_PODS {
        return Err(ImportError::BadOptions(format!(
            "{}: the rows in the window expand to {pods} pods, more than the {MAX_PODS} one \
             import writes; narrow the window with --from/--to",
            input.display()
        )));
    }
    entries.sort_by(|a, b| a.submit.total_cmp(&b.submit));
    let mut w = PodWriter::create(out, opts, default_namespace)?;
    for e in &entries {
        w.write(e)?;
    }
    w.finish(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_format_like_the_slice_script() {
        assert_eq!(fmt_num(12.0), "12");
        assert_eq!(fmt_num(12.5), "12.5");
        assert_eq!(fmt_num(116.38162544169612), "116.382");
        assert_eq!(fmt_num(-0.0001), "0");
        assert_eq!(round_half_up(2.5), 3);
    }
}
