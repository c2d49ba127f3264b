//! The report of a sweep folder (what `eksim sweep` writes): the one-paragraph answer, a ranking
//! table, per-variant cost and pending-p95 bars with their 95% confidence intervals, cost against
//! start-up p95 with the Pareto frontier marked, cost and pending pods over time for one run of
//! each variant, and the full run report of that run. Every figure comes from variants.csv,
//! sweep.csv and the run folders as written; nothing is re-simulated.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use rayon::prelude::*;

use super::palette::{BLUE, GREEN, ORANGE, PURPLE, SKY_BLUE, VERMILLION};
use super::{
    FONT, Generated, HouseStyle, Plot, ReportError, Table, TimeAxis, chart_frame, de, draw_legend,
    line_swatch, render,
};
use crate::output::{OutputError, write_atomic};

/// Colours given to variants in plan order (Okabe–Ito, then black and yellow).
const VARIANT_COLORS: [RGBColor; 8] = [
    BLUE,
    ORANGE,
    GREEN,
    VERMILLION,
    PURPLE,
    SKY_BLUE,
    RGBColor(0, 0, 0),
    RGBColor(0xF0, 0xE4, 0x42),
];

fn variant_color(i: usize) -> RGBColor {
    VARIANT_COLORS[i % VARIANT_COLORS.len()]
}

/// Mean with its 95% confidence interval, as variants.csv gives it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stat {
    /// Mean over the variant's seeds.
    pub mean: f64,
    /// Lower end of the 95% CI.
    pub low: f64,
    /// Upper end of the 95% CI.
    pub high: f64,
}

/// One row of variants.csv, reduced to what the report shows.
#[derive(Debug, Clone)]
pub struct VariantRow {
    /// Variant id (folder name under runs/).
    pub id: String,
    /// Completed runs behind the means.
    pub runs: usize,
    /// Total cost per run (USD).
    pub cost: Option<Stat>,
    /// Pending-time p95 (s).
    pub pending_p95: Option<Stat>,
    /// Start-up-time p95 (s).
    pub startup_p95: Option<Stat>,
    /// Mean EC2 idle cost (USD).
    pub ec2_idle_usd: Option<f64>,
    /// Mean Fargate rounding plus minimum-charge waste (USD).
    pub fargate_waste_usd: Option<f64>,
}

/// Everything read from a sweep folder before anything is drawn.
#[derive(Debug)]
pub struct SweepData {
    dir: PathBuf,
    /// Variants in plan order.
    pub variants: Vec<VariantRow>,
    /// The first seed of each variant in sweep.csv (the run whose report is embedded).
    pub first_seed: BTreeMap<String, u64>,
    /// answer.md, when the sweep wrote one.
    pub answer: Option<String>,
}

/// True when `dir` looks like a sweep folder (variants.csv and sweep.csv), so `eksim report`
/// can tell sweeps from runs.
pub fn is_sweep_dir(dir: &Path) -> bool {
    dir.join("variants.csv").is_file() && dir.join("sweep.csv").is_file()
}

impl SweepData {
    /// Reads variants.csv, sweep.csv and answer.md of `dir`.
    pub fn load(dir: &Path) -> Result<SweepData, ReportError> {
        let v = Table::load(dir, "variants.csv")?;
        let ids = v.text("variant")?;
        let runs = v.numbers("runs")?;
        let stat = |name: &str| -> Result<Vec<Option<Stat>>, ReportError> {
            let m = v.numbers(&format!("{name}_mean"))?;
            let lo = v.numbers(&format!("{name}_ci95_low"))?;
            let hi = v.numbers(&format!("{name}_ci95_high"))?;
            Ok((0..m.len())
                .map(|i| match (m[i], lo[i], hi[i]) {
                    (Some(mean), Some(low), Some(high)) => Some(Stat { mean, low, high }),
                    _ => None,
                })
                .collect())
        };
        let optional = |name: &str| -> Result<Vec<Option<f64>>, ReportError> {
            let col = format!("{name}_mean");
            if v.has(&col) {
                v.numbers(&col)
            } else {
                Ok(vec![None; ids.len()])
            }
        };
        let cost = stat("cost_usd_total")?;
        let pending = stat("pending_p95_s")?;
        let startup = stat("startup_p95_s")?;
        let idle = optional("ec2_idle_usd")?;
        let rounding = optional("fargate_rounding_usd")?;
        let minimum = optional("fargate_minimum_charge_usd")?;
        let variants = (0..ids.len())
            .map(|i| VariantRow {
                id: ids[i].to_string(),
                runs: runs[i].unwrap_or(0.0) as usize,
                cost: cost[i],
                pending_p95: pending[i],
                startup_p95: startup[i],
                ec2_idle_usd: idle[i],
                fargate_waste_usd: match (rounding[i], minimum[i]) {
                    (None, None) => None,
                    (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
                },
            })
            .collect();
        let s = Table::load(dir, "sweep.csv")?;
        let mut first_seed = BTreeMap::new();
        for (id, seed) in s.text("variant")?.into_iter().zip(s.numbers("seed")?) {
            if let Some(seed) = seed {
                first_seed.entry(id.to_string()).or_insert(seed as u64);
            }
        }
        let answer = std::fs::read_to_string(dir.join("answer.md"))
            .ok()
            .map(|t| t.trim_end().to_string());
        Ok(SweepData {
            dir: dir.to_path_buf(),
            variants,
            first_seed,
            answer,
        })
    }

    /// The run folder whose report stands for `variant` (its first seed), if it exists.
    pub fn sample_run(&self, variant: &str) -> Option<PathBuf> {
        let seed = self.first_seed.get(variant)?;
        let dir = self
            .dir
            .join("runs")
            .join(variant)
            .join(format!("seed={seed}"));
        dir.join("summary.json").is_file().then_some(dir)
    }

    /// Indices of the variants no other variant beats on both cost and start-up p95 (lower or
    /// equal on both, lower on one), in plan order.
    pub fn pareto(&self) -> Vec<usize> {
        pareto_front(
            &self
                .variants
                .iter()
                .map(|v| match (v.cost, v.startup_p95) {
                    (Some(c), Some(s)) => Some((c.mean, s.mean)),
                    _ => None,
                })
                .collect::<Vec<_>>(),
        )
    }

    /// Variant indices by mean cost, cheapest first (ties and variants without a cost keep plan
    /// order, the latter last).
    pub fn ranking(&self) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..self.variants.len()).collect();
        idx.sort_by(|&a, &b| {
            let (ca, cb) = (self.variants[a].cost, self.variants[b].cost);
            match (ca, cb) {
                (Some(x), Some(y)) => x.mean.total_cmp(&y.mean),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            }
            .then(a.cmp(&b))
        });
        idx
    }
}

/// Pareto-optimal points (minimise both coordinates); `None` entries never are.
pub fn pareto_front(points: &[Option<(f64, f64)>]) -> Vec<usize> {
    (0..points.len())
        .filter(|&i| {
            let Some((x, y)) = points[i] else {
                return false;
            };
            !points.iter().enumerate().any(|(j, p)| {
                j != i && p.is_some_and(|(a, b)| a <= x && b <= y && (a < x || b < y))
            })
        })
        .collect()
}

/// Horizontal bars with CI whiskers, one panel per figure, so long variant names never overlap.
struct VariantBars<'a> {
    data: &'a SweepData,
}

/// Pixel width of the longest variant name at the label font, plus padding.
fn name_width(names: &[&str]) -> u32 {
    let longest = names.iter().map(|n| n.chars().count()).max().unwrap_or(4) as u32;
    (longest * 9 + 24).clamp(80, 320)
}

fn bar_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    caption: &str,
    x_desc: &str,
    names: &[&str],
    values: &[Option<Stat>],
    fmt: &dyn Fn(f64) -> String,
) -> Result<(), String> {
    let n = names.len() as i32;
    let top = values
        .iter()
        .flatten()
        .map(|s| s.high.max(s.mean))
        .fold(0.0, f64::max);
    let x_top = if top > 0.0 { top * 1.3 } else { 1.0 };
    let mut chart = chart_frame(area, caption, name_width(names))
        // A discrete i32 range includes its end: 0..n − 1 is n segments.
        .build_cartesian_2d(0.0..x_top, (0..(n - 1).max(0)).into_segmented())
        .map_err(de)?;
    // The first variant at the top: segment j holds variant n − 1 − j.
    let label = |v: &SegmentValue<i32>| match v {
        SegmentValue::CenterOf(j) | SegmentValue::Exact(j) if (0..n).contains(j) => {
            names[(n - 1 - j) as usize].to_string()
        }
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .x_label_formatter(&|v| fmt(*v))
        .y_label_formatter(&label)
        .x_labels(8)
        .y_labels(names.len())
        .house_style()
        .disable_y_mesh()
        .draw()
        .map_err(de)?;
    for (k, v) in values.iter().enumerate() {
        let j = n - 1 - k as i32;
        let color = variant_color(k);
        let Some(s) = v else {
            chart
                .draw_series(std::iter::once(
                    EmptyElement::at((0.0, SegmentValue::CenterOf(j)))
                        + Text::new("no data", (8, -8), (FONT, 15)),
                ))
                .map_err(de)?;
            continue;
        };
        let mut bar = Rectangle::new(
            [
                (0.0, SegmentValue::Exact(j)),
                (s.mean, SegmentValue::Exact(j + 1)),
            ],
            color.mix(0.85).filled(),
        );
        bar.set_margin(10, 10, 0, 0);
        chart.draw_series(std::iter::once(bar)).map_err(de)?;
        // Whisker: a line from the CI's low to its high end with a cap at each end.
        let whisker = BLACK.stroke_width(2);
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![
                    (s.low, SegmentValue::CenterOf(j)),
                    (s.high, SegmentValue::CenterOf(j)),
                ],
                whisker,
            )))
            .map_err(de)?;
        chart
            .draw_series([s.low, s.high].into_iter().map(|x| {
                EmptyElement::at((x, SegmentValue::CenterOf(j)))
                    + PathElement::new(vec![(0, -7), (0, 7)], whisker)
            }))
            .map_err(de)?;
        let text = format!("{} [{}, {}]", fmt(s.mean), fmt(s.low), fmt(s.high));
        chart
            .draw_series(std::iter::once(
                EmptyElement::at((s.high.max(s.mean), SegmentValue::CenterOf(j)))
                    + Text::new(text, (10, -8), (FONT, 15)),
            ))
            .map_err(de)?;
    }
    Ok(())
}

impl Plot for VariantBars<'_> {
    fn stem(&self) -> &'static str {
        "variants"
    }
    fn title(&self) -> &'static str {
        "Cost and pending-time p95 per variant"
    }
    fn size(&self) -> (u32, u32) {
        (
            1000,
            2 * (110 + 50 * self.data.variants.len().max(1) as u32),
        )
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(de)?;
        let (_, h) = root.dim_in_pixel();
        let (top, bottom) = root.split_vertically(h / 2);
        let names: Vec<&str> = self.data.variants.iter().map(|v| v.id.as_str()).collect();
        let cost: Vec<Option<Stat>> = self.data.variants.iter().map(|v| v.cost).collect();
        let pending: Vec<Option<Stat>> = self.data.variants.iter().map(|v| v.pending_p95).collect();
        bar_panel(
            &top,
            "Mean cost per run (bar) with 95% CI (whiskers)",
            "total cost per run (USD)",
            &names,
            &cost,
            &|x| format!("${x:.2}"),
        )?;
        bar_panel(
            &bottom,
            "Pending time p95 (bar) with 95% CI (whiskers)",
            "pending time p95 (s)",
            &names,
            &pending,
            &|x| format!("{x:.1} s"),
        )
    }
}

/// Axis-aligned pixel box, for label placement.
#[derive(Debug, Clone, Copy)]
struct PixelBox {
    x0: i32,
    y0: i32,
    x1: i32,
    y1: i32,
}

impl PixelBox {
    fn overlaps(&self, o: &PixelBox) -> bool {
        self.x0 < o.x1 && o.x0 < self.x1 && self.y0 < o.y1 && o.y0 < self.y1
    }
    fn inside(&self, o: &PixelBox) -> bool {
        self.x0 >= o.x0 && self.x1 <= o.x1 && self.y0 >= o.y0 && self.y1 <= o.y1
    }
}

/// Places a `w × h` label near `p`, trying positions around it at growing distance and taking
/// the first that stays inside `bounds` and clear of `taken`; falls back to the right of `p`.
fn place_label(
    p: (i32, i32),
    (w, h): (i32, i32),
    bounds: &PixelBox,
    taken: &[PixelBox],
) -> PixelBox {
    let gap = 10;
    for ring in 1..=4 {
        let d = gap * ring;
        let candidates = [
            (p.0 + d, p.1 - h / 2),
            (p.0 - d - w, p.1 - h / 2),
            (p.0 - w / 2, p.1 - d - h),
            (p.0 - w / 2, p.1 + d),
            (p.0 + d, p.1 - d - h),
            (p.0 + d, p.1 + d),
            (p.0 - d - w, p.1 - d - h),
            (p.0 - d - w, p.1 + d),
        ];
        for (x, y) in candidates {
            let b = PixelBox {
                x0: x,
                y0: y,
                x1: x + w,
                y1: y + h,
            };
            if b.inside(bounds) && !taken.iter().any(|t| t.overlaps(&b)) {
                return b;
            }
        }
    }
    PixelBox {
        x0: p.0 + gap,
        y0: p.1 - h / 2,
        x1: p.0 + gap + w,
        y1: p.1 + h / 2,
    }
}

/// Mean cost against mean start-up p95, one point per variant with both CIs, the Pareto
/// frontier joined by a line.
struct ParetoPlot<'a> {
    data: &'a SweepData,
}

impl Plot for ParetoPlot<'_> {
    fn stem(&self) -> &'static str {
        "pareto"
    }
    fn title(&self) -> &'static str {
        "Cost against start-up p95, Pareto frontier"
    }
    fn size(&self) -> (u32, u32) {
        (1000, 650)
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(de)?;
        let pts: Vec<(usize, Stat, Stat)> = self
            .data
            .variants
            .iter()
            .enumerate()
            .filter_map(|(i, v)| Some((i, v.cost?, v.startup_p95?)))
            .collect();
        let span = |lo: f64, hi: f64, pad_low: f64, pad_high: f64| {
            let w = if hi > lo { hi - lo } else { hi.abs().max(1.0) };
            ((lo - pad_low * w).max(0.0), hi + pad_high * w)
        };
        let (x0, x1) = span(
            pts.iter().map(|p| p.1.low).fold(f64::INFINITY, f64::min),
            pts.iter().map(|p| p.1.high).fold(0.0, f64::max),
            0.15,
            0.15,
        );
        let (y0, y1) = span(
            pts.iter().map(|p| p.2.low).fold(f64::INFINITY, f64::min),
            pts.iter().map(|p| p.2.high).fold(0.0, f64::max),
            0.1,
            0.35,
        );
        let (x0, x1, y0, y1) = if pts.is_empty() {
            (0.0, 1.0, 0.0, 1.0)
        } else {
            (x0, x1, y0, y1)
        };
        let mut chart = chart_frame(
            root,
            "Mean cost per run against start-up p95 (lower left is better)",
            80,
        )
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(de)?;
        chart
            .configure_mesh()
            .x_desc("mean total cost per run (USD)")
            .y_desc("start-up time p95 (s)")
            .x_label_formatter(&|v| format!("${v:.2}"))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .x_labels(8)
            .y_labels(8)
            .house_style()
            .draw()
            .map_err(de)?;
        let front = self.data.pareto();
        let mut line: Vec<(f64, f64)> = pts
            .iter()
            .filter(|p| front.contains(&p.0))
            .map(|p| (p.1.mean, p.2.mean))
            .collect();
        line.sort_by(|a, b| a.0.total_cmp(&b.0));
        let grey = RGBColor(0x55, 0x55, 0x55);
        chart
            .draw_series(DashedLineSeries::new(line, 10, 6, grey.stroke_width(2)))
            .map_err(de)?
            .label("Pareto frontier: no variant is both cheaper and faster")
            .legend(line_swatch(grey));
        for (i, c, s) in &pts {
            let color = variant_color(*i);
            chart
                .draw_series(std::iter::once(ErrorBar::new_horizontal(
                    s.mean,
                    c.low,
                    c.mean,
                    c.high,
                    color.stroke_width(2),
                    10,
                )))
                .map_err(de)?;
            chart
                .draw_series(std::iter::once(ErrorBar::new_vertical(
                    c.mean,
                    s.low,
                    s.mean,
                    s.high,
                    color.stroke_width(2),
                    10,
                )))
                .map_err(de)?;
            let marker = if front.contains(i) {
                Circle::new((c.mean, s.mean), 7, color.filled())
            } else {
                Circle::new((c.mean, s.mean), 7, color.stroke_width(2))
            };
            chart.draw_series(std::iter::once(marker)).map_err(de)?;
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        // Variant names beside their points, placed clear of each other, of the markers and of
        // the legend (upper right, about 460 × 40 px).
        let (top_left, bottom_right) = (
            chart.backend_coord(&(x0, y1)),
            chart.backend_coord(&(x1, y0)),
        );
        let bounds = PixelBox {
            x0: top_left.0,
            y0: top_left.1,
            x1: bottom_right.0,
            y1: bottom_right.1,
        };
        let mut taken: Vec<PixelBox> = vec![PixelBox {
            x0: bounds.x1 - 480,
            y0: bounds.y0,
            x1: bounds.x1,
            y1: bounds.y0 + 50,
        }];
        let centers: Vec<(i32, i32)> = pts
            .iter()
            .map(|(_, c, s)| chart.backend_coord(&(c.mean, s.mean)))
            .collect();
        for (k, &(x, y)) in centers.iter().enumerate() {
            taken.push(PixelBox {
                x0: x - 9,
                y0: y - 9,
                x1: x + 9,
                y1: y + 9,
            });
            // The CI crosses, so a name never sits on a whisker.
            let (_, c, s) = pts[k];
            let (lo, hi) = (
                chart.backend_coord(&(c.low, s.mean)).0,
                chart.backend_coord(&(c.high, s.mean)).0,
            );
            taken.push(PixelBox {
                x0: lo - 1,
                y0: y - 6,
                x1: hi + 1,
                y1: y + 6,
            });
            let (top, bottom) = (
                chart.backend_coord(&(c.mean, s.high)).1,
                chart.backend_coord(&(c.mean, s.low)).1,
            );
            taken.push(PixelBox {
                x0: x - 6,
                y0: top - 1,
                x1: x + 6,
                y1: bottom + 1,
            });
        }
        let font: TextStyle = (FONT, 16).into();
        for (k, (i, _, _)) in pts.iter().enumerate() {
            let name = &self.data.variants[*i].id;
            let (w, h) = root.estimate_text_size(name, &font).map_err(de)?;
            let b = place_label(centers[k], (w as i32, h as i32), &bounds, &taken);
            root.draw(&Text::new(
                name.clone(),
                (b.x0, b.y0),
                font.color(&variant_color(*i)),
            ))
            .map_err(de)?;
            taken.push(b);
        }
        Ok(())
    }
}

/// One variant's line: its index (for the colour), name, and (t_s, value) points.
type VariantSeries = (usize, String, Vec<(f64, f64)>);

/// One timeline column of the sample run of each variant, one line per variant.
struct AcrossVariants {
    stem: &'static str,
    title: &'static str,
    caption: &'static str,
    y_desc: &'static str,
    dollars: bool,
    series: Vec<VariantSeries>,
}

impl AcrossVariants {
    fn load(
        data: &SweepData,
        column: &str,
        stem: &'static str,
        title: &'static str,
        caption: &'static str,
        y_desc: &'static str,
        dollars: bool,
    ) -> Result<Option<AcrossVariants>, ReportError> {
        let mut series = Vec::new();
        for (i, v) in data.variants.iter().enumerate() {
            let Some(dir) = data.sample_run(&v.id) else {
                continue;
            };
            let tl = Table::load(&dir, "timeline.csv")?;
            if !tl.has(column) {
                continue;
            }
            let t = super::times(&tl)?;
            let y = tl.dense(column)?;
            series.push((i, v.id.clone(), t.into_iter().zip(y).collect()));
        }
        Ok((!series.is_empty()).then_some(AcrossVariants {
            stem,
            title,
            caption,
            y_desc,
            dollars,
            series,
        }))
    }
}

impl Plot for AcrossVariants {
    fn stem(&self) -> &'static str {
        self.stem
    }
    fn title(&self) -> &'static str {
        self.title
    }
    fn size(&self) -> (u32, u32) {
        (1000, 500)
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        root.fill(&WHITE).map_err(de)?;
        let t_max = self
            .series
            .iter()
            .flat_map(|s| s.2.last().map(|p| p.0))
            .fold(0.0, f64::max);
        let y_max = self
            .series
            .iter()
            .flat_map(|s| s.2.iter().map(|p| p.1))
            .fold(0.0, f64::max);
        let axis = TimeAxis::for_span(t_max);
        let dollars = self.dollars;
        let mut chart = chart_frame(root, self.caption, 80)
            .build_cartesian_2d(
                0.0..(t_max / axis.div).max(1e-9),
                0.0..(if y_max > 0.0 { y_max * 1.35 } else { 1.0 }),
            )
            .map_err(de)?;
        chart
            .configure_mesh()
            .x_desc(axis.label)
            .y_desc(self.y_desc)
            .x_label_formatter(&super::timeline::tick)
            .y_label_formatter(&|v| {
                if dollars {
                    format!("${v:.2}")
                } else {
                    super::timeline::tick(v)
                }
            })
            .x_labels(10)
            .y_labels(6)
            .house_style()
            .draw()
            .map_err(de)?;
        for (i, name, pts) in &self.series {
            let color = variant_color(*i);
            chart
                .draw_series(LineSeries::new(
                    pts.iter().map(|(t, y)| (t / axis.div, *y)),
                    color.stroke_width(2),
                ))
                .map_err(de)?
                .label(name.as_str())
                .legend(line_swatch(color));
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
        Ok(())
    }
}

fn ci(s: Option<Stat>, fmt: &dyn Fn(f64) -> String) -> String {
    s.map(|s| format!("{} [{}, {}]", fmt(s.mean), fmt(s.low), fmt(s.high)))
        .unwrap_or_else(|| "n/a".into())
}

/// The ranking table in markdown (cheapest first).
pub fn ranking_table(data: &SweepData) -> String {
    let front = data.pareto();
    let usd = |x: f64| format!("${x:.2}");
    let secs = |x: f64| format!("{x:.1} s");
    let mut md = String::from(
        "| rank | variant | runs | cost per run (USD, 95% CI) | pending p95 (95% CI) | start-up p95 (95% CI) | EC2 idle (USD) | Fargate rounding + minimum (USD) | Pareto-optimal |\n\
         |---:|---|---:|---|---|---|---:|---:|:---:|\n",
    );
    for (rank, &i) in data.ranking().iter().enumerate() {
        let v = &data.variants[i];
        md.push_str(&format!(
            "| {} | `{}` | {} | {} | {} | {} | {} | {} | {} |\n",
            rank + 1,
            v.id,
            v.runs,
            ci(v.cost, &usd),
            ci(v.pending_p95, &secs),
            ci(v.startup_p95, &secs),
            v.ec2_idle_usd.map(usd).unwrap_or_else(|| "n/a".into()),
            v.fargate_waste_usd.map(usd).unwrap_or_else(|| "n/a".into()),
            if front.contains(&i) { "yes" } else { "" },
        ));
    }
    md
}

fn section(md: &mut String, title: &str, files: &[String; 2], note: &str, prefix: &str) {
    md.push_str(&format!(
        "\n## {title}\n\n![{title}]({prefix}{})\n\n{note} ([SVG]({prefix}{}))\n",
        files[0], files[1]
    ));
}

/// Builds the sweep report of `dir` into `out`: report.md, plots under `plots/`, and the run
/// report of each variant's first seed under `variants/<variant>/`. All inputs are read before
/// anything is written.
pub fn generate(dir: &Path, out: &Path) -> Result<Generated, ReportError> {
    let data = SweepData::load(dir)?;
    let cost_lines = AcrossVariants::load(
        &data,
        "cost_usd_cumulative",
        "cost_over_time",
        "Cumulative cost, one run per variant",
        "Cumulative total cost over time (first seed of each variant)",
        "cumulative cost (USD)",
        true,
    )?;
    let pending_lines = AcrossVariants::load(
        &data,
        "pods_pending",
        "pending_over_time",
        "Pending pods, one run per variant",
        "Pods pending over time (first seed of each variant)",
        "pods pending",
        false,
    )?;
    let plots = out.join("plots");
    std::fs::create_dir_all(&plots).map_err(|source| OutputError {
        path: plots.clone(),
        source,
    })?;
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| dir.display().to_string());
    let mut md = format!("# eksim sweep report: {name}\n\n");
    md.push_str(
        "Figures from `variants.csv` (mean and 95% confidence interval over each variant's \
         seeds) and `sweep.csv`, as the sweep wrote them.\n",
    );
    if let Some(a) = &data.answer {
        md.push_str(&format!("\n## The answer\n\n{a}\n"));
    }
    md.push_str("\n## Ranking by cost\n\n");
    md.push_str(&ranking_table(&data));
    md.push_str(
        "\nPareto-optimal: no other variant is both cheaper and faster to start (lower or equal \
         mean cost and start-up p95, lower in one).\n",
    );
    let bars = VariantBars { data: &data };
    let pareto = ParetoPlot { data: &data };
    // The plots and the run report of each variant are drawn in parallel; the sections keep
    // this order, and the first error in it is the one reported.
    let ((bars_files, pareto_files), (lines_files, variant_reports)) = rayon::join(
        || rayon::join(|| render(&bars, &plots), || render(&pareto, &plots)),
        || {
            rayon::join(
                || {
                    [&cost_lines, &pending_lines]
                        .par_iter()
                        .map(|p| p.as_ref().map(|p| render(p, &plots)).transpose())
                        .collect::<Vec<_>>()
                },
                || {
                    data.variants
                        .par_iter()
                        .map(|v| {
                            let Some(run) = data.sample_run(&v.id) else {
                                return Ok(None);
                            };
                            let vout = out.join("variants").join(&v.id);
                            let title = format!("{} (seed {})", v.id, data.first_seed[&v.id]);
                            super::generate_titled(&run, &vout, &title).map(Some)
                        })
                        .collect::<Vec<_>>()
                },
            )
        },
    );
    let f = bars_files?;
    section(
        &mut md,
        bars.title(),
        &f,
        "Bars are means over the seeds; whiskers and the bracketed figures are the 95% \
         confidence interval of the mean (Student's t).",
        "plots/",
    );
    files.extend(f.iter().map(|n| plots.join(n)));
    let f = pareto_files?;
    section(
        &mut md,
        pareto.title(),
        &f,
        "Filled markers are Pareto-optimal; crosses are 95% confidence intervals on both axes.",
        "plots/",
    );
    files.extend(f.iter().map(|n| plots.join(n)));
    for ((plot, note), drawn) in [
        (
            &cost_lines,
            "Total cost accrued so far (EC2, Fargate and control plane) in one run of each \
             variant, its first seed.",
        ),
        (
            &pending_lines,
            "Pods waiting for a node or a Fargate micro-VM, sampled with the timeline, in the \
             same runs.",
        ),
    ]
    .into_iter()
    .zip(lines_files)
    {
        match (plot, drawn?) {
            (Some(p), Some(f)) => {
                section(&mut md, p.title(), &f, note, "plots/");
                files.extend(f.iter().map(|n| plots.join(n)));
            }
            _ => skipped.push(format!(
                "{}: no run folders under {}/runs (a merged or copied sweep), plot skipped",
                dir.display(),
                dir.display()
            )),
        }
    }
    let mut links = Vec::new();
    for (v, report) in data.variants.iter().zip(variant_reports) {
        let Some(g) = report? else {
            continue;
        };
        files.extend(g.files);
        skipped.extend(g.skipped);
        links.push(format!(
            "- [`{}`, seed {}](variants/{}/report.md): summary, nodes and pods, latency CDF by \
             capacity type, utilisation, cost over time, EC2 vs Fargate side by side, who pays",
            v.id, data.first_seed[&v.id], v.id
        ));
    }
    if !links.is_empty() {
        md.push_str("\n## One run of each variant\n\n");
        md.push_str(&links.join("\n"));
        md.push('\n');
    }
    files.push(write_atomic(out, "report.md", md.as_bytes())?);
    Ok(Generated { files, skipped })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pareto_keeps_the_undominated() {
        let p = [
            Some((22.1, 1061.9)),
            Some((22.6, 1048.6)),
            Some((42.8, 61.5)),
            Some((44.0, 42.2)),
            Some((45.0, 61.5)),
            None,
        ];
        assert_eq!(pareto_front(&p), vec![0, 1, 2, 3]);
        // Equal on both: neither dominates the other.
        assert_eq!(
            pareto_front(&[Some((1.0, 1.0)), Some((1.0, 1.0))]),
            vec![0, 1]
        );
        // Equal cost, slower: dominated.
        assert_eq!(pareto_front(&[Some((1.0, 1.0)), Some((1.0, 2.0))]), vec![0]);
    }

    #[test]
    fn labels_avoid_each_other_and_stay_inside() {
        let bounds = PixelBox {
            x0: 0,
            y0: 0,
            x1: 500,
            y1: 400,
        };
        let mut taken = Vec::new();
        for p in [(100, 100), (104, 103), (108, 98)] {
            let b = place_label(p, (80, 18), &bounds, &taken);
            assert!(b.inside(&bounds));
            assert!(!taken.iter().any(|t: &PixelBox| t.overlaps(&b)));
            taken.push(b);
        }
        // Near the right edge the label goes left.
        let b = place_label((495, 200), (80, 18), &bounds, &[]);
        assert!(b.x1 <= 495);
    }
}
