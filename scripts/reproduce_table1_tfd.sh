#!/usr/bin/env bash
# Table 1, TFD row: the release's two stages, then the paper's five-fold Parzen
# protocol on the second stage's generator.
#
#   1. flags/tfd.cfg         G 100-8000-8000-2304 and D on fold 0's unlabeled faces, 50 epochs
#   2. flags/tfd_stage2.cfg  G grown to 100-8000-100-(stage 1's 8000-8000-2304), fresh D, 22 epochs
#   3. evaluate              per fold: sigma on its valid split, mean log-likelihood of its test split;
#                            the row is the mean over the five folds and its standard error
#
#   bash scripts/reproduce_table1_tfd.sh DATA_DIR [WORKDIR_PREFIX] [extra train flags...]
#
# DATA_DIR holds pylearn2's TFD_48x48.mat, or is a tensorflow-datasets data_dir
# where `python -m keras_gan.prepare_tfd --manual_dir=FOLDER --data_dir=DATA_DIR` built it.
# Runs go to WORKDIR_PREFIX/stage1 and WORKDIR_PREFIX/stage2 (default runs/tfd).
# Resumable: run it again after an interruption; each train command resumes
# its own run folder, and stage 2 starts only once stage 1 has finished.
set -euo pipefail
: "${1:?usage: bash scripts/reproduce_table1_tfd.sh DATA_DIR [WORKDIR_PREFIX] [extra train flags...]}"
# Paths given on the command line are relative to where the script is called from.
DATA_DIR=$(realpath -m "$1")
PREFIX=$(realpath -m "${2:-$(dirname "$0")/../runs/tfd}")
shift $(( $# > 2 ? 2 : $# ))
cd "$(dirname "$0")/.."  # the flagfiles name each other relative to the repository
# Ctrl-C or SIGTERM stops the training step cleanly (it saves and exits 0); do not go on to the next step.
trap 'echo "Interrupted; run the same command again to resume." >&2; exit 130' INT TERM

finished() {  # a run that completes exports its generator; one stopped early does not
  [ -d "$1/export/generator" ]
}

start=$(date +%s)
python -m keras_gan.train --flagfile=flags/tfd.cfg --data_dir="$DATA_DIR" --workdir="$PREFIX/stage1" "$@"
if ! finished "$PREFIX/stage1"; then
  echo "Stage 1 stopped before its last epoch; run the same command again to resume it." >&2
  exit 1
fi
python -m keras_gan.train --flagfile=flags/tfd_stage2.cfg --init_generator_from="$PREFIX/stage1" \
  --data_dir="$DATA_DIR" --workdir="$PREFIX/stage2" "$@"
if ! finished "$PREFIX/stage2"; then
  echo "Stage 2 stopped before its last epoch; run the same command again to resume it." >&2
  exit 1
fi
echo "Training wall-clock (this invocation): $(( $(date +%s) - start )) s"
echo "Table 1, the paper's protocol (five folds), on the second stage's generator:"
python -m keras_gan.evaluate --workdir="$PREFIX/stage2" --data_dir="$DATA_DIR"
