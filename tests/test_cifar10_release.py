"""The CIFAR-10 models against the release (goodfeli/adversarial's cifar10_convolutional.yaml and the pylearn2
classes it names): what the audit checked, pinned. The MNIST details are pinned in test_networks and test_gan."""

import math

import numpy as np
import pytest

from keras_gan import architectures
from keras_gan.layers import CeilMaxPooling2D


def _pylearn2_pool(x, size, stride):
    """cuda-convnet's max pooling as pylearn2's max_pool_c01b sizes it: ceil((n - size) / stride) + 1 windows per
    side, the last ones cut by the edge (a brute-force loop over (batch, height, width, channels))."""
    out = [math.ceil((n - size) / stride) + 1 for n in x.shape[1:3]]
    y = np.empty((x.shape[0], out[0], out[1], x.shape[3]), x.dtype)
    for i in range(out[0]):
        for j in range(out[1]):
            y[:, i, j] = x[:, i * stride:i * stride + size, j * stride:j * stride + size].max(axis=(1, 2))
    return y


@pytest.mark.parametrize("size,pool,stride,expected", [(33, 4, 2, 16), (15, 4, 2, 7), (9, 2, 2, 5), (8, 2, 2, 4)])
def test_ceil_pooling_is_cuda_convnets(size, pool, stride, expected):
    """The release's three pooled maps (33 -> 16, 15 -> 7, 9 -> 5) and one that divides evenly; values are
    negative so that a window cut by the edge must not see the padding."""
    x = -np.random.default_rng(size).uniform(1.0, 2.0, size=(2, size, size, 3)).astype("float32")
    y = np.asarray(CeilMaxPooling2D(pool, stride)(x))
    assert y.shape == (2, expected, expected, 3)
    np.testing.assert_array_equal(y, _pylearn2_pool(x, pool, stride))


def _cifar10_conv_players(parse_flags):
    cfg = parse_flags("--flagfile=flags/cifar10_conv.cfg")
    generator = architectures.build_generator(cfg, (32, 32, 3))
    discriminator = architectures.build_discriminator(cfg, (32, 32, 3))
    generator(np.zeros((2, cfg.noise_dim), "float32"))
    discriminator(np.zeros((2, 32, 32, 3), "float32"))
    return cfg, generator, discriminator


def test_the_conv_discriminator_has_the_release_maps_and_4800_maxout_inputs(parse_flags):
    """Release D: 32 + 2*4 = 40 -conv 8-> 33 -pool 4/2-> 16; 16 + 6 -conv 8-> 15 -> 7; 7 + 6 -conv 5-> 9
    -pool 2/2-> 5, so Maxout 500x5 reads 5 x 5 x 192 = 4,800 values (Keras' rounding down read 3,072)."""
    cfg, _, discriminator = _cifar10_conv_players(parse_flags)
    shape, maps = (1, 32, 32, 3), []
    for conv, pool in zip(discriminator.convs, discriminator.pools):
        shape = pool.compute_output_shape(conv.compute_output_shape(shape))
        maps.append(shape[1])
    assert maps == [16, 7, 5] and shape[3] == 192
    assert discriminator.maxouts[0].kernel.shape[0] == 4800
    assert discriminator.maxouts[0].kernel.shape[1] == 500 * 5 and cfg.d_num_pieces == 5
    assert [c.conv.kernel.shape[:2] for c in discriminator.convs] == [(8, 8), (8, 8), (5, 5)]


def test_the_conv_generator_ends_in_a_linear_transposed_convolution_with_untied_biases(parse_flags):
    """Release G's output: Deconv(num_channels 3, kernel 5, stride 3, tied_b 0), linear: one bias per pixel and
    channel (3,072 of them), added after the convolution, and no per-channel bias."""
    _, generator, _ = _cifar10_conv_players(parse_flags)
    assert generator.out.bias is None and generator.out_bias.bias.shape == (32, 32, 3)
    generator.out_bias.bias.assign(np.random.default_rng(0).normal(size=(32, 32, 3)).astype("float32"))
    z = np.random.default_rng(1).normal(size=(2, 100)).astype("float32")
    h = np.asarray(generator.features(z)).reshape(2, 10, 10, 80)
    np.testing.assert_allclose(np.asarray(generator(z)), np.asarray(generator.out(h)) + generator.out_bias.bias.numpy(),
                               rtol=1e-5, atol=1e-5)


def test_runs_made_before_the_audit_keep_their_players(parse_flags):
    """A config.json without the new settings (every CIFAR-10 run before) builds the players it trained: tied
    biases and pooling rounded down, so its checkpoints still restore."""
    cfg = parse_flags("--flagfile=flags/cifar10_conv.cfg", "--nog_conv_untied_bias", "--nod_conv_pool_ceil")
    generator = architectures.build_generator(cfg, (32, 32, 3))
    discriminator = architectures.build_discriminator(cfg, (32, 32, 3))
    generator(np.zeros((1, 100), "float32"))
    discriminator(np.zeros((1, 32, 32, 3), "float32"))
    assert generator.out.bias.shape == (3,) and generator.out_bias is None
    assert discriminator.maxouts[0].kernel.shape[0] == 4 * 4 * 192
