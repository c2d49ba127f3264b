//! Sweeps: byte-identical tables for any --jobs, resume after an interruption, shards merged
//! equal to the unsharded sweep.

use std::process::Command;

use crate::common::*;

fn case() -> Case {
    let c = Case::new("");
    c.file(
        "base.yaml",
        &format!(
            "horizon: 30m\nseed: 10\n{}workload:\n  - generator: {{name: jobs, namespace: batch, arrivals: {{poisson: {{ratePerMinute: 6}}}}, duration: {{exponential: {{mean: 2m}}}}, cpu: 500m, memory: 512Mi}}\n",
            cluster(
                "[us-east-1a, us-east-1b]",
                "  managedNodeGroups:\n    - {name: ng, instanceType: m5.large, desiredCapacity: 2}\n  fargateProfiles:\n    - {name: fp, selectors: [{namespace: none}]}\n"
            )
        ),
    );
    c.file(
        "s.sweep.yaml",
        "base: base.yaml\nseeds: 3\naxes:\n  cluster.managedNodeGroups[0].instanceType: [m5.large, m5.xlarge]\nvariants:\n  - name: ec2\n  - name: fargate\n    set: {\"cluster.fargateProfiles[0].selectors[0].namespace\": batch}\n",
    );
    c
}

fn sweep(c: &Case, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_eksim"))
        .arg("sweep")
        .arg(c.dir.path().join("s.sweep.yaml"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn tables(c: &Case, dir: &str) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    (
        std::fs::read(c.out(dir).join("sweep.csv")).unwrap(),
        std::fs::read(c.out(dir).join("variants.csv")).unwrap(),
        std::fs::read(c.out(dir).join("answer.md")).unwrap(),
    )
}

/// report.md, the plots and the variants' run reports of a sweep folder, by relative path.
fn report_files(out: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut dirs = vec![out.join("plots"), out.join("variants")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else {
                let rel = p.strip_prefix(out).unwrap().display().to_string();
                files.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    // Its heading names the folder.
    let name = out.file_name().unwrap().to_str().unwrap();
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    let heading = format!("# eksim sweep report: {name}\n");
    assert!(md.starts_with(&heading), "{md}");
    files.push(("report.md".into(), md.as_bytes()[heading.len()..].to_vec()));
    files.sort();
    files
}

#[test]
fn same_tables_for_any_job_count() {
    let c = case();
    let o1 = c.out("one");
    let o2 = c.out("two");
    sweep(&c, &["--jobs", "1", "--out", o1.to_str().unwrap()]);
    sweep(&c, &["--jobs", "2", "--out", o2.to_str().unwrap()]);
    assert_eq!(tables(&c, "one"), tables(&c, "two"));
    // The report is drawn on as many threads as the runs: its bytes do not depend on them.
    let r1 = report_files(&o1);
    let r2 = report_files(&o2);
    assert!(r1.len() > 30, "{} report files", r1.len());
    for ((n1, b1), (n2, b2)) in r1.iter().zip(&r2) {
        assert_eq!(n1, n2);
        assert!(b1 == b2, "{n1} differs");
    }
    assert_eq!(r1.len(), r2.len());
    let rows = read_csv(&o1.join("sweep.csv"));
    // 2 variants × 2 instance types × 3 seeds, in index order, seeds 10, 11, 12.
    assert_eq!(rows.len(), 12);
    assert_eq!(rows[0]["variant"], "ec2_m5.large");
    assert_eq!(rows[11]["variant"], "fargate_m5.xlarge");
    assert_eq!(
        rows.iter()
            .map(|r| r["seed"].as_str())
            .take(3)
            .collect::<Vec<_>>(),
        vec!["10", "11", "12"]
    );
    let variants = read_csv(&o1.join("variants.csv"));
    assert_eq!(variants.len(), 4);
    assert!(variants.iter().all(|v| v["runs"] == "3"));
    // The answer names the cheapest variant of variants.csv (against the base, the first) with
    // the figures of variants.csv, and ranks every variant.
    let cost = |v: &std::collections::BTreeMap<String, String>| -> f64 {
        v["cost_usd_total_mean"].parse().unwrap()
    };
    let cheapest = variants
        .iter()
        .skip(1)
        .min_by(|a, b| cost(a).total_cmp(&cost(b)))
        .unwrap();
    let answer = std::fs::read_to_string(o1.join("answer.md")).unwrap();
    let pct = 100.0 * (cost(cheapest) - cost(&variants[0])) / cost(&variants[0]);
    let lead = format!(
        "For this workload, `{}` costs {:.1}% {} than `{}` (${:.2} vs ${:.2} per run",
        cheapest["variant"],
        pct.abs(),
        if pct < 0.0 { "less" } else { "more" },
        variants[0]["variant"],
        cost(cheapest),
        cost(&variants[0])
    );
    assert!(answer.starts_with(&lead), "{answer}\nexpected: {lead}");
    assert!(
        variants
            .iter()
            .all(|v| answer.contains(&format!("`{}` ${:.2}", v["variant"], cost(v)))),
        "{answer}"
    );
    // Fargate variants bill Fargate, EC2 variants do not.
    assert!(
        rows.iter()
            .all(|r| (r["variant"].starts_with("fargate")) == (r["cost_usd_fargate"] != "0"))
    );
}

#[test]
fn resume_finishes_an_interrupted_sweep_with_identical_tables() {
    let c = case();
    let full = c.out("full");
    let part = c.out("part");
    sweep(&c, &["--out", full.to_str().unwrap()]);
    // An interrupted sweep: only shard 0/3 finished, and one of its runs was killed mid-write.
    sweep(&c, &["--shard", "0/3", "--out", part.to_str().unwrap()]);
    let victim = part.join("runs/ec2_m5.large/seed=10");
    std::fs::remove_file(victim.join("summary.json")).unwrap();
    std::fs::write(victim.join(".pods.csv.tmp"), "half a file").unwrap();
    let stdout = sweep(&c, &["--resume", "--out", part.to_str().unwrap()]);
    assert!(stdout.contains("ran 9, skipped 3"), "{stdout}");
    assert_eq!(tables(&c, "full"), tables(&c, "part"));
    assert!(!victim.join(".pods.csv.tmp").exists());
}

#[test]
fn merged_shards_equal_the_unsharded_sweep() {
    let c = case();
    let full = c.out("full");
    sweep(&c, &["--out", full.to_str().unwrap()]);
    let shards: Vec<_> = (0..3).map(|i| c.out(&format!("shard{i}"))).collect();
    for (i, s) in shards.iter().enumerate() {
        sweep(
            &c,
            &["--shard", &format!("{i}/3"), "--out", s.to_str().unwrap()],
        );
    }
    let merged = c.out("merged");
    let out = Command::new(env!("CARGO_BIN_EXE_eksim"))
        .arg("merge")
        .args(&shards)
        .arg("--out")
        .arg(&merged)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(tables(&c, "full"), tables(&c, "merged"));
}

#[test]
fn bad_sweeps_are_refused_with_the_variant_and_field() {
    let c = case();
    c.file("bad.sweep.yaml", "base: base.yaml\naxes:\n  cluster.managedNodeGroups[0].instanceType: [m5.large, m5.lareg]\n");
    let out = Command::new(env!("CARGO_BIN_EXE_eksim"))
        .arg("sweep")
        .arg(c.dir.path().join("bad.sweep.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("variant `base_m5.lareg`") && e.contains("did you mean `m5.large`?"),
        "{e}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_eksim"))
        .arg("sweep")
        .arg(c.dir.path().join("s.sweep.yaml"))
        .args(["--shard", "3/3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// Every run folder under `out/runs/` that is not hidden is complete: a kill never leaves a
/// half-written one behind.
fn assert_only_complete_runs(out: &std::path::Path) -> usize {
    let mut complete = 0;
    let Ok(variants) = std::fs::read_dir(out.join("runs")) else {
        return 0;
    };
    for v in variants.flatten() {
        for run in std::fs::read_dir(v.path()).unwrap().flatten() {
            let name = run.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue; // a staging folder: removed by --resume
            }
            for f in [
                "pods.csv",
                "nodes.csv",
                "timeline.csv",
                "timing.json",
                "summary.json",
            ] {
                assert!(
                    run.path().join(f).is_file(),
                    "{} has no {f} after a kill",
                    run.path().display()
                );
            }
            complete += 1;
        }
    }
    complete
}

#[test]
fn a_sweep_killed_at_any_moment_leaves_only_complete_runs_and_resumes() {
    let c = case();
    let full = c.out("full");
    sweep(&c, &["--out", full.to_str().unwrap(), "--no-report"]);
    let part = c.out("part");
    // Kill points spread over a debug-build sweep of 12 small runs (a few hundred ms); each
    // attempt resumes the previous one. Whatever the timing, the check must hold.
    let mut kills = 0;
    for delay_ms in [0, 5, 15, 30, 50, 80, 120, 170, 230, 300, 400, 550] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_eksim"))
            .arg("sweep")
            .arg(c.dir.path().join("s.sweep.yaml"))
            .args(["--out", part.to_str().unwrap(), "--resume", "--no-report"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            kills += 1;
        }
        child.wait().unwrap();
        assert_only_complete_runs(&part);
    }
    assert!(kills > 0, "no attempt was interrupted");
    let stdout = sweep(
        &c,
        &["--resume", "--out", part.to_str().unwrap(), "--no-report"],
    );
    assert!(stdout.contains("12 complete"), "{stdout}");
    assert_eq!(assert_only_complete_runs(&part), 12);
    assert_eq!(tables(&c, "full"), tables(&c, "part"));
}
