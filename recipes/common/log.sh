# Shared helpers for jemda recipes (source this file).
# log MSG...   print a timestamped line to stderr with the calling script and line.
log() {
  local fname=${BASH_SOURCE[1]##*/}
  echo -e "$(date '+%Y-%m-%d %H:%M:%S') (${fname}:${BASH_LINENO[0]}:${FUNCNAME[1]:-main}) $*" >&2
}

# Stage markers. `key_of ARG...` hashes what a stage was made from: each ARG that is a file
# contributes its path and contents (config files, upstream .done markers), any other ARG itself
# (options, seeds, method lists). `mark_done DIR NAME KEY` writes KEY into DIR/.done.NAME;
# `stage_done DIR NAME KEY` is true only when that marker holds the same KEY, and otherwise logs
# why the stage runs again. Downstream keys include upstream markers, so a change anywhere re-runs
# that stage and everything made from it.
key_of() {
  local a
  for a in "$@"; do
    if [ -f "$a" ]; then printf 'file %s\n' "$a"; cat "$a"; else printf 'arg %s\n' "$a"; fi
  done | sha256sum | cut -c1-16
}
stage_done() {
  local f="$1/.done.$2" was
  [ -f "$f" ] || return 1
  was=$(cat "$f")
  [ "$was" = "${3:-}" ] && return 0
  log "$2 in $1 runs again: its options or inputs changed (marker ${was:-without a key} → ${3:-})"
  return 1
}
mark_done() { mkdir -p "$1" && printf '%s\n' "${3:-}" > "$1/.done.$2.tmp" && mv "$1/.done.$2.tmp" "$1/.done.$2"; }

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
