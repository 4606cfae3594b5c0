"""The conditional model p(x | c), the conclusion's first extension."""

import dataclasses
import glob
import os

import numpy as np
import pytest
import tensorflow as tf
from tensorboard.backend.event_processing import event_accumulator

from keras_gan import data, experiment, train_lib
from keras_gan.errors import TrainingError


def test_conditional_model_trains_samples_by_class_and_exports(tiny_config, tmp_path):
    workdir = str(tmp_path / "run")
    cfg = dataclasses.replace(tiny_config, conditional=True, epochs=1, parzen_every=0, grid_size=3)
    result = train_lib.train_and_evaluate(cfg, workdir, verbose=0)
    assert all(np.isfinite(v) for v in result.metrics.values())
    # The sample grid has one row per class (10 classes x 3 samples).
    acc = event_accumulator.EventAccumulator(glob.glob(os.path.join(workdir, "events.out.tfevents.*"))[0],
                                             size_guidance={event_accumulator.TENSORS: 0})
    acc.Reload()
    png = acc.Tensors("samples")[-1].tensor_proto.string_val[2]
    assert tuple(tf.io.decode_png(png).shape) == (10 * 29 + 1, 3 * 29 + 1, 1)
    loaded = tf.saved_model.load(result.export_path)
    z = tf.random.uniform([4, cfg.noise_dim])
    serve = loaded.signatures["serving_default"]
    a = serve(noise=z, label=tf.constant([0, 0, 0, 0]))["images"]
    b = serve(noise=z, label=tf.constant([7, 7, 7, 7]))["images"]
    assert a.shape == (4, 28, 28, 1) and float(tf.reduce_max(tf.abs(a - b))) > 0  # the class changes the image
    sampled = loaded.sample(12, 3)
    np.testing.assert_array_equal(sampled["label"].numpy(), np.arange(12) % 10)


def test_the_discriminator_sees_the_class(tiny_config):
    cfg = dataclasses.replace(tiny_config, conditional=True)
    gan = experiment.build_gan(cfg, data.load(cfg))
    x = np.random.default_rng(0).uniform(size=(3, 28, 28, 1)).astype("float32")
    d0 = gan.discriminate(x, np.zeros(3, np.int32)).numpy()
    d5 = gan.discriminate(x, np.full(3, 5, np.int32)).numpy()
    assert not np.allclose(d0, d5)


def test_conditional_needs_labels(tmp_path, tiny_config, write_tfd):
    write_tfd(tmp_path / "TFD_48x48.mat")  # trains on the unlabeled split: labels are -1
    cfg = dataclasses.replace(tiny_config, dataset="tfd", data_dir=str(tmp_path), conditional=True)
    with pytest.raises(TrainingError, match="--conditional needs class labels"):
        train_lib.train_and_evaluate(cfg, str(tmp_path / "run"), verbose=0)


@pytest.mark.parametrize("update", ["alternating", "simultaneous"])
def test_the_generator_learns_each_class(update, one_dimensional_gan):
    """A two-class 1-D game, p(x | c=0) = N(-2, 0.5^2), p(x | c=1) = N(2, 0.5^2):
    G(z | c) must land on its own class's mean. The game oscillates (about
    +-0.7 around each mean over thousands of steps), so the bound is 1.0, half
    way to the other class: a model that ignored c, or labels shuffled apart
    from their data, puts both classes' means near 0 or on one mode."""
    gan = one_dimensional_gan(num_classes=2, update=update)

    @tf.function
    def train(n):
        for i in tf.range(n):
            seed = tf.stack([tf.cast(i, tf.int64), 7])
            labels = tf.random.stateless_uniform((256,), seed, maxval=2, dtype=tf.int32)
            x = 4.0 * tf.cast(labels, tf.float32)[:, None] - 2.0 + 0.5 * tf.random.stateless_normal((256, 1), seed + 1)
            gan.train_step((x, labels))

    train(tf.constant(1000))
    z = gan.sample_noise(2000, seed=tf.constant([3, 4], tf.int64))
    for c, mean in [(0, -2.0), (1, 2.0)]:
        x = gan.generate(z, tf.fill([2000], c)).numpy().ravel()
        assert abs(x.mean() - mean) < 1.0, (c, x.mean(), x.std())


def test_calling_the_model_generates_for_the_given_classes(tiny_config):
    gan = experiment.build_gan(dataclasses.replace(tiny_config, conditional=True), data.load(tiny_config))
    z = gan.sample_noise(4, seed=tf.constant([1, 2], tf.int64))
    for c in (0, 7):
        labels = tf.fill([4], c)
        np.testing.assert_array_equal(gan(z, labels).numpy(), gan.generate(z, labels).numpy())
    assert not np.allclose(gan(z, tf.fill([4], 0)).numpy(), gan(z, tf.fill([4], 7)).numpy())


def test_grids_draw_one_class_per_row(tiny_config):
    gan = experiment.build_gan(dataclasses.replace(tiny_config, conditional=True), data.load(tiny_config))
    np.testing.assert_array_equal(gan.grid_labels(12, 2).numpy(), np.repeat(np.arange(12) % 10, 2))
    assert experiment.build_gan(tiny_config, data.load(tiny_config)).grid_labels(3, 2) is None
