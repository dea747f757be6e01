# The part the $cmd back ends (local.sh, slurm.sh) share: Kaldi's queue interface,
#
#   $cmd [--mem M] [--num-threads N] [--gpu N] [--max-jobs-run N] [--config FILE] [JOB=A:B] LOG COMMAND...
#
# runs COMMAND once, or once per JOB in A..B with every "JOB" in LOG and COMMAND replaced by the
# job's number, its output (and a header and footer with the command, times and exit code) in LOG.
# An argument of COMMAND without blanks goes to the shell as it is (so "|" and ">" given as their
# own arguments pipe and redirect, as in Kaldi); one with blanks or quotes is quoted. Exit status 0
# when every job succeeded; otherwise 1, naming the log of each failed job on stderr.
# Sourced by a back end, which sets `me` (its name) first and then uses the variables below.

mem=; num_threads=1; gpu=0; max_jobs_run=; config=
given=' '   # the options given, e.g. " mem gpu " (a back end's config may default the others)
while [ $# -gt 0 ]; do
  case "$1" in
    --mem|--num-threads|--gpu|--max-jobs-run|--config)
      [ $# -ge 2 ] || { echo "$me: option $1 needs a value" >&2; exit 1; }
      __n=${1#--}; __n=${__n//-/_}; printf -v "$__n" '%s' "$2"; given+="$__n "; shift 2 ;;
    --*=*)
      __n=${1%%=*}; __n=${__n#--}
      case "$__n" in mem|num-threads|gpu|max-jobs-run|config) __n=${__n//-/_}; printf -v "$__n" '%s' "${1#*=}"; given+="$__n "; shift ;;
        *) echo "$me: unknown option ${1%%=*}" >&2; exit 1 ;; esac ;;
    --*) echo "$me: unknown option $1" >&2; exit 1 ;;
    *) break ;;
  esac
done
job_first=1; job_last=1; array=false
if [[ ${1:-} =~ ^JOB=([0-9]+):([0-9]+)$ ]]; then
  job_first=${BASH_REMATCH[1]}; job_last=${BASH_REMATCH[2]}; array=true; shift
  [ "$job_first" -le "$job_last" ] || { echo "$me: empty job range JOB=$job_first:$job_last" >&2; exit 1; }
elif [[ ${1:-} =~ ^[A-Za-z_]+= ]]; then
  echo "$me: a job range is JOB=A:B (got '$1')" >&2; exit 1
fi
[ $# -ge 2 ] || { echo "usage: $me [options] [JOB=A:B] LOG COMMAND..." >&2; exit 1; }
log_template=$1; shift
for __o in num_threads gpu; do
  [[ ${!__o} =~ ^[0-9]+$ ]] || { echo "$me: --${__o//_/-} must be a non-negative integer (got '${!__o}')" >&2; exit 1; }
done
[ -z "$max_jobs_run" ] || [[ $max_jobs_run =~ ^[1-9][0-9]*$ ]] || { echo "$me: --max-jobs-run must be a positive integer" >&2; exit 1; }

# The command line with JOB still in it.
cmd_template=
for __a in "$@"; do
  if [[ $__a =~ ^[^[:space:]\"\']+$ ]]; then cmd_template+="$__a "; else cmd_template+="$(printf '%q' "$__a") "; fi
done
cmd_template=${cmd_template% }

# job_log N / job_cmd N: LOG and COMMAND of job N.
job_log() { if $array; then echo "${log_template//JOB/$1}"; else echo "$log_template"; fi; }
job_cmd() { if $array; then echo "${cmd_template//JOB/$1}"; else echo "$cmd_template"; fi; }

# report_failures RC...: the exit codes of jobs job_first..job_last (empty = did not finish); names
# each failed job's log and returns 1 when any failed.
report_failures() {
  local j=$job_first rc failed=0 total=$((job_last - job_first + 1))
  for rc in "$@"; do
    if [ "$rc" != 0 ]; then
      failed=$((failed + 1))
      if [ -z "$rc" ]; then echo "$me: job $j did not finish; its log is $(job_log "$j")${no_finish_hint:+ ($no_finish_hint)}" >&2
      else echo "$me: job $j failed (exit code $rc); its log is $(job_log "$j")" >&2; fi
    fi
    j=$((j + 1))
  done
  [ "$failed" -eq 0 ] && return 0
  echo "$me: $failed / $total job(s) failed" >&2
  return 1
}
