#!/usr/bin/env bash
# speech_commands: Google Speech Commands v2 from disk (12-class task), as the labeled source
# domain. Point --root at the extracted archive (a folder per word, validation_list.txt,
# testing_list.txt, _background_noise_/). Adapting to a target domain of your own then works like
# stage 4 of recipes/synth_kws/run.sh:
#   jemda adapt --method jem --config recipes/synth_kws/conf/adapt_jem.conf \
#     --model exp/speech_commands/source/model.onnx --source data/speech_commands/train \
#     --target data/<your_target> exp/speech_commands/jem/<your_target>
#
#   recipes/speech_commands/run.sh --root /path/to/speech_commands_v0.02 [--stage N] [--stop-stage N] [--nj N] [--cmd local|slurm]
set -euo pipefail

root=          # the extracted Speech Commands v2 folder (required for stage 0)
stage=0
stop_stage=3
nj=2            # jobs at a time (and parts of a data dir for its features)
cmd=local       # how jobs run: local, slurm, or a command line (recipes/common/cmd/common.sh)
seed=1
data=data/speech_commands
exp=exp/speech_commands
conf=recipes/synth_kws/conf
train_opts=""

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
. recipes/common/log.sh
. recipes/common/stages.sh
. recipes/common/parse_options.sh

use_jemda_and_cmd "$repo"

if [ "$stage" -le 0 ] && [ "$stop_stage" -ge 0 ]; then
  key=$(key_of prepare "$root")
  if stage_done "$data" prepare "$key"; then log "stage 0: already prepared in $data"; else
    [ -n "$root" ] || { log "give --root /path/to/speech_commands_v0.02"; exit 1; }
    log "stage 0: importing Speech Commands from $root"
    jemda prepare-speech-commands "$root" "$data"
    mark_done "$data" prepare "$key"
  fi
fi

if [ "$stage" -le 1 ] && [ "$stop_stage" -ge 1 ]; then
  for set in train dev test; do
    jemda validate-data-dir "$data/$set"
    make_features "$data/$set" "$conf/frontend.json" "$nj" "$data/.done.prepare"
  done
fi

if [ "$stage" -le 2 ] && [ "$stop_stage" -ge 2 ]; then
  log "stage 2: source model"
  train_source "$exp/source" "$data/train" "$data/dev" "$conf" "$seed" $train_opts
fi

if [ "$stage" -le 3 ] && [ "$stop_stage" -ge 3 ]; then
  log "stage 3: evaluating on $data/test"
  $cmd "$exp/source/log/eval.log" jemda eval --model "$exp/source/model.onnx" --out "$exp/source/results" "$data/test" \
    || { log "stage 3: evaluation FAILED (see $exp/source/log/eval.log)"; exit 1; }
  log "results: $exp/source/results/test.md"
fi
