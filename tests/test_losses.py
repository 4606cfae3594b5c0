import numpy as np

from keras_gan import losses


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_losses_match_the_formulas_of_eq_1():
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(8, 1)).astype("float32"), rng.normal(size=(8, 1)).astype("float32")
    d_real, d_fake = _sigmoid(real), _sigmoid(fake)
    v = np.mean(np.log(d_real)) + np.mean(np.log(1 - d_fake))
    np.testing.assert_allclose(float(losses.value_function(real, fake)), v, rtol=1e-5)
    np.testing.assert_allclose(float(losses.discriminator_loss(real, fake)), -0.5 * v, rtol=1e-5)
    np.testing.assert_allclose(float(losses.minimax_generator_loss(fake)), np.mean(np.log(1 - d_fake)), rtol=1e-5)
    np.testing.assert_allclose(float(losses.non_saturating_generator_loss(fake)), -np.mean(np.log(d_fake)), rtol=1e-5)


def test_losses_stay_finite_when_d_saturates():
    big = np.array([[200.0], [-200.0]], "float32")
    for value in (losses.discriminator_loss(big, big), losses.non_saturating_generator_loss(big),
                  losses.minimax_generator_loss(big)):
        assert np.isfinite(float(value))
    np.testing.assert_allclose(float(losses.non_saturating_generator_loss(np.array([[-200.0]], "float32"))), 200.0,
                               rtol=1e-5)


def test_losses_are_the_release_bce_costs_on_batch_means_across_saturation():
    """D: 0.5 * (BCE(1, D(x)) + BCE(0, D(G(z)))), each a mean over its own batch (the batches differ
    in size here); G: BCE(1, D(G(z))) = -mean log D(G(z)) at full weight. BCE from logits via logaddexp."""
    real = np.array([[-60.0], [-20.0], [-3.0], [-0.5], [0.0], [0.7], [4.0], [25.0], [80.0]], "float32")
    fake = np.array([[-75.0], [-1.5], [2.0], [30.0]], "float32")
    bce_real = np.mean(np.logaddexp(0.0, -real.astype(np.float64)))
    bce_fake = np.mean(np.logaddexp(0.0, fake.astype(np.float64)))
    np.testing.assert_allclose(float(losses.discriminator_loss(real, fake)), 0.5 * (bce_real + bce_fake), rtol=1e-6)
    np.testing.assert_allclose(float(losses.non_saturating_generator_loss(fake)),
                               np.mean(np.logaddexp(0.0, -fake.astype(np.float64))), rtol=1e-6)
