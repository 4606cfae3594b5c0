import numpy as np
import pytest

from keras_gan import parzen


def test_agrees_with_a_direct_double_loop(reference_log_likelihood):
    rng = np.random.default_rng(0)
    samples, data = rng.uniform(size=(37, 12)), rng.uniform(size=(23, 12))
    for sigma in (0.1, 0.3, 1.0):
        got = parzen.log_likelihood(samples, data, sigma, batch_size=7, centre_batch_size=10)
        np.testing.assert_allclose(got, reference_log_likelihood(samples, data, sigma), atol=1e-4, rtol=1e-6)


def test_one_kernel_is_the_gaussian_log_density():
    rng = np.random.default_rng(1)
    mu, x, sigma = rng.uniform(size=(1, 5)), rng.uniform(size=(4, 5)), 0.4
    expected = -np.sum((x - mu) ** 2, axis=1) / (2 * sigma**2) - 5 * np.log(sigma * np.sqrt(2 * np.pi))
    np.testing.assert_allclose(parzen.log_likelihood(mu, x, sigma), expected, atol=1e-4)


def test_images_of_any_leading_shape_are_flattened():
    rng = np.random.default_rng(2)
    samples, data = rng.uniform(size=(10, 4, 4, 1)), rng.uniform(size=(3, 16))
    np.testing.assert_allclose(parzen.log_likelihood(samples, data, 0.5),
                               parzen.log_likelihood(samples.reshape(10, 16), data, 0.5))


def test_sigma_chosen_on_valid_is_the_true_one_of_a_gaussian_mixture(reference_log_likelihood):
    rng = np.random.default_rng(3)
    d, true_sigma = 10, 0.2154434690031884  # a point of logspace(-1, 0, 10)
    centres = rng.uniform(size=(5, d))

    def draw(n):
        return centres[rng.integers(0, 5, n)] + true_sigma * rng.normal(size=(n, d))

    # Kernels on the mixture's centres: the Parzen model is the true density at the true sigma.
    samples = np.repeat(centres, 200, axis=0)
    valid = draw(300)
    result = parzen.evaluate(samples, valid, draw(2000))
    assert result.sigma == pytest.approx(true_sigma)
    # The grid point a float64 double loop picks, and its scores on the same validation points.
    reference = [reference_log_likelihood(centres, valid, s).mean() for s in parzen.PAPER_SIGMAS]
    assert result.sigma == pytest.approx(parzen.PAPER_SIGMAS[int(np.argmax(reference))])
    np.testing.assert_allclose(result.valid_scores, reference, atol=1e-3)


def test_standard_error_is_std_over_sqrt_n():
    rng = np.random.default_rng(4)
    samples, valid, test = rng.uniform(size=(50, 6)), rng.uniform(size=(20, 6)), rng.uniform(size=(30, 6))
    result = parzen.evaluate(samples, valid, test, sigmas=[0.3])
    ll = parzen.log_likelihood(samples, test, 0.3)
    assert result.mean == pytest.approx(ll.mean())
    assert result.se == pytest.approx(ll.std() / np.sqrt(30))
    assert (result.n_samples, result.n_valid, result.n_test) == (50, 20, 30)


def test_far_points_do_not_underflow_to_minus_infinity():
    samples = np.zeros((3, 784))
    data = np.ones((2, 784))  # squared distance 784: exp(-784 / 0.02) underflows without log-sum-exp
    ll = parzen.log_likelihood(samples, data, 0.1)
    assert np.all(np.isfinite(ll))
    np.testing.assert_allclose(ll, -784 / 0.02 - 784 * np.log(0.1 * np.sqrt(2 * np.pi)), rtol=1e-5)


@pytest.mark.parametrize("samples,data,sigma,message", [
    (np.zeros((3, 5)), np.zeros((2, 6)), 0.1, "5 dimensions but data has 6"),
    (np.zeros((0, 5)), np.zeros((2, 5)), 0.1, "samples is empty"),
    (np.zeros((3, 5)), np.zeros((0, 5)), 0.1, "data is empty"),
    (np.zeros((3, 5)), np.zeros((2, 5)), 0.0, "sigma must be positive"),
    (np.zeros((3, 5)), np.zeros((2, 5)), -1.0, "sigma must be positive"),
    (np.full((3, 5), np.nan), np.zeros((2, 5)), 0.1, "non-finite"),
])
def test_bad_input_is_a_clear_error(samples, data, sigma, message):
    with pytest.raises(parzen.ParzenError, match=message):
        parzen.log_likelihood(samples, data, sigma)


def test_evaluate_checks_the_splits_too():
    with pytest.raises(parzen.ParzenError, match="test has 4"):
        parzen.evaluate(np.zeros((3, 5)), np.zeros((2, 5)), np.zeros((2, 4)))
