//! Command-line changes to a scenario file's runs: `--set PATH=VALUE` (one field, in the sweep
//! axes' path syntax, applied to the scenario before validation) and `--only AXIS=VALUE` (a
//! subset of a sweep's runs, by an axis value or its label).
//!
//! `--set` goes through [`scenarios::set_field`], the same path resolution the sweep axes use,
//! so there is one path parser. Several `--set` are applied in order (a later one may refine
//! an earlier one); an axis on the same field overrides a `--set` in every run. Run ids do not
//! change with `--set` (they name the axis values and the seed); every run records its
//! expanded scenario and a reproduce command that repeats the `--set`s.

use anyhow::{Result, bail};
use scenarios::{RunSpec, Scenario};

/// One `--set PATH=VALUE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetArg {
    /// Field path, e.g. `links[0].forward.rate`.
    pub path: String,
    /// RON value, e.g. `"20 Mbit/s"`.
    pub value: String,
}

impl std::str::FromStr for SetArg {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (path, value) = s.split_once('=').ok_or_else(|| {
            format!("`{s}`: expected PATH=VALUE, e.g. links[0].forward.delay=\"10 ms\" (the sweep axes' path syntax)")
        })?;
        let (path, value) = (path.trim(), value.trim());
        if path.is_empty() || value.is_empty() {
            return Err(format!("`{s}`: expected PATH=VALUE with both parts non-empty"));
        }
        Ok(SetArg {
            path: path.to_string(),
            value: value.to_string(),
        })
    }
}

impl std::fmt::Display for SetArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={}", self.path, self.value)
    }
}

/// Applies `sets` in order to `scenario` (read from `file`, named in errors).
pub fn apply_sets(file: &std::path::Path, mut scenario: Scenario, sets: &[SetArg]) -> Result<Scenario> {
    for s in sets {
        scenario = scenarios::set_field(&scenario, &s.path, &s.value)
            .map_err(|e| anyhow::anyhow!("{}: --set {s}: {e}", file.display()))?;
    }
    Ok(scenario)
}

/// The `--set`s behind a validation error on `field`: the last one whose path is the field,
/// inside it or around it (`--set PATH=VALUE`), or else all of them (`with --set A --set B`),
/// which together made a scenario that was valid as written invalid.
pub fn sets_behind(field: &str, sets: &[SetArg]) -> String {
    let within = |inner: &str, outer: &str| {
        inner
            .strip_prefix(outer)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']))
    };
    match sets
        .iter()
        .rev()
        .find(|s| within(field, &s.path) || within(&s.path, field))
    {
        Some(s) => format!("--set {s}"),
        None => {
            let all: Vec<String> = sets.iter().map(|s| format!("--set {s}")).collect();
            format!("with {}", all.join(" "))
        }
    }
}

/// A shell word: quoted with single quotes unless it is made of plain characters only.
pub fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=[],+@%".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// One `--only AXIS=VALUE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OnlyArg {
    /// Axis name.
    pub axis: String,
    /// A value as written in the file (or, numerically, an equal number) or its label.
    pub value: String,
}

impl std::str::FromStr for OnlyArg {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (axis, value) = s
            .split_once('=')
            .ok_or_else(|| format!("`{s}`: expected AXIS=VALUE, e.g. loss=0.01 or offload=mid"))?;
        Ok(OnlyArg {
            axis: axis.trim().to_string(),
            value: value.trim().to_string(),
        })
    }
}

/// Whether `given` names the value `shown` (as the run tables show it: a label, or the
/// canonical RON text) whose text in the file is `raw`: equal text, or equal numbers
/// (`0.010` is `0.01`).
fn same_value(given: &str, shown: &str, raw: Option<&str>) -> bool {
    let num = |s: &str| s.trim().parse::<f64>().ok();
    [Some(shown), raw].into_iter().flatten().any(|v| {
        v.trim() == given || v.trim().trim_matches('"') == given || num(v).is_some_and(|a| num(given) == Some(a))
    })
}

/// The runs of `runs` that match every axis named in `only` (several values of one axis: any
/// of them). An unknown axis or a value no run has is an error that lists what is allowed.
pub fn select_only(scenario: &Scenario, runs: Vec<RunSpec>, only: &[OnlyArg]) -> Result<Vec<RunSpec>> {
    if only.is_empty() {
        return Ok(runs);
    }
    let axes: Vec<&scenarios::sweep::Axis> = scenario.sweep.iter().flat_map(|s| &s.axes).collect();
    // The value's text in the file, for an axis with labels (the run shows the label).
    let raw_of = |axis: &str, shown: &str| -> Option<String> {
        let a = axes.iter().find(|a| a.name == axis)?;
        let i = a.labels.iter().position(|l| l == shown)?;
        a.values.get(i).map(|v| v.as_str().to_string())
    };
    for o in only {
        if !axes.iter().any(|a| a.name == o.axis) {
            let names: Vec<&str> = axes.iter().map(|a| a.name.as_str()).collect();
            if names.is_empty() {
                bail!("--only {}={}: the scenario has no sweep axes", o.axis, o.value);
            }
            bail!(
                "--only {}={}: no axis `{}`; the axes are: {}",
                o.axis,
                o.value,
                o.axis,
                names.join(", ")
            );
        }
        let shown = |r: &RunSpec| r.params.iter().find(|(a, _)| *a == o.axis).map(|(_, v)| v.clone());
        let matches = |r: &RunSpec| shown(r).is_some_and(|v| same_value(&o.value, &v, raw_of(&o.axis, &v).as_deref()));
        if !runs.iter().any(matches) {
            let mut values: Vec<String> = Vec::new();
            for v in runs.iter().filter_map(shown) {
                if !values.contains(&v) {
                    values.push(v);
                }
            }
            bail!(
                "--only {}={}: no run has {} = {}; its values are: {}",
                o.axis,
                o.value,
                o.axis,
                o.value,
                values.join(", ")
            );
        }
    }
    let selected: Vec<RunSpec> = runs
        .into_iter()
        .filter(|r| {
            let by_axis: std::collections::BTreeSet<&String> = only.iter().map(|o| &o.axis).collect();
            by_axis.iter().all(|axis| {
                let v = r.params.iter().find(|(a, _)| a == *axis).map(|(_, v)| v.as_str());
                only.iter()
                    .filter(|o| &o.axis == *axis)
                    .any(|o| v.is_some_and(|v| same_value(&o.value, v, raw_of(axis, v).as_deref())))
            })
        })
        .collect();
    if selected.is_empty() {
        let given: Vec<String> = only.iter().map(|o| format!("{}={}", o.axis, o.value)).collect();
        bail!(
            "--only {}: no run has all of these (the combination is skipped by the sweep, or the \
             values exclude each other); see the runs with `sweep FILE --list`",
            given.join(" --only ")
        );
    }
    Ok(selected)
}
