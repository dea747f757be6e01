#!/usr/bin/env bash
# $cmd back end that runs the jobs on this machine (Kaldi's run.pl), all of a JOB=A:B array at once
# or at most --max-jobs-run at a time. --mem and --gpu are accepted and ignored; --num-threads is
# exported as OMP_NUM_THREADS. Interface: see common.sh.
set -uo pipefail
me=local.sh
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/common.sh"

# run_job N: job N through job.sh; returns its exit code.
run_job() { "$here/job.sh" "$(job_log "$1")" "$(job_cmd "$1")" "$num_threads"; }

pids=(); rcs=()
for ((j = job_first; j <= job_last; j++)); do
  if [ -n "$max_jobs_run" ] && [ "${#pids[@]}" -ge "$max_jobs_run" ]; then
    # wait for the oldest running job before starting another
    wait "${pids[0]}"; rcs+=($?); pids=("${pids[@]:1}")
  fi
  run_job "$j" & pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; rcs+=($?); done
report_failures "${rcs[@]}"
