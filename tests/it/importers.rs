//! Trace importers (`eksim trace import`) and `eksim trace stats`, checked against hand-counted
//! values from excerpts of the real traces in ../shared/traces.

use std::path::{Path, PathBuf};
use std::process::Command;

use eksim::cli::trace::{BucketRow, stats};
use eksim::sim::time::SimDuration;
use eksim::workload::importers::{Format, ImportOptions, import};

const JOBS: &str = "../shared/traces/alibaba-v2017-batch/jobs.csv";
const OPENB: &str = "../shared/traces/alibaba-gpu-v2023/openb_pod_list_default.csv";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The first `lines` lines of a real trace, written into `dir`.
fn excerpt(dir: &Path, src: &str, lines: usize, name: &str) -> PathBuf {
    let text = std::fs::read_to_string(root().join(src)).unwrap();
    let mut out: String = text.lines().take(lines).collect::<Vec<_>>().join("\n");
    out.push('\n');
    let p = dir.join(name);
    std::fs::write(&p, out).unwrap();
    p
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Output rows as vectors of fields (header dropped).
fn rows(path: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "submit_s,name,namespace,labels,cpu_m,memory_mib,duration_s,gpu,priority,group"
    );
    lines
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

#[test]
fn jobs_csv_first_three_task_rows_expand_to_their_instances() {
    let dir = tempfile::tempdir().unwrap();
    let src = excerpt(dir.path(), JOBS, 4, "jobs.csv");
    let out = dir.path().join("t.csv");
    let s = import(
        Format::Alibaba2017Batch,
        &src,
        &out,
        &ImportOptions::default(),
    )
    .unwrap();
    // instances_num 283 + 67 + 21.
    assert_eq!(s.pods_written, 371);
    assert_eq!(s.rows_read, 3);
    let r = rows(&out);
    assert_eq!(r.len(), 371);
    // Row 0: submit 539 (becomes 0), 1.0 core, 0.0054047 × 131072 = 708.4 MiB, 116.3816 s.
    assert_eq!(
        r[0].join(","),
        "0,j1-t1-0,batch,app=alibaba-batch;job=j1,1000,708,116.382,0,,j1"
    );
    assert_eq!(r[282][1], "j1-t1-282");
    // Row 1: submit 7448 - 539 = 6909, 0.5 core, 1030.7 MiB, 73.597 s.
    assert_eq!(
        r[283].join(","),
        "6909,j9-t23-0,batch,app=alibaba-batch;job=j9,500,1031,73.597,0,,j9"
    );
    // Row 2: same submit, file order kept; 1028.7 MiB, 87.381 s.
    assert_eq!(
        r[350].join(","),
        "6909,j9-t24-0,batch,app=alibaba-batch;job=j9,500,1029,87.381,0,,j9"
    );
    assert_eq!(r[370][1], "j9-t24-20");
}

#[test]
fn jobs_csv_rows_are_sorted_by_submit_with_stable_ties() {
    let dir = tempfile::tempdir().unwrap();
    let src = write(
        dir.path(),
        "j.csv",
        ",submit_time,duration,cpu,memory,job_id,task_id,instances_num,disk\n\
         0,20,5,1.0,0.001,1,1,1,0\n1,10,5,0.5,0.001,2,2,2,0\n2,20,5,0.5,0.001,3,3,1,0\n",
    );
    let out = dir.path().join("t.csv");
    import(
        Format::Alibaba2017Batch,
        &src,
        &out,
        &ImportOptions::default(),
    )
    .unwrap();
    let names: Vec<String> = rows(&out).into_iter().map(|r| r[1].clone()).collect();
    assert_eq!(names, ["j2-t2-0", "j2-t2-1", "j1-t1-0", "j3-t3-0"]);
}

#[test]
fn jobs_csv_window_reproduces_the_bundled_slice_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("slice.csv");
    let opts = ImportOptions {
        from: Some(22260.0),
        to: Some(24060.0),
        machine_memory_mib: 131072.0,
        ..ImportOptions::default()
    };
    let s = import(Format::Alibaba2017Batch, &root().join(JOBS), &out, &opts).unwrap();
    assert_eq!(s.pods_written, 20_297);
    let want = std::fs::read(root().join("scenarios/traces/alibaba-2017-slice.csv")).unwrap();
    assert!(
        std::fs::read(&out).unwrap() == want,
        "differs from the bundled slice"
    );
}

#[test]
fn openb_first_pods_keep_gpus_durations_and_censoring() {
    let dir = tempfile::tempdir().unwrap();
    // Header + 7 pods; the largest deletion_time among them is 12902960.
    let src = excerpt(dir.path(), OPENB, 8, "openb.csv");
    let out = dir.path().join("t.csv");
    let s = import(
        Format::AlibabaGpu2023,
        &src,
        &out,
        &ImportOptions::default(),
    )
    .unwrap();
    assert_eq!(s.pods_written, 7);
    let r = rows(&out);
    assert_eq!(
        r[0].join(","),
        "0,openb-pod-0000,default,app=alibaba-gpu;phase=Running;qos=LS,12000,16384,12537496,1,,"
    );
    // openb-pod-0001: alive at the end, censored.
    assert_eq!(
        r[1].join(","),
        "427061,openb-pod-0001,default,app=alibaba-gpu;censored=true;phase=Running;qos=LS,6000,12288,,1,,"
    );
    let gpus: Vec<&str> = r.iter().map(|x| x[7].as_str()).collect();
    assert_eq!(gpus, ["1", "1", "1", "1", "1", "0", "1"]);
    let durs: Vec<&str> = r.iter().map(|x| x[6].as_str()).collect();
    // Pod 6: 11815163 - 3019330.
    assert_eq!(durs, ["12537496", "", "", "", "", "", "8795833"]);
}

#[test]
fn openb_whole_file_has_34_censored_pods() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t.csv");
    let s = import(
        Format::AlibabaGpu2023,
        &root().join(OPENB),
        &out,
        &ImportOptions::default(),
    )
    .unwrap();
    assert_eq!(s.pods_written, 8152);
    let r = rows(&out);
    assert_eq!(
        r.iter().filter(|x| x[3].contains("censored=true")).count(),
        34
    );
    assert_eq!(r.iter().filter(|x| x[7] != "0").count(), 6989 + 75);
}

#[test]
fn batch_task_raw_layout() {
    let dir = tempfile::tempdir().unwrap();
    let src = write(
        dir.path(),
        "batch_task.csv",
        "100,160,7,70,2,Terminated,50,0.01\n90,100,8,80,1,Terminated,100,0.5\n",
    );
    let out = dir.path().join("t.csv");
    let s = import(
        Format::Alibaba2017BatchTask,
        &src,
        &out,
        &ImportOptions::default(),
    )
    .unwrap();
    assert_eq!(s.pods_written, 3);
    let r = rows(&out);
    assert_eq!(
        r[0].join(","),
        "0,j8-t80-0,batch,app=alibaba-batch;job=j8;status=Terminated,1000,65536,10,0,,j8"
    );
    // plan_cpu 50 = half a core; 0.01 × 131072 = 1310.72 MiB; 160 - 100 s.
    assert_eq!(
        r[1].join(","),
        "10,j7-t70-0,batch,app=alibaba-batch;job=j7;status=Terminated,500,1311,60,0,,j7"
    );
    assert_eq!(r[2][1], "j7-t70-1");
}

#[test]
fn bad_rows_name_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t.csv");
    let hdr = ",submit_time,duration,cpu,memory,job_id,task_id,instances_num,disk\n";
    let good = "0,1,5,1.0,0.001,1,1,1,0\n";
    let jobs = |bad: &str| format!("{hdr}{good}{bad}");
    // (layout, file text, what the error says: the file, line and field).
    let cases = [
        (
            Format::Alibaba2017Batch,
            jobs("1,2,5,abc,0.001,1,2,1,0\n"),
            "j.csv:3: cpu `abc` is not a number",
        ),
        (
            Format::Alibaba2017Batch,
            jobs("1,2,-5,1.0,0.001,1,2,1,0\n"),
            "j.csv:3: duration `-5` must be",
        ),
        (
            Format::Alibaba2017Batch,
            jobs("1,2,5,1.0\n"),
            "j.csv:3: memory (column 5) is missing",
        ),
        // A job id becomes the `job` label, which cannot hold the labels' separator.
        (
            Format::Alibaba2017Batch,
            jobs("1,2,5,1.0,0.001,j;9,2,1,0\n"),
            "j.csv:3: job_id `j;9` contains `;`",
        ),
        // The raw batch_task layout has no header: the bad row is line 1.
        (
            Format::Alibaba2017BatchTask,
            "100,90,7,70,2,Terminated,50,0.01\n".to_string(),
            "j.csv:1: modify_timestamp 90 is before create_timestamp 100: negative duration",
        ),
        (
            Format::Alibaba2017BatchTask,
            "100,190,j;9,70,2,Terminated,50,0.01\n".to_string(),
            "j.csv:1: job_id `j;9` contains `;`",
        ),
    ];
    for (format, text, want) in cases {
        let src = write(dir.path(), "j.csv", &text);
        let e = import(format, &src, &out, &ImportOptions::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains(want), "{e}");
        assert!(!out.exists(), "no output on error");
    }
    let src = write(
        dir.path(),
        "o.csv",
        "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time\n\
         p0,1000,1024,x,0,,LS,Running,0,10,0\n",
    );
    let e = import(
        Format::AlibabaGpu2023,
        &src,
        &out,
        &ImportOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("o.csv:2: num_gpu `x` is not a number"), "{e}");
}

#[test]
fn skip_bad_rows_counts_them() {
    let dir = tempfile::tempdir().unwrap();
    let src = write(
        dir.path(),
        "j.csv",
        ",submit_time,duration,cpu,memory,job_id,task_id,instances_num,disk\n\
         0,1,5,1.0,0.001,1,1,2,0\n1,2,-5,1.0,0.001,1,2,1,0\n2,x,5,1.0,0.001,1,3,1,0\n\
         3,3,5,1.0\n4,4,5,1.0,0.001,1,4,1,0\n",
    );
    let out = dir.path().join("t.csv");
    let opts = ImportOptions {
        skip_bad_rows: true,
        ..ImportOptions::default()
    };
    let s = import(Format::Alibaba2017Batch, &src, &out, &opts).unwrap();
    assert_eq!((s.rows_read, s.rows_skipped, s.pods_written), (5, 3, 3));
    assert!(s.to_string().contains("rows skipped (bad) 3"), "{s}");
}

#[test]
fn sampling_is_deterministic_for_a_seed() {
    let dir = tempfile::tempdir().unwrap();
    let src = excerpt(dir.path(), JOBS, 4, "jobs.csv");
    let run = |seed: u64, name: &str| {
        let out = dir.path().join(name);
        let opts = ImportOptions {
            sample: Some(0.5),
            seed,
            ..ImportOptions::default()
        };
        let s = import(Format::Alibaba2017Batch, &src, &out, &opts).unwrap();
        assert_eq!(s.pods_written + s.pods_sampled_out, 371);
        std::fs::read_to_string(out).unwrap()
    };
    let a = run(7, "a.csv");
    assert_eq!(a, run(7, "b.csv"));
    assert_ne!(a, run(8, "c.csv"));
    let kept = a.lines().count() - 1;
    assert!((120..=250).contains(&kept), "{kept} of 371 kept at 0.5");
}

#[test]
fn time_scale_two_halves_submits_and_durations() {
    let dir = tempfile::tempdir().unwrap();
    let src = excerpt(dir.path(), JOBS, 4, "jobs.csv");
    let out = dir.path().join("t.csv");
    let opts = ImportOptions {
        time_scale: 2.0,
        ..ImportOptions::default()
    };
    import(Format::Alibaba2017Batch, &src, &out, &opts).unwrap();
    let r = rows(&out);
    assert_eq!((r[0][0].as_str(), r[0][6].as_str()), ("0", "58.191"));
    // 6909 / 2 and 73.597 / 2.
    assert_eq!(
        (r[283][0].as_str(), r[283][6].as_str()),
        ("3454.5", "36.799")
    );
}

#[test]
fn window_shift_and_keep_time() {
    let dir = tempfile::tempdir().unwrap();
    let src = excerpt(dir.path(), JOBS, 5, "jobs.csv"); // submits 539, 7448, 7448, 7448
    let out = dir.path().join("t.csv");
    let opts = ImportOptions {
        from: Some(600.0),
        to: Some(8000.0),
        shift: 100.0,
        ..ImportOptions::default()
    };
    let s = import(Format::Alibaba2017Batch, &src, &out, &opts).unwrap();
    assert_eq!(s.rows_outside_window, 1);
    assert_eq!(s.pods_written, 67 + 21 + 17);
    assert_eq!(rows(&out)[0][0], "100");
    let opts = ImportOptions {
        keep_time: true,
        to: Some(7448.0),
        ..ImportOptions::default()
    };
    let s = import(Format::Alibaba2017Batch, &src, &out, &opts).unwrap();
    assert_eq!((s.pods_written, s.rows_outside_window), (283, 3));
    assert_eq!(rows(&out)[0][0], "539");
    let opts = ImportOptions {
        shift: -1.0,
        ..ImportOptions::default()
    };
    assert!(import(Format::Alibaba2017Batch, &src, &out, &opts).is_err());
}

#[test]
fn batch_namespace_goes_to_large_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let src = excerpt(dir.path(), JOBS, 5, "jobs.csv"); // 283, 67, 21, 17 instances
    let out = dir.path().join("t.csv");
    let opts = ImportOptions {
        namespace: Some("small".into()),
        batch_namespace: Some("big".into()),
        batch_min_instances: 21,
        ..ImportOptions::default()
    };
    import(Format::Alibaba2017Batch, &src, &out, &opts).unwrap();
    let r = rows(&out);
    let big = r.iter().filter(|x| x[2] == "big").count();
    let small = r.iter().filter(|x| x[2] == "small").count();
    assert_eq!((big, small), (283 + 67, 21 + 17));
}

#[test]
fn canonical_in_canonical_out_applies_the_options() {
    let dir = tempfile::tempdir().unwrap();
    let src = write(
        dir.path(),
        "c.csv",
        "submit_s,name,namespace,labels,cpu_m,memory_mib,duration_s,gpu,priority,group\n\
         10,a,web,b=2;a=1,500,1024,30,,,g1\n20,b,,,250,256,,1,7,g1\n30,c,web,,100,64,4,0,,\n",
    );
    let out = dir.path().join("t.csv");
    let opts = ImportOptions {
        time_scale: 2.0,
        from: Some(10.0),
        to: Some(30.0),
        batch_namespace: Some("batch".into()),
        batch_min_instances: 1,
        ..ImportOptions::default()
    };
    let s = import(Format::Canonical, &src, &out, &opts).unwrap();
    assert_eq!(
        (s.rows_read, s.pods_written, s.rows_outside_window),
        (3, 2, 1)
    );
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "submit_s,name,namespace,labels,cpu_m,memory_mib,duration_s,gpu,priority,group\n\
         0,a,batch,a=1;b=2,500,1024,15,0,,g1\n5,b,batch,,250,256,,1,7,g1\n"
    );
    let bad = write(
        dir.path(),
        "bad.csv",
        "submit_s,cpu_m,memory_mib,duration_s\n0,1,1,1\n1,x,1,1\n2,1,1,1\n",
    );
    let e = import(Format::Canonical, &bad, &out, &ImportOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("bad.csv:3: cpu_m `x` is not a number"), "{e}");
    let opts = ImportOptions {
        skip_bad_rows: true,
        ..ImportOptions::default()
    };
    let s = import(Format::Canonical, &bad, &out, &opts).unwrap();
    assert_eq!((s.rows_skipped, s.pods_written), (1, 2));
}

#[test]
fn stats_concurrent_demand_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let trace = write(
        dir.path(),
        "t.csv",
        "submit_s,cpu_m,memory_mib,duration_s,gpu\n\
         0,1000,1024,15,0\n5,500,512,10,1\n12,2000,2048,20,0\n25,250,256,,0\n",
    );
    let s = stats(&trace, SimDuration::from_secs(10)).unwrap();
    assert_eq!(s.pods, 4);
    assert_eq!((s.gpu_pods, s.no_duration), (1, 1));
    assert_eq!((s.first_submit_ms, s.last_submit_ms), (0, 25_000));
    let row = |t: u64, a, p, c, m| BucketRow {
        start_ms: t * 1000,
        arrivals: a,
        running_pods: p,
        cpu_m: c,
        memory_mib: m,
    };
    // t=0: pod 1. t=10: pods 1, 2. t=20: pod 3 (1 and 2 ended at 15). t=30: pod 3 (ends 32)
    // and the censored pod 4.
    assert_eq!(
        s.buckets,
        vec![
            row(0, 2, 1, 1000, 1024),
            row(10, 1, 2, 1500, 1536),
            row(20, 1, 1, 2000, 2048),
            row(30, 0, 2, 2250, 2304),
        ]
    );
    assert_eq!(s.cpu_m.max, 2000);
    assert_eq!(s.cpu_m.p50, 500);
    assert_eq!(s.duration_ms.max, 20_000);
    // hdrhistogram, 3 significant digits.
    assert!(
        (15_000..=15_015).contains(&s.duration_ms.p50),
        "{:?}",
        s.duration_ms
    );
    // Larger values: the openb list (cpu_milli median 11,300, max 120,200).
    let out = dir.path().join("openb.csv");
    import(
        Format::AlibabaGpu2023,
        &root().join(OPENB),
        &out,
        &ImportOptions::default(),
    )
    .unwrap();
    let s = stats(&out, SimDuration::from_secs(86_400)).unwrap();
    assert_eq!((s.pods, s.gpu_pods, s.no_duration), (8152, 7064, 34));
    assert!((11_290..=11_310).contains(&s.cpu_m.p50), "{:?}", s.cpu_m);
    assert_eq!(s.cpu_m.max, 120_200);
    assert_eq!(s.memory_mib.max, 737_280);
}

#[test]
fn cli_import_and_stats_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let src = excerpt(dir.path(), JOBS, 4, "jobs.csv");
    let out = dir.path().join("t.csv");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_eksim"))
            .args(args)
            .output()
            .unwrap()
    };
    let o = run(&[
        "trace",
        "import",
        "--format",
        "alibaba-2017-batch",
        src.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("pods written 371"));
    let o = run(&["trace", "stats", out.to_str().unwrap(), "--bucket", "1h"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("pods 371"));
    let bad = write(
        dir.path(),
        "bad.csv",
        "submit_s,cpu_m,memory_mib,duration_s\n0,1,x,1\n",
    );
    let o = run(&["trace", "stats", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("bad.csv:2:"));
    let o = run(&[
        "trace",
        "import",
        "--format",
        "canonical",
        bad.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
}
