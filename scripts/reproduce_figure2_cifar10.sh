#!/usr/bin/env bash
# Figure 2 c and d, CIFAR-10: train one of the paper's two CIFAR-10 models
# (fc: flags/cifar10_fc.cfg, Figure 2 c; conv: flags/cifar10_conv.cfg, Figure
# 2 d) on an image folder for a budget of wall-clock minutes, then draw its
# samples beside their nearest training images (GCN undone for display) and
# the sample grid over training time.
#
#   bash scripts/reproduce_figure2_cifar10.sh MODEL [DATA] [WORKDIR] [MINUTES] [extra train flags...]
#
# MODEL is fc or conv. DATA is an image folder (train/<class>/*.jpg) or the
# JPEG archive ../shared/data/cifar10-jpeg.tar.gz (the default), which is
# unpacked once into $UNPACK_DIR (default runs/data/cifar10-jpeg). WORKDIR defaults to
# runs/cifar10_MODEL, MINUTES (the training budget of this invocation) to 240.
# The folder data set holds out a random 5,000 of the training images for
# validation, not the release's last 10,000 of the binary files' order.
#
# Resumable: the budget ends with SIGTERM (`timeout`), which saves a
# checkpoint; run the same command again and it trains another MINUTES from
# there. Writes WORKDIR/figures/figure2_samples.png and figure2_progress.png.
set -euo pipefail
cd "$(dirname "$0")/.."
usage="usage: bash scripts/reproduce_figure2_cifar10.sh fc|conv [DATA] [WORKDIR] [MINUTES] [extra train flags...]"
MODEL=${1:-}
case "$MODEL" in
  fc|conv) ;;
  *) echo "error: MODEL must be fc or conv, got '${MODEL}'; ${usage}" >&2; exit 1 ;;
esac
DATA=${2:-../shared/data/cifar10-jpeg.tar.gz}
WORKDIR=${3:-runs/cifar10_${MODEL}}
MINUTES=${4:-240}
shift $(( $# > 4 ? 4 : $# ))
if ! [[ "$MINUTES" =~ ^[1-9][0-9]*$ ]]; then
  echo "error: MINUTES must be a positive whole number of minutes, got '${MINUTES}'; ${usage}" >&2; exit 1
fi
if [ -f "$DATA" ]; then
  FOLDER=${UNPACK_DIR:-runs/data/cifar10-jpeg}
  # One unpack at a time (a lock on the folder's parent, no file left behind): the fc and conv runs started
  # together on one archive would otherwise unpack into the same .partial folder; the second waits, then finds it.
  mkdir -p "$(dirname "$FOLDER")"
  exec 9<"$(dirname "$FOLDER")"
  flock 9
  if [ ! -d "$FOLDER/train" ]; then
    # Unpack beside the final folder and rename, so that an interrupted unpack is never taken for the data.
    rm -rf "$FOLDER.partial" && mkdir -p "$FOLDER.partial"
    if ! tar xzf "$DATA" -C "$FOLDER.partial" 2>/dev/null; then
      rm -rf "$FOLDER.partial"
      echo "error: DATA '${DATA}' is not a readable .tar.gz archive (gzip or tar could not read it); ${usage}" >&2; exit 1
    fi
    mv "$FOLDER.partial" "$FOLDER"
  fi
  exec 9<&-
elif [ -d "$DATA" ]; then
  FOLDER=$DATA
else
  echo "error: DATA '${DATA}' is neither an image folder nor a .tar.gz archive of one; ${usage}" >&2; exit 1
fi
start=$(date +%s)
status=0
timeout --signal=TERM --kill-after=10m "${MINUTES}m" python -m keras_gan.train --flagfile="flags/cifar10_${MODEL}.cfg" \
  --dataset=folder --data_dir="$FOLDER" --workdir="$WORKDIR" "$@" || status=$?
case "$status" in
  0) echo "Training ended (its last lines say how: finished, or stopped and saved)." ;;
  124) echo "The budget of ${MINUTES} minutes ended training (saved); run the same command again to go on." ;;
  *) echo "error: training exited with status ${status}" >&2; exit "$status" ;;
esac
echo "Training wall-clock (this invocation): $(( $(date +%s) - start )) s"
python -m keras_gan.figures samples --workdir="$WORKDIR" --rows=8 --cols=8 --output="$WORKDIR/figures/figure2_samples.png"
python -m keras_gan.figures progress --workdir="$WORKDIR" --panels=6 --output="$WORKDIR/figures/figure2_progress.png"
