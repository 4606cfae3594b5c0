#!/usr/bin/env bash
# Table 1, MNIST row: train flags/mnist_table1.cfg (the paper's model, data and
# Algorithm 1 with the release's settings, plus an average of G's weights and
# selection on validation digits; see the flagfile), then score the selected
# generator once with the paper's Parzen protocol (10,000 samples, sigma from
# logspace(-1, 0, 10) chosen on the first 1,000 validation digits, mean and
# standard error over the 10,000 t10k digits).
#
#   bash scripts/reproduce_table1.sh [DATA_DIR] [WORKDIR] [extra train flags...]
#
# DATA_DIR is a folder with the four MNIST IDX files; without it (or with "")
# MNIST comes from tensorflow-datasets, which downloads it once. WORKDIR
# defaults to runs/table1.
#
# Writes WORKDIR/parzen.json (the row and its diagnosis) and the selected
# generator as a SavedModel in WORKDIR/export/table1_generator. About 22 minutes
# on 2 CPU cores (docs/results.md).
#
# Resumable: run it again after an interruption. FLAGFILE=flags/mnist.cfg runs
# the release's settings instead (no average; G's best checkpoint on validation is
# scored).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA_DIR=${1:-}
WORKDIR=${2:-runs/table1}
FLAGFILE=${FLAGFILE:-flags/mnist_table1.cfg}
shift $(( $# > 2 ? 2 : $# ))
DATA=()
if [ -n "$DATA_DIR" ]; then DATA=(--data_dir="$DATA_DIR"); fi
start=$(date +%s)
python -m keras_gan.train --flagfile="$FLAGFILE" ${DATA[@]+"${DATA[@]}"} --workdir="$WORKDIR" "$@"
echo "Training wall-clock (this invocation): $(( $(date +%s) - start )) s"
echo "Table 1, the paper's protocol, on the checkpoint and generator the validation monitor chose:"
python -m keras_gan.evaluate --workdir="$WORKDIR" ${DATA[@]+"${DATA[@]}"} --checkpoint=best --diagnose
# The SavedModel users load: the selected generator (training itself exported the last step's G).
python -m keras_gan.export --workdir="$WORKDIR" --checkpoint=best --output="$WORKDIR/export/table1_generator"
