"""keras_gan/export.py: the generator (or one of its averages) as a SavedModel that loads without keras_gan,
and the `python -m keras_gan.export` command."""

import dataclasses
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf

from keras_gan import data, experiment, export, train_lib

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def trained(tmp_path_factory, make_tiny_config):
    """One epoch (10 steps) of the tiny MNIST experiment with an average of G (decay 0.5): the config, the run
    folder and the `TrainResult` (its `export_path` is the export training wrote). D starts far from 1/2 and
    the learning rate is 1, so that ten steps move G visibly away from its average."""
    cfg = make_tiny_config(epochs=1, parzen_every=0, ema_decays=(0.5,), d_irange=0.1, learning_rate=1.0)
    workdir = str(tmp_path_factory.mktemp("export") / "run")
    result = train_lib.train_and_evaluate(cfg, workdir, verbose=0)
    return cfg, workdir, result


def run_export(*flags):
    return subprocess.run([sys.executable, "-m", "keras_gan.export", *flags], capture_output=True, text=True,
                          cwd=REPO, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})


def test_the_export_loads_without_keras_gan(trained, tmp_path):
    """The export training writes: its signatures, its seeded draws and its metadata, in a process that never
    imports keras_gan."""
    _, _, result = trained
    script = textwrap.dedent(f"""
        import sys, tensorflow as tf
        loaded = tf.saved_model.load({result.export_path!r})
        images = loaded.signatures["serving_default"](noise=tf.zeros([3, 8]))["images"]
        assert images.shape == (3, 28, 28, 1), images.shape
        assert 0.0 <= float(tf.reduce_min(images)) and float(tf.reduce_max(images)) <= 1.0
        a, b = loaded.sample(5, 11)["images"], loaded.sample(5, 11)["images"]
        assert a.shape == (5, 28, 28, 1) and bool(tf.reduce_all(a == b))
        assert loaded.sample(2)["images"].shape == (2, 28, 28, 1)
        assert int(loaded.noise_dim) == 8 and list(loaded.image_shape.numpy()) == [28, 28, 1]
        assert int(loaded.num_classes) == 0
        assert "keras_gan" not in sys.modules
        print("ok")
    """)
    env = {**os.environ, "PYTHONPATH": "", "TF_CPP_MIN_LOG_LEVEL": "2"}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=str(tmp_path), env=env)
    assert out.stdout.strip().endswith("ok"), out.stderr[-2000:]


def test_export_command_writes_a_loadable_generator(trained, tmp_path):
    _, workdir, _ = trained
    out = run_export(f"--workdir={workdir}", f"--output={tmp_path / 'g'}")
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Exported generator at step 10" in out.stdout
    loaded = tf.saved_model.load(str(tmp_path / "g"))
    assert loaded.sample(2)["images"].shape == (2, 28, 28, 1)
    missing = run_export(f"--workdir={tmp_path / 'none'}")
    assert missing.returncode == 1 and "error: --workdir" in missing.stderr and "Traceback" not in missing.stderr


def test_an_average_of_g_is_exported(tiny_config, tmp_path):
    """`export_generator(gan, path, average=beta)` writes the moving average, not G: its seeded draws and its
    serving signature give the average's images."""
    # D starts far from 1/2 and the learning rate is 1: a few steps move G (the paper's settings barely do).
    cfg = dataclasses.replace(tiny_config, ema_decays=(0.5,), d_irange=0.1, learning_rate=1.0)
    splits = data.load(cfg)
    gan = experiment.build_gan(cfg, splits)
    batch = tf.constant(data.to_float(splits.train[:cfg.batch_size]))
    for _ in range(8):
        gan.train_step(batch)
    raw, average = gan.sample(4, seed=3).numpy(), gan.sample(4, seed=3, average=0.5).numpy()
    assert np.abs(raw - average).max() > 1e-4  # G moved away from its average: ten times the tolerance below

    path = export.export_generator(gan, str(tmp_path / "ema"), average=0.5)
    loaded = tf.saved_model.load(path)
    sampled = loaded.sample(4, 3)["images"].numpy()
    np.testing.assert_allclose(sampled, average, atol=1e-5)
    assert np.abs(sampled - raw).max() > 1e-4  # not G's images
    z = gan.sample_noise(5, seed=tf.constant([7, 8], tf.int64))
    served = loaded.signatures["serving_default"](noise=z)["images"].numpy()
    np.testing.assert_allclose(served, gan.generate(z, average=0.5).numpy(), atol=1e-5)
    assert np.abs(served - gan.generate(z).numpy()).max() > 1e-4


def test_export_command_exports_an_average_and_refuses_one_the_run_lacks(trained, tmp_path):
    _, workdir, _ = trained
    out = run_export(f"--workdir={workdir}", "--generator=ema_0.5", f"--output={tmp_path / 'ema'}")
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Exported ema_0.5 at step 10" in out.stdout
    loaded = tf.saved_model.load(str(tmp_path / "ema"))
    gan = experiment.load_run(workdir).gan
    sampled = loaded.sample(4, 3)["images"].numpy()
    np.testing.assert_allclose(sampled, gan.sample(4, seed=3, average=0.5).numpy(), atol=1e-5)
    assert np.abs(sampled - gan.sample(4, seed=3).numpy()).max() > 1e-4  # the average, not G

    wrong = run_export(f"--workdir={workdir}", "--generator=ema_0.7", f"--output={tmp_path / 'wrong'}")
    assert wrong.returncode == 1 and "Traceback" not in wrong.stderr
    # One line of ours, the last; TensorFlow's C++ start-up lines may come before it.
    errors = [line for line in wrong.stderr.strip().splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and wrong.stderr.strip().splitlines()[-1] == errors[0], wrong.stderr[-2000:]
    assert errors[0].startswith("error: --generator must be one of generator, ema_0.5") and "'ema_0.7'" in errors[0]
    assert not os.path.exists(tmp_path / "wrong")
