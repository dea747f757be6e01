# Stage helpers shared by the recipes (source after log.sh and parse_options.sh, then call
# use_jemda_and_cmd).

# use_jemda_and_cmd REPO: put REPO/scripts/bin first on PATH, so `jemda` runs this checkout's jemda
# in the recipe and in every job it starts; and turn the recipe's --cmd into the command that runs
# jobs (Kaldi's $cmd, recipes/common/cmd/common.sh): `local` (the default; recipes/common/cmd/local.sh),
# `slurm` (recipes/common/cmd/slurm.sh with its slurm.conf) or a command line of your own, e.g.
# "recipes/common/cmd/slurm.sh --config my-slurm.conf".
use_jemda_and_cmd() {
  export PATH="$1/scripts/bin:$PATH"
  case "$cmd" in
    local|slurm) cmd="$1/recipes/common/cmd/$cmd.sh" ;;
  esac
}

# make_features DATA_DIR FRONTEND_JSON NJ [UPSTREAM]: the features of the model's front end (the
# conf/frontend.json the source model is built with: feature type and Kaldi options) into
# DATA_DIR/feats.scp, skipped when done; NJ jobs through $cmd, one per part of DATA_DIR/splitNJutt. CMVN is part of the front end, applied when examples are
# read. UPSTREAM: the marker of what made the data dir (its corpus / import), part of the stage's key.
make_features() {
  local d=$1 frontend=$2 nj=$3 upstream=${4:-} key n
  key=$(key_of feats "$frontend" "$upstream")
  if stage_done "$d" feats "$key"; then return 0; fi
  # one job per part of the data dir (at most one per utterance), then their feats.scp merged
  n=$(wc -l < "$d/utt2spk"); n=$(( n < nj ? n : nj ))
  log "features of the front end $frontend for $d ($n job(s), logs: $d/log/feats.*.log)"
  jemda split-data-dir --per-utt "$d" "$n"
  $cmd JOB=1:"$n" "$d/log/feats.JOB.log" jemda compute-feats --frontend-config "$frontend" "$d/split${n}utt/JOB" \
    || { log "features of $d FAILED"; exit 1; }
  jemda gather-feats --per-utt "$d" "$n"
  mark_done "$d" feats "$key"
}

# train_source EXPDIR TRAIN_DIR DEV_DIR CONF_DIR SEED [TRAIN_OPTS...]: build the KWS CNN as an ONNX
# graph and train it into EXPDIR/model.onnx, skipped when done.
train_source() {
  local dir=$1 train=$2 dev=$3 conf=$4 seed=$5 key
  shift 5
  key=$(key_of train "$conf/kws_cnn.conf" "$conf/frontend.json" "$conf/train.conf" "$seed" "$*" "$train/.done.feats" "$dev/.done.feats")
  if stage_done "$dir" train "$key"; then log "source model already trained in $dir"; return 0; fi
  log "building and training the source KWS CNN in $dir"
  jemda build-model --arch kws-cnn --config "$conf/kws_cnn.conf" --frontend-config "$conf/frontend.json" \
    --seed "$seed" "$dir/init.onnx"
  jemda train --config "$conf/train.conf" "$@" --model "$dir/init.onnx" --seed "$seed" "$train" "$dev" "$dir"
  mark_done "$dir" train "$key"
}
