"""Nothing lost: real processes killed with SIGKILL and SIGTERM, a full disk,
injected NaNs, determinism, and a corpus of bad inputs."""

import dataclasses
import glob
import hashlib
import os
import random
import resource
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import tensorflow as tf

from keras_gan import cli, experiment, train_lib
from keras_gan.errors import TrainingError

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1"}


def train_command(mnist_dir, workdir, *extra):
    return [sys.executable, "-m", "keras_gan.train", f"--data_dir={mnist_dir}", f"--workdir={workdir}",
            "--epochs=8", "--batch_size=20", "--g_hidden_units=256,256", "--d_maxout_units=128,128",
            "--log_every=2", "--parzen_every=0", "--grid_size=2", *extra]


def latest_step(workdir):
    path = tf.train.latest_checkpoint(os.path.join(workdir, "checkpoints"))
    return int(path.rsplit("-", 1)[1]) if path else 0


def wait_for(predicate, timeout):
    end = time.time() + timeout
    while time.time() < end:
        if predicate():
            return True
        time.sleep(0.005)
    return False


class Output:
    """A process's stdout, read line by line in the background."""

    def __init__(self, proc):
        self.lines = []
        self.thread = threading.Thread(target=lambda: self.lines.extend(proc.stdout), daemon=True)
        self.thread.start()

    def text(self):
        self.thread.join(timeout=30)
        return "".join(self.lines)


def test_sigkill_anywhere_then_resume(mnist_dir, tmp_path, read_events):
    """Killed at seeded random moments after training started, during a
    checkpoint write and during the export, the same command resumes from the
    last complete checkpoint. A kill aimed at a write is retried until the
    write is caught in the act, so the test cannot pass by killing elsewhere."""
    seed = int(os.environ.get("KILL_SEED", "2014"))
    rng = random.Random(seed)
    workdir = str(tmp_path / "run")
    kill_points = ["random", "checkpoint", "random", "export"]  # each kind of moment, then the final resume
    writes = {"checkpoint": os.path.join(workdir, "checkpoints", "*_temp*"),
              "export": os.path.join(workdir, "export", "generator.tmp-*")}
    resumed_from = {}  # pid -> the checkpoint step that process started from
    for point in kill_points:
        for _attempt in range(5):
            before = latest_step(workdir)
            proc = subprocess.Popen(train_command(mnist_dir, workdir), stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, text=True, env=ENV, cwd=REPO)
            output = Output(proc)
            if point in writes:
                caught = wait_for(lambda pattern=writes[point]: glob.glob(pattern), 120)
            else:
                # Once training has started (or the run, already complete, has ended).
                started = lambda output=output, proc=proc: (  # noqa: E731
                    any(line.startswith("Epoch") for line in output.lines) or proc.poll() is not None)
                assert wait_for(started, 120), output.lines
                time.sleep(rng.uniform(0.0, 3.0))
                caught = True
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            out = output.text()
            if before:
                assert f"at step {before}" in out, (point, before, out[-500:])  # resumed from the last complete one
            resumed_from[proc.pid] = before
            after = latest_step(workdir)
            assert after >= before, f"seed {seed}: checkpoint went back from {before} to {after} ({point})"
            if after:  # the latest checkpoint reads back (load_checkpoint raises otherwise)
                tf.train.load_checkpoint(tf.train.latest_checkpoint(os.path.join(workdir, "checkpoints")))
            if caught:
                break
        else:
            pytest.fail(f"seed {seed}: no {point} write was caught in 5 attempts")
    before = latest_step(workdir)
    final = subprocess.Popen(train_command(mnist_dir, workdir), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=ENV, cwd=REPO)
    out, err = final.communicate(timeout=300)
    resumed_from[final.pid] = before
    assert final.returncode == 0, err[-2000:]
    assert "Trained to step 80" in out
    assert not glob.glob(os.path.join(workdir, "export", "generator.*-*")), "a half-written export was left"
    loaded = tf.saved_model.load(os.path.join(workdir, "export", "generator"))
    assert loaded.sample(2)["images"].shape == (2, 28, 28, 1)
    # TensorBoard: no process logs a step at or before the checkpoint it resumed from.
    for path in glob.glob(os.path.join(workdir, "events.out.tfevents.*")):
        pid = int(os.path.basename(path).split(".")[-3])
        steps = [s for s, _ in read_events(path)[0].get("d_loss", [])]
        assert not steps or min(steps) > resumed_from[pid], (path, resumed_from[pid], steps[:3])
    logged = {s for path in glob.glob(os.path.join(workdir, "events.out.tfevents.*"))
              for s, _ in read_events(path)[0].get("d_loss", [])}
    assert logged == set(range(2, 81, 2))  # every step logged by some process, none missing


def test_sigterm_saves_and_exits_zero(mnist_dir, tmp_path):
    workdir = str(tmp_path / "run")
    proc = subprocess.Popen(train_command(mnist_dir, workdir, "--epochs=200"), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=ENV, cwd=REPO)
    assert wait_for(lambda: latest_step(workdir) >= 10, 60)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err[-2000:]
    assert "SIGTERM received: saved" in out and "run the same command again to resume" in out
    step = latest_step(workdir)
    assert f"ckpt-{step}" in out and step >= 10
    assert not os.path.exists(os.path.join(workdir, "export", "generator"))  # stopped early: no export


@pytest.fixture
def op_determinism():
    """--deterministic switches TensorFlow's op determinism on for the whole
    process; the tests after this one run without it, as they would alone."""
    from tensorflow.python.framework import config as tf_config

    yield
    tf_config.disable_op_determinism()


def test_deterministic_runs_are_bit_identical_and_resume_exactly(tiny_config, tmp_path, op_determinism):
    cfg = dataclasses.replace(tiny_config, parzen_every=0, epochs=2, deterministic=True, jit_compile=True)
    for name, max_steps in (("a", 0), ("b", 0), ("resumed", 7)):
        train_lib.train_and_evaluate(dataclasses.replace(cfg, max_steps=max_steps), str(tmp_path / name), verbose=0)
    train_lib.train_and_evaluate(cfg, str(tmp_path / "resumed"), verbose=0)
    weights = {}
    for name in ("a", "b", "resumed"):
        gan = experiment.load_run(str(tmp_path / name)).gan
        weights[name] = [v.numpy() for v in gan.generator.variables + gan.discriminator.variables]
    for a, b, r in zip(weights["a"], weights["b"], weights["resumed"]):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, r)


def test_non_finite_weights_are_never_checkpointed(tiny_config, tmp_path, monkeypatch):
    """A NaN injected into G's weights on the last step of epoch 2 stops the
    run before that epoch's checkpoint; epoch 1's stays the latest."""
    workdir = str(tmp_path / "run")
    original = experiment.build_gan

    def poisoned_build(*args, **kwargs):
        gan = original(*args, **kwargs)
        train_step = gan.train_step

        def step_then_poison(data):
            logs = train_step(data)
            kernel = gan.generator.out.kernel
            kernel.assign(tf.where(gan.g_optimizer.iterations == 20, kernel * np.nan, kernel))
            return logs

        gan.train_step = step_then_poison
        return gan

    monkeypatch.setattr(experiment, "build_gan", poisoned_build)
    with pytest.raises(TrainingError, match=r"weight \S*generator/y/kernel became non-finite by step 20"):
        train_lib.train_and_evaluate(dataclasses.replace(tiny_config, epochs=3, parzen_every=0), workdir, verbose=0)
    assert latest_step(workdir) == 10
    assert not os.path.exists(os.path.join(workdir, "export"))


def _limit_file_size():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG instead of killing
    resource.setrlimit(resource.RLIMIT_FSIZE, (300_000, 300_000))


def test_a_full_disk_stops_training_with_one_line_and_keeps_the_last_checkpoint(mnist_dir, tmp_path):
    workdir = str(tmp_path / "run")
    first = subprocess.run(train_command(mnist_dir, workdir, "--epochs=1"), capture_output=True, text=True, env=ENV,
                           cwd=REPO)
    assert first.returncode == 0, first.stderr[-2000:]
    latest = tf.train.latest_checkpoint(os.path.join(workdir, "checkpoints"))
    digest = {p: hashlib.sha256(open(p, "rb").read()).hexdigest() for p in glob.glob(latest + "*")}
    out = subprocess.run(train_command(mnist_dir, workdir, "--epochs=3"), capture_output=True, text=True,
                         env=ENV, cwd=REPO, preexec_fn=_limit_file_size)
    assert out.returncode == 1, out.stdout[-1000:] + out.stderr[-2000:]
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("error: cannot write a checkpoint in") and "at step 20" in last, last
    assert "Traceback" not in out.stderr
    assert tf.train.latest_checkpoint(os.path.join(workdir, "checkpoints")) == latest
    assert digest == {p: hashlib.sha256(open(p, "rb").read()).hexdigest() for p in glob.glob(latest + "*")}


# --- A corpus of bad inputs -------------------------------------------------------------------------

def snapshot(folder):
    return {p: hashlib.sha256(open(p, "rb").read()).hexdigest()
            for p in glob.glob(os.path.join(folder, "**"), recursive=True) if os.path.isfile(p)}


def copy_mnist(mnist_dir, tmp_path):
    import shutil

    target = tmp_path / "data"
    shutil.copytree(mnist_dir, target)
    return target


# The loader's own tests (test_data_mnist.py) cover each corruption of an IDX file; these check that
# the command line turns a few of them into one line and leaves the workdir alone.
BAD_DATA = {
    "gzip that is not gzip": (
        lambda d, write_idx: (d / "t10k-labels-idx1-ubyte.gz").write_bytes(b"PK\x03\x04 a zip file"),
        "not a gzip file"),
    "labels of the wrong count": (lambda d, write_idx: write_idx(d / "t10k-labels-idx1-ubyte.gz", np.zeros(39)),
                                  "40 test images but 39 labels"),
    "missing idx file": (lambda d, write_idx: os.remove(d / "t10k-images-idx3-ubyte.gz"),
                         "no t10k-images-idx3-ubyte.gz"),
}


@pytest.mark.parametrize("case", sorted(BAD_DATA))
def test_bad_mnist_files(case, mnist_dir, tmp_path, tiny_config, capsys, write_idx):
    data_dir = copy_mnist(mnist_dir, tmp_path)
    corrupt, message = BAD_DATA[case]
    corrupt(data_dir, write_idx)
    expect_one_line_error(dataclasses.replace(tiny_config, data_dir=str(data_dir)), tmp_path, capsys, message)


def expect_one_line_error(cfg, tmp_path, capsys, message, workdir=None):
    workdir = workdir or str(tmp_path / "run")
    before = snapshot(workdir)
    with pytest.raises(SystemExit) as info:
        cli.run_reporting_errors(train_lib.train_and_evaluate, cfg, workdir, verbose=0)
    assert info.value.code == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: ") and message in err, err
    assert snapshot(workdir) == before


BAD_CONFIGS = {
    "batch size 0": (dict(batch_size=0), "--batch_size must be >= 1; got 0"),
    "negative batch size": (dict(batch_size=-5), "--batch_size must be >= 1; got -5"),
    "k_steps 0": (dict(k_steps=0), "--k_steps must be >= 1; got 0"),
    "noise_dim 0": (dict(noise_dim=0), "--noise_dim must be >= 1; got 0"),
    "unknown dataset": (dict(dataset="imagenet"),
                        "--dataset must be one of mnist, tfd, cifar10, folder, gaussian1d; got 'imagenet'"),
    "missing data_dir": (dict(data_dir="/nonexistent/mnist"), "--data_dir /nonexistent/mnist: no such folder"),
    "batch larger than the data": (dict(batch_size=500), "fewer than one step's 500"),
    "include prob 0": (dict(d_hidden_include_prob=0.0), "--d_hidden_include_prob must be in (0, 1]"),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_bad_settings(case, tiny_config, tmp_path, capsys):
    changes, message = BAD_CONFIGS[case]
    expect_one_line_error(dataclasses.replace(tiny_config, **changes), tmp_path, capsys, message)


def test_cifar_file_of_the_wrong_length(tiny_config, tmp_path, capsys, write_cifar):
    folder = write_cifar(tmp_path / "cifar")
    with open(folder / "data_batch_2.bin", "ab") as f:
        f.write(b"\0")
    cfg = dataclasses.replace(tiny_config, dataset="cifar10", data_dir=str(folder))
    expect_one_line_error(cfg, tmp_path, capsys, "data_batch_2.bin: 36877 bytes is not a whole number")


@pytest.mark.parametrize("kwargs,message", [
    (dict(drop=("images",)), "missing key images"),
    (dict(images=np.zeros((60, 40, 48), np.uint8)), "expected (N, 48, 48)"),
    (dict(folds=np.full((60, 5), 4)), "fold codes [4] found"),
])
def test_bad_tfd_files(kwargs, message, tiny_config, tmp_path, capsys, write_tfd):
    write_tfd(tmp_path / "TFD_48x48.mat", **kwargs)
    expect_one_line_error(dataclasses.replace(tiny_config, dataset="tfd", data_dir=str(tmp_path)), tmp_path, capsys,
                          message)


def test_broken_v73_tfd_file(tiny_config, tmp_path, capsys, write_tfd):
    write_tfd(tmp_path / "TFD_48x48.mat", v73=True)
    with open(tmp_path / "TFD_48x48.mat", "r+b") as f:  # keep the MATLAB 7.3 header, break the HDF5 body
        f.seek(512)
        f.write(b"\0" * 64)
    expect_one_line_error(dataclasses.replace(tiny_config, dataset="tfd", data_dir=str(tmp_path)), tmp_path, capsys,
                          "MATLAB v7.3 (HDF5) file that h5py cannot read")


def test_image_folder_without_images(tiny_config, tmp_path, capsys):
    (tmp_path / "pics").mkdir()
    (tmp_path / "pics" / "a.txt").write_text("no images here")
    cfg = dataclasses.replace(tiny_config, dataset="folder", data_dir=str(tmp_path / "pics"))
    expect_one_line_error(cfg, tmp_path, capsys, "no images found")


def test_workdir_of_another_architecture(tiny_config, tmp_path, capsys):
    workdir = str(tmp_path / "run")
    train_lib.train_and_evaluate(dataclasses.replace(tiny_config, epochs=1, parzen_every=0), workdir, verbose=0)
    expect_one_line_error(dataclasses.replace(tiny_config, g_hidden_units=(64, 64)), tmp_path, capsys,
                          "holds a run of another architecture", workdir=workdir)


def test_workdir_that_is_a_file(tiny_config, tmp_path, capsys):
    (tmp_path / "run").write_text("not a folder")
    with pytest.raises(SystemExit) as info:
        cli.run_reporting_errors(train_lib.train_and_evaluate, tiny_config, str(tmp_path / "run"), verbose=0)
    err = capsys.readouterr().err.strip()
    assert info.value.code == 1 and err == f"error: --workdir {tmp_path / 'run'} is a file, not a folder", err
    assert (tmp_path / "run").read_text() == "not a folder"


@pytest.mark.parametrize("array,message", [
    (np.zeros((4, 30, 28)), "does not flatten"),
    (np.full((4, 784), -0.5), "in [0, 1]"),
    (np.zeros((0, 28, 28, 1)), "holds no images (shape (0, 28, 28, 1))"),
    (np.where(np.eye(784)[:4] > 0, np.nan, 0.5), "holds NaN values; expected pixels in [0, 1]"),
])
def test_bad_samples_file_for_evaluate(array, message, mnist_dir, tmp_path):
    np.save(tmp_path / "s.npy", array)
    out = subprocess.run([sys.executable, "-m", "keras_gan.evaluate", f"--samples={tmp_path}/s.npy",
                          f"--data_dir={mnist_dir}"], capture_output=True, text=True, env=ENV, cwd=REPO)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines()[-1].startswith("error: --samples") and message in out.stderr
