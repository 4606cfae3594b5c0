"""Seconds per training step, per epoch and per run of each experiment, so a user can plan a run.

    python scripts/bench_step_costs.py [--steps=20] [--jit_compile] \
        [--flagfiles=flags/tfd.cfg,flags/tfd_stage2.cfg] [--train_images=98058]

Random data of each experiment's image shape (the cost does not depend on the
pixels) through the training loop's own compiled steps
(`train_lib.make_train_function`), median of timed windows after a warm-up
window; the checkpoint written at the end of each epoch is timed once. An
epoch is `--train_images // batch_size` steps and one checkpoint; a run is
the flagfile's `--epochs` of them (the sample grid and the validation monitor
are left out: seconds, not minutes).
"""

import dataclasses
import json
import os
import statistics
import tempfile
import time

import keras_gan  # noqa: F401  (first: TensorFlow then starts without its start-up noise)

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import app, flags  # noqa: E402

flags.DEFINE_list(
    "flagfiles",
    ["flags/mnist.cfg", "flags/tfd.cfg", "flags/tfd_stage2.cfg", "flags/cifar10_fc.cfg", "flags/cifar10_conv.cfg"],
    "Experiments to time.",
)
flags.DEFINE_integer("steps", 10, "Steps per timed window.", lower_bound=1)
flags.DEFINE_integer("windows", 3, "Timed windows after the warm-up one.", lower_bound=1)
flags.DEFINE_integer("train_images", 50_000, "Training images per epoch, for the epoch and run estimates "
                     "(MNIST 50,000; TFD fold 0's unlabeled split 98,058; CIFAR-10 45,000).", lower_bound=1)
flags.DEFINE_bool("jit_compile", False, "Time the XLA-compiled step (the experiment files' default) instead of "
                  "the plain one.")
FLAGS = flags.FLAGS


def seconds_per_step(gan, batch, steps, windows, jit_compile):
    """Median seconds per training step over `windows` timed windows of
    `steps` compiled steps, after one warm-up window."""
    from keras_gan import train_lib

    train_steps = train_lib.make_train_function(gan, tf.distribute.get_strategy(), jit_compile)
    iterator = iter(tf.data.Dataset.from_tensors(batch).repeat())
    times = []
    for window in range(windows + 1):
        start = time.perf_counter()
        train_steps(iterator, tf.constant(steps))
        float(gan.d_loss_tracker.result())
        if window:
            times.append((time.perf_counter() - start) / steps)
    return statistics.median(times)


def seconds_per_checkpoint(gan):
    """Wall time of writing one training checkpoint (G, D, both optimizers' slots)."""
    from keras_gan import experiment

    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        experiment.make_checkpoint(gan).write(os.path.join(folder, "ckpt"))
        return time.perf_counter() - start


def main(argv):
    del argv
    from keras_gan import cli, config, data, experiment

    cli.quiet_logs()

    for path in FLAGS.flagfiles:
        cfg = config.parse_args(f"--flagfile={path}")
        shape = data.image_shape(cfg)
        # Blank training images: only their count and shape matter here.
        blank = np.broadcast_to(np.zeros(shape, np.uint8), (FLAGS.train_images, *shape))
        cfg = dataclasses.replace(cfg, g_bias_from_marginals=False, conditional=False)
        gan = experiment.build_gan(cfg, data.Splits(blank, blank[:1], blank[:1]))
        batch = np.random.default_rng(0).uniform(size=(cfg.batch_size * cfg.k_steps, *shape)).astype("float32")
        step = seconds_per_step(gan, tf.constant(batch), FLAGS.steps, FLAGS.windows, FLAGS.jit_compile)
        checkpoint = seconds_per_checkpoint(gan)
        steps_per_epoch = data.steps_per_epoch(FLAGS.train_images, cfg.batch_size * cfg.k_steps)
        epoch = steps_per_epoch * step + checkpoint
        weights = gan.generator.trainable_variables + gan.discriminator.trainable_variables
        params = sum(int(np.prod(v.shape)) for v in weights)
        print(json.dumps({"flagfile": path, "batch_size": cfg.batch_size, "parameters": params,
                          "jit_compile": FLAGS.jit_compile, "seconds_per_step": round(step, 4),
                          "seconds_per_checkpoint": round(checkpoint, 2), "train_images": FLAGS.train_images,
                          "steps_per_epoch": steps_per_epoch, "minutes_per_epoch": round(epoch / 60, 1),
                          "epochs": cfg.epochs, "hours_per_run": round(cfg.epochs * epoch / 3600, 1)}), flush=True)


if __name__ == "__main__":
    app.run(main)
