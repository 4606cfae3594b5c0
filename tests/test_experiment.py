"""keras_gan/experiment.py: a run folder and the model it holds — finding a checkpoint (latest, best, a step,
a path), the validation monitor's best.json, restoring with averages of G added or dropped, the folder's files;
and `evaluate`'s --checkpoint and --generator, which read them."""

import dataclasses
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from keras_gan import config, data, experiment, train_lib
from keras_gan.errors import TrainingError

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def train(tmp_path_factory, name, cfg):
    workdir = str(tmp_path_factory.mktemp(name) / "run")
    train_lib.train_and_evaluate(cfg, workdir, verbose=0)
    return cfg, workdir


@pytest.fixture(scope="module")
def monitored(tmp_path_factory, make_tiny_config):
    """Three epochs of 10 steps with the validation monitor every epoch and an average of G (decay 0.9); only
    the latest checkpoint is kept in checkpoints/, every epoch's in checkpoints/kept/. D starts far from 1/2 and
    the learning rate is 0.5, so that G moves: with the paper's settings all six scores of these 30 steps are
    equal to float32 precision (G's and its average's alike); at 1.0 the game diverges by step 30."""
    cfg = make_tiny_config(epochs=3, parzen_every=1, keep_every=1, keep_checkpoints=1, ema_decays=(0.9,),
                           d_irange=0.1, learning_rate=0.5)
    return train(tmp_path_factory, "monitored", cfg)


@pytest.fixture(scope="module")
def plain(tmp_path_factory, make_tiny_config):
    """One epoch without the monitor and without averages of G."""
    return train(tmp_path_factory, "plain", make_tiny_config(epochs=1, parzen_every=0))


@pytest.fixture(scope="module")
def two_averages(tmp_path_factory, make_tiny_config):
    """One epoch without the monitor, with two averages of G (decays 0.9 and 0.5)."""
    return train(tmp_path_factory, "two_averages", make_tiny_config(epochs=1, parzen_every=0, ema_decays=(0.9, 0.5)))


def weights(model):
    return [w.numpy() for w in model.weights]


def assert_weights_equal(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


def differ(a, b):
    return any(not np.array_equal(x, y) for x, y in zip(a, b))


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})


# --- find_checkpoint -----------------------------------------------------------------------------------


def test_find_checkpoint_latest_best_a_kept_step_and_a_path(monitored):
    _, workdir = monitored
    checkpoints = os.path.join(workdir, "checkpoints")
    assert experiment.find_checkpoint(workdir) == experiment.find_checkpoint(workdir, "latest")
    assert experiment.find_checkpoint(workdir, "latest") == os.path.join(checkpoints, "ckpt-30")
    best = experiment.read_best(workdir)
    assert experiment.find_checkpoint(workdir, "best") == os.path.join(workdir, "best", f"ckpt-{best['step']}")
    # keep_checkpoints=1 rotated step 10 out of checkpoints/: its only copy there is the kept one.
    assert not os.path.exists(os.path.join(checkpoints, "ckpt-10.index"))
    assert experiment.find_checkpoint(workdir, "10") == os.path.join(checkpoints, "kept", "ckpt-10")
    assert experiment.find_checkpoint(workdir, 10) == experiment.find_checkpoint(workdir, "10")
    assert experiment.find_checkpoint(workdir, "30") == os.path.join(checkpoints, "ckpt-30")
    path = os.path.join(checkpoints, "kept", "ckpt-20")
    assert experiment.find_checkpoint(workdir, path) == path
    assert experiment.available_steps(workdir) == {10, 20, 30}


def test_find_checkpoint_of_a_missing_step_names_the_steps_there_are(monitored):
    _, workdir = monitored
    with pytest.raises(FileNotFoundError, match=r"no checkpoint at step 12345 \(there are: 10, 20, 30\)"):
        experiment.find_checkpoint(workdir, "12345")
    with pytest.raises(FileNotFoundError, match="not latest, best, a step or a checkpoint path"):
        experiment.find_checkpoint(workdir, os.path.join(workdir, "checkpoints", "ckpt-12345"))


def test_best_without_a_monitor_is_not_found(plain):
    _, workdir = plain
    assert experiment.read_best(workdir) is None
    with pytest.raises(FileNotFoundError, match="no best checkpoint"):
        experiment.find_checkpoint(workdir, "best")


# --- The validation monitor's best -----------------------------------------------------------------------


def test_best_is_the_highest_validation_score_over_epochs_and_generators(monitored, read_events):
    _, workdir = monitored
    best = experiment.read_best(workdir)
    scalars, _ = read_events(workdir)
    scores = {}  # (step, generator): the monitor's score, as TensorBoard holds it (float32)
    for name, tag in (("generator", "parzen/valid_log_likelihood"),
                      ("ema_0.9", "parzen/valid_log_likelihood_ema_0.9")):
        assert [s for s, _ in scalars[tag]] == [10, 20, 30], tag
        scores.update({(step, name): value for step, value in scalars[tag]})
    assert len(set(scores.values())) > 1  # epochs and generators score differently: the choice means something
    assert best["generator"] in ("generator", "ema_0.9")
    assert scores[best["step"], best["generator"]] == max(scores.values())
    assert best["valid_log_likelihood"] == pytest.approx(max(scores.values()), rel=1e-6)  # float64 in best.json
    assert best["epoch"] == best["step"] // 10 and best["checkpoint"] == f"ckpt-{best['step']}"
    assert best["sigma"] > 0


def test_default_generator_is_the_monitors_pick_for_best_and_g_otherwise(monitored, plain):
    _, workdir = monitored
    assert experiment.default_generator(workdir, "best") == experiment.read_best(workdir)["generator"]
    assert experiment.default_generator(workdir, "latest") == "generator"
    assert experiment.default_generator(workdir, "20") == "generator"
    assert experiment.default_generator(plain[1], "best") == "generator"  # no monitor, no best.json


def test_load_run_of_best_restores_that_checkpoint(monitored):
    _, workdir = monitored
    best = experiment.read_best(workdir)
    run = experiment.load_run(workdir, "best")
    assert run.step == best["step"]
    assert run.checkpoint == os.path.join(workdir, "best", best["checkpoint"])
    # The kept copy of the same step holds the same weights; the other steps' differ.
    same = experiment.load_run(workdir, os.path.join(workdir, "checkpoints", "kept", f"ckpt-{best['step']}"))
    assert same.step == best["step"]
    assert_weights_equal(weights(run.gan.generator), weights(same.gan.generator))
    assert_weights_equal(weights(run.gan.averages.models[0]), weights(same.gan.averages.models[0]))
    other = experiment.load_run(workdir, "20" if best["step"] != 20 else "30")
    assert differ(weights(run.gan.generator), weights(other.gan.generator))


# --- Restoring with averages of G added or dropped -----------------------------------------------------


def test_an_average_added_after_training_starts_at_the_restored_g(plain):
    cfg, workdir = plain
    splits = data.load(cfg)
    gan = experiment.build_gan(dataclasses.replace(cfg, ema_decays=(0.9,)), splits)
    initial = weights(gan.generator)
    experiment.restore(gan, experiment.find_checkpoint(workdir))
    restored = weights(gan.generator)
    assert differ(initial, restored)  # G was restored, not left where it started
    assert_weights_equal(restored, weights(experiment.load_run(workdir).gan.generator))
    assert_weights_equal(weights(gan.averages.models[0]), restored)


def test_an_average_dropped_after_training_leaves_the_other_restored_exactly(two_averages):
    cfg, workdir = two_averages
    splits = data.load(cfg)
    path = experiment.find_checkpoint(workdir)
    both = experiment.build_gan(cfg, splits)
    experiment.restore(both, path)
    one = experiment.build_gan(dataclasses.replace(cfg, ema_decays=(0.5,)), splits)
    experiment.restore(one, path)  # raises nothing for the 0.9 average it leaves unread
    assert both.ema_decays == (0.9, 0.5) and one.ema_decays == (0.5,)
    assert_weights_equal(weights(one.generator), weights(both.generator))
    assert_weights_equal(weights(one.averages.models[0]), weights(both.averages.models[1]))
    # The restored average is the trained one: neither a copy of G nor the other average.
    assert differ(weights(one.averages.models[0]), weights(one.generator))
    assert differ(weights(one.averages.models[0]), weights(both.averages.models[0]))


# --- Checkpoints written before architectures by name (the code of commit 8e6be4d) ---------------------

FIXTURES = os.path.join(REPO, "tests", "fixtures", "main_checkpoints")  # how they were made: make_fixtures.py there


@pytest.mark.parametrize("name", ["mlp", "conv"])
def test_a_checkpoint_of_the_code_before_restores_every_weight_to_its_layer(name, mnist_dir, state_by_name):
    """The MNIST model with two averages of G, and the conv players (whose D tracks its maxout layers before its
    convolutions), each trained 2 steps by the code of commit 8e6be4d."""
    workdir = os.path.join(FIXTURES, name)
    cfg = dataclasses.replace(config.load_run_config(workdir), data_dir=mnist_dir if name == "mlp" else None)
    blank = np.zeros((20, 8, 8, 3), np.uint8)
    gan = experiment.build_gan(cfg, data.load(cfg) if name == "mlp" else data.Splits(blank, blank[:1], blank[:1]))
    experiment.restore(gan, experiment.find_checkpoint(workdir))
    found, expected = state_by_name(gan), np.load(os.path.join(FIXTURES, f"{name}.npz"))
    assert sorted(found) == sorted(expected)
    for key in expected:
        np.testing.assert_array_equal(found[key], expected[key], err_msg=key)


def test_a_run_of_the_code_before_resumes_as_that_code_went_on(mnist_dir, tmp_path, state_by_name):
    """One more step from the old checkpoint lands where the code of 8e6be4d went from it (to float32
    round-off: another CPU may sum in another order; a dropout mask or a momentum restored into the wrong
    layer would move the weights by far more)."""
    workdir = tmp_path / "run"
    shutil.copytree(os.path.join(FIXTURES, "mlp"), workdir)
    cfg = dataclasses.replace(config.load_run_config(str(workdir)), data_dir=mnist_dir, max_steps=3)
    assert train_lib.train_and_evaluate(cfg, str(workdir), verbose=0).step == 3
    found, expected = state_by_name(experiment.load_run(str(workdir)).gan), np.load(
        os.path.join(FIXTURES, "mlp_step3.npz"))
    assert sorted(found) == sorted(expected)
    for key in expected:
        np.testing.assert_allclose(found[key], expected[key], rtol=1e-5, atol=1e-7, err_msg=key)


# --- The folder --------------------------------------------------------------------------------------


def test_prepare_workdir_refuses_a_file_and_leaves_it_alone(tiny_config, tmp_path):
    (tmp_path / "run").write_text("not a folder")
    with pytest.raises(TrainingError, match="is a file, not a folder"):
        experiment.prepare_workdir(tiny_config, str(tmp_path / "run"))
    assert (tmp_path / "run").read_text() == "not a folder"
    assert os.listdir(tmp_path) == ["run"]


def test_write_json_replaces_the_file_whole_and_writes_numpy_values(tmp_path):
    path = str(tmp_path / "result.json")
    experiment.write_json(path, {"old": 1})
    values = {"mean": np.float32(2.5), "step": np.int64(20), "ok": np.bool_(True), "scores": np.arange(3.0),
              "grid": np.eye(2, dtype=np.int32)}
    experiment.write_json(path, values, sort_keys=True)
    with open(path) as f:
        written = json.load(f)
    assert written == {"grid": [[1, 0], [0, 1]], "mean": 2.5, "ok": True, "scores": [0.0, 1.0, 2.0], "step": 20}
    assert list(written) == sorted(written)
    assert os.listdir(tmp_path) == ["result.json"]  # the temporary file was renamed into place
    # A write that fails half-way leaves the previous file as it was.
    with pytest.raises(TypeError, match="cannot write object as JSON"):
        experiment.write_json(path, {"mean": 1.0, "bad": object()})
    with open(path) as f:
        assert json.load(f) == written
    assert os.listdir(tmp_path) == ["result.json"]  # and no temporary file behind


# --- evaluate --checkpoint and --generator -------------------------------------------------------------


def test_evaluate_command_scores_every_generator_of_the_best_checkpoint(monitored, tmp_path):
    _, shared = monitored
    workdir = tmp_path / "run"
    shutil.copytree(shared, workdir)  # evaluate writes parzen.json and events into the run folder
    best = experiment.read_best(str(workdir))
    out = run_cli("keras_gan.evaluate", f"--workdir={workdir}", "--checkpoint=best", "--generator=all",
                  "--num_samples=50")
    assert out.returncode == 0, out.stderr[-2000:]
    assert f"{workdir / 'best' / best['checkpoint']} (step {best['step']})" in out.stdout
    rows = [line for line in out.stdout.splitlines() if "this run" in line]
    assert len(rows) == 2, out.stdout
    assert rows[0].startswith("Adversarial nets (this run)") and rows[1].startswith("this run, ema_0.9"), rows
    saved = json.loads((workdir / "parzen.json").read_text())
    assert [r["generator"] for r in saved] == ["generator", "ema_0.9"]
    assert all(r["checkpoint_step"] == best["step"] and r["n_samples"] == 50 for r in saved)


def test_evaluate_command_at_a_missing_step_is_one_line(monitored):
    _, workdir = monitored
    out = run_cli("keras_gan.evaluate", f"--workdir={workdir}", "--checkpoint=12345", "--num_samples=50")
    assert out.returncode == 1 and "Traceback" not in out.stderr
    # One line of ours, the last; TensorFlow's C++ start-up lines may come before it.
    lines = out.stderr.strip().splitlines()
    assert [line for line in lines if line.startswith("error:")] == lines[-1:], out.stderr[-2000:]
    assert lines[-1] == f"error: --workdir {workdir}: no checkpoint at step 12345 (there are: 10, 20, 30)"
