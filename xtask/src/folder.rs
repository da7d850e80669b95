//! Result folders: the advisory lock that keeps two writers out of one folder, the completion
//! marker that says a run folder is whole, and what kind of folder an `--out` points at.
//!
//! - **Lock.** Every command that writes or reads a result folder as a whole (`sweep`, `run`,
//!   `merge`, `report`) holds an exclusive advisory lock on `DIR/.offsim.lock` for its whole
//!   duration; a second one fails at once, naming the holder (pid, start time, command). The
//!   lock is `flock(2)` through std's `File::try_lock` (stable since Rust 1.89, this
//!   workspace's minimum): no extra crate, released by the kernel when the holder dies (kill -9
//!   included), so a stale lock file never blocks anyone. The file stays (removing it would
//!   let two processes lock two different inodes); the holder empties it when done, so a
//!   finished folder's bytes do not depend on who wrote it. It is advisory: it keeps offsim
//!   processes apart, not `rm -rf`. On NFS, `flock` is only as good as the server's locking.
//! - **Completion marker.** A run folder is complete only when `complete.json` — every file of
//!   the folder with its size and XXH3-128 hash, sorted by path — is written last (atomically).
//!   A folder whose marker is missing, or whose files differ from it in any way (missing,
//!   extra, other size or hash), is not complete: `--resume` runs it again, `merge` and
//!   `report` refuse it.
//! - **Kinds.** [`kind`] tells an empty folder, a sweep folder (`manifest.json`), a run folder
//!   (`summary.json` or `complete.json`) and anything else apart, so `--out` never writes into
//!   (or clears) a folder that offsim did not make.

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// The lock file in every result folder.
pub const LOCK: &str = ".offsim.lock";
/// The completion marker of a run folder.
pub const MARKER: &str = "complete.json";

/// An exclusive lock on a result folder, held until dropped.
#[derive(Debug)]
pub struct FolderLock {
    file: File,
}

/// Locks `dir` (created if missing) for `command` (e.g. `sweep`), or fails at once naming the
/// process that holds it.
pub fn lock(dir: &Path, command: &str) -> Result<FolderLock> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let path = dir.join(LOCK);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("opening the lock file {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            bail!(
                "{} is in use by another offsim process ({}): two writers in one result folder \
                 would mix their files. Wait for it to end, or use another --out.",
                dir.display(),
                if holder.is_empty() {
                    "holder not yet recorded"
                } else {
                    holder
                }
            );
        }
        Err(TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("locking {}", path.display()));
        }
    }
    // Who holds it, for the message above. The wall clock is read here only: it names the
    // holder for a human and never reaches a result file (the lock file is emptied at the end).
    let holder = format!("pid {}, started {}, command `{command}`", std::process::id(), utc_now());
    file.set_len(0)?;
    file.rewind()?;
    file.write_all(holder.as_bytes())?;
    file.sync_all()?;
    Ok(FolderLock { file })
}

impl Drop for FolderLock {
    fn drop(&mut self) {
        // Emptied so a finished folder is the same bytes whoever wrote it; the kernel releases
        // the lock when the file is closed.
        let _ = self.file.set_len(0);
    }
}

/// The current time as `YYYY-MM-DDTHH:MM:SSZ` (for the lock holder's description only).
fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's civil_from_days, for days since 1970-01-01.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// One file of a complete run folder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkedFile {
    /// Path relative to the folder, `/`-separated.
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// XXH3-128 of the content, hex.
    pub xxh3_128: String,
}

/// The content of `complete.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Marker {
    /// Every file of the folder but the marker and the lock file, sorted by path.
    pub files: Vec<MarkedFile>,
}

/// The files of `dir` as they are now, with their sizes and hashes (what a marker written now
/// would list). `written`: what this process recorded of the files it wrote there
/// ([`reports::take_written`]), used for files of the same size instead of reading them back;
/// empty to read every file.
fn inventory(dir: &Path, written: &std::collections::BTreeMap<PathBuf, (u64, u128)>) -> Result<Marker> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, std::path::PathBuf)>) -> Result<()> {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .collect::<std::io::Result<_>>()?;
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let path = e.path();
            let rel = path.strip_prefix(root).unwrap_or(&path);
            if dir == root && (e.file_name() == MARKER || e.file_name() == LOCK) {
                continue;
            }
            if e.file_type()?.is_dir() {
                walk(root, &path, out)?;
            } else {
                out.push((rel.to_string_lossy().replace('\\', "/"), path));
            }
        }
        Ok(())
    }
    let mut paths = Vec::new();
    walk(dir, dir, &mut paths)?;
    // The files this process wrote were hashed as they were written; one whose size differs
    // now is read again.
    let hashed: Vec<HashSlot> = paths
        .iter()
        .map(|(_, path)| {
            let same = written
                .get(path)
                .filter(|(n, _)| std::fs::metadata(path).is_ok_and(|m| m.len() == *n));
            std::sync::Mutex::new(same.map(|&h| Ok(h)))
        })
        .collect();
    // Hashing reads every byte back (a 100 MB run folder: tens of ms), so the others are
    // hashed on up to HASH_THREADS threads, each taking the next file; results keep the
    // listing's order.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(HASH_THREADS)
        .min(paths.len());
    let work = || {
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some((_, path)) = paths.get(i) else { break };
            let mut slot = hashed[i].lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if slot.is_none() {
                *slot = Some(hash_file(path));
            }
        }
    };
    std::thread::scope(|s| {
        for _ in 1..threads {
            s.spawn(work);
        }
        work();
    });
    let mut files = Vec::with_capacity(paths.len());
    for ((rel, path), h) in paths.into_iter().zip(hashed) {
        let (bytes, hash) = h
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .expect("every file hashed")
            .with_context(|| format!("reading {}", path.display()))?;
        files.push(MarkedFile {
            path: rel,
            bytes,
            xxh3_128: format!("{hash:032x}"),
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Marker { files })
}

/// One file's (size, hash) once a hashing thread has read it.
type HashSlot = std::sync::Mutex<Option<std::io::Result<(u64, u128)>>>;

/// Threads hashing a folder's files for its completion marker.
const HASH_THREADS: usize = 2;

fn hash_file(path: &Path) -> std::io::Result<(u64, u128)> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf)?;
        if k == 0 {
            return Ok((n, h.digest128()));
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
}

/// Writes the completion marker of run folder `dir`, listing the files it holds now. Call it
/// last, when every file is written.
pub fn mark_complete(dir: &Path) -> Result<()> {
    let marker = inventory(dir, &reports::take_written(dir))?;
    let mut bytes = serde_json::to_vec_pretty(&marker)?;
    bytes.push(b'\n');
    reports::write_atomic(&dir.join(MARKER), &bytes)?;
    Ok(())
}

/// `Ok` when run folder `dir` is complete: its marker exists and lists exactly the files the
/// folder holds, with their sizes and hashes. The error says what is wrong.
pub fn check_complete(dir: &Path) -> Result<(), String> {
    let text = match std::fs::read(dir.join(MARKER)) {
        Ok(t) => t,
        Err(_) => return Err(format!("{} has no completion marker ({MARKER})", dir.display())),
    };
    let marker: Marker = serde_json::from_slice(&text)
        .map_err(|e| format!("{}: unreadable completion marker: {e}", dir.join(MARKER).display()))?;
    // Checked against the files as they are on disk, never against what was written.
    let now = inventory(dir, &Default::default()).map_err(|e| format!("{e:#}"))?;
    if now == marker {
        return Ok(());
    }
    let listed = |m: &Marker, p: &str| m.files.iter().find(|f| f.path == p).cloned();
    let missing = marker.files.iter().find(|f| listed(&now, &f.path).is_none());
    let extra = now.files.iter().find(|f| listed(&marker, &f.path).is_none());
    let changed = marker
        .files
        .iter()
        .find(|f| listed(&now, &f.path).is_some_and(|g| g != **f));
    let what = match (missing, extra, changed) {
        (Some(f), _, _) => format!("{} is missing", f.path),
        (_, Some(f), _) => format!("{} is not listed in the marker", f.path),
        (_, _, Some(f)) => format!("{} changed after the run was complete", f.path),
        _ => "files differ from the marker".to_string(),
    };
    Err(format!(
        "{} is not the complete run folder its marker lists: {what}",
        dir.display()
    ))
}

/// What an output folder holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Missing, or empty but for a lock file.
    Empty,
    /// A sweep folder (`manifest.json`) of this scenario.
    Sweep(String),
    /// A run folder (`summary.json` or `complete.json`) of this scenario.
    Run(String),
    /// Anything else: never written into.
    Other,
}

/// What `dir` holds (see [`Kind`]).
pub fn kind(dir: &Path) -> Result<Kind> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(if dir.exists() { Kind::Other } else { Kind::Empty });
    };
    let mut names = Vec::new();
    for e in entries {
        names.push(e?.file_name());
    }
    if names.iter().all(|n| n == LOCK) {
        return Ok(Kind::Empty);
    }
    if let Ok(text) = std::fs::read(dir.join("manifest.json")) {
        /// Just the name: the recorded scenario need not pass today's validation.
        #[derive(Deserialize)]
        struct Named {
            name: String,
        }
        /// The one field read (a typed read skips the rest without building it: a
        /// 10,000-connection summary parsed whole took half a second).
        #[derive(Deserialize)]
        struct Manifest {
            scenario_text: String,
        }
        let name = serde_json::from_slice::<Manifest>(&text)
            .ok()
            .and_then(|m| ron::Options::default().from_str::<Named>(&m.scenario_text).ok())
            .map(|s| s.name);
        return Ok(name.map_or(Kind::Other, Kind::Sweep));
    }
    if let Ok(text) = std::fs::read(dir.join("summary.json")) {
        #[derive(Deserialize)]
        struct Summary {
            scenario: String,
        }
        return Ok(serde_json::from_slice::<Summary>(&text).map_or(Kind::Other, |s| Kind::Run(s.scenario)));
    }
    if dir.join(MARKER).is_file() {
        return Ok(Kind::Run(String::new()));
    }
    Ok(Kind::Other)
}

/// Removes everything in `dir` but its lock file.
pub fn clear(dir: &Path) -> Result<()> {
    for e in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let e = e?;
        if e.file_name() == LOCK {
            continue;
        }
        let path: PathBuf = e.path();
        if e.file_type()?.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        }
        .with_context(|| format!("removing {}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Markers written before files were hashed in blocks stay valid: the streamed digest of
    /// a file spanning several blocks is its one-shot XXH3-128.
    #[test]
    fn a_file_hashed_in_blocks_has_its_one_shot_digest() {
        let d = tempfile::tempdir().unwrap();
        let data: Vec<u8> = (0..700_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect();
        let p = d.path().join("big.pcapng");
        std::fs::write(&p, &data).unwrap();
        assert_eq!(hash_file(&p).unwrap(), (700_000, xxhash_rust::xxh3::xxh3_128(&data)));
    }

    /// The marker takes the sizes and hashes recorded as files were written, and they are the
    /// ones read back; a file rewritten with another size since is read again, and the
    /// check that a folder is complete always reads the files.
    #[test]
    fn a_marker_from_hashes_taken_while_writing_equals_one_read_back() {
        let d = tempfile::tempdir().unwrap();
        let data: Vec<u8> = (0..300_000u32).map(|i| (i.wrapping_mul(40_503) >> 9) as u8).collect();
        reports::write_atomic(&d.path().join("a.pcapng"), &data).unwrap();
        reports::write_atomic(&d.path().join("sub/b.csv"), b"x,y\n1,2\n").unwrap();
        reports::write_atomic(&d.path().join("c.json"), b"{}").unwrap();
        // Changed behind the writer's back: other size, so it is read again.
        std::fs::write(d.path().join("c.json"), b"{\"k\": 1}").unwrap();
        let written = reports::take_written(d.path());
        assert_eq!(written.len(), 3, "{written:?}");
        let (n, h) = written[&d.path().join("a.pcapng")];
        assert_eq!((n, h), (300_000, xxhash_rust::xxh3::xxh3_128(&data)));
        let taken = inventory(d.path(), &written).unwrap();
        let read = inventory(d.path(), &Default::default()).unwrap();
        assert_eq!(taken, read);
        assert!(reports::take_written(d.path()).is_empty(), "taken once");
        // A recorded size that is no longer the file's is not used; the check reads files.
        mark_complete(d.path()).unwrap();
        std::fs::write(d.path().join("sub/b.csv"), b"x,y\n1,3\n").unwrap();
        assert!(check_complete(d.path()).unwrap_err().contains("sub/b.csv changed"));
    }

    #[test]
    fn a_marker_detects_missing_extra_and_changed_files() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("summary.json"), "{}").unwrap();
        std::fs::create_dir(d.path().join("sub")).unwrap();
        std::fs::write(d.path().join("sub/a.csv"), "1,2\n").unwrap();
        assert!(check_complete(d.path()).unwrap_err().contains("no completion marker"));
        mark_complete(d.path()).unwrap();
        assert_eq!(check_complete(d.path()), Ok(()));
        std::fs::write(d.path().join("sub/a.csv"), "1,3\n").unwrap();
        assert!(check_complete(d.path()).unwrap_err().contains("sub/a.csv changed"));
        std::fs::write(d.path().join("sub/a.csv"), "1,2\n").unwrap();
        std::fs::write(d.path().join("stale.pcapng"), "").unwrap();
        assert!(
            check_complete(d.path())
                .unwrap_err()
                .contains("stale.pcapng is not listed")
        );
        std::fs::remove_file(d.path().join("stale.pcapng")).unwrap();
        std::fs::remove_file(d.path().join("summary.json")).unwrap();
        assert!(
            check_complete(d.path())
                .unwrap_err()
                .contains("summary.json is missing")
        );
    }

    #[test]
    fn a_second_lock_fails_at_once_naming_the_holder() {
        let d = tempfile::tempdir().unwrap();
        let held = lock(d.path(), "sweep").unwrap();
        let e = format!("{:#}", lock(d.path(), "report").unwrap_err());
        assert!(e.contains(&format!("pid {}", std::process::id())), "{e}");
        assert!(e.contains("command `sweep`") && e.contains("started 20"), "{e}");
        drop(held);
        assert_eq!(std::fs::read(d.path().join(LOCK)).unwrap(), b"");
        let again = lock(d.path(), "report");
        assert!(again.is_ok());
    }

    #[test]
    fn kinds_of_folders() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(kind(&d.path().join("nope")).unwrap(), Kind::Empty);
        assert_eq!(kind(d.path()).unwrap(), Kind::Empty);
        let _l = lock(d.path(), "t").unwrap();
        assert_eq!(kind(d.path()).unwrap(), Kind::Empty);
        std::fs::write(d.path().join("notes.txt"), "mine").unwrap();
        assert_eq!(kind(d.path()).unwrap(), Kind::Other);
        std::fs::write(d.path().join("summary.json"), r#"{"scenario": "x"}"#).unwrap();
        assert_eq!(kind(d.path()).unwrap(), Kind::Run("x".into()));
    }

    #[test]
    fn utc_dates() {
        assert!(utc_now().starts_with("20") && utc_now().ends_with('Z'));
    }
}
