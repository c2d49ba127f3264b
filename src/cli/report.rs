//! `eksim report DIR... [--out DIR]`: writes report.md and PNG/SVG plots for run folders and
//! sweep folders, so results can be read (and shared on GitHub) without a notebook.

use std::path::PathBuf;

use clap::Args;

use super::BadInput;
use crate::report::{Generated, ReportError, sweep};

/// Arguments of `eksim report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Run folders (written by `eksim run`) or sweep folders (written by `eksim sweep`).
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Output folder (only with one DIR; default: RUN_DIR/report for a run, the sweep folder
    /// itself for a sweep).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

fn classify(e: ReportError) -> anyhow::Error {
    if e.is_bad_input() {
        anyhow::Error::new(BadInput(e.to_string()))
    } else {
        anyhow::Error::new(e)
    }
}

/// Writes the report of one run or sweep folder into `out` (or its default place).
pub fn report_one(dir: &std::path::Path, out: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    let (out, generated): (PathBuf, Generated) = if sweep::is_sweep_dir(dir) {
        let out = out.unwrap_or_else(|| dir.to_path_buf());
        let g = sweep::generate(dir, &out).map_err(classify)?;
        (out, g)
    } else {
        let out = out.unwrap_or_else(|| dir.join("report"));
        let g = crate::report::generate(dir, &out).map_err(classify)?;
        (out, g)
    };
    for why in &generated.skipped {
        println!("note: {why}");
    }
    println!(
        "wrote {} file(s) into {} (open {})",
        generated.files.len(),
        out.display(),
        out.join("report.md").display()
    );
    Ok(out)
}

/// Builds every report; a bad folder is [`BadInput`] (exit code 2).
pub fn execute(a: ReportArgs) -> anyhow::Result<()> {
    if a.out.is_some() && a.dirs.len() > 1 {
        return Err(BadInput(format!(
            "--out needs exactly one DIR ({} given): each report goes into its own folder",
            a.dirs.len()
        ))
        .into());
    }
    for dir in &a.dirs {
        report_one(dir, a.out.clone())?;
    }
    Ok(())
}
