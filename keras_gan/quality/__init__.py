"""Sample quality that a likelihood cannot fake: distances in an MNIST classifier's feature space.

The Parzen estimate of Table 1 rewards samples that sit close to test
digits in pixel space, and a blurred digit sits close to many: blurrier
generators can score higher. These metrics compare real and generated
images through the features of a classifier trained on MNIST
(`classifier`, shipped with the package and checked by SHA-256), where a
blurred digit is far from every real one:

    fd                    Frechet distance of Gaussians fitted to the features (lower is better)
    kid, kid_std          kernel distance, unbiased MMD^2 with a cubic kernel, over subsets (lower)
    precision, recall     k = 3 nearest-neighbour manifolds: realism, and how much of the data is produced
    density, coverage     k = 5 balls around real features only
    classifier_score      exp(E KL(p(y|x) || p(y))) of the classifier's outputs (10 at most, higher)
    class_histogram       the samples' predicted classes, beside the real images' (`real_class_histogram`)

Formulas and sources: `metrics`. Table 1's rows compare 10,000 samples with
the 10,000 t10k digits; anything that selects (the validation monitor,
`--select_by=fd`) compares with validation digits.

Only MNIST has features here: for other data sets (CIFAR-10, TFD, image
folders) the classifier means nothing, and `check_dataset` says so.
"""

import dataclasses

import numpy as np

from keras_gan.quality import metrics
from keras_gan.quality.metrics import QualityError

PRECISION_RECALL_K, DENSITY_COVERAGE_K = 3, 5  # the papers' choices
KEYS = ("fd", "kid", "kid_std", "precision", "recall", "density", "coverage", "classifier_score")


def check_dataset(dataset, image_shape=None, preprocess="unit"):
    """Raises `QualityError` unless the images are MNIST digits in [0, 1] (what the classifier knows)."""
    if dataset != "mnist" or preprocess != "unit" or (image_shape is not None and tuple(image_shape) != (28, 28, 1)):
        raise QualityError(
            f"sample quality is measured with an MNIST classifier's features, which mean nothing for "
            f"--dataset={dataset}; use --method=parzen (FID on InceptionV3 features, the standard for colour "
            "images, needs weights that cannot be downloaded here)")


@dataclasses.dataclass
class QualityResult:
    """One set of samples against one set of real images."""

    fd: float
    kid: float
    kid_std: float
    precision: float
    recall: float
    density: float
    coverage: float
    classifier_score: float
    class_histogram: list
    real_class_histogram: list
    n_generated: int
    n_real: int
    classifier_sha256: str

    def to_dict(self):
        return dataclasses.asdict(self)


class Reference:
    """Real images' features, computed once, to score many sets of samples against.

    Args:
        images: Real MNIST digits (n, 28, 28, 1) (or (n, 784)) in [0, 1], or uint8.
        extractor: A `classifier.FeatureExtractor` (default: the shipped classifier).
        kid_subsets, kid_subset_size: KID's subsets (torch-fidelity's defaults: 100 of 1,000).
        seed: Seeds KID's subsets.
    """

    def __init__(self, images, extractor=None, kid_subsets=100, kid_subset_size=1000, seed=0):
        from keras_gan.data import to_float
        from keras_gan.quality import classifier

        self.extractor = extractor or classifier.FeatureExtractor()
        self.features, logits = self.extractor(to_float(images))
        self.class_histogram = metrics.class_histogram(logits)
        self.radii = metrics.knn_radii(self.features, (PRECISION_RECALL_K, DENSITY_COVERAGE_K))
        self.kid_subsets, self.kid_subset_size, self.seed = kid_subsets, kid_subset_size, seed

    def score(self, samples):
        """A `QualityResult` for generated images `samples` (same layout as the real ones, in [0, 1])."""
        samples = np.asarray(samples, np.float32)
        if samples.size and (not np.all(np.isfinite(samples)) or samples.min() < 0.0 or samples.max() > 1.0):
            raise QualityError(f"samples must be finite pixels in [0, 1]; got range [{samples.min()}, "
                               f"{samples.max()}]")
        features, logits = self.extractor(samples)
        kid, kid_std = metrics.kernel_distance(self.features, features, self.kid_subsets, self.kid_subset_size,
                                               self.seed)
        manifold = metrics.manifold_metrics(self.features, features, PRECISION_RECALL_K, DENSITY_COVERAGE_K,
                                            self.radii)
        return QualityResult(
            fd=metrics.frechet_distance(self.features, features), kid=kid, kid_std=kid_std, **manifold,
            classifier_score=metrics.classifier_score(logits),
            class_histogram=metrics.class_histogram(logits, len(self.class_histogram)),
            real_class_histogram=self.class_histogram, n_generated=len(features), n_real=len(self.features),
            classifier_sha256=self.extractor.sha256)


def evaluate(samples, real, extractor=None, **kwargs):
    """`Reference(real, extractor, **kwargs).score(samples)`: one set of samples against real images."""
    return Reference(real, extractor, **kwargs).score(samples)


__all__ = ["KEYS", "QualityError", "QualityResult", "Reference", "check_dataset", "evaluate", "metrics"]
