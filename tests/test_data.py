import gzip

import numpy as np
import pytest
import tensorflow_datasets as tfds

from conftest import write_idx
from keras_gan import data
from keras_gan.config import Config


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


def test_uncompressed_idx_is_read_too(tmp_path):
    array = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    write_idx(tmp_path / "x", array, compress=False)
    np.testing.assert_array_equal(data.read_idx(str(tmp_path / "x"), 3), array)


@pytest.mark.parametrize("corrupt,message", [
    (lambda p: write_idx(p, np.zeros((3, 28, 28)), magic=1234), "magic number 1234, expected 2051"),
    (lambda p: p.write_bytes(gzip.compress((2051).to_bytes(4, "big") + (3).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2 + b"\0" * 100)), "truncated"),
    (lambda p: p.write_bytes(b"this is not gzip at all"), "not a gzip file"),
    (lambda p: write_idx(p, np.zeros(3)), "magic number 2049, expected 2051"),
    (lambda p: p.write_bytes(gzip.compress(b"\0\0")), "too short"),
])
def test_corrupt_idx_files_give_a_clear_error(tmp_path, mnist_dir, corrupt, message):
    import shutil

    for name in data.MNIST_FILES.values():
        shutil.copy(f"{mnist_dir}/{name}.gz", tmp_path / f"{name}.gz")
    corrupt(tmp_path / "train-images-idx3-ubyte.gz")
    with pytest.raises(data.DataError, match=message) as info:
        data.load_mnist_idx(str(tmp_path))
    assert "train-images-idx3-ubyte.gz" in str(info.value)
    assert "\n" not in str(info.value)


def test_wrong_image_size_is_reported(tmp_path, mnist_dir):
    import shutil

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


def test_tfds_path_on_mock_data():
    with tfds.testing.mock_data(num_examples=60):
        splits = data.load(Config(dataset="mnist", data_dir=None))
    assert splits.train.shape[1:] == (28, 28, 1) and len(splits.train) + len(splits.valid) == 60
    assert splits.test.shape[1:] == (28, 28, 1)


def test_pipeline_yields_every_image_once_per_epoch_in_a_new_order():
    images = np.arange(60, dtype=np.uint8).reshape(60, 1, 1, 1)
    batches = [b.numpy() for b in data.training_dataset(images, 20, seed=1).take(6)]
    assert batches[0].dtype == np.float32 and batches[0].shape == (20, 1, 1, 1)
    epoch1, epoch2 = [np.round(np.concatenate(batches[i:i + 3]).ravel() * 255).astype(int) for i in (0, 3)]
    assert sorted(epoch1) == list(range(60)) and sorted(epoch2) == list(range(60))
    assert list(epoch1) != list(epoch2)


def test_pipeline_resumes_at_any_step_with_the_same_batches():
    images = np.arange(50, dtype=np.uint8).reshape(50, 1, 1, 1)
    whole = [b.numpy() for b in data.training_dataset(images, 10, seed=4).take(12)]
    resumed = [b.numpy() for b in data.training_dataset(images, 10, seed=4, start_step=7).take(5)]
    for a, b in zip(whole[7:], resumed):
        np.testing.assert_array_equal(a, b)


def test_too_few_images_for_one_step():
    with pytest.raises(data.DataError, match="fewer than one step"):
        data.steps_per_epoch(10, 20)
