//! Shape checks of the cluster deployment files in `deploy/` (no cluster here): the
//! Kubernetes Indexed Job runs shard `$(JOB_COMPLETION_INDEX)/N` with N = its completions into
//! the shared volume, the merge job merges exactly those N shard folders, and the shell
//! scripts parse. The Slurm files run for real in `deploy/slurm/ci-slurm.sh`.

use serde_norway::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// The YAML documents of a file under `deploy/k8s/`.
fn docs(name: &str) -> Vec<Value> {
    let path = repo().join("deploy/k8s").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_norway::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).unwrap_or_else(|e| panic!("{name}: {e}")))
        .collect()
}

fn one(name: &str, kind: &str) -> Value {
    let mut found: Vec<Value> = docs(name).into_iter().filter(|d| d["kind"] == kind).collect();
    assert_eq!(found.len(), 1, "{name}: expected one {kind}");
    found.remove(0)
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v:?}"))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_sequence()
        .unwrap_or_else(|| panic!("not a list: {v:?}"))
        .iter()
        .map(|x| s(x).to_string())
        .collect()
}

/// The value after `flag` in `args`.
fn flag<'a>(args: &'a [String], flag: &str) -> &'a str {
    let i = args
        .iter()
        .position(|a| a == flag)
        .unwrap_or_else(|| panic!("no {flag} in {args:?}"));
    &args[i + 1]
}

/// The single container of a Job, its volume mounts resolved: (container, mount path -> claim).
fn container(job: &Value) -> (&Value, Vec<(String, String)>) {
    let pod = &job["spec"]["template"]["spec"];
    assert_eq!(pod["restartPolicy"], "Never");
    let containers = pod["containers"].as_sequence().unwrap();
    assert_eq!(containers.len(), 1);
    let c = &containers[0];
    let mounts = c["volumeMounts"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|m| {
            let vol = pod["volumes"]
                .as_sequence()
                .unwrap()
                .iter()
                .find(|v| v["name"] == m["name"])
                .unwrap_or_else(|| panic!("no volume {:?}", m["name"]));
            (
                s(&m["mountPath"]).to_string(),
                s(&vol["persistentVolumeClaim"]["claimName"]).to_string(),
            )
        })
        .collect();
    (c, mounts)
}

/// The xtask arguments of a container that runs `bash deploy/xtask-step.sh ARGS...` with
/// `OFFSIM_XTASK` set.
fn xtask_args(c: &Value) -> Vec<String> {
    assert_eq!(strings(&c["command"]), ["bash", "deploy/xtask-step.sh"]);
    assert_eq!(c["workingDir"], "/opt/offsim");
    let env = c["env"].as_sequence().unwrap();
    assert!(
        env.iter()
            .any(|e| e["name"] == "OFFSIM_XTASK" && e["value"].as_str().is_some()),
        "OFFSIM_XTASK not set"
    );
    strings(&c["args"])
}

#[test]
fn k8s_sweep_job_is_an_indexed_job_over_n_shards() {
    let job = one("sweep-job.yaml", "Job");
    assert_eq!(job["apiVersion"], "batch/v1");
    let spec = &job["spec"];
    assert_eq!(spec["completionMode"], "Indexed");
    let n = spec["completions"].as_u64().expect("completions");
    let parallelism = spec["parallelism"].as_u64().expect("parallelism");
    assert!(
        n >= 1 && (1..=n).contains(&parallelism),
        "completions {n}, parallelism {parallelism}"
    );

    let (c, mounts) = container(&job);
    let args = xtask_args(c);
    assert_eq!(args[0], "sweep");
    assert!(
        repo().join(&args[1]).is_file(),
        "scenario {} is not in the repository",
        args[1]
    );
    assert_eq!(
        flag(&args, "--shard"),
        format!("$(JOB_COMPLETION_INDEX)/{n}"),
        "--shard must be I/completions"
    );
    assert!(
        args.iter().any(|a| a == "--resume"),
        "a retried pod should resume its shard"
    );
    // The index variable: declared from the completion-index annotation.
    let env = c["env"].as_sequence().unwrap();
    let index = env
        .iter()
        .find(|e| e["name"] == "JOB_COMPLETION_INDEX")
        .expect("JOB_COMPLETION_INDEX in env");
    assert_eq!(
        index["valueFrom"]["fieldRef"]["fieldPath"],
        "metadata.annotations['batch.kubernetes.io/job-completion-index']"
    );
    // The output: a per-index folder on the shared claim.
    let out = flag(&args, "--out");
    assert!(out.ends_with("/shard-$(JOB_COMPLETION_INDEX)"), "--out {out}");
    let (mount, claim) = mounts
        .iter()
        .find(|(m, _)| out.starts_with(&format!("{m}/")))
        .unwrap_or_else(|| panic!("--out {out} is on no mounted volume: {mounts:?}"));
    let pvc = one("pvc.yaml", "PersistentVolumeClaim");
    assert_eq!(pvc["metadata"]["name"], claim.as_str());
    assert!(strings(&pvc["spec"]["accessModes"]).contains(&"ReadWriteMany".to_string()));
    assert!(mount.starts_with('/'));

    // The scenario expands (validates) with the binary the image ships.
    let o = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .current_dir(repo())
        .args(["check", &args[1]])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
}

#[test]
fn k8s_merge_job_merges_exactly_the_sweep_shards() {
    let sweep = one("sweep-job.yaml", "Job");
    let n = sweep["spec"]["completions"].as_u64().unwrap();
    let (sc, smounts) = container(&sweep);
    let sweep_out = flag(&xtask_args(sc), "--out").to_string();
    let prefix = sweep_out.strip_suffix("$(JOB_COMPLETION_INDEX)").unwrap();

    let merge = one("merge-job.yaml", "Job");
    assert_eq!(merge["apiVersion"], "batch/v1");
    let (mc, mmounts) = container(&merge);
    assert_eq!(mmounts, smounts, "merge must mount the sweep's volume at the same path");
    let args = xtask_args(mc);
    assert_eq!(args[0], "merge");
    let out_at = args.iter().position(|a| a == "--out").unwrap();
    let shards: Vec<String> = (0..n).map(|i| format!("{prefix}{i}")).collect();
    assert_eq!(args[1..out_at], shards[..], "merge must list shard-0..shard-{}", n - 1);
    let out = &args[out_at + 1];
    assert!(!shards.contains(out), "merged folder {out} must not be a shard folder");
}

#[test]
fn deploy_scripts_parse() {
    let mut scripts = vec![repo().join("deploy/xtask-step.sh")];
    for f in std::fs::read_dir(repo().join("deploy/slurm")).unwrap() {
        scripts.push(f.unwrap().path());
    }
    for p in scripts
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "sh" || e == "sbatch"))
    {
        let o = Command::new("bash").arg("-n").arg(p).output().unwrap();
        assert!(
            o.status.success(),
            "{}: {}",
            p.display(),
            String::from_utf8_lossy(&o.stderr)
        );
    }
    // The array task runs the built binary, never cargo.
    let sbatch = std::fs::read_to_string(repo().join("deploy/slurm/sweep.sbatch")).unwrap();
    assert!(sbatch.contains("--shard \"$i/$n\"") && !sbatch.contains("cargo "));
}

/// The wrapper tells a completed sweep with failed runs (exit 0: the merge must run) from
/// one that could not run (exit status kept).
#[test]
fn xtask_step_exit_status() {
    let step = |args: &[&str], strict: bool| {
        let mut c = Command::new("bash");
        c.arg(repo().join("deploy/xtask-step.sh"))
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("OFFSIM_XTASK", env!("CARGO_BIN_EXE_xtask"))
            .env("OFFSIM_COMMIT", "0123456789ab");
        if strict {
            c.env("OFFSIM_STRICT", "1");
        }
        c.output().unwrap().status.code()
    };
    let d = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let out = d.path().join("s").to_string_lossy().into_owned();
    // One failing run (the black hole), alone: --seeds 1 and the last shard of 5 points.
    let failing = [
        "sweep",
        "tests/data/mini_sweep.ron",
        "--seeds",
        "1",
        "--shard",
        "4/5",
        "--out",
        &out,
    ];
    assert_eq!(step(&failing, false), Some(0));
    assert_eq!(step(&[&failing[..], &["--resume"]].concat(), true), Some(3));
    assert_eq!(
        step(&["sweep", "tests/data/no-such-file.ron", "--out", &out], false),
        Some(1)
    );
    // A usage error keeps its own status (2), never taken for "completed with failed runs".
    assert_eq!(step(&["sweep", "--no-such-flag"], false), Some(2));
}
