# Stage helpers shared by the recipes (source after log.sh; they call the recipe's `jemda` function).

# make_features DATA_DIR FBANK_CONF NJ: log-mel fbank + per-utterance CMVN stats, skipped when done.
make_features() {
  local d=$1 fbank_conf=$2 nj=$3
  if stage_done "$d" feats; then return 0; fi
  log "fbank + per-utterance CMVN stats for $d"
  jemda compute-fbank --config "$fbank_conf" --nj "$nj" "$d"
  jemda compute-cmvn-stats --per-utt "$d"
  mark_done "$d" feats
}

# train_source EXPDIR TRAIN_DIR DEV_DIR CONF_DIR SEED [TRAIN_OPTS...]: build the KWS CNN as an ONNX
# graph and train it into EXPDIR/model.onnx, skipped when done.
train_source() {
  local dir=$1 train=$2 dev=$3 conf=$4 seed=$5
  shift 5
  if stage_done "$dir" train; then log "source model already trained in $dir"; return 0; fi
  log "building and training the source KWS CNN in $dir"
  jemda build-model --arch kws-cnn --config "$conf/kws_cnn.conf" --frontend-config "$conf/frontend.json" \
    --seed "$seed" "$dir/init.onnx"
  jemda train --config "$conf/train.conf" "$@" --model "$dir/init.onnx" --seed "$seed" "$train" "$dev" "$dir"
  mark_done "$dir" train
  rm -f "$dir/.done.eval"
}
