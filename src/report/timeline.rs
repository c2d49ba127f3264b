//! Plots over time from timeline.csv: cluster activity (nodes and pods) and resources
//! (requested vs allocatable CPU and memory), so a reader sees when capacity lagged demand.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::palette::{BLUE, GREEN, ORANGE, SKY_BLUE, VERMILLION};
use super::{
    HouseStyle, Plot, ReportError, Table, TimeAxis, chart_frame, de, draw_legend, line_swatch,
    times,
};

/// One line of a panel: legend text, values per timeline row, colour, dashed or not.
pub(crate) struct Line<'a> {
    pub label: &'a str,
    pub values: &'a [f64],
    pub color: RGBColor,
    pub dashed: bool,
}

/// Tick text without a useless `.0` on whole numbers (counts, whole hours).
pub(crate) fn tick(v: &f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{:.0}", v)
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').to_string()
    }
}

/// Draws one panel of step-free lines against time with its own caption, axis units and legend.
pub(crate) fn line_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    caption: &str,
    axis: TimeAxis,
    y_desc: &str,
    t: &[f64],
    lines: &[Line<'_>],
) -> Result<(), String> {
    let x_max = t.iter().cloned().fold(0.0, f64::max) / axis.div;
    let y_max = lines
        .iter()
        .flat_map(|l| l.values.iter().cloned())
        .fold(0.0, f64::max);
    // Head-room above the highest line for the legend box; a little room below 0 so a line
    // at 0 is not hidden by the axis.
    let y_top = if y_max > 0.0 { y_max * 1.3 } else { 1.0 };
    let mut chart = chart_frame(area, caption, 70)
        .build_cartesian_2d(0.0..x_max.max(1e-9), -0.015 * y_top..y_top)
        .map_err(de)?;
    chart
        .configure_mesh()
        .x_desc(axis.label)
        .y_desc(y_desc)
        .y_label_formatter(&tick)
        .x_label_formatter(&tick)
        .x_labels(10)
        .y_labels(6)
        .house_style()
        .draw()
        .map_err(de)?;
    for l in lines {
        let pts: Vec<(f64, f64)> = t
            .iter()
            .zip(l.values)
            .map(|(x, y)| (x / axis.div, *y))
            .collect();
        let color = l.color;
        let style = color.stroke_width(2);
        let anno = if l.dashed {
            chart
                .draw_series(DashedLineSeries::new(pts, 8, 5, style))
                .map_err(de)?
        } else {
            chart.draw_series(LineSeries::new(pts, style)).map_err(de)?
        };
        anno.label(l.label).legend(line_swatch(color));
    }
    draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;
    Ok(())
}

/// Nodes (launching, ready) and pods (pending, running) over time.
#[derive(Debug)]
pub struct Activity {
    t: Vec<f64>,
    launching: Vec<f64>,
    ready: Vec<f64>,
    pending: Vec<f64>,
    running: Vec<f64>,
}

impl Activity {
    /// Reads `t_s, nodes_launching, nodes_ready, pods_pending, pods_running`.
    pub fn from_table(tl: &Table) -> Result<Activity, ReportError> {
        Ok(Activity {
            t: times(tl)?,
            launching: tl.dense("nodes_launching")?,
            ready: tl.dense("nodes_ready")?,
            pending: tl.dense("pods_pending")?,
            running: tl.dense("pods_running")?,
        })
    }

    /// Text under the plot in report.md.
    pub fn note(&self) -> &'static str {
        "Node counts are EC2 nodes (a Fargate pod has no node of its own); pod counts are all pods. \
         Values as sampled in each timeline.csv row."
    }
}

impl Plot for Activity {
    fn stem(&self) -> &'static str {
        "nodes_pods"
    }
    fn title(&self) -> &'static str {
        "Nodes and pods over time"
    }
    fn size(&self) -> (u32, u32) {
        (1000, 800)
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(de)?;
        let axis = TimeAxis::for_span(self.t.last().cloned().unwrap_or(0.0));
        let (_, h) = root.dim_in_pixel();
        let (top, bottom) = root.split_vertically(h / 2);
        line_panel(
            &top,
            "EC2 nodes over time",
            axis,
            "nodes (count)",
            &self.t,
            &[
                Line {
                    label: "ready",
                    values: &self.ready,
                    color: BLUE,
                    dashed: false,
                },
                Line {
                    label: "launching",
                    values: &self.launching,
                    color: ORANGE,
                    dashed: true,
                },
            ],
        )?;
        line_panel(
            &bottom,
            "Pods over time",
            axis,
            "pods (count)",
            &self.t,
            &[
                Line {
                    label: "running",
                    values: &self.running,
                    color: GREEN,
                    dashed: false,
                },
                Line {
                    label: "pending",
                    values: &self.pending,
                    color: VERMILLION,
                    dashed: true,
                },
            ],
        )
    }
}

/// Requested vs allocatable CPU, and memory when timeline.csv has the memory columns.
#[derive(Debug)]
pub struct Resources {
    t: Vec<f64>,
    cpu_req: Vec<f64>,
    cpu_alloc: Vec<f64>,
    mem: Option<(Vec<f64>, Vec<f64>)>,
}

impl Resources {
    /// Reads `cpu_requested_m, cpu_allocatable_m` (millicores) and, if present,
    /// `memory_requested_mib, memory_allocatable_mib`; converts to cores and GiB.
    pub fn from_table(tl: &Table) -> Result<Resources, ReportError> {
        let scale = |v: Vec<f64>, d: f64| v.into_iter().map(|x| x / d).collect::<Vec<_>>();
        let mem = if tl.has("memory_requested_mib") || tl.has("memory_allocatable_mib") {
            Some((
                scale(tl.dense("memory_requested_mib")?, 1024.0),
                scale(tl.dense("memory_allocatable_mib")?, 1024.0),
            ))
        } else {
            None
        };
        Ok(Resources {
            t: times(tl)?,
            cpu_req: scale(tl.dense("cpu_requested_m")?, 1000.0),
            cpu_alloc: scale(tl.dense("cpu_allocatable_m")?, 1000.0),
            mem,
        })
    }

    /// Text under the plot in report.md.
    pub fn note(&self) -> &'static str {
        "Requested = sum of pod requests on EC2 nodes; allocatable = sum over ready EC2 nodes."
    }
}

impl Plot for Resources {
    fn stem(&self) -> &'static str {
        "resources"
    }
    fn title(&self) -> &'static str {
        "Requested vs allocatable resources"
    }
    fn size(&self) -> (u32, u32) {
        if self.mem.is_some() {
            (1000, 800)
        } else {
            (1000, 450)
        }
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(de)?;
        let axis = TimeAxis::for_span(self.t.last().cloned().unwrap_or(0.0));
        let (_, h) = root.dim_in_pixel();
        let (top, bottom) = match self.mem {
            Some(_) => {
                let (a, b) = root.split_vertically(h / 2);
                (a, Some(b))
            }
            None => (root.clone(), None),
        };
        line_panel(
            &top,
            "CPU on ready EC2 nodes: requested vs allocatable",
            axis,
            "CPU (vCPU cores)",
            &self.t,
            &[
                Line {
                    label: "allocatable",
                    values: &self.cpu_alloc,
                    color: BLUE,
                    dashed: false,
                },
                Line {
                    label: "requested",
                    values: &self.cpu_req,
                    color: ORANGE,
                    dashed: true,
                },
            ],
        )?;
        if let (Some(area), Some((req, alloc))) = (bottom, &self.mem) {
            line_panel(
                &area,
                "Memory on ready EC2 nodes: requested vs allocatable",
                axis,
                "memory (GiB)",
                &self.t,
                &[
                    Line {
                        label: "allocatable",
                        values: alloc,
                        color: SKY_BLUE,
                        dashed: false,
                    },
                    Line {
                        label: "requested",
                        values: req,
                        color: VERMILLION,
                        dashed: true,
                    },
                ],
            )?;
        }
        Ok(())
    }
}
