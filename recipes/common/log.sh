# Shared helpers for jemda recipes (source this file).
# log MSG...   print a timestamped line to stderr with the calling script and line.
log() {
  local fname=${BASH_SOURCE[1]##*/}
  echo -e "$(date '+%Y-%m-%d %H:%M:%S') (${fname}:${BASH_LINENO[0]}:${FUNCNAME[1]:-main}) $*" >&2
}

# stage_done DIR NAME / mark_done DIR NAME: `.done` markers make finished stages skippable.
stage_done() { [ -f "$1/.done.$2" ]; }
mark_done() { mkdir -p "$1" && touch "$1/.done.$2"; }

# bg_job MAX CMD...: run CMD in the background, keeping at most MAX jobs running (waits for the
# oldest first); bg_wait: wait for all of them. A failed job stops the recipe.
__bg_pids=()
bg_job() {
  local max=$1; shift
  "$@" &
  __bg_pids+=($!)
  if [ "${#__bg_pids[@]}" -ge "$max" ]; then
    wait "${__bg_pids[0]}" || exit 1
    __bg_pids=("${__bg_pids[@]:1}")
  fi
}
bg_wait() {
  local p
  for p in "${__bg_pids[@]}"; do wait "$p" || exit 1; done
  __bg_pids=()
}
