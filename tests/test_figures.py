import dataclasses
import os
import subprocess
import sys

import numpy as np
import tensorflow as tf

from keras_gan import parzen, train_lib
from keras_gan.config import Config

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}


def test_nearest_neighbours_match_brute_force():
    rng = np.random.default_rng(0)
    queries, reference = rng.uniform(size=(7, 5, 5)), rng.uniform(size=(230, 5, 5))
    expected = ((queries.reshape(7, 1, -1) - reference.reshape(1, 230, -1)) ** 2).sum(-1).argmin(axis=1)
    distances, indices = parzen.nearest(queries, reference, batch_size=50)
    np.testing.assert_array_equal(indices, expected)
    brute = ((queries.reshape(7, 1, -1) - reference.reshape(1, 230, -1)) ** 2).sum(-1).min(axis=1)
    np.testing.assert_allclose(distances, brute, rtol=1e-5)


def run_figure(*args):
    out = subprocess.run([sys.executable, "-m", "keras_gan.figures", *args], capture_output=True, text=True,
                         env=ENV, cwd=REPO)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def png_shape(path):
    return tuple(tf.io.decode_png(open(path, "rb").read()).shape)


def test_samples_and_interpolation_figures(tiny_config, tmp_path):
    workdir = str(tmp_path / "run")
    train_lib.train_and_evaluate(dataclasses.replace(tiny_config, epochs=1, parzen_every=1, ema_decays=(0.9,)), workdir,
                                 verbose=0)
    out = run_figure("samples", f"--workdir={workdir}", "--rows=3", "--cols=4")
    assert "generator at step 10" in out
    # 3 rows of 4 samples + the nearest training digit, 28-pixel tiles with 1-pixel borders.
    assert png_shape(os.path.join(workdir, "figures", "samples.png")) == (3 * 29 + 1, 5 * 29 + 1, 1)
    out = run_figure("interpolation", f"--workdir={workdir}", "--rows=2", "--cols=6", "--checkpoint=best",
                     "--generator=ema_0.9", f"--output={tmp_path / 'ema.png'}")
    assert "ema_0.9 at step 10" in out
    assert png_shape(str(tmp_path / "ema.png")) == (2 * 29 + 1, 6 * 29 + 1, 1)


def test_figure1_draws_and_reports_theorem1(tmp_path):
    cfg = Config(dataset="gaussian1d", noise_dim=1, g_hidden_units=(8, 8), g_output_activation="linear",
                 g_irange=0.5, g_bias_from_marginals=False, d_maxout_units=(8, 8), d_input_include_prob=1.0,
                 d_input_scale=1.0, d_hidden_include_prob=1.0, d_hidden_scale=1.0, learning_rate=0.02,
                 batch_size=1000, epochs=3, keep_checkpoints=5, log_every=25)
    workdir = str(tmp_path / "run")
    train_lib.train_and_evaluate(cfg, workdir, verbose=0)
    out = run_figure("figure1", f"--workdir={workdir}", "--panels=3")
    assert os.path.getsize(os.path.join(workdir, "figures", "figure1.png")) > 10_000
    rows = [line.split() for line in out.splitlines() if line.startswith("step ")]
    assert [r[1] for r in rows] == ["50", "100", "150"]
    for row in rows:  # Theorem 1 holds for whatever G is: C(G) = -log 4 + 2 JSD
        assert abs(float(row[2]) - float(row[3])) < 2e-3 and float(row[2]) >= -1.3863 - 1e-3
    # z of several dimensions: the curves without the arrows of x = G(z).
    train_lib.train_and_evaluate(dataclasses.replace(cfg, noise_dim=3, epochs=1), str(tmp_path / "z3"), verbose=0)
    out = run_figure("figure1", f"--workdir={tmp_path / 'z3'}", "--panels=1")
    assert os.path.getsize(os.path.join(tmp_path, "z3", "figures", "figure1.png")) > 10_000
    assert [line.split()[1] for line in out.splitlines() if line.startswith("step ")] == ["50"]
