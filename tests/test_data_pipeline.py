"""keras_gan/data/__init__.py: `load`'s dispatch (and tensorflow-datasets through a mock), `Preprocessing`,
`steps_per_epoch` and the `training_dataset` pipeline."""

import dataclasses

import numpy as np
import pytest
import tensorflow_datasets as tfds

from keras_gan import data
from keras_gan.config import Config


def test_tfds_path_on_mock_data():
    with tfds.testing.mock_data(num_examples=60):
        splits = data.load(Config(dataset="mnist", data_dir=None))
    assert splits.train.shape[1:] == (28, 28, 1) and len(splits.train) + len(splits.valid) == 60
    assert splits.test.shape[1:] == (28, 28, 1)


def test_tfd_and_folder_need_a_data_dir():
    for name in ("tfd", "folder"):
        with pytest.raises(data.DataError, match="needs --data_dir"):
            data.load(dataclasses.replace(Config(), dataset=name))


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
