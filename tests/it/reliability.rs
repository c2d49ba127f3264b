//! `--check-invariants` and `--max-events` through the CLI: a checked run succeeds with the same
//! bytes as an unchecked one, and a run stopped early says so in summary.json with its files
//! complete and its costs adding up.

use std::process::Command;

use crate::common::*;

fn eksim(args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_eksim"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap()
}

#[test]
fn checked_runs_match_unchecked_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    for (dir, extra) in [(&a, None), (&b, Some("--check-invariants"))] {
        let mut args: Vec<&std::ffi::OsStr> = vec![
            "run".as_ref(),
            "scenarios/quickstart.yaml".as_ref(),
            "--out".as_ref(),
            dir.as_os_str(),
        ];
        if let Some(x) = extra {
            args.push(x.as_ref());
        }
        let out = eksim(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for f in ["pods.csv", "nodes.csv", "timeline.csv", "summary.json"] {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn max_events_stops_cleanly_with_a_partial_marker() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("partial");
    let out = eksim(&[
        "run".as_ref(),
        "scenarios/quickstart.yaml".as_ref(),
        "--out".as_ref(),
        dir.as_os_str(),
        "--max-events".as_ref(),
        "500".as_ref(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = summary(&dir);
    assert_eq!(s["partial"]["reason"], "max-events");
    assert_eq!(s["partial"]["events"], 500);
    assert_eq!(s["events"], 500);
    let stopped = s["partial"]["stopped_at_s"].as_f64().unwrap();
    assert!(stopped > 0.0 && stopped < s["horizon_s"].as_f64().unwrap());
    // Costs still add up, and every file is there.
    let c = &s["cost_usd"];
    let micros = |v: &serde_json::Value| (v.as_f64().unwrap() * 1e6).round() as i64;
    assert_eq!(
        micros(&c["total"]),
        micros(&c["ec2"]) + micros(&c["fargate"]) + micros(&c["control_plane"])
    );
    for f in ["pods.csv", "nodes.csv", "timeline.csv", "timing.json"] {
        assert!(dir.join(f).is_file(), "{f}");
    }
    // No timestamp in pods.csv lies beyond the stop.
    for p in read_csv(&dir.join("pods.csv")) {
        for col in ["submit_s", "scheduled_s", "running_s", "finished_s"] {
            if let Ok(t) = p[col].parse::<f64>() {
                assert!(t <= stopped + 1e-9, "{} {col} {t} > {stopped}", p["pod"]);
            }
        }
    }
    // A complete run has no partial section.
    let full = tmp.path().join("full");
    let out = eksim(&[
        "run".as_ref(),
        "scenarios/quickstart.yaml".as_ref(),
        "--out".as_ref(),
        full.as_os_str(),
    ]);
    assert!(out.status.success());
    assert!(summary(&full).get("partial").is_none());
}
