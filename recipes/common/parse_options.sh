# Kaldi-style option parsing for recipes: every variable defined before sourcing this file can be
# set as --name value or --name=value (underscores as dashes). Unknown options are an error.
while [ $# -gt 0 ]; do
  case "$1" in
    --help|-h)
      echo "usage: $0 [--option value ...]; options: ${__opts:-see the variables at the top of the script}" >&2
      exit 0 ;;
    --*=*)
      __name=$(echo "${1%%=*}" | sed 's/^--//; s/-/_/g'); __val="${1#*=}"; shift ;;
    --*)
      __name=$(echo "$1" | sed 's/^--//; s/-/_/g')
      [ $# -ge 2 ] || { echo "$0: option $1 needs a value" >&2; exit 1; }
      __val="$2"; shift 2 ;;
    *) break ;;
  esac
  if ! declare -p "$__name" >/dev/null 2>&1; then
    echo "$0: unknown option --${__name//_/-}" >&2; exit 1
  fi
  eval "$__name=\"\$__val\""
done
