//! Alibaba cluster-trace-v2017 batch tasks, in two layouts.
//!
//! * `alibaba-2017-batch`: the CloudSimPy `jobs.csv`
//!   (`,submit_time,duration,cpu,memory,job_id,task_id,instances_num,disk`, header row, first
//!   column a row index). `submit_time` and `duration` in seconds, `cpu` in cores, `memory` a
//!   fraction of one machine. Rows are not sorted by `submit_time`.
//! * `alibaba-2017-batch-task`: the raw `batch_task` table, no header:
//!   `create_timestamp,modify_timestamp,job_id,task_id,instance_num,status,plan_cpu,plan_mem`
//!   (the trace's `schema.csv`: task create time, task end time, job id, task id, number of
//!   instances, status, CPUs requested per instance, normalised memory requested per instance).
//!   Used here: arrival = `create_timestamp`, duration = `modify_timestamp - create_timestamp`,
//!   `plan_cpu` in hundredths of a core (100 = 1 core, so cpu_m = plan_cpu × 10), `plan_mem` a
//!   fraction 0–1 of one machine. `status` becomes a label.
//!
//! Each task row becomes `instances_num` pods named `j<job>-t<task>-<i>`, namespace `batch`,
//! labels `app=alibaba-batch;job=j<job>`, group `j<job>`, cpu_m = round(cpu × 1000),
//! memory_mib = max(1, round(memory × machine memory)) — the mapping of
//! `scripts/make_alibaba_slice.py`. Only task rows are held in memory; pods are expanded while
//! writing.

use std::path::Path;

use super::{
    Entry, ImportError, ImportOptions, ImportSummary, bad_row, field, header_columns, next_record,
    number, open_csv, require, round_half_up, scaled, write_sorted,
};

/// Job and task ids: integers are normalised (`7.0` → `7`), anything else kept as written.
fn ident(s: &str) -> String {
    if let Ok(v) = s.parse::<i64>() {
        return v.to_string();
    }
    if let Ok(f) = s.parse::<f64>()
        && f.is_finite()
        && f.fract() == 0.0
        && f.abs() < 9.0e15
    {
        return (f as i64).to_string();
    }
    s.to_string()
}

/// The job id, which becomes the `job` label: it cannot hold `;`, the separator between a
/// trace's labels (a real trace's ids are integers; this only ever refuses a damaged row).
fn job_id(rec: &csv::StringRecord, idx: usize) -> Result<&str, String> {
    let job = field(rec, idx, "job_id")?;
    if job.contains(';') {
        return Err(format!(
            "job_id `{job}` contains `;`, which separates a trace's labels; expected a job id such as `1750`"
        ));
    }
    Ok(job)
}

/// The common task-row fields once parsed.
struct Task<'r> {
    submit: f64,
    duration: f64,
    cpu_m: u64,
    mem_frac: f64,
    job: &'r str,
    task: &'r str,
    instances: u64,
    status: Option<&'r str>,
}

fn entry(t: Task<'_>, opts: &ImportOptions) -> Entry {
    let group = format!("j{}", ident(t.job));
    let mut labels = format!("app=alibaba-batch;job={group}");
    if let Some(s) = t
        .status
        .filter(|s| !s.is_empty() && !s.contains([';', '=']))
    {
        labels.push_str(";status=");
        labels.push_str(s);
    }
    Entry {
        submit: t.submit,
        duration: Some(t.duration),
        cpu_m: t.cpu_m,
        memory_mib: round_half_up(t.mem_frac * opts.machine_memory_mib).max(1),
        gpu: 0,
        count: t.instances,
        name: format!("{group}-t{}-", ident(t.task)),
        indexed: true,
        namespace: None,
        labels,
        priority: String::new(),
        group,
        instances: t.instances,
    }
}

/// A memory fraction whose MiB (× the machine memory) stay within what a trace may hold.
fn memory(frac: f64, name: &str, opts: &ImportOptions) -> Result<f64, String> {
    scaled(frac, opts.machine_memory_mib, name, "MiB").map(|_| frac)
}

fn instances(rec: &csv::StringRecord, idx: usize, name: &str) -> Result<u64, String> {
    let v = number(rec, idx, name)?;
    if v.fract() != 0.0 || v > 1.0e9 {
        return Err(format!(
            "{name} `{}` is not a whole number between 0 and 1000000000",
            &rec[idx]
        ));
    }
    Ok(v as u64)
}

/// Imports the CloudSimPy `jobs.csv` layout.
pub fn import_jobs_csv(
    input: &Path,
    out: &Path,
    opts: &ImportOptions,
) -> Result<ImportSummary, ImportError> {
    const COLS: [&str; 7] = [
        "submit_time",
        "duration",
        "cpu",
        "memory",
        "job_id",
        "task_id",
        "instances_num",
    ];
    let mut reader = open_csv(input, true)?;
    let found = header_columns(&mut reader, input, &COLS)?;
    let c = require(&found, &COLS, input)?;
    let mut summary = ImportSummary::default();
    let mut entries = Vec::new();
    let mut rec = csv::StringRecord::new();
    while let Some(line) = next_record(&mut reader, &mut rec, input, opts, &mut summary)? {
        let Some(line) = line else { continue };
        let parsed = (|| -> Result<Option<Task<'_>>, String> {
            let submit = number(&rec, c[0], "submit_time")?;
            if !opts.in_window(submit) {
                return Ok(None);
            }
            Ok(Some(Task {
                submit,
                duration: number(&rec, c[1], "duration")?,
                cpu_m: scaled(number(&rec, c[2], "cpu")?, 1000.0, "cpu", "millicores")?,
                mem_frac: memory(number(&rec, c[3], "memory")?, "memory", opts)?,
                job: job_id(&rec, c[4])?,
                task: field(&rec, c[5], "task_id")?,
                instances: instances(&rec, c[6], "instances_num")?,
                status: None,
            }))
        })();
        match bad_row(parsed, input, line, opts, &mut summary)? {
            Some(Some(t)) => entries.push(entry(t, opts)),
            Some(None) => summary.rows_outside_window += 1,
            None => {}
        }
    }
    write_sorted(entries, input, out, opts, "batch", summary)
}

/// Imports the raw `batch_task` table layout.
pub fn import_batch_task(
    input: &Path,
    out: &Path,
    opts: &ImportOptions,
) -> Result<ImportSummary, ImportError> {
    let mut reader = open_csv(input, false)?;
    let mut summary = ImportSummary::default();
    let mut entries = Vec::new();
    let mut rec = csv::StringRecord::new();
    while let Some(line) = next_record(&mut reader, &mut rec, input, opts, &mut summary)? {
        let Some(line) = line else { continue };
        let parsed = (|| -> Result<Option<Task<'_>>, String> {
            let create = number(&rec, 0, "create_timestamp").map_err(|e| {
                if line == 1 && rec.get(0).is_some_and(|f| f.parse::<f64>().is_err()) {
                    format!("{e} (the batch_task table has no header row; remove it)")
                } else {
                    e
                }
            })?;
            if !opts.in_window(create) {
                return Ok(None);
            }
            let modify = number(&rec, 1, "modify_timestamp")?;
            if modify < create {
                return Err(format!(
                    "modify_timestamp {modify} is before create_timestamp {create}: negative duration"
                ));
            }
            Ok(Some(Task {
                submit: create,
                duration: modify - create,
                job: job_id(&rec, 2)?,
                task: field(&rec, 3, "task_id")?,
                instances: instances(&rec, 4, "instance_num")?,
                status: rec.get(5),
                cpu_m: scaled(number(&rec, 6, "plan_cpu")?, 10.0, "plan_cpu", "millicores")?,
                mem_frac: memory(number(&rec, 7, "plan_mem")?, "plan_mem", opts)?,
            }))
        })();
        match bad_row(parsed, input, line, opts, &mut summary)? {
            Some(Some(t)) => entries.push(entry(t, opts)),
            Some(None) => summary.rows_outside_window += 1,
            None => {}
        }
    }
    write_sorted(entries, input, out, opts, "batch", summary)
}
