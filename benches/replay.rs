//! End-to-end replays of the shared benchmark workloads (`../shared/bench/`, see
//! scenarios/bench/): syn100k (100,000 steady synthetic pods) and ali100k (104,725 bursty Alibaba
//! pods) on the fixed 100-node cluster with the full default profile, files written. Sampled
//! with a small sample count so `cargo bench` stays short; skipped with a message when
//! ../shared/bench is absent.

use criterion::{Criterion, criterion_group, criterion_main};
use eksim::scenario;
use eksim::sim::engine::{RunOptions, run};

fn replay(c: &mut Criterion) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut group = c.benchmark_group("replay");
    group.sample_size(10);
    group.measurement_time(std::time::Duration::from_secs(15));
    for name in ["syn100k", "ali100k"] {
        let trace = root.join(format!("../shared/bench/{name}.csv"));
        if !trace.is_file() {
            eprintln!("replay/{name}: skipped, {} not found", trace.display());
            continue;
        }
        let path = root.join(format!("scenarios/bench/{name}.yaml"));
        let sc = scenario::load(&path).expect("bench scenario is valid");
        let dir = tempfile::tempdir().expect("temp dir");
        let opts = RunOptions {
            out_dir: dir.path().to_path_buf(),
            ..Default::default()
        };
        group.bench_function(name, |b| b.iter(|| run(&sc, &opts).expect("run succeeds")));
    }
    group.finish();
}

criterion_group!(benches, replay);
criterion_main!(benches);
