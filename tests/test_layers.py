import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gan.layers import Maxout, ScaledDropout


def test_maxout_groups_contiguous_columns_like_pylearn2():
    layer = Maxout(3, 4, kernel_initializer="random_normal", bias_initializer="random_normal")
    x = np.random.default_rng(0).normal(size=(5, 7)).astype("float32")
    out = layer(x).numpy()
    z = x @ layer.kernel.numpy() + layer.bias.numpy()
    expected = np.stack([z[:, u * 4:(u + 1) * 4].max(axis=1) for u in range(3)], axis=1)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    # An interleaved grouping (column u + 3 * p) would give other values.
    interleaved = z.reshape(5, 4, 3).max(axis=1)
    assert not np.allclose(out, interleaved)


def test_maxout_max_col_norm_bounds_every_column_after_an_update():
    layer = Maxout(4, 3, kernel_initializer=keras.initializers.Constant(1.0), max_col_norm=0.5)
    x = np.ones((2, 6), "float32")
    layer(x)
    optimizer = keras.optimizers.SGD(0.1)
    optimizer.apply_gradients([(np.ones_like(layer.kernel.numpy()), layer.kernel),
                               (np.zeros(12, "float32"), layer.bias)])
    norms = np.linalg.norm(layer.kernel.numpy(), axis=0)
    np.testing.assert_allclose(norms, 0.5, rtol=1e-4)


@pytest.mark.parametrize("kwargs", [dict(units=0, num_pieces=2), dict(units=3, num_pieces=0),
                                    dict(units=3, num_pieces=2, max_col_norm=-1.0)])
def test_maxout_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError, match="Received"):
        Maxout(**kwargs)


def test_scaled_dropout_statistics_at_training_time():
    layer = ScaledDropout(include_prob=0.8, scale=1.25, seed=1)
    x = np.ones((2000, 50), "float32")
    out = layer(x, training=True).numpy()
    kept = out != 0
    assert abs(kept.mean() - 0.8) < 0.01
    np.testing.assert_allclose(out[kept], 1.25)
    # Each example has its own mask.
    assert (kept[0] != kept[1]).any()


@pytest.mark.parametrize("include_prob", [0.5, 0.8, 0.3])
@pytest.mark.parametrize("shape", [(400, 240), (300, 7, 5, 3), (200, 33)])
def test_masks_cut_from_random_words_are_independent_fair_draws(include_prob, shape):
    """The bit-unpacked masks: the mean within 4 standard errors of the (16-bit) probability, no correlation
    between neighbouring entries (the bits of one word, and the last bit of a word with the next word's first),
    and every entry of every example used, in any shape."""
    from keras_gan.layers import bernoulli_mask

    keep = bernoulli_mask(shape, include_prob, tf.constant([3, 4], tf.int64)).numpy()
    assert keep.shape == shape and keep.dtype == bool
    p = include_prob if include_prob == 0.5 else round(include_prob * 65536) / 65536
    flat = keep.reshape(shape[0], -1).astype(np.float64)
    n = flat.size
    assert abs(flat.mean() - p) < 4 * np.sqrt(p * (1 - p) / n)
    for lag in [lag for lag in (1, 2, 16, 31, 32, 33) if lag < flat.shape[1]]:
        a, b = flat[:, :-lag].ravel(), flat[:, lag:].ravel()
        assert abs(np.corrcoef(a, b)[0, 1]) < 4 / np.sqrt(len(a)), lag
    assert abs(np.corrcoef(flat[:-1].ravel(), flat[1:].ravel())[0, 1]) < 4 / np.sqrt(n)  # example to example
    assert 0 < flat[:, -1].mean() < 1  # the last entries (a word's padding is cut off, not the data)


def test_scaled_dropout_is_identity_at_inference():
    layer = ScaledDropout(include_prob=0.5, scale=2.0, seed=1)
    x = np.random.default_rng(0).normal(size=(4, 9)).astype("float32")
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x)
    np.testing.assert_array_equal(layer(x).numpy(), x)


@pytest.mark.parametrize("kwargs", [dict(include_prob=0.0, scale=1.0), dict(include_prob=1.5, scale=1.0),
                                    dict(include_prob=0.5, scale=0.0)])
def test_scaled_dropout_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError, match="Received"):
        ScaledDropout(**kwargs)


def test_layers_survive_a_keras_file_round_trip(tmp_path):
    inputs = keras.Input((10,))
    h = ScaledDropout(0.8, 1.25, seed=3)(inputs)
    h = Maxout(4, 3, max_col_norm=1.9365)(h)
    model = keras.Model(inputs, keras.layers.Dense(1)(h))
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    x = np.random.default_rng(0).normal(size=(3, 10)).astype("float32")
    np.testing.assert_allclose(loaded(x).numpy(), model(x).numpy(), rtol=1e-6)
    maxout = [layer for layer in loaded.layers if isinstance(layer, Maxout)][0]
    dropout = [layer for layer in loaded.layers if isinstance(layer, ScaledDropout)][0]
    assert (maxout.units, maxout.num_pieces, maxout.max_col_norm) == (4, 3, 1.9365)
    assert (dropout.include_prob, dropout.scale) == (0.8, 1.25)


def test_maxout_conv_groups_contiguous_channels_and_pads():
    from keras_gan.layers import MaxoutConv2D

    layer = MaxoutConv2D(3, 2, kernel_size=3, pad=1, kernel_initializer="random_normal",
                         bias_initializer="random_normal")
    x = np.random.default_rng(0).normal(size=(2, 5, 5, 4)).astype("float32")
    out = layer(x).numpy()
    assert out.shape == (2, 5, 5, 3)
    z = layer.conv(np.pad(x, [(0, 0), (1, 1), (1, 1), (0, 0)])).numpy()
    np.testing.assert_allclose(out, np.stack([z[..., 2 * u:2 * u + 2].max(-1) for u in range(3)], -1), rtol=1e-5)
    assert layer.compute_output_shape((None, 5, 5, 4)) == (None, 5, 5, 3)


def test_maxout_conv_round_trip(tmp_path):
    from keras_gan.layers import MaxoutConv2D

    inputs = keras.Input((8, 8, 3))
    model = keras.Model(inputs, MaxoutConv2D(4, 2, 3, pad=2)(inputs))
    model.save(tmp_path / "c.keras")
    loaded = keras.saving.load_model(tmp_path / "c.keras")
    x = np.random.default_rng(0).normal(size=(1, 8, 8, 3)).astype("float32")
    np.testing.assert_allclose(loaded(x).numpy(), model(x).numpy(), rtol=1e-6)


def test_sparse_init_has_k_nonzero_weights_per_unit():
    from keras_gan.layers import SparseInit

    w = SparseInit(5, seed=0)((40, 7)).numpy()
    assert ((w != 0).sum(axis=0) == 5).all()


def test_instance_noise_adds_gaussian_noise_at_training_time_only():
    from keras_gan.layers import InstanceNoise

    layer = InstanceNoise(0.1, seed=1)
    x = np.full((500, 40), 0.3, "float32")
    noisy = layer(x, training=True).numpy() - 0.3
    assert abs(noisy.mean()) < 4 * 0.1 / np.sqrt(noisy.size) and noisy.std() == pytest.approx(0.1, rel=0.02)
    assert not np.allclose(noisy[0], noisy[1])  # each example its own noise
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x)
    np.testing.assert_array_equal(InstanceNoise(0.0)(x, training=True).numpy(), x)
    with pytest.raises(ValueError, match="Received: stddev=-1"):
        InstanceNoise(-1.0)
    assert InstanceNoise.from_config(layer.get_config()).stddev == 0.1


def test_d_with_input_noise_sees_noisy_images_and_keeps_the_variables_of_one_without():
    from keras_gan.networks import Discriminator

    plain, noisy = Discriminator((8,), 2, seed=0), Discriminator((8,), 2, seed=0, input_noise=0.5)
    x = np.full((4, 4, 4, 1), 0.5, "float32")
    plain(x), noisy(x)
    assert [w.path.split("/", 1)[1] for w in plain.weights] == [w.path.split("/", 1)[1] for w in noisy.weights
                                                                if "noise" not in w.path]
    np.testing.assert_allclose(plain(x).numpy(), noisy(x).numpy())  # no noise at inference
    for layer in noisy.dropouts:
        layer.include_prob, layer.scale = 1.0, 1.0
    assert not np.allclose(noisy(x, training=True).numpy(), noisy(x, training=True).numpy())
