#!/usr/bin/env bash
# $cmd back end for Slurm (Kaldi's slurm.pl): the job, or the JOB=A:B array, is one
# `sbatch --array=A-B` submission; each task runs job.sh, which writes the task's log and its exit
# code to a status file. The script waits until every task wrote one or the job left the queue
# (polling with squeue), then names the log of every task that failed or never finished; Ctrl-C
# cancels the job. Job scripts, status files and Slurm's own output go to
# $(dirname LOG)/q/. Options map to sbatch options by --config (default: slurm.conf next to this
# script). Interface: see common.sh.
set -uo pipefail
me=slurm.sh
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/common.sh"
config=${config:-$here/slurm.conf}
[ -f "$config" ] || { echo "$me: no config file $config" >&2; exit 1; }

# The submit command and the options of mem, num_threads and gpu, from the config.
submit=(); poll='squeue -h -o %i -j'; declare -A exact=() wild=() seen=()
while read -r kind rest; do
  case "$kind" in
    ''|'#'*) continue ;;
    command) read -r -a submit <<< "$rest" ;;
    poll) poll=$rest ;;
    default)
      n=${rest%%=*}; v=${rest#*=}
      case "$n" in mem|num_threads|gpu) [[ $given == *" $n "* ]] || printf -v "$n" '%s' "$v" ;; *) echo "$me: $config: unknown default '$n'" >&2; exit 1 ;; esac ;;
    option)
      nv=${rest%% *}; [ "$nv" = "$rest" ] && args= || args=${rest#* }
      n=${nv%%=*}; v=${nv#*=}
      case "$n" in mem|num_threads|gpu|max_jobs_run) ;; *) echo "$me: $config: unknown option '$n'" >&2; exit 1 ;; esac
      seen[$n]=1
      if [ "$v" = '*' ]; then wild[$n]=$args; else exact["$n=$v"]=$args; fi ;;
    *) echo "$me: $config: cannot read line '$kind $rest'" >&2; exit 1 ;;
  esac
done < <(sed 's/#.*//' "$config")
[ "${#submit[@]}" -gt 0 ] || { echo "$me: $config has no 'command' line" >&2; exit 1; }
opts=()
for n in mem num_threads gpu; do
  v=${!n}
  [ -n "$v" ] || continue
  if [ -n "${exact["$n=$v"]+x}" ]; then a=${exact["$n=$v"]}
  elif [ -n "${wild[$n]+x}" ]; then a=${wild[$n]//\$0/$v}
  elif [ -z "${seen[$n]+x}" ] && [[ $given != *" $n "* ]]; then continue   # a default value the config does not mention
  else echo "$me: $config has no rule for --${n//_/-} $v" >&2; exit 1; fi
  read -r -a words <<< "$a"; opts+=("${words[@]}")
done

qdir=$(dirname "$log_template")/q
name=$(basename "$log_template" .log); name=${name//JOB/}; name=${name//../.}; name=${name%.}; name=${name#.}; name=${name:-job}
mkdir -p "$qdir" || exit 1
qdir=$(cd "$qdir" && pwd)
script=$qdir/$name.sh
for ((j = job_first; j <= job_last; j++)); do rm -f "$qdir/$name.status.$j"; done
{
  echo '#!/usr/bin/env bash'
  echo "# written by $me for: $(printf '%q ' "$log_template") $cmd_template"
  printf 'cd %q || exit 1\n' "$PWD"
  printf 'JOB=${SLURM_ARRAY_TASK_ID:-%d}\n' "$job_first"
  printf 'log=%q\ncmd=%q\n' "$log_template" "$cmd_template"
  if $array; then echo 'log=${log//JOB/$JOB}; cmd=${cmd//JOB/$JOB}'; fi
  printf 'exec %q "$log" "$cmd" %q %q.status."$JOB"\n' "$here/job.sh" "$num_threads" "$qdir/$name"
} > "$script.tmp" && mv "$script.tmp" "$script"
array_spec=$job_first-$job_last${max_jobs_run:+%$max_jobs_run}
out=$("${submit[@]}" "${opts[@]}" --parsable --job-name="$name" --array="$array_spec" \
  --output="$qdir/$name.%a.out" --chdir="$PWD" "$script" 2>&1)
sbatch_rc=$?
id=${out##*$'\n'}; id=${id%%;*}
if [ "$sbatch_rc" -ne 0 ] || ! [[ $id =~ ^[0-9]+$ ]]; then
  echo "$me: sbatch failed (exit code $sbatch_rc), no job ran; the log would have been $(job_log "$job_first"): ${out//$'\n'/ }" >&2
  exit 1
fi
# Interrupted (Ctrl-C, the recipe killed): cancel the array rather than leave it running.
trap 'scancel "$id" 2>/dev/null; echo "$me: interrupted; cancelled job $id" >&2; exit 130' INT TERM
# Wait until every task wrote its status file, or the job left the queue (a task that never ran,
# or was killed, writes none); poll often at first, then every 5 s.
delay=0.25; poll_errors=0
while :; do
  left=0
  for ((j = job_first; j <= job_last; j++)); do [ -f "$qdir/$name.status.$j" ] || left=$((left + 1)); done
  [ "$left" -eq 0 ] && break
  if q=$($poll "$id" 2>&1); then
    poll_errors=0
    if [ -z "$q" ]; then sleep 1; break; fi   # gone from the queue: one more second for the file system
  elif [[ $q == *"Invalid job id"* ]]; then sleep 1; break   # finished long enough ago to be purged
  else
    poll_errors=$((poll_errors + 1))
    [ "$poll_errors" -lt 30 ] || { echo "$me: cannot ask Slurm about job $id ($poll_errors tries): $q" >&2; exit 1; }
  fi
  sleep "$delay"
  delay=$(awk -v d="$delay" 'BEGIN { d *= 1.5; print (d > 5 ? 5 : d) }')
done
trap - INT TERM
rcs=()
for ((j = job_first; j <= job_last; j++)); do
  f=$qdir/$name.status.$j
  if [ -f "$f" ]; then rcs+=("$(cat "$f")"); else rcs+=(""); fi
done
no_finish_hint="job $id; Slurm's output: $qdir/$name.<job>.out"
report_failures "${rcs[@]}"
