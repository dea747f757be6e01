# Kaldi-style option parsing for recipes: every variable defined before sourcing this file can be
# set as --name value or --name=value (underscores as dashes). Unknown options are an error.
while [ $# -gt 0 ]; do
  case "$1" in
    --help|-h)
      # the script's header comment, then every option (the variables set before this file is
      # sourced, except computed ones such as the repository root) with its current value
      sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0" >&2
      echo "options (--name value or --name=value; current values):" >&2
      for __v in $(awk '/parse_options\.sh/ {exit} /^[a-z_]+=\$\(/ {next} /^[a-z_]+=/ {sub(/=.*/, ""); print}' "$0"); do
        printf '  --%-18s %s\n' "${__v//_/-}" "${!__v}" >&2
      done
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
