"""MNIST: the four canonical IDX files, or tensorflow-datasets."""

import gzip
import os

import numpy as np

from keras_gan.data.base import DataError, Splits, tfds_arrays

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
    raise DataError(
        f"{data_dir}: no {stem}.gz (the MNIST IDX files expected: {', '.join(f + '.gz' for f in MNIST_FILES.values())})"
    )


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
        valid=images[n - n_valid :],
        test=test_images.reshape(-1, 28, 28, 1),
        train_labels=train_labels[: n - n_valid],
        valid_labels=train_labels[n - n_valid :],
        test_labels=test_labels,
    )


def load_mnist_tfds():
    """The paper's MNIST splits through tensorflow-datasets (downloads once)."""
    train, train_labels, test, test_labels = tfds_arrays("mnist", "--data_dir=DIR with the four MNIST IDX .gz files")
    return _mnist_splits(train[..., 0], train_labels, test[..., 0], test_labels)
