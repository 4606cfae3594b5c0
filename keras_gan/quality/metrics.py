"""Sample-quality metrics on a classifier's features, beside the Parzen and AIS likelihoods.

Each takes real features X (N, d) and generated features Y (M, d) (or
classifier outputs) as numpy arrays and returns plain floats. None of them
looks at pixels: a blurred digit moves away from real digits in a classifier's
feature space, so the Frechet and kernel distances, recall and coverage score
blur clearly worse (docs/quality.md: real digits FD 1.8, blurred 88.6). The
k-NN precision and density do not: they ask whether each sample lies near
some real digit, and a blurred digit, even the mean image, still does.

    frechet_distance        Heusel et al. 2017 (FID), here on an MNIST classifier's features
    kernel_distance         Binkowski et al. 2018 (KID): unbiased MMD^2, cubic polynomial kernel
    manifold_metrics        precision and recall (Kynkaanniemi et al. 2019: k-NN manifolds of real and
                            generated features), density and coverage (Naeem et al. 2020: k-NN balls
                            around real features only), in one pass
    classifier_score        Salimans et al. 2016's Inception score, with an MNIST classifier
    class_histogram         the share of each class among the classifier's predictions

Distances come from float32 matrix products in chunks (10,000 x 10,000
features need no 10,000 x 10,000 matrix at once), the Frechet distance and
the kernel sums in float64.
"""

import numpy as np
from scipy import special

from keras_gan.errors import UserError


class QualityError(UserError, ValueError):
    """Features or classifier outputs that the metrics cannot use."""


def _features(name, x, min_rows=2):
    x = np.asarray(x, np.float64)
    if x.ndim != 2 or len(x) < min_rows:
        raise QualityError(f"{name} must be a (n, d) matrix with n >= {min_rows}; got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise QualityError(f"{name} holds non-finite values")
    return x


def _pair(real, fake, min_rows=2):
    real, fake = _features("real features", real, min_rows), _features("generated features", fake, min_rows)
    if real.shape[1] != fake.shape[1]:
        raise QualityError(f"real features have {real.shape[1]} dimensions, generated {fake.shape[1]}; they must match")
    return real, fake


def _sqrtm_trace(sigma1, sigma2):
    """Tr((sigma1 sigma2)^(1/2)) = Tr((A sigma2 A)^(1/2)) with A = sigma1^(1/2): a symmetric
    positive semi-definite matrix, so its square root comes from `eigh` (no complex parts)."""
    w, v = np.linalg.eigh(sigma1)
    root = (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T
    inner = np.linalg.eigvalsh(root @ sigma2 @ root)
    return float(np.sum(np.sqrt(np.clip(inner, 0.0, None))))


def frechet_distance(real, fake):
    """The Frechet distance between Gaussians fitted to real and generated features.

        FD = ||mu_r - mu_g||^2 + Tr(S_r + S_g - 2 (S_r S_g)^(1/2))

    (the 2-Wasserstein distance between N(mu_r, S_r) and N(mu_g, S_g);
    Heusel et al. 2017 on Inception features, TF-GAN's
    `mnist_frechet_distance` on an MNIST classifier's). float64; the matrix
    square root through symmetric eigendecompositions. 0 for equal
    distributions; larger is worse.
    """
    real, fake = _pair(real, fake)
    mu_r, mu_g = real.mean(axis=0), fake.mean(axis=0)
    s_r, s_g = np.cov(real, rowvar=False), np.cov(fake, rowvar=False)
    return float(np.sum((mu_r - mu_g) ** 2) + np.trace(s_r) + np.trace(s_g) - 2.0 * _sqrtm_trace(s_r, s_g))


def _polynomial_kernel(x, y, dim):
    # The products in float32 (BLAS's fast path); the cube and the sums in float64.
    k = np.asarray(x @ y.T, np.float64) / dim + 1.0
    return k * k * k


def kernel_distance(real, fake, subsets=100, subset_size=1000, seed=0):
    """The kernel distance (KID): the unbiased estimate of MMD^2 with the
    cubic polynomial kernel k(x, y) = (x.y / d + 1)^3, on `subsets` random
    subsets of `subset_size` from each side (Binkowski et al. 2018, as
    torch-fidelity computes it):

        MMD^2_u = sum_{i != j} [k(x_i, x_j) + k(y_i, y_j)] / (m (m - 1)) - 2 sum_{i,j} k(x_i, y_j) / m^2

    Returns:
        (mean, standard deviation) over the subsets. 0 in expectation for
        equal distributions (a single estimate can be slightly negative).
    """
    real, fake = _pair(real, fake)
    m = min(subset_size, len(real), len(fake))
    if m < 2:
        raise QualityError(f"kernel_distance needs subsets of at least 2; got subset_size={m}")
    rng = np.random.default_rng(seed)
    dim = real.shape[1]
    real, fake = real.astype(np.float32), fake.astype(np.float32)
    estimates = np.empty(subsets)
    for s in range(subsets):
        x = real[rng.choice(len(real), m, replace=False)]
        y = fake[rng.choice(len(fake), m, replace=False)]
        within = _polynomial_kernel(x, x, dim) + _polynomial_kernel(y, y, dim)
        between = _polynomial_kernel(x, y, dim)
        estimates[s] = (within.sum() - np.trace(within)) / (m * (m - 1)) - 2.0 * between.sum() / m**2
    return float(estimates.mean()), float(estimates.std())


def _squared_distances(a, b, chunk=2048):
    """Yields (start, ||a_i - b_j||^2 for rows start..start+chunk of a), float32 products, clamped at 0."""
    a, b = a.astype(np.float32), b.astype(np.float32)
    b_sq = np.sum(b * b, axis=1)
    for start in range(0, len(a), chunk):
        part = a[start:start + chunk]
        yield start, np.maximum(np.sum(part * part, axis=1)[:, None] + b_sq[None] - 2.0 * part @ b.T, 0.0)


def knn_radii(features, k):
    """Each row's squared distance to its k-th nearest other row (the row itself, at distance 0, is not
    counted); with a tuple of k, {k: radii} from one pass."""
    ks = tuple(k) if isinstance(k, (tuple, list)) else (k,)
    if len(features) <= max(ks):
        raise QualityError(f"k-nearest-neighbour radii need more than k={max(ks)} points; got {len(features)}")
    radii = {k_: np.empty(len(features), np.float32) for k_ in ks}
    for start, d2 in _squared_distances(features, features):
        nearest = np.partition(d2, ks, axis=1)
        for k_ in ks:
            radii[k_][start:start + len(d2)] = nearest[:, k_]
    return radii if isinstance(k, (tuple, list)) else radii[k]


def manifold_metrics(real, fake, pr_k=3, dc_k=5, real_radii=None):
    """Precision, recall, density and coverage in one pass over the generated-to-real distances.

    Precision and recall (Kynkaanniemi et al. 2019, k = `pr_k`): each set's
    manifold is the union of balls around its points, each of radius the
    distance to that point's k-th nearest neighbour in the same set.
    precision = the share of generated points inside the real manifold (are
    the samples realistic?); recall = the share of real points inside the
    generated manifold (are all kinds of real data produced?).

    Density and coverage (Naeem et al. 2020, k = `dc_k`), on balls around
    real points only:

        density  = 1 / (k M) sum_j sum_i 1[Y_j in B(X_i, NND_k(X_i))]
        coverage = 1 / N sum_i 1[exists j: Y_j in B(X_i, NND_k(X_i))]

    density is about 1 for samples distributed as the data and above 1 when
    they crowd where real points are dense; coverage, the share of real
    points with a sample nearby, is robust to outliers among the real
    points, unlike recall.

    Args:
        real, fake: Features (N, d) and (M, d).
        real_radii: {k: `knn_radii(real, k)`} computed before (a `Reference`
            keeps them), or None.

    Returns:
        {"precision", "recall", "density", "coverage"}, each a float.
    """
    real, fake = _pair(real, fake, min_rows=max(pr_k, dc_k) + 1)
    real_radii = real_radii if real_radii and {pr_k, dc_k} <= set(real_radii) else knn_radii(real, (pr_k, dc_k))
    real_pr, real_dc = real_radii[pr_k], real_radii[dc_k]
    fake_pr = knn_radii(fake, pr_k)
    realistic, inside_dc = np.zeros(len(fake), bool), np.zeros(len(fake), np.int64)
    recalled, covered = np.zeros(len(real), bool), np.zeros(len(real), bool)
    for start, d2 in _squared_distances(fake, real):  # rows: generated points; columns: real points
        rows = slice(start, start + len(d2))
        realistic[rows] = np.any(d2 <= real_pr[None], axis=1)
        in_dc = d2 <= real_dc[None]
        inside_dc[rows] = np.sum(in_dc, axis=1)
        covered |= np.any(in_dc, axis=0)
        recalled |= np.any(d2 <= fake_pr[rows, None], axis=0)
    return {"precision": float(np.mean(realistic)), "recall": float(np.mean(recalled)),
            "density": float(np.sum(inside_dc) / (dc_k * len(fake))), "coverage": float(np.mean(covered))}


def precision_recall(real, fake, k=3):
    """(precision, recall) of `manifold_metrics` with k nearest neighbours (Kynkaanniemi et al. 2019); both
    in [0, 1], higher is better."""
    result = manifold_metrics(real, fake, pr_k=k, dc_k=k)
    return result["precision"], result["recall"]


def density_coverage(real, fake, k=5):
    """(density, coverage) of `manifold_metrics` with k nearest neighbours (Naeem et al. 2020)."""
    result = manifold_metrics(real, fake, pr_k=k, dc_k=k)
    return result["density"], result["coverage"]


def _probabilities(name, logits):
    logits = _features(name, logits, min_rows=1)
    return special.softmax(logits, axis=1)


def classifier_score(logits):
    """exp(E_x KL(p(y|x) || p(y))), p(y) the mean of p(y|x) over the samples: Salimans et
    al. 2016's Inception score, computed with an MNIST classifier (TF-GAN's `mnist_score`).

    It is the number of classes for confident predictions spread evenly
    over C classes, and 1 for a single class or for predictions that say
    nothing; it looks only at the classifier's outputs, never at real data.
    """
    p = _probabilities("classifier logits", logits)
    marginal = p.mean(axis=0)
    kl = np.sum(special.xlogy(p, p) - special.xlogy(p, marginal[None]), axis=1)
    return float(np.exp(kl.mean()))


def class_histogram(logits, num_classes=None):
    """The share of each predicted class (argmax of the logits), a list summing to 1."""
    logits = _features("classifier logits", logits, min_rows=1)
    num_classes = num_classes or logits.shape[1]
    counts = np.bincount(np.argmax(logits, axis=1), minlength=num_classes)
    return (counts / counts.sum()).tolist()
