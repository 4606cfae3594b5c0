"""Every random stream of a run has its own key: no stream is a copy of another."""

import numpy as np

from keras_gan import data, experiment
from keras_gan.seeds import stream_seed


def test_stream_keys_differ_by_tag_and_by_seed():
    keys = {stream_seed(seed, tag) for seed in range(3) for tag in ("noise", "data_order", "generator", "a", "b")}
    assert len(keys) == 15 and all(0 <= k < 2**31 for k in keys)
    assert stream_seed(0, "noise") == stream_seed(0, "noise")  # a function of (seed, tag): resumable


def test_the_first_noise_minibatch_is_not_a_copy_of_g_or_d_weights(tiny_config):
    """With one shared key, z of the first step was G's first kernel rescaled
    (both stateless uniform draws of the same key)."""
    gan = experiment.build_gan(tiny_config, data.load(tiny_config))
    z = gan.sample_noise(tiny_config.batch_size).numpy().ravel()
    for kernel in (gan.generator.hidden[0].kernel, gan.discriminator.maxouts[0].kernel):
        w = kernel.numpy().ravel()[: len(z)]
        assert abs(np.corrcoef(z, w)[0, 1]) < 0.1


def test_every_stateful_stream_starts_from_its_own_key(tiny_config):
    gan = experiment.build_gan(tiny_config, data.load(tiny_config))
    states = [gan.noise_seed.state.numpy()] + [
        v.numpy() for v in gan.discriminator.non_trainable_variables if "seed_generator_state" in v.path]
    keys = [int(s[0]) for s in states] + [stream_seed(tiny_config.seed, "data_order")]
    assert len(keys) == 1 + 3 + 1 and len(set(keys)) == len(keys)
    assert tiny_config.seed not in keys
