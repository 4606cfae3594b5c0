"""scripts/reproduce_figure2_cifar10.sh: unpack, train for a budget, draw; bad arguments fail at once."""

import os
import subprocess
import tarfile

import numpy as np
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(REPO, "scripts", "reproduce_figure2_cifar10.sh")
# The fully connected model shrunk to seconds; the flagfile gives everything else.
TINY = ["--g_hidden_units=16,16", "--d_maxout_units=8,8", "--d_num_pieces=2", "--batch_size=10", "--grid_size=2",
        "--nojit_compile", "--log_every=1"]


def write_archive(tmp_path):
    """A CIFAR-like JPEG folder as the shared copy is shipped: train/<class>/*.jpg, test/<class>/*.jpg, gzipped."""
    import tensorflow as tf

    rng = np.random.default_rng(0)
    root = tmp_path / "src"
    for split, n in (("train", 20), ("test", 3)):
        for name in ("cat", "dog"):
            (root / split / name).mkdir(parents=True)
            for i in range(n):
                image = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
                (root / split / name / f"{i:04d}.jpg").write_bytes(tf.io.encode_jpeg(image).numpy())
    archive = tmp_path / "cifar10-jpeg.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for split in ("train", "test"):
            tar.add(root / split, arcname=split)
    return archive


def script_env(cwd):
    """The script's environment: this checkout's package, and the archive unpacked into cwd/unpacked."""
    return {**os.environ, "PYTHONPATH": REPO, "TF_CPP_MIN_LOG_LEVEL": "2", "UNPACK_DIR": str(cwd / "unpacked")}


def run(cwd, *args):
    return subprocess.run(["bash", SCRIPT, *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          env=script_env(cwd))


def test_trains_from_the_archive_and_draws_both_figures(tmp_path):
    archive, workdir = write_archive(tmp_path), tmp_path / "run"
    out = run(tmp_path, "fc", archive, workdir, 5, "--epochs=2", *TINY)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-3000:]
    assert sorted(os.listdir(tmp_path / "unpacked" / "train")) == ["cat", "dog"]  # unpacked, and in place
    assert not (tmp_path / "unpacked.partial").exists()
    assert "Training ended" in out.stdout and "Exported the generator" in out.stdout
    for name in ("figure2_samples.png", "figure2_progress.png"):
        header = (workdir / "figures" / name).read_bytes()[:24]
        assert header[:8] == b"\x89PNG\r\n\x1a\n", name
        assert int.from_bytes(header[16:20], "big") >= 500, name  # figures' --min_width: readable, not 32 pixels
    assert "status.json" in os.listdir(workdir)
    # Resuming is the training command's own (tests/test_reliability.py): the script runs the same command again.


def test_two_runs_started_together_on_one_archive_unpack_it_once(tmp_path):
    # The documented way to make both panels: fc and conv at once, one core each, both given the archive. Training
    # is not what this pins, so each run stops at once on a flag error after the unpack (an unpack race fails first).
    archive = write_archive(tmp_path)
    runs = [subprocess.Popen(["bash", SCRIPT, "fc", str(archive), str(tmp_path / f"run{i}"), "5", "--epochs=0"],
                             cwd=tmp_path, env=script_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
            for i in range(2)]
    for proc in runs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 1 and "flag --epochs=0: 0 is not a positive integer" in err, err[-3000:]
        assert "tar" not in err and "mv:" not in err and "not a readable" not in err, err[-3000:]
    assert sorted(os.listdir(tmp_path / "unpacked" / "train")) == ["cat", "dog"]
    assert len(os.listdir(tmp_path / "unpacked" / "train" / "cat")) == 20
    assert not (tmp_path / "unpacked.partial").exists()


@pytest.mark.parametrize("args,message", [
    (["dcgan"], "MODEL must be fc or conv, got 'dcgan'"),
    (["fc", "no/such/folder"], "DATA 'no/such/folder' is neither an image folder nor a .tar.gz archive"),
    (["conv", ".", "runs/x", "0"], "MINUTES must be a positive whole number of minutes, got '0'"),
])
def test_bad_arguments_are_one_line_errors(tmp_path, args, message):
    out = run(tmp_path, *args)
    assert out.returncode == 1
    assert out.stderr.startswith("error: ") and message in out.stderr, out.stderr
    assert not os.listdir(tmp_path)  # nothing written


def test_a_corrupt_archive_is_one_line_and_leaves_no_half_unpacked_folder(tmp_path):
    (tmp_path / "broken.tar.gz").write_bytes(b"not a gzip stream")
    out = run(tmp_path, "fc", tmp_path / "broken.tar.gz")
    assert out.returncode == 1
    assert out.stderr.startswith("error: DATA ") and "is not a readable .tar.gz archive" in out.stderr, out.stderr
    assert len(out.stderr.strip().splitlines()) == 1, out.stderr
    assert sorted(os.listdir(tmp_path)) == ["broken.tar.gz"]  # neither unpacked/ nor unpacked.partial/
