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
    /// Milliseconds as seconds with 3 decimals (`9.000`), the time columns' format.
    pub fn secs(&mut self, ms: u64) {
        self.fmt(format_args!("{}.{:03}", ms / 1000, ms % 1000));
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
        self.fmt(format_args!("{}.{:06}", m / 1_000_000, m % 1_000_000));
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
