//! Sweeps: a base scenario, axes (any scenario field by its path, e.g.
//! `cluster.managedNodeGroups[0].instanceType: [m5.large, m6i.xlarge]`) and named variants that
//! patch several fields at once, times `seeds`. Every run has a stable index (variant-major,
//! seed-minor) whatever the thread count or sharding; runs go to
//! `OUT/runs/<variant-id>/seed=<s>/` and a run is complete when its summary.json exists (it is
//! written last, atomically), which is what `--resume` and `eksim merge` rely on.

pub mod answer;
pub mod patch;
pub mod plan;
pub mod report;

pub use plan::{Plan, RunSpec, SweepError, load_plan};
pub use report::{SweepRow, write_reports};

use std::path::Path;

use rayon::prelude::*;

use crate::sim::engine::{RunError, RunOptions, run};

/// What a sweep invocation did.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepOutcome {
    /// Runs executed now.
    pub ran: usize,
    /// Runs skipped as complete (`--resume`) or belonging to other shards.
    pub skipped: usize,
    /// Completed runs in the folder after this invocation.
    pub complete: usize,
    /// Runs in the whole plan.
    pub total: usize,
}

/// One run of a sweep, written into a hidden staging folder next to its final one and renamed
/// into place only once complete: a killed sweep leaves complete run folders or none, never a
/// half-written one (the rename of a folder is atomic). Stale staging folders and incomplete
/// run folders of an earlier, killed sweep are removed first.
fn run_staged(plan: &Plan, r: &RunSpec, dir: &Path) -> Result<(), RunError> {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let staging = dir.with_file_name(format!(".{name}.partial"));
    let io = |path: &Path, source: std::io::Error| crate::output::OutputError {
        path: path.to_path_buf(),
        source,
    };
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(|e| io(&staging, e))?;
    }
    let opts = RunOptions {
        seed: Some(r.seed),
        out_dir: staging.clone(),
        ..Default::default()
    };
    run(&plan.variants[r.variant].scenario, &opts)?;
    if dir.exists() {
        // An incomplete folder from before staging existed, or a complete one being redone.
        std::fs::remove_dir_all(dir).map_err(|e| io(dir, e))?;
    }
    std::fs::rename(&staging, dir).map_err(|e| io(dir, e))?;
    // Make the rename durable before the run counts as done.
    if let Some(parent) = dir.parent()
        && let Ok(d) = std::fs::File::open(parent)
    {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Runs the plan's runs (this shard's, those not already complete when `resume`) in parallel,
/// then writes the tables from every completed run in `out`.
pub fn run_sweep(
    plan: &Plan,
    out: &Path,
    shard: Option<(usize, usize)>,
    resume: bool,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<SweepOutcome, RunError> {
    std::fs::create_dir_all(out).map_err(|source| crate::output::OutputError {
        path: out.to_path_buf(),
        source,
    })?;
    let all = plan.runs();
    let todo: Vec<RunSpec> = all
        .iter()
        .copied()
        .filter(|r| shard.is_none_or(|(i, n)| r.index % n == i))
        .filter(|r| !(resume && plan.run_dir(out, r).join("summary.json").is_file()))
        .collect();
    let done = std::sync::atomic::AtomicUsize::new(0);
    progress(0, todo.len());
    // Runs are handed out one at a time in plan order to whichever thread is free (rayon's
    // list splitting instead gives each thread a fixed half, and one idles once its half of
    // cheap variants is done). The seeds of a variant are next to each other and cost about
    // the same, so threads finish close together. Errors are reported in plan order.
    let mut results: Vec<(usize, Result<(), RunError>)> = todo
        .iter()
        .enumerate()
        .par_bridge()
        .map(|(i, r)| {
            let dir = plan.run_dir(out, r);
            let result = run_staged(plan, r, &dir);
            progress(
                done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1,
                todo.len(),
            );
            (i, result)
        })
        .collect();
    results.sort_by_key(|(i, _)| *i);
    for (_, r) in results {
        r?;
    }
    crate::output::write_atomic(
        out,
        "sweep.json",
        format!(
            "{{\"sweep_file\": {}}}\n",
            serde_json::Value::String(plan.file.display().to_string())
        )
        .as_bytes(),
    )?;
    let complete = write_reports(plan, out)?;
    Ok(SweepOutcome {
        ran: todo.len(),
        skipped: all.len() - todo.len(),
        complete,
        total: all.len(),
    })
}
