"""CIFAR-10 from its canonical binary release, or tensorflow-datasets.

`cifar-10-batches-bin`: `data_batch_1.bin` .. `data_batch_5.bin` and
`test_batch.bin`, each record one label byte and 3,072 pixel bytes in
channel-major order (1,024 red, 1,024 green, 1,024 blue). The python release
is pickles and is never read: unpickling an untrusted file runs code.
Split as the release: train = first 40,000 training images, valid = last 10,000.
"""

import os

import numpy as np

from keras_gan.data.base import DataError, Splits, tfds_arrays

RECORD_BYTES = 1 + 3 * 32 * 32
TRAIN_FILES = [f"data_batch_{i}.bin" for i in range(1, 6)]
TEST_FILE = "test_batch.bin"
NUM_VALID = 10_000


def read_batch_file(path):
    """(images (N, 32, 32, 3) uint8, labels (N,) uint8) from one binary batch file."""
    if not os.path.exists(path):
        raise DataError(f"{path}: no such file (expected the CIFAR-10 binary release: "
                        f"{', '.join(TRAIN_FILES)}, {TEST_FILE})")
    with open(path, "rb") as f:
        buf = f.read()
    if len(buf) == 0 or len(buf) % RECORD_BYTES:
        raise DataError(f"{path}: {len(buf)} bytes is not a whole number of {RECORD_BYTES}-byte CIFAR-10 records")
    records = np.frombuffer(buf, np.uint8).reshape(-1, RECORD_BYTES)
    labels = records[:, 0]
    if labels.max() > 9:
        raise DataError(f"{path}: label {labels.max()} found, expected 0..9 (not a CIFAR-10 batch file?)")
    return records[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), labels


def _splits(train, train_labels, test, test_labels):
    n_valid = NUM_VALID if len(train) == 50_000 else max(1, len(train) // 5)
    return Splits(
        train[:-n_valid], train[-n_valid:], test, train_labels[:-n_valid], train_labels[-n_valid:], test_labels
    )


def load_cifar10_bin(data_dir):
    folder = os.path.join(data_dir, "cifar-10-batches-bin")
    folder = folder if os.path.isdir(folder) else data_dir
    if not os.path.isdir(folder):
        raise DataError(f"--data_dir {data_dir}: no such folder")
    parts = [read_batch_file(os.path.join(folder, name)) for name in TRAIN_FILES]
    test, test_labels = read_batch_file(os.path.join(folder, TEST_FILE))
    return _splits(np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]), test, test_labels)


def load_cifar10_tfds():
    return _splits(*tfds_arrays("cifar10", "--data_dir=DIR with the binary release (cifar-10-batches-bin)"))
