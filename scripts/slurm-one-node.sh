#!/usr/bin/env bash
# A real one-node Slurm cluster in a scratch folder, for trying and testing `--cmd slurm` on one
# machine (Debian: apt-get install slurm-wlm munge; run as root, as in containers):
#
#   eval "$(scripts/slurm-one-node.sh start DIR)"   # starts munged, slurmctld, slurmd; prints
#                                                  # `export SLURM_CONF=DIR/slurm.conf`
#   scripts/slurm-one-node.sh stop DIR              # stops them (by their pid files)
#
# Everything (config, state, spool, logs, pid files, the munge key and socket) lives in DIR, so
# /etc is untouched. Container settings (no cgroups, no systemd): proctrack/linuxproc, task/none,
# no accounting. Fails with the reason (and the daemon's log) when a daemon does not come up.
set -euo pipefail
action=${1:-}; dir=${2:-}
[ -n "$action" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
die() { echo "slurm-one-node: $*" >&2; exit 1; }

stop() {
  local p
  local pids=("$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid") f alive
  for f in "${pids[@]}"; do if [ -f "$f" ]; then kill "$(cat "$f")" 2>/dev/null || true; fi; done
  for _ in $(seq 50); do
    alive=0
    for f in "${pids[@]}"; do if [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; then alive=1; fi; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  rm -f "${pids[@]}"
}

case "$action" in
  stop) stop; exit 0 ;;
  start) ;;
  *) die "unknown action '$action' (start or stop)" ;;
esac

for b in munged slurmctld slurmd sinfo sbatch; do command -v "$b" >/dev/null || die "$b not found: apt-get install slurm-wlm munge"; done
[ "$(id -u)" = 0 ] || die "the daemons must start as root (slurmd runs jobs as their submitter)"
mkdir -p "$dir"; dir=$(cd "$dir" && pwd)
stop
chmod 755 "$dir"
runuser -u munge -- test -x "$dir" || die "the munge user cannot enter $dir: every folder above it needs o+x"
mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
chown munge:munge "$dir/munge" && chmod 700 "$dir/munge"
if [ ! -s "$dir/munge/munge.key" ]; then
  head -c 1024 /dev/urandom > "$dir/munge/munge.key"
  chown munge:munge "$dir/munge/munge.key" && chmod 400 "$dir/munge/munge.key"
fi
sock=$dir/munge/munge.socket
runuser -u munge -- munged --key-file="$dir/munge/munge.key" --socket="$sock" \
  --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/seed" --force \
  || die "munged did not start: $(tail -3 "$dir/munge/munged.log" 2>/dev/null)"
host=$(hostname -s)
mem=$(awk '/MemTotal/ {print int($2 / 1024 * 0.9)}' /proc/meminfo)
cat > "$dir/slurm.conf" <<CONF
ClusterName=jemda-one-node
SlurmctldHost=$host
AuthType=auth/munge
AuthInfo=socket=$sock
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
SlurmctldPort=$((20000 + RANDOM % 20000))
SlurmdPort=$((40000 + RANDOM % 20000))
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
SchedulerParameters=sched_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=$((mem / $(nproc)))
ReturnToService=2
MpiDefault=none
NodeName=$host CPUs=$(nproc) RealMemory=$mem State=UNKNOWN
PartitionName=main Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$dir/slurm.conf
slurmctld -f "$SLURM_CONF" || die "slurmctld did not start: $(tail -5 "$dir/slurmctld.log" 2>/dev/null)"
slurmd -f "$SLURM_CONF" || die "slurmd did not start: $(tail -5 "$dir/slurmd.log" 2>/dev/null)"
for _ in $(seq 100); do
  state=$(sinfo -h -N -o '%T' 2>/dev/null | head -1 || true)
  [ "$state" = idle ] && { echo "export SLURM_CONF=$SLURM_CONF"; exit 0; }
  sleep 0.2
done
die "the node did not become idle in 20 s (state '${state:-none}'): $(tail -5 "$dir/slurmd.log" 2>/dev/null)"
