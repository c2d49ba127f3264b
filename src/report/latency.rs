//! Empirical CDFs of pod latencies from pods.csv, split by capacity type, so EC2 and Fargate
//! start-up behaviour can be compared at every percentile, not only at p50/p95.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::palette::{BLUE, ORANGE};
use super::{HouseStyle, Plot, ReportError, Scan, chart_frame, de, draw_legend, line_swatch};

/// Sorted latencies (seconds) of one capacity type.
#[derive(Debug, Default)]
struct Samples {
    pending: Vec<f64>,
    startup: Vec<f64>,
}

/// Pending time (scheduled − submit) and start-up time (running − submit) per capacity type.
#[derive(Debug)]
pub struct Latency {
    ec2: Samples,
    fargate: Samples,
    /// Rows with capacity `ec2`, whether or not they were scheduled.
    ec2_pods: u64,
}

impl Latency {
    /// Reads `submit_s, scheduled_s, running_s, capacity` of pods.csv row by row (a full-trace
    /// run has millions); pods never scheduled (or never running) are left out of the
    /// respective CDF.
    pub fn read(mut pods: Scan) -> Result<Latency, ReportError> {
        let submit = pods.column("submit_s")?;
        let sched = pods.column("scheduled_s")?;
        let running = pods.column("running_s")?;
        let cap = pods.column("capacity")?;
        let mut l = Latency {
            ec2: Samples::default(),
            fargate: Samples::default(),
            ec2_pods: 0,
        };
        while pods.next_row()? {
            // Every number is checked, as when the whole file was read into a table.
            let (a, s, r) = (
                pods.number(submit)?,
                pods.number(sched)?,
                pods.number(running)?,
            );
            let samples = match pods.text(cap) {
                "ec2" => {
                    l.ec2_pods += 1;
                    &mut l.ec2
                }
                "fargate" => &mut l.fargate,
                _ => continue,
            };
            if let (Some(a), Some(b)) = (a, s) {
                samples.pending.push((b - a).max(0.0));
            }
            if let (Some(a), Some(b)) = (a, r) {
                samples.startup.push((b - a).max(0.0));
            }
        }
        // Unstable is as good as stable here: values that compare equal have the same bits.
        for s in [&mut l.ec2, &mut l.fargate] {
            s.pending.sort_unstable_by(f64::total_cmp);
            s.startup.sort_unstable_by(f64::total_cmp);
        }
        Ok(l)
    }

    /// Pods that ran on EC2 capacity (the cost section divides EC2 cost by them).
    pub fn ec2_pods(&self) -> u64 {
        self.ec2_pods
    }

    /// Text under the plot in report.md.
    pub fn note(&self) -> &'static str {
        "Pending = scheduled − submit (waiting for a node or a Fargate slot); start-up = \
         running − submit (adds image pull and container start). Pods that never got there are \
         left out."
    }
}

/// The step function of the empirical CDF of sorted `v`: at each distinct value it jumps from
/// the share below to the share at or below. Values closer than `resolution` (about a pixel)
/// share one step, so a 20,000-pod run draws a few thousand points, not 40,000, and looks the
/// same.
pub fn cdf_steps(v: &[f64], resolution: f64) -> Vec<(f64, f64)> {
    let n = v.len() as f64;
    let mut pts = Vec::new();
    let mut below = 0.0;
    let mut i = 0;
    while i < v.len() {
        let start = v[i];
        // Swallow every sample within `resolution` of the step's first value.
        let mut j = i + 1;
        while j < v.len() && (v[j] == start || v[j] - start < resolution) {
            j += 1;
        }
        let x = v[j - 1];
        let at = j as f64 / n;
        pts.push((start, below));
        pts.push((x, at));
        below = at;
        i = j;
    }
    pts
}

/// Draws one CDF panel with a line per capacity type.
fn cdf_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    caption: &str,
    x_desc: &str,
    series: &[(&str, &[f64], RGBColor)],
) -> Result<(), String> {
    let x_max = series
        .iter()
        .filter_map(|(_, v, _)| v.last().cloned())
        .fold(0.0, f64::max);
    let x_top = if x_max > 0.0 { x_max * 1.05 } else { 1.0 };
    let mut chart = chart_frame(area, caption, 70)
        .build_cartesian_2d(-0.015 * x_top..x_top, 0.0..1.04)
        .map_err(de)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc("fraction of pods (CDF)")
        .x_label_formatter(&super::timeline::tick)
        .y_label_formatter(&|v| format!("{v:.1}"))
        .x_labels(10)
        .y_labels(6)
        .house_style()
        .draw()
        .map_err(de)?;
    for (label, v, color) in series {
        if v.is_empty() {
            continue;
        }
        let mut pts = cdf_steps(v, x_top / 2000.0);
        pts.push((x_top, 1.0));
        let color = *color;
        chart
            .draw_series(LineSeries::new(pts, color.stroke_width(2)))
            .map_err(de)?
            .label(format!("{label} (n = {})", v.len()))
            .legend(line_swatch(color));
    }
    draw_legend(&mut chart, SeriesLabelPosition::LowerRight)?;
    Ok(())
}

impl Plot for Latency {
    fn stem(&self) -> &'static str {
        "latency_cdf"
    }
    fn title(&self) -> &'static str {
        "Pod latency CDF by capacity type"
    }
    fn size(&self) -> (u32, u32) {
        (1000, 800)
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(de)?;
        let (_, h) = root.dim_in_pixel();
        let (top, bottom) = root.split_vertically(h / 2);
        cdf_panel(
            &top,
            "Pending time (submit → scheduled) by capacity type",
            "pending time (s)",
            &[
                ("EC2", &self.ec2.pending, BLUE),
                ("Fargate", &self.fargate.pending, ORANGE),
            ],
        )?;
        cdf_panel(
            &bottom,
            "Start-up time (submit → running) by capacity type",
            "start-up time (s)",
            &[
                ("EC2", &self.ec2.startup, BLUE),
                ("Fargate", &self.fargate.startup, ORANGE),
            ],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pods(text: &str) -> (tempfile::TempDir, Result<Latency, ReportError>) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pods.csv"), text).unwrap();
        let l = Scan::open(dir.path(), "pods.csv").and_then(Latency::read);
        (dir, l)
    }

    #[test]
    fn latencies_by_capacity_from_pods_csv() {
        let (_d, l) = pods(
            "pod,submit_s,scheduled_s,running_s,capacity\n\
             a,10,15,40,ec2\n\
             b,0,2.5,,ec2\n\
             c,5,,,ec2\n\
             d,1,31,61,fargate\n\
             e,3,4,5,\n",
        );
        let l = l.unwrap();
        // Sorted; b never ran, c was never scheduled, e has no capacity.
        assert_eq!(l.ec2.pending, vec![2.5, 5.0]);
        assert_eq!(l.ec2.startup, vec![30.0]);
        assert_eq!(l.fargate.pending, vec![30.0]);
        assert_eq!(l.fargate.startup, vec![60.0]);
        // Every EC2 row counts, scheduled or not.
        assert_eq!(l.ec2_pods(), 3);
    }

    #[test]
    fn a_bad_cell_names_file_line_and_column() {
        let (d, l) = pods("submit_s,scheduled_s,running_s,capacity\n1,2,3,ec2\n1,x2,3,ec2\n");
        let e = l.unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}: line 3, column `scheduled_s`: `x2` is not a number",
                d.path().join("pods.csv").display()
            )
        );
        // A ragged row and a missing column are reported too, naming the file.
        let (_d, l) = pods("submit_s,scheduled_s,running_s,capacity\n1,2,3,ec2,9\n");
        let e = l.unwrap_err();
        assert!(matches!(e, ReportError::Unreadable { .. }), "{e}");
        assert!(e.to_string().contains("pods.csv"), "{e}");
        let (_d, l) = pods("submit_s,scheduled_s,capacity\n1,2,ec2\n");
        let e = l.unwrap_err();
        assert!(
            e.to_string()
                .ends_with("pods.csv: missing column `running_s`"),
            "{e}"
        );
    }

    #[test]
    fn cdf_steps_jump_at_distinct_values() {
        // 0, 0, 1, 3: the CDF is 0.5 at 0, 0.75 at 1, 1 at 3.
        let p = cdf_steps(&[0.0, 0.0, 1.0, 3.0], 0.01);
        assert_eq!(
            p,
            vec![
                (0.0, 0.0),
                (0.0, 0.5),
                (1.0, 0.5),
                (1.0, 0.75),
                (3.0, 0.75),
                (3.0, 1.0)
            ]
        );
        // Within the resolution, samples share a step that ends at the last of them.
        let p = cdf_steps(&[1.0, 1.2, 5.0], 0.5);
        assert_eq!(
            p,
            vec![(1.0, 0.0), (1.2, 2.0 / 3.0), (5.0, 2.0 / 3.0), (5.0, 1.0)]
        );
    }
}
