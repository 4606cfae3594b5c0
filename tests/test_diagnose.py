"""The diagnosis behind a Table 1 number, each figure against a computation written here."""

import dataclasses
import os
import subprocess
import sys

import numpy as np
import pytest

from keras_gan import data, diagnose, parzen, train_lib
from keras_gan.evaluation import parzen as parzen_eval

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def run(tmp_path_factory, make_tiny_config):
    cfg = make_tiny_config(epochs=1, parzen_every=0)
    workdir = str(tmp_path_factory.mktemp("diagnose") / "run")
    train_lib.train_and_evaluate(cfg, workdir, verbose=0)
    return cfg, workdir


def flat(images):
    return data.to_float(images).reshape(len(images), -1).astype(np.float64)


def test_each_figure_matches_a_direct_computation(run):
    cfg, _ = run
    splits = data.load(cfg)
    samples = np.random.default_rng(0).uniform(size=(60, 28, 28, 1)).astype(np.float32) ** 4
    result = diagnose.diagnose(cfg, samples, splits, valid_images=20)
    g, real = result["generator"], result["real_training_images"]
    train, valid, test = flat(splits.train), flat(splits.valid[:20]), flat(splits.test)
    x = samples.reshape(60, -1).astype(np.float64)
    # The protocol's number, for the samples and for as many real training images.
    for side, centres in ((g, x), (real, train[:60])):
        expected = parzen.evaluate(centres, valid, test)
        assert side["test_log_likelihood"] == pytest.approx(expected.mean, abs=1e-3)
        assert side["sigma"] == pytest.approx(expected.sigma)
        d2 = ((test[:, None, :] - centres[None, :, :]) ** 2).sum(-1).min(axis=1)
        assert side["nearest_centre_squared_distance"]["median"] == pytest.approx(np.median(d2), rel=1e-4)
        ll = parzen.log_likelihood(centres, test, expected.sigma)
        for c, value in side["per_class_test_log_likelihood"].items():
            assert value == pytest.approx(ll[splits.test_labels == c].mean(), abs=1e-3)
        assert len(side["sigma_curve"]) == 41
    # The class of each sample's nearest training image; its shares sum to one.
    nearest = ((x[:, None, :] - train[None, :, :]) ** 2).sum(-1).argmin(axis=1)
    mix = np.bincount(splits.train_labels[nearest], minlength=10) / 60
    for c, shares in result["class_mix"].items():
        assert shares["samples"] == pytest.approx(mix[c])
        assert shares["training_set"] == pytest.approx(np.mean(splits.train_labels == c))
    # Background: the pixels no training image inks; grey: strictly between 0.1 and 0.9.
    background = train.max(axis=0) < 0.01
    assert background.any() and not background.all()
    assert g["background_mean"] == pytest.approx(x[:, background].mean(), rel=1e-5)
    assert g["grey_share"] == pytest.approx(((x > 0.1) & (x < 0.9)).mean())
    assert result["test_pixels"]["grey_share"] == pytest.approx(((test > 0.1) & (test < 0.9)).mean())


def test_real_images_score_above_noise(run):
    """The reference side is the score of real images: above uniform noise's, everywhere."""
    cfg, _ = run
    noise = np.random.default_rng(1).uniform(size=(60, 28, 28, 1)).astype(np.float32)
    result = diagnose.diagnose(cfg, noise, data.load(cfg))
    assert result["real_training_images"]["test_log_likelihood"] > result["generator"]["test_log_likelihood"]
    g, real = result["generator"], result["real_training_images"]
    assert real["nearest_centre_squared_distance"]["median"] < g["nearest_centre_squared_distance"]["median"]


def test_evaluate_diagnoses_and_prints_it(run, tmp_path):
    cfg, workdir = run
    [result] = parzen_eval.evaluate(dataclasses.replace(cfg), workdir=workdir, num_samples=50, diagnose=True)
    assert result["diagnosis"]["n_samples"] == 50
    assert result["diagnosis"]["generator"]["test_log_likelihood"] == pytest.approx(result["mean"], abs=1e-3)
    out = subprocess.run([sys.executable, "-m", "keras_gan.evaluate", f"--workdir={workdir}", "--num_samples=50",
                          "--diagnose", f"--output={tmp_path / 'd.json'}"], capture_output=True, text=True, cwd=REPO,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Diagnosis of generator:" in out.stdout and "per class:" in out.stdout and "sigma curve" in out.stdout
    assert os.path.exists(tmp_path / "d.json")
