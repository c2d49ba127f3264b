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

/// A file that appears under its final name only on [`AtomicFile::commit`]; dropped uncommitted
/// (or when the commit fails), its temporary is removed.
///
/// Large files are synced behind the writer: every 4 MiB (or, when a sync outlasts that much
/// writing, at the first write after it ends) a background thread syncs what has reached the
/// file so far, so the disk works while the run computes and the sync at commit waits only for
/// the tail. syn100k's 14 MB pods.csv otherwise spent 35 ms of a 0.3 s run in that last sync;
/// the full trace's 455 MB one 87 ms with syncs every 64 MiB, 5 ms every 4 MiB. A background
/// sync is only ever a head start: if it cannot be started it is skipped, and its error is kept
/// for the commit to report (the handle shares the file's open description, so the final sync
/// would not see that error again). A file dropped with a sync under way leaves the thread to
/// finish on its own.
#[derive(Debug)]
pub struct AtomicFile {
    final_path: PathBuf,
    tmp_path: PathBuf,
    writer: Option<BufWriter<File>>,
    /// Renamed into place: nothing to clean up.
    committed: bool,
    /// Bytes handed to the writer since the last background sync started.
    unsynced: u64,
    /// The background sync under way, if any.
    syncing: Option<std::thread::JoinHandle<std::io::Result<()>>>,
    /// The first error a background sync returned, for the commit.
    sync_error: Option<std::io::Error>,
    /// [`SYNC_BEHIND_BYTES`] (smaller in tests).
    sync_behind: u64,
}

/// How much is written between two background syncs of an [`AtomicFile`]: small enough that
/// a 100k-pod run's pods.csv is mostly on disk by the end of the run, large enough that a
/// sync's thread and journal commit are amortised over thousands of rows.
const SYNC_BEHIND_BYTES: u64 = 4 << 20;

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
            committed: false,
            unsynced: 0,
            syncing: None,
            sync_error: None,
            sync_behind: SYNC_BEHIND_BYTES,
        })
    }

    /// [`AtomicFile::create`] with its whole contents written (not yet committed).
    fn with_bytes(dir: &Path, name: &str, bytes: &[u8]) -> Result<AtomicFile, OutputError> {
        let mut f = AtomicFile::create(dir, name)?;
        f.writer().write_all(bytes).map_err(|source| OutputError {
            path: dir.join(name),
            source,
        })?;
        Ok(f)
    }

    /// Counts `n` more bytes written; past `sync_behind` bytes, starts a background sync of
    /// the file unless one is still running (or no handle or thread can be had: the commit's
    /// sync covers everything anyway).
    fn note_written(&mut self, n: usize) {
        self.unsynced += n as u64;
        if self.unsynced < self.sync_behind {
            return;
        }
        if let Some(h) = &self.syncing {
            if !h.is_finished() {
                return;
            }
            self.join_sync();
        }
        self.unsynced = 0;
        let Ok(file) = self.writer().get_ref().try_clone() else {
            return;
        };
        self.syncing = std::thread::Builder::new()
            .name("output-sync".into())
            .spawn(move || file.sync_data())
            .ok();
    }

    /// Waits for the background sync, if any, keeping its error.
    fn join_sync(&mut self) {
        if let Some(h) = self.syncing.take() {
            let result = h
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("background sync panicked")));
            if let Err(e) = result {
                self.sync_error.get_or_insert(e);
            }
        }
    }

    /// The writer for the file's contents.
    pub fn writer(&mut self) -> &mut BufWriter<File> {
        // Present from creation until commit consumes self.
        self.writer
            .as_mut()
            .unwrap_or_else(|| unreachable!("writer taken before commit"))
    }

    /// Flushes, syncs to disk (reporting a background sync's error too) and renames into place.
    pub fn commit(self) -> Result<PathBuf, OutputError> {
        self.commit_with(Durability::SyncEach)
    }

    /// Flushes, syncs to disk unless `durability` defers it to the caller (a background
    /// sync's error is reported either way), and renames into place.
    pub fn commit_with(mut self, durability: Durability) -> Result<PathBuf, OutputError> {
        let file = self.finish_writing()?;
        if durability == Durability::SyncEach
            && let Some(file) = file
        {
            file.sync_all().map_err(|e| self.error_at_tmp(e))?;
        }
        self.rename_into_place()
    }

    fn error_at_tmp(&self, source: std::io::Error) -> OutputError {
        OutputError {
            path: self.tmp_path.clone(),
            source,
        }
    }

    /// Flushes the writer and waits for a background sync, reporting its error; the file,
    /// unless already finished.
    fn finish_writing(&mut self) -> Result<Option<File>, OutputError> {
        let Some(w) = self.writer.take() else {
            return Ok(None);
        };
        let file = w
            .into_inner()
            .map_err(|e| self.error_at_tmp(e.into_error()))?;
        self.join_sync();
        if let Some(e) = self.sync_error.take() {
            return Err(self.error_at_tmp(e));
        }
        Ok(Some(file))
    }

    /// Renames the temporary to the final name.
    fn rename_into_place(&mut self) -> Result<PathBuf, OutputError> {
        std::fs::rename(&self.tmp_path, &self.final_path).map_err(|source| OutputError {
            path: self.final_path.clone(),
            source,
        })?;
        self.committed = true;
        Ok(self.final_path.clone())
    }
}

/// Files committed together at the end of a run: each is written in full first, then all are
/// synced at once (concurrent syncs share the file system's journal commits: a run's seven
/// files took about 8 ms one after another on syn100k) and renamed into place in the order
/// they were added, so a file still appears only once it is on disk, and the last one added
/// (summary.json) only after all the others. Files not renamed when an error stops the
/// commit are removed, as an uncommitted [`AtomicFile`] is.
#[derive(Debug, Default)]
pub struct CommitBatch {
    files: Vec<AtomicFile>,
}

impl CommitBatch {
    /// Adds a finished file.
    pub fn add(&mut self, file: AtomicFile) {
        self.files.push(file);
    }

    /// Adds a finished CSV file.
    pub fn add_csv(&mut self, csv: CsvOut) {
        self.files.push(csv.file);
    }

    /// Writes `bytes` to `dir/name` (under its temporary name) and adds it.
    pub fn add_bytes(&mut self, dir: &Path, name: &str, bytes: &[u8]) -> Result<(), OutputError> {
        self.files.push(AtomicFile::with_bytes(dir, name, bytes)?);
        Ok(())
    }

    /// Flushes every file, syncs them unless `durability` defers it (up to 8 at once), then
    /// renames them in order. Returns the final paths.
    pub fn commit(mut self, durability: Durability) -> Result<Vec<PathBuf>, OutputError> {
        let mut open = Vec::with_capacity(self.files.len());
        for f in &mut self.files {
            open.push(f.finish_writing()?);
        }
        if durability == Durability::SyncEach {
            let synced = sync_all_at_once(&open);
            if let Some((i, e)) = synced {
                return Err(self.files[i].error_at_tmp(e));
            }
        }
        drop(open);
        self.files
            .iter_mut()
            .map(AtomicFile::rename_into_place)
            .collect()
    }
}

/// Syncs the files (`None`s skipped), up to [`SYNC_FOLDER_THREADS`] at once; the first error by
/// index, if any.
fn sync_all_at_once(files: &[Option<File>]) -> Option<(usize, std::io::Error)> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let sync_some = || {
        let mut failed: Option<(usize, std::io::Error)> = None;
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(f) = files.get(i) else {
                return failed;
            };
            if let Some(Err(e)) = f.as_ref().map(File::sync_all) {
                failed.get_or_insert((i, e));
            }
        }
    };
    std::thread::scope(|s| {
        // A helper that cannot be started is simply not there: this thread syncs too.
        let helpers: Vec<_> = (1..files.len().min(SYNC_FOLDER_THREADS))
            .filter_map(|_| std::thread::Builder::new().spawn_scoped(s, sync_some).ok())
            .collect();
        let mut failed: Vec<(usize, std::io::Error)> = sync_some().into_iter().collect();
        for h in helpers {
            failed.extend(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        }
        failed.into_iter().min_by_key(|(i, _)| *i)
    })
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.committed {
            self.writer = None;
            let _ = std::fs::remove_file(&self.tmp_path);
        }
    }
}

/// Writes a whole file atomically in one go.
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf, OutputError> {
    AtomicFile::with_bytes(dir, name, bytes)?.commit()
}

/// When an output file is made durable (on disk, surviving a power cut).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Synced before it is renamed into place: a file that appears is on disk.
    #[default]
    SyncEach,
    /// Renamed into place unsynced, for a folder that is itself published only after
    /// [`sync_folder`] (a sweep's run, staged in a hidden folder). The caller can then sync on
    /// another thread while the next run computes, instead of waiting for each file's sync.
    Deferred,
}

/// Syncs every file directly in `dir`, then `dir` itself (its entries), so that renaming the
/// folder into place publishes only what is on disk. Up to 8 files are
/// synced at once: concurrent syncs share the file system's journal commits (ext4 otherwise
/// commits once per file, one after another: about 20 ms for a sweep run's seven files). An
/// error names the first failing file in name order.
pub fn sync_folder(dir: &Path) -> Result<(), OutputError> {
    let err = |path: &Path, source| OutputError {
        path: path.to_path_buf(),
        source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| err(dir, e))? {
        let entry = entry.map_err(|e| err(dir, e))?;
        if entry
            .file_type()
            .map_err(|e| err(&entry.path(), e))?
            .is_file()
        {
            files.push(entry.path());
        }
    }
    files.sort();
    // Write access: some systems only flush files opened for writing.
    let mut open = Vec::with_capacity(files.len());
    for path in &files {
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| err(path, e))?;
        open.push(Some(f));
    }
    if let Some((i, e)) = sync_all_at_once(&open) {
        return Err(err(&files[i], e));
    }
    sync_dir(dir);
    Ok(())
}

/// Most files [`sync_folder`] syncs at once.
const SYNC_FOLDER_THREADS: usize = 8;

/// Syncs a folder's entries where the system allows opening a folder (Unix); elsewhere the
/// rename is as durable as the system makes it.
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// A CSV file written atomically. Rows are encoded by a [`RowBuf`] (csv-core decides which
/// fields need quotes and escapes them, with the csv crate's default settings) and reach the file
/// in one write each.
pub struct CsvOut {
    path: PathBuf,
    file: AtomicFile,
    /// Fields in the header; every row must have as many (as the csv writer insisted).
    fields: usize,
    scratch: RowBuf,
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.writer().write(buf)?;
        self.note_written(n);
        Ok(n)
    }
    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.writer().write_all(buf)?;
        self.note_written(buf.len());
        Ok(())
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
            file,
            fields: header.len(),
            scratch: RowBuf::default(),
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
        let mut b = std::mem::take(&mut self.scratch);
        b.clear();
        for f in fields {
            b.bytes(f.as_ref());
        }
        let written = self.write(&mut b);
        self.scratch = b;
        written
    }

    /// Writes the row in `b` (its fields are kept for the caller).
    pub fn write(&mut self, b: &mut RowBuf) -> Result<(), OutputError> {
        if b.fields != self.fields {
            return Err(self.err(std::io::Error::other(format!(
                "found record with {} fields, but the previous record has {} fields",
                b.fields, self.fields
            ))));
        }
        // A row that would be an empty line (one empty field) is written as `""`, as the csv
        // writer does, so that it reads back as a record.
        if b.text.is_empty() {
            b.text.extend_from_slice(b"\"\"");
        }
        b.text.push(b'\n');
        let written = self.file.write_all(&b.text);
        b.text.pop();
        written.map_err(|e| self.err(e))
    }

    /// Flushes, syncs and renames into place.
    pub fn commit(self) -> Result<PathBuf, OutputError> {
        self.file.commit()
    }

    /// Flushes, syncs as `durability` says and renames into place.
    pub fn commit_with(self, durability: Durability) -> Result<PathBuf, OutputError> {
        self.file.commit_with(durability)
    }
}

/// One CSV row encoded into one reused buffer, field by field: text goes through csv-core's
/// quoting (quoted only when it holds a comma, quote or line break, quotes doubled), numbers
/// and fixed-point values are appended as digits. Writing a row (one per pod, millions per
/// run) allocates nothing and costs little per field.
#[derive(Debug)]
pub struct RowBuf {
    /// The encoded fields with their delimiters, no terminator.
    text: Vec<u8>,
    fields: usize,
    quoter: csv_core::Writer,
}

impl Default for RowBuf {
    fn default() -> RowBuf {
        RowBuf {
            text: Vec::with_capacity(256),
            fields: 0,
            quoter: csv_core::WriterBuilder::new().build(),
        }
    }
}

impl RowBuf {
    /// Empties the buffer for the next row (capacity kept).
    pub fn clear(&mut self) {
        self.text.clear();
        self.fields = 0;
    }
    /// Starts a field: the delimiter after the previous one.
    fn sep(&mut self) {
        if self.fields > 0 {
            self.text.push(b',');
        }
        self.fields += 1;
    }
    /// A text field (quoted if csv-core says it must be).
    pub fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }
    /// A field of raw bytes (quoted if csv-core says it must be).
    pub fn bytes(&mut self, s: &[u8]) {
        self.sep();
        if self.quoter.should_quote(s) {
            self.quoted(s);
        } else {
            self.text.extend_from_slice(s);
        }
    }
    /// Appends `s` in quotes, escaped by csv-core.
    fn quoted(&mut self, s: &[u8]) {
        let q = self.quoter.get_quote();
        self.text.push(q);
        let start = self.text.len();
        // Escaping at most doubles every byte.
        self.text.resize(start + 2 * s.len(), 0);
        let (_, _, n) = csv_core::quote(
            s,
            &mut self.text[start..],
            q,
            self.quoter.get_escape(),
            self.quoter.get_double_quote(),
        );
        self.text.truncate(start + n);
        self.text.push(q);
    }
    /// A field the program spells itself (`succeeded`, `fargate`): never quoted, so not
    /// checked.
    pub fn word(&mut self, s: &'static str) {
        debug_assert!(!self.quoter.should_quote(s.as_bytes()), "{s} needs quotes");
        self.sep();
        self.text.extend_from_slice(s.as_bytes());
    }
    /// A formatted field (`format_args!`), quoted like [`RowBuf::str`].
    pub fn fmt(&mut self, args: std::fmt::Arguments) {
        self.sep();
        let start = self.text.len();
        let _ = std::io::Write::write_fmt(&mut self.text, args);
        if self.quoter.should_quote(&self.text[start..]) {
            let raw = self.text.split_off(start);
            self.quoted(&raw);
        }
    }
    /// A field `prefix` followed by `s` (`fargate-<pod>`), quoted like [`RowBuf::str`], without
    /// the formatting machinery.
    pub fn prefixed(&mut self, prefix: &str, s: &str) {
        let (p, s) = (prefix.as_bytes(), s.as_bytes());
        if self.quoter.should_quote(p) || self.quoter.should_quote(s) {
            self.bytes(&[p, s].concat());
        } else {
            self.sep();
            self.text.extend_from_slice(p);
            self.text.extend_from_slice(s);
        }
    }
    /// A number as `{}` formats it. Whole quarters below 2^40 (every Fargate vCPU and GB
    /// figure) are written directly: their shortest round-trip form is their exact decimal,
    /// at most two fraction digits. Anything else goes through `format_args!`.
    pub fn float(&mut self, v: f64) {
        let q = v * 4.0;
        // `q as u64` truncates; it gives `q` back only when `q` is whole (no libm `trunc`).
        if v.is_sign_positive() && q < (1u64 << 42) as f64 && (q as u64) as f64 == q {
            let q = q as u64;
            self.sep();
            self.digits(q / 4);
            let frac: &[u8] = match q % 4 {
                0 => b"",
                1 => b".25",
                2 => b".5",
                _ => b".75",
            };
            self.text.extend_from_slice(frac);
        } else {
            self.fmt(format_args!("{v}"));
        }
    }
    /// An empty field.
    pub fn empty(&mut self) {
        self.sep();
    }
    /// Appends the decimal digits of `v` (the itoa crate: no formatting machinery).
    fn digits(&mut self, v: u64) {
        self.text
            .extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
    }
    /// `v / 10^W` with exactly `W` decimals (`W` at most 19): `v`'s digits with the point
    /// put in, after zeros when `v` has `W` digits or fewer (one integer formatting per field).
    fn fixed<const W: usize>(&mut self, v: u64) {
        const ZEROS: &[u8; 19] = b"0000000000000000000";
        self.sep();
        let mut b = itoa::Buffer::new();
        let d = b.format(v).as_bytes();
        if d.len() > W {
            let (int, frac) = d.split_at(d.len() - W);
            self.text.extend_from_slice(int);
            self.text.push(b'.');
            self.text.extend_from_slice(frac);
        } else {
            self.text.extend_from_slice(b"0.");
            self.text.extend_from_slice(&ZEROS[..W - d.len()]);
            self.text.extend_from_slice(d);
        }
    }
    /// An unsigned integer field.
    pub fn uint(&mut self, v: u64) {
        self.sep();
        self.digits(v);
    }
    /// Milliseconds as seconds with 3 decimals (`9.000`), the time columns' format.
    pub fn secs(&mut self, ms: u64) {
        self.fixed::<3>(ms);
    }
    /// [`RowBuf::secs`], or an empty field for `None`.
    pub fn opt_secs(&mut self, ms: Option<u64>) {
        match ms {
            Some(ms) => self.secs(ms),
            None => self.empty(),
        }
    }
    /// Micro-dollars as dollars with 6 decimals, exactly.
    pub fn micros(&mut self, m: u64) {
        self.fixed::<6>(m);
    }
    /// The fields in order, decoded back from the encoded row (for `explain`, once per run).
    pub fn fields(&self) -> Vec<String> {
        if self.fields == 0 {
            return vec![];
        }
        let mut line = self.text.clone();
        if line.is_empty() {
            return vec![String::new()];
        }
        line.push(b'\n');
        let mut rec = csv::StringRecord::new();
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(&line[..]);
        match r.read_record(&mut rec) {
            Ok(true) => rec.iter().map(str::to_string).collect(),
            _ => vec![],
        }
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
            99,
            100,
            999,
            1000,
            1001,
            60_000,
            999_999,
            1_000_000,
            123_456_789,
            u64::MAX / 7,
            u64::MAX - 1,
            u64::MAX,
        ];
        for &v in &cases {
            b.secs(v);
            b.micros(v);
            b.uint(v);
        }
        let got = b.fields();
        let mut want = Vec::new();
        for &v in &cases {
            want.push(format!("{}.{:03}", v / 1000, v % 1000));
            want.push(format!("{}.{:06}", v / 1_000_000, v % 1_000_000));
            want.push(v.to_string());
        }
        assert_eq!(got, want);
        let mut line = Vec::new();
        for v in &want {
            if !line.is_empty() {
                line.push(b',');
            }
            line.extend_from_slice(v.as_bytes());
        }
        assert_eq!(b.text, line);
    }

    proptest::proptest! {
        /// Any mix of number fields, the first one included (no comma before it), reads back
        /// as `format!` writes each number.
        #[test]
        fn number_fields_match_format(
            fields in proptest::collection::vec((0u8..4, proptest::num::u64::ANY), 1..12),
        ) {
            let mut b = RowBuf::default();
            let mut want = Vec::new();
            for &(kind, v) in &fields {
                match kind {
                    0 => {
                        b.secs(v);
                        want.push(format!("{}.{:03}", v / 1000, v % 1000));
                    }
                    1 => {
                        b.micros(v);
                        want.push(format!("{}.{:06}", v / 1_000_000, v % 1_000_000));
                    }
                    2 => {
                        b.uint(v);
                        want.push(v.to_string());
                    }
                    _ => {
                        // Whole quarters, the fast path, and up to 2^42 quarters.
                        let x = (v >> 22) as f64 / 4.0;
                        b.float(x);
                        want.push(format!("{x}"));
                    }
                }
            }
            proptest::prop_assert_eq!(b.fields(), want.clone());
            proptest::prop_assert_eq!(String::from_utf8(b.text.clone()).unwrap(), want.join(","));
        }
    }

    #[test]
    fn floats_and_prefixed_fields_match_format() {
        let mut cases = vec![
            0.0f64,
            -0.0,
            0.25,
            0.5,
            0.75,
            1.0,
            2.5,
            30.0,
            120.0,
            0.1,
            1.0 / 3.0,
            0.125,
            -0.25,
            -1.0,
            1e15,
            (1u64 << 40) as f64 - 0.25,
            (1u64 << 40) as f64,
            1e300,
            f64::MAX,
            f64::MIN_POSITIVE,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        cases.extend((0..20_000u32).map(|m| f64::from(m) / 1024.0));
        cases.extend((0..20_000u32).map(|m| f64::from(m) / 1000.0));
        let mut b = RowBuf::default();
        for &v in &cases {
            b.float(v);
        }
        let want: Vec<String> = cases.iter().map(|v| format!("{v}")).collect();
        assert_eq!(b.fields(), want);
        b.clear();
        for (p, s) in [
            ("fargate-", "web-1"),
            ("fargate-", "a,b"),
            ("x\"", ""),
            ("", ""),
        ] {
            b.prefixed(p, s);
            b.fmt(format_args!("{p}{s}"));
        }
        let f = b.fields();
        for pair in f.chunks(2) {
            assert_eq!(pair[0], pair[1]);
        }
        assert_eq!(f[2], "fargate-a,b");
    }

    /// Rows encode exactly as the csv crate's writer encodes them.
    #[test]
    fn rows_encode_as_the_csv_writer_does() {
        let rows: Vec<Vec<&str>> = vec![
            vec![
                "a",
                "",
                "b,c",
                "say \"hi\"",
                "line\nbreak",
                "cr\r",
                "\"",
                ",",
                " sp ",
            ],
            vec![""],
            vec!["", ""],
            vec!["#x", "é,ü", "tab\there", "'q'"],
        ];
        for row in rows {
            let mut w = csv::Writer::from_writer(vec![]);
            w.write_record(&row).unwrap();
            let want = w.into_inner().unwrap();
            let dir = tempfile::tempdir().unwrap();
            let mut out = super::CsvOut::create(dir.path(), "r.csv", &row).unwrap();
            let mut b = RowBuf::default();
            for f in &row {
                b.str(f);
            }
            assert_eq!(b.fields(), row);
            out.write(&mut b).unwrap();
            b.clear();
            for f in &row {
                b.fmt(format_args!("{f}"));
            }
            out.write(&mut b).unwrap();
            out.commit().unwrap();
            let got = std::fs::read(dir.path().join("r.csv")).unwrap();
            assert_eq!(got, [&want[..], &want, &want].concat(), "{row:?}");
        }
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

    #[test]
    fn background_syncs_keep_every_byte_and_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut f = AtomicFile::create(dir.path(), "big.txt").unwrap();
        // Thresholds far above the writer's 128 KiB buffer, so what the background syncs see
        // has reached the file.
        f.sync_behind = 300_000;
        let mut want = Vec::new();
        let mut started = 0;
        for i in 0..200_000u32 {
            let line = format!("{i}\n");
            let was = f.syncing.is_some();
            f.write_all(line.as_bytes()).unwrap();
            want.extend_from_slice(line.as_bytes());
            if !was && f.syncing.is_some() {
                started += 1;
                // Let it finish, so the next threshold starts another.
                f.join_sync();
            }
        }
        assert!(started >= 3, "{started} background syncs");
        assert!(f.sync_error.is_none());
        assert!(!dir.path().join("big.txt").exists());
        f.commit().unwrap();
        assert_eq!(std::fs::read(dir.path().join("big.txt")).unwrap(), want);
        // Only the committed file is left (no temporary).
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn dropped_with_a_sync_under_way_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut f = AtomicFile::create(dir.path(), "big.txt").unwrap();
            f.sync_behind = 1;
            f.write_all(&[b'x'; 200_000]).unwrap();
            assert!(f.syncing.is_some());
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_background_sync_error_fails_the_commit_and_removes_the_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let mut f = AtomicFile::create(dir.path(), "a.csv").unwrap();
        f.write_all(b"x").unwrap();
        f.sync_error = Some(std::io::Error::other("disk on fire"));
        let e = f.commit().unwrap_err();
        assert!(e.to_string().contains("disk on fire"), "{e}");
        assert!(e.to_string().contains(".a.csv.tmp"), "{e}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_deferred_commit_renames_into_place_and_sync_folder_names_a_missing_folder() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = CsvOut::create(dir.path(), "d.csv", &["x"]).unwrap();
        c.row(["1"]).unwrap();
        c.commit_with(Durability::Deferred).unwrap();
        AtomicFile::with_bytes(dir.path(), "s.json", b"{}\n")
            .unwrap()
            .commit_with(Durability::Deferred)
            .unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        sync_folder(dir.path()).unwrap();
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["d.csv", "s.json", "sub"]);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("d.csv")).unwrap(),
            "x\n1\n"
        );
        let missing = dir.path().join("nope");
        let e = sync_folder(&missing).unwrap_err();
        assert_eq!(e.path, missing);
    }

    /// The names in `dir`, sorted.
    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_batch_appears_only_at_its_commit_in_full() {
        for durability in [Durability::SyncEach, Durability::Deferred] {
            let dir = tempfile::tempdir().unwrap();
            let mut batch = CommitBatch::default();
            let mut c = CsvOut::create(dir.path(), "a.csv", &["x"]).unwrap();
            c.row(["1"]).unwrap();
            batch.add_csv(c);
            let mut big = AtomicFile::create(dir.path(), "big.txt").unwrap();
            big.sync_behind = 1;
            big.write_all(&[b'y'; 300_000]).unwrap();
            batch.add(big);
            batch.add_bytes(dir.path(), "s.json", b"{}\n").unwrap();
            assert_eq!(
                names(dir.path()),
                [".a.csv.tmp", ".big.txt.tmp", ".s.json.tmp"],
                "{durability:?}"
            );
            let paths = batch.commit(durability).unwrap();
            assert_eq!(
                paths,
                ["a.csv", "big.txt", "s.json"].map(|n| dir.path().join(n))
            );
            assert_eq!(names(dir.path()), ["a.csv", "big.txt", "s.json"]);
            assert_eq!(
                std::fs::read_to_string(dir.path().join("a.csv")).unwrap(),
                "x\n1\n"
            );
            assert_eq!(
                std::fs::read(dir.path().join("big.txt")).unwrap().len(),
                300_000
            );
        }
    }

    #[test]
    fn a_failed_batch_names_the_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let mut batch = CommitBatch::default();
        batch.add_bytes(dir.path(), "a.json", b"1").unwrap();
        batch.add_bytes(dir.path(), "b.json", b"2").unwrap();
        batch.add_bytes(dir.path(), "c.json", b"3").unwrap();
        // b.json cannot be renamed into place: a non-empty folder holds its name.
        std::fs::create_dir_all(dir.path().join("b.json/inside")).unwrap();
        let e = batch.commit(Durability::SyncEach).unwrap_err();
        assert_eq!(e.path, dir.path().join("b.json"));
        // Renamed in order up to the failure; the rest removed.
        assert_eq!(names(dir.path()), ["a.json", "b.json"]);
        assert!(dir.path().join("b.json").is_dir());
        // A background sync's error stops the batch before anything is renamed.
        let dir = tempfile::tempdir().unwrap();
        let mut batch = CommitBatch::default();
        batch.add_bytes(dir.path(), "a.json", b"1").unwrap();
        let mut f = AtomicFile::create(dir.path(), "b.csv").unwrap();
        f.write_all(b"x").unwrap();
        f.sync_error = Some(std::io::Error::other("disk on fire"));
        batch.add(f);
        let e = batch.commit(Durability::SyncEach).unwrap_err();
        assert!(e.to_string().contains("disk on fire"), "{e}");
        assert_eq!(e.path, dir.path().join(".b.csv.tmp"));
        assert!(names(dir.path()).is_empty());
    }
}
