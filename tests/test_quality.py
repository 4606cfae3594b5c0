"""The sample-quality metrics against closed forms and brute force, and the shipped classifier's checks."""

import json
import os
import shutil

import numpy as np
import pytest
from scipy import linalg

from keras_gan.quality import classifier, metrics


def _exact_gaussian_sample(mean, cov, n, seed):
    """n points whose sample mean and (n - 1)-normalised covariance are exactly `mean` and `cov`."""
    z = np.random.default_rng(seed).normal(size=(n, len(mean)))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False))).T  # whitened: identity covariance
    return mean + z @ np.linalg.cholesky(cov).T


def test_frechet_distance_is_the_closed_form_for_two_gaussians():
    rng = np.random.default_rng(0)
    d = 6
    a, b = rng.normal(size=(d, d)), rng.normal(size=(d, d))
    cov1, cov2 = a @ a.T + 0.1 * np.eye(d), b @ b.T + 0.1 * np.eye(d)
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    x, y = _exact_gaussian_sample(mu1, cov1, 500, 1), _exact_gaussian_sample(mu2, cov2, 400, 2)
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(cov1 + cov2 - 2 * linalg.sqrtm(cov1 @ cov2).real)
    assert metrics.frechet_distance(x, y) == pytest.approx(expected, rel=1e-9)
    # Diagonal covariances: ||mu1 - mu2||^2 + sum (sqrt(a_i) - sqrt(b_i))^2.
    va, vb = np.array([1.0, 4.0, 9.0]), np.array([4.0, 4.0, 1.0])
    x = _exact_gaussian_sample(np.zeros(3), np.diag(va), 300, 3)
    y = _exact_gaussian_sample(np.array([1.0, 0.0, 2.0]), np.diag(vb), 300, 4)
    assert metrics.frechet_distance(x, y) == pytest.approx(5.0 + 1.0 + 0.0 + 4.0, rel=1e-9)
    assert metrics.frechet_distance(x, x) == pytest.approx(0.0, abs=1e-9)


def _mmd2_brute_force(x, y):
    k = lambda a, b: (a @ b / x.shape[1] + 1.0) ** 3  # noqa: E731
    m = len(x)
    within = sum(k(x[i], x[j]) + k(y[i], y[j]) for i in range(m) for j in range(m) if i != j)
    between = sum(k(x[i], y[j]) for i in range(m) for j in range(m))
    return within / (m * (m - 1)) - 2 * between / m**2


def test_kernel_distance_is_the_unbiased_mmd_of_a_brute_force_double_loop():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(12, 5)), rng.normal(0.5, 1.2, size=(12, 5))
    # Subsets as large as the sets are permutations of them, and MMD^2_u does not depend on the order.
    mean, std = metrics.kernel_distance(x, y, subsets=4, subset_size=12)
    assert mean == pytest.approx(_mmd2_brute_force(x, y), rel=1e-5) and std == pytest.approx(0.0, abs=1e-6)
    # Smaller subsets: each estimate is the brute force on the same rows, drawn as the function draws them.
    mean, std = metrics.kernel_distance(x, y, subsets=3, subset_size=6, seed=5)
    draws = np.random.default_rng(5)
    expected = [_mmd2_brute_force(x[draws.choice(12, 6, replace=False)], y[draws.choice(12, 6, replace=False)])
                for _ in range(3)]
    assert mean == pytest.approx(np.mean(expected), rel=1e-5) and std == pytest.approx(np.std(expected), rel=1e-4)


def _line(n, offset=0.0):
    return np.stack([np.arange(n) + offset, np.zeros(n)], axis=1)


def test_precision_recall_density_coverage_of_identical_disjoint_and_nested_sets():
    real = _line(100)
    assert metrics.precision_recall(real, real) == (1.0, 1.0)
    assert metrics.density_coverage(real, real)[1] == 1.0
    far = _line(100, offset=1000.0)
    assert metrics.precision_recall(real, far) == (0.0, 0.0)
    assert metrics.density_coverage(real, far) == (0.0, 0.0)
    # The first half: every sample is real (precision 1); the generated manifold, balls of radius 3
    # (the 3rd neighbour on the line) around 0..49, reaches the real points 0..52: recall 0.53. Interior
    # real points have radius 3 at k = 5 (neighbours at 1, 1, 2, 2, 3), so 0..52 are covered.
    half = real[:50]
    assert metrics.precision_recall(real, half) == (1.0, 0.53)
    assert metrics.density_coverage(real, half)[1] == pytest.approx(0.53)


def test_density_is_the_mean_count_of_real_balls_holding_each_sample():
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(60, 3)), rng.normal(0.3, 1.0, size=(50, 3))
    k = 5
    d_rr = np.linalg.norm(real[:, None] - real[None], axis=2)
    radii = np.sort(d_rr, axis=1)[:, k]  # column 0 is the point itself
    d_rf = np.linalg.norm(real[:, None] - fake[None], axis=2)
    inside = d_rf <= radii[:, None]
    density, coverage = metrics.density_coverage(real, fake, k=k)
    assert density == pytest.approx(inside.sum() / (k * len(fake)))
    assert coverage == pytest.approx(inside.any(axis=1).mean())


def test_classifier_score_counts_the_classes_of_confident_predictions():
    onehot = 50.0 * np.eye(10)
    assert metrics.classifier_score(np.tile(onehot, (30, 1))) == pytest.approx(10.0, rel=1e-6)
    assert metrics.classifier_score(np.tile(onehot[3], (300, 1))) == pytest.approx(1.0, rel=1e-6)
    assert metrics.classifier_score(np.zeros((40, 10))) == pytest.approx(1.0)  # predictions that say nothing
    assert metrics.classifier_score(np.tile(onehot[:2], (50, 1))) == pytest.approx(2.0, rel=1e-6)
    histogram = metrics.class_histogram(np.tile(onehot[:2], (50, 1)))
    assert histogram[:2] == [0.5, 0.5] and sum(histogram) == pytest.approx(1.0)


def test_mismatched_or_bad_features_are_one_line_errors():
    with pytest.raises(metrics.QualityError, match="dimensions"):
        metrics.frechet_distance(np.zeros((5, 3)), np.zeros((5, 4)))
    with pytest.raises(metrics.QualityError, match="non-finite"):
        metrics.precision_recall(np.full((5, 2), np.nan), np.zeros((5, 2)))
    with pytest.raises(metrics.QualityError, match="k=3"):
        metrics.knn_radii(np.zeros((3, 2)), 3)


# --- The shipped classifier ----------------------------------------------------------------------------------------


def test_the_shipped_weights_match_their_recorded_checksum():
    manifest = classifier.read_manifest()
    path = classifier.weights_path()
    assert classifier.sha256(path) == manifest["sha256"] and len(manifest["sha256"]) == 64
    assert os.path.getsize(path) < 5_000_000 and manifest["t10k_accuracy"] >= 0.993


@pytest.fixture
def copied(tmp_path):
    manifest = json.load(open(classifier.MANIFEST))
    shutil.copy(classifier.MANIFEST, tmp_path / "mnist_classifier.json")
    shutil.copy(classifier.weights_path(), tmp_path / manifest["weights"])
    return tmp_path / "mnist_classifier.json", tmp_path / manifest["weights"]


def test_damaged_missing_or_replaced_weights_are_refused_naming_the_file_and_the_remedy(copied):
    manifest, weights = copied
    assert classifier.weights_path(str(manifest)) == str(weights)
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(classifier.ClassifierError, match="SHA-256") as info:
        classifier.FeatureExtractor(str(manifest))
    assert str(weights) in str(info.value) and "train_classifier" in str(info.value) and "\n" not in str(info.value)
    weights.unlink()
    with pytest.raises(classifier.ClassifierError, match="missing"):
        classifier.weights_path(str(manifest))
    manifest.write_text("{not json")
    with pytest.raises(classifier.ClassifierError, match="not a classifier manifest"):
        classifier.weights_path(str(manifest))


def test_features_and_logits_of_the_shipped_classifier():
    extractor = classifier.FeatureExtractor()
    images = np.random.default_rng(0).uniform(size=(7, 28, 28, 1)).astype(np.float32)
    features, logits = extractor(images, batch_size=3)
    assert features.shape == (7, 128) and logits.shape == (7, 10) and np.all(features >= 0)
    flat_features, _ = extractor(images.reshape(7, 784))
    np.testing.assert_allclose(flat_features, features, rtol=1e-4, atol=1e-6)  # other batch sizes, other kernels
    with pytest.raises(classifier.ClassifierError, match="28x28"):
        extractor(np.zeros((2, 32, 32, 3)))


def test_the_classifier_ships_in_the_wheel_and_loads_from_a_plain_install(tmp_path):
    """Not only the editable install: a wheel built from the repository holds the weights and their manifest,
    and the package installed from it (no source tree on the path) loads and checks them."""
    import subprocess
    import sys

    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", repo, "-w", str(tmp_path / "w")],
                           capture_output=True, text=True)
    assert built.returncode == 0, built.stderr[-2000:]
    [wheel] = (tmp_path / "w").glob("keras_gan-*.whl")
    installed = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                                str(tmp_path / "site"), str(wheel)], capture_output=True, text=True)
    assert installed.returncode == 0, installed.stderr[-2000:]
    code = ("import keras_gan.quality.classifier as c, os; e = c.FeatureExtractor(); "
            "print(os.path.dirname(c.__file__), e.sha256)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=str(tmp_path),
                         env={**os.environ, "PYTHONPATH": str(tmp_path / "site"), "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert out.returncode == 0, out.stderr[-2000:]
    where, sha = out.stdout.split()
    assert where == str(tmp_path / "site" / "keras_gan" / "quality") and sha == classifier.read_manifest()["sha256"]


def test_check_prints_the_accuracy_of_the_shipped_weights_without_training(mnist_dir):
    """`train_classifier --check` scores the shipped weights and writes nothing: the accuracies it prints are the
    ones the weights give in this process, and the package's weights keep their checksum."""
    import re
    import subprocess
    import sys

    from keras_gan import data as data_lib

    before = classifier.sha256(classifier.weights_path())
    out = subprocess.run([sys.executable, "-m", "keras_gan.quality.train_classifier", f"--data_dir={mnist_dir}",
                          "--check"], capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert out.returncode == 0, out.stderr[-2000:]
    found = re.search(r"validation accuracy (\d\.\d{4}), t10k accuracy (\d\.\d{4})", out.stdout)
    assert found, out.stdout
    splits = data_lib.load_mnist_idx(mnist_dir)
    extractor = classifier.FeatureExtractor()
    for printed, images, labels in ((found[1], splits.valid, splits.valid_labels),
                                    (found[2], splits.test, splits.test_labels)):
        _, logits = extractor(data_lib.to_float(images))
        assert float(printed) == round(float(np.mean(np.argmax(logits, 1) == labels)), 4)
    assert classifier.sha256(classifier.weights_path()) == before
