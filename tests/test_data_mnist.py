"""keras_gan/data/mnist.py: the IDX reader and MNIST's splits, on files the tests write."""

import gzip
import shutil

import numpy as np
import pytest

from keras_gan import data


def test_idx_files_load_into_the_papers_splits(mnist_dir):
    splits = data.load_mnist_idx(mnist_dir)
    # 240 training digits: the last sixth is the validation split (the paper's 50,000 / 10,000).
    assert splits.train.shape == (200, 28, 28, 1) and splits.valid.shape == (40, 28, 28, 1)
    assert splits.test.shape == (40, 28, 28, 1)
    assert splits.train.dtype == np.uint8
    assert len(splits.train_labels) == 200 and len(splits.test_labels) == 40


def test_full_size_mnist_uses_50000_and_10000():
    images = np.zeros((60000, 28, 28), np.uint8)
    images[50000:] = 1
    splits = data._mnist_splits(images, np.zeros(60000), np.zeros((10, 28, 28), np.uint8), np.zeros(10))
    assert len(splits.train) == 50000 and len(splits.valid) == 10000
    assert splits.train.max() == 0 and splits.valid.min() == 1


def test_uncompressed_idx_is_read_too(tmp_path, write_idx):
    array = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    write_idx(tmp_path / "x", array, compress=False)
    np.testing.assert_array_equal(data.read_idx(str(tmp_path / "x"), 3), array)


# An IDX header of 3 images of 28 x 28, followed by 100 bytes where 3 x 784 are due.
TRUNCATED = (2051).to_bytes(4, "big") + (3).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2 + b"\0" * 100


@pytest.mark.parametrize("corrupt,message", [
    (lambda p, write_idx: write_idx(p, np.zeros((3, 28, 28)), magic=1234), "magic number 1234, expected 2051"),
    (lambda p, write_idx: p.write_bytes(gzip.compress(TRUNCATED)), "truncated"),
    (lambda p, write_idx: p.write_bytes(b"this is not gzip at all"), "not a gzip file"),
    (lambda p, write_idx: write_idx(p, np.zeros(3)), "magic number 2049, expected 2051"),
    (lambda p, write_idx: p.write_bytes(gzip.compress(b"\0\0")), "too short"),
])
def test_corrupt_idx_files_give_a_clear_error(tmp_path, mnist_dir, write_idx, corrupt, message):
    for name in data.MNIST_FILES.values():
        shutil.copy(f"{mnist_dir}/{name}.gz", tmp_path / f"{name}.gz")
    corrupt(tmp_path / "train-images-idx3-ubyte.gz", write_idx)
    with pytest.raises(data.DataError, match=message) as info:
        data.load_mnist_idx(str(tmp_path))
    assert "train-images-idx3-ubyte.gz" in str(info.value)
    assert "\n" not in str(info.value)


def test_wrong_image_size_is_reported(tmp_path, mnist_dir, write_idx):
    for name in data.MNIST_FILES.values():
        shutil.copy(f"{mnist_dir}/{name}.gz", tmp_path / f"{name}.gz")
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", np.zeros((40, 32, 32)))
    with pytest.raises(data.DataError, match="expected 28 x 28"):
        data.load_mnist_idx(str(tmp_path))


def test_missing_folder_and_missing_file(tmp_path):
    with pytest.raises(data.DataError, match="no such folder"):
        data.load_mnist_idx(str(tmp_path / "nope"))
    with pytest.raises(data.DataError, match="no train-images-idx3-ubyte.gz"):
        data.load_mnist_idx(str(tmp_path))
