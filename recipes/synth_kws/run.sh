#!/usr/bin/env bash
# synth_kws: the embedded default recipe. Synthesize a 12-class keyword corpus offline (eSpeak-NG
# source; seven target domains, split into dev and test domains), extract features, train the
# source classifier (an ONNX graph), adapt it to each target domain with every method and every
# adaptation seed from untranscribed target audio, and evaluate everything on held-out target sets.
#
#   recipes/synth_kws/run.sh [--stage N] [--stop-stage N] [--size tiny|default] [--nj N] [--cmd local|slurm] [--seed N]
#                            [--seeds "1 2 3"] [--dev-domains "..."] [--test-domains "..."]
#
# Stages: 0 corpus, 1 features (of conf/frontend.json), 2 source model, 3 source-only eval, 4 adaptation,
# 5 evaluation + results table. A finished stage leaves a .done marker holding a hash of its
# options and inputs (upstream markers included): a re-run skips it while they are unchanged, and
# runs it and everything made from it again, saying why, when any of them changed.
set -euo pipefail

stage=0
stop_stage=5
size=default
nj=2            # jobs at a time (and parts of a data dir for its features)
cmd=local       # how jobs run: local, slurm, or a command line (recipes/common/cmd/common.sh)
seed=1          # corpus and source-model seed
seeds="1 2 3"   # adaptation seeds (results are mean ± sd over them)
one_seed_methods="source-only source-only.prior-match supervised"   # run with the first seed only (no randomness to average / the oracle)
data=data/synth_kws
exp=exp/synth_kws
# A method entry is a jemda adapt method, or <method>.<variant> (same method, conf/adapt_<entry>.conf):
# jem.no-energy is the JEM ablation without the energy term (the label-marginal prior and the source
# cross-entropy alone), so the table shows what the energy term adds. tea (energy-based TTA),
# shot-im (information maximisation) and entropy-ce (jem with entropy in place of the energy term)
# are the baselines it must beat. source-only.prior-match is the source model with prior matching
# alone (the classifier bias shifted so the mean target prediction is the source label marginal),
# the part of every method's gain that a bias shift gives.
methods="source-only source-only.prior-match adabn tent shot-im pseudo-label tea entropy-ce jem jem.no-energy supervised"
# Dev domains: settings (method configs, JEM knobs) may be chosen on their labeled test sets. Test
# domains: reported only, never used for a choice. Each block covers different kinds of shift:
# channel (telephone), channel + noise (noisy), room (farfield) on the dev side; other synthesizers
# (flite, gnuspeech), speaker/speed (speed) and a mixed channel (phonenoise) on the test side.
dev_domains="telephone noisy farfield"
test_domains="flite gnuspeech speed phonenoise"
conf=recipes/synth_kws/conf
train_opts=""   # extra options for jemda train (override the config file)
adapt_opts=""   # extra options for every jemda adapt (override the config files)
# options for every jemda eval of stage 5: the table reports the px OOD score, and the pxgrad score
# (a ∂E/∂x pass per utterance) doubles the time of an evaluation
eval_opts="--no-pxgrad"

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
. recipes/common/log.sh
. recipes/common/stages.sh
. recipes/common/parse_options.sh

use_jemda_and_cmd "$root"
domains="$dev_domains $test_domains"
seeds_of() { case " $one_seed_methods " in *" $1 "*) echo "${seeds%% *}" ;; *) echo "$seeds" ;; esac; }
test_sets="source_test $(for d in $domains; do printf '%s_test ' "$d"; done)"

if [ "$stage" -le 0 ] && [ "$stop_stage" -ge 0 ]; then
  key=$(key_of synth-corpus "$size" "$seed")
  if stage_done "$data" corpus "$key"; then log "stage 0: corpus already in $data"; else
    log "stage 0: synthesizing the $size corpus into $data"
    jemda synth-corpus --size "$size" --out "$data" --seed "$seed" --nj "$nj"
    mark_done "$data" corpus "$key"
  fi
fi

if [ "$stage" -le 1 ] && [ "$stop_stage" -ge 1 ]; then
  for set in source_train source_dev source_test $(for x in $domains; do echo "${x}_adapt ${x}_test"; done); do
    make_features "$data/$set" "$conf/frontend.json" "$nj" "$data/.done.corpus"
  done
  # Out-of-distribution sets for the OOD AUROC: each target test set, time-reversed (same long-term
  # spectrum, no words).
  for domain in $domains; do
    key=$(key_of reverse "$seed" "$data/.done.corpus")
    if stage_done "$data/${domain}_test_reversed" ood "$key"; then continue; fi
    log "stage 1: time-reversed OOD copy of ${domain}_test"
    jemda perturb-data-dir --effect reverse --seed "$seed" "$data/${domain}_test" "$data/${domain}_test_reversed"
    mark_done "$data/${domain}_test_reversed" ood "$key"
  done
  for domain in $domains; do
    make_features "$data/${domain}_test_reversed" "$conf/frontend.json" "$nj" "$data/${domain}_test_reversed/.done.ood"
  done
fi

if [ "$stage" -le 2 ] && [ "$stop_stage" -ge 2 ]; then
  log "stage 2: source model"
  train_source "$exp/source" "$data/source_train" "$data/source_dev" "$conf" "$seed" $train_opts
fi

if [ "$stage" -le 3 ] && [ "$stop_stage" -ge 3 ]; then
  key=$(key_of eval "$exp/source/.done.train" $(for t in $test_sets; do echo "$data/$t/.done.feats"; done))
  if stage_done "$exp/source" eval "$key"; then log "stage 3: source model already evaluated"; else
    log "stage 3: source-only evaluation on $test_sets"
    $cmd "$exp/source/log/eval.log" jemda eval --model "$exp/source/model.onnx" --out "$exp/source/results" $(for t in $test_sets; do echo "$data/$t"; done) \
      || { log "stage 3: evaluation FAILED (see $exp/source/log/eval.log)"; exit 1; }
    mark_done "$exp/source" eval "$key"
  fi
fi

if [ "$stage" -le 4 ] && [ "$stop_stage" -ge 4 ]; then
  # Up to $nj adaptation jobs at a time, one onnxruntime thread each.
  threads=$([ "$nj" -gt 1 ] && echo 1 || echo 2)
  # what an adaptation is made from: its conf file and options, seed, source model and data
  adapt_key() { key_of adapt "$conf/adapt_$1.conf" "$adapt_opts" "$3" "$exp/source/.done.train" "$data/source_train/.done.feats" "$data/$2_adapt/.done.feats"; }
  adapt_one() {
    local method=$1 domain=$2 s=$3 dir=$exp/$1/$2/seed$3
    $cmd --num-threads "$threads" "$dir.log" \
      jemda adapt --method "${method%%.*}" --config "$conf/adapt_${method}.conf" $adapt_opts --seed "$s" --threads "$threads" \
      --model "$exp/source/model.onnx" --source "$data/source_train" --target "$data/${domain}_adapt" "$dir" \
      || { log "stage 4: $method → $domain seed $s FAILED (see $dir.log)"; return 1; }
    mark_done "$dir" adapt "$(adapt_key "$method" "$domain" "$s")"
  }
  for domain in $domains; do
    for method in $methods; do
      for s in $(seeds_of "$method"); do
        dir=$exp/$method/$domain/seed$s
        if stage_done "$dir" adapt "$(adapt_key "$method" "$domain" "$s")"; then continue; fi
        mkdir -p "$(dirname "$dir")"
        log "stage 4: $method → $domain seed $s (log: $dir.log)"
        bg_job "$nj" adapt_one "$method" "$domain" "$s"
      done
    done
  done
  bg_wait
fi

if [ "$stage" -le 5 ] && [ "$stop_stage" -ge 5 ]; then
  threads=$([ "$nj" -gt 1 ] && echo 1 || echo 2)
  eval_key() { key_of eval "$1/.done.adapt" "$eval_opts" "$data/$2_test/.done.feats" "$data/source_test/.done.feats" "$data/$2_test_reversed/.done.ood"; }
  eval_one() {
    local method=$1 domain=$2 dir=$exp/$1/$2/seed$3
    $cmd --num-threads "$threads" "$dir/eval.log" \
      jemda eval --model "$dir/adapted.onnx" --out "$dir/results" --ood "$data/${domain}_test_reversed" --threads "$threads" $eval_opts \
      "$data/${domain}_test" "$data/source_test" \
      || { log "stage 5: eval of $method ($domain, seed $3) FAILED (see $dir/eval.log)"; return 1; }
    mark_done "$dir" eval "$(eval_key "$dir" "$domain")"
  }
  evals=()
  for domain in $domains; do
    for method in $methods; do
      for s in $(seeds_of "$method"); do
        dir=$exp/$method/$domain/seed$s
        evals+=("$dir/.done.eval")
        if stage_done "$dir" eval "$(eval_key "$dir" "$domain")"; then continue; fi
        log "stage 5: evaluating $method ($domain, seed $s) on ${domain}_test and source_test"
        bg_job "$nj" eval_one "$method" "$domain" "$s"
      done
    done
  done
  bg_wait
  # the table: which methods, domains and seeds, and every evaluation it reads
  key=$(key_of results "$methods" "$dev_domains" "$test_domains" "$seeds" "$one_seed_methods" "${evals[@]}")
  if ! stage_done "$exp" results "$key"; then
    jemda recipe-results --exp "$exp" --methods "$methods" --dev-domains "$dev_domains" --test-domains "$test_domains" \
      --seeds "$seeds" --one-seed "$one_seed_methods" \
      --out-md "$exp/results.md" --out-json "$exp/results.json"
    mark_done "$exp" results "$key"
  fi
  log "results: $exp/results.md"
  cat "$exp/results.md"
fi
