import dataclasses
import math
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from keras_gan import config, figures, parzen, train_lib
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


def read_png(path):
    return tf.io.decode_png(open(path, "rb").read()).numpy()


def test_samples_and_interpolation_figures(tiny_config, tmp_path):
    workdir = str(tmp_path / "run")
    train_lib.train_and_evaluate(dataclasses.replace(tiny_config, epochs=1, parzen_every=1, ema_decays=(0.9,)), workdir,
                                 verbose=0)
    out = run_figure("samples", f"--workdir={workdir}", "--rows=3", "--cols=4")
    assert "generator at step 10" in out
    # 3 rows of 4 samples, a gap, the nearest training digits: 28-pixel tiles with 1-pixel borders, then
    # upscaled by a whole factor to at least 500 pixels wide.
    native = (3 * 29 + 1, (4 * 29 + 1) + figures.NEIGHBOUR_GAP + (29 + 1))
    scale = math.ceil(500 / native[1])
    png = read_png(os.path.join(workdir, "figures", "samples.png"))
    assert png.shape == (native[0] * scale, native[1] * scale, 1) and png.shape[1] >= 500
    gap = png[:, (4 * 29 + 1) * scale: (4 * 29 + 1 + figures.NEIGHBOUR_GAP) * scale]
    assert (gap == 255).all(), "the nearest training digits are set apart by a white gap"
    assert len(np.unique(png[: 29 * scale, :29 * scale])) > 2  # a tile holds a digit, not a flat colour
    out = run_figure("interpolation", f"--workdir={workdir}", "--rows=2", "--cols=6", "--checkpoint=best",
                     "--generator=ema_0.9", f"--output={tmp_path / 'ema.png'}", "--min_width=800")
    assert "ema_0.9 at step 10" in out
    scale = math.ceil(800 / (6 * 29 + 1))
    assert read_png(str(tmp_path / "ema.png")).shape == ((2 * 29 + 1) * scale, (6 * 29 + 1) * scale, 1)
    # The grid the training loop wrote to TensorBoard (one epoch: one grid), read back for the figure over time.
    out = run_figure("progress", f"--workdir={workdir}", "--generator=ema_0.9", f"--output={tmp_path / 'p.png'}")
    assert "ema_0.9's sample grids at steps 10 (left to right)" in out
    assert read_png(str(tmp_path / "p.png")).shape[1] >= 500


def test_progress_draws_the_grids_tensorboard_kept_evenly_spaced(tmp_path):
    """Grids at steps 100..900 over two events files (a resume that wrote step 500 again, darker, and taller
    grids: --grid_size changed): five panels are steps 100, 300, 500, 700, 900, left to right with white gaps,
    step 500 the resumed process's grid, the shorter grids padded with white below."""
    workdir = tmp_path / "run"
    workdir.mkdir()
    (workdir / "config.json").write_text("{}")
    width = 8
    for process, (steps, height) in enumerate([(range(100, 600, 100), 8), (range(500, 1000, 100), 10)]):
        with tf.summary.create_file_writer(str(workdir), filename_suffix=f".{process}").as_default():
            for step in steps:
                value = step / 1000.0 - (0.05 if process else 0.0)
                tf.summary.image("samples", np.full((1, height, width, 1), value, np.float32), step=step)
                tf.summary.image("samples/ema_0.9", np.zeros((1, height, width, 1), np.float32), step=step)
            tf.summary.image("figures/samples", np.zeros((1, 4, 4, 1), np.float32), step=900)
        tf.summary.flush()
    out = str(tmp_path / "p.png")
    assert figures.progress_of_run(str(workdir), out, panels=5, min_width=1) == [100, 300, 500, 700, 900]
    png = read_png(out)
    step = width + figures.PANEL_GAP
    assert png.shape == (10, 5 * width + 4 * figures.PANEL_GAP, 1)
    panels = [png[:, i * step: i * step + width] for i in range(5)]
    # Steps 500-900 come from the second process (0.05 darker); TensorBoard's PNG rounds to whole levels.
    np.testing.assert_allclose([p[0, 0, 0] for p in panels], [255 * v for v in (0.1, 0.3, 0.45, 0.65, 0.85)], atol=1)
    assert (panels[0][8:] == 255).all() and (panels[2][8:] < 255).all()  # padded below / the taller grid's own
    assert (png[:, width:step] == 255).all()
    assert figures.progress_of_run(str(workdir), out, panels=50, min_width=1) == list(range(100, 1000, 100))
    assert figures.progress_of_run(str(workdir), out, panels=1, min_width=1) == [900]  # one panel: the last
    with pytest.raises(config.ConfigError, match=r"^--generator must be one of generator, ema_0.9 for this run's "
                                                 r"sample grids; got 'ema_0.5'$"):
        figures.progress_of_run(str(workdir), out, generator="ema_0.5")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "config.json").write_text("{}")
    with pytest.raises(config.ConfigError, match="its TensorBoard events hold no sample grids"):
        figures.progress_of_run(str(tmp_path / "empty"), out)
    with pytest.raises(FileNotFoundError, match="no config.json"):
        figures.progress_of_run(str(tmp_path / "nowhere"), out)


def test_training_curves_have_labelled_axes_and_a_legend(tmp_path):
    from keras_gan import summaries

    runs = [str(tmp_path / name) for name in ("seed0", "seed1")]
    for offset, run in enumerate(runs):
        writer = tf.summary.create_file_writer(run)
        for step in (1000, 2000, 3000):
            summaries.write_scalars(writer, step, {"parzen/valid_log_likelihood": 100.0 + step / 100 + offset,
                                                   "parzen/valid_log_likelihood_ema_0.9999": 150.0 + offset})
        writer.close()
    tags = ["parzen/valid_log_likelihood", "parzen/valid_log_likelihood_ema_0.9999"]
    output = str(tmp_path / "curve.png")
    out = subprocess.run([sys.executable, "scripts/plot_scalars.py", f"--runs={','.join(runs)}",
                          f"--tags={','.join(tags)}", f"--output={output}"], capture_output=True, text=True,
                         env={**ENV, "PYTHONPATH": REPO}, cwd=REPO)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "(seed0: G, seed0: EMA 0.9999, seed1: G, seed1: EMA 0.9999)" in out.stdout
    assert read_png(output).shape[1] >= 500
    ax = figures.scalar_curves(runs[:1], tags, str(tmp_path / "one.png"), "validation log-likelihood (nats)")
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("step (generator updates)", "validation log-likelihood (nats)")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["seed0: G", "seed0: EMA 0.9999"]


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
