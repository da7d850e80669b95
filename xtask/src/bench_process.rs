//! Whole-process benchmarks for `cargo xtask bench`: the real `run` / `sweep` command run as a
//! child process, measured as a user would meet it — wall time, CPU time and peak resident
//! memory from the child's own `rusage` (`wait4`), bytes and files written into its output
//! folder, and wall time per simulated data segment (from the runs' `summary.json`).
//!
//! The scenarios are generated here (not catalog files: they are sized for measuring, not for
//! regression) and written next to their output under `target/offsim/bench/`. Measuring is
//! all this module does: no figure is asserted anywhere, the machine decides what is fast.

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// One whole-process case: a command line of this program and what it is called.
pub struct Case {
    /// Short stable name (used by `--only` and in the JSON).
    pub name: &'static str,
    /// What it measures, for people.
    pub what: &'static str,
    /// Whether it runs by default (the heavy ones are asked for by name).
    pub default: bool,
    /// The scenario to generate (`None`: the command names a catalog file).
    scenario: Option<fn() -> String>,
    /// The subcommand and its arguments; `{scenario}` and `{out}` are substituted.
    args: &'static [&'static str],
    /// The run is meant to end at its time limit (a fixed stretch of simulated time), which
    /// the program reports as a failed run: shown as such, not as an error.
    time_limited: bool,
}

/// Every whole-process case, in the order they run.
pub const CASES: &[Case] = &[
    Case {
        name: "transfer_100MB",
        what: "run: 100 MB, 1% loss, 10 Mbit/s / 20 ms, default artefacts",
        default: true,
        scenario: Some(|| transfer_scenario("100 MB", "2000 s")),
        args: &["run", "{scenario}", "--out", "{out}"],
        time_limited: false,
    },
    Case {
        name: "transfer_100MB_summary",
        what: "run: the same with --artifacts summary",
        default: true,
        scenario: Some(|| transfer_scenario("100 MB", "2000 s")),
        args: &["run", "{scenario}", "--out", "{out}", "--artifacts", "summary"],
        time_limited: false,
    },
    Case {
        name: "transfer_1GiB",
        what: "run: 1 GiB, 1% loss, 10 Mbit/s / 20 ms, default artefacts (peak RSS)",
        default: true,
        scenario: Some(|| transfer_scenario("1 GiB", "20000 s")),
        args: &["run", "{scenario}", "--out", "{out}"],
        time_limited: false,
    },
    Case {
        name: "conns_1000x1MB_summary",
        what: "run: 1000 connections x 1 MB over 10 Gbit/s, 1% loss, --artifacts summary",
        default: true,
        scenario: Some(|| conns_scenario(1000, "1 MB", "10 Gbit/s", None, "60 s")),
        args: &["run", "{scenario}", "--out", "{out}", "--artifacts", "summary"],
        time_limited: false,
    },
    Case {
        name: "conns_1000x1MB",
        what: "run: the same with default artefacts",
        default: false,
        scenario: Some(|| conns_scenario(1000, "1 MB", "10 Gbit/s", None, "60 s")),
        args: &["run", "{scenario}", "--out", "{out}"],
        time_limited: false,
    },
    Case {
        name: "conns_10000_100G_1s",
        what: "run: 10,000 connections sharing 100 Gbit/s, 1% loss, target limit 1000, 1 simulated s, \
               summary (opt-in: long)",
        default: false,
        scenario: Some(|| conns_scenario(10_000, "1 GB", "100 Gbit/s", Some(1000), "1 s")),
        args: &["run", "{scenario}", "--out", "{out}", "--artifacts", "summary"],
        time_limited: true,
    },
    Case {
        name: "main_job",
        what: "sweep: the README's main job (sweep_default.ron, 96 runs of 1 MiB), default artefacts",
        default: true,
        scenario: None,
        args: &["sweep", "scenarios/catalog/sweep_default.ron", "--out", "{out}"],
        time_limited: false,
    },
];

/// A 1 %-loss bulk transfer of `bytes` over 10 Mbit/s / 20 ms with a queue that does not
/// drop: the world of `models::testbed::bench_testbed`, as a scenario file.
fn transfer_scenario(bytes: &str, max_time: &str) -> String {
    format!(
        r#"(
    name: "bench_transfer",
    description: "Benchmark: one {bytes} bulk transfer at 1% loss over 10 Mbit/s / 20 ms.",
    seed: 1,
    limits: (max_time: "{max_time}", max_events: 1000000000),
    hosts: [(name: "host"), (name: "peer")],
    links: [(
        name: "l0", a: "host", b: "peer",
        forward: (rate: "10 Mbit/s", delay: "20 ms", queue: Packets(1000), impairments: [Bernoulli(p: 0.01)]),
        reverse: (rate: "10 Mbit/s", delay: "20 ms", queue: Packets(1000)),
    )],
    connections: [(name: "c1", client: "host", server: "peer")],
    applications: [(name: "bulk", conn: "c1", start: "0 s", bytes: "{bytes}", write_size: Fixed("64 KiB"), timing: AllAtOnce)],
    timeline: [],
)
"#
    )
}

/// `n` connections of `bytes` each sharing one link of `rate` (1 % loss on the data
/// direction, 1 ms one way); with `target_limit`, the host has an offload target accepting
/// that many connections and every connection asks to be offloaded after 64 kB acknowledged
/// (so the limit is hit and the rest are refused).
fn conns_scenario(n: usize, bytes: &str, rate: &str, target_limit: Option<u32>, max_time: &str) -> String {
    let host = match target_limit {
        Some(m) => format!(
            r#"(name: "host", offload_target: (name: "nic", latency: "1 ms", upload_latency: "1 ms", max_connections: {m}))"#
        ),
        None => r#"(name: "host")"#.to_string(),
    };
    let mut conns = String::new();
    let mut apps = String::new();
    let mut timeline = String::new();
    for i in 0..n {
        conns += &format!("        (name: \"c{i}\", client: \"host\", server: \"peer\"),\n");
        apps += &format!(
            "        (name: \"a{i}\", conn: \"c{i}\", start: \"0 s\", bytes: \"{bytes}\", write_size: Fixed(\"64 KiB\"), timing: AllAtOnce),\n"
        );
        if target_limit.is_some() {
            timeline += &format!("        (when: AfterBytesAcked(\"c{i}\", \"64 kB\"), action: Offload(\"c{i}\")),\n");
        }
    }
    format!(
        r#"(
    name: "bench_conns",
    description: "Benchmark: {n} connections of {bytes} each sharing {rate} at 1% loss.",
    seed: 1,
    limits: (max_time: "{max_time}", max_events: 4000000000),
    hosts: [{host}, (name: "peer")],
    links: [(
        name: "l0", a: "host", b: "peer",
        forward: (rate: "{rate}", delay: "1 ms", queue: Packets(100000), impairments: [Bernoulli(p: 0.01)]),
        reverse: (rate: "{rate}", delay: "1 ms", queue: Packets(100000)),
    )],
    connections: [
{conns}    ],
    applications: [
{apps}    ],
    timeline: [
{timeline}    ],
)
"#
    )
}

/// What one child process cost.
#[derive(Debug, Default)]
pub struct Measured {
    /// Exit status (0 ok, 2 some run failed, ...).
    pub exit: i32,
    /// Wall time [s].
    pub wall_s: f64,
    /// User CPU time [s].
    pub user_s: f64,
    /// System CPU time [s].
    pub sys_s: f64,
    /// Peak resident set size [bytes] (`ru_maxrss`).
    pub peak_rss: u64,
    /// Bytes of the files in the output folder (file lengths, like `du -sb` without the
    /// directories' own blocks).
    pub bytes_written: u64,
    /// Files in the output folder.
    pub files: u64,
    /// Data segments put on the wire, summed over the runs' `summary.json`.
    pub data_segments: u64,
}

impl Measured {
    /// Wall time per data segment [µs].
    pub fn us_per_segment(&self) -> Option<f64> {
        (self.data_segments > 0).then(|| self.wall_s * 1e6 / self.data_segments as f64)
    }

    fn json(&self, case: &Case) -> Value {
        json!({
            "name": case.name,
            "what": case.what,
            "exit": self.exit,
            "wall_s": self.wall_s,
            "user_s": self.user_s,
            "sys_s": self.sys_s,
            "peak_rss_bytes": self.peak_rss,
            "bytes_written": self.bytes_written,
            "files": self.files,
            "data_segments": self.data_segments,
            "us_per_data_segment": self.us_per_segment(),
        })
    }
}

/// Runs `exe args` to completion and measures it with `wait4` (the child's own rusage, so
/// the figures of one case never include another's). Linux counts the resident size of the
/// process that started the child into the child's `ru_maxrss` (it is taken over at `exec`),
/// so this process stays small: nothing it keeps grows with the cases it measured.
pub fn measure_child(exe: &Path, args: &[String], log: &Path) -> Result<(i32, f64, libc::rusage)> {
    let out = std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
    let t = Instant::now();
    let child = std::process::Command::new(exe)
        .args(args)
        .stdout(out.try_clone()?)
        .stderr(out)
        .spawn()
        .with_context(|| format!("starting {}", exe.display()))?;
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is plain old data that wait4 fills in; zeroed is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own child, not yet waited for (std's `Child` is only dropped, which
    // neither waits nor kills); `status` and `usage` are valid for writes.
    let rc = loop {
        let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if rc == -1 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        break rc;
    };
    let wall = t.elapsed().as_secs_f64();
    drop(child);
    if rc != pid {
        bail!("waiting for {}: {}", exe.display(), std::io::Error::last_os_error());
    }
    let exit = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        128 + libc::WTERMSIG(status)
    };
    Ok((exit, wall, usage))
}

fn secs(tv: libc::timeval) -> f64 {
    tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6
}

/// File count and total length under `dir`.
fn tree_size(dir: &Path) -> Result<(u64, u64)> {
    let (mut files, mut bytes) = (0, 0);
    if !dir.exists() {
        return Ok((0, 0));
    }
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let ty = e.file_type()?;
        if ty.is_dir() {
            let (f, b) = tree_size(&e.path())?;
            files += f;
            bytes += b;
        } else {
            files += 1;
            bytes += e.metadata()?.len();
        }
    }
    Ok((files, bytes))
}

/// Data segments summed over every `summary.json` under `dir`.
fn data_segments(dir: &Path) -> Result<u64> {
    let mut n = 0;
    if !dir.exists() {
        return Ok(0);
    }
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        if e.file_type()?.is_dir() {
            n += data_segments(&e.path())?;
        } else if e.file_name() == "summary.json" {
            // Only the one field, read as it streams by: a many-connection summary parsed
            // into a `Value` would grow this process, and a child started later inherits
            // its size as the floor of its `ru_maxrss` (see `measure_child`).
            #[derive(serde::Deserialize)]
            struct Summary {
                segments: Segments,
            }
            #[derive(serde::Deserialize)]
            struct Segments {
                data_sent: u64,
            }
            let file = std::io::BufReader::new(std::fs::File::open(e.path())?);
            let s: Summary = serde_json::from_reader(file)?;
            n += s.segments.data_sent;
        }
    }
    Ok(n)
}

/// Runs one case into `root/<name>/` and measures it.
pub fn run_case(exe: &Path, root: &Path, case: &Case) -> Result<Measured> {
    let dir = root.join(case.name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    let out = dir.join("out");
    let scenario = match case.scenario {
        Some(make) => {
            let p = dir.join("scenario.ron");
            std::fs::write(&p, make())?;
            p
        }
        None => PathBuf::new(),
    };
    let args: Vec<String> = case
        .args
        .iter()
        .map(|a| {
            a.replace("{scenario}", &scenario.display().to_string())
                .replace("{out}", &out.display().to_string())
        })
        .collect();
    let (exit, wall_s, usage) = measure_child(exe, &args, &dir.join("output.txt"))?;
    let (files, bytes_written) = tree_size(&out)?;
    Ok(Measured {
        exit,
        wall_s,
        user_s: secs(usage.ru_utime),
        sys_s: secs(usage.ru_stime),
        // Linux reports ru_maxrss in kilobytes.
        peak_rss: (usage.ru_maxrss.max(0) as u64) * 1024,
        bytes_written,
        files,
        data_segments: data_segments(&out)?,
    })
}

/// The cases `only` selects (by name; empty: the default ones).
pub fn selected(only: &[String]) -> Result<Vec<&'static Case>> {
    if only.is_empty() {
        return Ok(CASES.iter().filter(|c| c.default).collect());
    }
    let mut out = Vec::new();
    for name in only {
        let Some(c) = CASES.iter().find(|c| c.name == name) else {
            let known: Vec<&str> = CASES.iter().map(|c| c.name).collect();
            bail!("no whole-process bench case `{name}`; known: {}", known.join(", "));
        };
        out.push(c);
    }
    Ok(out)
}

/// Whether the run whose output is in `log` ended at its simulated-time limit.
fn ended_by_time_limit(log: &Path) -> bool {
    std::fs::read_to_string(log).is_ok_and(|t| t.contains("simulated-time limit"))
}

/// Runs the selected cases `reps` times each, printing a table line (or nothing, for
/// `--json`) per case: the repetition with the least wall time (the least disturbed by other
/// load), with the highest peak RSS of all; returns the JSON of every case.
pub fn run(only: &[String], print: bool, reps: u32) -> Result<Vec<Value>> {
    let exe = std::env::current_exe().context("locating this program")?;
    let root = PathBuf::from("target/offsim/bench");
    let cases = selected(only)?;
    if print {
        println!(
            "\n{:<26} {:>8} {:>8} {:>10} {:>10} {:>12} {:>7} {:>10}  status",
            "whole process", "wall s", "cpu s", "µs/dataseg", "peak RSS", "written", "files", "data segs"
        );
    }
    let mut all = Vec::new();
    for case in cases {
        let mut m = run_case(&exe, &root, case)?;
        for _ in 1..reps.max(1) {
            let again = run_case(&exe, &root, case)?;
            let peak_rss = m.peak_rss.max(again.peak_rss);
            if again.wall_s < m.wall_s {
                m = again;
            }
            m.peak_rss = peak_rss;
        }
        if print {
            let mb = |b: u64| format!("{:.1} MB", b as f64 / 1e6);
            println!(
                "{:<26} {:>8.3} {:>8.3} {:>10} {:>10} {:>12} {:>7} {:>10}  {}",
                case.name,
                m.wall_s,
                m.user_s + m.sys_s,
                m.us_per_segment().map_or("-".into(), |u| format!("{u:.2}")),
                mb(m.peak_rss),
                mb(m.bytes_written),
                m.files,
                m.data_segments,
                if m.exit == 0 {
                    "ok".to_string()
                } else if case.time_limited && ended_by_time_limit(&root.join(case.name).join("output.txt")) {
                    "ok (ran to its simulated-time limit, by design)".to_string()
                } else {
                    format!(
                        "exit {} (see {})",
                        m.exit,
                        root.join(case.name).join("output.txt").display()
                    )
                }
            );
        }
        all.push(m.json(case));
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_bench_scenarios_are_valid() {
        for case in CASES {
            if let Some(make) = case.scenario {
                let s = scenarios::parse(&make(), case.name).expect("parses");
                scenarios::validate(&s).expect("valid");
            }
        }
    }

    #[test]
    fn unknown_case_is_an_error_listing_the_known_ones() {
        let e = selected(&["nope".into()]).err().expect("an error").to_string();
        assert!(e.contains("transfer_100MB"), "{e}");
    }
}
