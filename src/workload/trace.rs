//! The canonical trace CSV reader (format in DESIGN.md). It streams: one row is parsed per pod
//! the engine asks for, so memory stays flat whatever the trace length. Every malformed row is
//! reported with its file and line and what was expected.

use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;

use csv::{ByteRecord, ReaderBuilder};

use super::{PodImage, PodSource, PodSpec, SharedLabels, SharedStr, WorkloadError, parse_labels};
use crate::cluster::resources::Resources;
use crate::sim::time::{SimDuration, SimTime, round_to_u64};
use crate::text::same_text;

/// Columns every trace must have.
pub const REQUIRED_COLUMNS: [&str; 4] = ["submit_s", "cpu_m", "memory_mib", "duration_s"];

/// Every column the reader uses (others are ignored).
const KNOWN_COLUMNS: [&str; 12] = [
    "submit_s",
    "cpu_m",
    "memory_mib",
    "duration_s",
    "name",
    "namespace",
    "labels",
    "gpu",
    "priority",
    "group",
    "image",
    "node_selector",
];

/// A validated trace reference from a scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceSpec {
    /// The CSV file, resolved against the scenario's folder.
    pub path: PathBuf,
    /// If set, every pod goes to this namespace whatever its row says.
    pub namespace: Option<String>,
    /// Labels added to every pod (a row's own labels win on the same key).
    pub labels: Vec<(String, String)>,
    /// Shift added to every submit time.
    pub offset: SimDuration,
    /// nodeSelector of every pod; a row's `node_selector` column (`k=v;k2=v2`) adds to it.
    pub node_selector: Vec<(String, String)>,
    /// Tolerations of every pod (each pod shares them).
    pub tolerations: std::sync::Arc<[crate::cluster::taints::Toleration]>,
    /// Affinity and spread of every pod.
    pub constraints: std::sync::Arc<super::PodConstraints>,
}

impl TraceSpec {
    /// A copy whose constraints and tolerations are allocations of their own, for a run on
    /// another thread (see [`super::PodTemplate::unshared`]): every pod read clones them.
    pub fn unshared(&self) -> TraceSpec {
        TraceSpec {
            constraints: std::sync::Arc::new(super::PodConstraints::clone(&self.constraints)),
            tolerations: std::sync::Arc::from(&*self.tolerations),
            ..self.clone()
        }
    }

    /// The file read as it is: no namespace, labels, offset, selector, tolerations or
    /// constraints added (trace import and stats, tests).
    pub fn plain(path: impl Into<PathBuf>) -> TraceSpec {
        TraceSpec {
            path: path.into(),
            namespace: None,
            labels: vec![],
            offset: SimDuration::ZERO,
            node_selector: vec![],
            tolerations: Default::default(),
            constraints: Default::default(),
        }
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct Columns {
    submit: usize,
    cpu: usize,
    memory: usize,
    duration: usize,
    name: Option<usize>,
    namespace: Option<usize>,
    labels: Option<usize>,
    gpu: Option<usize>,
    priority: Option<usize>,
    group: Option<usize>,
    image: Option<usize>,
    node_selector: Option<usize>,
}

/// Streams pods from a canonical trace CSV.
#[derive(Debug)]
pub struct TraceSource {
    spec: TraceSpec,
    reader: csv::Reader<BufReader<File>>,
    cols: Columns,
    record: ByteRecord,
    last_submit: SimTime,
    rows: u64,
    stem: String,
    reuse: RowReuse,
}

/// The last value made from a column's text, reused while consecutive rows repeat the text:
/// the rows of one job share namespace, group, image and labels, so a multi-million-row trace
/// parses and allocates them once per run of rows instead of once per row.
#[derive(Debug)]
struct Reuse<T> {
    text: Vec<u8>,
    value: Option<T>,
}

impl<T> Default for Reuse<T> {
    fn default() -> Self {
        Reuse {
            text: Vec::new(),
            value: None,
        }
    }
}

impl<T: Clone> Reuse<T> {
    /// The value for the (trimmed) field `raw`: the last one if `raw` is the same text, else
    /// `make()`'s. Errors are not kept: a bad field fails wherever it appears.
    fn get(&mut self, raw: &[u8], make: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
        if let Some(v) = &self.value
            && same_text(&self.text, raw)
        {
            return Ok(v.clone());
        }
        let v = make()?;
        self.text.clear();
        self.text.extend_from_slice(raw);
        self.value = Some(v.clone());
        Ok(v)
    }
}

/// The reused values of one trace's text columns.
#[derive(Debug, Default)]
struct RowReuse {
    /// The scenario's namespace for every pod, if it sets one.
    namespace_override: Option<SharedStr>,
    namespace: Reuse<SharedStr>,
    group: Reuse<SharedStr>,
    image: Reuse<SharedStr>,
    labels: Reuse<SharedLabels>,
    node_selector: Reuse<std::sync::Arc<[(String, String)]>>,
}

impl TraceSource {
    /// Opens the trace and checks its header.
    pub fn open(spec: TraceSpec) -> Result<Self, WorkloadError> {
        let file = File::open(&spec.path).map_err(|source| WorkloadError::Io {
            path: spec.path.clone(),
            source,
        })?;
        let mut reader = ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(BufReader::with_capacity(1 << 16, file));
        let err = |line: u64, message: String| WorkloadError::Trace {
            path: spec.path.clone(),
            line,
            message,
        };
        let headers = reader
            .headers()
            .map_err(|e| err(1, format!("cannot read the header: {e}")))?
            .clone();
        // Header names are trimmed of Unicode whitespace around a byte-order mark, as csv's
        // `Trim::All` did before the mark was stripped.
        let names: Vec<String> = headers
            .iter()
            .map(|h| h.trim().trim_start_matches('\u{feff}').trim().to_string())
            .collect();
        if names.len() <= 1 && names.iter().all(String::is_empty) {
            return Err(err(
                1,
                format!(
                    "the file is empty; a trace starts with a header line such as `{}`",
                    REQUIRED_COLUMNS.join(",")
                ),
            ));
        }
        let find = |n: &str| names.iter().position(|h| h == n);
        for n in KNOWN_COLUMNS {
            if names.iter().filter(|h| *h == n).count() > 1 {
                return Err(err(
                    1,
                    format!("the header has the column `{n}` more than once; keep one"),
                ));
            }
        }
        let missing: Vec<&str> = REQUIRED_COLUMNS
            .iter()
            .copied()
            .filter(|c| find(c).is_none())
            .collect();
        if !missing.is_empty() {
            return Err(err(
                1,
                format!(
                    "the header lacks the required column(s) {}; expected a header like \
                     `submit_s,name,namespace,labels,cpu_m,memory_mib,duration_s,gpu,priority,group` \
                     (found `{}`)",
                    missing.join(", "),
                    names.join(",")
                ),
            ));
        }
        let cols = Columns {
            submit: find("submit_s").unwrap_or(0),
            cpu: find("cpu_m").unwrap_or(0),
            memory: find("memory_mib").unwrap_or(0),
            duration: find("duration_s").unwrap_or(0),
            name: find("name"),
            namespace: find("namespace"),
            labels: find("labels"),
            gpu: find("gpu"),
            priority: find("priority"),
            group: find("group"),
            image: find("image"),
            node_selector: find("node_selector"),
        };
        let stem = spec
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "trace".into());
        let reuse = RowReuse {
            namespace_override: spec.namespace.as_deref().map(SharedStr::from),
            ..RowReuse::default()
        };
        Ok(TraceSource {
            spec,
            reader,
            cols,
            record: ByteRecord::new(),
            last_submit: SimTime::ZERO,
            rows: 0,
            stem,
            reuse,
        })
    }

    fn parse_row(&mut self, line: u64) -> Result<PodSpec, String> {
        let rec = &self.record;
        // Fields are trimmed of ASCII whitespace (what csv's `Trim::All` does to every field of
        // every record) only when read, and only the fields read are checked for UTF-8: a bad
        // byte in a column the reader ignores is accepted.
        let field = |i: usize| -> Result<&str, String> {
            std::str::from_utf8(rec.get(i).unwrap_or(b"").trim_ascii())
                .map_err(|_| format!("column {} is not valid UTF-8", i + 1))
        };
        let opt = |i: Option<usize>| -> Result<&str, String> {
            match i {
                Some(i) => field(i),
                None => Ok(""),
            }
        };
        let raw = |i: usize| rec.get(i).unwrap_or(b"").trim_ascii();
        // A plain decimal (the common case) is parsed straight from its bytes; anything else,
        // and every error, goes through `str::parse` and the messages below.
        let number = |name: &str, i: usize| -> Result<f64, String> {
            if let Some(v) = plain_decimal(raw(i))
                && v <= 1.0e12
            {
                return Ok(v);
            }
            let text = field(i)?;
            let v: f64 = text.parse().map_err(|_| {
                if text.is_empty() {
                    format!("{name} is empty; expected a number")
                } else {
                    format!("{name} `{text}` is not a number")
                }
            })?;
            if !v.is_finite() || v < 0.0 {
                return Err(format!("{name} `{text}` must be a finite number >= 0"));
            }
            if v > 1.0e12 {
                return Err(format!("{name} `{text}` is too large"));
            }
            Ok(v)
        };
        let submit_s = number("submit_s", self.cols.submit)?;
        let cpu_m = number("cpu_m", self.cols.cpu)?;
        let memory_mib = number("memory_mib", self.cols.memory)?;
        let duration = if raw(self.cols.duration).is_empty() {
            None
        } else {
            Some(SimDuration::from_secs_f64(number(
                "duration_s",
                self.cols.duration,
            )?))
        };
        let opt_raw = |i: Option<usize>| i.map_or(&b""[..], raw);
        let gpu_raw = opt_raw(self.cols.gpu);
        let gpus: u32 = if gpu_raw.is_empty() {
            0
        } else if let Some(v) = plain_whole(gpu_raw) {
            v
        } else {
            let gpu_text = opt(self.cols.gpu)?;
            gpu_text
                .parse()
                .map_err(|_| format!("gpu `{gpu_text}` is not a whole number >= 0"))?
        };
        let prio_raw = opt_raw(self.cols.priority);
        let priority: i32 = if prio_raw.is_empty() {
            0
        } else if let Some(v) = plain_whole(prio_raw) {
            v as i32
        } else {
            let prio_text = opt(self.cols.priority)?;
            prio_text.parse().map_err(|_| {
                format!(
                    "priority `{prio_text}` is not a whole number from -2147483648 to 2147483647"
                )
            })?
        };
        // Text fields repeated from the previous row (the rows of one job) reuse its values.
        let reuse = &mut self.reuse;
        let labels = reuse.labels.get(opt_raw(self.cols.labels), || {
            let labels_text = opt(self.cols.labels)?;
            let mut labels = parse_labels(labels_text)
                .ok_or_else(|| format!("labels `{labels_text}` are not `key=value;key2=value2`"))?;
            for (k, v) in &self.spec.labels {
                if !labels.iter().any(|(lk, _)| lk == k) {
                    labels.push((k.clone(), v.clone()));
                }
            }
            labels.sort();
            Ok(labels.into())
        })?;
        // Names up to 24 bytes are kept inline (no allocation, no pointer to follow when the
        // pod's row is written long after it was read).
        let name = match opt(self.cols.name)? {
            "" => compact_str::format_compact!("{}-{}", self.stem, self.rows),
            n => compact_str::CompactString::from(n),
        };
        let namespace = reuse.namespace.get(opt_raw(self.cols.namespace), || {
            Ok(
                match (&reuse.namespace_override, opt(self.cols.namespace)?) {
                    (Some(ns), _) => ns.clone(),
                    (None, "") => SharedStr::from("default"),
                    (None, ns) => ns.into(),
                },
            )
        })?;
        let group =
            reuse.group.get(
                opt_raw(self.cols.group),
                || Ok(opt(self.cols.group)?.into()),
            )?;
        let image_raw = opt_raw(self.cols.image);
        let image = if !image_raw.is_empty() {
            PodImage::Named(
                reuse
                    .image
                    .get(image_raw, || Ok(opt(self.cols.image)?.into()))?,
            )
        } else if !group.is_empty() {
            PodImage::Named(group.clone())
        } else {
            PodImage::OwnName
        };
        let node_selector = reuse
            .node_selector
            .get(opt_raw(self.cols.node_selector), || {
                let sel_text = opt(self.cols.node_selector)?;
                let mut node_selector = parse_labels(sel_text).ok_or_else(|| {
                    format!("node_selector `{sel_text}` is not `key=value;key2=value2`")
                })?;
                for (k, v) in &self.spec.node_selector {
                    if !node_selector.iter().any(|(nk, _)| nk == k) {
                        node_selector.push((k.clone(), v.clone()));
                    }
                }
                node_selector.sort();
                Ok(node_selector.into())
            })?;
        let submit = SimTime(SimDuration::from_secs_f64(submit_s).0) + self.spec.offset;
        if submit < self.last_submit {
            return Err(format!(
                "submit_s {} is earlier than the previous row's {}; traces must be sorted by submit_s",
                submit_s,
                crate::sim::time::fmt_secs(self.last_submit.0 - self.spec.offset.0)
            ));
        }
        let _ = line;
        Ok(PodSpec {
            submit,
            name,
            namespace,
            group,
            labels,
            requests: Resources::pod(round_to_u64(cpu_m), round_to_u64(memory_mib), gpus),
            ephemeral_mib: 0,
            duration,
            priority,
            image,
            node_selector,
            tolerations: self.spec.tolerations.clone(),
            privileged: false,
            host_network: false,
            host_port: false,
            preemption_never: false,
            constraints: self.spec.constraints.clone(),
            owner: super::OwnerKind::Job,
        })
    }
}

/// `digits[.digits]` parsed exactly as `str::parse::<f64>` would, when that takes no more than
/// one correctly rounded division: a mantissa below 2^53 and at most 22 fraction digits (both
/// the mantissa and the power of ten are then exact in an f64). `None` for anything else
/// (signs, exponents, `inf`, long mantissas, empty input, a non-ASCII byte), which the caller
/// parses the slow way.
fn plain_decimal(b: &[u8]) -> Option<f64> {
    const POW10: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];
    let mut mantissa: u64 = 0;
    let mut digits = 0usize;
    let mut frac: Option<usize> = None;
    for &c in b {
        match c {
            b'0'..=b'9' => {
                // 19 digits always fit in a u64; the 2^53 bound is checked below.
                if digits == 19 {
                    return None;
                }
                mantissa = mantissa * 10 + u64::from(c - b'0');
                digits += 1;
                if let Some(f) = frac.as_mut() {
                    *f += 1;
                }
            }
            b'.' if frac.is_none() => frac = Some(0),
            _ => return None,
        }
    }
    let frac = frac.unwrap_or(0);
    if digits == 0 || mantissa > (1 << 53) || frac >= POW10.len() {
        return None;
    }
    Some(mantissa as f64 / POW10[frac])
}

/// A whole number of at most 9 ASCII digits (so it fits in a u32 and an i32), as
/// `str::parse` would read it; `None` for anything else, which the caller parses the slow way.
fn plain_whole(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 9 {
        return None;
    }
    let mut v: u32 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

impl PodSource for TraceSource {
    fn next_pod(&mut self) -> Result<Option<PodSpec>, WorkloadError> {
        let more = self
            .reader
            .read_byte_record(&mut self.record)
            .map_err(|e| {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                WorkloadError::Trace {
                    path: self.spec.path.clone(),
                    line,
                    message: format!("unreadable row: {e}"),
                }
            })?;
        if !more {
            return Ok(None);
        }
        let line = self.record.position().map(|p| p.line()).unwrap_or(0);
        let pod = self
            .parse_row(line)
            .map_err(|message| WorkloadError::Trace {
                path: self.spec.path.clone(),
                line,
                message,
            })?;
        self.last_submit = pod.submit;
        self.rows += 1;
        Ok(Some(pod))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f
    }

    fn spec(path: &std::path::Path) -> TraceSpec {
        TraceSpec::plain(path)
    }

    fn read_all(text: &str) -> Result<Vec<PodSpec>, WorkloadError> {
        let f = write(text);
        let mut s = TraceSource::open(spec(f.path()))?;
        let mut out = vec![];
        while let Some(p) = s.next_pod()? {
            out.push(p);
        }
        Ok(out)
    }

    #[test]
    fn reads_full_and_minimal_rows() {
        let pods = read_all(
            "submit_s,name,namespace,labels,cpu_m,memory_mib,duration_s,gpu,priority,group\n\
             0.5,a,batch,app=x;tier=y,500,1024,30,,,job1\n\
             1,,,,250,256,,1,7,\n",
        )
        .unwrap();
        assert_eq!(pods.len(), 2);
        assert_eq!(pods[0].submit, SimTime(500));
        assert_eq!(pods[0].namespace, "batch");
        assert_eq!(pods[0].labels.len(), 2);
        assert_eq!(pods[0].duration, Some(SimDuration(30_000)));
        assert_eq!(pods[0].image_name(), "job1");
        assert_eq!(pods[1].namespace, "default");
        assert_eq!(pods[1].duration, None);
        assert_eq!(pods[1].requests, Resources::pod(250, 256, 1));
        assert_eq!(pods[1].priority, 7);
        // No image and no group: the pod's own (generated) name is its image.
        assert_eq!(pods[1].image, PodImage::OwnName);
        assert_eq!(pods[1].image_name(), pods[1].name.as_str());
        assert!(!pods[1].name.is_empty());
        // A pod that names no image at all (a default one) shares the empty name, as before.
        assert_eq!(PodSpec::default().image_name(), "");
    }

    #[test]
    fn an_image_column_wins_over_the_group() {
        let pods =
            read_all("submit_s,name,cpu_m,memory_mib,duration_s,group,image\n0,a,1,1,1,g,img:1\n0,b,1,1,1,g,\n")
                .unwrap();
        assert_eq!(pods[0].image_name(), "img:1");
        assert_eq!(pods[1].image_name(), "g");
    }

    #[test]
    fn plain_numbers_parse_as_str_parse_does() {
        let cases = [
            "0",
            "1",
            "007",
            "0.5",
            "131.964",
            "0.46484375",
            ".5",
            "5.",
            ".",
            "",
            "1.2.3",
            "9007199254740992",
            "9007199254740993",
            "12345678901234567890",
            "0.1",
            "0.3",
            "1e3",
            "-1",
            "+1",
            "inf",
            "NaN",
            "1000000000000",
            "123456789.123456",
            "0.0000000000000000000001",
            "0.00000000000000000000001",
            "99999999999999999",
            "1_0",
            " 1",
            "\u{663}",
        ];
        for c in cases {
            if let Some(v) = plain_decimal(c.as_bytes()) {
                assert_eq!(
                    Some(v.to_bits()),
                    c.parse::<f64>().ok().map(f64::to_bits),
                    "{c}"
                );
            }
            if let Some(v) = plain_whole(c.as_bytes()) {
                assert_eq!(Ok(v), c.parse::<u32>(), "{c}");
                assert_eq!(Ok(v as i32), c.parse::<i32>(), "{c}");
            }
        }
        assert_eq!(plain_decimal(b"131.964"), Some(131.964));
        assert_eq!(plain_decimal(b"1e3"), None);
        assert_eq!(plain_whole(b"999999999"), Some(999_999_999));
        assert_eq!(plain_whole(b"1000000000"), None);
        // Random decimals of every length the fast path takes.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let m = x >> (x % 40);
            let text = m.to_string();
            let point = (x >> 50) as usize % (text.len() + 1);
            let c = format!("{}.{}", &text[..point], &text[point..]);
            if let Some(v) = plain_decimal(c.as_bytes()) {
                assert_eq!(v.to_bits(), c.parse::<f64>().unwrap().to_bits(), "{c}");
            }
        }
    }

    #[test]
    fn node_selector_column_adds_to_the_trace_wide_selector() {
        let f = write(
            "submit_s,cpu_m,memory_mib,duration_s,node_selector\n0,1,1,1,pool=gpu\n1,1,1,1,\n",
        );
        let mut s = TraceSource::open(TraceSpec {
            node_selector: vec![("tier".into(), "batch".into())],
            ..spec(f.path())
        })
        .unwrap();
        let a = s.next_pod().unwrap().unwrap();
        assert_eq!(
            *a.node_selector,
            [
                ("pool".into(), "gpu".into()),
                ("tier".into(), "batch".into())
            ]
        );
        let b = s.next_pod().unwrap().unwrap();
        assert_eq!(*b.node_selector, [("tier".into(), "batch".into())]);
    }

    #[test]
    fn extra_columns_and_any_order_are_fine() {
        let pods = read_all("duration_s,extra,memory_mib,cpu_m,submit_s\n5,zz,64,100,2\n").unwrap();
        assert_eq!(pods[0].requests.cpu_m, 100);
        assert_eq!(pods[0].submit, SimTime(2000));
    }

    #[test]
    fn bad_rows_name_line_and_field() {
        let e = read_all("submit_s,cpu_m,memory_mib,duration_s\n0,100,64,5\n1,abc,64,5\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains(":3: cpu_m `abc` is not a number"), "{e}");
        let e = read_all("submit_s,cpu_m,memory_mib,duration_s\n0,100,64,-5\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains(":2: duration_s `-5` must be"), "{e}");
        let e = read_all("submit_s,cpu_m,memory_mib,duration_s\n5,100,64,5\n1,100,64,5\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains(":3:") && e.contains("sorted"), "{e}");
        let e = read_all("submit_s,cpu,memory_mib\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("cpu_m, duration_s"), "{e}");
    }

    #[test]
    fn namespace_override_and_labels() {
        let f = write("submit_s,cpu_m,memory_mib,duration_s,namespace,labels\n0,1,1,1,web,a=1\n");
        let mut s = TraceSource::open(TraceSpec {
            namespace: Some("batch".into()),
            labels: vec![("a".into(), "9".into()), ("b".into(), "2".into())],
            ..spec(f.path())
        })
        .unwrap();
        let p = s.next_pod().unwrap().unwrap();
        assert_eq!(p.namespace, "batch");
        assert_eq!(
            p.labels,
            vec![("a".into(), "1".into()), ("b".into(), "2".into())]
        );
    }
}
