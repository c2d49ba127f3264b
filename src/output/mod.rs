//! Output files, written so that a crash or a bad input never leaves a half-written file: each
//! file goes to a hidden temporary name in the output folder and is renamed into place only
//! when the whole run has succeeded.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use thiserror::Error;

/// Why an output file could not be written.
#[derive(Debug, Error)]
#[error("{path}: {source}")]
pub struct OutputError {
    /// The file.
    pub path: PathBuf,
    /// The OS error.
    pub source: std::io::Error,
}

/// A file that appears under its final name only on [`AtomicFile::commit`]; dropped uncommitted,
/// its temporary is removed.
#[derive(Debug)]
pub struct AtomicFile {
    final_path: PathBuf,
    tmp_path: PathBuf,
    writer: Option<BufWriter<File>>,
}

impl AtomicFile {
    /// Creates `dir/.name.tmp`, to become `dir/name`.
    pub fn create(dir: &Path, name: &str) -> Result<AtomicFile, OutputError> {
        let final_path = dir.join(name);
        let tmp_path = dir.join(format!(".{name}.tmp"));
        let file = File::create(&tmp_path).map_err(|source| OutputError {
            path: tmp_path.clone(),
            source,
        })?;
        Ok(AtomicFile {
            final_path,
            tmp_path,
            writer: Some(BufWriter::with_capacity(1 << 17, file)),
        })
    }

    /// The writer for the file's contents.
    pub fn writer(&mut self) -> &mut BufWriter<File> {
        // Present from creation until commit consumes self.
        self.writer
            .as_mut()
            .unwrap_or_else(|| unreachable!("writer taken before commit"))
    }

    /// Flushes, syncs to disk and renames into place.
    pub fn commit(mut self) -> Result<PathBuf, OutputError> {
        let err = |path: &Path, source| OutputError {
            path: path.to_path_buf(),
            source,
        };
        if let Some(w) = self.writer.take() {
            let file = w
                .into_inner()
                .map_err(|e| err(&self.tmp_path, e.into_error()))?;
            file.sync_all().map_err(|e| err(&self.tmp_path, e))?;
        }
        std::fs::rename(&self.tmp_path, &self.final_path).map_err(|e| err(&self.final_path, e))?;
        Ok(self.final_path.clone())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.writer.is_some() {
            self.writer = None;
            let _ = std::fs::remove_file(&self.tmp_path);
        }
    }
}

/// Writes a whole file atomically in one go.
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf, OutputError> {
    let mut f = AtomicFile::create(dir, name)?;
    f.writer().write_all(bytes).map_err(|source| OutputError {
        path: dir.join(name),
        source,
    })?;
    f.commit()
}

/// A CSV file written atomically.
pub struct CsvOut {
    path: PathBuf,
    writer: csv::Writer<AtomicFile>,
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.writer().write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.writer().flush()
    }
}

impl CsvOut {
    /// Creates the file and writes the header.
    pub fn create(dir: &Path, name: &str, header: &[&str]) -> Result<CsvOut, OutputError> {
        let file = AtomicFile::create(dir, name)?;
        let mut out = CsvOut {
            path: dir.join(name),
            writer: csv::WriterBuilder::new()
                .buffer_capacity(1 << 16)
                .from_writer(file),
        };
        out.row(header)?;
        Ok(out)
    }

    fn err(&self, e: impl Into<std::io::Error>) -> OutputError {
        OutputError {
            path: self.path.clone(),
            source: e.into(),
        }
    }

    /// Writes one row of already formatted fields.
    pub fn row<S: AsRef<[u8]>>(
        &mut self,
        fields: impl IntoIterator<Item = S>,
    ) -> Result<(), OutputError> {
        self.writer
            .write_record(fields)
            .map_err(|e| self.err(std::io::Error::other(e)))
    }

    /// Flushes, syncs and renames into place.
    pub fn commit(self) -> Result<PathBuf, OutputError> {
        let path = self.path.clone();
        let file = self.writer.into_inner().map_err(|e| OutputError {
            path,
            source: std::io::Error::other(e.to_string()),
        })?;
        file.commit()
    }
}

/// The fields of one CSV row formatted into one reused buffer, so writing a row (one per pod,
/// millions per run) allocates nothing.
#[derive(Debug, Default)]
pub struct RowBuf {
    text: String,
    ends: Vec<usize>,
}

impl RowBuf {
    /// Empties the buffer for the next row (capacity kept).
    pub fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
    }
    fn end(&mut self) {
        self.ends.push(self.text.len());
    }
    /// A text field.
    pub fn str(&mut self, s: &str) {
        self.text.push_str(s);
        self.end();
    }
    /// A formatted field (`format_args!`).
    pub fn fmt(&mut self, args: std::fmt::Arguments) {
        let _ = std::fmt::Write::write_fmt(&mut self.text, args);
        self.end();
    }
    /// Appends the decimal digits of `v` (no formatting machinery: this runs several times
    /// per pod row).
    fn digits(&mut self, mut v: u64) {
        let mut buf = [0u8; 20];
        let mut i = buf.len();
        loop {
            i -= 1;
            buf[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        // ASCII digits are valid UTF-8.
        self.text
            .push_str(std::str::from_utf8(&buf[i..]).unwrap_or_default());
    }
    /// `int.frac` with `frac` zero-padded to `width` digits.
    fn fixed(&mut self, int: u64, frac: u64, width: usize) {
        self.digits(int);
        self.text.push('.');
        let mut pad = width;
        let mut f = frac;
        while f > 0 {
            pad -= 1;
            f /= 10;
        }
        for _ in 0..pad.min(width) {
            self.text.push('0');
        }
        if frac > 0 {
            self.digits(frac);
        }
        self.end();
    }
    /// An unsigned integer field.
    pub fn uint(&mut self, v: u64) {
        self.digits(v);
        self.end();
    }
    /// Milliseconds as seconds with 3 decimals (`9.000`), the time columns' format.
    pub fn secs(&mut self, ms: u64) {
        self.fixed(ms / 1000, ms % 1000, 3);
    }
    /// [`RowBuf::secs`], or an empty field for `None`.
    pub fn opt_secs(&mut self, ms: Option<u64>) {
        match ms {
            Some(ms) => self.secs(ms),
            None => self.end(),
        }
    }
    /// Micro-dollars as dollars with 6 decimals, exactly.
    pub fn micros(&mut self, m: u64) {
        self.fixed(m / 1_000_000, m % 1_000_000, 6);
    }
    /// The fields in order.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        let mut start = 0;
        self.ends.iter().map(move |&e| {
            let f = &self.text[start..e];
            start = e;
            f
        })
    }
}

#[cfg(test)]
mod row_tests {
    use super::RowBuf;

    #[test]
    fn fixed_point_fields_match_format() {
        let mut b = RowBuf::default();
        let cases = [
            0u64,
            1,
            9,
            10,
            999,
            1000,
            1001,
            60_000,
            123_456_789,
            u64::MAX / 7,
        ];
        for &v in &cases {
            b.secs(v);
            b.micros(v);
            b.uint(v);
        }
        let got: Vec<&str> = b.fields().collect();
        let mut want = Vec::new();
        for &v in &cases {
            want.push(format!("{}.{:03}", v / 1000, v % 1000));
            want.push(format!("{}.{:06}", v / 1_000_000, v % 1_000_000));
            want.push(v.to_string());
        }
        assert_eq!(got, want);
    }
}

/// Formats dollars with 6 decimals (micro-dollars), the precision of every cost column.
pub fn fmt_usd(v: f64) -> String {
    format!("{v:.6}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uncommitted_files_leave_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut f = AtomicFile::create(dir.path(), "a.csv").unwrap();
            f.writer().write_all(b"x").unwrap();
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let mut c = CsvOut::create(dir.path(), "b.csv", &["x", "y"]).unwrap();
        c.row(["1", "2"]).unwrap();
        assert!(!dir.path().join("b.csv").exists());
        c.commit().unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("b.csv")).unwrap(),
            "x,y\n1,2\n"
        );
    }
}
