//! The README's first command: the bundled EC2-vs-Fargate study. Rerunning it reproduces the
//! committed `results/ec2-vs-fargate/` byte for byte (plots aside: only their presence is
//! checked, font rendering may differ between machines), and the sweep report's numbers are the
//! ones in variants.csv and answer.md.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;

/// Every file under `dir` (relative paths), skipping the run folders (not committed).
fn files(dir: &Path) -> BTreeSet<PathBuf> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeSet<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            let rel = p.strip_prefix(base).unwrap().to_path_buf();
            if rel.starts_with("runs") {
                continue;
            }
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                out.insert(rel);
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, dir, &mut out);
    out
}

fn is_plot(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("png") | Some("svg")
    )
}

#[test]
fn the_study_regenerates_the_committed_results() {
    let root = root();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("ec2-vs-fargate");
    // Exactly the README's command, from the repository root.
    let run = Command::new(env!("CARGO_BIN_EXE_eksim"))
        .args(["sweep", "scenarios/ec2-vs-fargate.sweep.yaml", "--out"])
        .arg(&out)
        .current_dir(&root)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let committed = root.join("results/ec2-vs-fargate");
    let (want, got) = (files(&committed), files(&out));
    assert_eq!(
        want, got,
        "the committed results/ec2-vs-fargate/ lists other files than the study writes; \
         regenerate it with the README's first command"
    );
    for rel in &want {
        if is_plot(rel) {
            assert!(std::fs::metadata(out.join(rel)).unwrap().len() > 1000);
            continue;
        }
        let (a, b) = (
            std::fs::read_to_string(committed.join(rel)).unwrap(),
            std::fs::read_to_string(out.join(rel)).unwrap(),
        );
        assert!(
            a == b,
            "{} differs from the committed copy; regenerate with the README's first command\n\
             --- committed\n{a}\n--- now\n{b}",
            rel.display()
        );
    }

    // The report's numbers are the sweep's: the answer verbatim, and each ranking row's cost
    // and CI equal variants.csv rounded to cents, cheapest first.
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    let answer = std::fs::read_to_string(out.join("answer.md")).unwrap();
    assert!(report.contains(answer.trim_end()));
    let variants = read_csv(&out.join("variants.csv"));
    let mut by_cost: Vec<&std::collections::BTreeMap<String, String>> = variants.iter().collect();
    by_cost.sort_by(|a, b| {
        let x: f64 = a["cost_usd_total_mean"].parse().unwrap();
        let y: f64 = b["cost_usd_total_mean"].parse().unwrap();
        x.total_cmp(&y)
    });
    for (rank, v) in by_cost.iter().enumerate() {
        let c = |k: &str| format!("${:.2}", v[k].parse::<f64>().unwrap());
        let row = format!(
            "| {} | `{}` | {} | {} [{}, {}] |",
            rank + 1,
            v["variant"],
            v["runs"],
            c("cost_usd_total_mean"),
            c("cost_usd_total_ci95_low"),
            c("cost_usd_total_ci95_high")
        );
        assert!(report.contains(&row), "missing ranking row {row}\n{report}");
    }
    // Each variant's sample run has its own report, linked from the study's.
    for v in &variants {
        let link = format!("(variants/{}/report.md)", v["variant"]);
        assert!(report.contains(&link), "{link}");
        assert!(
            out.join(format!("variants/{}/report.md", v["variant"]))
                .is_file()
        );
    }
}

#[test]
fn report_rewrites_a_sweep_folder_identically_and_refuses_out_with_several_dirs() {
    let root = root();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("study");
    let eksim = |args: &[&std::ffi::OsStr]| {
        Command::new(env!("CARGO_BIN_EXE_eksim"))
            .args(args)
            .current_dir(&root)
            .output()
            .unwrap()
    };
    // A small sweep: the quickstart under two seeds and two variants.
    let sweep = tmp.path().join("small.sweep.yaml");
    std::fs::write(
        &sweep,
        format!(
            "base: {}\nseeds: 2\nvariants:\n  - name: a\n  - name: b\n    set: {{horizon: 1h}}\n",
            root.join("scenarios/quickstart.yaml").display()
        ),
    )
    .unwrap();
    let r = eksim(&[
        "sweep".as_ref(),
        sweep.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let first = std::fs::read(out.join("report.md")).unwrap();
    let again = tmp.path().join("again");
    let r = eksim(&[
        "report".as_ref(),
        out.as_os_str(),
        "--out".as_ref(),
        again.as_os_str(),
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert_eq!(std::fs::read(again.join("report.md")).unwrap(), first);
    assert!(again.join("plots/pareto.png").is_file());
    assert!(again.join("variants/b/report.md").is_file());
    // --out with two folders is bad input.
    let r = eksim(&[
        "report".as_ref(),
        out.as_os_str(),
        out.as_os_str(),
        "--out".as_ref(),
        again.as_os_str(),
    ]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("--out needs exactly one DIR"));
}
