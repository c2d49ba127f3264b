//! `eksim sweep SWEEP [--out DIR] [--jobs N] [--shard I/N] [--resume]`: variants × seeds in
//! parallel; `OUT/sweep.csv` (one row per run) and `OUT/variants.csv` (per variant: mean, sd,
//! 95% CI). Output bytes do not depend on `--jobs`.

use std::path::PathBuf;

use clap::Args;

use super::BadInput;
use crate::sim::engine::RunError;
use crate::sweep::{load_plan, plan::SweepError};

/// Arguments of `eksim sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Sweep YAML file.
    pub sweep: PathBuf,
    /// Output folder (default: `out/<sweep file name>`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Run only the runs whose index ≡ I (mod N), e.g. `--shard 0/4`.
    #[arg(long)]
    pub shard: Option<String>,
    /// Skip runs that are already complete in the output folder.
    #[arg(long)]
    pub resume: bool,
    /// Do not write report.md and its plots when every run is complete.
    #[arg(long)]
    pub no_report: bool,
}

/// Parses `I/N`.
pub fn parse_shard(s: &str) -> Result<(usize, usize), String> {
    let (i, n) = s
        .split_once('/')
        .ok_or_else(|| format!("--shard `{s}`: expected I/N, e.g. 0/4"))?;
    let (i, n): (usize, usize) = (
        i.trim()
            .parse()
            .map_err(|_| format!("--shard `{s}`: I is not a number"))?,
        n.trim()
            .parse()
            .map_err(|_| format!("--shard `{s}`: N is not a number"))?,
    );
    if n == 0 || i >= n {
        return Err(format!("--shard `{s}`: need 0 <= I < N"));
    }
    Ok((i, n))
}

fn plan_error(e: SweepError) -> anyhow::Error {
    anyhow::Error::new(BadInput(e.to_string()))
}

/// Runs `f` in `pool`, or in rayon's global pool (a thread per core) without one.
fn in_pool<T: Send>(pool: &Option<rayon::ThreadPool>, f: impl FnOnce() -> T + Send) -> T {
    match pool {
        Some(p) => p.install(f),
        None => f(),
    }
}

/// Plans, runs and tabulates the sweep.
pub fn execute(a: SweepArgs) -> anyhow::Result<()> {
    let shard = a
        .shard
        .as_deref()
        .map(parse_shard)
        .transpose()
        .map_err(BadInput)?;
    if a.jobs == Some(0) {
        return Err(BadInput("--jobs must be at least 1".into()).into());
    }
    let plan = load_plan(&a.sweep).map_err(plan_error)?;
    let out = a.out.clone().unwrap_or_else(|| {
        let stem = a
            .sweep
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "sweep".into());
        PathBuf::from("out").join(stem.trim_end_matches(".sweep"))
    });
    // A progress bar on a terminal (runs done, ETA); quiet otherwise.
    let bar = std::io::IsTerminal::is_terminal(&std::io::stderr()).then(|| {
        let b = indicatif::ProgressBar::new(0);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} runs  {elapsed} elapsed, ETA {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let progress = |done: usize, total: usize| {
        if let Some(b) = &bar {
            b.set_length(total as u64);
            b.set_position(done as u64);
        }
    };
    // --jobs bounds the threads of the runs and of the report drawn after them.
    let pool = match a.jobs {
        Some(n) => Some(rayon::ThreadPoolBuilder::new().num_threads(n).build()?),
        None => None,
    };
    let result = in_pool(&pool, || {
        crate::sweep::run_sweep(&plan, &out, shard, a.resume, &progress)
    });
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let outcome = result.map_err(|e| match e {
        RunError::Workload(w) => anyhow::Error::new(BadInput(w.to_string())),
        other => anyhow::Error::new(other),
    })?;
    println!(
        "sweep {}: {} variant(s) × {} seed(s) = {} runs; ran {}, skipped {}; {} complete in {}",
        a.sweep.display(),
        plan.variants.len(),
        plan.seeds.len(),
        outcome.total,
        outcome.ran,
        outcome.skipped,
        outcome.complete,
        out.display()
    );
    if let Ok(text) = std::fs::read_to_string(out.join("answer.md")) {
        println!("\n{}", text.trim_end());
    }
    println!(
        "files: {0}/sweep.csv, {0}/variants.csv, {0}/answer.md, {0}/runs/<variant>/seed=<s>/",
        out.display()
    );
    if a.no_report {
        return Ok(());
    }
    if outcome.complete == outcome.total {
        in_pool(&pool, || super::report::report_one(&out, None))?;
    } else {
        println!(
            "report: {} of {} runs complete; `eksim merge` the shards (or `--resume`) to get \
             report.md",
            outcome.complete, outcome.total
        );
    }
    Ok(())
}
