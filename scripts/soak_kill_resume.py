"""Soak: kill a real training process with SIGKILL at random moments, many times,
and check after each kill that the latest checkpoint loads and that the next
process resumes from exactly its step.

    python scripts/soak_kill_resume.py --cycles=200 --seed=0

Each kill comes a random 0-3 s after the process has started training (its
TensorBoard file exists), so kills land in steps, checkpoint writes and
summaries rather than in TensorFlow's import. Uses a tiny MNIST-shaped data
set it writes itself. Prints one JSON line per
cycle and a final summary: cycles, failures (target: 0).
"""

import glob
import gzip
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np
from absl import app, flags

import keras_gan  # noqa: F401  (first: TensorFlow then starts without its start-up noise)

flags.DEFINE_integer("cycles", 200, "Kill/resume cycles.", lower_bound=1)
flags.DEFINE_integer("seed", 0, "Seed of the kill times (a failure can be replayed).")
flags.DEFINE_float("min_delay", 0.0, "Earliest kill, seconds after training started.")
flags.DEFINE_float("max_delay", 3.0, "Latest kill, seconds after training started.")
FLAGS = flags.FLAGS
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1"}


def write_idx(path, array):
    array = np.asarray(array, np.uint8)
    magic = {3: 2051, 1: 2049}[array.ndim]
    header = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.tobytes())


def latest_step(workdir):
    import tensorflow as tf

    path = tf.train.latest_checkpoint(os.path.join(workdir, "checkpoints"))
    if not path:
        return 0, None
    tf.train.load_checkpoint(path)  # raises if the checkpoint does not load
    return int(path.rsplit("-", 1)[1]), path


def main(argv):
    del argv
    rng = random.Random(FLAGS.seed)
    root = tempfile.mkdtemp(prefix="keras_gan_soak_")
    data_dir = os.path.join(root, "mnist")
    os.makedirs(data_dir)
    r = np.random.default_rng(0)
    write_idx(os.path.join(data_dir, "train-images-idx3-ubyte.gz"), r.integers(0, 256, (240, 28, 28)))
    write_idx(os.path.join(data_dir, "train-labels-idx1-ubyte.gz"), r.integers(0, 10, 240))
    write_idx(os.path.join(data_dir, "t10k-images-idx3-ubyte.gz"), r.integers(0, 256, (40, 28, 28)))
    write_idx(os.path.join(data_dir, "t10k-labels-idx1-ubyte.gz"), r.integers(0, 10, 40))
    workdir = os.path.join(root, "run")
    command = [sys.executable, "-m", "keras_gan.train", f"--data_dir={data_dir}", f"--workdir={workdir}",
               "--epochs=100000", "--batch_size=20", "--g_hidden_units=256,256", "--d_maxout_units=128,128",
               "--log_every=2", "--parzen_every=0", "--grid_size=2"]
    failures, ok = [], 0
    start = time.time()
    for cycle in range(FLAGS.cycles):
        before, _ = latest_step(workdir)
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
        # Kill after training has started (its events file exists), not while TensorFlow imports.
        deadline = time.time() + 120
        while not glob.glob(os.path.join(workdir, f"events.out.tfevents.*.{proc.pid}.*")) and time.time() < deadline:
            time.sleep(0.01)
        time.sleep(rng.uniform(FLAGS.min_delay, FLAGS.max_delay))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        problems = []
        if before and "Resuming from" in out and f"at step {before}\n" not in out:
            problems.append(f"resumed at the wrong step (expected {before})")
        try:
            after, _ = latest_step(workdir)
            if after < before:
                problems.append(f"checkpoint went back from {before} to {after}")
        except Exception as e:  # a checkpoint that does not load is exactly what we look for
            after = None
            problems.append(f"latest checkpoint does not load: {e}")
        record = {"cycle": cycle, "before": before, "after": after, "problems": problems}
        print(json.dumps(record), flush=True)
        if problems:
            failures.append(record)
        else:
            ok += 1
    print(json.dumps({"cycles": FLAGS.cycles, "ok": ok, "failures": len(failures), "seed": FLAGS.seed,
                      "final_step": latest_step(workdir)[0], "minutes": round((time.time() - start) / 60, 1)}))


if __name__ == "__main__":
    app.run(main)
