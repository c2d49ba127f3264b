//! The malformed-input corpus in `tests/bad-inputs/`: every file is fed to the real CLI and must
//! give exit code 2, a message naming the file and the field (path or line), no panic, and no
//! output left behind. Scenarios (`*.yaml`, traces under `traces/` referenced relative to them)
//! go through `eksim validate` and `eksim run --out`; `import/*.csv` through
//! `eksim trace import --format …`; `stats/*.csv` through `eksim trace stats`. Files under
//! `accepted/` are awkward but valid (BOM, CRLF, header-only trace, …) and must run.
//! Cases already in `bad_input.rs` are not repeated here.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::root;

#[derive(Clone, Copy, Debug)]
enum Cmd {
    /// `eksim validate FILE` and `eksim run FILE --out DIR`.
    Scenario,
    /// `eksim trace import --format F FILE --out DIR/out.csv`.
    Import(&'static str),
    /// `eksim trace stats FILE --bucket B`.
    Stats(&'static str),
}

use Cmd::*;

/// (file under tests/bad-inputs, command, substrings the error message must contain).
const CASES: &[(&str, Cmd, &[&str])] = &[
    // Broken YAML: the parser's message with line and column.
    (
        "yaml-bad-indent.yaml",
        Scenario,
        &[
            "yaml-bad-indent.yaml",
            "line 4 column 4",
            "did not find expected key",
        ],
    ),
    (
        "yaml-unclosed-quote.yaml",
        Scenario,
        &["yaml-unclosed-quote.yaml", "line 3", "double-quoted scalar"],
    ),
    (
        "yaml-unclosed-bracket.yaml",
        Scenario,
        &[
            "yaml-unclosed-bracket.yaml",
            "line 8 column 16",
            "unclosed bracket '{'",
        ],
    ),
    (
        "yaml-tab-indent.yaml",
        Scenario,
        &["yaml-tab-indent.yaml", "line 3 column 2", "tabs disallowed"],
    ),
    (
        "yaml-duplicate-key.yaml",
        Scenario,
        &[
            "yaml-duplicate-key.yaml",
            "line 2 column 1",
            "duplicate mapping key: horizon",
        ],
    ),
    (
        "yaml-duplicate-nested-key.yaml",
        Scenario,
        &[
            "yaml-duplicate-nested-key.yaml",
            "line 6",
            "duplicate mapping key: instanceType",
        ],
    ),
    (
        "yaml-not-a-mapping.yaml",
        Scenario,
        &[
            "yaml-not-a-mapping.yaml",
            "line 1 column 1",
            "`key: value` fields were expected",
        ],
    ),
    (
        "yaml-empty.yaml",
        Scenario,
        &["yaml-empty.yaml", "horizon: required", "cluster: required"],
    ),
    (
        "yaml-undefined-alias.yaml",
        Scenario,
        &[
            "yaml-undefined-alias.yaml",
            "line 2 column 7",
            "alias references unknown anchor",
        ],
    ),
    (
        "yaml-two-documents.yaml",
        Scenario,
        &[
            "yaml-two-documents.yaml",
            "line 8",
            "a scenario is one YAML document",
        ],
    ),
    // Wrong types.
    (
        "type-zones-scalar.yaml",
        Scenario,
        &[
            "type-zones-scalar.yaml",
            "line 4 column 22",
            "a list was expected here",
        ],
    ),
    (
        "type-desired-capacity-word.yaml",
        Scenario,
        &[
            "type-desired-capacity-word.yaml",
            "line 6 column 59",
            "expected a whole number",
        ],
    ),
    (
        "type-workload-mapping.yaml",
        Scenario,
        &[
            "type-workload-mapping.yaml",
            "line 7 column 11",
            "a list was expected here",
        ],
    ),
    (
        "type-spot-word.yaml",
        Scenario,
        &[
            "type-spot-word.yaml",
            "line 6",
            "invalid boolean: expected true or false",
        ],
    ),
    (
        "type-labels-list.yaml",
        Scenario,
        &[
            "type-labels-list.yaml",
            "line 8 column 45",
            "`key: value` fields were expected",
        ],
    ),
    // Unknown fields, with a suggestion.
    (
        "unknown-latency-field.yaml",
        Scenario,
        &[
            "unknown-latency-field.yaml",
            "line 8",
            "unknown field `nodeLaunh`",
            "did you mean `nodeLaunch`?",
        ],
    ),
    (
        "unknown-generator-field.yaml",
        Scenario,
        &[
            "unknown-generator-field.yaml",
            "line 8",
            "unknown field `cpus`",
            "did you mean `cpu`?",
        ],
    ),
    (
        "unknown-autoscaler-flag.yaml",
        Scenario,
        &[
            "unknown-autoscaler-flag.yaml",
            "line 9",
            "unknown field `scan-intervall`",
            "did you mean `scan-interval`?",
        ],
    ),
    (
        "unknown-pricing-field.yaml",
        Scenario,
        &[
            "unknown-pricing-field.yaml",
            "line 8",
            "unknown field `vcpuHours`",
            "did you mean `vcpuHour`?",
        ],
    ),
    (
        "unknown-control-plane-field.yaml",
        Scenario,
        &[
            "unknown-control-plane-field.yaml",
            "line 8",
            "unknown field `apiServer`",
            "did you mean `apiServers`?",
        ],
    ),
    // Out of range.
    (
        "range-fargate-quota-negative.yaml",
        Scenario,
        &[
            "range-fargate-quota-negative.yaml",
            "fargate.maxConcurrentPods: must be 0 or more, got -5",
            "line 7",
        ],
    ),
    (
        "range-spot-discount.yaml",
        Scenario,
        &[
            "range-spot-discount.yaml",
            "pricing.spot.discount: must be a share in [0, 1)",
            "got 1.5",
            "line 8",
        ],
    ),
    (
        "range-vm-memory-overhead.yaml",
        Scenario,
        &[
            "range-vm-memory-overhead.yaml",
            "ec2.vmMemoryOverhead: must be a share between 0 and 0.5",
            "line 7",
        ],
    ),
    (
        "range-daily-profile-23-values.yaml",
        Scenario,
        &[
            "range-daily-profile-23-values.yaml",
            "workload[0].generator.arrivals.dailyProfile.ratePerMinute: needs 24 values",
            "got 23",
            "line 8",
        ],
    ),
    (
        "range-control-plane-failure-count.yaml",
        Scenario,
        &[
            "range-control-plane-failure-count.yaml",
            "events[0].controlPlaneFailure.count: 1000 is more than the 64",
            "line 8",
        ],
    ),
    (
        "range-sample-interval-zero.yaml",
        Scenario,
        &[
            "range-sample-interval-zero.yaml",
            "output.sampleInterval: must be longer than 0s",
            "line 7",
        ],
    ),
    // Huge numbers and absurd counts: refused up front, before any memory is used.
    (
        "huge-seed-u64-overflow.yaml",
        Scenario,
        &[
            "huge-seed-u64-overflow.yaml",
            "line 2 column 7",
            "invalid u64: expected a whole number from 0 to 18446744073709551615",
        ],
    ),
    (
        "huge-rate-1e400.yaml",
        Scenario,
        &[
            "huge-rate-1e400.yaml",
            "line 8 column 62",
            "invalid floating point: expected a number",
        ],
    ),
    (
        "huge-desired-capacity.yaml",
        Scenario,
        &[
            "huge-desired-capacity.yaml",
            "line 6 column 59",
            "expected a whole number",
        ],
    ),
    (
        "huge-generator-count.yaml",
        Scenario,
        &[
            "huge-generator-count.yaml",
            "workload[0].generator.count: 1000000000000 is more than the 100000000",
            "line 8",
        ],
    ),
    (
        "huge-deployment-replicas.yaml",
        Scenario,
        &[
            "huge-deployment-replicas.yaml",
            "workload[0].deployment.replicas: 100000000 is more than the 5000000",
            "line 8",
        ],
    ),
    (
        "huge-cpu-quantity.yaml",
        Scenario,
        &[
            "huge-cpu-quantity.yaml",
            "workload[0].deployment.cpu",
            "too large for a CPU request",
            "line 8",
        ],
    ),
    (
        "absurd-generator-every-1ms.yaml",
        Scenario,
        &[
            "absurd-generator-every-1ms.yaml",
            "workload[0].generator.arrivals: would submit about 60480000000 pods",
            "more than the 100000000",
            "line 9",
        ],
    ),
    (
        "absurd-generator-poisson.yaml",
        Scenario,
        &[
            "absurd-generator-poisson.yaml",
            "workload[0].generator.arrivals: would submit about 10080000000000 pods",
            "set `count` or `end`",
            "line 9",
        ],
    ),
    // Negative times and durations.
    (
        "negative-horizon.yaml",
        Scenario,
        &[
            "negative-horizon.yaml",
            "horizon: `-1h` is not a duration",
            "line 1",
        ],
    ),
    (
        "negative-generator-times.yaml",
        Scenario,
        &[
            "negative-generator-times.yaml",
            "2 problem(s)",
            "workload[0].generator.arrivals.every: `-30s` is not a duration",
            "workload[0].generator.duration: `-5m` is not a duration",
        ],
    ),
    (
        "negative-event-time.yaml",
        Scenario,
        &[
            "negative-event-time.yaml",
            "events[0].at: `-1h` is not a duration",
            "line 8",
        ],
    ),
    (
        "trace-negative-offset.yaml",
        Scenario,
        &[
            "trace-negative-offset.yaml",
            "workload[0].trace.offset: `-10s` is not a duration",
            "line 8",
        ],
    ),
    // Canonical traces referenced by a scenario (relative to it).
    (
        "trace-empty.yaml",
        Scenario,
        &[
            "traces/empty.csv:1:",
            "the file is empty",
            "submit_s,cpu_m,memory_mib,duration_s",
        ],
    ),
    (
        "trace-missing-column.yaml",
        Scenario,
        &[
            "traces/missing-column.csv:1:",
            "lacks the required column(s) memory_mib",
        ],
    ),
    (
        "trace-unsorted.yaml",
        Scenario,
        &[
            "traces/unsorted.csv:3:",
            "traces must be sorted by submit_s",
        ],
    ),
    (
        "trace-non-numeric-duration.yaml",
        Scenario,
        &[
            "traces/non-numeric-duration.csv:2:",
            "duration_s `ten` is not a number",
        ],
    ),
    (
        "trace-short-row.yaml",
        Scenario,
        &[
            "traces/short-row.csv:2:",
            "memory_mib is empty; expected a number",
        ],
    ),
    (
        "trace-negative-submit.yaml",
        Scenario,
        &[
            "traces/negative-submit.csv:2:",
            "submit_s `-1` must be a finite number >= 0",
        ],
    ),
    (
        "trace-nan-submit.yaml",
        Scenario,
        &[
            "traces/nan-submit.csv:2:",
            "submit_s `NaN` must be a finite number >= 0",
        ],
    ),
    (
        "trace-huge-duration.yaml",
        Scenario,
        &[
            "traces/huge-duration.csv:2:",
            "duration_s `99999999999999999999` is too large",
        ],
    ),
    (
        "trace-cpu-1e400.yaml",
        Scenario,
        &[
            "traces/cpu-1e400.csv:2:",
            "cpu_m `1e400` must be a finite number",
        ],
    ),
    (
        "trace-invalid-utf8-cell.yaml",
        Scenario,
        &[
            "traces/invalid-utf8-cell.csv:2:",
            "column 5 is not valid UTF-8",
        ],
    ),
    (
        "trace-invalid-utf8-header.yaml",
        Scenario,
        &[
            "traces/invalid-utf8-header.csv:1:",
            "cannot read the header",
            "invalid UTF-8",
        ],
    ),
    (
        "trace-duplicate-column.yaml",
        Scenario,
        &[
            "traces/duplicate-column.csv:1:",
            "the column `cpu_m` more than once",
        ],
    ),
    (
        "trace-bad-labels.yaml",
        Scenario,
        &[
            "traces/bad-labels.csv:2:",
            "labels `novalue` are not `key=value;key2=value2`",
        ],
    ),
    (
        "trace-priority-overflow.yaml",
        Scenario,
        &[
            "traces/priority-overflow.csv:2:",
            "priority `99999999999` is not a whole number from -2147483648 to 2147483647",
        ],
    ),
    (
        "trace-negative-gpu.yaml",
        Scenario,
        &[
            "traces/negative-gpu.csv:2:",
            "gpu `-1` is not a whole number >= 0",
        ],
    ),
    (
        "trace-unclosed-quote.yaml",
        Scenario,
        &[
            "traces/unclosed-quote.csv:2:",
            "duration_s `5",
            "is not a number",
        ],
    ),
    // Importers.
    (
        "import/alibaba-2017-batch-missing-column.csv",
        Import("alibaba-2017-batch"),
        &[
            "alibaba-2017-batch-missing-column.csv:1:",
            "lacks the column(s) memory",
        ],
    ),
    (
        "import/alibaba-2017-batch-fractional-instances.csv",
        Import("alibaba-2017-batch"),
        &[
            "alibaba-2017-batch-fractional-instances.csv:2:",
            "instances_num `1.5` is not a whole number",
        ],
    ),
    (
        "import/alibaba-2017-batch-huge-cpu.csv",
        Import("alibaba-2017-batch"),
        &[
            "alibaba-2017-batch-huge-cpu.csv:2:",
            "cpu `1e300` is too large",
        ],
    ),
    (
        "import/alibaba-2017-batch-huge-submit.csv",
        Import("alibaba-2017-batch"),
        &[
            "alibaba-2017-batch-huge-submit.csv:2:",
            "submit_time `1e300` is too large",
        ],
    ),
    (
        "import/alibaba-2017-batch-billion-instances.csv",
        Import("alibaba-2017-batch"),
        &[
            "alibaba-2017-batch-billion-instances.csv",
            "expand to 1000000000 pods",
            "more than the 100000000",
        ],
    ),
    (
        "import/alibaba-2017-batch-invalid-utf8.csv",
        Import("alibaba-2017-batch"),
        &["alibaba-2017-batch-invalid-utf8.csv:2:", "invalid UTF-8"],
    ),
    (
        "import/alibaba-2017-batch-task-header-row.csv",
        Import("alibaba-2017-batch-task"),
        &[
            "alibaba-2017-batch-task-header-row.csv:1:",
            "create_timestamp `create_timestamp` is not a number",
            "has no header row",
        ],
    ),
    (
        "import/alibaba-2017-batch-task-short-row.csv",
        Import("alibaba-2017-batch-task"),
        &[
            "alibaba-2017-batch-task-short-row.csv:1:",
            "task_id (column 4) is missing; the row has 3 field(s)",
        ],
    ),
    (
        "import/alibaba-2017-batch-task-huge-plan-mem.csv",
        Import("alibaba-2017-batch-task"),
        &[
            "alibaba-2017-batch-task-huge-plan-mem.csv:1:",
            "plan_mem `10000000000` is too large",
            "MiB",
        ],
    ),
    (
        "import/alibaba-gpu-2023-missing-columns.csv",
        Import("alibaba-gpu-2023"),
        &[
            "alibaba-gpu-2023-missing-columns.csv:1:",
            "lacks the column(s) num_gpu, creation_time, deletion_time",
        ],
    ),
    (
        "import/alibaba-gpu-2023-fractional-cpu.csv",
        Import("alibaba-gpu-2023"),
        &[
            "alibaba-gpu-2023-fractional-cpu.csv:2:",
            "cpu_milli `1000.5` is not a whole number",
        ],
    ),
    (
        "import/alibaba-gpu-2023-too-many-gpus.csv",
        Import("alibaba-gpu-2023"),
        &[
            "alibaba-gpu-2023-too-many-gpus.csv:2:",
            "num_gpu `5000000000` is too large",
        ],
    ),
    (
        "import/alibaba-gpu-2023-empty-name.csv",
        Import("alibaba-gpu-2023"),
        &["alibaba-gpu-2023-empty-name.csv:2:", "name is empty"],
    ),
    (
        "import/canonical-unsorted.csv",
        Import("canonical"),
        &[
            "canonical-unsorted.csv:3:",
            "traces must be sorted by submit_s",
        ],
    ),
    (
        "import/canonical-empty.csv",
        Import("canonical"),
        &["canonical-empty.csv:1:", "the file is empty"],
    ),
    // trace stats: a span of too many buckets is refused instead of filling memory.
    (
        "stats/huge-span.csv",
        Stats("1h"),
        &[
            "huge-span.csv:3:",
            "more than 1000000 buckets",
            "use a larger --bucket",
        ],
    ),
    (
        "stats/huge-duration-small-bucket.csv",
        Stats("1ms"),
        &[
            "huge-duration-small-bucket.csv:2:",
            "more than 1000000 buckets",
            "use a larger --bucket",
        ],
    ),
];

fn dir() -> PathBuf {
    root().join("tests/bad-inputs")
}

fn eksim(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_eksim"))
        .args(args)
        .output()
        .unwrap()
}

/// Files in `d` (hidden temporaries included), recursively.
fn files_in(d: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    if let Ok(rd) = std::fs::read_dir(d) {
        for e in rd {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.extend(files_in(&p));
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Problems with one run of the CLI: exit code, panic text, expected fragments.
fn check(what: &str, out: &Output, want: &[&str], problems: &mut Vec<String>) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() != Some(2) {
        problems.push(format!(
            "{what}: exit {:?}, want 2:\n{stderr}",
            out.status.code()
        ));
    }
    if stderr.contains("panicked") {
        problems.push(format!("{what}: panicked:\n{stderr}"));
    }
    for w in want {
        if !stderr.contains(w) {
            problems.push(format!("{what}: expected `{w}` in:\n{stderr}"));
        }
    }
}

#[test]
fn every_bad_input_is_refused_with_a_clear_message_and_no_output() {
    let tmp = tempfile::tempdir().unwrap();
    let mut problems = Vec::new();
    for (i, (file, cmd, want)) in CASES.iter().enumerate() {
        let path = dir().join(file);
        assert!(path.exists(), "{file} is missing");
        let out_dir = tmp.path().join(format!("case{i}"));
        match cmd {
            Scenario => {
                let v = eksim(&["validate".as_ref(), path.as_os_str()]);
                check(&format!("validate {file}"), &v, want, &mut problems);
                let r = eksim(&[
                    "run".as_ref(),
                    path.as_os_str(),
                    "--out".as_ref(),
                    out_dir.as_os_str(),
                ]);
                check(&format!("run {file}"), &r, want, &mut problems);
            }
            Import(format) => {
                std::fs::create_dir_all(&out_dir).unwrap();
                let r = eksim(&[
                    "trace".as_ref(),
                    "import".as_ref(),
                    "--format".as_ref(),
                    format.as_ref(),
                    path.as_os_str(),
                    "--out".as_ref(),
                    out_dir.join("out.csv").as_os_str(),
                ]);
                check(&format!("import {file}"), &r, want, &mut problems);
            }
            Stats(bucket) => {
                let r = eksim(&[
                    "trace".as_ref(),
                    "stats".as_ref(),
                    path.as_os_str(),
                    "--bucket".as_ref(),
                    bucket.as_ref(),
                ]);
                check(&format!("stats {file}"), &r, want, &mut problems);
            }
        }
        let left = files_in(&out_dir);
        if !left.is_empty() {
            problems.push(format!("{file}: files left behind: {left:?}"));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s):\n\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}

#[test]
fn the_corpus_has_no_untested_file_and_at_least_40_cases() {
    let d = dir();
    let listed: Vec<PathBuf> = CASES.iter().map(|(f, _, _)| d.join(f)).collect();
    for f in files_in(&d) {
        let rel = f
            .strip_prefix(&d)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let covered = listed.contains(&f)
            || rel.starts_with("accepted/")
            // Bad traces are exercised through the trace-<name>.yaml scenario naming them.
            || rel
                .strip_prefix("traces/")
                .and_then(|n| n.strip_suffix(".csv"))
                .is_some_and(|n| listed.contains(&d.join(format!("trace-{n}.yaml"))));
        assert!(covered, "{rel} is in the corpus but no case checks it");
    }
    assert!(CASES.len() >= 40, "{} cases", CASES.len());
}

/// Awkward but valid inputs run: a BOM and CRLF line endings (scenario and trace), a trace with
/// only its header, bad UTF-8 in a column eksim does not read, and a misspelt eksctl field, which
/// is ignored like every unmodelled eksctl field but named with a suggestion.
#[test]
fn awkward_but_valid_inputs_are_accepted() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: [(&str, &str); 4] = [
        ("bom-crlf.yaml", "(2 trace pods)"),
        ("header-only-trace.yaml", "valid."),
        ("invalid-utf8-in-unused-column.yaml", "(1 trace pods)"),
        (
            "eksctl-field-typo.yaml",
            "ignored: cluster.managedNodeGroups[0].instanceTyp (did you mean `instanceType`?)",
        ),
    ];
    for (file, want) in cases {
        let path = dir().join("accepted").join(file);
        let v = eksim(&["validate".as_ref(), path.as_os_str()]);
        let stdout = String::from_utf8_lossy(&v.stdout);
        assert!(
            v.status.success(),
            "{file}: {}",
            String::from_utf8_lossy(&v.stderr)
        );
        assert!(
            stdout.contains(want),
            "{file}: expected `{want}` in {stdout}"
        );
        let out = tmp.path().join(file);
        let r = eksim(&[
            "run".as_ref(),
            path.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
        ]);
        assert!(
            r.status.success(),
            "{file}: {}",
            String::from_utf8_lossy(&r.stderr)
        );
        assert!(out.join("summary.json").exists(), "{file}: no summary.json");
    }
}
