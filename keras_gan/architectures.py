"""The players by name: `--g_architecture` and `--d_architecture` look their builder up here.

A builder takes the experiment's `Config` and the data's image shape and
returns the model, named "generator" or "discriminator" and seeded by
`config.seed`, not yet built. A new architecture is its model (a Keras model,
in `networks` or any module) and one entry in `GENERATORS` or
`DISCRIMINATORS`; settings of its own are `Config` fields. What the package
asks of the models: docs/extending.md.
"""

from keras_gan import networks
from keras_gan.config import ConfigError


def mlp_generator(config, image_shape):
    """Dense layers to the image."""
    return networks.Generator(**_generator_settings(config, image_shape))


def conv_generator(config, image_shape):
    """Dense layers, reshape to g_conv_shape, then a transposed convolution to the image (the CIFAR-10 conv model)."""
    return networks.ConvGenerator(conv_shape=config.g_conv_shape, conv_kernel=config.g_conv_kernel,
                                  conv_stride=config.g_conv_stride, conv_untied_bias=config.g_conv_untied_bias,
                                  **_generator_settings(config, image_shape))


def mlp_discriminator(config, image_shape):
    """Maxout layers."""
    return networks.Discriminator(**_discriminator_settings(config))


def conv_discriminator(config, image_shape):
    """Maxout convolution layers with max pooling, then maxout layers."""
    return networks.ConvDiscriminator(conv_channels=config.d_conv_channels, conv_pieces=config.d_conv_pieces,
                                      conv_kernels=config.d_conv_kernels, conv_pads=config.d_conv_pads,
                                      pool_sizes=config.d_conv_pool_sizes, pool_strides=config.d_conv_pool_strides,
                                      pool_ceil=config.d_conv_pool_ceil,
                                      **_discriminator_settings(config))


GENERATORS = {"mlp": mlp_generator, "conv": conv_generator}
DISCRIMINATORS = {"mlp": mlp_discriminator, "conv": conv_discriminator}


def check(config):
    """Raises `ConfigError` unless the tables hold the architectures `config` names (before any data is read)."""
    _builder(GENERATORS, "g_architecture", config.g_architecture)
    _builder(DISCRIMINATORS, "d_architecture", config.d_architecture)


def build_generator(config, image_shape):
    """The G that `config.g_architecture` names, for images of `image_shape` (not yet built)."""
    return _builder(GENERATORS, "g_architecture", config.g_architecture)(config, tuple(image_shape))


def build_discriminator(config, image_shape):
    """The D that `config.d_architecture` names, for images of `image_shape` (not yet built)."""
    return _builder(DISCRIMINATORS, "d_architecture", config.d_architecture)(config, tuple(image_shape))


def _builder(table, flag, name):
    if name not in table:
        raise ConfigError(f"--{flag} must be one of {', '.join(table)}; got {name!r}")
    return table[name]


def _generator_settings(config, image_shape):
    """What every generator here takes from the flags (0 meaning "none" for the optional ones)."""
    return dict(
        image_shape=image_shape,
        hidden_units=config.g_hidden_units,
        hidden_activations=config.g_hidden_activations,
        hidden_biases=config.g_hidden_biases,
        added_units=config.g_added_units,
        added_activations=config.g_added_activations,
        added_biases=config.g_added_biases,
        output_activation=config.g_output_activation,
        irange=config.g_irange,
        max_col_norm=config.g_max_col_norm or None,
        output_sparse_init=config.g_output_sparse_init or None,
        output_irange=config.g_output_irange or None,
        name="generator",
        seed=config.seed,
    )


def _discriminator_settings(config):
    """What every discriminator here takes from the flags."""
    return dict(
        maxout_units=config.d_maxout_units,
        num_pieces=config.d_num_pieces,
        irange=config.d_irange,
        max_col_norm=config.d_max_col_norm or None,
        input_include_prob=config.d_input_include_prob,
        input_scale=config.d_input_scale,
        hidden_include_prob=config.d_hidden_include_prob,
        hidden_scale=config.d_hidden_scale,
        input_noise=config.d_input_noise,
        name="discriminator",
        seed=config.seed,
    )
