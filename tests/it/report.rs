//! `eksim report`: a real quickstart run turned into report.md and plots; the table repeats
//! summary.json exactly; a broken run folder is exit code 2 naming the missing file.

use std::path::Path;
use std::process::{Command, Output};

use crate::common::*;

fn eksim(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_eksim"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap()
}

/// Runs the quickstart scenario into `dir`.
fn quickstart(dir: &Path) {
    let out = eksim(&[
        "run".as_ref(),
        "scenarios/quickstart.yaml".as_ref(),
        "--out".as_ref(),
        dir.as_os_str(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The value of a dotted key of summary.json as JSON text.
fn json_at(v: &serde_json::Value, key: &str) -> String {
    let mut v = v;
    for part in key.split('.') {
        v = &v[part];
    }
    v.to_string()
}

#[test]
fn report_of_quickstart_repeats_the_summary_and_writes_every_plot() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    quickstart(&run);
    let out = eksim(&["report".as_ref(), run.as_os_str()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    let report = run.join("report");
    let md = std::fs::read_to_string(report.join("report.md")).unwrap();
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("summary.json")).unwrap()).unwrap();

    // Every table row `| label | `key` | value |` carries summary.json's number verbatim.
    let mut rows = 0;
    for line in md
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains('`'))
    {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let key = cells[1].trim_matches('`');
        let value = cells[2];
        assert_eq!(value, json_at(&summary, key), "row for {key}");
        let a: f64 = value.parse().unwrap();
        let b = summary
            .pointer(&format!("/{}", key.replace('.', "/")))
            .and_then(|v| v.as_f64())
            .unwrap();
        assert_eq!(a, b, "{key}");
        rows += 1;
    }
    assert!(rows >= 20, "{rows} table rows in:\n{md}");
    for key in ["cost_usd.total", "pods.submitted", "startup_s.p95"] {
        assert!(md.contains(&format!("`{key}`")), "{key} missing:\n{md}");
    }

    // Every linked plot exists in both formats and is non-empty.
    let mut plots = 0;
    for stem in ["nodes_pods", "latency_cdf", "resources"] {
        for ext in ["png", "svg"] {
            let f = report.join(format!("{stem}.{ext}"));
            let len = std::fs::metadata(&f)
                .unwrap_or_else(|e| panic!("{}: {e}", f.display()))
                .len();
            assert!(len > 1000, "{} is {len} bytes", f.display());
            plots += 1;
        }
        assert!(md.contains(&format!("]({stem}.png)")), "{stem} not linked");
    }
    assert_eq!(plots, 6);
    // The cost plot exists only when timeline.csv splits cost by part; otherwise report.md says
    // why.
    let has_cost = report.join("cost.png").is_file();
    assert_eq!(has_cost, md.contains("](cost.png)"));
    if has_cost {
        assert!(std::fs::metadata(report.join("cost.svg")).unwrap().len() > 1000);
    } else {
        assert!(md.contains("Cost over time is not plotted"), "{md}");
    }
    // Runs of this version split cost by part, so the cost plot is drawn.
    assert!(has_cost, "{md}");
    // The FinOps section repeats summary.json's attribution and waste, to the cent.
    let usd = |p: &str| format!("${:.2}", summary.pointer(p).unwrap().as_f64().unwrap());
    for (label, p) in [
        ("EC2 cost attributed to pods", "/attribution/ec2_pods_usd"),
        ("EC2 idle", "/attribution/ec2_idle_usd"),
        ("Fargate pods", "/attribution/fargate_pods_usd"),
        (
            "of which Fargate rounding up to supported sizes",
            "/waste/fargate_rounding_usd",
        ),
    ] {
        assert!(
            md.contains(&format!("| {label} | {} |", usd(p))),
            "{label}:\n{md}"
        );
    }
    for (ns, c) in summary["attribution"]["by_namespace"].as_object().unwrap() {
        let (e, f) = (
            c["ec2_usd"].as_f64().unwrap(),
            c["fargate_usd"].as_f64().unwrap(),
        );
        assert!(
            md.contains(&format!("| {ns} | ${e:.2} | ${f:.2} | ${:.2} |", e + f)),
            "{ns}:\n{md}"
        );
    }
    assert!(md.contains(&format!(
        "| hosts launched | {} | {} micro-VMs |",
        summary["nodes"]["launched"], summary["fargate"]["pods"]
    )));
    // No temporary files left behind.
    for e in std::fs::read_dir(&report).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.ends_with(".tmp"), "{name} left behind");
    }

    // Deterministic: a second report into another folder has the same bytes.
    let again = dir.path().join("again");
    let out2 = eksim(&[
        "report".as_ref(),
        run.as_os_str(),
        "--out".as_ref(),
        again.as_os_str(),
    ]);
    assert!(out2.status.success());
    for e in std::fs::read_dir(&report).unwrap() {
        let name = e.unwrap().file_name();
        assert_eq!(
            std::fs::read(report.join(&name)).unwrap(),
            std::fs::read(again.join(&name)).unwrap(),
            "{name:?} differs between two reports"
        );
    }
}

#[test]
fn report_without_timeline_is_bad_input_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    quickstart(&run);
    std::fs::remove_file(run.join("timeline.csv")).unwrap();
    let out_dir = dir.path().join("report");
    let out = eksim(&[
        "report".as_ref(),
        run.as_os_str(),
        "--out".as_ref(),
        out_dir.as_os_str(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("timeline.csv"), "{stderr}");
    assert!(!out_dir.exists(), "nothing may be written on bad input");
}

#[test]
fn report_with_a_missing_column_names_file_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    quickstart(&run);
    let pods = std::fs::read_to_string(run.join("pods.csv")).unwrap();
    std::fs::write(
        run.join("pods.csv"),
        pods.replacen("capacity", "capacity_x", 1),
    )
    .unwrap();
    let out = eksim(&["report".as_ref(), run.as_os_str()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("pods.csv") && stderr.contains("`capacity`"),
        "{stderr}"
    );
    let missing = eksim(&["report".as_ref(), dir.path().join("nope").as_os_str()]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("nope"));
}
