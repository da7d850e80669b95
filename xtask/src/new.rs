//! `new NAME [--from FILE]`: writes a commented scenario file to start from. Without `--from`
//! it is a small offload-mid-transfer scenario whose comments say what each section does and
//! where every field is documented (`docs/scenarios.md`); with `--from` it is a copy of that
//! file (its comments kept) renamed NAME. Either way the file is checked (parsed, validated,
//! expanded) before it is written, and an existing file is never overwritten.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};

/// The starting scenario; `{name}` is replaced by the scenario's name.
const TEMPLATE: &str = r#"// {name}: a scenario to start from (written by `cargo xtask new`). Every field, its unit
// and its default is in docs/scenarios.md; docs/offload-contract.md has the chimney rules
// that run-time checks cite; docs/results.md explains every file a run writes.
//
// As written: one 1 MiB bulk transfer over a 10 Mbit/s / 20 ms link with 1 % random loss,
// offloaded to the host's NIC once 256 KiB are acknowledged. Check it with
// `cargo xtask check FILE`, run it with `cargo xtask run FILE`, change a field for one run
// with `--set PATH=VALUE` (e.g. --set 'links[0].forward.delay="5 ms"').
(
    name: "{name}",
    description: "Describe the case this scenario studies in one sentence.",
    // Base seed: the same scenario and seed give the same run, to the byte.
    seed: 1,
    // A run that has not finished by then fails (and says so).
    limits: (max_time: "30 s"),
    // Hosts; a host with an `offload_target` has a NIC that can take connections over.
    hosts: [
        (name: "host", offload_target: (name: "nic", latency: "1 ms", upload_latency: "1 ms")),
        (name: "peer"),
    ],
    // Duplex links, each direction with its rate, delay, queue and impairments (random or
    // burst loss, or drops forced by rule: DropData(offset: .., transmission: ..)).
    links: [(
        name: "l0", a: "host", b: "peer",
        forward: (rate: "10 Mbit/s", delay: "20 ms", queue: Packets(100), impairments: [Bernoulli(p: 0.01)]),
        reverse: (rate: "10 Mbit/s", delay: "20 ms", queue: Packets(100)),
    )],
    // TCP connections: the client sends the data, the server receives it.
    connections: [(
        name: "c1", client: "host", server: "peer",
        mss: 1460, initial_window: 10, delayed_ack: On(timeout: "200 ms", every: 2),
    )],
    // What the applications write, when, and in which pieces (each write is a send buffer).
    applications: [(
        name: "bulk", conn: "c1", start: "0 s", bytes: "1 MiB",
        write_size: Fixed("64 KiB"), timing: AllAtOnce,
    )],
    // Actions and their triggers (times, or transfer states such as InFastRecovery).
    timeline: [
        (when: AfterBytesAcked("c1", "256 KiB"), action: Offload("c1")),
    ],
    // Uncomment to sweep: named axes over field paths x seeds (`cargo xtask sweep FILE`).
    // sweep: (
    //     axes: [
    //         (name: "loss", path: "links[0].forward.impairments[0].Bernoulli.p", values: [0.0, 0.01, 0.02]),
    //         (name: "offload", path: "timeline[0].when",
    //          values: [Never, AfterBytesAcked("c1", "256 KiB")], labels: ["none", "mid"]),
    //     ],
    //     seeds: Count(8),
    // ),
)
"#;

/// Writes `DIR/NAME.ron` and returns its path.
pub fn write(name: &str, from: Option<&Path>, dir: &Path) -> Result<PathBuf> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        bail!("`{name}` is not a scenario name: use letters, digits, `_` and `-`");
    }
    let text = match from {
        None => TEMPLATE.replace("{name}", name),
        Some(f) => {
            let src = std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
            let old = scenarios::parse(&src, f.display().to_string())?.name;
            let renamed = rename(&src, &old, name)
                .with_context(|| format!("{}: cannot find `name: \"{old}\"` to rename", f.display()))?;
            format!(
                "// {name}: started from {} (written by `cargo xtask new`). Every field is in\n\
                 // docs/scenarios.md; docs/results.md explains every file a run writes.\n{renamed}",
                f.display()
            )
        }
    };
    let path = dir.join(format!("{name}.ron"));
    if path.exists() {
        bail!(
            "{} exists: not overwriting it (choose another NAME or --out)",
            path.display()
        );
    }
    // What is written must load, validate and expand.
    let scenario = scenarios::parse(&text, path.display().to_string())?;
    scenarios::validate(&scenario).map_err(|errors| {
        anyhow::anyhow!(
            "{}",
            errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n")
        )
    })?;
    scenarios::expand(&scenario)?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    reports::write_atomic(&path, text.as_bytes())?;
    Ok(path)
}

/// `src` with its top-level `name: "old"` replaced by `name: "new"` (the first occurrence,
/// which is the scenario's: its name comes before any host, link or connection).
fn rename(src: &str, old: &str, new: &str) -> Option<String> {
    let needle = format!("name: \"{old}\"");
    let at = src.find(&needle)?;
    Some(format!("{}name: \"{new}\"{}", &src[..at], &src[at + needle.len()..]))
}
