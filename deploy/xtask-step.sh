#!/usr/bin/env bash
# xtask-step.sh -- one batch step of a sharded sweep (`sweep ... --shard I/N` or `merge ...`)
# for a cluster scheduler (Slurm array task, Kubernetes Indexed Job pod).
#
#   OFFSIM_XTASK=/path/to/xtask bash deploy/xtask-step.sh sweep FILE --shard 0/4 --out DIR ...
#   OFFSIM_XTASK=/path/to/xtask bash deploy/xtask-step.sh merge DIR... --out DIR
#
# Runs the already built binary $OFFSIM_XTASK (never cargo: array tasks must not rebuild)
# with the given arguments. xtask exits 3 when a sweep (or merge) completed and wrote every
# result but some runs failed, 1 when it could not complete (bad file, I/O error, folder in
# use by another writer) and 2 on a usage error.
# Failed runs are results -- the merged report lists them with error and seed -- so a step
# that completed exits 0 here and the scheduler runs the dependent merge (Slurm afterok);
# anything else keeps its status. Set OFFSIM_STRICT=1 to keep xtask's status.
set -uo pipefail

xtask=${OFFSIM_XTASK:-}
if [ -z "$xtask" ] || [ ! -x "$xtask" ]; then
    echo "xtask-step: OFFSIM_XTASK must name the built xtask binary (got '${xtask}')" >&2
    exit 64
fi
echo "xtask-step: $(hostname) $(date -u +%Y-%m-%dT%H:%M:%SZ): $xtask $*" >&2
"$xtask" "$@"
status=$?

if [ "$status" -eq 3 ] && [ -z "${OFFSIM_STRICT:-}" ]; then
    echo "xtask-step: completed with failed runs (listed above and in the report); exiting 0" >&2
    status=0
fi
exit "$status"
