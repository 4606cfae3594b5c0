import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gan import experiment
from keras_gan.config import Config
from keras_gan.optimizers import ExponentialDecayWithFloor, LinearMomentumRamp, MomentumSGD


def test_learning_rate_is_divided_after_every_update_down_to_the_floor():
    schedule = ExponentialDecayWithFloor(0.1, 1.000004, 1e-6)
    np.testing.assert_allclose(float(schedule(0)), 0.1)
    np.testing.assert_allclose(float(schedule(100_000)), 0.1 / 1.000004**100_000, rtol=1e-5)
    np.testing.assert_allclose(float(schedule(10**8)), 1e-6)


def test_momentum_ramps_linearly_with_the_epoch():
    ramp = LinearMomentumRamp(0.5, 0.7, start=1, saturate=250, updates_per_epoch=500)
    assert float(ramp(0)) == pytest.approx(0.5)
    assert float(ramp(499)) == pytest.approx(0.5)  # still epoch 1
    assert float(ramp(500)) == pytest.approx(0.5 + 0.2 / 249)  # epoch 2
    assert float(ramp(125 * 500)) == pytest.approx(0.5 + 0.2 * 125 / 249, rel=1e-5)
    assert float(ramp(10**7)) == pytest.approx(0.7)


def _velocity_after_two_updates(iterations_before):
    var = keras.Variable(np.zeros(1, "float32"))
    opt = MomentumSGD(learning_rate=1.0, momentum=LinearMomentumRamp(0.5, 0.7, 1, 250, 1))
    opt.build([var])
    opt.iterations.assign(iterations_before)
    step = tf.function(lambda: opt.apply_gradients([(tf.ones(1), var)]))
    step()
    step()
    return float(var.numpy()[0])


def test_the_momentum_schedule_really_changes_the_compiled_update():
    # Two unit gradients, lr 1: w = -1 - (m + 1). Keras' SGD would keep m frozen at trace time.
    early = _velocity_after_two_updates(0)
    late = _velocity_after_two_updates(10_000)
    assert early == pytest.approx(-1 - (0.5 + 0.2 / 249 + 1), rel=1e-5)
    assert late == pytest.approx(-1 - (0.7 + 1), rel=1e-5)


def test_classical_momentum_matches_the_release_update_rule():
    var = keras.Variable(np.array([1.0, -2.0], "float32"))
    opt = MomentumSGD(learning_rate=0.1, momentum=0.5)
    grads = [np.array([1.0, 2.0], "float32"), np.array([-1.0, 0.5], "float32")]
    w, inc = np.array([1.0, -2.0]), np.zeros(2)
    for g in grads:
        opt.apply_gradients([(g, var)])
        inc = 0.5 * inc - 0.1 * g
        w = w + inc
    np.testing.assert_allclose(var.numpy(), w, rtol=1e-6)


def test_optimizer_config_round_trip():
    opt = MomentumSGD(ExponentialDecayWithFloor(0.1, 1.000004, 1e-6), LinearMomentumRamp(0.5, 0.7, 1, 250, 500))
    clone = MomentumSGD.from_config(opt.get_config())
    assert float(clone.momentum) == pytest.approx(0.5)
    assert isinstance(clone._momentum, LinearMomentumRamp)


@pytest.mark.parametrize("make", [
    lambda: MomentumSGD(momentum=1.5),
    lambda: ExponentialDecayWithFloor(0.1, 0.5, 1e-6),
    lambda: LinearMomentumRamp(0.5, 0.7, 5, 5, 100),
])
def test_bad_schedule_arguments_are_rejected(make):
    with pytest.raises(ValueError, match="Received"):
        make()


@pytest.mark.parametrize("step", [0, 1, 499, 500, 100_000, 3_000_000])
@pytest.mark.parametrize("name", ["d_optimizer", "g_optimizer"])
def test_the_mnist_experiments_optimizers_follow_the_release_schedules(name, step):
    """MNIST: 50,000 training digits in batches of 100. lr_t = max(0.1 / 1.000004**t, 1e-6);
    momentum 0.5 in epoch 1 rising linearly to 0.7 at epoch 250, epoch = 1 + t // 500."""
    updates_per_epoch = 50_000 // 100
    optimizer = experiment.make_optimizer(Config(), updates_per_epoch, name)
    optimizer.iterations.assign(step)
    learning_rate = max(0.1 / np.float64(1.000004) ** step, 1e-6)
    epoch = 1 + step // updates_per_epoch
    momentum = 0.5 + 0.2 * np.clip((epoch - 1) / 249, 0.0, 1.0)
    assert float(optimizer.learning_rate) == pytest.approx(learning_rate, rel=1e-6)
    assert float(optimizer.momentum) == pytest.approx(momentum, rel=1e-6)


@pytest.mark.parametrize("players,d_warm,g_warm", [("both", True, True), ("discriminator", True, False),
                                                    ("generator", False, True)])
def test_a_warm_up_ramps_the_chosen_players_rate_linearly_then_leaves_the_release_schedule(players, d_warm, g_warm):
    cfg = Config(warmup_updates=1000, warmup_players=players)
    for name, warm in (("d_optimizer", d_warm), ("g_optimizer", g_warm)):
        optimizer = experiment.make_optimizer(cfg, 500, name)
        for step in (0, 499, 999, 1000, 5000):
            optimizer.iterations.assign(step)
            release = 0.1 / np.float64(1.000004) ** step
            expected = release * min(1.0, (step + 1) / 1000) if warm else release
            assert float(optimizer.learning_rate) == pytest.approx(expected, rel=1e-5), (name, step)
    assert ExponentialDecayWithFloor(0.1, 1.0, 0.0, warmup_updates=10).get_config()["warmup_updates"] == 10


def test_release_optimizers_are_the_mnist_experiments():
    """The Python API's pair is what `python -m keras_gan.train --flagfile=flags/mnist.cfg` builds."""
    from keras_gan.optimizers import release_optimizers

    pairs = zip(release_optimizers(updates_per_epoch=500),
                (experiment.make_optimizer(Config(), 500, name) for name in ("d_optimizer", "g_optimizer")))
    for mine, theirs in pairs:
        assert mine.name == theirs.name
        for step in (0, 499, 500, 125_000, 10**7):
            mine.iterations.assign(step)
            theirs.iterations.assign(step)
            assert float(mine.learning_rate) == pytest.approx(float(theirs.learning_rate), rel=1e-6)
            assert float(mine.momentum) == pytest.approx(float(theirs.momentum), rel=1e-6)
    _, g = release_optimizers(updates_per_epoch=500, k_steps=5)
    g.iterations.assign(100)  # G's 100th update ends its first epoch when D makes 5 for each
    assert float(g.momentum) == pytest.approx(0.5 + 0.2 / 249)
