"""The adversarial game of section 3 as a Keras model.

`GAN.train_step` is one iteration of Algorithm 1: k discriminator updates,
each on its own data minibatch and fresh noise, then one generator update on
fresh noise. It works under `model.fit` and under `strategy.run`: losses are
per-replica means divided by the number of replicas, so the optimizers'
all-reduce (a sum) gives the global-batch mean.
"""

import math

import keras
import tensorflow as tf
from keras import ops

from keras_gan import losses
from keras_gan.layers import replica_seed

NOISE_DISTRIBUTIONS = ("uniform", "gaussian")
UPDATES = ("alternating", "simultaneous")


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

    The dataset fed to `fit` (or to `train_step`) yields batches of
    `k_steps * batch_size` images per replica (with their integer labels,
    `(images, labels)`, for a conditional model): the k discriminator updates
    of one iteration each take their own slice.
    """

    def __init__(self, generator, discriminator, noise_dim=100, noise="uniform", seed=0, num_classes=0, **kwargs):
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
        self.noise_seed = keras.random.SeedGenerator(seed, name="noise_seed")
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.d_real_tracker = keras.metrics.Mean(name="d_real")
        self.d_fake_tracker = keras.metrics.Mean(name="d_fake")
        self.value_tracker = keras.metrics.Mean(name="value")

    def compile(
        self,
        d_optimizer,
        g_optimizer,
        generator_loss="non_saturating",
        k_steps=1,
        update="alternating",
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
        if update == "simultaneous" and k_steps != 1:
            raise ValueError(
                f"`update='simultaneous'` updates both players once per minibatch and needs "
                f"k_steps=1. Received: k_steps={k_steps}"
            )
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.generator_loss_fn = losses.GENERATOR_LOSSES[generator_loss]
        self.generator_loss = generator_loss
        self.k_steps = k_steps
        self.update = update

    def build_optimizers(self):
        """Creates both optimizers' slots now, so a checkpoint restores them
        before the first step."""
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    def build(self, input_shape=None):
        labels = ops.zeros((1,), "int32") if self.num_classes else None
        self.discriminate(self.generate(ops.zeros((1, self.noise_dim)), labels), labels)
        self.built = True

    def generate(self, z, labels=None, training=False):
        """G(z), or G(z | c) for a conditional model (`labels`: integer classes)."""
        if self.num_classes:
            z = ops.concatenate([z, ops.one_hot(labels, self.num_classes, dtype=z.dtype)], axis=1)
        return self.generator(z, training=training)

    def discriminate(self, x, labels=None, training=False):
        """D's logits for x (given c for a conditional model)."""
        if self.num_classes:
            return self.discriminator(x, ops.one_hot(labels, self.num_classes), training=training)
        return self.discriminator(x, training=training)

    @property
    def metrics(self):
        return [
            self.d_loss_tracker,
            self.g_loss_tracker,
            self.d_real_tracker,
            self.d_fake_tracker,
            self.value_tracker,
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

    def call(self, z, training=False):
        """G(z): the generator's images for noise `z`."""
        return self.generator(z, training=training)

    def _replica_scale(self):
        return 1.0 / tf.distribute.get_strategy().num_replicas_in_sync

    def _discriminator_step(self, real, labels, scale):
        batch_size = ops.shape(real)[0]
        # A conditional model's fakes are drawn for the minibatch's own classes.
        fake = self.generate(self.sample_noise(batch_size), labels, training=True)
        with tf.GradientTape() as tape:
            real_logits = self.discriminate(real, labels, training=True)
            fake_logits = self.discriminate(fake, labels, training=True)
            d_loss = losses.discriminator_loss(real_logits, fake_logits)
            scaled_loss = self.d_optimizer.scale_loss(d_loss * scale)
        d_vars = self.discriminator.trainable_variables
        self.d_optimizer.apply_gradients(zip(tape.gradient(scaled_loss, d_vars), d_vars))
        return d_loss, real_logits, fake_logits

    def _generator_step(self, batch_size, labels, scale):
        g_vars = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            fake_logits = self.discriminate(
                self.generate(self.sample_noise(batch_size), labels, training=True), labels, training=True
            )
            g_loss = self.generator_loss_fn(fake_logits)
            scaled_loss = self.g_optimizer.scale_loss(g_loss * scale)
        # Only G's weights are sources: D's weight gradients are never built.
        self.g_optimizer.apply_gradients(zip(tape.gradient(scaled_loss, g_vars), g_vars))
        return g_loss

    def _simultaneous_step(self, real, labels, scale):
        batch_size = ops.shape(real)[0]
        d_vars = self.discriminator.trainable_variables
        g_vars = self.generator.trainable_variables
        with tf.GradientTape(persistent=True) as tape:
            fake = self.generate(self.sample_noise(batch_size), labels, training=True)
            real_logits = self.discriminate(real, labels, training=True)
            fake_logits = self.discriminate(fake, labels, training=True)
            d_loss = losses.discriminator_loss(real_logits, fake_logits)
            # The release computes G's cost through the same dropout-masked pass.
            g_loss = self.generator_loss_fn(fake_logits)
            scaled_d_loss = self.d_optimizer.scale_loss(d_loss * scale)
            scaled_g_loss = self.g_optimizer.scale_loss(g_loss * scale)
        d_grads = tape.gradient(scaled_d_loss, d_vars)
        g_grads = tape.gradient(scaled_g_loss, g_vars)
        del tape
        self.d_optimizer.apply_gradients(zip(d_grads, d_vars))
        self.g_optimizer.apply_gradients(zip(g_grads, g_vars))
        return d_loss, g_loss, real_logits, fake_logits

    def train_step(self, data):
        """One iteration of Algorithm 1 (or the release's simultaneous update)."""
        real, labels = (data[0], data[1]) if isinstance(data, (tuple, list)) else (data, None)
        if self.num_classes and labels is None:
            raise ValueError("A conditional GAN (num_classes > 0) trains on (images, labels) batches.")
        if not self.num_classes:
            labels = None
        scale = self._replica_scale()
        if self.update == "simultaneous":
            d_loss, g_loss, real_logits, fake_logits = self._simultaneous_step(real, labels, scale)
        else:
            minibatches = tf.split(real, self.k_steps, axis=0)
            label_batches = tf.split(labels, self.k_steps, axis=0) if labels is not None else [None] * self.k_steps
            for minibatch, minibatch_labels in zip(minibatches, label_batches):
                d_loss, real_logits, fake_logits = self._discriminator_step(minibatch, minibatch_labels, scale)
            # G's update uses the last minibatch's classes: c follows the data's p(c).
            g_loss = self._generator_step(ops.shape(minibatches[0])[0], label_batches[-1], scale)
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
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["generator"] = keras.saving.deserialize_keras_object(config["generator"])
        config["discriminator"] = keras.saving.deserialize_keras_object(config["discriminator"])
        return cls(**config)
