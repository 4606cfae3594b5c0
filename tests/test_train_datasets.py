"""Every data set and model of the paper trains, samples in its own shape, exports and resumes."""

import dataclasses
import os

import numpy as np
import pytest
import tensorflow as tf

from keras_gan import train_lib
from keras_gan.config import Config
from keras_gan.errors import TrainingError
from keras_gan.evaluation import parzen as parzen_eval

TINY = dict(batch_size=10, epochs=1, g_hidden_units=(16, 16), d_maxout_units=(8, 8), d_num_pieces=2,
            noise_dim=4, log_every=2, grid_size=2, parzen_every=0)
# The CIFAR-10 conv model's shapes, narrowed: 10 x 10 x 2 -> kernel 5, stride 3 -> 32 x 32 x 3.
TINY_CONV = dict(g_architecture="conv", g_hidden_units=(16, 200), g_hidden_activations=("relu", "sigmoid"),
                 g_conv_shape=(10, 10, 2), g_output_activation="linear", d_architecture="conv",
                 d_conv_channels=(4, 4, 8), d_maxout_units=(8,), preprocess="gcn", noise="gaussian")


def export_shape(workdir):
    loaded = tf.saved_model.load(os.path.join(workdir, "export", "generator"))
    return tuple(loaded.sample(2)["images"].shape)


def test_tfd_trains_exports_and_scores_every_fold(tmp_path, write_tfd, reference_log_likelihood):
    """Table 1's TFD protocol, checked against a float64 computation written
    here: on each fold sigma is chosen on its valid split and its test split
    is scored; the row is the mean over folds and std / sqrt(5)."""
    import scipy.io

    from keras_gan import experiment, parzen

    folds = np.zeros((60, 5), np.int64)
    for f in range(5):  # each fold labels its own rows 20..59 as train, valid and test
        order = 20 + (np.arange(40) + 8 * f) % 40
        folds[order[:10], f], folds[order[10:25], f], folds[order[25:], f] = 1, 2, 3
    write_tfd(tmp_path / "TFD_48x48.mat", folds=folds)
    cfg = Config(dataset="tfd", data_dir=str(tmp_path), g_hidden_activations=("relu", "sigmoid"),
                 g_hidden_biases=(0.0, -2.0), g_max_col_norm=1.9365, d_max_col_norm=1.9365, g_output_sparse_init=3,
                 noise="gaussian", **TINY)
    workdir = str(tmp_path / "run")
    assert train_lib.train_and_evaluate(cfg, workdir, verbose=0).step == 2  # 20 unlabeled images, batch 10
    assert export_shape(workdir) == (2, 48, 48, 1)
    [result] = parzen_eval.evaluate(cfg, workdir=workdir, num_samples=20, valid_images=0, folds=range(5))
    samples = experiment.load_run(workdir).gan.sample(20, seed=0).numpy().reshape(20, -1).astype(np.float64)
    mat = scipy.io.loadmat(str(tmp_path / "TFD_48x48.mat"))
    images = mat["images"].reshape(60, -1) / 255.0
    means = []
    for f in range(5):
        valid, test = images[mat["folds"][:, f] == 2], images[mat["folds"][:, f] == 3]
        sigma = max(parzen.PAPER_SIGMAS, key=lambda s: reference_log_likelihood(samples, valid, s).mean())
        means.append(reference_log_likelihood(samples, test, sigma).mean())
        assert result["per_fold"][f]["sigma"] == pytest.approx(sigma)
    np.testing.assert_allclose([r["mean"] for r in result["per_fold"]], means, rtol=1e-4)
    assert np.std(means) > 0  # the folds differ, so the standard error is checked too
    assert result["mean"] == pytest.approx(np.mean(means), rel=1e-4)
    assert result["se"] == pytest.approx(np.std(means) / np.sqrt(5), rel=1e-3)
    assert "TFD" in parzen_eval.lines([result])[-1] and "2057 +- 26" in parzen_eval.lines([result])[1]


@pytest.mark.parametrize("extra", [dict(preprocess="gcn", g_output_activation="linear"), TINY_CONV])
def test_cifar10_binary_trains_both_models(tmp_path, write_cifar, extra):
    write_cifar(tmp_path / "cifar-10-batches-bin", per_file=10)
    cfg = Config(dataset="cifar10", data_dir=str(tmp_path), **{**TINY, **extra})
    workdir = str(tmp_path / "run")
    result = train_lib.train_and_evaluate(cfg, workdir, verbose=0)
    assert result.step == 4 and all(np.isfinite(v) for v in result.metrics.values())
    assert export_shape(workdir) == (2, 32, 32, 3)
    resumed = train_lib.train_and_evaluate(dataclasses.replace(cfg, epochs=2), workdir, verbose=0)
    assert resumed.step == 8


def test_image_folder_trains_the_conv_model(tmp_path, write_png):
    for i in range(25):
        write_png(tmp_path / f"{i}.png", 10 * i, size=40)
    # D starts far from 1/2 (irange 0.1, not the release's 0.005), so two updates move G visibly.
    cfg = Config(dataset="folder", data_dir=str(tmp_path), image_size=32, channels=3, d_irange=0.1,
                 **{**TINY, **TINY_CONV})
    train_lib.train_and_evaluate(cfg, str(tmp_path / "run"), verbose=0)
    assert export_shape(str(tmp_path / "run")) == (2, 32, 32, 3)
    # The exported G is the trained one: the same noise through the untrained G gives other images.
    from keras_gan import data, experiment

    loaded = tf.saved_model.load(os.path.join(tmp_path, "run", "export", "generator"))
    trained = loaded.sample(4, 5)["images"].numpy()
    untrained = experiment.build_gan(cfg, data.load(cfg)).sample(4, seed=5).numpy()
    assert trained.shape == untrained.shape == (4, 32, 32, 3)
    assert np.abs(trained - untrained).max() > 1e-3


def test_a_conv_generator_that_cannot_make_the_images_is_a_clear_error(tmp_path, write_png):
    for i in range(25):
        write_png(tmp_path / f"{i}.png", i, size=20)
    cfg = Config(dataset="folder", data_dir=str(tmp_path), image_size=20, **{**TINY, **TINY_CONV})
    with pytest.raises(TrainingError, match="gives 32 x 32 images, not 20 x 20"):
        train_lib.train_and_evaluate(cfg, str(tmp_path / "run"), verbose=0)
