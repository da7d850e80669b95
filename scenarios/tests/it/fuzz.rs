//! No input panics the loader, the validator or the sweep expansion: a property test over
//! mutated catalog files (byte flips, truncations, deletions, duplications, token swaps and
//! inserted tokens).
//!
//! `OFFSIM_FUZZ_CASES` sets the number of cases (default 2000) and `OFFSIM_FUZZ_SEED` the
//! generator seed (default fixed, so `cargo test` is reproducible). Run with
//! `--nocapture` to see the case count and the time taken.

use crate::catalog_files;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use std::time::Instant;

/// Tokens worth inserting: delimiters, edge-case numbers and strings, keywords.
const VOCAB: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    "\"",
    "'",
    "\\",
    "Some(",
    "None",
    "true",
    "-1",
    "0",
    "1e309",
    "NaN",
    "inf",
    "-inf",
    "18446744073709551616",
    "-9223372036854775809",
    "4294967296",
    "0.0000000001",
    "\"1 s\"",
    "\"0 Mbit/s\"",
    "\"18446744074 s\"",
    "\"1.5 ns\"",
    "\"9999999999 GiB\"",
    "\"\"",
    "Never",
    "At(\"1 s\")",
    "Range(0, 1, 0)",
    "Range(0, 1e9, 1)",
    "Count(4000000000)",
    "r#\"",
    "\"#",
    "/*",
    "*/",
    "//",
    "#![enable(implicit_some)]",
    "#![enable(unwrap_newtypes)]",
    "µ",
    "\u{0}",
    "\u{feff}",
    "p:",
    "path:",
    "values:",
    "timeline[0].when",
    "links[99]",
    "sweep: (axes: [])",
    "Offload(\"c1\")",
    "Upload(\"c1\")",
    "DropPackets([0])",
    "[[[[[[[[[[[[[[[[",
];

#[derive(Clone, Debug)]
enum Mutation {
    Flip(Index, u8),
    Truncate(Index),
    Delete(Index, usize),
    Duplicate(Index, usize),
    SwapTokens(Index, Index),
    Insert(Index, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        any::<Index>().prop_map(Mutation::Truncate),
        (any::<Index>(), 1usize..40).prop_map(|(i, n)| Mutation::Delete(i, n)),
        (any::<Index>(), 1usize..40).prop_map(|(i, n)| Mutation::Duplicate(i, n)),
        (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::SwapTokens(a, b)),
        (any::<Index>(), 0..VOCAB.len()).prop_map(|(i, t)| Mutation::Insert(i, t)),
    ]
}

/// Byte ranges of crude tokens: identifier/number runs, quoted strings, single punctuation.
fn tokens(b: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        if b[i].is_ascii_whitespace() {
            i += 1;
            continue;
        } else if b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.' || b[i] == b'-' {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.' || b[i] == b'-') {
                i += 1;
            }
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += 1;
            }
            i = (i + 1).min(b.len());
        } else {
            i += 1;
        }
        out.push((start, i));
    }
    out
}

fn apply(mut b: Vec<u8>, m: &Mutation) -> Vec<u8> {
    if b.is_empty() {
        return b;
    }
    match m {
        Mutation::Flip(i, v) => {
            let i = i.index(b.len());
            b[i] = *v;
        }
        Mutation::Truncate(i) => b.truncate(i.index(b.len())),
        Mutation::Delete(i, n) => {
            let i = i.index(b.len());
            b.drain(i..(i + n).min(b.len()));
        }
        Mutation::Duplicate(i, n) => {
            let i = i.index(b.len());
            let chunk: Vec<u8> = b[i..(i + n).min(b.len())].to_vec();
            b.splice(i..i, chunk);
        }
        Mutation::SwapTokens(x, y) => {
            let t = tokens(&b);
            if t.len() >= 2 {
                let (mut p, mut q) = (t[x.index(t.len())], t[y.index(t.len())]);
                if p.0 > q.0 {
                    std::mem::swap(&mut p, &mut q);
                }
                if p.1 <= q.0 {
                    let mut out = b[..p.0].to_vec();
                    out.extend_from_slice(&b[q.0..q.1]);
                    out.extend_from_slice(&b[p.1..q.0]);
                    out.extend_from_slice(&b[p.0..p.1]);
                    out.extend_from_slice(&b[q.1..]);
                    b = out;
                }
            }
        }
        Mutation::Insert(i, t) => {
            let i = i.index(b.len() + 1);
            b.splice(i..i, VOCAB[*t].bytes());
        }
    }
    b
}

/// Load, validate and (for small sweeps) expand; any panic fails the property. Returns
/// whether the text was a valid scenario.
fn exercise(text: &str) -> bool {
    match scenarios::parse(text, "fuzz.ron") {
        Ok(s) => {
            scenarios::validate(&s).expect("parse validated it");
            let small = s.sweep.as_ref().is_none_or(|w| {
                let combos: usize = w.axes.iter().map(|a| a.values.len().max(1)).product();
                let seeds = match &w.seeds {
                    scenarios::sweep::Seeds::Count(n) => *n as usize,
                    scenarios::sweep::Seeds::List(l) => l.len(),
                };
                combos.saturating_mul(seeds) <= 200 && w.axes.iter().all(|a| a.range.is_none())
            });
            if small {
                let _ = scenarios::expand(&s);
            }
            true
        }
        Err(e) => {
            // Error display must not panic either, and must name the file.
            assert!(e.to_string().starts_with("fuzz.ron"), "{e}");
            false
        }
    }
}

#[test]
fn mutated_catalog_files_never_panic() {
    let cases: u32 = std::env::var("OFFSIM_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let seed: u64 = std::env::var("OFFSIM_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x000f_f51a);
    let corpus: Vec<Vec<u8>> = catalog_files().iter().map(|p| std::fs::read(p).unwrap()).collect();
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes);
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(config, rng);
    let strategy = (0..corpus.len(), proptest::collection::vec(mutation(), 1..6));
    let started = Instant::now();
    let parsed_ok = std::cell::Cell::new(0u32);
    let result = runner.run(&strategy, |(file, mutations)| {
        let bytes = mutations.iter().fold(corpus[file].clone(), apply);
        let text = String::from_utf8_lossy(&bytes);
        if exercise(&text) {
            parsed_ok.set(parsed_ok.get() + 1);
        }
        Ok(())
    });
    eprintln!(
        "fuzz: {cases} mutated catalog files (seed {seed:#x}) in {:.2?}; {} still valid",
        started.elapsed(),
        parsed_ok.get()
    );
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn every_catalog_file_survives_every_truncation() {
    // Exhaustive over one file: each prefix, cut at every char boundary in steps.
    let text = std::fs::read_to_string(crate::catalog_dir().join("sweep_default.ron")).unwrap();
    for cut in (0..=text.len()).filter(|&c| text.is_char_boundary(c)).step_by(7) {
        exercise(&text[..cut]);
    }
}

proptest! {
    #[test]
    fn unit_parsers_never_panic(s in "\\PC{0,24}") {
        let _ = scenarios::units::parse_duration(&s);
        let _ = scenarios::units::parse_rate(&s);
        let _ = scenarios::units::parse_size(&s);
    }

    #[test]
    fn unit_parsers_accept_their_own_display(n in any::<u64>()) {
        use scenarios::units::{Duration, Rate, Size, parse_duration, parse_rate, parse_size};
        prop_assert_eq!(parse_duration(&Duration::from_nanos(n).to_string()).unwrap().as_nanos(), n);
        prop_assert_eq!(parse_rate(&Rate::from_bits_per_sec(n).to_string()).unwrap().bits_per_sec(), n);
        prop_assert_eq!(parse_size(&Size::from_bytes(n).to_string()).unwrap().bytes(), n);
    }

    #[test]
    fn decimal_durations_are_exact(whole in 0u64..1_000_000, frac in 0u64..1_000_000_000) {
        let text = format!("{whole}.{frac:09} s");
        prop_assert_eq!(scenarios::units::parse_duration(&text).unwrap().as_nanos(), whole * 1_000_000_000 + frac);
    }
}
