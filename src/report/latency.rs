//! Empirical CDFs of pod latencies from pods.csv, split by capacity type, so EC2 and Fargate
//! start-up behaviour can be compared at every percentile, not only at p50/p95.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::palette::{BLUE, ORANGE};
use super::{FONT, Plot, ReportError, Table, de, draw_legend, line_swatch};

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
}

impl Latency {
    /// Reads `submit_s, scheduled_s, running_s, capacity`; pods never scheduled (or never
    /// running) are left out of the respective CDF.
    pub fn from_table(pods: &Table) -> Result<Latency, ReportError> {
        let submit = pods.numbers("submit_s")?;
        let sched = pods.numbers("scheduled_s")?;
        let running = pods.numbers("running_s")?;
        let cap = pods.text("capacity")?;
        let mut l = Latency {
            ec2: Samples::default(),
            fargate: Samples::default(),
        };
        for i in 0..submit.len() {
            let s = match cap[i] {
                "ec2" => &mut l.ec2,
                "fargate" => &mut l.fargate,
                _ => continue,
            };
            if let (Some(a), Some(b)) = (submit[i], sched[i]) {
                s.pending.push((b - a).max(0.0));
            }
            if let (Some(a), Some(b)) = (submit[i], running[i]) {
                s.startup.push((b - a).max(0.0));
            }
        }
        for s in [&mut l.ec2, &mut l.fargate] {
            s.pending.sort_by(f64::total_cmp);
            s.startup.sort_by(f64::total_cmp);
        }
        Ok(l)
    }

    /// Text under the plot in report.md.
    pub fn note(&self) -> &'static str {
        "Pending = scheduled − submit (waiting for a node or a Fargate slot); start-up = \
         running − submit (adds image pull and container start). Pods that never got there are \
         left out."
    }
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
    let mut chart = ChartBuilder::on(area)
        .caption(caption, (FONT, 22))
        .margin(12)
        .margin_right(30)
        .x_label_area_size(45)
        .y_label_area_size(70)
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
        .label_style((FONT, 15))
        .axis_desc_style((FONT, 16))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(de)?;
    for (label, v, color) in series {
        if v.is_empty() {
            continue;
        }
        let n = v.len() as f64;
        // Step function: at each sample the CDF jumps from i/n to (i+1)/n.
        let mut pts = Vec::with_capacity(v.len() * 2 + 2);
        let mut prev = 0.0;
        for (i, x) in v.iter().enumerate() {
            pts.push((*x, prev));
            prev = (i + 1) as f64 / n;
            pts.push((*x, prev));
        }
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
