"""Seconds per training step of each experiment, so a user can plan a run.

    python scripts/bench_step_costs.py [--steps=20] \
        [--flagfiles=flags/tfd.cfg,flags/cifar10_fc.cfg,flags/cifar10_conv.cfg]

Random data of each experiment's image shape (the cost does not depend on the
pixels); the real training step (`GAN.train_step` in a compiled loop), median
of timed windows after a warm-up window.
"""

import dataclasses
import json
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import app, flags  # noqa: E402

flags.DEFINE_list(
    "flagfiles",
    ["flags/mnist.cfg", "flags/tfd.cfg", "flags/cifar10_fc.cfg", "flags/cifar10_conv.cfg"],
    "Experiments to time.",
)
flags.DEFINE_integer("steps", 10, "Steps per timed window.", lower_bound=1)
flags.DEFINE_integer("windows", 3, "Timed windows after the warm-up one.", lower_bound=1)
FLAGS = flags.FLAGS
IMAGE_SHAPES = {"mnist": (28, 28, 1), "tfd": (48, 48, 1), "cifar10": (32, 32, 3), "folder": (32, 32, 3)}


def seconds_per_step(gan, batch, steps, windows):
    """Median seconds per `gan.train_step` over `windows` timed windows of
    `steps` compiled steps, after one warm-up window."""

    @tf.function
    def run(n):
        for _ in tf.range(n):
            gan.train_step(batch)

    times = []
    for window in range(windows + 1):
        start = time.perf_counter()
        run(tf.constant(steps))
        float(gan.d_loss_tracker.result())
        if window:
            times.append((time.perf_counter() - start) / steps)
    return statistics.median(times)


def main(argv):
    del argv
    from keras_gan import config, data, experiment

    for path in FLAGS.flagfiles:
        flag_values = flags.FlagValues()
        config.define_flags(flag_values)
        flag_values([sys.argv[0], f"--flagfile={path}"])
        cfg = config.from_flags(flag_values)
        shape = IMAGE_SHAPES[cfg.dataset]
        # 50,000 blank training images: only their count and shape matter here.
        blank = np.broadcast_to(np.zeros(shape, np.uint8), (50_000, *shape))
        cfg = dataclasses.replace(cfg, g_bias_from_marginals=False, conditional=False)
        gan = experiment.build_gan(cfg, data.Splits(blank, blank[:1], blank[:1]))
        batch = np.random.default_rng(0).uniform(size=(cfg.batch_size * cfg.k_steps, *shape)).astype("float32")
        seconds = seconds_per_step(gan, tf.constant(batch), FLAGS.steps, FLAGS.windows)
        weights = gan.generator.trainable_variables + gan.discriminator.trainable_variables
        params = sum(int(np.prod(v.shape)) for v in weights)
        print(json.dumps({"flagfile": path, "batch_size": cfg.batch_size, "parameters": params,
                          "seconds_per_step": round(seconds, 4),
                          "steps_per_epoch_at_50000_images": 50_000 // cfg.batch_size}), flush=True)


if __name__ == "__main__":
    app.run(main)
