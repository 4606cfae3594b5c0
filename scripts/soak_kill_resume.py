"""Soak: kill a real training process with SIGKILL at random moments, many times,
and check after each kill that a checkpoint reads back and that the next
process resumes from exactly the newest one that does.

    python scripts/soak_kill_resume.py --cycles=200 --seed=0
    python scripts/soak_kill_resume.py --cycles=200 --seed=0 --truncate_every=3

Each kill comes a random 0-3 s after the process has started training (its
TensorBoard file exists), so kills land in steps, checkpoint writes and
summaries rather than in TensorFlow's import (on a busy machine, where XLA's
compile alone takes longer, widen it: --max_delay=20). With --truncate_every=N, after
every N-th kill the newest intact checkpoint's data file is cut to a random
length (as a copy interrupted half-way leaves it): the next process must say so
in a warning line naming it and resume from the checkpoint before it, and the
cut files must stay as they were cut (never deleted or written over). "Intact"
is judged here independently of keras_gan: every tensor of the checkpoint reads
back with TensorFlow's reader. Uses a tiny MNIST-shaped data set it writes
itself. Prints one JSON line per cycle and a final summary: cycles, failures
(target: 0).
"""

import glob
import gzip
import hashlib
import json
import os
import random
import re
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
flags.DEFINE_integer("new_run_at", 1500, "Start a new run folder once the newest checkpoint reaches this step: "
                     "the toy run (random pixels, the paper's learning rate) diverges near step 3,200 by itself, "
                     "and training then stops in one line, as it should.", lower_bound=1)
flags.DEFINE_integer("truncate_every", 0, "After every N-th kill, cut the newest intact checkpoint's data file "
                     "short (0: never).", lower_bound=0)
FLAGS = flags.FLAGS
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1"}


def write_idx(path, array):
    array = np.asarray(array, np.uint8)
    magic = {3: 2051, 1: 2049}[array.ndim]
    header = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.tobytes())


def newest_intact(workdir, exclude=None):
    """(step, path) of the newest checkpoint in checkpoints/ (`exclude` aside)
    whose every tensor reads back, (0, None) if none: the later name of a step
    (ckpt.1-N after ckpt-N) first, as keras_gan orders them."""
    import tensorflow as tf

    found = []
    for index in glob.glob(os.path.join(workdir, "checkpoints", "*.index")):
        match = re.fullmatch(r"ckpt(?:\.(\d+))?-(\d+)\.index", os.path.basename(index))
        if match and index[:-len(".index")] != exclude:
            found.append((int(match.group(2)), int(match.group(1) or 0), index[:-len(".index")]))
    for step, _, path in sorted(found, reverse=True):
        try:
            reader = tf.train.load_checkpoint(path)
            for name in reader.get_variable_to_shape_map():
                reader.get_tensor(name)
        except Exception:  # noqa: BLE001 -- any failure to read is what "not intact" means here
            continue
        return step, path
    return 0, None


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def truncate(path, rng):
    """Cuts `path` to a random length shorter than it is; returns its new digest."""
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        f.truncate(rng.randrange(0, size))
    return digest(path)


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
    runs = 0
    workdir = os.path.join(root, f"run{runs}")
    failures, ok = [], 0
    cut = {}  # data file -> its digest once cut: it must stay so
    seen_warned = set()  # the cut files a process has been checked to warn about
    start = time.time()
    for cycle in range(FLAGS.cycles):
        before, _ = newest_intact(workdir)
        if before >= FLAGS.new_run_at:
            runs += 1
            workdir, before = os.path.join(root, f"run{runs}"), 0
            seen_warned.update(cut)  # a cut in the folder left behind is warned of by no process; it must stay cut
        command = [sys.executable, "-m", "keras_gan.train", f"--data_dir={data_dir}", f"--workdir={workdir}",
                   "--epochs=100000", "--batch_size=20", "--g_hidden_units=256,256", "--d_maxout_units=128,128",
                   "--log_every=2", "--parzen_every=0", "--grid_size=2"]
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
        # Kill after training has started (its events file exists), not while TensorFlow imports. At nice 19
        # beside other work a start can take minutes; half an hour is a hang.
        deadline = time.time() + 1800
        while (not glob.glob(os.path.join(workdir, f"events.out.tfevents.*.{proc.pid}.*"))
               and proc.poll() is None and time.time() < deadline):
            time.sleep(0.01)
        time.sleep(rng.uniform(FLAGS.min_delay, FLAGS.max_delay))
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate()
        problems = [] if time.time() < deadline else ["did not start training in 30 minutes"]
        if proc.returncode != -signal.SIGKILL:
            problems.append(f"exited by itself with status {proc.returncode}: {err.strip().splitlines()[-1:]}")
        if "Traceback" in err:
            problems.append("a traceback on stderr")
        if before and f"at step {before}\n" not in out:
            problems.append(f"did not resume from the newest intact step {before}: "
                            f"{[line for line in out.splitlines() if 'Resuming' in line]}")
        newly_cut = [path for path in cut if path not in seen_warned]
        for path in newly_cut:
            if path not in err:
                problems.append(f"no warning named the cut {path}")
            seen_warned.add(path)
        for path, cut_digest in cut.items():
            if not os.path.exists(path) or digest(path) != cut_digest:
                problems.append(f"the cut {path} was deleted or written over")
        after, after_path = newest_intact(workdir)
        if after < before:
            problems.append(f"the newest intact checkpoint went back from {before} to {after}")
        truncated = None
        if FLAGS.truncate_every and (cycle + 1) % FLAGS.truncate_every == 0 and after_path:
            if newest_intact(workdir, exclude=after_path)[1]:  # leave something to resume from
                truncated = f"{after_path}.data-00000-of-00001"
                cut[truncated] = truncate(truncated, rng)
        record = {"cycle": cycle, "run": runs, "before": before, "after": after, "truncated": truncated,
                  "problems": problems}
        print(json.dumps(record), flush=True)
        if problems:
            failures.append(record)
        else:
            ok += 1
    print(json.dumps({"cycles": FLAGS.cycles, "ok": ok, "failures": len(failures), "truncated": len(cut),
                      "run_folders": runs + 1,
                      "seed": FLAGS.seed, "final_step": newest_intact(workdir)[0],
                      "minutes": round((time.time() - start) / 60, 1)}))


if __name__ == "__main__":
    app.run(main)
