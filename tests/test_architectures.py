"""keras_gan/architectures.py: the players by name, built from an experiment's settings."""

import numpy as np
import pytest

from keras_gan import architectures
from keras_gan.config import Config, ConfigError
from keras_gan.networks import ConvDiscriminator, ConvGenerator, Discriminator, Generator

# The CIFAR-10 conv model, G narrowed: 200 units reshape to 10 x 10 x 2.
CONV = dict(g_architecture="conv", d_architecture="conv", g_hidden_units=(16, 200), g_conv_shape=(10, 10, 2),
            g_output_activation="linear")


@pytest.mark.parametrize("settings,shape,classes", [
    ({}, (28, 28, 1), (Generator, Discriminator)),
    (CONV, (32, 32, 3), (ConvGenerator, ConvDiscriminator)),
], ids=["mlp", "conv"])
def test_each_name_builds_its_players_named_and_seeded_by_the_run(settings, shape, classes):
    cfg = Config(seed=7, **settings)
    generator = architectures.build_generator(cfg, shape)
    discriminator = architectures.build_discriminator(cfg, shape)
    assert (type(generator), type(discriminator)) == classes
    assert (generator.name, discriminator.name) == ("generator", "discriminator")
    assert generator.seed == discriminator.seed == 7
    assert generator(np.zeros((2, 100), "float32")).shape == (2, *shape)
    assert discriminator(np.zeros((2, *shape), "float32")).shape == (2, 1)


def test_an_unknown_name_is_one_error_that_lists_the_names():
    with pytest.raises(ConfigError, match=r"^--g_architecture must be one of mlp, conv; got 'dcgan'$"):
        architectures.build_generator(Config(g_architecture="dcgan"), (28, 28, 1))
    with pytest.raises(ConfigError, match=r"^--d_architecture must be one of mlp, conv; got 'dcgan'$"):
        architectures.build_discriminator(Config(d_architecture="dcgan"), (28, 28, 1))
