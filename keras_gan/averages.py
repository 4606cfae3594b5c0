"""Exponential moving averages of G's weights (Yazici et al., 2019; not in the paper or the release).

    theta_avg <- beta theta_avg + (1 - beta) theta_g      after every generator update

Each average is a copy of G that never trains and never feeds the game: it
only changes what is sampled when asked for (`GAN.sample(..., average=beta)`).
Its horizon is about 1 / (1 - beta) updates. `GeneratorAverages` creates,
updates, names and checkpoints them; the rest of the package asks it.
"""

import math

import tensorflow as tf

from keras_gan.errors import TrainingError

GENERATOR = "generator"  # the name of G itself among a run's generators; its averages are "ema_<decay>"


def name(decay):
    """How one of a run's generators is named in checkpoints, scalars, results and `--generator`:
    "generator" for G (decay None), "ema_0.9999" for an average."""
    return GENERATOR if decay is None else f"ema_{decay:g}"


class GeneratorAverages:
    """The moving averages of one generator, one per decay.

    Args:
        generator: G, a Keras model whose `get_config` rebuilds it.
        decays: Decays beta in (0, 1), distinct.
    """

    def __init__(self, generator, decays=()):
        decays = tuple(float(d) for d in decays)
        if any(not 0.0 < d < 1.0 for d in decays) or len(set(decays)) != len(decays):
            raise ValueError(f"`ema_decays` must be distinct values in (0, 1). Received: ema_decays={decays}")
        self.generator = generator
        self.decays = decays
        self.models = [self._copy(decay) for decay in decays]

    def _copy(self, decay):
        average = type(self.generator).from_config({**self.generator.get_config(),
                                                    "name": f"{self.generator.name}_ema_{decay:g}"})
        average.trainable = False
        return average

    @property
    def by_name(self):
        """{name: decay} of every generator of the run, G (None) first."""
        return {name(d): d for d in (None, *self.decays)}

    def decay(self, generator_name):
        """The decay of the generator called `generator_name` (None for G); a `TrainingError` naming the
        choices if there is no such generator."""
        if generator_name not in self.by_name:
            raise TrainingError(f"--generator must be one of {', '.join(self.by_name)} for this run; "
                                f"got {generator_name!r}")
        return self.by_name[generator_name]

    def model(self, decay=None):
        """G itself (`decay=None`) or its average with that decay, as a Keras model."""
        if decay is None:
            return self.generator
        for d, model in zip(self.decays, self.models):
            if math.isclose(d, decay, rel_tol=0, abs_tol=1e-12):
                return model
        raise ValueError(f"`average` must be one of this GAN's ema_decays {self.decays} or None. "
                         f"Received: average={decay}")

    def reset(self, decays=None):
        """Starts the averages (those of `decays`, default all) at G's current weights: at build, after G's
        weights are set from outside, and for an average a resumed checkpoint does not hold."""
        for decay, average in zip(self.decays, self.models):
            if decays is None or decay in decays:
                for a, w in zip(average.weights, self.generator.weights):
                    a.assign(w)

    def update(self):
        """One step of every average, after a generator update, in cross-replica context (as Keras'
        optimizers update their own moving averages)."""
        if not self.models:
            return

        def update(strategy):
            for decay, average in zip(self.decays, self.models):
                for a, w in zip(average.weights, self.generator.weights):
                    strategy.extended.update(a.value, _ema_update, args=(w.value, decay), group=False)

        tf.distribute.get_replica_context().merge_call(update)

    def checkpoint_objects(self, decays=None):
        """The averages' entry of a `tf.train.Checkpoint` (those of `decays`, default all): keyed by name, so
        a run resumed with other decays restores only the averages it had. Variables, not models: layers
        kept in Python lists are invisible to `tf.train.Checkpoint`."""
        return {"generator_averages": {name(d): list(m.weights) for d, m in zip(self.decays, self.models)
                                       if decays is None or d in decays}}

    def held_in(self, saved_names):
        """The decays whose average a checkpoint holds, given its variable names (`tf.train.list_variables`)."""
        return [d for d in self.decays
                if any(n.startswith(f"generator_averages/{name(d).replace('.', '..')}/") for n in saved_names)]


def _ema_update(average, weight, decay):
    return average.assign(decay * average + (1.0 - decay) * weight)
