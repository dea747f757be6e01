# Stage helpers shared by the recipes (source after log.sh; they call the recipe's `jemda` function).

# make_features DATA_DIR FRONTEND_JSON NJ [UPSTREAM]: the features of the model's front end (the
# conf/frontend.json the source model is built with: feature type and Kaldi options) into
# DATA_DIR/feats.scp, skipped when done. CMVN is part of the front end, applied when examples are
# read. UPSTREAM: the marker of what made the data dir (its corpus / import), part of the stage's key.
make_features() {
  local d=$1 frontend=$2 nj=$3 upstream=${4:-} key
  key=$(key_of feats "$frontend" "$upstream")
  if stage_done "$d" feats "$key"; then return 0; fi
  log "features of the front end $frontend for $d"
  jemda compute-feats --frontend-config "$frontend" --nj "$nj" "$d"
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
