"""The Gaussian Parzen-window log-likelihood of section 5 and Table 1.

A Gaussian kernel of width sigma is put on each of N generator samples mu_j,
and a test image x of dimension d is scored by

    log p(x) = log((1/N) sum_j exp(-||x - mu_j||^2 / (2 sigma^2))) - d log(sigma sqrt(2 pi)),

computed with a max-subtracted log-sum-exp (the release's parzen_ll.py,
following Breuleux et al., ref. [8] of the paper). sigma is chosen on the
validation split; the test mean and its standard error std / sqrt(n) are
reported.

What it can and cannot tell (the paper's own caveat): the estimate "has
somewhat high variance and does not perform well in high dimensional spaces".
It rewards samples that lie close to test images in pixel space, depends
strongly on sigma and on the number of samples, and a model that memorized
the training set can score well. Treat it as the paper's protocol for
comparing with Table 1, not as a likelihood.

Squared distances are computed once per batch of images as
||x||^2 + ||mu||^2 - 2 x.mu (float32 matrix products, clamped at 0) and reused
for every sigma of a grid; memory is bounded by the batch sizes, never N x N.
"""

import dataclasses
import math

import numpy as np
import tensorflow as tf

from keras_gan.errors import UserError

PAPER_SIGMAS = np.logspace(-1, 0, 10)  # the release's grid


class ParzenError(UserError, ValueError):
    """The arrays or sigmas given to the estimator are not usable."""


def as_image_matrix(name, array, error=None):
    """`array` (N, ...) as an (N, D) float32 matrix; `error` (default
    ParzenError) names `name` when it is empty or holds non-finite values."""
    error = error or ParzenError
    array = np.asarray(array)
    if array.ndim == 0 or array.shape[0] == 0:
        raise error(f"{name} is empty; expected at least one image")
    matrix = array.reshape(array.shape[0], -1).astype(np.float32)
    if not np.all(np.isfinite(matrix)):
        raise error(f"{name} holds non-finite values")
    return matrix


def _check_sigmas(sigmas):
    sigmas = np.atleast_1d(np.asarray(sigmas, np.float64))
    if sigmas.size == 0 or not np.all(np.isfinite(sigmas)) or np.any(sigmas <= 0):
        raise ParzenError(f"sigma must be positive and finite; got {sigmas.tolist()}")
    return sigmas


@tf.function(reduce_retracing=True)
def _log_sum_exp_kernels(x, centres, centre_sq_norms, inv_two_sigma_sq):
    """log sum_j exp(-||x_i - mu_j||^2 / (2 sigma^2)) for every sigma: (S, b)."""
    x_sq = tf.reduce_sum(tf.square(x), axis=1, keepdims=True)
    d2 = tf.maximum(x_sq + centre_sq_norms[None, :] - 2.0 * tf.matmul(x, centres, transpose_b=True), 0.0)
    scaled = -inv_two_sigma_sq[:, None, None] * d2[None]  # (S, b, N)
    return tf.reduce_logsumexp(scaled, axis=2)


def _log_likelihoods(data, samples, sigmas, batch_size, centre_batch_size):
    """(len(sigmas), len(data)) float64 log-likelihoods; inputs already checked."""
    n, d = samples.shape
    inv = tf.constant(1.0 / (2.0 * sigmas**2), tf.float32)
    chunks = [
        (tf.constant(samples[j: j + centre_batch_size]),
         tf.constant(np.sum(samples[j: j + centre_batch_size] ** 2, axis=1)))
        for j in range(0, n, centre_batch_size)
    ]
    out = np.empty((len(sigmas), len(data)), np.float64)
    for i in range(0, len(data), batch_size):
        x = tf.constant(data[i: i + batch_size])
        parts = [_log_sum_exp_kernels(x, c, c_sq, inv) for c, c_sq in chunks]
        lse = parts[0] if len(parts) == 1 else tf.reduce_logsumexp(tf.stack(parts), axis=0)
        out[:, i: i + batch_size] = lse.numpy()
    return out - math.log(n) - d * np.log(sigmas * math.sqrt(2.0 * math.pi))[:, None]


def log_likelihood(samples, data, sigma, batch_size=1000, centre_batch_size=10000):
    """Parzen-window log-likelihood of each row of `data` under `samples`.

    Args:
        samples: Kernel centres mu_j, shape (N, ...), flattened to (N, d).
        data: Points to score, shape (n, ...) flattening to (n, d).
        sigma: Kernel width, a positive float.
        batch_size: Rows of `data` per distance computation.
        centre_batch_size: Kernel centres per distance computation.

    Returns:
        float64 array (n,) of log p(x) in nats.
    """
    samples, data = as_image_matrix("samples", samples), as_image_matrix("data", data)
    if samples.shape[1] != data.shape[1]:
        raise ParzenError(
            f"samples have {samples.shape[1]} dimensions but data has {data.shape[1]}; they must match"
        )
    sigmas = _check_sigmas(sigma)
    if sigmas.size != 1:
        raise ParzenError(f"log_likelihood takes one sigma; got {sigmas.size} (use evaluate for a grid)")
    return _log_likelihoods(data, samples, sigmas, batch_size, centre_batch_size)[0]


@dataclasses.dataclass
class ParzenResult:
    """A Table 1 entry: test mean log-likelihood, its standard error, and how
    sigma was chosen."""

    mean: float
    se: float
    sigma: float
    sigmas: list
    valid_scores: list
    n_samples: int
    n_valid: int
    n_test: int

    def to_dict(self):
        return dataclasses.asdict(self)


def evaluate(samples, valid, test, sigmas=PAPER_SIGMAS, batch_size=1000, centre_batch_size=10000):
    """The paper's protocol: choose sigma on `valid`, report the `test` mean.

    Args:
        samples: Generator samples (N, ...), the kernel centres.
        valid: Validation images; sigma is the one with the best mean
            log-likelihood on them (MNIST: the first 1,000 validation digits).
        test: Test images; their mean log-likelihood and standard error
            std / sqrt(n) are reported.
        sigmas: The grid of kernel widths.

    Returns:
        A `ParzenResult`.
    """
    samples = as_image_matrix("samples", samples)
    valid, test = as_image_matrix("valid", valid), as_image_matrix("test", test)
    for name, array in (("valid", valid), ("test", test)):
        if array.shape[1] != samples.shape[1]:
            raise ParzenError(
                f"samples have {samples.shape[1]} dimensions but {name} has {array.shape[1]}; they must match"
            )
    sigmas = _check_sigmas(sigmas)
    valid_scores = _log_likelihoods(valid, samples, sigmas, batch_size, centre_batch_size).mean(axis=1)
    best = int(np.argmax(valid_scores))
    ll = _log_likelihoods(test, samples, sigmas[best: best + 1], batch_size, centre_batch_size)[0]
    return ParzenResult(
        mean=float(ll.mean()),
        se=float(ll.std() / math.sqrt(len(ll))),
        sigma=float(sigmas[best]),
        sigmas=[float(s) for s in sigmas],
        valid_scores=[float(s) for s in valid_scores],
        n_samples=int(samples.shape[0]),
        n_valid=int(valid.shape[0]),
        n_test=int(test.shape[0]),
    )


@tf.function(reduce_retracing=True)
def _nearest_in_chunk(q, q_sq, r):
    d2 = q_sq + tf.reduce_sum(r * r, axis=1)[None] - 2.0 * tf.matmul(q, r, transpose_b=True)
    return tf.reduce_min(d2, axis=1), tf.argmin(d2, axis=1)


def nearest(queries, reference, batch_size=10_000):
    """For each query, its nearest `reference` row (Euclidean): (squared
    distances float64 (n,), indices int64 (n,)).

    The same ||q||^2 + ||r||^2 - 2 q.r products as the estimator, with
    `reference` in batches so 50,000 training images need no N x N matrix.
    """
    q = tf.constant(as_image_matrix("queries", queries))
    q_sq = tf.reduce_sum(q * q, axis=1, keepdims=True)
    best_d = np.full(q.shape[0], np.inf)
    best_i = np.zeros(q.shape[0], np.int64)
    reference = as_image_matrix("reference", reference)
    for start in range(0, len(reference), batch_size):
        d, i = (t.numpy() for t in _nearest_in_chunk(q, q_sq, tf.constant(reference[start:start + batch_size])))
        better = d < best_d
        best_d[better], best_i[better] = d[better], i[better] + start
    return np.maximum(best_d, 0.0), best_i
