"""Section 4 checked numerically: Proposition 1 (D*), Theorem 1 (C(G) = -log 4 + 2 JSD)."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gan import losses, theory
from keras_gan.networks import Discriminator

GRID = np.linspace(-15, 20, 35001)  # wide enough that truncating the integrals costs < 1e-9
NO_DROPOUT = dict(input_include_prob=1.0, input_scale=1.0, hidden_include_prob=1.0, hidden_scale=1.0)


@pytest.mark.parametrize("mean,std", [(2.0, 0.5), (0.0, 1.0), (3.0, 2.0), (2.0, 0.6)])
def test_theorem1_c_of_g_is_minus_log4_plus_twice_the_jsd(mean, std):
    p_data, p_g = theory.gaussian_density(2.0, 0.5), theory.gaussian_density(mean, std)
    assert abs(theory.theorem1_gap(p_data, p_g, GRID)) < 1e-6
    # The check can fail: KL in place of the JSD breaks the identity unless p_g = p_data.
    wrong = theory.virtual_training_criterion(p_data, p_g, GRID) - (
        -math.log(4) + 2 * theory.kl_divergence(p_data, p_g, GRID))
    assert (abs(wrong) > 1e-2) == ((mean, std) != (2.0, 0.5))


def test_the_global_minimum_is_minus_log4_at_p_g_equal_p_data():
    p = theory.gaussian_density(1.0, 0.7)
    assert theory.virtual_training_criterion(p, p, GRID) == pytest.approx(-math.log(4.0), abs=1e-9)
    np.testing.assert_allclose(theory.optimal_discriminator(p, p)(GRID[::100]), 0.5)
    other = theory.gaussian_density(1.5, 0.7)
    assert theory.virtual_training_criterion(p, other, GRID) > -math.log(4.0) + 0.05


def train_discriminator(discriminator, sample_data, sample_g, steps, batch=512, lr=3e-3):
    optimizer = keras.optimizers.Adam(lr)
    discriminator(tf.zeros((1, 1)))

    @tf.function
    def train(n):
        for i in tf.range(n):
            seed = tf.stack([tf.cast(i, tf.int64), tf.constant(11, tf.int64)])
            with tf.GradientTape() as tape:
                loss = losses.discriminator_loss(discriminator(sample_data(batch, seed)),
                                                 discriminator(sample_g(batch, seed)))
            variables = discriminator.trainable_variables
            optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))

    train(tf.constant(steps))


def test_proposition1_a_converged_discriminator_is_p_data_over_p_data_plus_p_g():
    """G frozen at x = 1.2 + 0.8 z, z ~ N(0, 1), so p_g = N(1.2, 0.8^2) exactly; D trained by Eq. 1's
    discriminator objective approaches D* = p_data / (p_data + p_g) where the data has mass."""
    p_data, p_g = theory.gaussian_density(2.0, 0.5), theory.gaussian_density(1.2, 0.8)
    discriminator = Discriminator(maxout_units=(32, 32), num_pieces=5, irange=0.1, seed=1, **NO_DROPOUT)
    train_discriminator(
        discriminator,
        lambda n, seed: tf.random.stateless_normal((n, 1), seed, mean=2.0, stddev=0.5),
        lambda n, seed: 1.2 + 0.8 * tf.random.stateless_normal((n, 1), seed + [0, 1]),
        steps=1500,
    )
    x = np.linspace(1.0, 3.0, 41)  # mean +- 2 std of the data
    d = tf.sigmoid(discriminator(x[:, None].astype(np.float32))).numpy().ravel()
    d_star = theory.optimal_discriminator(p_data, p_g)(x)
    # 1,500 Adam steps on minibatches of 512: sampling noise in D of a few hundredths.
    assert np.abs(d - d_star).max() < 0.06, np.abs(d - d_star).max()
    swapped = theory.optimal_discriminator(p_g, p_data)(x)  # a wrong D* is far away
    assert np.abs(d - swapped).max() > 0.3


def test_theorem1_a_converged_generator_reaches_minus_log4_and_d_star_one_half(one_dimensional_gan):
    """Algorithm 1 on N(2, 0.5^2): after training, C(G) (with p_g from a kernel
    density of 20,000 samples) is within 0.1 nats of -log 4 and D* within 0.2 of
    1/2 over the data's mean +- one std; at initialization both are far off."""
    gan = one_dimensional_gan()
    p_data = theory.gaussian_density(2.0, 0.5)
    grid = np.linspace(-2.0, 6.0, 1601)
    x = np.linspace(1.5, 2.5, 21)

    def criterion():
        samples = gan.generator(gan.sample_noise(20_000, seed=tf.constant([1, 2], tf.int64))).numpy().ravel()
        p_g = theory.kernel_density(samples)
        return theory.virtual_training_criterion(p_data, p_g, grid), theory.optimal_discriminator(p_data, p_g)(x)

    c0, d0 = criterion()
    assert c0 > -math.log(4.0) + 0.3

    @tf.function
    def train(n):
        for i in tf.range(n):
            gan.train_step(tf.random.stateless_normal((256, 1), tf.stack([tf.cast(i, tf.int64), 5]), 2.0, 0.5))

    train(tf.constant(3000))
    c, d_star = criterion()
    assert abs(c + math.log(4.0)) < 0.1, c
    assert np.abs(d_star - 0.5).max() < 0.2, d_star
