//! The sweep file → the list of runs, every scenario validated up front.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;
use thiserror::Error;

use super::patch::set;
use crate::scenario::{Scenario, ScenarioError, raw::RawScenario, validate::validate};

/// Why a sweep could not be planned.
#[derive(Debug, Error)]
pub enum SweepError {
    /// The sweep file or its base scenario could not be read or parsed.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// A problem in the sweep file.
    #[error("{file}: {message}")]
    Invalid {
        /// The sweep file.
        file: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// The sweep file as written.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawSweep {
    /// Base scenario file, relative to the sweep file.
    pub base: Option<String>,
    /// Seeds per variant (default 1).
    pub seeds: Option<u64>,
    /// First seed (default: the base scenario's seed).
    pub seed: Option<u64>,
    /// Field path → values; the cartesian product of all axes.
    #[serde(default)]
    pub axes: BTreeMap<String, Vec<Value>>,
    /// Named variants, each a set of `path: value` patches.
    #[serde(default)]
    pub variants: Vec<RawVariant>,
}

/// One named variant.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RawVariant {
    /// Variant name (its id in folders and tables).
    pub name: Option<String>,
    /// Field path → value.
    #[serde(default)]
    pub set: BTreeMap<String, Value>,
}

/// One variant of the sweep.
#[derive(Debug, Clone)]
pub struct VariantSpec {
    /// Folder-safe id.
    pub id: String,
    /// The variant's name and axis values, for the tables.
    pub labels: Vec<(String, String)>,
    /// Its validated scenario.
    pub scenario: Scenario,
}

/// One run of the sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunSpec {
    /// Stable index: variant × seeds + seed position.
    pub index: usize,
    /// Variant index.
    pub variant: usize,
    /// Seed.
    pub seed: u64,
}

/// Everything a sweep will run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The sweep file.
    pub file: PathBuf,
    /// Axis names, in table order.
    pub axis_names: Vec<String>,
    /// Variants in index order.
    pub variants: Vec<VariantSpec>,
    /// Seeds of every variant.
    pub seeds: Vec<u64>,
}

impl Plan {
    /// Every run, in index order.
    pub fn runs(&self) -> Vec<RunSpec> {
        let mut out = Vec::new();
        for v in 0..self.variants.len() {
            for (i, &seed) in self.seeds.iter().enumerate() {
                out.push(RunSpec {
                    index: v * self.seeds.len() + i,
                    variant: v,
                    seed,
                });
            }
        }
        out
    }

    /// The folder of a run.
    pub fn run_dir(&self, out: &Path, r: &RunSpec) -> PathBuf {
        out.join("runs")
            .join(&self.variants[r.variant].id)
            .join(format!("seed={}", r.seed))
    }
}

fn label(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Reads a sweep file and validates every variant's scenario.
pub fn load_plan(path: &Path) -> Result<Plan, SweepError> {
    let invalid = |message: String| SweepError::Invalid {
        file: path.to_path_buf(),
        message,
    };
    let text = crate::scenario::read_text(path)?;
    let raw: RawSweep = crate::scenario::parse_yaml(&text, path)?;
    let base_rel = raw
        .base
        .clone()
        .ok_or_else(|| invalid("`base:` is required: the scenario file the sweep varies".into()))?;
    let base_path = path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
        .join(&base_rel);
    let base_text = crate::scenario::read_text(&base_path)?;
    let base: Value = crate::scenario::parse_yaml(&base_text, &base_path)?;
    let n_seeds = raw.seeds.unwrap_or(1);
    if n_seeds == 0 || n_seeds > 10_000 {
        return Err(invalid(format!(
            "seeds: must be between 1 and 10000, got {n_seeds}"
        )));
    }
    let first_seed = raw
        .seed
        .or_else(|| base.get("seed").and_then(Value::as_u64))
        .unwrap_or(0);
    let named: Vec<RawVariant> = if raw.variants.is_empty() {
        vec![RawVariant {
            name: Some("base".into()),
            set: BTreeMap::new(),
        }]
    } else {
        raw.variants.clone()
    };
    // Cartesian product of the axes, in key order, last axis fastest.
    let axis_names: Vec<String> = raw.axes.keys().cloned().collect();
    let mut combos: Vec<Vec<Value>> = vec![Vec::new()];
    for (name, values) in &raw.axes {
        if values.is_empty() {
            return Err(invalid(format!("axes.{name}: needs at least one value")));
        }
        combos = combos
            .into_iter()
            .flat_map(|c| {
                values.iter().map(move |v| {
                    let mut c = c.clone();
                    c.push(v.clone());
                    c
                })
            })
            .collect();
    }
    let mut variants = Vec::new();
    let mut problems = Vec::new();
    for (vi, nv) in named.iter().enumerate() {
        let name = nv.name.clone().unwrap_or_else(|| format!("variant-{vi}"));
        for combo in &combos {
            let mut value = base.clone();
            let mut labels = vec![("variant".to_string(), name.clone())];
            for (p, v) in &nv.set {
                if let Err(e) = set(&mut value, p, v.clone()) {
                    problems.push(format!("variants `{name}`: {e}"));
                }
            }
            let mut id = safe(&name);
            for (axis, v) in axis_names.iter().zip(combo) {
                if let Err(e) = set(&mut value, axis, v.clone()) {
                    problems.push(format!("axes: {e}"));
                }
                labels.push((axis.clone(), label(v)));
                id.push('_');
                id.push_str(&safe(&label(v)));
            }
            let raw_sc: Result<RawScenario, _> = serde_json::from_value(value);
            match raw_sc {
                Err(e) => problems.push(format!("variant `{id}`: {e}")),
                Ok(r) => match validate(r, &base_path) {
                    Ok(sc) => variants.push(VariantSpec {
                        id,
                        labels,
                        scenario: sc,
                    }),
                    Err(e) => problems.push(format!("variant `{id}`: {e}")),
                },
            }
        }
    }
    if !problems.is_empty() {
        return Err(invalid(problems.join("\n")));
    }
    let mut ids: Vec<&str> = variants.iter().map(|v| v.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    if ids.len() != variants.len() {
        return Err(invalid(
            "two variants get the same id; give the named variants distinct names".into(),
        ));
    }
    Ok(Plan {
        file: path.to_path_buf(),
        axis_names,
        variants,
        seeds: (0..n_seeds).map(|i| first_seed + i).collect(),
    })
}
