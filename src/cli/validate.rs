//! `eksim validate SCENARIO`: every problem in the file at once, or a short description of what
//! the scenario holds. Traces are read to the end, so a bad row is found before a long run.

use std::path::PathBuf;

use clap::Args;

use super::BadInput;
use crate::scenario::{self, WorkloadSpec};
use crate::workload::{PodSource, TraceSource};

/// Arguments of `eksim validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Scenario YAML file.
    pub scenario: PathBuf,
}

/// Loads and checks the scenario, reading every trace it references.
pub fn execute(a: ValidateArgs) -> anyhow::Result<()> {
    let sc = scenario::load(&a.scenario).map_err(|e| BadInput(e.to_string()))?;
    let mut trace_pods = 0u64;
    for w in &sc.workload {
        if let WorkloadSpec::Trace(t) = w {
            let mut src = TraceSource::open(t.clone()).map_err(|e| BadInput(e.to_string()))?;
            while src
                .next_pod()
                .map_err(|e| BadInput(e.to_string()))?
                .is_some()
            {
                trace_pods += 1;
            }
        }
    }
    println!(
        "{}: valid. Cluster `{}` ({}, Kubernetes {}), {} zone(s), {} node group(s), {} Fargate profile(s), {} workload source(s){}, horizon {}.",
        a.scenario.display(),
        sc.cluster.name,
        sc.cluster.region,
        sc.cluster.version,
        sc.cluster.zones.len(),
        sc.cluster.node_groups.len(),
        sc.cluster.fargate_profiles.len(),
        sc.workload.len(),
        if trace_pods > 0 {
            format!(" ({trace_pods} trace pods)")
        } else {
            String::new()
        },
        sc.horizon,
    );
    for n in &sc.ignored_fields {
        println!("  note: not modelled, ignored: {n}");
    }
    Ok(())
}
