#!/usr/bin/env bash
# submit.sh -- submit a sharded offsim sweep to Slurm: a job array of N shards, and the merge
# chained after it with afterok.
#
#   OFFSIM_XTASK=$PWD/target/release/xtask deploy/slurm/submit.sh [--wait] FILE SHARED N [SWEEP ARGS...]
#
# FILE      scenario file, relative to the repository root (jobs run there)
# SHARED    folder on a file system all nodes share: shards in SHARED/shard-I, the merged
#           sweep in SHARED/merged (report: SHARED/merged/report/index.html), logs in SHARED/logs
# N         number of shards (array tasks)
# --wait    wait for the merge; exit non-zero unless it COMPLETED (a failed shard makes
#           Slurm cancel the merge: its afterok dependency can no longer be met)
# OFFSIM_SBATCH_ARGS  extra sbatch options for both jobs, e.g. "--partition=cpu --account=x"
# OFFSIM_CPUS         CPUs per array task (default 1); the sweep uses that many workers
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

usage() { sed -n '2,/^set -e/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
wait=()
if [ "${1:-}" = --wait ]; then wait=(--wait); shift; fi
[ $# -ge 3 ] || usage
file=$1 shared=$2 n=$3
shift 3
[[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "submit.sh: N must be a positive number, got '$n'" >&2; exit 2; }
[ -f "$file" ] || { echo "submit.sh: no scenario file $file (relative to $PWD)" >&2; exit 2; }
[ -x "${OFFSIM_XTASK:-}" ] || { echo "submit.sh: set OFFSIM_XTASK to the built xtask binary" >&2; exit 2; }
OFFSIM_XTASK=$(realpath "$OFFSIM_XTASK")
export OFFSIM_XTASK
# Every shard must record the same commit (jobs may run where git is missing or differs).
OFFSIM_COMMIT=${OFFSIM_COMMIT:-$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)}
export OFFSIM_COMMIT
shared=$(realpath -m "$shared")
mkdir -p "$shared/logs"
read -ra extra <<<"${OFFSIM_SBATCH_ARGS:-}"

array=$(sbatch --parsable "${extra[@]}" --chdir="$PWD" --array="0-$((n - 1))" \
    --cpus-per-task="${OFFSIM_CPUS:-1}" --output="$shared/logs/sweep-%A_%a.out" \
    deploy/slurm/sweep.sbatch "$file" "$shared" "$@")
array=${array%%;*}
echo "array job $array: $n shards of $file -> $shared/shard-0..$((n - 1)) (logs: $shared/logs)"
merge=("${extra[@]}" --chdir="$PWD" --dependency="afterok:$array" --kill-on-invalid-dep=yes
    --output="$shared/logs/merge-%j.out" deploy/slurm/merge.sbatch "$shared" "$n")
if [ ${#wait[@]} -gt 0 ]; then
    echo "merge job (afterok:$array) -> $shared/merged; waiting for it"
    id=$(sbatch --parsable "${merge[@]}")
    id=${id%%;*}
    # Poll every second rather than `sbatch --wait`, which checks every 10 s after its first
    # poll -- and exits 0 for a merge that Slurm cancelled because a shard failed (afterok
    # can no longer be met). Final states: COMPLETED, CANCELLED, FAILED, TIMEOUT, ...
    unknown=0
    while :; do
        state=$(scontrol show job "$id" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2 || true)
        case $state in
        PENDING | CONFIGURING | RUNNING | COMPLETING | REQUEUED | RESIZING | SUSPENDED | STAGE_OUT) unknown=0 ;;
        "") unknown=$((unknown + 1)); [ $unknown -lt 60 ] || break ;; # controller busy: retry a minute
        *) break ;;
        esac
        sleep 1
    done
    echo "merge job $id: ${state:-state unknown}"
    if [ "$state" != COMPLETED ]; then
        echo "submit.sh: the sweep did not complete: see the logs in $shared/logs" >&2
        exit 1
    fi
else
    id=$(sbatch --parsable "${merge[@]}")
    echo "merge job ${id%%;*} (afterok:$array) -> $shared/merged"
fi
