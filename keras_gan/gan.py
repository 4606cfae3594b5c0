"""The adversarial game of section 3 as a Keras model.

`GAN.train_step` is one iteration of Algorithm 1: k discriminator updates,
each on its own data minibatch and fresh noise, then one generator update on
fresh noise. It works under `model.fit` and under `strategy.run`: losses are
per-replica means divided by the number of replicas, so the optimizers'
all-reduce (a sum) gives the global-batch mean.

Where a new training trick belongs (docs/extending.md shows one):

    a term of a player's objective    `GAN.discriminator_loss` / `GAN.generator_loss`: both update rules
      (a gradient penalty, label        (Algorithm 1's and the release's simultaneous one) build each
      smoothing, a regularizer)         player's loss there, inside its gradient tape, so it is written once
    the update schedule               `train_step` and its `_discriminator_step`, `_generator_step`,
      (k, simultaneous, lookahead)      `_simultaneous_step`
    state that follows the weights    an object like `averages.GeneratorAverages`, updated in `train_step`
      (averages of G)                   and checkpointed through `experiment.make_checkpoint`
    from a gradient to an update      an optimizer or a schedule (`optimizers.py`), one per player
      (momentum, learning-rate ramps)
    work between epochs               a Keras callback (`callbacks.py`), outside the compiled step
      (sample grids, monitors, stops)
"""

import math

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from keras_gan import losses
from keras_gan.averages import GeneratorAverages
from keras_gan.config import NOISE_DISTRIBUTIONS, UPDATES
from keras_gan.distribute import replica_seed
from keras_gan.seeds import stream_seed


@keras.saving.register_keras_serializable(package="keras_gan")
class GAN(keras.Model):
    """A generator and a discriminator playing the minimax game of Eq. 1.

    Args:
        generator: A model mapping noise `(batch, noise_dim)` to images.
        discriminator: A model mapping images to logits `(batch, 1)`.
        noise_dim: Dimension of z.
        noise: "uniform" for U(-sqrt(3), sqrt(3)) per coordinate (unit
            variance, the release's choice) or "gaussian" for N(0, 1); p_z of
            Eq. 1.
        seed: Integer seed of the noise stream (its state is checkpointed).
        num_classes: 0 for the paper's model; C > 0 for the conditional
            model p(x | c) of the conclusion's first extension: G receives
            [z, onehot(c)] (so the generator's input has noise_dim + C units)
            and D receives c beside x.
        ema_decays: Decays beta of exponential moving averages of G's
            weights, theta_avg <- beta theta_avg + (1 - beta) theta_g after
            every generator update (`averages`; not in the paper or the
            release). They never feed the game: they only change what is
            sampled when asked for (`sample(..., average=beta)`). The GAN
            keeps them in `averages`, a `GeneratorAverages`.

    The dataset fed to `fit` (or to `train_step`) yields batches of
    `k_steps * batch_size` images per replica (with their integer labels,
    `(images, labels)`, for a conditional model): the k discriminator updates
    of one iteration each take their own slice.
    """

    def __init__(self, generator, discriminator, noise_dim=100, noise="uniform", seed=0, num_classes=0,
                 ema_decays=(), **kwargs):
        super().__init__(**kwargs)
        if noise not in NOISE_DISTRIBUTIONS:
            raise ValueError(f"`noise` must be one of {NOISE_DISTRIBUTIONS}. Received: noise={noise!r}")
        if not isinstance(noise_dim, int) or noise_dim <= 0:
            raise ValueError(f"`noise_dim` must be a positive integer. Received: noise_dim={noise_dim}")
        self.generator = generator
        self.discriminator = discriminator
        self.noise_dim = noise_dim
        self.noise = noise
        self.seed = seed
        self.num_classes = int(num_classes)
        self.averages = GeneratorAverages(generator, ema_decays)
        self.noise_seed = keras.random.SeedGenerator(stream_seed(seed, "noise"), name="noise_seed")
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.d_real_tracker = keras.metrics.Mean(name="d_real")
        self.d_fake_tracker = keras.metrics.Mean(name="d_fake")
        self.value_tracker = keras.metrics.Mean(name="value")
        # How the early game is going (not part of it): each player's gradient norm, how much of G's
        # output sits at its sigmoid's ends, and how much G's samples differ from one another.
        self.d_grad_norm_tracker = keras.metrics.Mean(name="d_grad_norm")
        self.g_grad_norm_tracker = keras.metrics.Mean(name="g_grad_norm")
        self.g_saturated_tracker = keras.metrics.Mean(name="g_saturated")
        self.g_spread_tracker = keras.metrics.Mean(name="g_spread")

    def compile(
        self,
        d_optimizer,
        g_optimizer,
        generator_loss="non_saturating",
        k_steps=1,
        update="alternating",
        health_every=10,
        **kwargs,
    ):
        """Configures the game.

        Args:
            d_optimizer, g_optimizer: One optimizer per player.
            generator_loss: "non_saturating" (maximize log D(G(z)), section 3)
                or "minimax" (minimize log(1 - D(G(z))), Eq. 1).
            k_steps: Discriminator updates per generator update (Algorithm 1's k).
            update: "alternating" (Algorithm 1) or "simultaneous" (the
                release: both players updated from one forward pass; k must be 1).
            health_every: The game's health metrics (`d_grad_norm`,
                `g_grad_norm`, `g_saturated`, `g_spread`: not part of the game)
                are means over the first update and every `health_every`-th
                after it. 1: every update (3% slower on 2 EPYC cores; the
                metrics at all cost 10-17% under Algorithm 1 with XLA, as
                keeping the gradients for their norms, docs/performance.md).
        """
        super().compile(**kwargs)
        if generator_loss not in losses.GENERATOR_LOSSES:
            raise ValueError(
                f"`generator_loss` must be one of {tuple(losses.GENERATOR_LOSSES)}. "
                f"Received: generator_loss={generator_loss!r}"
            )
        if not isinstance(k_steps, int) or k_steps < 1:
            raise ValueError(f"`k_steps` must be an integer >= 1. Received: k_steps={k_steps}")
        if update not in UPDATES:
            raise ValueError(f"`update` must be one of {UPDATES}. Received: update={update!r}")
        if not isinstance(health_every, int) or isinstance(health_every, bool) or health_every < 1:
            raise ValueError(f"`health_every` must be an integer >= 1. Received: health_every={health_every!r}")
        if update == "simultaneous" and k_steps != 1:
            raise ValueError(
                f"`update='simultaneous'` updates both players once per minibatch and needs "
                f"k_steps=1. Received: k_steps={k_steps}"
            )
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.generator_loss_fn = losses.GENERATOR_LOSSES[generator_loss]
        self.k_steps = k_steps
        self.update = update
        self.health_every = health_every

    def fit(self, x=None, *args, callbacks=None, **kwargs):
        """`keras.Model.fit`, with Keras' progress bar first among the
        callbacks: it ends its line before the package's callbacks print
        theirs, and it shows the game's metrics only (it averages every entry
        of an epoch's `logs`, and the validation monitor adds its pick there,
        a name). A `tf.data.Dataset` is not shuffled again (Keras warns that
        it cannot): shuffle it in the pipeline."""
        callbacks = list(callbacks or [])
        if not any(isinstance(c, keras.callbacks.ProgbarLogger) for c in callbacks):
            callbacks.insert(0, keras.callbacks.ProgbarLogger())
        if isinstance(x, tf.data.Dataset):
            kwargs.setdefault("shuffle", False)
        return super().fit(x, *args, callbacks=callbacks, **kwargs)

    def build_optimizers(self):
        """Creates both optimizers' slots now, so a checkpoint restores them
        before the first step."""
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    @property
    def ema_decays(self):
        """The decays of G's moving averages (`averages.decays`)."""
        return self.averages.decays

    def build(self, input_shape=None):
        labels = ops.zeros((1,), "int32") if self.num_classes else None
        z = ops.zeros((1, self.noise_dim))
        self.discriminate(self.generate(z, labels), labels)
        for decay in self.averages.decays:
            self.generate(z, labels, average=decay)
        self.averages.reset()
        self.built = True

    def init_output_bias_from_marginals(self, pixel_means):
        """Starts G near the mean training image, as the release does: G's
        sigmoid output bias is set to log(m / (1 - m)) of the pixel means `m`
        (`Generator.init_output_bias_from_marginals`), and every average
        starts there too. Builds the model first if needed."""
        if not self.built:
            self.build()
        self.generator.init_output_bias_from_marginals(pixel_means)
        self.averages.reset()

    def anneal_input_noise(self, updates):
        """Anneals D's instance noise (`layers.InstanceNoise`, the networks'
        `input_noise`) linearly to nothing over G's first `updates` updates:
        at update t its standard deviation is input_noise * max(0, 1 - t / updates).

        Not the release's (its `noise_both` is constant, and 0 in its configs).
        Sonderby et al. (2016) anneal instance noise so that it eases the early
        game, where D can separate G's samples from the data by pixels no real
        digit has, without blurring what D tells G later: noise of standard
        deviation sigma on both sides attenuates D's signal about detail finer
        than sigma. Call it after `compile` (it reads G's optimizer's step
        count); it holds no variables, so checkpoints are unchanged.
        """
        from keras_gan.layers import InstanceNoise

        if not isinstance(updates, int) or isinstance(updates, bool) or updates <= 0:
            raise ValueError(f"`updates` must be a positive integer. Received: updates={updates!r}")
        if getattr(self, "g_optimizer", None) is None:
            raise ValueError("`anneal_input_noise` reads G's optimizer's step count: call `compile` first.")
        noise_layers = [layer for layer in self.discriminator._flatten_layers()
                        if isinstance(layer, InstanceNoise) and layer.stddev]
        if not noise_layers:
            raise ValueError("`anneal_input_noise` needs a discriminator with instance noise (input_noise > 0).")

        def scale():
            return ops.maximum(0.0, 1.0 - ops.cast(self.g_optimizer.iterations, "float32") / updates)

        for layer in noise_layers:
            layer.scale_fn = scale

    def generate(self, z, labels=None, training=False, average=None):
        """G(z), or G(z | c) for a conditional model (`labels`: integer
        classes); with `average=beta`, the moving average of G with that decay."""
        if self.num_classes:
            z = ops.concatenate([z, ops.one_hot(labels, self.num_classes, dtype=z.dtype)], axis=1)
        return self.averages.model(average)(z, training=training)

    def sample(self, count, seed=None, labels=None, average=None):
        """Draws `count` images x = G(z), z ~ p_z: samples of p_g.

        Args:
            count: How many (an int or a scalar tensor).
            seed: None to draw from the model's noise stream (it advances:
                never during training, where it is the game's noise); an int
                s (the stateless key [s, 0]) or a shape-(2,) int tensor for a
                fixed, repeatable draw.
            labels: A conditional model's classes, `(count,)` integers;
                default the classes in turn 0, 1, ..., C-1, 0, ... so that
                p(x) = sum_c p(c) p(x | c) with p(c) uniform.
            average: None for G itself, or the decay of one of its moving
                averages (`ema_decays`).

        Returns:
            The images, a float32 tensor `(count, *image_shape)`.
        """
        if isinstance(seed, int):
            seed = tf.constant([seed, 0], tf.int64)
        if labels is None:
            labels = self.class_cycle(count)
        return self.generate(self.sample_noise(count, seed), labels, average=average)

    def class_cycle(self, count):
        """A conditional model's classes 0, 1, ..., C-1, 0, ... for `count`
        samples (None for the paper's model)."""
        return tf.math.floormod(tf.range(count), self.num_classes) if self.num_classes else None

    def grid_labels(self, rows, cols):
        """A conditional model's classes for a `rows x cols` grid of samples,
        row r in class r mod C (None for the paper's model)."""
        if not self.num_classes:
            return None
        return tf.constant(np.repeat(np.arange(rows) % self.num_classes, cols), tf.int32)

    def discriminate(self, x, labels=None, training=False):
        """D's logits for x (given c for a conditional model)."""
        if self.num_classes:
            return self.discriminator(x, ops.one_hot(labels, self.num_classes), training=training)
        return self.discriminator(x, training=training)

    GAME_METRICS = ("d_loss", "g_loss", "d_real", "d_fake", "value")  # the progress bar's; the rest go to TensorBoard

    @property
    def metrics(self):
        return [
            self.d_loss_tracker,
            self.g_loss_tracker,
            self.d_real_tracker,
            self.d_fake_tracker,
            self.value_tracker,
            self.d_grad_norm_tracker,
            self.g_grad_norm_tracker,
            self.g_saturated_tracker,
            self.g_spread_tracker,
        ]

    def sample_noise(self, batch_size, seed=None):
        """Draws z ~ p_z, `(batch_size, noise_dim)`.

        With `seed=None` the draw comes from the model's checkpointed noise
        stream, offset by the replica id so replicas draw independent noise.
        """
        if seed is None:
            seed = replica_seed(self.noise_seed)
        shape = (batch_size, self.noise_dim)
        if self.noise == "uniform":
            bound = math.sqrt(3.0)
            return tf.random.stateless_uniform(shape, seed, minval=-bound, maxval=bound)
        return tf.random.stateless_normal(shape, seed)

    def call(self, z, labels=None, training=False):
        """G(z) (G(z | c) for a conditional model): the generator's images for noise `z`."""
        return self.generate(z, labels, training=training)

    def _replica_scale(self):
        return 1.0 / tf.distribute.get_strategy().num_replicas_in_sync

    def discriminator_loss(self, real_logits, fake_logits, real, fake, labels=None):
        """D's loss on one minibatch, -V(D, G) / 2 (`losses.discriminator_loss`).

        Both update rules compute it here, inside D's gradient tape, from D's
        logits of the real images `real` and of G's samples `fake` (with a
        conditional model's `labels`): a term added here (a gradient penalty
        on `real` and `fake`, say) trains under either rule.
        """
        return losses.discriminator_loss(real_logits, fake_logits)

    def generator_loss(self, fake_logits, fake, labels=None):
        """G's loss on one minibatch of its samples `fake` from D's logits of
        them (compile's `generator_loss`: non-saturating or minimax). Both
        update rules compute it here, inside G's gradient tape."""
        return self.generator_loss_fn(fake_logits)

    def _discriminator_pass(self, real, fake, labels):
        """D's logits of the real images and of G's samples and D's loss on them, for both update rules
        (inside the caller's gradient tape): the one place `discriminator_loss` is called."""
        real_logits = self.discriminate(real, labels, training=True)
        fake_logits = self.discriminate(fake, labels, training=True)
        return real_logits, fake_logits, self.discriminator_loss(real_logits, fake_logits, real, fake, labels)

    def _discriminator_step(self, real, labels, scale):
        batch_size = ops.shape(real)[0]
        # A conditional model's fakes are drawn for the minibatch's own classes.
        fake = self.generate(self.sample_noise(batch_size), labels, training=True)
        with tf.GradientTape() as tape:
            real_logits, fake_logits, d_loss = self._discriminator_pass(real, fake, labels)
            scaled_loss = self.d_optimizer.scale_loss(d_loss * scale)
        d_vars = self.discriminator.trainable_variables
        d_grads = tape.gradient(scaled_loss, d_vars)
        self.d_optimizer.apply_gradients(zip(d_grads, d_vars))
        return d_loss, real_logits, fake_logits, d_grads

    def _generator_step(self, batch_size, labels, scale):
        g_vars = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            fake = self.generate(self.sample_noise(batch_size), labels, training=True)
            fake_logits = self.discriminate(fake, labels, training=True)
            g_loss = self.generator_loss(fake_logits, fake, labels)
            scaled_loss = self.g_optimizer.scale_loss(g_loss * scale)
        # Only G's weights are sources: D's weight gradients are never built.
        g_grads = tape.gradient(scaled_loss, g_vars)
        self.g_optimizer.apply_gradients(zip(g_grads, g_vars))
        return g_loss, g_grads, fake

    def _track_health(self, d_grads, g_grads, fake, scale):
        """The game's health metrics (not part of it: both players' gradient norms, the share of G's pixels
        within 0.01 of 0 or 1, the spread of its samples) of the update just made, on the first update and
        every `health_every`-th after it (compile's `health_every`)."""

        def track():
            self.d_grad_norm_tracker.update_state(_gradient_norm(d_grads, self.d_optimizer, scale))
            self.g_grad_norm_tracker.update_state(_gradient_norm(g_grads, self.g_optimizer, scale))
            samples = ops.cast(fake, "float32")
            self.g_saturated_tracker.update_state(ops.mean(ops.cast((samples < 0.01) | (samples > 0.99), "float32")))
            self.g_spread_tracker.update_state(ops.mean(ops.std(samples, axis=0)))
            return tf.constant(True)

        if self.health_every == 1:
            track()
        else:  # G's optimizer has counted this update: 1, 1 + health_every, ...
            tf.cond(tf.equal((self.g_optimizer.iterations - 1) % self.health_every, 0), track,
                    lambda: tf.constant(False))

    def _simultaneous_step(self, real, labels, scale):
        batch_size = ops.shape(real)[0]
        d_vars = self.discriminator.trainable_variables
        g_vars = self.generator.trainable_variables
        with tf.GradientTape(persistent=True) as tape:
            fake = self.generate(self.sample_noise(batch_size), labels, training=True)
            real_logits, fake_logits, d_loss = self._discriminator_pass(real, fake, labels)
            # The release computes G's cost through the same dropout-masked pass.
            g_loss = self.generator_loss(fake_logits, fake, labels)
            scaled_d_loss = self.d_optimizer.scale_loss(d_loss * scale)
            scaled_g_loss = self.g_optimizer.scale_loss(g_loss * scale)
        d_grads = tape.gradient(scaled_d_loss, d_vars)
        g_grads = tape.gradient(scaled_g_loss, g_vars)
        del tape
        self.d_optimizer.apply_gradients(zip(d_grads, d_vars))
        self.g_optimizer.apply_gradients(zip(g_grads, g_vars))
        return d_loss, g_loss, real_logits, fake_logits, d_grads, g_grads, fake

    def train_step(self, data):
        """One iteration of Algorithm 1 (or the release's simultaneous update)."""
        real, labels = (data[0], data[1]) if isinstance(data, (tuple, list)) else (data, None)
        if self.num_classes and labels is None:
            raise ValueError("A conditional GAN (num_classes > 0) trains on (images, labels) batches.")
        if not self.num_classes:
            labels = None
        scale = self._replica_scale()
        if self.update == "simultaneous":
            d_loss, g_loss, real_logits, fake_logits, d_grads, g_grads, fake = self._simultaneous_step(
                real, labels, scale)
        else:
            minibatches = tf.split(real, self.k_steps, axis=0)
            label_batches = tf.split(labels, self.k_steps, axis=0) if labels is not None else [None] * self.k_steps
            for minibatch, minibatch_labels in zip(minibatches, label_batches):
                d_loss, real_logits, fake_logits, d_grads = self._discriminator_step(minibatch, minibatch_labels,
                                                                                     scale)
            # G's update uses the last minibatch's classes: c follows the data's p(c).
            g_loss, g_grads, fake = self._generator_step(ops.shape(minibatches[0])[0], label_batches[-1], scale)
        self._track_health(d_grads, g_grads, fake, scale)  # with k > 1, D's gradient of its last update
        self.averages.update()
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        self.d_real_tracker.update_state(ops.mean(ops.sigmoid(real_logits)))
        self.d_fake_tracker.update_state(ops.mean(ops.sigmoid(fake_logits)))
        self.value_tracker.update_state(losses.value_function(real_logits, fake_logits))
        return {m.name: m.result() for m in self.metrics}

    def get_config(self):
        return {
            **super().get_config(),
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "noise_dim": self.noise_dim,
            "noise": self.noise,
            "seed": self.seed,
            "num_classes": self.num_classes,
            "ema_decays": self.ema_decays,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["generator"] = keras.saving.deserialize_keras_object(config["generator"])
        config["discriminator"] = keras.saving.deserialize_keras_object(config["discriminator"])
        return cls(**config)


def _gradient_norm(grads, optimizer, scale):
    """The global L2 norm of one player's gradient of its (unscaled) batch-mean loss on this replica."""
    norm = tf.linalg.global_norm([tf.cast(g, tf.float32) for g in grads if g is not None])
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        norm = norm / tf.cast(optimizer.dynamic_scale, tf.float32)
    return norm / scale

