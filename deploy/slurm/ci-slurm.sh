#!/usr/bin/env bash
# ci-slurm.sh -- CI check of the Slurm deployment on a throw-away local cluster:
#
#   OFFSIM_XTASK=/abs/path/to/xtask bash ../shared/tools/slurm-local.sh bash deploy/slurm/ci-slurm.sh
#
# Builds nothing: OFFSIM_XTASK names the xtask binary. Submits the sweep as a job array of
# shards plus the merge chained with afterok (deploy/slurm/submit.sh --wait), runs the same
# sweep unsharded here, and compares the two folders byte for byte (diff -r). Exits non-zero
# if a job fails or anything differs.
#
# Knobs: OFFSIM_SWEEP_FILE (default xtask/tests/data/mini_sweep.ron: 10 runs, 2 of which fail
# on purpose), OFFSIM_SWEEP_ARGS (extra sweep arguments, default none), OFFSIM_SHARDS
# (default 3), OFFSIM_CI_DIR (work folder, default $SLURM_LOCAL_SHARED/offsim-ci).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

log() { printf '[ci-slurm] %s\n' "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }
t0=$(date +%s%N)
elapsed() { local d=$((($(date +%s%N) - t0) / 1000000)); printf '%d.%03d s' $((d / 1000)) $((d % 1000)); }

[ -n "${SLURM_CONF:-}" ] || die "no SLURM_CONF: run me inside slurm-local.sh (or on a Slurm login node)"
[ -x "${OFFSIM_XTASK:-}" ] || die "set OFFSIM_XTASK to the built xtask binary (got '${OFFSIM_XTASK:-}')"
OFFSIM_XTASK=$(realpath "$OFFSIM_XTASK")
export OFFSIM_XTASK
OFFSIM_COMMIT=${OFFSIM_COMMIT:-$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)}
export OFFSIM_COMMIT
file=${OFFSIM_SWEEP_FILE:-xtask/tests/data/mini_sweep.ron}
n=${OFFSIM_SHARDS:-3}
read -ra args <<<"${OFFSIM_SWEEP_ARGS:-}"
work=${OFFSIM_CI_DIR:-${SLURM_LOCAL_SHARED:-$(mktemp -d)}/offsim-ci}
rm -rf "$work"
mkdir -p "$work"
log "sweep $file ${args[*]} as $n shards; work folder $work; xtask $OFFSIM_XTASK (commit $OFFSIM_COMMIT)"

show_logs() {
    local f
    for f in "$work"/cluster/logs/*.out; do
        [ -f "$f" ] && { log "---- $f"; tail -n 20 "$f" >&2; }
    done
}

# 1. On the cluster: array + merge (afterok), waiting for the merge.
if ! bash deploy/slurm/submit.sh --wait "$file" "$work/cluster" "$n" "${args[@]}"; then
    show_logs
    squeue -a >&2 2>/dev/null || true
    die "the Slurm array or its merge failed"
fi
log "array + merge done after $(elapsed)"
for f in "$work"/cluster/logs/*.out; do
    grep -hE '^([0-9]+ runs \(|merged )' "$f" | sed "s|^|  $(basename "$f"): |" >&2 || true
done
[ -f "$work/cluster/merged/report/index.html" ] || { show_logs; die "no merged report"; }

# 2. Here: the same sweep, unsharded.
bash deploy/xtask-step.sh sweep "$file" --out "$work/local" "${args[@]}" >"$work/local.out" ||
    { cat "$work/local.out" >&2; die "the local sweep failed"; }
log "local unsharded sweep done after $(elapsed): $(grep -E '^[0-9]+ runs \(' "$work/local.out")"

# 3. Byte for byte.
if ! diff -r "$work/local" "$work/cluster/merged" >"$work/diff.txt" 2>&1; then
    head -n 40 "$work/diff.txt" >&2
    die "the merged sweep differs from the unsharded one ($(grep -c '' "$work/diff.txt") diff lines)"
fi
files=$(find "$work/local" -type f | wc -l)
log "OK: merged sweep of $n shards == unsharded sweep ($files files identical) in $(elapsed)"
