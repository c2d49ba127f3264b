//! `eksim merge DIR... [--out DIR]`: joins the run folders of sweep shards into one sweep folder
//! and writes its tables, identical to an unsharded run of the same sweep.

use std::path::{Path, PathBuf};

use clap::Args;

use super::BadInput;
use crate::sweep::{load_plan, write_reports};

/// Arguments of `eksim merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Sweep output folders (shards).
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Merged folder (default: the first DIR).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let target = to.join(e.file_name());
        if e.file_type()?.is_dir() {
            copy_dir(&e.path(), &target)?;
        } else if !e.file_name().to_string_lossy().ends_with(".tmp") {
            std::fs::copy(e.path(), target)?;
        }
    }
    Ok(())
}

/// Copies complete runs into the merged folder and writes sweep.csv and variants.csv.
pub fn execute(a: MergeArgs) -> anyhow::Result<()> {
    let first = &a.dirs[0];
    let meta = std::fs::read_to_string(first.join("sweep.json")).map_err(|e| {
        BadInput(format!(
            "{}: not a sweep folder ({e})",
            first.join("sweep.json").display()
        ))
    })?;
    let meta: serde_json::Value =
        serde_json::from_str(&meta).map_err(|e| BadInput(format!("{}: {e}", first.display())))?;
    let file = meta["sweep_file"]
        .as_str()
        .ok_or_else(|| BadInput(format!("{}: sweep.json lacks sweep_file", first.display())))?;
    let plan = load_plan(Path::new(file)).map_err(|e| BadInput(e.to_string()))?;
    let out = a.out.clone().unwrap_or_else(|| first.clone());
    for dir in &a.dirs {
        for r in plan.runs() {
            let src = plan.run_dir(dir, &r);
            let dst = plan.run_dir(&out, &r);
            if src != dst
                && src.join("summary.json").is_file()
                && !dst.join("summary.json").is_file()
            {
                copy_dir(&src, &dst)?;
            }
        }
    }
    let complete = write_reports(&plan, &out, file)?;
    println!(
        "merged {} folder(s) into {}: {} of {} runs complete",
        a.dirs.len(),
        out.display(),
        complete,
        plan.runs().len()
    );
    if complete == plan.runs().len() {
        super::report::report_one(&out, None)?;
    }
    Ok(())
}
