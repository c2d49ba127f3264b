//! Cumulative cost over time stacked by EC2 / Fargate / control plane, drawn only when
//! timeline.csv carries one cumulative cost column per part (older runs have only the total,
//! which cannot be split without recomputing the bill).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::palette::{BLUE, ORANGE, PURPLE};
use super::{HouseStyle, Plot, ReportError, Table, TimeAxis, chart_frame, de, draw_legend, times};

/// Cumulative dollars per part, one entry per timeline row.
#[derive(Debug)]
pub struct CostOverTime {
    t: Vec<f64>,
    parts: Vec<(&'static str, Vec<f64>)>,
}

/// The cumulative cost column of `part` (`ec2`, `fargate`, `control_plane`): any header that
/// mentions `cumulative`, `cost` and the part, so the exact naming chosen by the run writer
/// does not matter.
fn find_column<'a>(tl: &'a Table, part: &str) -> Option<&'a str> {
    tl.headers()
        .iter()
        .find(|h| h.contains("cumulative") && h.contains("cost") && h.contains(part))
        .map(String::as_str)
}

impl CostOverTime {
    /// `Ok(Err(reason))` when timeline.csv has no per-part cumulative cost columns (the plot is
    /// skipped and the reason goes into report.md); `Err` when a column is there but unreadable.
    pub fn from_table(tl: &Table) -> Result<Result<CostOverTime, String>, ReportError> {
        let wanted = [
            ("EC2", "ec2"),
            ("Fargate", "fargate"),
            ("control plane", "control_plane"),
        ];
        let mut parts = Vec::new();
        let mut missing = Vec::new();
        for (label, key) in wanted {
            match find_column(tl, key) {
                Some(col) => parts.push((label, tl.dense(col)?)),
                None => missing.push(key),
            }
        }
        if !missing.is_empty() {
            return Ok(Err(format!(
                "Cost over time is not plotted: timeline.csv has no cumulative cost column for {} \
                 (only the total `cost_usd_cumulative`, which cannot be split without recomputing \
                 the bill). The final split is in the table above.",
                missing.join(", ")
            )));
        }
        Ok(Ok(CostOverTime {
            t: times(tl)?,
            parts,
        }))
    }
}

impl CostOverTime {
    /// Text under the plot in report.md.
    pub fn note(&self) -> &'static str {
        "Stacked bottom to top: EC2, Fargate, control plane; the top edge is the total \
         accrued so far, from the per-part cumulative cost columns of timeline.csv."
    }
}

impl Plot for CostOverTime {
    fn stem(&self) -> &'static str {
        "cost"
    }
    fn title(&self) -> &'static str {
        "Cumulative cost over time"
    }
    fn size(&self) -> (u32, u32) {
        (1000, 500)
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(de)?;
        let axis = TimeAxis::for_span(self.t.last().cloned().unwrap_or(0.0));
        let n = self.t.len();
        // Running sums bottom to top: EC2, EC2 + Fargate, everything.
        let mut stacks: Vec<Vec<f64>> = Vec::new();
        let mut acc = vec![0.0; n];
        for (_, v) in &self.parts {
            for (a, x) in acc.iter_mut().zip(v) {
                *a += x;
            }
            stacks.push(acc.clone());
        }
        let y_max = acc.iter().cloned().fold(0.0, f64::max);
        let x_max = self.t.last().cloned().unwrap_or(0.0) / axis.div;
        let mut chart = chart_frame(root, "Cumulative cost by part (stacked)", 80)
            .build_cartesian_2d(
                0.0..x_max.max(1e-9),
                0.0..(if y_max > 0.0 { y_max * 1.3 } else { 1.0 }),
            )
            .map_err(de)?;
        chart
            .configure_mesh()
            .x_desc(axis.label)
            .y_desc("cumulative cost (USD)")
            .y_label_formatter(&|v| format!("${v:.2}"))
            .x_label_formatter(&super::timeline::tick)
            .x_labels(10)
            .y_labels(6)
            .house_style()
            .draw()
            .map_err(de)?;
        let colors = [BLUE, ORANGE, PURPLE];
        // Draw the tallest band first so lower bands paint over it.
        for (k, ((label, _), top)) in self.parts.iter().zip(&stacks).enumerate().rev() {
            let color = colors[k % colors.len()];
            let pts: Vec<(f64, f64)> = self
                .t
                .iter()
                .zip(top)
                .map(|(x, y)| (x / axis.div, *y))
                .collect();
            chart
                .draw_series(AreaSeries::new(pts, 0.0, color.mix(0.85)).border_style(color))
                .map_err(de)?
                .label(*label)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 6), (x + 20, y + 6)], color.filled())
                });
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
        Ok(())
    }
}
