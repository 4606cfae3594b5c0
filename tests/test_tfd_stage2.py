"""TFD's second stage: flags/tfd_stage2.cfg grows the generator of a first-stage run folder
(--init_generator_from), on a TFD-layout .mat the tests write. Both stages use their experiment files'
settings at widths a test trains in seconds."""

import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import types

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gan import cli, data, experiment, train_lib
from keras_gan.evaluation import parzen as parzen_eval

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The experiment files' noise (gaussian, 100), activations, biases, norms, learning rate and momentum; narrow layers.
TINY = ("--g_hidden_units=16,16", "--d_maxout_units=8,8", "--d_num_pieces=2", "--g_output_sparse_init=3",
        "--batch_size=10", "--epochs=1", "--log_every=1", "--grid_size=2", "--parzen_every=0", "--nojit_compile")
# The release's 8000 -> 100 (sigmoid, bias -2) in front of the first stage's layers, narrowed to 16 -> 100.
TINY_ADDED = ("--g_added_units=16,100",)
PRETRAINED, ADDED = ("h0", "h1", "y"), ("added0", "added1")


@pytest.fixture(scope="module")
def tfd_dir(tmp_path_factory):
    """A TFD_48x48.mat whose folds differ: rows 0..19 unlabeled, each fold its own train/valid/test of 20..59."""
    import scipy.io

    folder = tmp_path_factory.mktemp("tfd")
    folds = np.zeros((60, 5), np.int64)
    for f in range(5):
        order = 20 + (np.arange(40) + 8 * f) % 40
        folds[order[:10], f], folds[order[10:25], f], folds[order[25:], f] = 1, 2, 3
    images = np.random.default_rng(0).integers(0, 256, (60, 48, 48)).astype(np.uint8)
    scipy.io.savemat(folder / "TFD_48x48.mat", {"images": images, "folds": folds, "labs_ex": np.full((60, 1), -1),
                                                "labs_id": np.zeros((60, 1))})
    return str(folder)


@pytest.fixture(scope="module")
def stage1(tfd_dir, tmp_path_factory, parse_flags):
    """flags/tfd.cfg trained for one epoch (two updates on the 20 unlabeled faces)."""
    workdir = str(tmp_path_factory.mktemp("stage1") / "run")
    train_lib.train_and_evaluate(parse_flags("--flagfile=flags/tfd.cfg", *TINY, f"--data_dir={tfd_dir}"), workdir,
                                 verbose=0)
    return workdir


class WeightsAtStart(keras.callbacks.Callback):
    """Every layer's weights of G, and D's, as training begins (after the init or the restore)."""

    def on_train_begin(self, logs=None):
        self.generator = {layer.name: [w.numpy() for w in layer.weights] for layer in self.model.generator.layers}
        self.discriminator = [w.numpy() for w in self.model.discriminator.weights]


@pytest.fixture(scope="module")
def stage2(stage1, tfd_dir, tmp_path_factory, parse_flags):
    """flags/tfd_stage2.cfg from a copy of `stage1`: stopped after one update, the copy deleted, resumed
    to the end of its epoch."""
    root = tmp_path_factory.mktemp("stage2")
    first = str(shutil.copytree(stage1, root / "stage1"))
    cfg = parse_flags("--flagfile=flags/tfd_stage2.cfg", *TINY, *TINY_ADDED, f"--data_dir={tfd_dir}",
                      f"--init_generator_from={first}")
    workdir = str(root / "run")
    started, resumed = WeightsAtStart(), WeightsAtStart()
    interrupted = train_lib.train_and_evaluate(dataclasses.replace(cfg, max_steps=1), workdir, verbose=0,
                                               callbacks=[started])
    shutil.rmtree(first)  # from here on nothing may read the first stage's folder
    finished = train_lib.train_and_evaluate(cfg, workdir, verbose=0, callbacks=[resumed])
    return types.SimpleNamespace(cfg=cfg, workdir=workdir, started=started, resumed=resumed,
                                 interrupted=interrupted, finished=finished)


def test_stage2_flagfile_is_stage1_with_the_added_layers_and_22_epochs(parse_flags):
    first, second = parse_flags("--flagfile=flags/tfd.cfg"), parse_flags("--flagfile=flags/tfd_stage2.cfg")
    differ = {f.name: getattr(second, f.name) for f in dataclasses.fields(first)
              if getattr(first, f.name) != getattr(second, f.name)}
    assert differ == {"g_added_units": (8000, 100), "g_added_activations": ("relu", "sigmoid"),
                      "g_added_biases": (0.0, -2.0), "epochs": 22}
    assert second.learning_rate == 0.05 and second.noise == "gaussian" and second.noise_dim == 100
    assert second.g_irange == 0.05 and second.g_max_col_norm == 1.9365 and second.d_maxout_units == (1200, 1200)


def test_stage2_starts_from_stage1s_layers_with_fresh_added_layers_and_d(stage1, stage2):
    run = experiment.load_run(stage1)
    first, untrained = run.gan, experiment.build_gan(run.config, run.splits)
    for name in PRETRAINED:
        for got, want in zip(stage2.started.generator[name], first.generator.get_layer(name).weights):
            np.testing.assert_array_equal(got, want.numpy(), err_msg=name)
        # The first stage's training moved the kernel, so a fresh layer could not pass for a copied one.
        assert not np.array_equal(first.generator.get_layer(name).kernel, untrained.generator.get_layer(name).kernel)
    # What the init left alone is what the config builds: the same seed gives the same fresh weights.
    fresh = experiment.build_gan(stage2.cfg, data.load(stage2.cfg))
    for name in ADDED:
        for got, want in zip(stage2.started.generator[name], fresh.generator.get_layer(name).weights):
            np.testing.assert_array_equal(got, want.numpy(), err_msg=name)
    for got, want in zip(stage2.started.discriminator, fresh.discriminator.weights):
        np.testing.assert_array_equal(got, want.numpy())
    np.testing.assert_array_equal(stage2.started.generator["added1"][1], -2.0)  # the sigmoid bottleneck's bias
    assert stage2.started.generator["h0"][0].shape == (100, 16)  # fed by the 100-unit bottleneck
    assert not np.array_equal(fresh.generator.get_layer("h0").kernel.numpy(), first.generator.get_layer("h0").kernel)
    assert not np.array_equal(stage2.started.discriminator[0], first.discriminator.weights[0].numpy())


def test_stage2_resumes_its_own_checkpoint_without_the_first_stage(stage2):
    assert (stage2.interrupted.step, stage2.finished.step) == (1, 2)
    step1 = experiment.load_run(stage2.workdir, checkpoint="1").gan  # the first stage's folder is gone
    for layer in step1.generator.layers:
        for got, want in zip(stage2.resumed.generator[layer.name], layer.weights):
            np.testing.assert_array_equal(got, want.numpy(), err_msg=layer.name)
    assert not np.array_equal(stage2.resumed.generator["h0"][0], stage2.started.generator["h0"][0])


def test_stage2_run_folder_exports_logs_and_scores_the_grown_generator(stage2, read_events):
    run = experiment.load_run(stage2.workdir)
    assert [layer.name for layer in run.gan.generator.layers] == [*ADDED, *PRETRAINED]
    with open(os.path.join(stage2.workdir, "architecture.json")) as f:
        assert json.load(f)["g_added_units"] == [16, 100]
    loaded = tf.saved_model.load(os.path.join(stage2.workdir, "export", "generator"))
    noise = run.gan.sample_noise(3, tf.constant([7, 0], tf.int64))
    exported = loaded.signatures["serving_default"](noise=noise)["images"].numpy()
    assert exported.shape == (3, 48, 48, 1)
    np.testing.assert_allclose(exported, run.gan.generate(noise).numpy(), atol=1e-6)
    scalars, strings = read_events(stage2.workdir)
    assert [step for step, _ in scalars["d_loss"]] == [1, 2] and "samples" in strings
    [result] = parzen_eval.evaluate(stage2.cfg, workdir=stage2.workdir, num_samples=20, valid_images=0, folds=range(5))
    assert len(result["per_fold"]) == 5 and np.isfinite(result["mean"]) and result["se"] > 0
    assert "2057 +- 26" in parzen_eval.lines([result])[1] and "folds 0,1,2,3,4" in parzen_eval.lines([result])[2]


def copy_config_only(stage1, tmp_path):
    """A first-stage folder killed before its first checkpoint: config.json and nothing to restore."""
    folder = tmp_path / "started"
    folder.mkdir()
    shutil.copy(os.path.join(stage1, "config.json"), folder)
    return str(folder)


BAD_FIRST_STAGES = {
    "hidden layers of another width": (lambda stage1, tmp: stage1, ("--g_hidden_units=32,16",),
                                       "layer h0 has weights of shapes [(100, 16), (16,)] there, this generator "
                                       "expects [(100, 32), (32,)]"),
    "a bottleneck that is not the first stage's noise": (lambda stage1, tmp: stage1, ("--g_added_units=16,50",),
                                                         "layer h0 has weights of shapes [(100, 16), (16,)] there, "
                                                         "this generator expects [(50, 16), (16,)]"),
    "a layer the first stage lacks": (lambda stage1, tmp: stage1, ("--g_hidden_units=16,16,16",
                                                                   "--g_hidden_activations=relu,sigmoid,sigmoid",
                                                                   "--g_hidden_biases=0,-2,-2"),
                                      "its generator has layers h0, h1, y; this one expects h0, h1, h2, y"),
    "a folder without a checkpoint": (copy_config_only, (), "no checkpoint in it"),
    "not a run folder": (lambda stage1, tmp: str(tmp), (), "no config.json (not a keras_gan run folder)"),
}


@pytest.mark.parametrize("case", sorted(BAD_FIRST_STAGES))
def test_a_first_stage_that_does_not_fit_is_one_line(case, stage1, tfd_dir, tmp_path, capsys, parse_flags):
    folder, flags, message = BAD_FIRST_STAGES[case]
    first = folder(stage1, tmp_path)
    cfg = parse_flags("--flagfile=flags/tfd_stage2.cfg", *TINY, *TINY_ADDED, *flags, f"--data_dir={tfd_dir}",
                      f"--init_generator_from={first}")
    workdir = str(tmp_path / "run")
    with pytest.raises(SystemExit) as info:
        cli.run_reporting_errors(train_lib.train_and_evaluate, cfg, workdir, verbose=0)
    err = capsys.readouterr().err.strip()
    assert info.value.code == 1 and len(err.splitlines()) == 1, err
    assert err.startswith(f"error: --init_generator_from {first}: ") and message in err, err
    assert not os.path.exists(workdir)  # refused before the run folder is written


def test_stage2_killed_by_sigkill_resumes_its_own_checkpoint(stage1, tfd_dir, tmp_path, capsys, parse_flags):
    """The command is killed once its first checkpoint is written; the same settings then resume that
    checkpoint, with the first stage's folder gone."""
    first = str(shutil.copytree(stage1, tmp_path / "stage1"))
    workdir = tmp_path / "run"
    args = ("--flagfile=flags/tfd_stage2.cfg", *TINY, *TINY_ADDED, f"--data_dir={tfd_dir}",
            f"--init_generator_from={first}")
    proc = subprocess.Popen([sys.executable, "-m", "keras_gan.train", *args, "--epochs=1000", f"--workdir={workdir}"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1"})
    deadline = time.time() + 120
    while not (workdir / "checkpoints" / "checkpoint").exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    out, err = proc.communicate()
    assert proc.returncode == -signal.SIGKILL, err[-3000:]
    assert f"G's layers h0, h1, y start from {first}'s latest checkpoint; added0, added1, D start fresh" in out
    killed_at = int(tf.train.latest_checkpoint(str(workdir / "checkpoints")).rsplit("-", 1)[1])
    shutil.rmtree(first)
    result = train_lib.train_and_evaluate(parse_flags(*args, f"--epochs={killed_at // 2 + 1}"), str(workdir))
    out = capsys.readouterr().out
    assert f"at step {killed_at}" in out and "start from" not in out
    assert result.step == killed_at + 2 and os.path.isdir(result.export_path)
