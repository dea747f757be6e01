# Shared helpers for jemda recipes (source this file).
# log MSG...   print a timestamped line to stderr with the calling script and line.
log() {
  local fname=${BASH_SOURCE[1]##*/}
  echo -e "$(date '+%Y-%m-%d %H:%M:%S') (${fname}:${BASH_LINENO[0]}:${FUNCNAME[1]:-main}) $*" >&2
}

# stage_done DIR NAME / mark_done DIR NAME: `.done` markers make finished stages skippable.
stage_done() { [ -f "$1/.done.$2" ]; }
mark_done() { mkdir -p "$1" && touch "$1/.done.$2"; }
