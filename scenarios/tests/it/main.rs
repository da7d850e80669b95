//! Integration tests of the scenarios crate: one binary, a module per topic.

mod bounds;
mod catalog;
mod chunks;
mod errors;
mod fuzz;
mod golden;
mod red_team;
mod settings;
mod sweep;
mod topology;

use std::path::PathBuf;

/// The catalog directory.
pub fn catalog_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("catalog")
}

/// Every catalog file, sorted by name.
pub fn catalog_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(catalog_dir())
        .expect("catalog dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .collect();
    files.sort();
    files
}
