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

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use rayon::prelude::*;

use crate::output::Durability;
use crate::sim::engine::{RunError, RunOptions, run};
use crate::workload::trace_cache::TraceCache;

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

/// One run of a sweep, written into a hidden staging folder next to its final one, which
/// [`publish`] renames into place once complete: a killed sweep leaves complete run folders or
/// none, never a half-written one (the rename of a folder is atomic). A stale staging folder
/// of an earlier, killed sweep is removed first. Files are not synced one by one (the run
/// would wait for each); [`publish`] syncs the folder. Returns the staging folder.
fn stage(
    plan: &Plan,
    r: &RunSpec,
    dir: &Path,
    traces: &Arc<TraceCache>,
) -> Result<PathBuf, RunError> {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let staging = dir.with_file_name(format!(".{name}.partial"));
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(|e| io_error(&staging, e))?;
    }
    let opts = RunOptions {
        seed: Some(r.seed),
        out_dir: staging.clone(),
        durability: Durability::Deferred,
        traces: Some(traces.clone()),
        ..Default::default()
    };
    run(&plan.variants[r.variant].scenario, &opts)?;
    Ok(staging)
}

/// Publishes a staged run: syncs its files, replaces an incomplete or redone run folder, renames
/// the staging folder into place and makes the rename durable. The run counts as done after.
fn publish(staging: &Path, dir: &Path) -> Result<(), RunError> {
    crate::output::sync_folder(staging)?;
    if dir.exists() {
        // An incomplete folder from before staging existed, or a complete one being redone.
        std::fs::remove_dir_all(dir).map_err(|e| io_error(dir, e))?;
    }
    std::fs::rename(staging, dir).map_err(|e| io_error(dir, e))?;
    if let Some(parent) = dir.parent() {
        crate::output::sync_dir(parent);
    }
    Ok(())
}

fn io_error(path: &Path, source: std::io::Error) -> RunError {
    crate::output::OutputError {
        path: path.to_path_buf(),
        source,
    }
    .into()
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
    let done = AtomicUsize::new(0);
    let tick = || progress(done.fetch_add(1, Ordering::Relaxed) + 1, todo.len());
    progress(0, todo.len());
    // Runs are handed out one at a time in plan order to whichever thread is free (rayon's
    // list splitting instead gives each thread a fixed half, and one idles once its half of
    // cheap variants is done). The seeds of a variant are next to each other and cost about
    // the same, so threads finish close together. A finished run goes to one publishing
    // thread, which waits for the disk while the run's thread computes the next run (syncing
    // in the run's thread left each thread a quarter of the time waiting on sweep8 with two
    // threads). Errors are reported in plan order.
    let (to_publish, staged) = mpsc::channel::<(usize, PathBuf, PathBuf)>();
    // The runs of a variant and of the variants over one trace read the same rows: each
    // thread parses a trace once and replays it to its later runs.
    let traces = Arc::new(TraceCache::new());
    let mut results: Vec<(usize, Result<(), RunError>)> = std::thread::scope(|s| {
        let publisher = std::thread::Builder::new()
            .name("sweep-publisher".into())
            .spawn_scoped(s, || {
                staged
                    .into_iter()
                    .map(|(i, staging, dir)| {
                        let result = publish(&staging, &dir);
                        tick();
                        (i, result)
                    })
                    .collect::<Vec<_>>()
            })
            .ok();
        // No thread to be had: each run's thread publishes its own run, as before.
        let inline = publisher.is_none();
        let mut done_here: Vec<(usize, Result<(), RunError>)> = todo
            .iter()
            .enumerate()
            .par_bridge()
            .map_with(to_publish, |to_publish, (i, r)| {
                let dir = plan.run_dir(out, r);
                let result = match stage(plan, r, &dir, &traces) {
                    Ok(staging) if !inline => {
                        // Fails only if the publisher panicked, which its join passes on.
                        let _ = to_publish.send((i, staging, dir));
                        return None;
                    }
                    Ok(staging) => publish(&staging, &dir),
                    Err(e) => Err(e),
                };
                tick();
                Some((i, result))
            })
            .flatten()
            .collect();
        // Every sender is dropped with the parallel iterator: the publisher drains and ends.
        if let Some(p) = publisher {
            let published = p
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            done_here.extend(published);
        }
        done_here
    });
    results.sort_by_key(|(i, _)| *i);
    for (_, r) in results {
        r?;
    }
    let complete = write_reports(plan, out, &plan.file.display().to_string())?;
    Ok(SweepOutcome {
        ran: todo.len(),
        skipped: all.len() - todo.len(),
        complete,
        total: all.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_replaces_an_incomplete_run_folder_with_the_staged_one() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("seed=1");
        let staging = root.path().join(".seed=1.partial");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("pods.csv"), "stale").unwrap();
        std::fs::create_dir(&staging).unwrap();
        std::fs::write(staging.join("summary.json"), "{}").unwrap();
        publish(&staging, &dir).unwrap();
        assert!(!staging.exists());
        assert!(!dir.join("pods.csv").exists());
        assert_eq!(
            std::fs::read_to_string(dir.join("summary.json")).unwrap(),
            "{}"
        );
    }

    #[test]
    fn publish_fails_naming_a_missing_staging_folder_and_leaves_the_run_folder() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("seed=1");
        std::fs::create_dir(&dir).unwrap();
        let staging = root.path().join(".seed=1.partial");
        let e = publish(&staging, &dir).unwrap_err();
        assert!(e.to_string().contains(".seed=1.partial"), "{e}");
        assert!(dir.exists());
    }
}
