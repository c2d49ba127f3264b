//! `eksim report RUN_DIR [--out DIR]`: writes report.md and PNG/SVG plots for one run folder, so
//! a run can be read (and shared on GitHub) without a notebook.

use std::path::PathBuf;

use clap::Args;

use super::BadInput;

/// Arguments of `eksim report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A run folder written by `eksim run` (timeline.csv, pods.csv, nodes.csv, summary.json).
    pub run_dir: PathBuf,
    /// Output folder (default: RUN_DIR/report).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Builds the report; a bad run folder is [`BadInput`] (exit code 2).
pub fn execute(a: ReportArgs) -> anyhow::Result<()> {
    let out = a.out.clone().unwrap_or_else(|| a.run_dir.join("report"));
    let generated = crate::report::generate(&a.run_dir, &out).map_err(|e| {
        if e.is_bad_input() {
            anyhow::Error::new(BadInput(e.to_string()))
        } else {
            anyhow::Error::new(e)
        }
    })?;
    for why in &generated.skipped {
        println!("note: {why}");
    }
    println!(
        "wrote {} file(s) into {} (open report.md)",
        generated.files.len(),
        out.display()
    );
    Ok(())
}
