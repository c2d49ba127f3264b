//! `eksim report`: turns one run folder (timeline.csv, pods.csv, nodes.csv, summary.json) into
//! `report.md` plus PNG and SVG plots, so a run can be read without a notebook. Inputs are read
//! by column name, every problem is a typed [`ReportError`] naming the file and column, and every
//! output is written atomically with [`crate::output::write_atomic`]. No timestamps are written,
//! so the same run folder always gives the same bytes.

pub mod cost;
pub mod latency;
pub mod markdown;
pub mod sweep;
pub mod timeline;

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use thiserror::Error;

use crate::output::{OutputError, write_atomic};

/// Why a report could not be made; the input variants name the file (and column) so the user
/// can fix the run folder.
#[derive(Debug, Error)]
pub enum ReportError {
    /// RUN_DIR does not exist or is not a folder.
    #[error("{0}: not a run folder (no such directory)")]
    MissingDir(PathBuf),
    /// A required input file is absent.
    #[error("{0}: missing (a run folder written by `eksim run` has it)")]
    MissingFile(PathBuf),
    /// A file exists but could not be read or parsed.
    #[error("{path}: {message}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A required CSV column is absent.
    #[error("{path}: missing column `{column}`")]
    MissingColumn {
        /// The CSV file.
        path: PathBuf,
        /// The column name.
        column: String,
    },
    /// A CSV cell is not a number.
    #[error("{path}: line {line}, column `{column}`: `{value}` is not a number")]
    BadValue {
        /// The CSV file.
        path: PathBuf,
        /// 1-based line number (the header is line 1).
        line: usize,
        /// The column name.
        column: String,
        /// The offending text.
        value: String,
    },
    /// A required key of summary.json is absent or not a number.
    #[error("{path}: missing or non-numeric key `{key}`")]
    MissingKey {
        /// The JSON file.
        path: PathBuf,
        /// Dotted key path.
        key: String,
    },
    /// plotters failed to draw (not the user's fault).
    #[error("drawing {file}: {message}")]
    Draw {
        /// The plot file being drawn.
        file: String,
        /// The backend's message.
        message: String,
    },
    /// An output file could not be written (not the user's fault).
    #[error(transparent)]
    Output(#[from] OutputError),
}

impl ReportError {
    /// True when the run folder is at fault (exit code 2), false for drawing or disk errors.
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, ReportError::Draw { .. } | ReportError::Output(_))
    }
}

/// A CSV file held as named numeric-or-text columns, so plots ask for columns by header name
/// and a missing column is reported with the file it was expected in.
#[derive(Debug)]
pub struct Table {
    path: PathBuf,
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// Reads `dir/name`; a missing file is [`ReportError::MissingFile`].
    pub fn load(dir: &Path, name: &str) -> Result<Table, ReportError> {
        let path = dir.join(name);
        if !path.is_file() {
            return Err(ReportError::MissingFile(path));
        }
        let unreadable = |e: csv::Error| unreadable(&path, e);
        let mut r = csv::Reader::from_path(&path).map_err(unreadable)?;
        let headers = r
            .headers()
            .map_err(unreadable)?
            .iter()
            .map(str::to_string)
            .collect();
        let mut rows = Vec::new();
        for rec in r.records() {
            rows.push(
                rec.map_err(unreadable)?
                    .iter()
                    .map(str::to_string)
                    .collect(),
            );
        }
        Ok(Table {
            path,
            headers,
            rows,
        })
    }

    /// True when the file has this column (for optional plots).
    pub fn has(&self, column: &str) -> bool {
        self.headers.iter().any(|h| h == column)
    }

    /// Headers, for discovering optional columns.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    fn index(&self, column: &str) -> Result<usize, ReportError> {
        position(&self.path, &self.headers, column)
    }

    /// The column as text, one entry per row.
    pub fn text(&self, column: &str) -> Result<Vec<&str>, ReportError> {
        let i = self.index(column)?;
        Ok(self
            .rows
            .iter()
            .map(|r| r.get(i).map(String::as_str).unwrap_or(""))
            .collect())
    }

    /// The column as numbers; empty cells are `None` (times not reached), anything else that
    /// does not parse is [`ReportError::BadValue`].
    pub fn numbers(&self, column: &str) -> Result<Vec<Option<f64>>, ReportError> {
        let i = self.index(column)?;
        self.rows
            .iter()
            .enumerate()
            .map(|(n, r)| {
                let v = r.get(i).map(String::as_str).unwrap_or("");
                number(&self.path, n + 2, column, v)
            })
            .collect()
    }

    /// The column as numbers with empty cells read as 0 (counters in timeline.csv).
    pub fn dense(&self, column: &str) -> Result<Vec<f64>, ReportError> {
        Ok(self
            .numbers(column)?
            .into_iter()
            .map(|v| v.unwrap_or(0.0))
            .collect())
    }
}

/// A cell as a number: empty is `None` (a time not reached), anything else that does not parse
/// is [`ReportError::BadValue`] naming the file, line and column.
fn number(path: &Path, line: usize, column: &str, v: &str) -> Result<Option<f64>, ReportError> {
    if v.is_empty() {
        return Ok(None);
    }
    v.parse::<f64>()
        .map(Some)
        .map_err(|_| ReportError::BadValue {
            path: path.to_path_buf(),
            line,
            column: column.to_string(),
            value: v.to_string(),
        })
}

/// A CSV file read row by row without being held: pods.csv of a full-trace run has millions of
/// rows, which as a [`Table`] took gigabytes. Columns are asked for by header name, as with a
/// table, and every problem names the file (and line and column).
pub struct Scan {
    path: PathBuf,
    reader: csv::Reader<std::fs::File>,
    headers: Vec<String>,
    record: csv::StringRecord,
    /// 1-based line number of `record` (the header is line 1).
    line: usize,
}

impl Scan {
    /// Opens `dir/name` and reads its header; a missing file is [`ReportError::MissingFile`].
    pub fn open(dir: &Path, name: &str) -> Result<Scan, ReportError> {
        let path = dir.join(name);
        if !path.is_file() {
            return Err(ReportError::MissingFile(path));
        }
        let mut reader = csv::Reader::from_path(&path).map_err(|e| unreadable(&path, e))?;
        let headers = reader
            .headers()
            .map_err(|e| unreadable(&path, e))?
            .iter()
            .map(str::to_string)
            .collect();
        Ok(Scan {
            path,
            reader,
            headers,
            record: csv::StringRecord::new(),
            line: 1,
        })
    }

    /// The position of `column`, for [`Scan::text`] and [`Scan::number`]; a missing column is
    /// [`ReportError::MissingColumn`].
    pub fn column(&self, column: &str) -> Result<usize, ReportError> {
        position(&self.path, &self.headers, column)
    }

    /// Moves to the next row; false at the end of the file.
    pub fn next_row(&mut self) -> Result<bool, ReportError> {
        let more = self
            .reader
            .read_record(&mut self.record)
            .map_err(|e| unreadable(&self.path, e))?;
        self.line += 1;
        Ok(more)
    }

    /// The current row's cell at `column` (from [`Scan::column`]); empty past the row's end, as
    /// in a [`Table`].
    pub fn text(&self, column: usize) -> &str {
        self.record.get(column).unwrap_or("")
    }

    /// The current row's cell at `column` as a number, as [`Table::numbers`] reads it.
    pub fn number(&self, column: usize) -> Result<Option<f64>, ReportError> {
        number(
            &self.path,
            self.line,
            &self.headers[column],
            self.text(column),
        )
    }
}

/// Where `column` is among a file's `headers`; a missing column is
/// [`ReportError::MissingColumn`] naming the file.
fn position(path: &Path, headers: &[String], column: &str) -> Result<usize, ReportError> {
    headers
        .iter()
        .position(|h| h == column)
        .ok_or_else(|| ReportError::MissingColumn {
            path: path.to_path_buf(),
            column: column.to_string(),
        })
}

fn unreadable(path: &Path, e: csv::Error) -> ReportError {
    ReportError::Unreadable {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Okabe–Ito colour-blind-safe palette, so every plot stays readable for the common forms of
/// colour blindness.
pub mod palette {
    use plotters::style::RGBColor;
    /// Orange.
    pub const ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
    /// Sky blue.
    pub const SKY_BLUE: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
    /// Bluish green.
    pub const GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
    /// Blue.
    pub const BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
    /// Vermillion.
    pub const VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
    /// Reddish purple.
    pub const PURPLE: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
}

/// A time axis unit chosen from the run's length so tick labels stay short.
#[derive(Debug, Clone, Copy)]
pub struct TimeAxis {
    /// Seconds per unit.
    pub div: f64,
    /// Axis description, with unit.
    pub label: &'static str,
}

impl TimeAxis {
    /// Minutes up to two hours, hours beyond.
    pub fn for_span(max_s: f64) -> TimeAxis {
        if max_s > 2.0 * 3600.0 {
            TimeAxis {
                div: 3600.0,
                label: "time since start (h)",
            }
        } else {
            TimeAxis {
                div: 60.0,
                label: "time since start (min)",
            }
        }
    }
}

/// Font used by every plot (resolved through fontconfig).
pub const FONT: &str = "sans-serif";

/// A plot that can draw itself on any plotters backend, so the same code makes the SVG and the
/// PNG.
pub trait Plot {
    /// File stem of the outputs (`<stem>.png`, `<stem>.svg`).
    fn stem(&self) -> &'static str;
    /// Title used in report.md.
    fn title(&self) -> &'static str;
    /// Pixel size.
    fn size(&self) -> (u32, u32) {
        (1000, 700)
    }
    /// Draws on `root`; errors are the backend's message.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

/// The frame every plot uses: caption, margins and axis label areas (`y_label_area` pixels
/// for the y tick labels, which vary with their width).
pub(crate) fn chart_frame<'a, 'b, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    caption: &str,
    y_label_area: u32,
) -> ChartBuilder<'a, 'b, DB> {
    let mut b = ChartBuilder::on(area);
    b.caption(caption, (FONT, 22))
        .margin(12)
        .margin_right(30)
        .x_label_area_size(45)
        .y_label_area_size(y_label_area);
    b
}

/// The mesh style every plot uses: label and axis-description fonts, no minor grid lines.
pub(crate) trait HouseStyle {
    /// Applies the style.
    fn house_style(&mut self) -> &mut Self;
}

impl<X: plotters::coord::ranged1d::Ranged, Y: plotters::coord::ranged1d::Ranged, DB: DrawingBackend>
    HouseStyle for plotters::chart::MeshStyle<'_, '_, X, Y, DB>
{
    fn house_style(&mut self) -> &mut Self {
        self.label_style((FONT, 15))
            .axis_desc_style((FONT, 16))
            .light_line_style(WHITE.mix(0.0))
    }
}

/// The legend box every plot uses (readable over the data: near-opaque white, thin border), at
/// `position`, so all plots look alike.
pub(crate) fn draw_legend<'a, DB: DrawingBackend + 'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .position(position)
        .label_font((FONT, 15))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.5))
        .draw()
        .map_err(de)
}

/// A line series' legend swatch: a short thick line in its colour.
pub(crate) fn line_swatch(color: RGBColor) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3))
}

/// Converts a plotters error into the text carried by [`ReportError::Draw`].
pub fn de<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// Renders `plot` to SVG and PNG in `out` (atomically); returns the two file names.
pub fn render<P: Plot>(plot: &P, out: &Path) -> Result<[String; 2], ReportError> {
    let (w, h) = plot.size();
    let svg_name = format!("{}.svg", plot.stem());
    let png_name = format!("{}.png", plot.stem());
    let draw_err = |file: &str, message: String| ReportError::Draw {
        file: file.to_string(),
        message,
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        plot.draw(&root).map_err(|m| draw_err(&svg_name, m))?;
        root.present().map_err(|e| draw_err(&svg_name, de(e)))?;
    }
    let mut rgb = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        plot.draw(&root).map_err(|m| draw_err(&png_name, m))?;
        root.present().map_err(|e| draw_err(&png_name, de(e)))?;
    }
    let mut png = Vec::new();
    {
        use image::ImageEncoder;
        image::codecs::png::PngEncoder::new(&mut png)
            .write_image(&rgb, w, h, image::ColorType::Rgb8)
            .map_err(|e| draw_err(&png_name, e.to_string()))?;
    }
    write_atomic(out, &svg_name, svg.as_bytes())?;
    write_atomic(out, &png_name, &png)?;
    Ok([png_name, svg_name])
}

/// summary.json, kept as parsed JSON so report.md prints its numbers exactly as written.
#[derive(Debug)]
pub struct Summary {
    path: PathBuf,
    value: serde_json::Value,
}

impl Summary {
    /// Reads `dir/summary.json`.
    pub fn load(dir: &Path) -> Result<Summary, ReportError> {
        let path = dir.join("summary.json");
        if !path.is_file() {
            return Err(ReportError::MissingFile(path));
        }
        let text = std::fs::read_to_string(&path).map_err(|e| ReportError::Unreadable {
            path: path.clone(),
            message: e.to_string(),
        })?;
        let value = serde_json::from_str(&text).map_err(|e| ReportError::Unreadable {
            path: path.clone(),
            message: e.to_string(),
        })?;
        Ok(Summary { path, value })
    }

    /// The whole summary.json document (for optional sections such as attribution).
    pub fn value(&self) -> &serde_json::Value {
        &self.value
    }

    /// The value at a dotted key, as its JSON text (numbers verbatim; `null`, which the run
    /// writes for figures that do not apply, e.g. EC2 utilisation without EC2 nodes, as `n/a`);
    /// a missing or non-scalar key is [`ReportError::MissingKey`].
    pub fn get(&self, key: &str) -> Result<String, ReportError> {
        let mut v = &self.value;
        for part in key.split('.') {
            v = v.get(part).ok_or_else(|| ReportError::MissingKey {
                path: self.path.clone(),
                key: key.to_string(),
            })?;
        }
        match v {
            serde_json::Value::Number(n) => Ok(n.to_string()),
            serde_json::Value::String(s) => Ok(s.clone()),
            serde_json::Value::Null => Ok("n/a".to_string()),
            _ => Err(ReportError::MissingKey {
                path: self.path.clone(),
                key: key.to_string(),
            }),
        }
    }
}

/// What [`generate`] wrote, for the CLI to print.
#[derive(Debug)]
pub struct Generated {
    /// Files written into the output folder, report.md last.
    pub files: Vec<PathBuf>,
    /// Why optional plots were skipped.
    pub skipped: Vec<String>,
}

/// Builds the whole report of `run_dir` into `out`: all inputs are read and checked before
/// anything is written, so bad input leaves no output behind.
pub fn generate(run_dir: &Path, out: &Path) -> Result<Generated, ReportError> {
    let name = run_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| run_dir.display().to_string());
    generate_titled(run_dir, out, &name)
}

/// [`generate`] with the name shown in the report's heading (a sweep names its sample runs by
/// variant and seed rather than by folder).
pub fn generate_titled(run_dir: &Path, out: &Path, name: &str) -> Result<Generated, ReportError> {
    if !run_dir.is_dir() {
        return Err(ReportError::MissingDir(run_dir.to_path_buf()));
    }
    let summary = Summary::load(run_dir)?;
    // pods.csv (millions of rows after a full trace) is read beside the small files; which
    // error is reported when several files are bad does not depend on the thread count.
    let (lat, small) = rayon::join(
        || latency::Latency::read(Scan::open(run_dir, "pods.csv")?),
        || -> Result<_, ReportError> {
            let tl = Table::load(run_dir, "timeline.csv")?;
            // nodes.csv is part of a run folder; checked so a truncated folder is reported
            // early.
            let mut nodes = Scan::open(run_dir, "nodes.csv")?;
            while nodes.next_row()? {}
            Ok((
                timeline::Activity::from_table(&tl)?,
                timeline::Resources::from_table(&tl)?,
                cost::CostOverTime::from_table(&tl)?,
            ))
        },
    );
    let (activity, resources, costs) = small?;
    let lat = lat?;
    let table = markdown::summary_rows(&summary)?;

    std::fs::create_dir_all(out).map_err(|source| OutputError {
        path: out.to_path_buf(),
        source,
    })?;
    // The plots are drawn in parallel and listed in this order.
    let ((a, l), (r, c)) = rayon::join(
        || rayon::join(|| render(&activity, out), || render(&lat, out)),
        || {
            rayon::join(
                || render(&resources, out),
                || costs.as_ref().ok().map(|c| render(c, out)).transpose(),
            )
        },
    );
    let mut files = Vec::new();
    let mut sections = Vec::new();
    let mut skipped = Vec::new();
    let mut add = |title: &str, names: [String; 2], note: &str| {
        files.push(out.join(&names[0]));
        files.push(out.join(&names[1]));
        sections.push(markdown::Section {
            title: title.to_string(),
            png: names[0].clone(),
            svg: names[1].clone(),
            note: note.to_string(),
        });
    };
    add(activity.title(), a?, activity.note());
    add(lat.title(), l?, lat.note());
    add(resources.title(), r?, resources.note());
    let mut notes = Vec::new();
    let c = c?;
    match &costs {
        Ok(costs) => {
            if let Some(names) = c {
                add(costs.title(), names, costs.note());
            }
        }
        Err(why) => {
            notes.push(why.clone());
            skipped.push(why.clone());
        }
    }
    let ec2_pods = lat.ec2_pods();
    let mut md = markdown::render(name, &table, &sections, &notes);
    md.push_str(&markdown::cost_section(&summary, ec2_pods));
    files.push(write_atomic(out, "report.md", md.as_bytes())?);
    Ok(Generated { files, skipped })
}

/// Parsed `t_s` column (seconds), shared by the timeline plots.
pub(crate) fn times(t: &Table) -> Result<Vec<f64>, ReportError> {
    t.dense("t_s")
}
