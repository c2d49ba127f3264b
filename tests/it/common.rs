//! Helpers: run a scenario given as YAML text, read output CSVs as rows of named fields.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use eksim::scenario;
use eksim::sim::engine::{RunOptions, RunResult, run};

/// A scenario written into a temporary folder, with its output folder beside it.
pub struct Case {
    pub dir: tempfile::TempDir,
    pub scenario: PathBuf,
}

impl Case {
    pub fn new(yaml: &str) -> Case {
        let dir = tempfile::tempdir().unwrap();
        let scenario = dir.path().join("scenario.yaml");
        std::fs::write(&scenario, yaml).unwrap();
        Case { dir, scenario }
    }

    pub fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    pub fn out(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn run(&self, seed: Option<u64>, out: &str) -> RunResult {
        let sc = scenario::load(&self.scenario).unwrap_or_else(|e| panic!("{e}"));
        run(
            &sc,
            &RunOptions {
                seed,
                out_dir: self.out(out),
                explain_pod: None,
                ..Default::default()
            },
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }
}

/// Rows of a CSV file as maps from column name to text.
pub fn read_csv(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

/// A decimal column as integer thousandths (seconds → ms) or millionths (dollars → micro-dollars).
pub fn fixed(text: &str, decimals: u32) -> i64 {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let mut frac = frac.to_string();
    assert!(
        frac.len() as u32 <= decimals,
        "{text} has more than {decimals} decimals"
    );
    while (frac.len() as u32) < decimals {
        frac.push('0');
    }
    int.parse::<i64>().unwrap() * 10i64.pow(decimals) + frac.parse::<i64>().unwrap_or(0)
}

pub fn ms(text: &str) -> Option<i64> {
    if text.is_empty() {
        None
    } else {
        Some(fixed(text, 3))
    }
}

pub fn micros(text: &str) -> i64 {
    fixed(text, 6)
}

pub fn summary(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap()
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The usual test cluster header: one region, given zones, given node groups and profiles.
pub fn cluster(zones: &str, body: &str) -> String {
    format!(
        "cluster:\n  apiVersion: eksctl.io/v1alpha5\n  kind: ClusterConfig\n  metadata: {{name: t, region: us-east-1, version: \"1.30\"}}\n  availabilityZones: {zones}\n{body}"
    )
}
