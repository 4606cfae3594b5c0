"""Data sets held in memory, and the input pipeline that feeds Algorithm 1.

Images are kept as uint8 arrays (N, H, W, C) and turned into float32 pixels in
[0, 1] batch by batch. Each epoch is a permutation of indices drawn from a
stateless RNG keyed by (seed, epoch), so the data order of any step is a pure
function of the seed and the step: a resumed run reads exactly the batches an
uninterrupted one would, without a shuffle buffer to refill or to checkpoint.
"""

import dataclasses
import gzip
import os
from typing import Optional

import numpy as np
import tensorflow as tf


class DataError(ValueError):
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
    """uint8 pixels -> float32 in [0, 1]."""
    return np.asarray(images, np.float32) / 255.0


# --- MNIST -----------------------------------------------------------------

MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
_IDX_MAGIC = {3: 2051, 1: 2049}  # unsigned-byte IDX with 3 (images) or 1 (labels) dimensions
MNIST_TRAIN, MNIST_VALID = 50_000, 10_000  # the paper's split of the 60,000 training digits


def _read_bytes(path):
    try:
        if path.endswith(".gz"):
            with gzip.open(path, "rb") as f:
                return f.read()
        with open(path, "rb") as f:
            return f.read()
    except gzip.BadGzipFile:
        raise DataError(f"{path}: not a gzip file (expected a gzipped IDX file)") from None
    except (EOFError, OSError) as e:
        raise DataError(f"{path}: cannot be read ({e.__class__.__name__}: {e})") from None


def read_idx(path, ndim):
    """Reads an unsigned-byte IDX file (LeCun's MNIST format), gzipped or not.

    Args:
        path: The file.
        ndim: Expected number of dimensions (3 for images, 1 for labels).

    Returns:
        A uint8 array of the file's shape.

    Raises:
        DataError: wrong magic number, dimensions or byte length.
    """
    buf = _read_bytes(path)
    magic = int.from_bytes(buf[:4], "big") if len(buf) >= 4 else None
    if magic is not None and magic != _IDX_MAGIC[ndim]:
        raise DataError(
            f"{path}: IDX magic number {magic}, expected {_IDX_MAGIC[ndim]} "
            f"(unsigned bytes, {ndim} dimension{'s' * (ndim > 1)})"
        )
    if len(buf) < 4 + 4 * ndim:
        raise DataError(f"{path}: {len(buf)} bytes is too short for an IDX header with {ndim} dimensions")
    dims = [int.from_bytes(buf[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    header = 4 + 4 * ndim
    expected = header + int(np.prod(dims))
    if len(buf) != expected:
        raise DataError(
            f"{path}: {len(buf)} bytes, expected {expected} for dimensions {dims} "
            f"(truncated or not an IDX file)"
        )
    return np.frombuffer(buf, np.uint8, offset=header).reshape(dims)


def _find(data_dir, stem):
    for name in (stem + ".gz", stem):
        path = os.path.join(data_dir, name)
        if os.path.exists(path):
            return path
    raise DataError(f"{data_dir}: no {stem}.gz (the MNIST IDX files expected: {', '.join(f + '.gz' for f in MNIST_FILES.values())})")


def load_mnist_idx(data_dir):
    """The paper's MNIST splits from the four canonical IDX files in `data_dir`."""
    if not os.path.isdir(data_dir):
        raise DataError(f"--data_dir {data_dir}: no such folder")
    arrays = {}
    for key, stem in MNIST_FILES.items():
        arrays[key] = read_idx(_find(data_dir, stem), 3 if key.endswith("images") else 1)
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.shape[1:] != (28, 28):
            raise DataError(f"{data_dir}: {split} images are {images.shape[1:]}, expected 28 x 28")
        if len(images) != len(labels):
            raise DataError(f"{data_dir}: {len(images)} {split} images but {len(labels)} labels")
    return _mnist_splits(arrays["train_images"], arrays["train_labels"], arrays["test_images"], arrays["test_labels"])


def _mnist_splits(train_images, train_labels, test_images, test_labels):
    n = len(train_images)
    n_valid = MNIST_VALID if n == MNIST_TRAIN + MNIST_VALID else max(1, n // 6)
    images = train_images.reshape(n, 28, 28, 1)
    return Splits(
        train=images[: n - n_valid],
        valid=images[n - n_valid:],
        test=test_images.reshape(-1, 28, 28, 1),
        train_labels=train_labels[: n - n_valid],
        valid_labels=train_labels[n - n_valid:],
        test_labels=test_labels,
    )


def load_mnist_tfds():
    """The paper's MNIST splits through tensorflow-datasets (downloads once)."""
    import tensorflow_datasets as tfds

    try:
        train, test = tfds.load("mnist", split=["train", "test"], as_supervised=True)
    except Exception as e:  # tfds raises many kinds of network and file errors
        first = str(e).strip().splitlines()[0] if str(e).strip() else e.__class__.__name__
        raise DataError(
            f"tensorflow-datasets could not load mnist ({first[:200]}); without network, "
            "pass --data_dir=DIR with the four MNIST IDX .gz files"
        ) from None

    def to_numpy(split):
        batches = list(tfds.as_numpy(split.batch(10_000)))
        return np.concatenate([b[0] for b in batches])[..., 0], np.concatenate([b[1] for b in batches])

    return _mnist_splits(*to_numpy(train), *to_numpy(test))


def load(config):
    """Loads `config.dataset` into memory as `Splits`."""
    if config.dataset == "mnist":
        return load_mnist_idx(config.data_dir) if config.data_dir else load_mnist_tfds()
    raise DataError(f"--dataset {config.dataset!r} is not known")


# --- The pipeline ------------------------------------------------------------


def steps_per_epoch(num_examples, step_batch_size):
    """Iterations of Algorithm 1 per epoch; the last partial batch is dropped."""
    steps = num_examples // step_batch_size
    if steps < 1:
        raise DataError(
            f"the training split has {num_examples} images, fewer than one step's "
            f"{step_batch_size} (batch_size x k_steps)"
        )
    return steps


def training_dataset(images, step_batch_size, seed, start_step=0):
    """An endless `tf.data.Dataset` of float32 batches starting at `start_step`.

    Args:
        images: uint8 array (N, H, W, C), held in memory.
        step_batch_size: Images per step (batch_size * k_steps, global).
        seed: The data-order seed.
        start_step: First step to produce; earlier ones are skipped without
            being read, so resuming costs nothing.
    """
    n = len(images)
    spe = steps_per_epoch(n, step_batch_size)
    images = tf.constant(images)
    start_epoch, offset = divmod(start_step, spe)

    def epoch_indices(epoch):
        perm = tf.random.experimental.stateless_shuffle(
            tf.range(n, dtype=tf.int32), seed=tf.stack([tf.cast(seed, tf.int64), epoch])
        )
        return tf.data.Dataset.from_tensor_slices(tf.reshape(perm[: spe * step_batch_size], (spe, step_batch_size)))

    def gather(indices):
        return tf.cast(tf.gather(images, indices), tf.float32) / 255.0

    return (
        tf.data.Dataset.range(start_epoch, 2**62)
        .flat_map(epoch_indices)
        .skip(offset)
        .map(gather, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .prefetch(tf.data.AUTOTUNE)
    )
