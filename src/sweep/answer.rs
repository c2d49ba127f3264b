//! The one-paragraph answer of a sweep: which variant is cheapest, by how much against the first
//! (base) variant, what it does to pod start-up, and the figures that explain the difference
//! (EC2 idle capacity against Fargate rounding and minimum charges, short pods). Computed from
//! the same per-variant means as variants.csv, so the words can never drift from the numbers.

use super::report::{FIGURES, SweepRow};
use crate::sim::replicas::Spread;

/// Mean of each figure per variant (`None` when no completed run has it).
fn means(variants: usize, rows: &[SweepRow]) -> Vec<Vec<Option<f64>>> {
    (0..variants)
        .map(|v| {
            (0..FIGURES.len())
                .map(|f| {
                    let xs: Vec<f64> = rows
                        .iter()
                        .filter(|r| r.variant == v)
                        .filter_map(|r| r.figures[f])
                        .collect();
                    (!xs.is_empty()).then(|| Spread::of(&xs).mean)
                })
                .collect()
        })
        .collect()
}

fn idx(name: &str) -> usize {
    FIGURES
        .iter()
        .position(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("unknown sweep figure {name}"))
}

fn pct(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        100.0 * part / whole
    } else {
        0.0
    }
}

/// A count with thousands separators (18615 → "18,615"), as people read them.
fn count(x: f64) -> String {
    let digits = format!("{:.0}", x.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if x < 0.0 { format!("-{out}") } else { out }
}

/// The paragraph for variants `ids` (in plan order; the first is the base) and their completed
/// runs; `None` when fewer than two variants have a cost.
pub fn answer(ids: &[String], rows: &[SweepRow]) -> Option<String> {
    let m = means(ids.len(), rows);
    let get = |v: usize, name: &str| m[v][idx(name)];
    let cost = |v: usize| get(v, "cost_usd_total");
    let priced: Vec<usize> = (0..ids.len()).filter(|&v| cost(v).is_some()).collect();
    if priced.len() < 2 || cost(0).is_none() {
        return None;
    }
    let mut ranked = priced.clone();
    // Cheapest first; ties keep plan order.
    ranked.sort_by(|&a, &b| {
        cost(a)
            .unwrap()
            .total_cmp(&cost(b).unwrap())
            .then(a.cmp(&b))
    });
    let runs = |v: usize| rows.iter().filter(|r| r.variant == v).count();
    let base = 0;
    let best = if ranked[0] == base {
        ranked[1]
    } else {
        ranked[0]
    };
    let (cb, cx) = (cost(base).unwrap(), cost(best).unwrap());
    let diff = pct(cx - cb, cb);
    let p95 = |v: usize| {
        get(v, "pending_p95_s")
            .map(|p| format!("{p:.1} s"))
            .unwrap_or_else(|| "n/a".into())
    };
    let s95 = |v: usize| {
        get(v, "startup_p95_s")
            .map(|p| format!("{p:.1} s"))
            .unwrap_or_else(|| "n/a".into())
    };
    let mut text = format!(
        "For this workload, `{}` costs {:.1}% {} than `{}` (${:.2} vs ${:.2} per run, mean of {} \
         and {} seeds), with a pending p95 of {} vs {} and a start-up p95 of {} vs {}.",
        ids[best],
        diff.abs(),
        if diff < 0.0 { "less" } else { "more" },
        ids[base],
        cx,
        cb,
        runs(best),
        runs(base),
        p95(best),
        p95(base),
        s95(best),
        s95(base),
    );
    // What drives the difference: each side's waste.
    let mut drivers = Vec::new();
    for v in [base, best] {
        let ec2 = get(v, "cost_usd_ec2").unwrap_or(0.0);
        let idle = get(v, "ec2_idle_usd").unwrap_or(0.0);
        if ec2 > 0.0 && idle > 0.0 {
            drivers.push(format!(
                "`{}` pays ${:.2} for idle EC2 capacity, {:.0}% of its ${:.2} EC2 bill ({:.1} \
                 node-hours of allocatable nobody requested, boot time and billing rounding)",
                ids[v],
                idle,
                pct(idle, ec2),
                ec2,
                get(v, "ec2_idle_node_hours").unwrap_or(0.0)
            ));
        }
        let fargate = get(v, "cost_usd_fargate").unwrap_or(0.0);
        if fargate > 0.0 {
            let rounding = get(v, "fargate_rounding_usd").unwrap_or(0.0);
            let minimum = get(v, "fargate_minimum_charge_usd").unwrap_or(0.0);
            drivers.push(format!(
                "`{}` pays ${:.2} for Fargate, of which ${:.2} ({:.0}%) is rounding up to Fargate \
                 sizes and ${:.2} ({:.0}%) is billed time beyond the pods' use (60 s minimum)",
                ids[v],
                fargate,
                rounding,
                pct(rounding, fargate),
                minimum,
                pct(minimum, fargate)
            ));
        }
    }
    if !drivers.is_empty() {
        text.push_str(" The difference comes from waste: ");
        text.push_str(&drivers.join("; "));
        text.push('.');
    }
    // Why pods wait: a Fargate variant that hit the concurrent-pod quota queues pods behind it.
    for v in [base, best] {
        let waits = get(v, "fargate_quota_waits").unwrap_or(0.0);
        let pods = get(v, "fargate_pods").unwrap_or(0.0);
        if waits > 0.0 && pods > 0.0 {
            text.push_str(&format!(
                " `{}`'s Fargate pods wait because {} of them ({:.0}%) queued for the \
                 concurrent Fargate pod quota ({} micro-VMs at the peak); raising the quota \
                 is a Service Quotas request.",
                ids[v],
                count(waits),
                pct(waits, pods),
                count(get(v, "fargate_peak_concurrent").unwrap_or(0.0))
            ));
        }
    }
    if let (Some(short), Some(done)) =
        (get(base, "pods_ran_under_60s"), get(base, "pods_succeeded"))
        && done > 0.0
    {
        text.push_str(&format!(
            " {:.0}% of the pods that finished ran for under 60 s.",
            pct(short, done)
        ));
    }
    text.push_str(" Ranking by mean cost: ");
    text.push_str(
        &ranked
            .iter()
            .map(|&v| format!("`{}` ${:.2}", ids[v], cost(v).unwrap()))
            .collect::<Vec<_>>()
            .join(", "),
    );
    text.push('.');
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(variant: usize, seed: u64, set: &[(&str, f64)]) -> SweepRow {
        let mut figures = vec![None; FIGURES.len()];
        for (n, x) in set {
            figures[idx(n)] = Some(*x);
        }
        SweepRow {
            index: 0,
            variant,
            seed,
            figures,
        }
    }

    #[test]
    fn names_the_cheapest_and_its_drivers_from_the_means() {
        let ids = vec!["ec2".to_string(), "fargate".to_string()];
        let ec2 = |seed, total| {
            row(
                0,
                seed,
                &[
                    ("cost_usd_total", total),
                    ("cost_usd_ec2", total - 0.1),
                    ("ec2_idle_usd", 30.0),
                    ("ec2_idle_node_hours", 44.0),
                    ("pending_p95_s", 60.0),
                    ("startup_p95_s", 61.0),
                    ("pods_ran_under_60s", 750.0),
                    ("pods_succeeded", 1000.0),
                ],
            )
        };
        let rows = vec![
            ec2(0, 40.1),
            ec2(1, 40.1),
            row(
                1,
                0,
                &[
                    ("cost_usd_total", 20.1),
                    ("cost_usd_fargate", 20.0),
                    ("fargate_rounding_usd", 3.0),
                    ("fargate_minimum_charge_usd", 2.0),
                    ("pending_p95_s", 0.0),
                    ("startup_p95_s", 70.0),
                ],
            ),
        ];
        let text = answer(&ids, &rows).unwrap();
        // (20.1 − 40.1) / 40.1 = −49.9%.
        assert!(
            text.starts_with(
                "For this workload, `fargate` costs 49.9% less than `ec2` ($20.10 vs $40.10 per \
                 run, mean of 1 and 2 seeds), with a pending p95 of 0.0 s vs 60.0 s and a \
                 start-up p95 of 70.0 s vs 61.0 s."
            ),
            "{text}"
        );
        // Idle 30 of 40.0 EC2 = 75%; Fargate 3 of 20 = 15%, 2 of 20 = 10%; 750 / 1000 = 75%.
        assert!(
            text.contains("`ec2` pays $30.00 for idle EC2 capacity, 75% of its $40.00 EC2 bill (44.0 node-hours"),
            "{text}"
        );
        assert!(
            text.contains("$3.00 (15%) is rounding up to Fargate sizes and $2.00 (10%)"),
            "{text}"
        );
        assert!(text.contains("75% of the pods that finished ran for under 60 s."));
        assert!(text.ends_with("Ranking by mean cost: `fargate` $20.10, `ec2` $40.10."));
    }

    #[test]
    fn counts_have_thousands_separators() {
        assert_eq!(count(18615.0), "18,615");
        assert_eq!(count(1000.0), "1,000");
        assert_eq!(count(999.0), "999");
        assert_eq!(count(1234567.0), "1,234,567");
    }

    #[test]
    fn fargate_quota_waits_explain_the_wait() {
        let ids = vec!["ec2".to_string(), "fargate".to_string()];
        let rows = vec![
            row(0, 0, &[("cost_usd_total", 40.0)]),
            row(
                1,
                0,
                &[
                    ("cost_usd_total", 20.0),
                    ("fargate_pods", 2000.0),
                    ("fargate_quota_waits", 1500.0),
                    ("fargate_peak_concurrent", 1000.0),
                ],
            ),
        ];
        let text = answer(&ids, &rows).unwrap();
        assert!(
            text.contains(
                "`fargate`'s Fargate pods wait because 1,500 of them (75%) queued for the \
                 concurrent Fargate pod quota (1,000 micro-VMs at the peak)"
            ),
            "{text}"
        );
    }

    #[test]
    fn base_cheapest_is_compared_with_the_runner_up() {
        let ids = vec!["a".to_string(), "b".to_string(), "c".to_string()];
        let rows = vec![
            row(0, 0, &[("cost_usd_total", 10.0)]),
            row(1, 0, &[("cost_usd_total", 15.0)]),
            row(2, 0, &[("cost_usd_total", 12.0)]),
        ];
        let text = answer(&ids, &rows).unwrap();
        assert!(text.starts_with("For this workload, `c` costs 20.0% more than `a`"));
        assert!(answer(&ids[..1], &rows[..1]).is_none());
    }
}
