//! A whole run of scenarios/quickstart.yaml (3 h, ~1,100 pods, files written), end to end.

use criterion::{Criterion, criterion_group, criterion_main};
use eksim::scenario;
use eksim::sim::engine::{RunOptions, run};

fn quickstart(c: &mut Criterion) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.yaml");
    let sc = scenario::load(&path).expect("quickstart.yaml is valid");
    let dir = tempfile::tempdir().expect("temp dir");
    let opts = RunOptions {
        seed: None,
        out_dir: dir.path().to_path_buf(),
        explain_pod: None,
        ..Default::default()
    };
    let mut group = c.benchmark_group("run");
    group.sample_size(20);
    group.bench_function("quickstart", |b| {
        b.iter(|| run(&sc, &opts).expect("run succeeds"))
    });
    group.finish();
}

criterion_group!(benches, quickstart);
criterion_main!(benches);
