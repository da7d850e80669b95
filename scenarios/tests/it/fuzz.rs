//! No input panics the loader, the validator, the sweep expansion or the build (scenario →
//! testbed), and none takes unbounded time or memory: a property test over mutated catalog
//! files (byte flips, truncations, deletions, duplications, token swaps and inserted tokens).
//! Memory is measured per case by a counting allocator (bytes live on the case's thread);
//! time by the case's duration.
//!
//! `OFFSIM_FUZZ_CASES` sets the number of cases (default 2000), `OFFSIM_FUZZ_SEED` the
//! generator seed (default fixed, so `cargo test` is reproducible) and `OFFSIM_FUZZ_SECS` a
//! time budget after which the remaining cases are skipped (default none; CI sets one). Run
//! with `--nocapture` to see the case count and the time taken.

use crate::catalog_files;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::{Duration, Instant};

/// Most memory one case may allocate on top of what its thread held before (load, validate,
/// expand and build of one mutated file).
const MEMORY_BOUND: isize = 256 << 20;
/// Longest one case may take (a debug build on a loaded machine; a typical case takes ms).
const TIME_BOUND: Duration = Duration::from_secs(20);

/// The system allocator, counting the bytes live on each thread and their peak.
struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn track(delta: isize) {
    let _ = LIVE.try_with(|live| {
        let v = live.get() + delta;
        live.set(v);
        let _ = PEAK.try_with(|p| p.set(p.get().max(v)));
    });
}

// SAFETY: every call is forwarded to `System` unchanged; the counters only observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            track(layout.size() as isize);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) };
        track(-(layout.size() as isize));
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            track(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f`, failing if it takes longer than [`TIME_BOUND`] or allocates more than
/// [`MEMORY_BOUND`] at its peak; returns its result.
fn bounded<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let started = Instant::now();
    let out = f();
    let took = started.elapsed();
    let peak = PEAK.with(Cell::get) - base;
    assert!(took <= TIME_BOUND, "{what}: took {took:?} (bound {TIME_BOUND:?})");
    assert!(
        peak <= MEMORY_BOUND,
        "{what}: allocated {} MiB at its peak (bound {} MiB)",
        peak >> 20,
        MEMORY_BOUND >> 20
    );
    out
}

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

/// Edge values for quantities and numbers: a mutation swaps one of the file's values for one
/// of these, keeping the syntax valid so that validation and the build see them.
const VALUES: &[&str] = &[
    "\"0 s\"",
    "\"1 ns\"",
    "\"29.9999 s\"",
    "\"60 s\"",
    "\"18446744073 s\"",
    "\"9223372036 s\"",
    "\"1 bit/s\"",
    "\"7 bit/s\"",
    "\"1 B/s\"",
    "\"1000 Gbit/s\"",
    "\"1 B\"",
    "\"40 B\"",
    "\"4 GiB\"",
    "\"5 GiB\"",
    "\"16 EiB\"",
    "\"18446744073709551615 B\"",
    "0",
    "1",
    "14",
    "15",
    "65535",
    "4294967295",
    "0.5",
    "1.0",
];

#[derive(Clone, Debug)]
enum Mutation {
    /// Replace the k-th value (quoted quantity or number) with `VALUES[v]`.
    Value(Index, usize),
    Flip(Index, u8),
    Truncate(Index),
    Delete(Index, usize),
    Duplicate(Index, usize),
    SwapTokens(Index, Index),
    Insert(Index, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<Index>(), 0..VALUES.len()).prop_map(|(i, v)| Mutation::Value(i, v)),
        1 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        1 => (any::<Index>(), 1usize..40).prop_map(|(i, n)| Mutation::Delete(i, n)),
        1 => (any::<Index>(), 1usize..40).prop_map(|(i, n)| Mutation::Duplicate(i, n)),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::SwapTokens(a, b)),
        1 => (any::<Index>(), 0..VOCAB.len()).prop_map(|(i, t)| Mutation::Insert(i, t)),
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
        Mutation::Value(k, v) => {
            let values: Vec<(usize, usize)> = tokens(&b)
                .into_iter()
                .filter(|&(x, y)| {
                    let t = &b[x..y];
                    let quoted_quantity = t.len() > 2 && t[0] == b'"' && t[1].is_ascii_digit();
                    quoted_quantity || t.iter().all(|c| c.is_ascii_digit() || *c == b'.')
                })
                .filter(|&(x, y)| b[x..y].iter().any(u8::is_ascii_digit))
                .collect();
            if !values.is_empty() {
                let (x, y) = values[k.index(values.len())];
                b.splice(x..y, VALUES[*v].bytes());
            }
        }
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

/// Load, validate and (for small sweeps) expand and build every run, in bounded time and
/// memory; any panic fails the property. Returns whether the text was a valid scenario.
fn exercise(text: &str) -> bool {
    bounded(&format!("case {:?}", text.get(..80).unwrap_or(text)), || {
        exercise_unbounded(text)
    })
}

fn exercise_unbounded(text: &str) -> bool {
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
            if small && let Ok(runs) = scenarios::expand(&s) {
                // Issue 14: values that pass `check` must not fail or panic when wired.
                for r in runs.iter().take(8) {
                    let _ = scenarios::build(&r.scenario);
                }
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
    let budget: Option<Duration> = std::env::var("OFFSIM_FUZZ_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map(Duration::from_secs);
    let skipped = Cell::new(0u32);
    let result = runner.run(&strategy, |(file, mutations)| {
        if budget.is_some_and(|b| started.elapsed() > b) {
            skipped.set(skipped.get() + 1);
            return Ok(());
        }
        let bytes = mutations.iter().fold(corpus[file].clone(), apply);
        let text = String::from_utf8_lossy(&bytes);
        if exercise(&text) {
            parsed_ok.set(parsed_ok.get() + 1);
        }
        Ok(())
    });
    eprintln!(
        "fuzz: {} of {cases} mutated catalog files (seed {seed:#x}) in {:.2?}; {} still valid{}",
        cases - skipped.get(),
        started.elapsed(),
        parsed_ok.get(),
        if skipped.get() > 0 {
            " (time budget OFFSIM_FUZZ_SECS reached)"
        } else {
            ""
        }
    );
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn the_bounds_catch_a_case_that_allocates_too_much() {
    // Reserved, never touched: costs no real memory, but counts.
    let caught = std::panic::catch_unwind(|| bounded("big", || Vec::<u8>::with_capacity(MEMORY_BOUND as usize + 1)));
    assert!(caught.is_err(), "a case above the memory bound must fail");
    assert_eq!(bounded("small", || vec![0u8; 1024].len()), 1024);
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
