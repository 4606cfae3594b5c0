"""keras_gan/data/cifar10.py: CIFAR-10's binary release, on files the tests write."""

import os

import numpy as np
import pytest

from keras_gan import data


def test_cifar10_binary_records_are_channel_major(tmp_path, write_cifar):
    folder = write_cifar(tmp_path / "cifar-10-batches-bin")
    record = np.frombuffer((folder / "test_batch.bin").read_bytes()[:3073], np.uint8)
    splits = data.load_cifar10_bin(str(tmp_path))
    assert splits.train.shape == (48, 32, 32, 3) and splits.valid.shape == (12, 32, 32, 3)
    np.testing.assert_array_equal(splits.test[0, :, :, 0].ravel(), record[1:1025])  # red plane first
    np.testing.assert_array_equal(splits.test[0, :, :, 2].ravel(), record[2049:])
    assert splits.test_labels[0] == record[0]


def test_cifar10_wrong_length_and_missing_file(tmp_path, write_cifar):
    folder = write_cifar(tmp_path / "c")
    with open(folder / "data_batch_3.bin", "ab") as f:
        f.write(b"\0" * 10)
    with pytest.raises(data.DataError, match="data_batch_3.bin: .* not a whole number of 3073-byte"):
        data.load_cifar10_bin(str(folder))
    os.remove(folder / "test_batch.bin")
    os.remove(folder / "data_batch_3.bin")
    with pytest.raises(data.DataError, match="data_batch_3.bin: no such file"):
        data.load_cifar10_bin(str(folder))
