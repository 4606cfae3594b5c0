import numpy as np
import pytest
import tensorflow as tf

from keras_gan.gan import GAN
from keras_gan.networks import Discriminator, Generator
from keras_gan.optimizers import MomentumSGD


def make_gan(k_steps=1, update="alternating", generator_loss="non_saturating", noise="uniform", lr=0.05, d_irange=0.05):
    generator = Generator(image_shape=(4, 4, 1), hidden_units=(16,), hidden_activations=("relu",), seed=1)
    discriminator = Discriminator(maxout_units=(8,), num_pieces=2, irange=d_irange, seed=2)
    gan = GAN(generator, discriminator, noise_dim=3, noise=noise, seed=3)
    gan.compile(MomentumSGD(lr, 0.5), MomentumSGD(lr, 0.5), generator_loss=generator_loss, k_steps=k_steps,
                update=update)
    gan.build()
    gan.build_optimizers()
    return gan


def real_batch(n=64):
    return np.full((n, 4, 4, 1), 0.9, "float32")


def d_gap(gan, real):
    z = gan.sample_noise(len(real), seed=tf.constant([7, 7], tf.int64))
    d_real = tf.sigmoid(gan.discriminator(real)).numpy().mean()
    d_fake = tf.sigmoid(gan.discriminator(gan.generator(z))).numpy().mean()
    return d_real, d_fake


def test_generator_and_discriminator_shapes():
    gan = make_gan()
    images = gan.generator(np.zeros((5, 3), "float32"))
    assert images.shape == (5, 4, 4, 1)
    assert 0.0 <= images.numpy().min() and images.numpy().max() <= 1.0
    assert gan.discriminator(images).shape == (5, 1)


def test_output_bias_from_marginals_starts_g_near_the_mean_image():
    generator = Generator(image_shape=(2, 2, 1), hidden_units=(4,), hidden_activations=("relu",), irange=0.0)
    generator(np.zeros((1, 3), "float32"))
    means = np.array([0.1, 0.5, 0.9, 0.0])
    generator.init_output_bias_from_marginals(means)
    out = generator(np.zeros((1, 3), "float32")).numpy().reshape(-1)
    np.testing.assert_allclose(out, np.clip(means, 1e-7, 1 - 1e-7), atol=1e-6)


def test_a_discriminator_step_raises_d_x_minus_d_g_z():
    gan = make_gan(lr=0.5)
    real = real_batch()
    before = d_gap(gan, real)
    for _ in range(5):
        gan._discriminator_step(real, None, 1.0)
    after = d_gap(gan, real)
    assert after[0] - after[1] > before[0] - before[1] + 1e-3


def test_a_generator_step_raises_d_g_z():
    gan = make_gan(lr=0.5, d_irange=0.5)
    real = real_batch()
    for _ in range(5):
        gan._discriminator_step(real, None, 1.0)  # give D something to say
    d_vars = [v.numpy() for v in gan.discriminator.trainable_variables]
    before = d_gap(gan, real)[1]
    for _ in range(3):
        gan._generator_step(64, None, 1.0)
    assert d_gap(gan, real)[1] > before + 1e-3
    for old, new in zip(d_vars, gan.discriminator.trainable_variables):
        np.testing.assert_array_equal(old, new.numpy())  # the G step leaves D alone


@pytest.mark.parametrize("update,generator_loss", [("alternating", "minimax"), ("simultaneous", "non_saturating")])
def test_train_step_updates_both_players_and_reports_metrics(update, generator_loss):
    gan = make_gan(update=update, generator_loss=generator_loss)
    g0 = gan.generator.trainable_variables[0].numpy().copy()
    d0 = gan.discriminator.trainable_variables[0].numpy().copy()
    logs = gan.train_step(tf.constant(real_batch(16)))
    assert set(logs) == {"d_loss", "g_loss", "d_real", "d_fake", "value", "d_grad_norm", "g_grad_norm", "g_saturated",
                         "g_spread"}
    assert all(np.isfinite(float(v)) for v in logs.values())
    np.testing.assert_allclose(float(logs["d_loss"]), -0.5 * float(logs["value"]), rtol=1e-5)
    assert not np.array_equal(g0, gan.generator.trainable_variables[0].numpy())
    assert not np.array_equal(d0, gan.discriminator.trainable_variables[0].numpy())
    assert int(gan.d_optimizer.iterations) == int(gan.g_optimizer.iterations) == 1


def test_k_steps_makes_k_discriminator_updates_on_their_own_minibatches():
    gan = make_gan(k_steps=3)
    seen = []
    original = gan._discriminator_step
    gan._discriminator_step = lambda batch, labels, scale: (seen.append(batch.numpy()),
                                                            original(batch, labels, scale))[1]
    batch = np.concatenate([np.full((4, 4, 4, 1), v, "float32") for v in (0.1, 0.5, 0.9)])
    gan.train_step(tf.constant(batch))
    assert [float(b.mean()) for b in seen] == pytest.approx([0.1, 0.5, 0.9])
    assert int(gan.d_optimizer.iterations) == 3 and int(gan.g_optimizer.iterations) == 1


def test_simultaneous_update_needs_k_1():
    with pytest.raises(ValueError, match="k_steps=1"):
        make_gan(k_steps=2, update="simultaneous")


@pytest.mark.parametrize("noise,low,high,var", [("uniform", -np.sqrt(3), np.sqrt(3), 1.0),
                                                ("gaussian", -np.inf, np.inf, 1.0)])
def test_noise_prior(noise, low, high, var):
    gan = make_gan(noise=noise)
    z = gan.sample_noise(20000).numpy()
    assert z.shape == (20000, 3)
    assert z.min() >= low and z.max() <= high
    assert abs(z.var() - var) < 0.05 and abs(z.mean()) < 0.03
    assert not np.array_equal(z, gan.sample_noise(20000).numpy())  # the stream advances


def test_gan_trains_under_model_fit():
    gan = make_gan()
    history = gan.fit(real_batch(64), batch_size=16, epochs=1, verbose=0)
    assert np.isfinite(history.history["d_loss"][0])
    assert int(gan.g_optimizer.iterations) == 4


def test_networks_config_round_trip():
    gan = make_gan()
    clone = GAN.from_config(gan.get_config())
    assert clone.generator.image_shape == (4, 4, 1)
    assert clone.discriminator.maxout_units == (8,)
    assert clone.noise_dim == 3


NOISE = tf.constant(np.random.default_rng(4).uniform(-np.sqrt(3), np.sqrt(3), (16, 3)).astype("float32"))


class FixedNoiseGAN(GAN):
    """Draws the same z every time, so a reference pass can see the step's own noise."""

    def sample_noise(self, batch_size, seed=None):
        return NOISE[:batch_size]


def plain_sgd_gan(update):
    """lr 1, momentum 0: one update moves every weight by minus its gradient. Dropout is off so that
    the reference pass below sees the same D."""
    generator = Generator(image_shape=(4, 4, 1), hidden_units=(16,), hidden_activations=("relu",), seed=1)
    discriminator = Discriminator(maxout_units=(8,), num_pieces=2, irange=0.5, input_include_prob=1.0,
                                  input_scale=1.0, hidden_include_prob=1.0, hidden_scale=1.0, seed=2)
    gan = FixedNoiseGAN(generator, discriminator, noise_dim=3, seed=3)
    gan.compile(MomentumSGD(1.0, 0.0), MomentumSGD(1.0, 0.0), update=update)
    gan.build()
    gan.build_optimizers()
    return gan


def release_gradients(gan, real):
    """Gradients of the release's costs, written here with TensorFlow's own BCE:
    D: 0.5 * (BCE(1, D(x)) + BCE(0, D(G(z)))); G: BCE(1, D(G(z))) = -mean log D(G(z))."""
    def bce(label, logits):
        return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(tf.fill(tf.shape(logits), label), logits))

    with tf.GradientTape(persistent=True) as tape:
        real_logits = gan.discriminator(real)
        fake_logits = gan.discriminator(gan.generator(NOISE[:len(real)]))
        d_loss = 0.5 * (bce(1.0, real_logits) + bce(0.0, fake_logits))
        g_loss = bce(1.0, fake_logits)
    return {"discriminator": tape.gradient(d_loss, gan.discriminator.trainable_variables),
            "generator": tape.gradient(g_loss, gan.generator.trainable_variables)}


STEPS = {
    "simultaneous": lambda gan, real: gan._simultaneous_step(real, None, 1.0),
    "discriminator": lambda gan, real: gan._discriminator_step(real, None, 1.0),
    "generator": lambda gan, real: gan._generator_step(len(real), None, 1.0),
}


@pytest.mark.parametrize("step,updated", [
    ("simultaneous", ("discriminator", "generator")),
    ("discriminator", ("discriminator",)),
    ("generator", ("generator",)),
])
def test_each_step_moves_its_players_by_their_full_loss_gradients(step, updated):
    gan = plain_sgd_gan("simultaneous" if step == "simultaneous" else "alternating")
    real = tf.constant(np.random.default_rng(5).uniform(size=(16, 4, 4, 1)).astype("float32"))
    players = {"discriminator": gan.discriminator, "generator": gan.generator}
    gradients = release_gradients(gan, real)
    assert all(np.abs(g.numpy()).max() > 1e-4 for grads in gradients.values() for g in grads)
    before = {name: [v.numpy() for v in model.trainable_variables] for name, model in players.items()}
    STEPS[step](gan, real)
    for name, model in players.items():
        for old, new, gradient in zip(before[name], model.trainable_variables, gradients[name]):
            expected = -gradient.numpy() if name in updated else np.zeros_like(old)
            np.testing.assert_allclose(new.numpy() - old, expected, rtol=1e-4, atol=1e-7, err_msg=new.path)


@pytest.mark.parametrize("update", ["alternating", "simultaneous"])
def test_gradient_norms_are_those_of_the_first_update(update):
    """Momentum starts from zero, so the first update of each player is -lr * gradient: its norm / lr."""
    lr = 0.05
    gan = make_gan(update=update, lr=lr, d_irange=0.5)
    before = [[v.numpy().copy() for v in m.trainable_variables] for m in (gan.discriminator, gan.generator)]
    logs = gan.train_step(tf.constant(real_batch(16)))
    for name, model, old in zip(("d_grad_norm", "g_grad_norm"), (gan.discriminator, gan.generator), before):
        step = np.sqrt(sum(np.sum((v.numpy() - o) ** 2) for v, o in zip(model.trainable_variables, old)))
        np.testing.assert_allclose(float(logs[name]), step / lr, rtol=1e-4)
        assert float(logs[name]) > 0


def test_saturation_and_spread_of_a_constant_generator():
    """A G with zero weights draws the same image for every z (spread 0); its sigmoid output bias sets saturation."""
    generator = Generator(image_shape=(4, 4, 1), hidden_units=(16,), hidden_activations=("relu",), irange=0.0, seed=1)
    gan = GAN(generator, Discriminator(maxout_units=(8,), num_pieces=2, irange=0.05, seed=2), noise_dim=3, seed=3)
    gan.compile(MomentumSGD(0.0, 0.5), MomentumSGD(0.0, 0.5), health_every=1)  # both updates measured
    gan.build()
    gan.build_optimizers()
    logs = gan.train_step(tf.constant(real_batch(16)))
    assert float(logs["g_spread"]) == 0.0 and float(logs["g_saturated"]) == 0.0  # every pixel sigmoid(0) = 0.5
    gan.generator.init_output_bias_from_marginals(np.full(16, 1e-9))
    for m in gan.metrics:
        m.reset_state()
    logs = gan.train_step(tf.constant(real_batch(16)))
    assert float(logs["g_saturated"]) == 1.0  # every pixel at 1e-7


def test_anneal_input_noise_scales_d_noise_down_to_nothing_with_g_updates():
    """input_noise * max(0, 1 - t / updates) at G's update t: full at 0, half at updates / 2, none from updates on;
    D's variables are those of an unannealed D, and a compiled train_step reads the schedule at every step."""
    generator = Generator(image_shape=(4, 4, 1), hidden_units=(16,), hidden_activations=("relu",), seed=1)
    discriminator = Discriminator(maxout_units=(8,), num_pieces=2, seed=2, input_noise=0.5)
    gan = GAN(generator, discriminator, noise_dim=3, seed=3)
    with pytest.raises(ValueError, match="call `compile` first"):
        gan.anneal_input_noise(10)
    gan.compile(MomentumSGD(0.05, 0.5), MomentumSGD(0.05, 0.5))
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="`updates` must be a positive integer"):
            gan.anneal_input_noise(bad)
    gan.anneal_input_noise(10)
    gan.build()
    gan.build_optimizers()
    variables = [v.path for v in gan.discriminator.weights]
    noise_layer = gan.discriminator.noise
    x = np.full((400, 4, 4, 1), 0.5, "float32")
    for step, stddev in ((0, 0.5), (5, 0.25), (10, 0.0), (25, 0.0)):
        gan.g_optimizer.iterations.assign(step)
        spread = (noise_layer(x, training=True).numpy() - 0.5).std()
        assert spread == pytest.approx(stddev, rel=0.05, abs=1e-7), step
    gan.g_optimizer.iterations.assign(0)
    gan.train_step(real_batch())
    assert int(gan.g_optimizer.iterations.numpy()) == 1 and [v.path for v in gan.discriminator.weights] == variables

    plain = make_gan()
    with pytest.raises(ValueError, match="needs a discriminator with instance noise"):
        plain.anneal_input_noise(10)


@pytest.mark.parametrize("update", ["alternating", "simultaneous"])
def test_health_metrics_are_means_over_the_first_update_and_every_nth_after(update):
    """health_every=3 over 7 updates measures updates 1, 4 and 7; the game's own metrics count every update."""
    gan = make_gan(update=update)
    gan.health_every = 3
    step = tf.function(gan.train_step, jit_compile=True)
    for _ in range(7):
        step(tf.constant(real_batch()))
    for tracker in (gan.d_grad_norm_tracker, gan.g_grad_norm_tracker, gan.g_saturated_tracker, gan.g_spread_tracker):
        assert float(tracker.count.numpy()) == 3, tracker.name
    assert float(gan.d_loss_tracker.count.numpy()) == 7
    assert float(gan.g_grad_norm_tracker.result()) > 0
    for bad in (0, 2.5, True):
        with pytest.raises(ValueError, match="`health_every` must be an integer >= 1"):
            gan.compile(MomentumSGD(0.05, 0.5), MomentumSGD(0.05, 0.5), health_every=bad)
