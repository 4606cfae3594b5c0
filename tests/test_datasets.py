"""TFD, CIFAR-10 and image-folder loaders: happy paths and bad inputs, on files the tests write."""

import dataclasses
import os

import h5py
import numpy as np
import pytest
import scipy.io
import tensorflow as tf

from keras_gan import data
from keras_gan.data import cifar10, tfd


def write_tfd(path, n=60, size=48, folds=None, drop=(), images=None, v73=False):
    rng = np.random.default_rng(0)
    if folds is None:
        folds = np.zeros((n, 5), np.int64)
        folds[20:30], folds[30:40], folds[40:50] = 1, 2, 3
    mat = {"images": images if images is not None else rng.integers(0, 256, (n, size, size)).astype(np.uint8),
           "folds": folds, "labs_ex": np.full((n, 1), -1), "labs_id": np.zeros((n, 1))}
    for key in drop:
        del mat[key]
    if not v73:
        scipy.io.savemat(path, mat)
        return
    # MATLAB v7.3: a 512-byte MATLAB header in the userblock of an HDF5 file, arrays stored transposed.
    with h5py.File(path, "w", userblock_size=512) as f:
        for k, v in mat.items():
            f[k] = np.asarray(v).T
    header = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Thu Nov 26 2026 HDF5 schema 1.00 ."
    with open(path, "r+b") as f:
        f.write(header.ljust(116, b" ") + b"\0" * 8 + b"\x00\x02" + b"IM")


def test_tfd_splits_follow_the_fold_codes(tmp_path):
    write_tfd(tmp_path / "TFD_48x48.mat")
    splits = data.load_tfd(str(tmp_path), fold=0, train_split="unlabeled")
    assert splits.train.shape == (30, 48, 48, 1) and splits.valid.shape == (10, 48, 48, 1) and splits.test.shape == (10, 48, 48, 1)
    assert len(data.load_tfd(str(tmp_path), fold=0, train_split="full_train").train) == 20


def test_tfd_v73_files_are_read_with_h5py(tmp_path):
    write_tfd(tmp_path / "TFD_48x48.mat", v73=True)
    with pytest.raises(NotImplementedError):
        scipy.io.loadmat(tmp_path / "TFD_48x48.mat")  # what a user of scipy alone would hit
    plain = tmp_path / "plain"
    plain.mkdir()
    write_tfd(plain / "TFD_48x48.mat")
    np.testing.assert_array_equal(data.load_tfd(str(tmp_path)).test, data.load_tfd(str(plain)).test)


@pytest.mark.parametrize("kwargs,message", [
    (dict(drop=("folds",)), "missing key folds"),
    (dict(images=np.zeros((60, 32, 32), np.uint8)), r"images have shape \(60, 32, 32\), expected \(N, 48, 48\)"),
    (dict(folds=np.full((60, 5), 7)), r"fold codes \[7\] found"),
    (dict(folds=np.zeros((60, 3))), r"folds have shape \(60, 3\)"),
])
def test_tfd_bad_files(tmp_path, kwargs, message):
    write_tfd(tmp_path / "TFD_48x48.mat", **kwargs)
    with pytest.raises(data.DataError, match=message):
        data.load_tfd(str(tmp_path))


def test_tfd_missing_and_garbage_files(tmp_path):
    with pytest.raises(data.DataError, match="TFD_48x48.mat: no such file"):
        data.load_tfd(str(tmp_path))
    (tmp_path / "TFD_48x48.mat").write_bytes(b"garbage" * 100)
    with pytest.raises(data.DataError, match="not a readable MATLAB"):
        data.load_tfd(str(tmp_path))


def write_cifar(folder, per_file=12, test=10, corrupt=None):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for name, n in [(f, per_file) for f in cifar10.TRAIN_FILES] + [(cifar10.TEST_FILE, test)]:
        labels = rng.integers(0, 10, (n, 1), dtype=np.uint8)
        pixels = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        (folder / name).write_bytes(np.concatenate([labels, pixels], axis=1).tobytes())
    return folder


def test_cifar10_binary_records_are_channel_major(tmp_path):
    folder = write_cifar(tmp_path / "cifar-10-batches-bin")
    record = np.frombuffer((folder / "test_batch.bin").read_bytes()[:3073], np.uint8)
    splits = data.load_cifar10_bin(str(tmp_path))
    assert splits.train.shape == (48, 32, 32, 3) and splits.valid.shape == (12, 32, 32, 3)
    np.testing.assert_array_equal(splits.test[0, :, :, 0].ravel(), record[1:1025])  # red plane first
    np.testing.assert_array_equal(splits.test[0, :, :, 2].ravel(), record[2049:])
    assert splits.test_labels[0] == record[0]


def test_cifar10_wrong_length_and_missing_file(tmp_path):
    folder = write_cifar(tmp_path / "c")
    with open(folder / "data_batch_3.bin", "ab") as f:
        f.write(b"\0" * 10)
    with pytest.raises(data.DataError, match="data_batch_3.bin: .* not a whole number of 3073-byte"):
        data.load_cifar10_bin(str(folder))
    os.remove(folder / "test_batch.bin")
    os.remove(folder / "data_batch_3.bin")
    with pytest.raises(data.DataError, match="data_batch_3.bin: no such file"):
        data.load_cifar10_bin(str(folder))


def write_png(path, value, size=20, channels=3):
    image = np.full((size, size, channels), value, np.uint8)
    path.write_bytes(tf.io.encode_png(image).numpy())


def test_image_folder_with_classes_resizes_and_skips_non_images(tmp_path, caplog):
    for c, cls in enumerate(("cat", "dog")):
        (tmp_path / cls).mkdir()
        for i in range(6):
            write_png(tmp_path / cls / f"{i}.png", 40 * c + i)
    (tmp_path / "cat" / "notes.txt").write_text("not an image")
    (tmp_path / "dog" / "broken.png").write_bytes(b"not a png")
    splits = data.load_folder(str(tmp_path), image_size=8, channels=1)
    assert splits.train.shape[1:] == (8, 8, 1)
    # Without a test/ folder, validation (sigma is chosen on it) and test are two separate held-out parts.
    assert (len(splits.train), len(splits.valid), len(splits.test)) == (10, 1, 1)
    pixels = lambda split: {int(x.max()) for x in split}  # noqa: E731  (every image has its own value)
    assert len(pixels(splits.train) | pixels(splits.valid) | pixels(splits.test)) == 12
    assert set(np.unique(np.concatenate([splits.train_labels, splits.valid_labels, splits.test_labels]))) == {0, 1}
    assert any("skipped 2 of 14 files" in r.getMessage() for r in caplog.records)


def test_image_folder_with_train_and_test(tmp_path):
    for split, n in (("train", 20), ("test", 4)):
        (tmp_path / split / "a").mkdir(parents=True)
        for i in range(n):
            write_png(tmp_path / split / "a" / f"{i}.png", i)
    splits = data.load_folder(str(tmp_path), image_size=16)
    assert (len(splits.train), len(splits.valid), len(splits.test)) == (18, 2, 4)
    assert splits.train.shape[1:] == (16, 16, 3)


def test_empty_image_folder_is_an_error(tmp_path):
    (tmp_path / "readme.txt").write_text("hello")
    with pytest.raises(data.DataError, match="no images found"):
        data.load_folder(str(tmp_path))
    with pytest.raises(data.DataError, match="no such folder"):
        data.load_folder(str(tmp_path / "missing"))


def test_gcn_gives_zero_mean_and_norm_55_and_an_approximate_inverse():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (50, 4, 4, 3)).astype(np.uint8)
    prep = data.Preprocessing("gcn", images)
    x = prep.forward(data.to_float(images)).numpy().reshape(50, -1)
    np.testing.assert_allclose(x.mean(axis=1), 0.0, atol=1e-4)
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 55.0, rtol=1e-4)
    back = prep.inverse(x.reshape(50, 4, 4, 3))
    assert back.min() >= 0.0 and back.max() <= 1.0
    assert abs(back.mean() - data.to_float(images).mean()) < 0.02


def test_tfd_and_folder_need_a_data_dir():
    from keras_gan.config import Config

    for name in ("tfd", "folder"):
        with pytest.raises(data.DataError, match="needs --data_dir"):
            data.load(dataclasses.replace(Config(), dataset=name))
