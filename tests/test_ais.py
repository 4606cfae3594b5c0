"""AIS and BDMC against log-likelihoods known exactly, and `evaluate --method=ais` on a tiny run.

The linear-Gaussian generator G(z) = W z + b with z ~ N(0, I) has
p(x) = N(x; b, W W^T + sigma^2 I) in closed form; its posterior is about ten
times narrower than the prior, so plain importance sampling from the prior
would be far off and annealing has work to do.
"""

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from scipy import stats

from keras_gan import ais, train_lib
from keras_gan.evaluation import ais as ais_eval

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LATENT, DIM, SIGMA = 3, 6, 0.2


def exact_log_likelihood(x, w, b, sigma):
    """log N(x; b, W W^T + sigma^2 I) of each row, in float64."""
    cov = w @ w.T + sigma**2 * np.eye(len(b))
    return stats.multivariate_normal(b, cov).logpdf(x)


@pytest.fixture(scope="module")
def linear():
    rng = np.random.default_rng(0)
    w, b = rng.normal(0.0, 0.8, (DIM, LATENT)), rng.normal(0.0, 0.5, DIM)
    w_t, b_t = tf.constant(w.T, tf.float32), tf.constant(b, tf.float32)
    sampler = ais.Sampler(lambda u: tf.matmul(u, w_t) + b_t, LATENT, num_chains=64, leapfrog_steps=5, seed=0)
    x = rng.normal(0.0, 1.0, (8, LATENT)) @ w.T + b + SIGMA * rng.normal(0.0, 1.0, (8, DIM))
    return sampler, w, b, x


def test_ais_matches_the_closed_form(linear):
    sampler, w, b, x = linear
    result = sampler.forward(x, SIGMA, num_steps=1000)
    exact = exact_log_likelihood(x, w, b, SIGMA)
    # Tolerance: 0.2 nats per example and 0.075 on their mean, about three standard deviations of the estimate
    # here (the 64 chains' log w spread by about 0.6 nats); the log-likelihoods span 5 nats.
    np.testing.assert_allclose(result.log_likelihood, exact, atol=0.2)
    assert abs(np.mean(result.log_likelihood - exact)) < 0.075
    assert result.log_weights.shape == (8, 64) and result.step_sizes.shape == (1001, 8)
    # The step size adapts toward the 0.65 acceptance target.
    assert abs(result.acceptance.mean() - ais.TARGET_ACCEPTANCE) < 0.1


def test_bdmc_brackets_the_exact_value_and_more_distributions_shrink_the_gap(linear):
    """Both bounds hold in expectation only, so they are checked on the mean over 32 simulated examples."""
    sampler, w, b, _ = linear
    x, _ = sampler.simulate(32, SIGMA)
    exact = exact_log_likelihood(x.astype(np.float64), w, b, SIGMA).mean()
    short, longer, longest = (sampler.bdmc(32, SIGMA, steps) for steps in (10, 100, 1000))
    for result in (short, longer):
        assert result.lower.mean() < exact < result.upper.mean(), result.num_steps
    assert short.gap.mean() > 4 * longer.gap.mean() > 0
    assert abs(longest.gap.mean()) < 0.1 and abs(longest.lower.mean() - exact) < 0.1  # the bounds meet


def test_evaluate_chooses_sigma_on_validation_and_reports_bdmc(linear):
    sampler, w, b, _ = linear
    rng = np.random.default_rng(1)
    valid = rng.normal(0.0, 1.0, (40, LATENT)) @ w.T + b + SIGMA * rng.normal(0.0, 1.0, (40, DIM))
    test = rng.normal(0.0, 1.0, (6, LATENT)) @ w.T + b + SIGMA * rng.normal(0.0, 1.0, (6, DIM))
    result = ais.evaluate(sampler.decode, LATENT, valid, test, sigmas=(0.1, 0.2, 0.4), num_chains=32, num_steps=500,
                          leapfrog_steps=5, valid_steps=50, bdmc_examples=4)
    assert result.sigma == 0.2 and int(np.argmax(result.valid_scores)) == 1  # the simulated data's own sigma
    exact = exact_log_likelihood(test, w, b, 0.2)
    assert result.mean == pytest.approx(exact.mean(), abs=0.2)
    assert result.se == pytest.approx(exact.std() / math.sqrt(6), rel=0.2)
    bdmc = result.bdmc
    assert bdmc["n_simulated"] == 4 and len(bdmc["lower"]) == len(bdmc["upper"]) == 4
    assert bdmc["gap_mean"] == pytest.approx(bdmc["upper_mean"] - bdmc["lower_mean"]) and bdmc["num_steps"] == 500
    assert set(result.seconds) == {"sigma_search", "test", "bdmc"}


def test_the_uniform_prior_is_the_normal_pushed_through_phi():
    q = np.linspace(0.001, 0.999, 999)
    z = ais.normal_to_uniform(tf.constant(stats.norm.ppf(q), tf.float32)).numpy()
    np.testing.assert_allclose(z, math.sqrt(3.0) * (2 * q - 1), atol=1e-5)  # P(z <= c) = (c / sqrt 3 + 1) / 2
    far = ais.normal_to_uniform(tf.constant([-40.0, 40.0])).numpy()
    np.testing.assert_allclose(far, [-math.sqrt(3.0), math.sqrt(3.0)])
    assert ais.latent_to_noise("gaussian") is tf.identity


def test_ais_with_a_uniform_prior_matches_numerical_integration():
    """G(z) = w z + b on R^2 with z ~ U(-sqrt 3, sqrt 3): p(x) by a 200,000-point midpoint rule."""
    w, b, sigma = np.array([1.0, -0.5]), np.array([0.2, 0.1]), 0.15
    x = np.array([[0.3, 0.05], [1.9, -0.75], [-1.0, 0.7]])  # inside the support, at its edge, and beyond it
    edges = np.linspace(-math.sqrt(3), math.sqrt(3), 200_001)
    z = 0.5 * (edges[1:] + edges[:-1])
    log_terms = stats.norm(0.0, sigma).logpdf(x[:, None, :] - (z[None, :, None] * w + b)).sum(axis=2)
    exact = np.logaddexp.reduce(log_terms, axis=1) + math.log(edges[1] - edges[0]) - math.log(2 * math.sqrt(3))
    w_t, b_t = tf.constant(w[None], tf.float32), tf.constant(b, tf.float32)
    sampler = ais.Sampler(lambda u: ais.normal_to_uniform(u) * w_t + b_t, 1, num_chains=256, leapfrog_steps=5)
    # Tolerance: 0.05 nats per example; with 64 chains instead of 256 the estimates fall 0.05 below.
    np.testing.assert_allclose(sampler.forward(x, sigma, num_steps=1000).log_likelihood, exact, atol=0.05)


def test_bad_inputs_name_what_was_expected(linear):
    sampler = linear[0]
    with pytest.raises(ais.AISError, match="5 dimensions .* output has 6"):
        sampler.forward(np.zeros((2, 5)), SIGMA, 10)
    with pytest.raises(ais.AISError, match="sigma must be positive"):
        sampler.forward(np.zeros((2, 6)), 0.0, 10)
    with pytest.raises(ais.AISError, match="positive integer; got 0"):
        ais.sigmoid_schedule(0)
    with pytest.raises(ais.AISError, match="num_chains must be a positive integer"):
        ais.Sampler(sampler.decode, LATENT, num_chains=0)
    assert ais_eval.DEFAULT_SIGMAS == ais.DEFAULT_SIGMAS


def test_the_schedule_is_sigmoid_spaced_from_0_to_1():
    betas = ais.sigmoid_schedule(100)
    assert betas[0] == 0.0 and betas[-1] == 1.0 and np.all(np.diff(betas) > 0)
    assert np.diff(betas)[0] < np.diff(betas)[50] / 10  # crowded at the ends
    np.testing.assert_allclose(betas, 1.0 - betas[::-1], atol=1e-12)


# --- The command on a tiny trained run ----------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, make_tiny_config):
    # Weights ten times the default make G depend on z from the start, so that the posterior is narrow and BDMC's gap
    # is wide at 30 distributions.
    cfg = make_tiny_config(epochs=1, parzen_every=0, ema_decays=(0.9,), g_irange=0.5)
    workdir = str(tmp_path_factory.mktemp("ais") / "run")
    train_lib.train_and_evaluate(cfg, workdir, verbose=0)
    return workdir


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "keras_gan.evaluate", *args], capture_output=True, text=True,
                          cwd=REPO, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})


def test_cli_writes_ais_json_for_g_and_its_average(tiny_run):
    out = run_cli(f"--workdir={tiny_run}", "--method=ais", "--checkpoint=10", "--generator=all", "--ais_examples=3",
                  "--ais_chains=4", "--ais_steps=30", "--ais_leapfrog=2", "--ais_sigmas=0.1,0.3", "--ais_valid=3",
                  "--ais_valid_steps=10", "--ais_bdmc=3")
    assert out.returncode == 0, out.stderr[-2000:]
    assert "this run, ema_0.9" in out.stdout and "BDMC on 3 simulated images" in out.stdout
    assert "is at the edge of the grid" in out.stdout  # a grid of two has no inside
    results = json.loads(open(os.path.join(tiny_run, "ais.json")).read())
    assert [r["generator"] for r in results] == ["generator", "ema_0.9"]
    for r in results:
        assert r["checkpoint_step"] == 10 and r["n_test"] == 3 and len(r["test_indices"]) == 3
        assert np.all(np.isfinite([r["mean"], r["se"], *r["log_likelihoods"], *r["valid_scores"]]))
        assert r["sigmas"] == [0.1, 0.3] and r["sigma"] in r["sigmas"] and len(r["valid_scores"]) == 2
        assert r["bdmc"]["lower_mean"] < r["bdmc"]["upper_mean"] and np.isfinite(r["bdmc"]["gap_mean"])
    assert not os.path.exists(os.path.join(tiny_run, "parzen.json"))


@pytest.mark.parametrize("args,message", [
    (["--ais_sigmas=0.1,-1"], "error: --ais_sigmas must be positive numbers"),
    (["--ais_sigmas=0.1,abc"], "error: --ais_sigmas must be positive numbers"),
    (["--samples=x.npy"], "error: --method=ais needs the generator itself"),
])
def test_cli_bad_ais_settings_are_one_line(tmp_path, args, message):
    out = run_cli(f"--workdir={tmp_path}", "--method=ais", *args)
    assert out.returncode == 1 and message in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
