//! Sweeps: named axes over scenario parameters, seeds, skipped combinations, and their
//! expansion into runs.
//!
//! ```ron
//! sweep: (
//!     axes: [
//!         (name: "loss", path: "links[0].forward.impairments[0].Bernoulli.p",
//!          values: [0.0, 0.005, 0.01, 0.02]),
//!         (name: "offload", path: "timeline[0].when",
//!          values: [Never, At("100 ms"), AfterBytesAcked("c1", "512 KiB")],
//!          labels: ["none", "early", "mid"]),
//!         (name: "mss", path: "connections[0].mss", range: Range(536, 1460, 462)),
//!     ],
//!     seeds: Count(8),
//!     skip: [{"offload": "none", "loss": 0.0}],
//! )
//! ```
//!
//! - **Axis**: `name` (letters, digits, `_`, `-`), `path` (a field path into the scenario,
//!   the same form validation errors use; `.Variant` selects an enum variant, `.0` a
//!   positional value), and either `values` (any RON values that fit the field, e.g. a whole
//!   trigger or a whole `timeline` list) or `range: Range(start, end, step)` (numbers, end
//!   inclusive, computed in exact decimal). Optional `labels` name the values in tables.
//!   Setting a path replaces the value there. No two axes may set the same field, nor one a
//!   field inside the other's (`links[0].forward` and `links[0].forward.delay`): the later
//!   would silently override the earlier in every run.
//! - **Seeds**: `Count(n)` gives seeds `seed, seed+1, …, seed+n-1` (wrapping), where `seed`
//!   is the scenario's base seed; `List([..])` gives exactly those. Seed index i therefore
//!   has the same seed in every variant (common random numbers). Default `Count(1)`.
//! - **Skip**: each map names some axes and a value for each; a combination matching every
//!   entry of a map is skipped. A value is compared with the axis's labels if it has labels
//!   (write the label string), else with its values after normalising (so `0.010` matches
//!   `0.01`).
//! - **Order**: the cartesian product with the first axis outermost, then seeds innermost.
//! - **Run id**: 12 hex digits of xxh3-64 over the scenario name, the `axis=value` pairs
//!   sorted by axis name (values in canonical RON form), and the run's seed. The same run has
//!   the same id in every sweep that contains it.
//! - Variants such as "offloaded vs not" are an axis on a timeline entry's trigger with
//!   `Never` as one value, or an axis replacing the whole `timeline`.

use crate::load::{ScenarioError, ValidationError, number_hint, ron_options};
use crate::schema::Scenario;
use crate::tree::{self, Seg};
use crate::validate::validate_base;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;

/// Most runs a sweep may expand to.
pub const MAX_RUNS: u64 = 100_000;
/// Most values a `Range` may produce.
const MAX_RANGE_VALUES: u64 = 10_000;

/// A RON value kept as text (comments removed), typed only when it is put at a path.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RonValue(String);

impl RonValue {
    /// Wraps RON text (not checked until used).
    pub fn new(text: impl Into<String>) -> Self {
        RonValue(text.into())
    }
    /// The RON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for RonValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for RonValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for RonValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let raw =
            ron::value::RawValue::from_boxed_ron(self.0.clone().into_boxed_str()).map_err(serde::ser::Error::custom)?;
        raw.serialize(s)
    }
}

impl<'de> Deserialize<'de> for RonValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Box::<ron::value::RawValue>::deserialize(d)?;
        Ok(RonValue(tree::strip_comments(raw.get_ron()).trim().to_string()))
    }
}

/// The `sweep` section of a scenario.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sweep {
    /// The axes, first outermost.
    #[serde(default)]
    pub axes: Vec<Axis>,
    /// Seeds per combination. Default `Count(1)`.
    #[serde(default)]
    pub seeds: Seeds,
    /// Combinations to leave out: axis name → value (or label).
    #[serde(default)]
    pub skip: Vec<BTreeMap<String, RonValue>>,
}

/// One sweep axis.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Axis {
    /// Column name in run tables and the key in run ids.
    pub name: String,
    /// Field path of the parameter, e.g. `links[0].forward.impairments[0].Bernoulli.p`.
    pub path: String,
    /// Explicit values (give either `values` or `range`).
    #[serde(default)]
    pub values: Vec<RonValue>,
    /// Evenly spaced numbers (give either `values` or `range`).
    #[serde(default)]
    pub range: Option<Range>,
    /// Display names for the values, one per value; default: the values themselves.
    #[serde(default)]
    pub labels: Vec<String>,
}

/// `Range(start, end, step)`: start, start+step, … up to and including end.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Range(pub RonValue, pub RonValue, pub RonValue);

/// Which seeds each combination runs with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Seeds {
    /// `n` seeds: base seed + 0 … base seed + n-1.
    Count(u32),
    /// Exactly these seeds.
    List(Vec<u64>),
}

impl Default for Seeds {
    fn default() -> Self {
        Seeds::Count(1)
    }
}

/// One run of a (possibly swept) scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSpec {
    /// Stable id: 12 hex digits (see the module docs).
    pub run_id: String,
    /// The scenario with every axis value applied, `sweep` removed and `seed` set to the
    /// run's seed.
    pub scenario: Scenario,
    /// (axis name, value as shown in tables: its label, or its canonical RON text).
    pub params: Vec<(String, String)>,
    /// The run's seed.
    pub seed: u64,
    /// Position of the seed in the sweep's seed list (same index = same seed in every
    /// variant).
    pub seed_index: u32,
}

/// One value of an axis, ready to apply.
#[derive(Clone, Debug)]
pub(crate) struct AxisValue {
    /// Text put at the path.
    raw: String,
    /// Canonical RON text at the path after putting it (for run ids and comparisons).
    canonical: String,
    /// Label, or the canonical text.
    display: String,
}

#[derive(Clone, Debug)]
pub(crate) struct ResolvedAxis {
    name: String,
    segs: Vec<Seg>,
    values: Vec<AxisValue>,
}

/// Why putting a value at a path failed.
pub(crate) enum SetError {
    /// The path does not exist in the scenario.
    Path(String),
    /// The value does not have the field's type.
    Type(String),
}

/// The scenario in canonical RON (compact, `sweep` removed).
fn canonical_text(s: &Scenario) -> Result<String, String> {
    let mut s = s.clone();
    s.sweep = None;
    ron_options()
        .to_string(&s)
        .map_err(|e| format!("cannot write the scenario as RON: {e}"))
}

/// Returns `base` with the value at `segs` replaced by RON `value`.
pub(crate) fn set_path(base: &Scenario, segs: &[Seg], value: &str) -> Result<Scenario, SetError> {
    let text = canonical_text(base).map_err(SetError::Path)?;
    let doc = tree::parse_document(&text)
        .ok_or_else(|| SetError::Path("internal: cannot re-read the canonical scenario".into()))?;
    let node = doc.resolve(segs).map_err(|u| {
        SetError::Path(format!(
            "`{}` does not exist: {}",
            tree::path_to_string(&segs[..=u.depth]),
            u.reason
        ))
    })?;
    let spliced = format!("{}{}{}", &text[..node.start], value, &text[node.end..]);
    let mut out: Scenario = ron_options()
        .from_str(&spliced)
        .map_err(|e| SetError::Type(number_hint(&spliced, &e).map_or_else(|| e.code.to_string(), |h| h.1)))?;
    out.sweep = None;
    Ok(out)
}

/// Returns `scenario` with the value at field path `path` (the sweep axes' syntax, e.g.
/// `links[0].forward.rate`) replaced by RON `value`: the command line's `--set PATH=VALUE`.
/// The `sweep` section is kept (a `--set` on a swept field is overridden by the axis). The
/// error names the path and says what is allowed: a path into the scenario outside `sweep`,
/// and a value of the field's type.
pub fn set_field(scenario: &Scenario, path: &str, value: &str) -> Result<Scenario, String> {
    let segs = tree::parse_path(path).map_err(|e| format!("`{path}` is not a field path: {e}"))?;
    if let Some(Seg::Field(root)) = segs.first()
        && root == "sweep"
    {
        return Err(format!(
            "`{path}`: the sweep section cannot be set (edit the file, or run a subset with `sweep --only AXIS=VALUE`)"
        ));
    }
    let sweep = scenario.sweep.clone();
    match set_path(scenario, &segs, value) {
        Ok(mut out) => {
            out.sweep = sweep;
            Ok(out)
        }
        Err(SetError::Path(r)) => Err(format!(
            "{r}; the path must name a field the scenario has (written out or defaulted), e.g. `links[0].forward.rate`"
        )),
        Err(SetError::Type(r)) => Err(format!(
            "`{value}` does not fit `{path}`: {r}; give a RON value of the field's type (as written in the \
             scenario file, e.g. `\"20 ms\"` for a duration, `0.01` for a probability)"
        )),
    }
}

/// The canonical RON text of the value at `segs`.
fn value_at(s: &Scenario, segs: &[Seg]) -> Option<String> {
    let text = canonical_text(s).ok()?;
    let doc = tree::parse_document(&text)?;
    let node = doc.resolve(segs).ok()?;
    Some(text[node.start..node.end].to_string())
}

fn valid_name(n: &str) -> bool {
    !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Reads a signed decimal (`-1.25`) as (mantissa, scale).
fn signed_decimal(text: &str) -> Option<(i128, u32)> {
    let (neg, digits) = match text.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (m, scale) = crate::units::parse_decimal(digits)?;
    let m = i128::try_from(m).ok()?;
    Some((if neg { -m } else { m }, scale))
}

fn fmt_decimal(m: i128, scale: u32, integer: bool) -> String {
    if integer {
        return m.to_string();
    }
    let p = 10i128.pow(scale);
    let (int, frac) = (m / p, (m % p).abs());
    let sign = if m < 0 && int == 0 { "-" } else { "" };
    let frac = format!("{frac:0width$}", width = scale as usize);
    let frac = frac.trim_end_matches('0');
    format!("{sign}{int}.{}", if frac.is_empty() { "0" } else { frac })
}

/// The texts of `Range(start, end, step)`.
fn range_values(r: &Range) -> Result<Vec<String>, String> {
    let parts = [&r.0, &r.1, &r.2];
    let mut nums = Vec::new();
    for (name, p) in ["start", "end", "step"].iter().zip(parts) {
        nums.push(
            signed_decimal(p.as_str())
                .ok_or_else(|| format!("{name} `{p}` is not a decimal number (like 2, -1 or 0.005)"))?,
        );
    }
    let integer = parts.iter().all(|p| !p.as_str().contains('.'));
    let scale = nums.iter().map(|n| n.1).max().unwrap_or(0);
    let mut aligned = Vec::new();
    for (m, s) in nums {
        aligned.push(m.checked_mul(10i128.pow(scale - s)).ok_or("number too large")?);
    }
    let (start, end, step) = (aligned[0], aligned[1], aligned[2]);
    if step <= 0 {
        return Err(format!("step must be positive, got {}", r.2));
    }
    if end < start {
        return Err(format!("end {} is below start {}", r.1, r.0));
    }
    let count = end.checked_sub(start).ok_or("range too large")? / step + 1;
    if count > i128::from(MAX_RANGE_VALUES) {
        return Err(format!("produces {count} values; at most {MAX_RANGE_VALUES} allowed"));
    }
    Ok((0..count)
        .map(|k| fmt_decimal(start + k * step, scale, integer))
        .collect())
}

/// Whether setting one path can change the value at the other: the paths are equal or one
/// is a prefix of the other. A positional `.0` and an index `[0]` name the same step.
fn paths_overlap(a: &[Seg], b: &[Seg]) -> bool {
    fn step(s: &Seg) -> Seg {
        match s {
            Seg::Field(n) => n.parse().map_or_else(|_| s.clone(), Seg::Index),
            Seg::Index(_) => s.clone(),
        }
    }
    a.iter().zip(b).all(|(x, y)| step(x) == step(y))
}

/// Checks every axis against `base` and computes its values' canonical forms. Returns the
/// axes that could be resolved and appends problems to `errors`. With `check_runs`, also
/// validates the scenario with each single value applied.
fn resolve_axes(base: &Scenario, check_runs: bool, errors: &mut Vec<ValidationError>) -> Vec<ResolvedAxis> {
    let Some(sweep) = &base.sweep else { return Vec::new() };
    let mut axes: Vec<ResolvedAxis> = Vec::new();
    // (index, name, path) of every axis whose path parsed, for the overlap check.
    let mut swept: Vec<(usize, &String, Vec<Seg>)> = Vec::new();
    for (i, axis) in sweep.axes.iter().enumerate() {
        let f = format!("sweep.axes[{i}]");
        let mut err = |field: String, msg: String| errors.push(ValidationError::new(field, msg));
        if !valid_name(&axis.name) {
            err(
                format!("{f}.name"),
                format!(
                    "`{}` is not a valid axis name: use letters, digits, `_` and `-`",
                    axis.name
                ),
            );
        } else if let Some(j) = sweep.axes[..i].iter().position(|a| a.name == axis.name) {
            err(
                format!("{f}.name"),
                format!("duplicate axis name `{}` (also sweep.axes[{j}])", axis.name),
            );
        }
        let segs = match tree::parse_path(&axis.path) {
            Ok(s) => s,
            Err(e) => {
                err(format!("{f}.path"), format!("`{}` is not a field path: {e}", axis.path));
                continue;
            }
        };
        // Two axes on one field, or one inside the other: the later axis overrides the earlier
        // in every run while run tables label the runs with both (red team, ax_two_same_path).
        if let Some((j, other, other_segs)) = swept.iter().find(|(_, _, o)| paths_overlap(o, &segs)) {
            err(
                format!("{f}.path"),
                format!(
                    "`{}` is also swept by axis `{}` (sweep.axes[{j}], path `{}`): the later axis would override \
                     the earlier one in every run; give each axis its own field (no two axis paths may be equal or \
                     one inside the other)",
                    axis.path,
                    other,
                    tree::path_to_string(other_segs)
                ),
            );
            continue;
        }
        swept.push((i, &axis.name, segs.clone()));
        if let Some(Seg::Field(root)) = segs.first()
            && (root == "sweep" || root == "name" || root == "seed")
        {
            let hint = match root.as_str() {
                // Issue 14: an axis on `seed` was accepted and ignored (every "point" a copy).
                "seed" => {
                    " (seeds are not a parameter: use `seeds: Count(N)` or `seeds: List([..])` in the sweep section, or `--seeds`)"
                }
                "name" => " (the name names the whole sweep; axis values label the runs)",
                _ => "",
            };
            err(
                format!("{f}.path"),
                format!(
                    "`{}`: a sweep axis may not change the scenario's `{root}`{hint}",
                    axis.path
                ),
            );
            continue;
        }
        if value_at(base, &segs).is_none() {
            let reason = match set_path(base, &segs, "()") {
                Err(SetError::Path(r)) => r,
                _ => format!("`{}` does not exist", axis.path),
            };
            err(
                format!("{f}.path"),
                format!("{reason}; the path must name an existing field of the scenario"),
            );
            continue;
        }
        // (field of the value, raw text)
        let raw: Vec<(String, String)> = match (&axis.range, axis.values.is_empty()) {
            (Some(_), false) => {
                err(format!("{f}.range"), "give either `values` or `range`, not both".into());
                continue;
            }
            (None, true) => {
                err(
                    format!("{f}.values"),
                    "the axis has no values: give `values: [..]` or `range: Range(start, end, step)`".into(),
                );
                continue;
            }
            (Some(r), true) => match range_values(r) {
                Ok(v) => v.into_iter().map(|t| (format!("{f}.range"), t)).collect(),
                Err(e) => {
                    err(format!("{f}.range"), e);
                    continue;
                }
            },
            (None, false) => axis
                .values
                .iter()
                .enumerate()
                .map(|(j, v)| (format!("{f}.values[{j}]"), v.0.clone()))
                .collect(),
        };
        if !axis.labels.is_empty() && axis.labels.len() != raw.len() {
            err(
                format!("{f}.labels"),
                format!(
                    "{} label(s) for {} value(s); give one label per value",
                    axis.labels.len(),
                    raw.len()
                ),
            );
        }
        for (j, l) in axis.labels.iter().enumerate() {
            if let Some(k) = axis.labels[..j].iter().position(|o| o == l) {
                err(
                    format!("{f}.labels[{j}]"),
                    format!("duplicate label `{l}` (also labels[{k}])"),
                );
            }
        }
        let mut values: Vec<AxisValue> = Vec::new();
        let mut ok = true;
        for (j, (field, text)) in raw.iter().enumerate() {
            let variant = match set_path(base, &segs, text) {
                Ok(v) => v,
                Err(SetError::Path(r) | SetError::Type(r)) => {
                    errors.push(ValidationError::new(
                        field,
                        format!("`{text}` does not fit `{}`: {r}", axis.path),
                    ));
                    ok = false;
                    continue;
                }
            };
            let Some(canonical) = value_at(&variant, &segs) else {
                errors.push(ValidationError::new(
                    field,
                    format!(
                        "after setting `{text}`, `{}` no longer exists; a path must not end in a variant name",
                        axis.path
                    ),
                ));
                ok = false;
                continue;
            };
            if let Some(k) = values.iter().position(|v| v.canonical == canonical) {
                errors.push(ValidationError::new(
                    field,
                    format!("`{text}` is the same value as value {k} (`{canonical}`); axis values must differ"),
                ));
                ok = false;
            }
            if check_runs && let Err(errs) = validate_base(&variant) {
                for e in errs {
                    errors.push(ValidationError::new(
                        field,
                        format!("with {} = {text}: {}: {}", axis.path, e.field, e.message),
                    ));
                }
                ok = false;
            }
            let display = axis.labels.get(j).cloned().unwrap_or_else(|| canonical.clone());
            values.push(AxisValue {
                raw: text.clone(),
                canonical,
                display,
            });
        }
        if ok {
            axes.push(ResolvedAxis {
                name: axis.name.clone(),
                segs,
                values,
            });
        }
    }
    axes
}

/// Skip rules as (axis index, value index) lists.
fn resolve_skips(
    base: &Scenario,
    axes: &[ResolvedAxis],
    errors: &mut Vec<ValidationError>,
) -> Vec<Vec<(usize, usize)>> {
    let Some(sweep) = &base.sweep else { return Vec::new() };
    let mut rules = Vec::new();
    for (i, entry) in sweep.skip.iter().enumerate() {
        let mut rule = Vec::new();
        if entry.is_empty() {
            errors.push(ValidationError::new(
                format!("sweep.skip[{i}]"),
                "an empty skip entry would skip every run",
            ));
        }
        for (name, value) in entry {
            let field = format!("sweep.skip[{i}].{name}");
            let Some(a) = axes.iter().position(|a| &a.name == name) else {
                let known: Vec<_> = sweep.axes.iter().map(|a| format!("`{}`", a.name)).collect();
                errors.push(ValidationError::new(
                    field,
                    format!("no axis named `{name}`; axes: {}", known.join(", ")),
                ));
                continue;
            };
            let axis_def = sweep.axes.iter().find(|d| &d.name == name);
            let found = if axis_def.is_some_and(|d| !d.labels.is_empty()) {
                let label: Option<String> = ron_options().from_str(value.as_str()).ok();
                label.and_then(|l| axes[a].values.iter().position(|v| v.display == l))
            } else {
                set_path(base, &axes[a].segs, value.as_str())
                    .ok()
                    .and_then(|v| value_at(&v, &axes[a].segs))
                    .and_then(|c| axes[a].values.iter().position(|v| v.canonical == c))
            };
            match found {
                Some(k) => rule.push((a, k)),
                None => {
                    let allowed: Vec<_> = axes[a].values.iter().map(|v| format!("`{}`", v.display)).collect();
                    let what = if axis_def.is_some_and(|d| !d.labels.is_empty()) {
                        "labels"
                    } else {
                        "values"
                    };
                    errors.push(ValidationError::new(
                        field,
                        format!("`{value}` is not one of axis `{name}`'s {what}: {}", allowed.join(", ")),
                    ));
                }
            }
        }
        rules.push(rule);
    }
    rules
}

fn seed_list(s: &Scenario) -> Vec<u64> {
    match s.sweep.as_ref().map(|w| &w.seeds) {
        None => vec![s.seed],
        Some(Seeds::Count(n)) => (0..u64::from(*n)).map(|i| s.seed.wrapping_add(i)).collect(),
        Some(Seeds::List(l)) => l.clone(),
    }
}

/// Resolved axes and skip rules of a sweep.
type Prepared = (Vec<ResolvedAxis>, Vec<Vec<(usize, usize)>>);

/// Sweep checks for [`crate::validate`]: axes, seeds, skips and the run count. With
/// `check_runs`, each single axis value is also validated semantically.
pub(crate) fn validate_sweep(s: &Scenario, check_runs: bool, errors: &mut Vec<ValidationError>) -> Prepared {
    let Some(sweep) = &s.sweep else {
        return (Vec::new(), Vec::new());
    };
    match &sweep.seeds {
        Seeds::Count(0) => errors.push(ValidationError::new("sweep.seeds.Count", "must be at least 1")),
        Seeds::List(l) if l.is_empty() => {
            errors.push(ValidationError::new("sweep.seeds.List", "must list at least one seed"))
        }
        Seeds::List(l) => {
            for (i, seed) in l.iter().enumerate() {
                if let Some(j) = l[..i].iter().position(|o| o == seed) {
                    errors.push(ValidationError::new(
                        format!("sweep.seeds.List[{i}]"),
                        format!("duplicate seed {seed} (also [{j}])"),
                    ));
                }
            }
        }
        Seeds::Count(_) => {}
    }
    let n_seeds = match &sweep.seeds {
        Seeds::Count(n) => u64::from(*n),
        Seeds::List(l) => l.len() as u64,
    };
    let combos = sweep.axes.iter().fold(1u64, |acc, a| {
        let n = if a.values.is_empty() {
            a.range
                .as_ref()
                .and_then(|r| range_values(r).ok())
                .map_or(1, |v| v.len() as u64)
        } else {
            a.values.len() as u64
        };
        acc.saturating_mul(n.max(1))
    });
    let total = combos.saturating_mul(n_seeds);
    if total > MAX_RUNS {
        errors.push(ValidationError::new(
            "sweep",
            format!("expands to {total} runs; at most {MAX_RUNS} allowed"),
        ));
        return (Vec::new(), Vec::new());
    }
    let axes = resolve_axes(s, check_runs, errors);
    let skips = resolve_skips(s, &axes, errors);
    (axes, skips)
}

fn run_id(name: &str, pairs: &[(String, String)], seed: u64) -> String {
    let mut sorted: Vec<&(String, String)> = pairs.iter().collect();
    sorted.sort();
    let mut key = String::from(name);
    for (axis, value) in sorted {
        key.push('\0');
        key.push_str(axis);
        key.push('=');
        key.push_str(value);
    }
    key.push_str(&format!("\0seed={seed}"));
    format!("{:012x}", xxhash_rust::xxh3::xxh3_64(key.as_bytes()) >> 16)
}

/// Expands a validated scenario into its runs, in the documented order. A scenario
/// without a sweep gives one run with its own seed.
pub fn expand(scenario: &Scenario) -> Result<Vec<RunSpec>, ScenarioError> {
    let invalid = |errors| ScenarioError::Invalid {
        path: format!("<scenario {}>", scenario.name),
        errors,
    };
    let mut errors = Vec::new();
    let (axes, skips) = validate_sweep(scenario, false, &mut errors);
    if !errors.is_empty() {
        return Err(invalid(errors));
    }
    let seeds = seed_list(scenario);
    let mut base = scenario.clone();
    base.sweep = None;
    let mut runs = Vec::new();
    let mut idx = vec![0usize; axes.len()];
    'combos: loop {
        let skipped = skips.iter().any(|rule| rule.iter().all(|&(a, v)| idx[a] == v));
        if !skipped {
            let mut resolved = base.clone();
            let mut params = Vec::new();
            let mut id_pairs = Vec::new();
            let mut ok = true;
            for (ai, (a, &v)) in axes.iter().zip(&idx).enumerate() {
                let value = &a.values[v];
                params.push((a.name.clone(), value.display.clone()));
                id_pairs.push((a.name.clone(), value.canonical.clone()));
                match set_path(&resolved, &a.segs, &value.raw) {
                    Ok(next) => resolved = next,
                    Err(SetError::Path(r) | SetError::Type(r)) => {
                        errors.push(ValidationError::new(
                            format!("sweep.axes[{ai}]"),
                            format!("in run {}: {r}", show(&params)),
                        ));
                        ok = false;
                        break;
                    }
                }
            }
            if ok && let Err(errs) = validate_base(&resolved) {
                for e in errs {
                    errors.push(ValidationError::new(
                        e.field,
                        format!("in run {}: {}", show(&params), e.message),
                    ));
                }
                ok = false;
            }
            if ok {
                for (k, &seed) in seeds.iter().enumerate() {
                    let mut sc = resolved.clone();
                    sc.seed = seed;
                    runs.push(RunSpec {
                        run_id: run_id(&scenario.name, &id_pairs, seed),
                        scenario: sc,
                        params: params.clone(),
                        seed,
                        seed_index: k as u32,
                    });
                }
            }
        }
        // Odometer: the last axis turns fastest.
        for a in (0..axes.len()).rev() {
            idx[a] += 1;
            if idx[a] < axes[a].values.len() {
                continue 'combos;
            }
            idx[a] = 0;
        }
        break;
    }
    if errors.is_empty() {
        Ok(runs)
    } else {
        Err(invalid(errors))
    }
}

fn show(params: &[(String, String)]) -> String {
    params
        .iter()
        .map(|(a, v)| format!("{a}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The runs as an aligned text table (`cargo xtask sweep FILE --list`): index, run id,
/// one column per axis, seed index and seed.
pub fn run_table(runs: &[RunSpec]) -> String {
    let axis_names: Vec<String> = runs
        .first()
        .map(|r| r.params.iter().map(|(a, _)| a.clone()).collect())
        .unwrap_or_default();
    let mut header = vec!["#".to_string(), "run_id".to_string()];
    header.extend(axis_names.iter().cloned());
    header.extend(["seed#".to_string(), "seed".to_string()]);
    let mut rows = vec![header];
    for (i, r) in runs.iter().enumerate() {
        let mut row = vec![i.to_string(), r.run_id.clone()];
        row.extend(r.params.iter().map(|(_, v)| v.clone()));
        row.extend([r.seed_index.to_string(), r.seed.to_string()]);
        rows.push(row);
    }
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, s)| format!("{s:<w$}", w = widths[c]))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(a: &str, b: &str, c: &str) -> Range {
        Range(RonValue::new(a), RonValue::new(b), RonValue::new(c))
    }

    #[test]
    fn ranges_are_exact_decimals() {
        assert_eq!(
            range_values(&r("0", "0.02", "0.005")).unwrap(),
            ["0.0", "0.005", "0.01", "0.015", "0.02"]
        );
        assert_eq!(range_values(&r("536", "1460", "462")).unwrap(), ["536", "998", "1460"]);
        assert_eq!(
            range_values(&r("-1", "1", "0.5")).unwrap(),
            ["-1.0", "-0.5", "0.0", "0.5", "1.0"]
        );
        assert_eq!(
            range_values(&r("1", "2", "0")).unwrap_err(),
            "step must be positive, got 0"
        );
        assert!(
            range_values(&r("0", "1", "0.00001"))
                .unwrap_err()
                .contains("at most 10000")
        );
        assert!(
            range_values(&r("\"a\"", "1", "1"))
                .unwrap_err()
                .contains("not a decimal number")
        );
    }

    #[test]
    fn run_ids_ignore_axis_order() {
        let a = run_id("s", &[("x".into(), "1".into()), ("y".into(), "2".into())], 7);
        let b = run_id("s", &[("y".into(), "2".into()), ("x".into(), "1".into())], 7);
        assert_eq!(a, b);
        assert_eq!(a.len(), 12);
        assert_ne!(a, run_id("s", &[("x".into(), "1".into()), ("y".into(), "2".into())], 8));
    }
}
