"""What every data set shares: the error type and the in-memory splits."""

import dataclasses
from typing import Optional

import numpy as np

from keras_gan.errors import UserError


class DataError(UserError, ValueError):
    """A data file or folder is missing or not what it should be; the message names it."""


@dataclasses.dataclass
class Splits:
    """The paper's splits as uint8 images (N, H, W, C) and int labels."""

    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray
    train_labels: Optional[np.ndarray] = None
    valid_labels: Optional[np.ndarray] = None
    test_labels: Optional[np.ndarray] = None

    @property
    def image_shape(self):
        return self.train.shape[1:]


def to_float(images):
    """uint8 pixels -> float32 in [0, 1]; real-valued data (float arrays) as they are."""
    if np.asarray(images).dtype != np.uint8:
        return np.asarray(images, np.float32)
    return np.asarray(images, np.float32) / 255.0


def gaussian_1d(mean, std, seed, sizes=(50_000, 10_000, 10_000)):
    """Figure 1's data: x ~ N(mean, std^2), shape (N, 1) float32 per split."""
    rng = np.random.default_rng(seed)
    train, valid, test = (rng.normal(mean, std, (n, 1)).astype(np.float32) for n in sizes)
    return Splits(train, valid, test)




def tfds_arrays(name, offline_hint):
    """(train images, train labels, test images, test labels) of a
    tensorflow-datasets image data set, as numpy arrays."""
    import tensorflow_datasets as tfds

    try:
        train, test = tfds.load(name, split=["train", "test"], as_supervised=True)
    except Exception as e:  # tfds raises many kinds of network and file errors
        first = str(e).strip().splitlines()[0] if str(e).strip() else e.__class__.__name__
        raise DataError(
            f"tensorflow-datasets could not load {name} ({first[:200]}); without network, pass {offline_hint}"
        ) from None

    def to_numpy(split):
        batches = list(tfds.as_numpy(split.batch(10_000)))
        return np.concatenate([b[0] for b in batches]), np.concatenate([b[1] for b in batches])

    return (*to_numpy(train), *to_numpy(test))
