//! Alibaba cluster-trace-gpu-v2023 `openb` pod lists
//! (`name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time`).
//!
//! One row is one pod: arrival = `creation_time`, duration = `deletion_time - creation_time`,
//! requests `cpu_milli`, `memory_mib` and `num_gpu` whole GPUs (`gpu_milli`, the share of each GPU,
//! is not modelled). Pods still alive at trace end (`deletion_time` equal to the largest
//! `deletion_time` in the file) are censored: empty `duration_s` and the label `censored=true`.
//! Labels: `app=alibaba-gpu`, `phase=<pod_phase>`, `qos=<qos>`. Namespace `default`.

use std::path::Path;

use super::{
    Entry, ImportError, ImportOptions, ImportSummary, bad_row, field, header_columns, next_record,
    number, open_csv, require, write_sorted,
};

struct Pod {
    entry: Entry,
    deletion: f64,
}

fn whole(v: f64, name: &str) -> Result<u64, String> {
    if v.fract() != 0.0 || v > 1.0e12 {
        return Err(format!("{name} `{v}` is not a whole number"));
    }
    Ok(v as u64)
}

fn parse(rec: &csv::StringRecord, c: &[usize], opt: &[Option<usize>]) -> Result<Pod, String> {
    let name = field(rec, c[0], "name")?;
    let cpu_m = whole(number(rec, c[1], "cpu_milli")?, "cpu_milli")?;
    let memory_mib = whole(number(rec, c[2], "memory_mib")?, "memory_mib")?;
    let gpu = whole(number(rec, c[3], "num_gpu")?, "num_gpu")?;
    let creation = number(rec, c[4], "creation_time")?;
    let deletion = number(rec, c[5], "deletion_time")?;
    if deletion < creation {
        return Err(format!(
            "deletion_time {deletion} is before creation_time {creation}: negative duration"
        ));
    }
    let text = |i: Option<usize>| {
        i.and_then(|i| rec.get(i))
            .filter(|v| !v.is_empty() && !v.contains([';', '=']))
    };
    let mut labels = vec!["app=alibaba-gpu".to_string()];
    if let Some(p) = text(opt[0]) {
        labels.push(format!("phase={p}"));
    }
    if let Some(q) = text(opt[1]) {
        labels.push(format!("qos={q}"));
    }
    Ok(Pod {
        entry: Entry {
            submit: creation,
            duration: Some(deletion - creation),
            cpu_m,
            memory_mib,
            gpu: u32::try_from(gpu).map_err(|_| format!("num_gpu `{gpu}` is too large"))?,
            count: 1,
            name: name.to_string(),
            indexed: false,
            namespace: None,
            labels: labels.join(";"),
            priority: String::new(),
            group: String::new(),
            instances: 1,
        },
        deletion,
    })
}

/// Imports an openb pod list.
pub fn import(
    input: &Path,
    out: &Path,
    opts: &ImportOptions,
) -> Result<ImportSummary, ImportError> {
    const COLS: [&str; 6] = [
        "name",
        "cpu_milli",
        "memory_mib",
        "num_gpu",
        "creation_time",
        "deletion_time",
    ];
    let mut reader = open_csv(input, true)?;
    let c = require(&header_columns(&mut reader, input, &COLS)?, &COLS, input)?;
    let opt = header_columns(&mut reader, input, &["pod_phase", "qos"])?;
    let mut summary = ImportSummary::default();
    let mut pods = Vec::new();
    let mut rec = csv::StringRecord::new();
    while let Some(line) = next_record(&mut reader, &mut rec, input, opts, &mut summary)? {
        let Some(line) = line else { continue };
        if let Some(p) = bad_row(parse(&rec, &c, &opt), input, line, opts, &mut summary)? {
            pods.push(p);
        }
    }
    let end = pods
        .iter()
        .map(|p| p.deletion)
        .fold(f64::NEG_INFINITY, f64::max);
    let mut entries = Vec::with_capacity(pods.len());
    for mut p in pods {
        if !opts.in_window(p.entry.submit) {
            summary.rows_outside_window += 1;
            continue;
        }
        if p.deletion == end {
            p.entry.duration = None;
            let mut labels: Vec<&str> = p.entry.labels.split(';').collect();
            labels.push("censored=true");
            labels.sort_unstable();
            p.entry.labels = labels.join(";");
        }
        entries.push(p.entry);
    }
    write_sorted(entries, input, out, opts, "default", summary)
}
