"""Section 4's results, checked numerically in one dimension.

Proposition 1 (Eq. 2): for a fixed G the optimal discriminator is
    D*_G(x) = p_data(x) / (p_data(x) + p_g(x)).
Theorem 1 (Eq. 4-6): the virtual training criterion
    C(G) = max_D V(G, D) = E_{x~p_data}[log D*_G(x)] + E_{x~p_g}[log(1 - D*_G(x))]
         = -log 4 + 2 JSD(p_data || p_g),
whose global minimum -log 4 is reached exactly when p_g = p_data (D* = 1/2).

Densities are callables on numpy arrays; integrals are trapezoid sums on a grid.
"""

import math

import numpy as np


def gaussian_density(mean, std):
    """The N(mean, std^2) density."""
    return lambda x: np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi))


def kernel_density(samples, bandwidth=None):
    """A Gaussian kernel density estimate of 1-D `samples` (Scott's bandwidth by default)."""
    samples = np.asarray(samples, np.float64).reshape(-1)
    if bandwidth is None:
        bandwidth = 1.06 * samples.std() * len(samples) ** (-1 / 5)

    def density(x):
        x = np.asarray(x, np.float64).reshape(-1, 1)
        out = np.zeros(len(x))
        for start in range(0, len(samples), 20_000):
            chunk = samples[None, start:start + 20_000]
            out += np.exp(-0.5 * ((x - chunk) / bandwidth) ** 2).sum(axis=1)
        return out / (len(samples) * bandwidth * math.sqrt(2 * math.pi))

    return density


def optimal_discriminator(p_data, p_g):
    """D*_G of Proposition 1, Eq. 2."""
    def d_star(x):
        a, b = p_data(x), p_g(x)
        return a / np.maximum(a + b, 1e-300)
    return d_star


def _integrate(values, grid):
    return float(np.trapezoid(values, grid))


def _xlogy(x, y):
    return np.where(x > 0, x * np.log(np.maximum(y, 1e-300)), 0.0)


def virtual_training_criterion(p_data, p_g, grid):
    """C(G) = max_D V(G, D), evaluated with D*_G (Eq. 4), by numerical integration."""
    a, b = p_data(grid), p_g(grid)
    d = a / np.maximum(a + b, 1e-300)
    return _integrate(_xlogy(a, d) + _xlogy(b, 1.0 - d), grid)


def _kl(a, b, grid):
    return _integrate(_xlogy(a, a) - _xlogy(a, b), grid)


def kl_divergence(p, q, grid):
    return _kl(p(grid), q(grid), grid)


def jensen_shannon(p, q, grid):
    """JSD(p || q) = KL(p || m) / 2 + KL(q || m) / 2 with m = (p + q) / 2 (Eq. 6)."""
    a, b = p(grid), q(grid)
    m = 0.5 * (a + b)
    return 0.5 * _kl(a, m, grid) + 0.5 * _kl(b, m, grid)


def tabulated(density, grid):
    """`density` evaluated once on `grid`, as a callable that looks values up
    there (so a kernel density estimate is not recomputed by every integral)."""
    values = density(grid)
    return lambda x: values if x is grid else density(x)


def theorem1_gap(p_data, p_g, grid):
    """C(G) - (-log 4 + 2 JSD(p_data || p_g)): zero by Theorem 1, up to quadrature error."""
    p_g = tabulated(p_g, grid)
    return virtual_training_criterion(p_data, p_g, grid) - (-math.log(4.0) + 2.0 * jensen_shannon(p_data, p_g, grid))
