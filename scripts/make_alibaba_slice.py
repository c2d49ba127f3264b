#!/usr/bin/env python3
"""Cut a time window out of the Alibaba 2017 batch trace (CloudSimPy jobs.csv)
and write it as an eksim canonical trace CSV.

Python 3.11, standard library only. Deterministic: the same input and
arguments always give a byte-identical output file.

Input columns: ,submit_time,duration,cpu,memory,job_id,task_id,instances_num,disk
(first column is a row index with an empty header).

Each task row whose submit_time lies in [start, end) becomes instances_num pods:
  submit_s   = submit_time - (earliest submit_time in the window)   -> first arrival at 0
  name       = j<job_id>-t<task_id>-<i>          i = 0 .. instances_num-1
  namespace  = batch
  labels     = app=alibaba-batch;job=j<job_id>
  cpu_m      = round(cpu * 1000)                 (cores -> millicores)
  memory_mib = max(1, round_half_up(memory * machine_memory_mib))
  duration_s = duration (seconds, <= 3 decimals); negative durations are dropped
               and counted, zero durations are kept as-is
  gpu        = 0
  priority   = (empty)
  group      = j<job_id>
Rows are sorted by submit_s ascending; ties keep the input file order (and
instance index order within a task row).

Only the task rows of the window are held in memory; the source file is read
row by row and pods are generated one at a time while writing.

Usage:
  python3 make_alibaba_slice.py --input jobs.csv --out slice.csv \
      --start S --end E --machine-memory-mib 131072 [--stats]
"""

import argparse
import csv
import math
import sys

HEADER = ["submit_s", "name", "namespace", "labels", "cpu_m", "memory_mib",
          "duration_s", "gpu", "priority", "group"]
SRC_COLS = ["submit_time", "duration", "cpu", "memory", "job_id", "task_id",
            "instances_num"]
DEFAULT_MACHINE_MEMORY_MIB = 131072  # 128 GiB, same as the peer benchmark


def fmt_num(x):
    """Float with at most 3 decimals, minimal form: 12 -> '12', 12.5 -> '12.5'."""
    s = "%.3f" % x
    s = s.rstrip("0").rstrip(".")
    if s in ("-0", ""):
        s = "0"
    return s


def round_half_up(x):
    return int(math.floor(x + 0.5))


def ident(s, what, lineno):
    """job_id / task_id: integers in this trace; keep any other string as-is
    (stripped) so names still work if a variant uses string ids."""
    s = s.strip()
    if not s:
        raise ValueError("line %d: empty %s" % (lineno, what))
    try:
        return str(int(s))
    except ValueError:
        try:
            f = float(s)
            if f.is_integer():
                return str(int(f))
        except ValueError:
            pass
        return s


def read_tasks(path, start=None, end=None, counters=None):
    """Yield task tuples (submit, duration, cpu_m, mem_frac, job, task, n, order)
    from the source, streaming, restricted to start <= submit < end if given."""
    with open(path, newline="") as f:
        rd = csv.reader(f)
        header = next(rd)
        idx = {name: header.index(name) for name in SRC_COLS}
        for order, row in enumerate(rd):
            lineno = order + 2
            if not row:
                continue
            submit = float(row[idx["submit_time"]])
            if start is not None and submit < start:
                continue
            if end is not None and submit >= end:
                continue
            dur = float(row[idx["duration"]])
            n = int(float(row[idx["instances_num"]]))
            if counters is not None:
                counters["rows_in_window"] += 1
                counters["pods_in_window"] += n
            if dur < 0:
                if counters is not None:
                    counters["neg_rows"] += 1
                    counters["neg_pods"] += n
                continue
            if dur == 0 and counters is not None:
                counters["zero_rows"] += 1
                counters["zero_pods"] += n
            if n <= 0:
                continue
            cpu_m = round_half_up(float(row[idx["cpu"]]) * 1000)
            mem = float(row[idx["memory"]])
            job = ident(row[idx["job_id"]], "job_id", lineno)
            task = ident(row[idx["task_id"]], "task_id", lineno)
            yield (submit, dur, cpu_m, mem, job, task, n, order)


def stats(tasks, machine_mib):
    """Pod-weighted summary of a list of task tuples (no pod expansion).
    Durations/submits are taken as written to the CSV (3-decimal rounding)."""
    pods = sum(t[6] for t in tasks)
    if pods == 0:
        return {"pods": 0}
    durs = sorted((round(t[1], 3), t[6]) for t in tasks)

    def pct(p):  # nearest-rank: smallest d with cumulative pods >= p * pods
        need = p * pods
        cum = 0
        for d, n in durs:
            cum += n
            if cum >= need:
                return d
        return durs[-1][0]

    t0 = min(t[0] for t in tasks)
    t_last = max(t[0] for t in tasks)
    end_last = max(round(t[0] - t0, 3) + round(t[1], 3) for t in tasks)
    under60 = sum(n for d, n in durs if d < 60)
    core_h = sum(t[2] * t[6] * round(t[1], 3) for t in tasks) / 1000 / 3600
    mem_of = lambda t: max(1, round_half_up(t[3] * machine_mib))
    # peak concurrency: each pod occupies [submit, submit + duration);
    # at equal times releases are applied before arrivals.
    ev = []
    for t in tasks:
        s = round(t[0] - t0, 3)
        e = s + round(t[1], 3)
        c = t[2] * t[6]
        m = mem_of(t) * t[6]
        ev.append((s, 1, c, m, t[6]))
        ev.append((e, 0, -c, -m, -t[6]))
    ev.sort(key=lambda x: (x[0], x[1]))
    cc = cm = cp = 0
    pc = pm = pp = 0
    pc_t = 0.0
    for tm, _, c, m, p in ev:
        cc += c
        cm += m
        cp += p
        if cc > pc:
            pc, pc_t = cc, tm
        pm = max(pm, cm)
        pp = max(pp, cp)
    return {
        "rows": len(tasks),
        "pods": pods,
        "jobs": len({t[4] for t in tasks}),
        "first_submit_src": t0,
        "last_submit_src": t_last,
        "arrival_span_s": t_last - t0,
        "makespan_s": end_last,
        "share_under_60s": under60 / pods,
        "dur_p10": pct(0.10), "dur_p50": pct(0.50), "dur_p90": pct(0.90),
        "dur_p95": pct(0.95), "dur_p99": pct(0.99),
        "dur_max": durs[-1][0],
        "mean_dur": sum(d * n for d, n in durs) / pods,
        "core_hours": core_h,
        "peak_cores": pc / 1000,
        "peak_cores_at_s": pc_t,
        "peak_mem_gib": pm / 1024,
        "peak_pods": pp,
        "max_pods_one_row": max(t[6] for t in tasks),
        "share_cpu_500m": sum(t[6] for t in tasks if t[2] == 500) / pods,
    }


def write_slice(tasks, out, machine_mib):
    tasks = sorted(tasks, key=lambda t: (t[0], t[7]))  # stable: file order
    t0 = tasks[0][0] if tasks else 0.0
    n_out = 0
    with open(out, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(HEADER)
        for submit, dur, cpu_m, mem, job, task, n, _ in tasks:
            s = fmt_num(submit - t0)
            mem_mib = str(max(1, round_half_up(mem * machine_mib)))
            d = fmt_num(dur)
            grp = "j" + job
            labels = "app=alibaba-batch;job=" + grp
            prefix = grp + "-t" + task + "-"
            cpu = str(cpu_m)
            for i in range(n):
                w.writerow([s, prefix + str(i), "batch", labels, cpu, mem_mib,
                            d, "0", "", grp])
            n_out += n
    return n_out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--input", required=True, help="CloudSimPy jobs.csv")
    ap.add_argument("--out", required=True, help="output canonical trace CSV")
    ap.add_argument("--start", type=float, required=True,
                    help="window start, source seconds (inclusive)")
    ap.add_argument("--end", type=float, required=True,
                    help="window end, source seconds (exclusive)")
    ap.add_argument("--machine-memory-mib", type=float,
                    default=DEFAULT_MACHINE_MEMORY_MIB,
                    help="memory of one machine in MiB (default 131072 = 128 GiB)")
    ap.add_argument("--stats", action="store_true",
                    help="print summary statistics of the slice to stderr")
    a = ap.parse_args(argv)
    if a.end <= a.start:
        ap.error("--end must be greater than --start")

    counters = {k: 0 for k in ("rows_in_window", "pods_in_window", "neg_rows",
                               "neg_pods", "zero_rows", "zero_pods")}
    tasks = list(read_tasks(a.input, a.start, a.end, counters))
    n = write_slice(tasks, a.out, a.machine_memory_mib)
    print("wrote %d pods from %d task rows to %s (dropped %d rows / %d pods with "
          "negative duration; kept %d rows / %d pods with zero duration)"
          % (n, len(tasks), a.out, counters["neg_rows"], counters["neg_pods"],
             counters["zero_rows"], counters["zero_pods"]), file=sys.stderr)
    if a.stats:
        for k, v in stats(tasks, a.machine_memory_mib).items():
            print("  %-18s %s" % (k, round(v, 4) if isinstance(v, float) else v),
                  file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
