import json
import os
import subprocess
import sys

import numpy as np
import pytest

from keras_gan import train_lib
from keras_gan.data import DataError
from keras_gan.evaluation import parzen as parzen_eval

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def trained(tmp_path_factory, mnist_dir):
    from keras_gan.config import Config

    cfg = Config(data_dir=mnist_dir, batch_size=20, epochs=1, g_hidden_units=(16, 16), d_maxout_units=(8, 8),
                 d_num_pieces=2, noise_dim=8, log_every=5, grid_size=2)
    workdir = str(tmp_path_factory.mktemp("eval") / "run")
    train_lib.train_and_evaluate(cfg, workdir, verbose=0)
    return cfg, workdir


def test_evaluate_a_workdir_writes_parzen_json(trained):
    cfg, workdir = trained
    [result] = parzen_eval.evaluate(cfg, workdir=workdir, num_samples=100, output=os.path.join(workdir, "parzen.json"))
    saved = json.loads(open(os.path.join(workdir, "parzen.json")).read())
    assert saved["mean"] == pytest.approx(result["mean"]) and np.isfinite(saved["mean"])
    assert saved["checkpoint_step"] == 10 and saved["n_samples"] == 100 and saved["n_test"] == 40
    assert saved["sigma"] in saved["sigmas"] and len(saved["valid_scores"]) == 10
    rows = parzen_eval.lines([result])
    assert "225 +- 2" in rows[1] and rows[2].startswith("Adversarial nets (this run)")


def test_a_run_its_export_and_its_samples_file_score_alike(trained, tmp_path):
    """The same noise (seed 0) through the checkpoint, the SavedModel and a
    .npy of the SavedModel's images gives the same Table 1 number."""
    import tensorflow as tf

    cfg, workdir = trained
    export = os.path.join(workdir, "export", "generator")
    [from_run] = parzen_eval.evaluate(cfg, workdir=workdir, num_samples=100)
    [from_export] = parzen_eval.evaluate(cfg, saved_model=export, num_samples=100)
    loaded = tf.saved_model.load(export)
    np.save(tmp_path / "s.npy", loaded.sample(100, 0)["images"].numpy())
    [from_file] = parzen_eval.evaluate(cfg, samples_path=str(tmp_path / "s.npy"))
    assert from_file["n_samples"] == from_export["n_samples"] == from_run["n_samples"] == 100
    for other in (from_export, from_file):
        assert other["sigma"] == from_run["sigma"]
        assert other["mean"] == pytest.approx(from_run["mean"], abs=1e-3)
        assert other["se"] == pytest.approx(from_run["se"], abs=1e-3)


@pytest.mark.parametrize("array,message", [
    (np.zeros((5, 27, 28)), "does not flatten"),
    (np.full((5, 784), 2.0), r"in \[0, 1\]"),
])
def test_bad_samples_files_are_refused(trained, tmp_path, array, message):
    cfg, _ = trained
    np.save(tmp_path / "bad.npy", array)
    with pytest.raises(DataError, match=message):
        parzen_eval.evaluate(cfg, samples_path=str(tmp_path / "bad.npy"))


def test_cli_prints_the_table1_row(trained):
    _, workdir = trained
    out = subprocess.run([sys.executable, "-m", "keras_gan.evaluate", f"--workdir={workdir}", "--num_samples=100",
                          "--num_sigmas=3"], capture_output=True, text=True, cwd=REPO,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Adversarial nets (paper)       MNIST  225 +- 2" in out.stdout
    assert "Adversarial nets (this run)" in out.stdout


def test_cli_missing_samples_file_is_one_line(tmp_path, mnist_dir):
    out = subprocess.run([sys.executable, "-m", "keras_gan.evaluate", f"--samples={tmp_path}/none.npy",
                          f"--data_dir={mnist_dir}"], capture_output=True, text=True, cwd=REPO,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert out.returncode == 1 and "error: --samples" in out.stderr and "Traceback" not in out.stderr


def test_quality_of_a_run_and_of_a_samples_file_with_the_keys_other_tools_read(trained, tmp_path):
    _, workdir = trained
    keys = {"fd", "kid", "kid_std", "precision", "recall", "density", "coverage", "classifier_score"}
    output = tmp_path / "quality.json"
    out = subprocess.run([sys.executable, "-m", "keras_gan.evaluate", f"--workdir={workdir}", "--method=quality",
                          "--num_samples=100", f"--output={output}"], capture_output=True, text=True, cwd=REPO,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert out.returncode == 0, out.stderr[-2000:]
    row = json.loads(output.read_text())
    assert keys <= set(row) and row["n_generated"] == 100 and row["n_real"] == 40 and row["split"] == "test"
    assert row["fd"] > 0 and 0 <= row["precision"] <= 1 and 1 <= row["classifier_score"] <= 10
    assert "Sample quality against 40 test digits" in out.stdout and "FD" in out.stdout
    # The test digits themselves, as a samples file: the same images score FD 0 and precision = recall = 1.
    from keras_gan import data

    test = data.load_mnist_idx(trained[0].data_dir).test
    np.save(tmp_path / "test.npy", test.astype(np.float32) / 255.0)
    out = subprocess.run([sys.executable, "-m", "keras_gan.evaluate", f"--samples={tmp_path / 'test.npy'}",
                          f"--data_dir={trained[0].data_dir}", "--method=quality", f"--output={output}"],
                         capture_output=True, text=True, cwd=REPO, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert out.returncode == 0, out.stderr[-2000:]
    row = json.loads(output.read_text())
    assert row["fd"] == pytest.approx(0.0, abs=1e-4) and row["precision"] == row["recall"] == row["coverage"] == 1.0


def test_quality_of_other_data_sets_is_refused_in_one_line(tmp_path):
    np.save(tmp_path / "s.npy", np.zeros((10, 32, 32, 3), np.float32))
    out = subprocess.run([sys.executable, "-m", "keras_gan.evaluate", f"--samples={tmp_path / 's.npy'}",
                          "--dataset=folder", f"--data_dir={tmp_path}", "--method=quality"],
                         capture_output=True, text=True, cwd=REPO, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines() == [out.stderr.strip()] and "MNIST classifier" in out.stderr
