//! The `eksim` command line: clap-derived arguments, one file per subcommand, and the mapping
//! of errors to exit codes (0 success, 2 bad input, 1 anything else).

pub mod explain;
pub mod merge;
pub mod report;
pub mod run;
pub mod sweep;
pub mod trace;
pub mod validate;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Deterministic simulator of Amazon EKS clusters: EC2 node groups vs Fargate, start-up
/// latency, cost.
#[derive(Debug, Parser)]
#[command(name = "eksim", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one scenario and write pods.csv, nodes.csv, timeline.csv, summary.json, timing.json.
    Run(run::RunArgs),
    /// Check a scenario and list every problem in it.
    Validate(validate::ValidateArgs),
    /// Show every scheduling cycle of one pod: filter verdicts and scores per node.
    Explain(explain::ExplainArgs),
    /// Run variants × seeds of a scenario in parallel and tabulate them.
    Sweep(sweep::SweepArgs),
    /// Join sweep shards into one sweep folder.
    Merge(merge::MergeArgs),
    /// Write report.md and PNG/SVG plots for run or sweep folders.
    Report(report::ReportArgs),
    /// Import public traces into canonical trace CSVs, or summarise a trace.
    Trace(trace::TraceArgs),
}

/// An error that is the user's input's fault (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

/// Parses the arguments, runs the command, and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let result = match cli.command {
        Command::Run(a) => run::execute(a),
        Command::Validate(a) => validate::execute(a),
        Command::Explain(a) => explain::execute(a),
        Command::Trace(a) => trace::execute(a),
        Command::Sweep(a) => sweep::execute(a),
        Command::Merge(a) => merge::execute(a),
        Command::Report(a) => report::execute(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            if e.downcast_ref::<BadInput>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}
