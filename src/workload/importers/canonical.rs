//! Canonical trace in, canonical trace out, so that windows, shifts, scaling, sampling and
//! namespace rules apply to an existing trace. Rows are read and checked by
//! [`TraceSource`] (file:line errors, sort order), streamed one at a
//! time. Only the ten canonical columns are written (`image` and `node_selector` are dropped);
//! labels are written sorted, an empty name becomes `<file stem>-<row>`, an empty namespace
//! `default`. With `batch_namespace`, a first pass counts the pods of each `group` (a pod with an
//! empty group counts as a job of one).

use std::collections::HashMap;
use std::path::Path;

use super::{Entry, ImportError, ImportOptions, ImportSummary, PodWriter};
use crate::workload::{PodSource, SharedStr, TraceSource, TraceSpec, WorkloadError};

fn open(input: &Path) -> Result<TraceSource, ImportError> {
    TraceSource::open(TraceSpec::plain(input.to_path_buf())).map_err(convert)
}

fn convert(e: WorkloadError) -> ImportError {
    match e {
        WorkloadError::Io { path, source } => ImportError::Io { path, source },
        WorkloadError::Trace {
            path,
            line,
            message,
        } => ImportError::BadRow {
            path,
            line,
            message,
        },
    }
}

/// Streams every good row through `f`; bad rows are errors or, with `skip_bad_rows`, counted.
fn each_row(
    input: &Path,
    opts: &ImportOptions,
    summary: &mut ImportSummary,
    mut f: impl FnMut(crate::workload::PodSpec, &mut ImportSummary) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    let mut src = open(input)?;
    let mut last_bad = None;
    loop {
        match src.next_pod() {
            Ok(None) => return Ok(()),
            Ok(Some(p)) => {
                summary.rows_read += 1;
                f(p, summary)?;
            }
            Err(WorkloadError::Trace { line, .. })
                if opts.skip_bad_rows && last_bad != Some(line) =>
            {
                summary.rows_read += 1;
                summary.rows_skipped += 1;
                last_bad = Some(line);
            }
            Err(e) => return Err(convert(e)),
        }
    }
}

/// Rewrites a canonical trace.
pub fn import(
    input: &Path,
    out: &Path,
    opts: &ImportOptions,
) -> Result<ImportSummary, ImportError> {
    let mut groups: HashMap<SharedStr, u64> = HashMap::new();
    if opts.batch_namespace.is_some() {
        let mut scratch = ImportSummary::default();
        let counting = ImportOptions {
            skip_bad_rows: true,
            ..opts.clone()
        };
        each_row(input, &counting, &mut scratch, |p, _| {
            if !p.group.is_empty() {
                *groups.entry(p.group).or_default() += 1;
            }
            Ok(())
        })?;
    }
    let mut w = PodWriter::create(out, opts, "default")?;
    let mut summary = ImportSummary::default();
    each_row(input, opts, &mut summary, |p, summary| {
        let submit = p.submit.as_secs_f64();
        if !opts.in_window(submit) {
            summary.rows_outside_window += 1;
            return Ok(());
        }
        let labels: Vec<String> = p.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let instances = groups.get(&p.group).copied().unwrap_or(1);
        w.write(&Entry {
            submit,
            duration: p.duration.map(|d| d.as_secs_f64()),
            cpu_m: p.requests.cpu_m,
            memory_mib: p.requests.memory_mib,
            gpu: p.requests.gpus,
            count: 1,
            name: p.name.into_string(),
            indexed: false,
            namespace: Some(p.namespace.into()),
            labels: labels.join(";"),
            priority: if p.priority == 0 {
                String::new()
            } else {
                p.priority.to_string()
            },
            group: p.group.into(),
            instances,
        })
    })?;
    w.finish(summary)
}
