//! `eksim trace import` (convert a public trace into a canonical trace CSV) and
//! `eksim trace stats` (what a canonical trace holds: arrivals per bucket, request
//! distributions, and the demand of running pods over time).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use hdrhistogram::Histogram;

use super::BadInput;
use crate::scenario::units::parse_duration;
use crate::sim::time::{SimDuration, fmt_secs};
use crate::workload::importers::{self, Format, ImportOptions};
use crate::workload::{PodSource, TraceSource, TraceSpec};

/// Arguments of `eksim trace`.
#[derive(Debug, Args)]
pub struct TraceArgs {
    /// What to do with a trace.
    #[command(subcommand)]
    pub command: TraceCommand,
}

/// `eksim trace` subcommands.
#[derive(Debug, Subcommand)]
pub enum TraceCommand {
    /// Convert a public trace (or a canonical one) into a canonical trace CSV.
    Import(ImportArgs),
    /// Summarise a canonical trace: arrivals, request distributions, concurrent demand.
    Stats(StatsArgs),
}

/// Arguments of `eksim trace import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Source format.
    #[arg(long, value_enum)]
    pub format: Format,
    /// Source file.
    pub input: PathBuf,
    /// Canonical trace CSV to write.
    #[arg(long)]
    pub out: PathBuf,
    /// Keep rows submitted at or after this source second.
    #[arg(long)]
    pub from: Option<f64>,
    /// Keep rows submitted before this source second.
    #[arg(long)]
    pub to: Option<f64>,
    /// Seconds added to every output submit time (after the first arrival is moved to 0).
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub shift: f64,
    /// Keep source times (do not move the first kept arrival to 0).
    #[arg(long)]
    pub keep_time: bool,
    /// Divide submit times and durations by F (24: a day becomes an hour).
    #[arg(long, default_value_t = 1.0, value_name = "F")]
    pub time_scale: f64,
    /// Keep each pod with this probability.
    #[arg(long, value_name = "FRACTION")]
    pub sample: Option<f64>,
    /// Seed of the sampling stream.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Namespace of the pods (format default: batch for Alibaba 2017, default otherwise;
    /// canonical: replaces each row's namespace).
    #[arg(long)]
    pub namespace: Option<String>,
    /// Namespace of the pods of tasks/jobs with more than --batch-min-instances instances.
    #[arg(long)]
    pub batch_namespace: Option<String>,
    /// See --batch-namespace.
    #[arg(long, default_value_t = 1)]
    pub batch_min_instances: u64,
    /// Count malformed rows instead of stopping at the first one.
    #[arg(long)]
    pub skip_bad_rows: bool,
    /// Memory of one machine in MiB (Alibaba 2017 memory is a fraction of a machine).
    #[arg(long, default_value_t = importers::DEFAULT_MACHINE_MEMORY_MIB)]
    pub machine_memory_mib: f64,
}

/// Arguments of `eksim trace stats`.
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Canonical trace CSV.
    pub trace: PathBuf,
    /// Bucket width of the arrival and demand table.
    #[arg(long, default_value = "1h")]
    pub bucket: String,
}

/// Runs `eksim trace`.
pub fn execute(a: TraceArgs) -> anyhow::Result<()> {
    match a.command {
        TraceCommand::Import(a) => import(a),
        TraceCommand::Stats(a) => {
            let bucket =
                parse_duration(&a.bucket).map_err(|e| BadInput(format!("--bucket: {e}")))?;
            if bucket.0 == 0 {
                return Err(BadInput("--bucket must be longer than 0".into()).into());
            }
            let s = stats(&a.trace, bucket).map_err(|e| BadInput(e.to_string()))?;
            print!("{}", render(&a.trace, &s));
            Ok(())
        }
    }
}

fn import(a: ImportArgs) -> anyhow::Result<()> {
    let opts = ImportOptions {
        from: a.from,
        to: a.to,
        shift: a.shift,
        keep_time: a.keep_time,
        time_scale: a.time_scale,
        sample: a.sample,
        seed: a.seed,
        namespace: a.namespace,
        batch_namespace: a.batch_namespace,
        batch_min_instances: a.batch_min_instances,
        skip_bad_rows: a.skip_bad_rows,
        machine_memory_mib: a.machine_memory_mib,
    };
    match importers::import(a.format, &a.input, &a.out, &opts) {
        Ok(s) => {
            println!("{}: {s}", a.out.display());
            Ok(())
        }
        Err(e) if e.is_bad_input() => Err(BadInput(e.to_string()).into()),
        Err(e) => Err(e.into()),
    }
}

/// p50, p95, p99 and max of one quantity.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Percentiles {
    /// Median (hdrhistogram, 3 significant digits).
    pub p50: u64,
    /// 95th percentile.
    pub p95: u64,
    /// 99th percentile.
    pub p99: u64,
    /// Exact maximum.
    pub max: u64,
}

/// One row of the time table: the bucket `[start, start + bucket)`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BucketRow {
    /// Bucket start, ms.
    pub start_ms: u64,
    /// Pods submitted in the bucket.
    pub arrivals: u64,
    /// Pods running at the bucket start (`submit <= t < submit + duration`).
    pub running_pods: u64,
    /// Their CPU requests, millicores.
    pub cpu_m: u64,
    /// Their memory requests, MiB.
    pub memory_mib: u64,
}

/// What `eksim trace stats` reports.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TraceStats {
    /// Pods in the trace.
    pub pods: u64,
    /// First and last submit, ms.
    pub first_submit_ms: u64,
    /// Last submit, ms.
    pub last_submit_ms: u64,
    /// Bucket width, ms.
    pub bucket_ms: u64,
    /// One row per bucket from the first submit to the last end (or last submit).
    pub buckets: Vec<BucketRow>,
    /// cpu_m distribution.
    pub cpu_m: Percentiles,
    /// memory_mib distribution.
    pub memory_mib: Percentiles,
    /// duration distribution in ms (pods with a duration).
    pub duration_ms: Percentiles,
    /// Pods without a duration (censored or running past the horizon).
    pub no_duration: u64,
    /// Pods requesting at least one GPU.
    pub gpu_pods: u64,
}

struct Dist {
    hist: Histogram<u64>,
    max: u64,
}

impl Dist {
    fn new() -> Dist {
        Dist {
            hist: Histogram::new(3).unwrap_or_else(|_| unreachable!("3 sigfigs is valid")),
            max: 0,
        }
    }
    fn record(&mut self, v: u64) {
        // Auto-resizing: recording any u64 succeeds.
        if self.hist.record(v).is_err() {
            self.hist.saturating_record(v);
        }
        self.max = self.max.max(v);
    }
    fn percentiles(&self) -> Percentiles {
        if self.hist.is_empty() {
            return Percentiles::default();
        }
        let q = |p: f64| self.hist.value_at_quantile(p).min(self.max);
        Percentiles {
            p50: q(0.50),
            p95: q(0.95),
            p99: q(0.99),
            max: self.max,
        }
    }
}

/// Reads a canonical trace once (streaming) and computes its statistics. Demand at each bucket
/// boundary is a sweep: pods are added at their submit (the trace is sorted) and removed, via a
/// min-heap of end times, at their end; a pod without a duration never ends.
pub fn stats(
    path: &Path,
    bucket: SimDuration,
) -> Result<TraceStats, crate::workload::WorkloadError> {
    let mut src = TraceSource::open(TraceSpec::plain(path.to_path_buf()))?;
    let b = bucket.0.max(1);
    let mut s = TraceStats {
        bucket_ms: b,
        ..TraceStats::default()
    };
    let (mut cpu, mut mem, mut dur) = (Dist::new(), Dist::new(), Dist::new());
    let mut heap: BinaryHeap<Reverse<(u64, u64, u64)>> = BinaryHeap::new();
    let mut arrivals: Vec<u64> = Vec::new();
    let mut first_bucket: Option<u64> = None;
    let mut last_end = 0u64;
    let emit = |t: u64,
                heap: &mut BinaryHeap<Reverse<(u64, u64, u64)>>,
                run: &mut (u64, u64, u64),
                rows: &mut Vec<BucketRow>| {
        while let Some(Reverse((end, c, m))) = heap.peek().copied() {
            if end > t {
                break;
            }
            heap.pop();
            run.0 -= 1;
            run.1 -= c;
            run.2 -= m;
        }
        rows.push(BucketRow {
            start_ms: t,
            arrivals: 0,
            running_pods: run.0,
            cpu_m: run.1,
            memory_mib: run.2,
        });
    };
    let mut run = (0u64, 0u64, 0u64);
    // The table has one row per bucket: a span of more than MAX_BUCKETS buckets is refused at
    // the row that reaches it rather than filling memory.
    let too_long = |span: u64, line: u64| crate::workload::WorkloadError::Trace {
        path: path.to_path_buf(),
        line,
        message: format!(
            "the trace spans more than {MAX_BUCKETS} buckets of {} s ({} s); use a larger --bucket",
            fmt_secs(b),
            fmt_secs(span)
        ),
    };
    let mut last_end_line = 0u64;
    while let Some(p) = src.next_pod()? {
        let t = p.submit.0;
        let b0 = *first_bucket.get_or_insert(t / b * b);
        let line = s.pods + 2;
        if (t - b0) / b >= MAX_BUCKETS {
            return Err(too_long(t - b0, line));
        }
        if s.pods == 0 {
            s.first_submit_ms = t;
        }
        s.last_submit_ms = t;
        s.pods += 1;
        // Boundaries strictly before this submit are final: every pod submitted at or
        // before them has been added.
        loop {
            let next = b0 + s.buckets.len() as u64 * b;
            if next >= t {
                break;
            }
            emit(next, &mut heap, &mut run, &mut s.buckets);
        }
        let k = ((t - b0) / b) as usize;
        if arrivals.len() <= k {
            arrivals.resize(k + 1, 0);
        }
        arrivals[k] += 1;
        let (c, m) = (p.requests.cpu_m, p.requests.memory_mib);
        cpu.record(c);
        mem.record(m);
        if p.requests.gpus > 0 {
            s.gpu_pods += 1;
        }
        let end = match p.duration {
            Some(d) => {
                dur.record(d.0);
                let e = t.saturating_add(d.0);
                if e > last_end {
                    last_end = e;
                    last_end_line = line;
                }
                e
            }
            None => {
                s.no_duration += 1;
                u64::MAX
            }
        };
        heap.push(Reverse((end, c, m)));
        run.0 += 1;
        run.1 += c;
        run.2 += m;
    }
    if let Some(b0) = first_bucket {
        let limit = last_end.max(s.last_submit_ms);
        if (limit - b0) / b >= MAX_BUCKETS {
            return Err(too_long(limit - b0, last_end_line));
        }
        loop {
            let next = b0 + s.buckets.len() as u64 * b;
            if next > limit && s.buckets.len() >= arrivals.len() {
                break;
            }
            emit(next, &mut heap, &mut run, &mut s.buckets);
        }
        for (row, a) in s.buckets.iter_mut().zip(&arrivals) {
            row.arrivals = *a;
        }
    }
    s.cpu_m = cpu.percentiles();
    s.memory_mib = mem.percentiles();
    s.duration_ms = dur.percentiles();
    Ok(s)
}

/// Most buckets `stats` computes (the table is held in memory).
pub const MAX_BUCKETS: u64 = 1_000_000;

/// Most table rows printed.
const MAX_ROWS: usize = 200;

/// The text `eksim trace stats` prints.
pub fn render(path: &Path, s: &TraceStats) -> String {
    use std::fmt::Write;
    let mut o = String::new();
    let _ = writeln!(o, "{}", path.display());
    let _ = writeln!(
        o,
        "pods {}, span {} s to {} s ({} s), GPU pods {}, pods without duration {}",
        s.pods,
        fmt_secs(s.first_submit_ms),
        fmt_secs(s.last_submit_ms),
        fmt_secs(s.last_submit_ms - s.first_submit_ms),
        s.gpu_pods,
        s.no_duration
    );
    let _ = writeln!(
        o,
        "{:<12} {:>10} {:>10} {:>10} {:>10}",
        "", "p50", "p95", "p99", "max"
    );
    for (name, p, div) in [
        ("cpu_m", s.cpu_m, 1.0),
        ("memory_mib", s.memory_mib, 1.0),
        ("duration_s", s.duration_ms, 1000.0),
    ] {
        let f = |v: u64| importers::fmt_num(v as f64 / div);
        let _ = writeln!(
            o,
            "{name:<12} {:>10} {:>10} {:>10} {:>10}",
            f(p.p50),
            f(p.p95),
            f(p.p99),
            f(p.max)
        );
    }
    let _ = writeln!(
        o,
        "bucket {} s: arrivals in [t, t+bucket); running pods and requested demand at t",
        fmt_secs(s.bucket_ms)
    );
    let _ = writeln!(
        o,
        "{:>14} {:>10} {:>10} {:>10} {:>12} {:>12}",
        "t_s", "arrivals", "per_s", "running", "cores", "GiB"
    );
    for r in s.buckets.iter().take(MAX_ROWS) {
        let _ = writeln!(
            o,
            "{:>14} {:>10} {:>10.3} {:>10} {:>12.3} {:>12.3}",
            fmt_secs(r.start_ms),
            r.arrivals,
            r.arrivals as f64 * 1000.0 / s.bucket_ms as f64,
            r.running_pods,
            r.cpu_m as f64 / 1000.0,
            r.memory_mib as f64 / 1024.0
        );
    }
    if s.buckets.len() > MAX_ROWS {
        let _ = writeln!(
            o,
            "... {} more buckets not shown; use a larger --bucket",
            s.buckets.len() - MAX_ROWS
        );
    }
    o
}
