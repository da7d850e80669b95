//! Atomic file output and small (de)serialisation helpers. Every file this crate writes goes
//! through [`write_atomic`] or [`AtomicFile`]: written under a temporary name and renamed into
//! place, so a reader never sees a half-written file and a process killed at any point leaves
//! either the old or the new version.
//!
//! Files are not synced to disk (no `fsync`): syncing every file of a run made a 100 MB run
//! with default artefacts wait 0.1–0.2 s for the disk (a third of its time), and a sweep waits
//! once per file. What a machine crash (power loss, kernel panic) can do instead is leave a
//! renamed file empty or short; a run folder's completion marker lists every file's size and
//! hash, so such a folder is not complete and `--resume` runs it again.

use crate::{ReportError, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fs;
use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` atomically: into a temporary file in the same directory (created
/// if missing), then renamed over `path` (not synced to disk: see the module doc).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = AtomicFile::create(path)?;
    f.write_all(bytes).map_err(|e| ReportError::io("write", &f.tmp, e))?;
    f.commit()
}

/// A file written atomically as a stream: bytes go through a buffer into a temporary file in
/// the same directory, and [`AtomicFile::commit`] flushes and renames it over the
/// target (like [`write_atomic`], without holding the whole file in memory). Dropped without
/// `commit` (an error on the way), it removes its temporary file.
pub(crate) struct AtomicFile {
    out: Option<std::io::BufWriter<Hashed>>,
    tmp: std::path::PathBuf,
    path: std::path::PathBuf,
    /// Closed for now by [`AtomicFile::park`] (keeping what was hashed); reopened at the next
    /// write.
    parked: Option<Digest>,
    capacity: usize,
}

/// The bytes written to a file so far: how many, and their XXH3-128 (see [`take_written`]).
struct Digest {
    len: u64,
    xxh3: Box<xxhash_rust::xxh3::Xxh3>,
}

/// A file that hashes what reaches it (below the buffer: in large blocks, not row by row).
struct Hashed {
    f: fs::File,
    digest: Digest,
}

impl Write for Hashed {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.f.write(buf)?;
        self.digest.xxh3.update(&buf[..n]);
        self.digest.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.f.flush()
    }
}

/// Every file this process committed and not yet taken by [`take_written`]: its path, size
/// and XXH3-128, hashed as it was written.
static WRITTEN: std::sync::Mutex<std::collections::BTreeMap<std::path::PathBuf, (u64, u128)>> =
    std::sync::Mutex::new(std::collections::BTreeMap::new());

/// Takes the size and XXH3-128 of every file committed under `dir` (by its path as written:
/// `dir` joined with the file's relative path), so a completion marker need not read them
/// back (a 100 MB run folder: ~20 ms at the end of the run). A file changed since it was
/// committed would differ in size or hash from what its marker lists; the caller checks the
/// size and hashes a file again when it differs.
pub fn take_written(dir: &Path) -> std::collections::BTreeMap<std::path::PathBuf, (u64, u128)> {
    let mut all = WRITTEN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let (under, rest) = std::mem::take(&mut *all)
        .into_iter()
        .partition(|(p, _)| p.starts_with(dir));
    *all = rest;
    under
}

/// Buffer of an [`AtomicFile`]: large enough that writes reach the kernel in big blocks.
const STREAM_BUF: usize = 256 * 1024;

impl AtomicFile {
    /// Starts writing `path` (its directory is created if missing).
    pub(crate) fn create(path: &Path) -> Result<Self> {
        Self::create_with(path, STREAM_BUF)
    }

    /// [`AtomicFile::create`] with a buffer of `capacity` bytes.
    pub(crate) fn create_with(path: &Path, capacity: usize) -> Result<Self> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        fs::create_dir_all(dir).map_err(|e| ReportError::io("create dir", dir, e))?;
        let name = path
            .file_name()
            .ok_or_else(|| ReportError::Invalid(format!("not a file path: {}", path.display())))?;
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(name);
        tmp_name.push(format!(".tmp{}", std::process::id()));
        let tmp = dir.join(tmp_name);
        let f = fs::File::create(&tmp).map_err(|e| ReportError::io("create", &tmp, e))?;
        let digest = Digest {
            len: 0,
            xxh3: Box::new(xxhash_rust::xxh3::Xxh3::new()),
        };
        Ok(AtomicFile {
            out: Some(std::io::BufWriter::with_capacity(capacity, Hashed { f, digest })),
            tmp,
            path: path.to_path_buf(),
            parked: None,
            capacity,
        })
    }

    /// Flushes and closes the file until the next write (which reopens it to append): a
    /// writer with many files open at once (a capture per connection) keeps its file
    /// descriptors and buffers to the ones in use.
    pub(crate) fn park(&mut self) -> std::io::Result<()> {
        if let Some(out) = self.out.take() {
            let h = out.into_inner().map_err(std::io::IntoInnerError::into_error)?;
            self.parked = Some(h.digest);
        }
        Ok(())
    }

    fn open(&mut self) -> std::io::Result<&mut std::io::BufWriter<Hashed>> {
        if let Some(digest) = self.parked.take() {
            match fs::OpenOptions::new().append(true).open(&self.tmp) {
                Ok(f) => self.out = Some(std::io::BufWriter::with_capacity(self.capacity, Hashed { f, digest })),
                Err(e) => {
                    self.parked = Some(digest);
                    return Err(e);
                }
            }
        }
        Ok(self.out.as_mut().expect("not yet committed"))
    }

    /// Flushes and renames the file into place (not synced to disk: see the module doc).
    pub(crate) fn commit(mut self) -> Result<()> {
        if let Err(e) = self.open() {
            return Err(ReportError::io("reopen", &self.tmp, e));
        }
        let out = self.out.take().expect("not yet committed");
        let Hashed { f, digest } = out
            .into_inner()
            .map_err(|e| ReportError::io("write", &self.tmp, e.into_error()))?;
        drop(f);
        fs::rename(&self.tmp, &self.path).map_err(|e| ReportError::io("rename", &self.path, e))?;
        let done = (digest.len, digest.xxh3.digest128());
        let mut all = WRITTEN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        all.insert(std::mem::take(&mut self.path), done);
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.open()?.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.open()?.flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.out.take().is_some() || self.parked.is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Writes CSV rows (with a header from the struct's field names) to `path` atomically, one
/// row at a time.
pub(crate) fn stream_csv<T: Serialize>(path: &Path, rows: impl IntoIterator<Item = T>) -> Result<()> {
    let mut w = csv::Writer::from_writer(AtomicFile::create(path)?);
    for r in rows {
        w.serialize(r)?;
    }
    let file = w
        .into_inner()
        .map_err(|e| ReportError::Invalid(format!("csv flush: {e}")))?;
    file.commit()
}

/// Writes `value` as pretty JSON with a trailing newline, atomically, streamed through the
/// file's buffer (a long run's `summary.json` is megabytes: never held whole in memory).
pub(crate) fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let mut f = AtomicFile::create(path)?;
    serde_json::to_writer_pretty(&mut f, value).map_err(|e| ReportError::json(path, e))?;
    f.write_all(b"\n").map_err(|e| ReportError::io("write", path, e))?;
    f.commit()
}

/// Reads a JSON file.
pub(crate) fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let bytes = fs::read(path).map_err(|e| ReportError::io("read", path, e))?;
    serde_json::from_slice(&bytes).map_err(|e| ReportError::json(path, e))
}

/// Serialises rows (with a header from the struct's field names) to CSV bytes.
pub(crate) fn csv_bytes<T: Serialize>(rows: &[T]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.serialize(r)?;
    }
    w.into_inner()
        .map_err(|e| ReportError::Invalid(format!("csv flush: {e}")))
}

/// A file-name-safe version of `name` ([`scenarios::file_stem`], which validation uses to
/// refuse names that would share a file): ASCII letters, digits, `-`, `_` and `.` are kept,
/// everything else becomes `_`; an empty or dot-only result becomes `_`.
pub fn sanitize(name: &str) -> String {
    scenarios::file_stem(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("sub").join("a.txt");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(p.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.txt")]);
    }

    #[test]
    fn streamed_file_appears_whole_on_commit_and_not_at_all_without() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.csv");
        let mut f = AtomicFile::create(&p).unwrap();
        f.write_all(b"x,y\n").unwrap();
        assert!(!p.exists(), "nothing at the target before commit");
        f.commit().unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"x,y\n");
        let mut g = AtomicFile::create(&d.path().join("b.csv")).unwrap();
        g.write_all(b"half").unwrap();
        drop(g);
        let names: Vec<_> = fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.csv")]);
    }

    #[test]
    fn a_parked_file_reopens_to_append_and_is_removed_if_never_committed() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("c1-sender.pcapng");
        let mut f = AtomicFile::create(&p).unwrap();
        f.write_all(b"one,").unwrap();
        f.park().unwrap();
        f.write_all(b"two").unwrap();
        f.park().unwrap();
        f.commit().unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"one,two");
        let mut g = AtomicFile::create(&d.path().join("b.csv")).unwrap();
        g.write_all(b"half").unwrap();
        g.park().unwrap();
        drop(g);
        let names: Vec<_> = fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("c1-sender.pcapng")]);
    }

    #[test]
    fn sanitize_names() {
        assert_eq!(sanitize("host A->switch"), "host_A-_switch");
        assert_eq!(sanitize(".."), "_..");
        assert_eq!(sanitize(""), "_");
    }
}
