//! Helpers shared by the xtask test binaries that compare result folders file by file.

use std::collections::BTreeMap;
use std::path::Path;

/// Every file under `dir` (relative path -> bytes).
pub fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display())) {
            let e = e.unwrap();
            let p = e.path();
            if e.file_type().unwrap().is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Fails with the files that are missing, extra or different, showing the first differing
/// line of up to three files; returns how many files were compared.
#[track_caller]
pub fn assert_same_tree(expected: &Path, actual: &Path, what: &str) -> usize {
    let a = tree(expected);
    let b = tree(actual);
    let missing: Vec<&String> = a.keys().filter(|k| !b.contains_key(*k)).collect();
    let extra: Vec<&String> = b.keys().filter(|k| !a.contains_key(*k)).collect();
    let differ: Vec<&String> = a
        .iter()
        .filter(|(k, v)| b.get(*k).is_some_and(|w| w != *v))
        .map(|(k, _)| k)
        .collect();
    let first_lines: Vec<String> = differ
        .iter()
        .take(3)
        .map(|k| {
            let (x, y) = (String::from_utf8_lossy(&a[*k]), String::from_utf8_lossy(&b[*k]));
            let line = x.lines().zip(y.lines()).find(|(l, m)| l != m);
            format!("{k}: {line:?}")
        })
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty() && differ.is_empty(),
        "{what}: {} differs from {}\nmissing: {missing:?}\nextra: {extra:?}\ndifferent ({}): {:?}\n{}",
        actual.display(),
        expected.display(),
        differ.len(),
        differ.iter().take(12).collect::<Vec<_>>(),
        first_lines.join("\n")
    );
    a.len()
}
