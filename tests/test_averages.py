"""keras_gan/averages.py: G's moving averages, their update, their names and their checkpoint entry."""

import numpy as np
import pytest

from keras_gan.averages import GeneratorAverages
from keras_gan.errors import TrainingError
from keras_gan.networks import Generator


def built_averages(decays):
    generator = Generator(image_shape=(2, 2, 1), hidden_units=(3,), hidden_activations=("relu",), seed=0)
    averages = GeneratorAverages(generator, decays)
    z = np.zeros((1, 4), "float32")
    for model in (generator, *averages.models):
        model(z)
    averages.reset()
    return generator, averages


def test_an_update_moves_each_average_a_1_minus_decay_step_towards_g():
    generator, averages = built_averages((0.9, 0.5))
    start = [w.numpy() for w in generator.weights]
    for w in generator.weights:
        w.assign(w.numpy() + 1.0)
    averages.update()
    for decay, model in zip(averages.decays, averages.models):
        for a, w0 in zip(model.weights, start):
            np.testing.assert_allclose(a.numpy(), w0 + (1.0 - decay), rtol=1e-6, atol=1e-6)
    assert all(not model.trainable for model in averages.models)


def test_names_choose_a_generator_and_an_unknown_one_lists_the_choices():
    generator, averages = built_averages((0.9999,))
    assert averages.by_name == {"generator": None, "ema_0.9999": 0.9999}
    assert averages.model(averages.decay("ema_0.9999")) is averages.models[0]
    assert averages.model(averages.decay("generator")) is generator
    with pytest.raises(TrainingError, match=r"--generator must be one of generator, ema_0.9999 for this run; "
                                            r"got 'ema_0.5'"):
        averages.decay("ema_0.5")
    with pytest.raises(ValueError, match="`ema_decays` must be distinct values in"):
        GeneratorAverages(generator, (0.9, 0.9))


def test_the_checkpoint_entry_holds_the_chosen_averages_by_name():
    _, averages = built_averages((0.9, 0.5))
    entry = averages.checkpoint_objects([0.5])["generator_averages"]
    assert list(entry) == ["ema_0.5"] and entry["ema_0.5"] == list(averages.models[1].weights)
    # tf.train.list_variables escapes the dots of a name.
    saved = ["generator_averages/ema_0..5/0/.ATTRIBUTES/VARIABLE_VALUE", "noise_seed/.ATTRIBUTES/VARIABLE_VALUE"]
    assert averages.held_in(saved) == [0.5]
