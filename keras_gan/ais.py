"""Annealed importance sampling (AIS) log-likelihoods of a generator, checked by BDMC.

The paper's generator has no density: x = G(z) is a point, so Table 1 falls
back on Parzen windows ("the best method available to our knowledge"). Wu,
Burda, Salakhutdinov and Grosse, "On the Quantitative Analysis of
Decoder-Based Generative Models" (ICLR 2017), give G a density by adding
Gaussian observation noise,

    p(x) = integral p(z) N(x; G(z), sigma^2 I) dz,                           (their observation model)

and estimate the integral by AIS over z (Neal, 2001), in the form below:

    f_t(z) = p(z) p(x | z)^beta_t,   0 = beta_0 < beta_1 < ... < beta_T = 1   geometric path prior -> posterior
    z_0 ~ p(z);  z_t ~ T_t(. | z_{t-1}), T_t leaving f_t / Z_t invariant     t = 1 .. T-1
    log w = sum_{t=1..T} log f_t(z_{t-1}) - log f_{t-1}(z_{t-1})
          = sum_{t=1..T} (beta_t - beta_{t-1}) log p(x | z_{t-1})
    log p_hat(x) = log (1/K) sum_k w_k                                      K chains, log-mean-exp

E[w] = Z_T / Z_0 = p(x) exactly (Z_0 = 1: the prior is normalised), so by
Jensen's inequality E[log p_hat(x)] <= log p(x): each estimate is a
stochastic lower bound, and a poor schedule makes it looser, never higher.

Schedule: beta_t sigmoid-spaced, beta_t proportional to s(r (2t/T - 1)) - s(-r)
with s the logistic function and r = 4 (Grosse, Ghahramani and Adams,
2015; the schedule of Wu et al.'s code): more distributions near both ends,
where the path changes fastest.

Transitions: Hamiltonian Monte Carlo (Neal, 2011) on U_t(z) = -log f_t(z),
one momentum draw, `leapfrog_steps` leapfrog steps and a Metropolis test per
intermediate distribution (as Wu et al. do). The step size is one per
example, shared by its K chains, and adapted after every transition toward
an acceptance rate of 0.65 (Wu et al.'s target):
log eps <- log eps + rate (a - 0.65), a the chains' mean acceptance
probability. As in Wu et al., adaptation makes T_t depend on the chains' own
past; the reverse chains of BDMC (below) replay the recorded step sizes and
adapt nothing.

The prior. `--noise=gaussian` runs are sampled in z itself. For
`--noise=uniform` (U(-sqrt 3, sqrt 3) per coordinate, the release's prior)
the chains run on u ~ N(0, I) and G reads

    z = sqrt(3) erf(u / sqrt 2) = sqrt(3) (2 Phi(u) - 1),

which maps N(0, 1) exactly onto U(-sqrt 3, sqrt 3) coordinate by coordinate
(Phi(u) ~ U(0, 1)). p(x) = integral N(u; 0, I) p(x | z(u)) du is the same
integral by the change of variables, the start f_0 = N(0, I) is normalised
and sampled exactly, and the target is smooth on all of R^d: HMC never meets
the box's faces, where a reflecting or rejecting sampler would waste its
leapfrog steps. The price is a flat map for |u| > 3 (0.3% of the prior's
mass per coordinate), where moves in u barely move z.

BDMC (Grosse, Ghahramani and Adams, 2015; the check Wu et al. use): on data
simulated from the model, z* ~ p(z), x = G(z*) + sigma eps, z* is an exact
sample of the posterior p(z | x). Reverse AIS, started at z* and annealed
from beta = 1 to 0, has E[w_rev] = Z_0 / Z_T = 1 / p(x), so
-log (1/K) sum_k w_rev,k is a stochastic upper bound. The gap between the
two bounds on simulated data bounds how far the forward estimate can be
from log p(x) for data like it, for that schedule; on real data the gap is
not available (there is no exact posterior sample), which is Wu et al.'s
caveat too.

sigma is a hyperparameter of the estimate, not of G: `evaluate` chooses it
on validation images (a grid, each scored by a cheaper AIS), as the Parzen
protocol chooses its kernel width, and never looks at test images to do so.
Pixels are the model's values in [0, 1], as the Parzen protocol scores them
(no dequantization noise, which Wu et al. add), so both estimates are
densities on the same space, in nats.
"""

import dataclasses
import math
import time

import keras
import numpy as np
import tensorflow as tf

from keras_gan.errors import UserError
from keras_gan.parzen import as_image_matrix
from keras_gan.seeds import stream_seed

TARGET_ACCEPTANCE = 0.65
SIGMOID_RADIUS = 4.0
DEFAULT_SIGMAS = (0.05, 0.07, 0.1, 0.14, 0.2)
STEP_SIZE_RANGE = (1e-4, 1.0)
_MAX_ROWS = 4096  # chains x examples per batch: one matrix product per layer stays in cache-friendly sizes
_CHUNK = 25  # transitions per compiled call, between progress-bar updates


class AISError(UserError, ValueError):
    """Settings or arrays given to the AIS estimator are not usable."""


def sigmoid_schedule(num_steps, radius=SIGMOID_RADIUS):
    """beta_0 = 0 < ... < beta_T = 1, sigmoid-spaced; float64 array (T + 1,).

    Args:
        num_steps: T, the number of intermediate distributions (each but the
            last gets one HMC transition).
        radius: r of s(r (2t/T - 1)); larger crowds more distributions near
            both ends.
    """
    if not isinstance(num_steps, (int, np.integer)) or num_steps < 1:
        raise AISError(f"the number of intermediate distributions must be a positive integer; got {num_steps!r}")
    if num_steps == 1:
        return np.array([0.0, 1.0])
    s = 1.0 / (1.0 + np.exp(-np.linspace(-radius, radius, num_steps + 1)))
    return (s - s[0]) / (s[-1] - s[0])


def normal_to_uniform(u):
    """z = sqrt(3) erf(u / sqrt 2): pushes N(0, 1) exactly onto U(-sqrt 3, sqrt 3), coordinatewise."""
    return math.sqrt(3.0) * tf.math.erf(u / math.sqrt(2.0))


def latent_to_noise(noise):
    """The map from the chains' N(0, I) coordinates u to G's noise z for a run's `--noise`."""
    if noise == "gaussian":
        return tf.identity
    if noise == "uniform":
        return normal_to_uniform
    raise AISError(f"noise must be uniform or gaussian; got {noise!r}")


def gaussian_log_likelihood(x, mean, sigma):
    """log N(x; mean, sigma^2 I) of each row: (batch,); `sigma` a scalar or one per row."""
    d = tf.cast(tf.shape(x)[-1], tf.float32)
    sigma = tf.cast(sigma, tf.float32)
    return (-0.5 / sigma**2) * tf.reduce_sum(tf.square(x - mean), axis=-1) - 0.5 * d * tf.math.log(
        2.0 * math.pi * sigma**2
    )


def log_mean_exp(a, axis=-1):
    """log (1/K) sum_k exp(a_k) along `axis`, max-subtracted (numpy)."""
    a = np.asarray(a, np.float64)
    top = np.max(a, axis=axis, keepdims=True)
    return np.squeeze(top, axis) + np.log(np.mean(np.exp(a - top), axis=axis))


def check_sigma(sigma):
    """`sigma` as a float (or a float32 array, one per example); positive and finite, or an `AISError`."""
    array = np.asarray(sigma, np.float64)
    if array.size == 0 or not np.all(np.isfinite(array)) or np.any(array <= 0):
        raise AISError(f"sigma must be positive and finite; got {array.tolist()}")
    return float(array) if array.ndim == 0 else array.astype(np.float32)


def _as_matrix(name, array):
    return as_image_matrix(name, array, AISError)


@dataclasses.dataclass
class AISResult:
    """One annealing run over a set of examples (forward or reverse).

    `log_likelihood` is the forward run's lower bound or the reverse run's
    upper bound of log p(x) per example; `log_weights` the K chains' log w
    (for a reverse run, log w_rev); `acceptance` each example's mean HMC
    acceptance probability; `step_sizes[t]` the step size of each example's
    transition at beta_t (rows 0 and T unused).
    """

    log_likelihood: np.ndarray
    log_weights: np.ndarray
    acceptance: np.ndarray
    step_sizes: np.ndarray


@dataclasses.dataclass
class BDMCResult:
    """Bidirectional Monte Carlo on data simulated from the model: per
    example, the forward AIS lower bound and the reverse AIS upper bound."""

    lower: np.ndarray
    upper: np.ndarray
    sigma: float
    num_steps: int

    @property
    def gap(self):
        return self.upper - self.lower

    def to_dict(self):
        gap = self.gap
        return {
            "lower_mean": float(self.lower.mean()),
            "upper_mean": float(self.upper.mean()),
            "gap_mean": float(gap.mean()),
            "gap_se": float(gap.std() / math.sqrt(len(gap))),
            "n_simulated": int(len(gap)),
            "sigma": self.sigma,
            "num_steps": self.num_steps,
            "lower": self.lower.tolist(),
            "upper": self.upper.tolist(),
        }


class Sampler:
    """AIS and reverse AIS from the prior to p(z | x) for one decoder.

    Args:
        decode: Maps a float32 batch u (rows, latent_dim) of N(0, I)
            coordinates to G's output flattened to (rows, d) (for a uniform
            prior, G after `normal_to_uniform`). Differentiable with
            tf.GradientTape.
        latent_dim: The dimension of u.
        num_chains: K, chains per example; all the chains of a batch of
            examples run as one tensor computation.
        leapfrog_steps: Leapfrog steps per HMC transition.
        initial_step_size: Every example's HMC step size at beta_1.
        adapt_rate: How fast log(step size) follows the acceptance rate.
        seed: Seeds the chains' starts, momenta and Metropolis tests.
        verbose: 1 for a progress bar per run, 0 for none.
    """

    def __init__(self, decode, latent_dim, num_chains=16, leapfrog_steps=10, initial_step_size=0.1, adapt_rate=0.5,
                 seed=0, verbose=0):
        for name, value in (("num_chains", num_chains), ("leapfrog_steps", leapfrog_steps),
                            ("latent_dim", latent_dim)):
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise AISError(f"{name} must be a positive integer; got {value!r}")
        if not STEP_SIZE_RANGE[0] <= initial_step_size <= STEP_SIZE_RANGE[1]:
            raise AISError(f"initial_step_size must be in {list(STEP_SIZE_RANGE)}; got {initial_step_size}")
        self.decode, self.latent_dim = decode, int(latent_dim)
        self.num_chains, self.leapfrog_steps = int(num_chains), int(leapfrog_steps)
        self.initial_step_size, self.adapt_rate = float(initial_step_size), float(adapt_rate)
        self.seed, self.verbose = int(seed), verbose
        self._output_dim = None
        self._compiled = None

    # --- The compiled pieces ---------------------------------------------------------------------------

    def _log_likelihood_and_grad(self, x, sigma, u):
        """log p(x | z(u)) per row and its gradient in u."""
        with tf.GradientTape() as tape:
            tape.watch(u)
            ell = gaussian_log_likelihood(x, tf.cast(self.decode(u), tf.float32), sigma)
        return ell, tape.gradient(ell, u)

    def _hmc(self, x, sigma, u, ell, grad, beta, eps, key):
        """One HMC transition leaving f_beta(u) = N(u; 0, I) p(x | z(u))^beta invariant."""
        momentum = tf.random.stateless_normal(tf.shape(u), key)
        h_start = 0.5 * tf.reduce_sum(u * u + momentum * momentum, axis=1) - beta * ell
        p = momentum - 0.5 * eps * (u - beta * grad)
        new_u, new_ell, new_grad = u, ell, grad
        for _ in tf.range(self.leapfrog_steps):
            new_u = new_u + eps * p
            new_ell, new_grad = self._log_likelihood_and_grad(x, sigma, new_u)
            p = p - eps * (new_u - beta * new_grad)
        p = p + 0.5 * eps * (new_u - beta * new_grad)  # the last momentum update is a half step
        h_end = 0.5 * tf.reduce_sum(new_u * new_u + p * p, axis=1) - beta * new_ell
        log_accept = tf.minimum(0.0, h_start - h_end)
        log_accept = tf.where(tf.math.is_nan(log_accept), -np.inf, log_accept)  # a diverged trajectory is rejected
        accept = tf.math.log(tf.random.stateless_uniform(tf.shape(ell), key + [0, 1])) < log_accept
        return (tf.where(accept[:, None], new_u, u), tf.where(accept, new_ell, ell),
                tf.where(accept[:, None], new_grad, grad), tf.exp(log_accept))

    def _transitions(self, x, sigma, u, ell, grad, log_w, log_eps, beta_prev, beta_next, fixed_log_eps, key, adapt):
        """For each j: log w += (beta_next[j] - beta_prev[j]) log p(x | z), then HMC at beta_next[j]."""
        k = self.num_chains
        used = tf.TensorArray(tf.float32, size=tf.shape(beta_prev)[0])
        accept_sum = tf.zeros_like(log_eps)
        for j in tf.range(tf.shape(beta_prev)[0]):
            log_w += (beta_next[j] - beta_prev[j]) * tf.cast(ell, tf.float64)
            step_log_eps = log_eps if adapt else fixed_log_eps[j]
            eps = tf.repeat(tf.exp(step_log_eps), k)[:, None]
            u, ell, grad, accept_prob = self._hmc(x, sigma, u, ell, grad, tf.cast(beta_next[j], tf.float32), eps,
                                                  key + tf.stack([tf.constant(0, tf.int64), 2 * tf.cast(j, tf.int64)]))
            rate = tf.reduce_mean(tf.reshape(accept_prob, (-1, k)), axis=1)
            accept_sum += rate
            used = used.write(j, step_log_eps)
            if adapt:
                log_eps = tf.clip_by_value(log_eps + self.adapt_rate * (rate - TARGET_ACCEPTANCE),
                                           math.log(STEP_SIZE_RANGE[0]), math.log(STEP_SIZE_RANGE[1]))
        return u, ell, grad, log_w, log_eps, used.stack(), accept_sum

    # --- Runs ----------------------------------------------------------------------------------------------

    def _compile(self):
        """The compiled pieces, traced once for any number of rows and transitions: (value_and_grad, anneal)."""
        if self._compiled is None:
            d, k = self._output_dim, self.latent_dim
            f32 = [tf.TensorSpec([None, d]), tf.TensorSpec([None]), tf.TensorSpec([None, k])]  # x, sigma, u per row
            state = [tf.TensorSpec([None]), tf.TensorSpec([None, k]), tf.TensorSpec([None], tf.float64),
                     tf.TensorSpec([None])]  # ell, grad, log w, log step size
            schedule = [tf.TensorSpec([None], tf.float64), tf.TensorSpec([None], tf.float64),
                        tf.TensorSpec([None, None]), tf.TensorSpec([2], tf.int64)]
            value_and_grad = tf.function(self._log_likelihood_and_grad, input_signature=f32)
            anneal = {adapt: tf.function(lambda *args, adapt=adapt: self._transitions(*args, adapt),
                                         input_signature=f32 + state + schedule)
                      for adapt in (True, False)}
            self._compiled = value_and_grad, anneal
        return self._compiled

    def _check_data(self, name, x):
        x = _as_matrix(name, x)
        if self._output_dim is None:
            self._output_dim = int(np.prod(self.decode(tf.zeros((1, self.latent_dim))).shape[1:]))
        if x.shape[1] != self._output_dim:
            raise AISError(f"{name} has {x.shape[1]} dimensions per example but the generator's output has "
                           f"{self._output_dim}; they must match")
        return x

    def _batches(self, n):
        size = max(1, _MAX_ROWS // self.num_chains)
        return [(i, slice(i, min(i + size, n))) for i in range(0, n, size)]

    def _run(self, x, sigma, num_steps, tag, u_start=None, step_sizes=None):
        """Forward AIS (u_start None) or reverse AIS from u_start with the recorded step sizes."""
        betas = sigmoid_schedule(num_steps)
        reverse = u_start is not None
        k, n = self.num_chains, len(x)
        log_weights = np.zeros((n, k))
        acceptance = np.zeros(n)
        record = np.full((num_steps + 1, n), self.initial_step_size, np.float32)
        if reverse:  # targets beta_{T-1} .. beta_1, each with the step size the forward run used there
            beta_prev, beta_next, order = betas[:0:-1][:-1], betas[-2:0:-1], np.arange(num_steps - 1, 0, -1)
        else:  # targets beta_1 .. beta_{T-1}
            beta_prev, beta_next, order = betas[:-2], betas[1:-1], np.arange(1, num_steps)
        batches = self._batches(n)
        value_and_grad, anneal = self._compile()
        progbar = keras.utils.Progbar(len(batches) * num_steps, verbose=self.verbose,
                                         stateful_metrics=["acceptance", "step_size"])
        sigma = np.broadcast_to(np.asarray(sigma, np.float32), (n,))
        for b, rows in batches:
            nb = rows.stop - rows.start
            key = stream_seed(self.seed, "ais", tag, b)
            x_rows = tf.constant(np.repeat(x[rows], k, axis=0))
            sigma_t = tf.constant(np.repeat(sigma[rows], k))
            if reverse:
                u = tf.constant(np.repeat(np.asarray(u_start, np.float32)[rows], k, axis=0))
            else:
                u = tf.random.stateless_normal((nb * k, self.latent_dim), [key, 2**30])
            ell, grad = value_and_grad(x_rows, sigma_t, u)
            log_w = tf.zeros(nb * k, tf.float64)
            log_eps = tf.fill([nb], tf.math.log(tf.constant(self.initial_step_size, tf.float32)))
            fixed = (np.log(step_sizes[order][:, rows]) if reverse else np.zeros((len(order), nb))).astype(np.float32)
            for start in range(0, len(order), _CHUNK):
                part = slice(start, start + _CHUNK)
                u, ell, grad, log_w, log_eps, used, accept_sum = anneal[not reverse](
                    x_rows, sigma_t, u, ell, grad, log_w, log_eps, tf.constant(beta_prev[part]),
                    tf.constant(beta_next[part]), tf.constant(fixed[part]), tf.constant([key, 2 * start], tf.int64))
                record[order[part], rows] = np.exp(used.numpy())
                acceptance[rows] += accept_sum.numpy()
                progbar.add(len(order[part]), [("acceptance", float(accept_sum.numpy().mean() / len(order[part]))),
                                                ("step_size", float(np.exp(used.numpy()).mean()))])
            # The last weight update has no transition after it: beta_T forward, beta_0 in reverse.
            last = (betas[0] - betas[1]) if reverse else (betas[-1] - betas[-2])
            log_w += last * tf.cast(ell, tf.float64)
            progbar.add(1)
            log_weights[rows] = log_w.numpy().reshape(nb, k)
        acceptance /= max(1, len(order))
        estimate = -log_mean_exp(log_weights) if reverse else log_mean_exp(log_weights)
        return AISResult(estimate, log_weights, acceptance, record)

    def forward(self, x, sigma, num_steps, tag="forward"):
        """AIS from the prior to p(z | x) for each row of `x`.

        Args:
            x: Examples (n, ...) in G's output space, flattened to (n, d).
            sigma: The observation noise's standard deviation, one for all
                examples or one per example (a sigma search runs a grid as
                one batch).
            num_steps: T, the number of intermediate distributions.
            tag: Names the run's random stream (runs with different tags
                draw independent chains).

        Returns:
            An `AISResult`; `log_likelihood` holds the stochastic lower bounds.
        """
        x, sigma = self._check_data("x", x), check_sigma(sigma)
        if np.ndim(sigma) and np.shape(sigma) != (len(x),):
            raise AISError(f"sigma must be one number or one per example ({len(x)}); got shape {np.shape(sigma)}")
        return self._run(x, sigma, num_steps, tag)

    def reverse(self, x, u_exact, sigma, step_sizes, tag="reverse"):
        """Reverse AIS from exact posterior samples `u_exact` (n, latent_dim)
        down to the prior, replaying `step_sizes` ((T + 1, n), a forward
        run's); `log_likelihood` holds the stochastic upper bounds."""
        x = self._check_data("x", x)
        step_sizes = np.asarray(step_sizes, np.float32)
        u_exact = np.asarray(u_exact, np.float32)
        if u_exact.shape != (len(x), self.latent_dim) or step_sizes.ndim != 2 or step_sizes.shape[1] != len(x):
            raise AISError(f"reverse AIS needs u_exact of shape {(len(x), self.latent_dim)} and step_sizes of shape "
                           f"(T + 1, {len(x)}); got {u_exact.shape} and {step_sizes.shape}")
        return self._run(x, check_sigma(sigma), step_sizes.shape[0] - 1, tag, u_start=u_exact, step_sizes=step_sizes)

    def simulate(self, num_examples, sigma, tag="simulate"):
        """(x, u): u ~ N(0, I), x = decode(u) + sigma eps, so that u is an exact sample of p(u | x)."""
        key = stream_seed(self.seed, "ais", tag)
        u = tf.random.stateless_normal((num_examples, self.latent_dim), [key, 0])
        mean = tf.cast(self.decode(u), tf.float32)
        x = mean + check_sigma(sigma) * tf.random.stateless_normal(tf.shape(mean), [key, 1])
        return x.numpy(), u.numpy()

    def bdmc(self, num_examples, sigma, num_steps):
        """Forward and reverse AIS on `num_examples` examples simulated from
        the model with the same schedule: a `BDMCResult`."""
        if not isinstance(num_examples, (int, np.integer)) or num_examples < 1:
            raise AISError(f"BDMC needs a positive number of simulated examples; got {num_examples!r}")
        x, u = self.simulate(num_examples, sigma)
        forward = self.forward(x, sigma, num_steps, tag="bdmc_forward")
        reverse = self.reverse(x, u, sigma, forward.step_sizes, tag="bdmc_reverse")
        return BDMCResult(forward.log_likelihood, reverse.log_likelihood, float(sigma), int(num_steps))


@dataclasses.dataclass
class AISEvaluation:
    """The AIS row for one generator: the test mean of the lower bounds, its
    standard error std / sqrt(n), how sigma was chosen, the BDMC check, and
    the wall-clock seconds of each part."""

    mean: float
    se: float
    sigma: float
    sigmas: list
    valid_scores: list
    log_likelihoods: list
    n_valid: int
    n_test: int
    num_chains: int
    num_steps: int
    valid_steps: int
    leapfrog_steps: int
    acceptance: float
    bdmc: dict
    seconds: dict

    def to_dict(self):
        return dataclasses.asdict(self)


def evaluate(decode, latent_dim, valid, test, sigmas=DEFAULT_SIGMAS, num_chains=4, num_steps=500, leapfrog_steps=10,
             valid_steps=None, bdmc_examples=10, seed=0, verbose=0):
    """Chooses sigma on `valid`, estimates log p(x) of each `test` row, and
    checks the schedule by BDMC.

    Args:
        decode: See `Sampler`.
        latent_dim: The dimension of G's noise.
        valid: Validation examples; with several `sigmas`, each sigma is
            scored by the mean AIS estimate over them and the best is used.
            A short schedule is looser at small sigma, so a sigma search with
            fewer distributions than the test run leans to larger sigma.
        test: The examples scored, with `num_steps` distributions.
        sigmas: The grid; a single value is used as it is.
        num_chains: Chains per example (K).
        num_steps: Intermediate distributions of the test and BDMC runs.
        leapfrog_steps: Leapfrog steps per HMC transition.
        valid_steps: Intermediate distributions of the sigma search
            (default: `num_steps`, the schedule the test images get).
        bdmc_examples: Examples simulated from the model for the BDMC gap
            (0: no BDMC).
        seed: Seeds every chain.
        verbose: 1 prints what runs and a progress bar for each run.

    Returns:
        An `AISEvaluation`.
    """
    sigmas = [check_sigma(s) for s in np.atleast_1d(sigmas)]
    valid_steps = valid_steps or num_steps
    if not sigmas:
        raise AISError("the sigma grid is empty; expected at least one sigma")
    sampler = Sampler(decode, latent_dim, num_chains=num_chains, leapfrog_steps=leapfrog_steps, seed=seed,
                      verbose=verbose)
    test = sampler._check_data("test", test)
    say = print if verbose else (lambda *a: None)
    seconds = {}
    valid_scores = []
    start = time.perf_counter()
    if len(sigmas) > 1:
        valid = sampler._check_data("valid", valid)
        say(f"Choosing sigma among {', '.join(f'{s:g}' for s in sigmas)}: AIS on {len(valid)} validation images, "
            f"{valid_steps} distributions, every sigma in one batch")
        grid = sampler.forward(np.tile(valid, (len(sigmas), 1)), np.repeat(sigmas, len(valid)), valid_steps,
                               tag="valid")
        valid_scores = grid.log_likelihood.reshape(len(sigmas), len(valid)).mean(axis=1).tolist()
        sigma = sigmas[int(np.argmax(valid_scores))]
        seconds["sigma_search"] = time.perf_counter() - start
    else:
        sigma = sigmas[0]
    start = time.perf_counter()
    say(f"AIS on {len(test)} test images: sigma={sigma:g}, {num_chains} chains, {num_steps} distributions, "
        f"{leapfrog_steps} leapfrog steps")
    result = sampler.forward(test, sigma, num_steps, tag="test")
    seconds["test"] = time.perf_counter() - start
    bdmc = None
    if bdmc_examples:
        start = time.perf_counter()
        say(f"BDMC on {bdmc_examples} images simulated from the model: forward, then reverse")
        bdmc = sampler.bdmc(bdmc_examples, sigma, num_steps).to_dict()
        seconds["bdmc"] = time.perf_counter() - start
    ll = result.log_likelihood
    return AISEvaluation(
        mean=float(ll.mean()),
        se=float(ll.std() / math.sqrt(len(ll))),
        sigma=float(sigma),
        sigmas=sigmas,
        valid_scores=valid_scores,
        log_likelihoods=ll.tolist(),
        n_valid=len(valid) if len(sigmas) > 1 else 0,
        n_test=len(test),
        num_chains=num_chains,
        num_steps=num_steps,
        valid_steps=valid_steps if len(sigmas) > 1 else 0,
        leapfrog_steps=leapfrog_steps,
        acceptance=float(result.acceptance.mean()),
        bdmc=bdmc,
        seconds=seconds,
    )
