#!/usr/bin/env bash
# One job of a $cmd back end: job.sh LOG COMMANDLINE THREADS [STATUS_FILE]. Runs COMMANDLINE with
# bash, its output in LOG between a header (the command, start time) and a footer (time, exit
# code), as Kaldi's queue scripts write them; with STATUS_FILE, writes the exit code there last
# (a back end that cannot see the job's exit status reads it from there). Exits with the job's code.
set -uo pipefail
log=$1 cmd=$2 threads=$3 status=${4:-}
mkdir -p "$(dirname "$log")" || exit 1
t0=$(date +%s)
{ echo "# $cmd"; echo "# Started at $(date)"; echo "#"; } > "$log" || exit 1
OMP_NUM_THREADS=$threads bash -c "$cmd" >> "$log" 2>&1 < /dev/null
rc=$?
t=$(($(date +%s) - t0))
{ echo "# Accounting: time=$t threads=$threads"; echo "# Ended (code $rc) at $(date), elapsed time $t seconds"; } >> "$log"
if [ -n "$status" ]; then echo "$rc" > "$status.tmp" && mv "$status.tmp" "$status"; fi
exit $rc
