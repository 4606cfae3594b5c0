"""G and D as the release builds them: D's dropout on every layer's input,
the initial weight ranges, and G's output bias from the pixel marginals."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gan import data, experiment, train_lib
from keras_gan.config import Config
from keras_gan.layers import Maxout
from keras_gan.networks import ConvGenerator

MNIST_PIXELS = 28 * 28
# (include probability, scale) on the input of D's first maxout layer, second maxout layer and sigmoid unit.
RELEASE_DROPOUT = [(0.8, 1.25), (0.5, 2.0), (0.5, 2.0)]


def mnist_gan(mnist_dir):
    """The MNIST experiment's model (the `Config` defaults are flags/mnist.cfg), over the tiny IDX files."""
    config = Config(data_dir=mnist_dir)
    return experiment.build_gan(config, data.load(config))


def set_to_averaging(discriminator):
    """Every maxout unit outputs the mean of its layer's input, and the logit is the mean of the last
    maxout layer's units: with all-ones images and no dropout every logit is 1."""
    for layer in discriminator.maxouts + [discriminator.out]:
        fan_in = layer.kernel.shape[0]
        layer.kernel.assign(np.full(layer.kernel.shape, 1.0 / fan_in, "float32"))
        layer.bias.assign(np.zeros(layer.bias.shape, "float32"))


def test_d_has_one_dropout_per_layer_input_with_the_release_probabilities_and_scales(mnist_dir):
    discriminator = mnist_gan(mnist_dir).discriminator
    assert len(discriminator.dropouts) == len(discriminator.maxout_units) + 1
    assert [(d.include_prob, d.scale) for d in discriminator.dropouts] == RELEASE_DROPOUT


@pytest.mark.parametrize("layer", [0, 1, 2], ids=["data_input", "maxout_1_input", "sigmoid_input"])
def test_d_call_masks_each_layer_input_per_value_and_scales_the_kept_ones(mnist_dir, layer):
    """Only dropout `layer` is left on and the network averages, so each example's logit is
    scale * kept / width of that layer's input. It is 1 for every example if the call skips the
    dropout, since scale = 1 / include_prob."""
    discriminator = mnist_gan(mnist_dir).discriminator
    set_to_averaging(discriminator)
    for i, dropout in enumerate(discriminator.dropouts):
        if i != layer:
            dropout.include_prob, dropout.scale = 1.0, 1.0
    include_prob, scale = RELEASE_DROPOUT[layer]
    width = (MNIST_PIXELS, 240, 240)[layer]
    n = 2000
    images = np.ones((n, 28, 28, 1), "float32")

    np.testing.assert_allclose(discriminator(images, training=False).numpy(), 1.0, rtol=1e-5)
    kept = discriminator(images, training=True).numpy()[:, 0] * width / scale
    np.testing.assert_allclose(kept, np.round(kept), atol=0.02)  # every kept value is exactly `scale`
    standard_error = np.sqrt(include_prob * (1 - include_prob) / (n * width))
    assert abs(kept.mean() / width - include_prob) < 5 * standard_error
    # A Bernoulli mask per value (not per example or per batch): kept counts spread binomially.
    assert kept.std() == pytest.approx(np.sqrt(width * include_prob * (1 - include_prob)), rel=0.1)


def assert_uniform_in(kernel, irange):
    """Within [-irange, irange], with both ends reached about as closely as n uniform draws reach them
    (each end is missed by more than 30 / n of the range with probability exp(-15))."""
    w = np.asarray(kernel).reshape(-1)
    assert -irange <= w.min() and w.max() <= irange
    assert min(w.max(), -w.min()) > (1 - 30 / w.size) * irange
    assert abs(w.mean()) < 5 * irange / np.sqrt(3 * w.size)
    assert w.std() == pytest.approx(irange / np.sqrt(3), rel=5 * np.sqrt(0.2 / w.size))  # 5 standard errors


def test_weights_start_uniform_in_the_release_ranges_and_biases_at_zero(mnist_dir):
    gan = mnist_gan(mnist_dir)
    g, d = gan.generator, gan.discriminator
    g_kernels = [layer.kernel for layer in g.hidden + [g.out]]
    d_kernels = [layer.kernel for layer in d.maxouts + [d.out]]
    assert [tuple(k.shape) for k in g_kernels] == [(100, 1200), (1200, 1200), (1200, MNIST_PIXELS)]
    assert [tuple(k.shape) for k in d_kernels] == [(MNIST_PIXELS, 240 * 5), (240, 240 * 5), (240, 1)]
    for kernel in g_kernels:
        assert_uniform_in(kernel.numpy(), 0.05)
    for kernel in d_kernels:
        assert_uniform_in(kernel.numpy(), 0.005)
    for layer in g.hidden + d.maxouts + [d.out]:  # G's output bias comes from the marginals
        np.testing.assert_array_equal(layer.bias.numpy(), 0.0)


def marginal_logits(config):
    """log(m / (1 - m)) of the training split's pixel means, m clipped to [1e-7, 1 - 1e-7]."""
    train = data.load(config).train
    m = np.clip(train.reshape(len(train), -1).astype(np.float64).mean(axis=0) / 255.0, 1e-7, 1 - 1e-7)
    return np.log(m / (1 - m))


def test_build_gan_sets_g_output_bias_to_the_logit_of_the_training_pixel_means(tiny_config):
    gan = experiment.build_gan(tiny_config, data.load(tiny_config))
    expected = marginal_logits(tiny_config)
    assert expected.min() < -16  # some pixels are always 0 in the tiny digits: the clip is exercised
    np.testing.assert_allclose(gan.generator.out.bias.numpy(), expected, rtol=1e-5, atol=1e-4)


class _StartOfTraining(Exception):
    pass


class _BiasAtStart(keras.callbacks.Callback):
    """Records G's output bias when training begins (after any restore), then stops the run."""

    def on_train_begin(self, logs=None):
        self.bias = self.model.generator.out.bias.numpy()
        raise _StartOfTraining


def test_training_starts_from_g_output_bias_at_the_logit_of_the_training_pixel_means(tiny_config, tmp_path):
    probe = _BiasAtStart()
    with pytest.raises(_StartOfTraining):
        train_lib.train_and_evaluate(tiny_config, str(tmp_path / "run"), verbose=0, callbacks=[probe])
    np.testing.assert_allclose(probe.bias, marginal_logits(tiny_config), rtol=1e-5, atol=1e-4)


def test_the_conv_generator_bounds_its_output_layer_too():
    """--g_max_col_norm reaches the transposed convolution: after an update
    that would grow it, each output channel's filter norm is at most the bound."""
    generator = ConvGenerator(image_shape=(32, 32, 3), hidden_units=(8, 200), hidden_activations=("relu", "sigmoid"),
                              conv_shape=(10, 10, 2), output_activation="linear", irange=0.5, max_col_norm=0.3, seed=0)
    z = np.ones((4, 5), "float32")
    generator(z)
    optimizer = keras.optimizers.SGD(10.0)
    with tf.GradientTape() as tape:
        loss = -tf.reduce_sum(generator(z))
    optimizer.apply_gradients(zip(tape.gradient(loss, generator.trainable_variables), generator.trainable_variables))
    kernel = generator.out.kernel.numpy()  # (height, width, output channels, input channels)
    norms = np.sqrt((kernel**2).sum(axis=(0, 1, 3)))
    assert norms.shape == (3,) and np.all(norms <= 0.3 + 1e-5) and norms.max() > 0.29


def test_maxout_takes_flat_inputs_only():
    with pytest.raises(ValueError, match="expected ndim=2"):
        Maxout(4, 2)(np.zeros((2, 3, 5), "float32"))


def test_added_layers_come_first_and_feed_the_hidden_ones():
    """TFD's second stage: noise -> added0 -> added1 (the bottleneck) -> h0 -> h1 -> y, and a copy made
    from the config (as the averages of G are) has the same layers and gives the same images."""
    from keras_gan.networks import Generator

    generator = Generator(image_shape=(4, 4, 1), hidden_units=(8, 6), hidden_activations=("relu", "sigmoid"),
                          added_units=(5, 3), added_activations=("relu", "sigmoid"), added_biases=(0.0, -2.0), seed=0)
    z = np.random.default_rng(0).normal(size=(2, 7)).astype("float32")
    assert generator(z).shape == (2, 4, 4, 1)
    assert [layer.name for layer in generator.layers] == ["added0", "added1", "h0", "h1", "y"]
    assert generator.get_layer("added0").kernel.shape == (7, 5) and generator.get_layer("h0").kernel.shape == (3, 8)
    np.testing.assert_array_equal(generator.get_layer("added1").bias.numpy(), -2.0)
    copy = Generator.from_config(generator.get_config())
    copy(z)
    copy.set_weights(generator.get_weights())
    np.testing.assert_allclose(copy(z).numpy(), generator(z).numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="`added_units`, `added_activations` and `added_biases` must have the same"):
        Generator(added_units=(5,), added_activations=())
