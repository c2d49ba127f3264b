//! Fuzzing on stable Rust with proptest: arbitrary bytes and structured mutations of valid inputs
//! (byte flips, truncation, line splices, awkward tokens) fed to the scenario loader, the
//! canonical trace reader, `trace stats` and every importer. Each must return, never panic, and
//! every rejection must be an `Err` with a non-empty message; an importer that succeeds must
//! write a trace the reader accepts, and one that fails must leave no output file.
//!
//! A few hundred cases per target by default; `PROPTEST_CASES=N` raises it (the long pass:
//! `PROPTEST_CASES=20000 cargo test --release --test it fuzz_inputs`). Seeds are the bundled
//! scenarios plus the small inputs in `tests/fuzz-corpus/`; inputs that once broke something are
//! kept there and in `tests/bad-inputs/`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use eksim::cli::trace::stats;
use eksim::scenario;
use eksim::sim::time::SimDuration;
use eksim::workload::importers::{Format, ImportOptions, import};
use eksim::workload::{PodSource, TraceSource, TraceSpec};
use proptest::prelude::*;
use proptest::test_runner::Config;

use crate::common::root;

/// Cases per target unless `PROPTEST_CASES` says otherwise.
const DEFAULT_CASES: u32 = 300;

/// Most pods read from one fuzzed trace (inputs are small; this only bounds a surprise).
const MAX_ROWS: usize = 100_000;

fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CASES);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// Executions per target, printed at the end of each test (`--nocapture` shows them).
static EXECUTIONS: [AtomicU64; 9] = [const { AtomicU64::new(0) }; 9];

fn count(target: usize) {
    EXECUTIONS[target].fetch_add(1, Ordering::Relaxed);
}

fn report(target: usize, name: &str) {
    println!(
        "fuzz target {name}: {} executions",
        EXECUTIONS[target].load(Ordering::Relaxed)
    );
}

fn corpus(name: &str) -> Vec<u8> {
    std::fs::read(root().join("tests/fuzz-corpus").join(name)).unwrap()
}

/// The bundled scenarios (with their paths, so relative files resolve) and the manifest seeds.
fn scenario_seeds() -> Vec<(PathBuf, Vec<u8>)> {
    let mut v: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(root().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "yaml") && !p.to_string_lossy().contains("sweep")
        })
        .map(|p| {
            let b = std::fs::read(&p).unwrap();
            (p, b)
        })
        .collect();
    v.sort();
    v
}

/// Awkward tokens spliced into inputs: YAML and CSV syntax, overflows, odd numbers, bad UTF-8.
const TOKENS: &[&[u8]] = &[
    b":",
    b"- ",
    b"[",
    b"]",
    b"{",
    b"}",
    b"\"",
    b"'",
    b"\t",
    b"\n",
    b"\r\n",
    b",",
    b";",
    b"=",
    b"#",
    b"&a",
    b"*a",
    b"!!str ",
    b"<<: ",
    b"~",
    b"---\n",
    b"-1",
    b"0",
    b"-0",
    b"1e400",
    b"1e-400",
    b"NaN",
    b"inf",
    b"99999999999999999999",
    b"18446744073709551616",
    b"1e9",
    b"0.0000001",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"1000000d",
    b"1ms",
    b"0s",
    b"\xef\xbb\xbf",
    b"\xff",
    b"\xc3",
    b"\xe2\x82",
    b"\0",
    b"  ",
    b"null",
    b"true",
    b"\"\"",
];

#[derive(Clone, Debug)]
enum Mutation {
    Flip(usize, u8),
    Delete(usize, usize),
    Insert(usize, usize),
    Truncate(usize),
    DupLine(usize),
    DropLine(usize),
    SwapLines(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        2 => (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        1 => (any::<usize>(), 1usize..16).prop_map(|(i, n)| Mutation::Delete(i, n)),
        4 => (any::<usize>(), 0..TOKENS.len()).prop_map(|(i, t)| Mutation::Insert(i, t)),
        1 => any::<usize>().prop_map(Mutation::Truncate),
        1 => any::<usize>().prop_map(Mutation::DupLine),
        1 => any::<usize>().prop_map(Mutation::DropLine),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
    ]
}

fn apply(mut data: Vec<u8>, muts: &[Mutation]) -> Vec<u8> {
    for m in muts {
        let len = data.len();
        match *m {
            Mutation::Flip(i, b) if len > 0 => data[i % len] ^= b | 1,
            Mutation::Delete(i, n) if len > 0 => {
                let s = i % len;
                data.drain(s..(s + n).min(len));
            }
            Mutation::Insert(i, t) => {
                let s = if len == 0 { 0 } else { i % (len + 1) };
                data.splice(s..s, TOKENS[t].iter().copied());
            }
            Mutation::Truncate(i) if len > 0 => data.truncate(i % len),
            Mutation::DupLine(i) | Mutation::DropLine(i) | Mutation::SwapLines(i, _) => {
                let mut lines: Vec<Vec<u8>> = data
                    .split_inclusive(|&c| c == b'\n')
                    .map(<[u8]>::to_vec)
                    .collect();
                if lines.is_empty() {
                    continue;
                }
                let n = lines.len();
                match *m {
                    Mutation::DupLine(_) => {
                        let l = lines[i % n].clone();
                        lines.insert(i % n, l);
                    }
                    Mutation::DropLine(_) => {
                        lines.remove(i % n);
                    }
                    Mutation::SwapLines(_, j) => lines.swap(i % n, j % n),
                    _ => unreachable!(),
                }
                data = lines.concat();
            }
            _ => {}
        }
    }
    data
}

fn mutated(seed: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(mutation(), 1..5).prop_map(move |m| apply(seed.clone(), &m))
}

/// Arbitrary bytes, or printable ASCII with newlines and separators (gets past UTF-8 checks).
fn arbitrary_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..512),
        "[ -~\n\t]{0,400}".prop_map(String::into_bytes),
    ]
}

/// Loads scenario bytes written at `path`; an error must say something.
fn check_scenario(path: &Path, bytes: &[u8]) {
    std::fs::write(path, bytes).unwrap();
    if let Err(e) = scenario::load(path) {
        assert!(!e.to_string().trim().is_empty(), "empty error");
    }
}

/// Reads a whole trace (and `trace stats` of it); errors must say something.
fn check_trace(path: &Path, bytes: &[u8], bucket_s: u64) {
    std::fs::write(path, bytes).unwrap();
    let spec = TraceSpec::plain(path.to_path_buf());
    match TraceSource::open(spec) {
        Err(e) => assert!(!e.to_string().trim().is_empty()),
        Ok(mut src) => {
            for _ in 0..MAX_ROWS {
                match src.next_pod() {
                    Ok(Some(_)) => {}
                    Ok(None) => break,
                    Err(e) => {
                        assert!(!e.to_string().trim().is_empty());
                        break;
                    }
                }
            }
        }
    }
    if let Err(e) = stats(path, SimDuration::from_secs(bucket_s)) {
        assert!(!e.to_string().trim().is_empty());
    }
}

/// Imports, then: an error says something and leaves no output; a success reads back cleanly.
fn check_import(dir: &Path, format: Format, bytes: &[u8], opts: &ImportOptions) {
    let input = dir.join("input.csv");
    let out = dir.join("out.csv");
    std::fs::write(&input, bytes).unwrap();
    let _ = std::fs::remove_file(&out);
    match import(format, &input, &out, opts) {
        Err(e) => {
            assert!(!e.to_string().trim().is_empty(), "empty error");
            assert!(!out.exists(), "output left behind after `{e}`");
        }
        Ok(_) => {
            let mut src = TraceSource::open(TraceSpec::plain(out.clone()))
                .unwrap_or_else(|e| panic!("imported trace does not open: {e}"));
            while src
                .next_pod()
                .unwrap_or_else(|e| panic!("imported trace does not read back: {e}"))
                .is_some()
            {}
        }
    }
}

fn options() -> impl Strategy<Value = ImportOptions> {
    (
        prop_oneof![Just(None), (0.0f64..2e4).prop_map(Some)],
        prop_oneof![Just(None), (0.0f64..2e7).prop_map(Some)],
        prop_oneof![Just(0.0), -100.0f64..1e4, Just(1e13)],
        any::<bool>(),
        prop_oneof![Just(1.0), Just(24.0), 1e-3f64..1e3, Just(1e-9)],
        prop_oneof![Just(None), (0.0f64..=1.0).prop_map(Some)],
        any::<u64>(),
        prop_oneof![Just(None), Just(Some("big".to_string()))],
        any::<bool>(),
    )
        .prop_map(
            |(from, to, shift, keep_time, time_scale, sample, seed, batch, skip)| ImportOptions {
                from,
                to,
                shift,
                keep_time,
                time_scale,
                sample,
                seed,
                namespace: None,
                batch_namespace: batch,
                batch_min_instances: 1,
                skip_bad_rows: skip,
                ..ImportOptions::default()
            },
        )
}

const SCENARIO_BYTES: usize = 0;
const SCENARIO_MUTATED: usize = 1;
const MANIFESTS_MUTATED: usize = 2;
const TRACE_BYTES: usize = 3;
const TRACE_MUTATED: usize = 4;
const IMPORT_BASE: usize = 5;

#[test]
fn scenario_loader_never_panics_on_arbitrary_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scenario.yaml");
    proptest!(config(), |(bytes in arbitrary_bytes())| {
        count(SCENARIO_BYTES);
        check_scenario(&path, &bytes);
    });
    report(SCENARIO_BYTES, "scenario bytes");
}

#[test]
fn scenario_loader_never_panics_on_mutated_scenarios() {
    let seeds = scenario_seeds();
    assert!(seeds.len() >= 10, "bundled scenarios not found");
    let strategy = (0..seeds.len()).prop_flat_map(move |i| {
        let (path, bytes) = seeds[i].clone();
        mutated(bytes).prop_map(move |b| (path.clone(), b))
    });
    proptest!(config(), |((path, bytes) in strategy)| {
        count(SCENARIO_MUTATED);
        // Loaded as if from the bundled file, so its traces, manifests and eksctl files resolve.
        let text = String::from_utf8_lossy(&bytes);
        if let Err(e) = scenario::load_str(&text, &path) {
            prop_assert!(!e.to_string().trim().is_empty());
        }
    });
    report(SCENARIO_MUTATED, "scenario mutations");
}

#[test]
fn manifests_never_panic_when_mutated() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("scenario.yaml");
    std::fs::write(
        &scenario,
        format!(
            "horizon: 1h\n{}workload:\n  - manifests: {{file: m.yaml}}\n",
            crate::common::cluster(
                "[us-east-1a, us-east-1b]",
                "  managedNodeGroups:\n    - {name: ng, instanceType: m5.large, desiredCapacity: 1}\n"
            )
        ),
    )
    .unwrap();
    let seeds = [
        corpus("manifests.yaml"),
        std::fs::read(root().join("scenarios/k8s/shop.yaml")).unwrap(),
    ];
    let strategy = (0..seeds.len()).prop_flat_map(move |i| mutated(seeds[i].clone()));
    let m = dir.path().join("m.yaml");
    proptest!(config(), |(bytes in strategy)| {
        count(MANIFESTS_MUTATED);
        std::fs::write(&m, &bytes).unwrap();
        if let Err(e) = scenario::load(&scenario) {
            prop_assert!(!e.to_string().trim().is_empty());
        }
    });
    report(MANIFESTS_MUTATED, "manifest mutations");
}

#[test]
fn trace_reader_never_panics_on_arbitrary_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.csv");
    let strategy = (
        prop_oneof![
            arbitrary_bytes(),
            arbitrary_bytes()
                .prop_map(|b| [b"submit_s,cpu_m,memory_mib,duration_s\n".to_vec(), b].concat()),
        ],
        prop_oneof![Just(1u64), Just(3600)],
    );
    proptest!(config(), |((bytes, bucket) in strategy)| {
        count(TRACE_BYTES);
        check_trace(&path, &bytes, bucket);
    });
    report(TRACE_BYTES, "trace bytes");
}

#[test]
fn trace_reader_never_panics_on_mutated_traces() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.csv");
    let slice =
        std::fs::read_to_string(root().join("scenarios/traces/alibaba-2017-slice.csv")).unwrap();
    let head: String = slice.lines().take(30).map(|l| format!("{l}\n")).collect();
    let seeds = [corpus("canonical.csv"), head.into_bytes()];
    let strategy = (
        (0..seeds.len()).prop_flat_map(move |i| mutated(seeds[i].clone())),
        prop_oneof![Just(1u64), Just(60), Just(3600)],
    );
    proptest!(config(), |((bytes, bucket) in strategy)| {
        count(TRACE_MUTATED);
        check_trace(&path, &bytes, bucket);
    });
    report(TRACE_MUTATED, "trace mutations");
}

fn fuzz_importer(format: Format, seed: &str, target: usize, name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let seed = corpus(seed);
    let strategy = (
        prop_oneof![3 => mutated(seed), 1 => arbitrary_bytes()],
        options(),
    );
    proptest!(config(), |((bytes, opts) in strategy)| {
        count(target);
        check_import(dir.path(), format, &bytes, &opts);
    });
    report(target, name);
}

#[test]
fn importer_alibaba_2017_batch_never_panics() {
    fuzz_importer(
        Format::Alibaba2017Batch,
        "alibaba-2017-batch.csv",
        IMPORT_BASE,
        "import alibaba-2017-batch",
    );
}

#[test]
fn importer_alibaba_2017_batch_task_never_panics() {
    fuzz_importer(
        Format::Alibaba2017BatchTask,
        "alibaba-2017-batch-task.csv",
        IMPORT_BASE + 1,
        "import alibaba-2017-batch-task",
    );
}

#[test]
fn importer_alibaba_gpu_2023_never_panics() {
    fuzz_importer(
        Format::AlibabaGpu2023,
        "alibaba-gpu-2023.csv",
        IMPORT_BASE + 2,
        "import alibaba-gpu-2023",
    );
}

#[test]
fn importer_canonical_never_panics() {
    fuzz_importer(
        Format::Canonical,
        "canonical.csv",
        IMPORT_BASE + 3,
        "import canonical",
    );
}
