"""The release's SGD: classical momentum with schedules on both the learning
rate and the momentum coefficient.

Keras' `SGD` reads `momentum` as a Python float when the step is traced, so a
callback that changes it later silently does nothing. Here both coefficients
are schedules of the optimizer's own update counter, evaluated inside the
compiled step: they follow the checkpointed `iterations` and resume exactly.
"""

import math

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_gan")
class ExponentialDecayWithFloor(keras.optimizers.schedules.LearningRateSchedule):
    """`lr_t = max(initial / decay_factor**t * drop_factor**k(t), min_lr) * min(1, (t + 1) / warmup)`, t = updates done.

    pylearn2's `ExponentialDecay(decay_factor=1.000004, min_lr=1e-6)`: the
    learning rate is divided by `decay_factor` after every minibatch. Not in
    the release: `k(t)` counts the entries of `drop_updates` that are <= t,
    so the rate is also multiplied by `drop_factor` at each of those updates
    (a step schedule on top of the release's decay; none by default), and
    with `warmup_updates` the rate rises linearly from initial / warmup to
    its scheduled value over the first `warmup_updates` updates (none by
    default).
    """

    def __init__(self, initial_learning_rate, decay_factor, min_lr, drop_updates=(), drop_factor=1.0,
                 warmup_updates=0):
        if not initial_learning_rate > 0:
            raise ValueError(
                "`initial_learning_rate` must be positive. "
                f"Received: initial_learning_rate={initial_learning_rate}"
            )
        if not decay_factor >= 1.0:
            raise ValueError(
                f"`decay_factor` must be >= 1. Received: decay_factor={decay_factor}"
            )
        if not 0.0 < drop_factor <= 1.0:
            raise ValueError(f"`drop_factor` must be in (0, 1]. Received: drop_factor={drop_factor}")
        if any(int(u) < 1 for u in drop_updates):
            raise ValueError(f"`drop_updates` must be positive update counts. Received: drop_updates={drop_updates}")
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_factor = float(decay_factor)
        self.min_lr = float(min_lr)
        self.drop_updates = tuple(sorted(int(u) for u in drop_updates))
        self.drop_factor = float(drop_factor)
        if int(warmup_updates) < 0:
            raise ValueError(f"`warmup_updates` must be >= 0. Received: warmup_updates={warmup_updates}")
        self.warmup_updates = int(warmup_updates)

    def __call__(self, step):
        # exp(-t log f): f = 1.000004 itself is not representable in float32.
        step = ops.cast(step, "float32")
        log_lr = math.log(self.initial_learning_rate) - step * math.log(self.decay_factor)
        for update in self.drop_updates:
            log_lr = log_lr + ops.cast(step >= update, "float32") * math.log(self.drop_factor)
        lr = ops.maximum(ops.exp(log_lr), self.min_lr)
        if self.warmup_updates:
            lr = lr * ops.minimum(1.0, (step + 1.0) / self.warmup_updates)
        return lr

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_factor": self.decay_factor,
            "min_lr": self.min_lr,
            "drop_updates": self.drop_updates,
            "drop_factor": self.drop_factor,
            "warmup_updates": self.warmup_updates,
        }


@keras.saving.register_keras_serializable(package="keras_gan")
class LinearMomentumRamp:
    """pylearn2's `MomentumAdjustor(start, saturate, final_momentum)`.

    The momentum is `initial` during epoch `start` and rises linearly with the
    epoch number to `final` at epoch `saturate` (epochs counted from 1), then
    stays there. The epoch is `1 + updates // updates_per_epoch`, so it changes
    at the same boundaries as the release's per-epoch adjustor.
    """

    def __init__(self, initial, final, start, saturate, updates_per_epoch):
        for name, value in (("initial", initial), ("final", final)):
            if not 0.0 <= value < 1.0:
                raise ValueError(f"`{name}` momentum must be in [0, 1). Received: {name}={value}")
        if not saturate > start >= 1:
            raise ValueError(
                "`saturate` must be greater than `start` >= 1. "
                f"Received: start={start}, saturate={saturate}"
            )
        if not updates_per_epoch >= 1:
            raise ValueError(
                f"`updates_per_epoch` must be >= 1. Received: updates_per_epoch={updates_per_epoch}"
            )
        self.initial = float(initial)
        self.final = float(final)
        self.start = int(start)
        self.saturate = int(saturate)
        self.updates_per_epoch = int(updates_per_epoch)

    def __call__(self, step):
        epoch = 1.0 + ops.floor(ops.cast(step, "float32") / self.updates_per_epoch)
        alpha = ops.clip((epoch - self.start) / (self.saturate - self.start), 0.0, 1.0)
        return self.initial + alpha * (self.final - self.initial)

    def get_config(self):
        return {
            "initial": self.initial,
            "final": self.final,
            "start": self.start,
            "saturate": self.saturate,
            "updates_per_epoch": self.updates_per_epoch,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@keras.saving.register_keras_serializable(package="keras_gan")
class MomentumSGD(keras.optimizers.Optimizer):
    """SGD with classical momentum: `v <- m v - lr g; w <- w + v`.

    Args:
        learning_rate: A float or a `LearningRateSchedule`.
        momentum: A float in `[0, 1)` or a callable of the update counter
            (e.g. `LinearMomentumRamp`), evaluated inside the compiled step.
        name: Optimizer name.
        **kwargs: Passed to `keras.optimizers.Optimizer`.
    """

    def __init__(self, learning_rate=0.1, momentum=0.5, name="momentum_sgd", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        if not callable(momentum) and not 0.0 <= momentum < 1.0:
            raise ValueError(f"`momentum` must be in [0, 1). Received: momentum={momentum}")
        self._momentum = momentum

    @property
    def momentum(self):
        """The momentum coefficient the next update will use."""
        if callable(self._momentum):
            return self._momentum(self.iterations)
        return ops.convert_to_tensor(self._momentum, "float32")

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.velocities = self.add_optimizer_variables(variables, "velocity")

    def update_step(self, gradient, variable, learning_rate):
        learning_rate = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        momentum = ops.cast(self.momentum, variable.dtype)
        velocity = self.velocities[self._get_variable_index(variable)]
        self.assign(velocity, momentum * velocity - learning_rate * gradient)
        self.assign_add(variable, velocity)

    def get_config(self):
        momentum = self._momentum
        if callable(momentum):
            momentum = keras.saving.serialize_keras_object(momentum)
        return {**super().get_config(), "momentum": momentum}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        if isinstance(config.get("momentum"), dict):
            config["momentum"] = keras.saving.deserialize_keras_object(
                config["momentum"], custom_objects=custom_objects
            )
        return super().from_config(config, custom_objects=custom_objects)


def release_optimizers(updates_per_epoch, k_steps=1, learning_rate=0.1, decay_factor=1.000004, min_lr=1e-6,
                       initial_momentum=0.5, final_momentum=0.7, momentum_start=1, momentum_saturate=250):
    """Both players' optimizers as the authors' release trains MNIST
    (`flags/mnist.cfg`): SGD with classical momentum, the learning rate
    divided by `decay_factor` after every update (floor `min_lr`), the
    momentum rising linearly from `initial_momentum` at epoch
    `momentum_start` to `final_momentum` at epoch `momentum_saturate`.

    Args:
        updates_per_epoch: D's updates per epoch (training images // batch
            size): the momentum ramp counts epochs through the update counter.
        k_steps: D's updates per G update; G's ramp counts G's updates.
        learning_rate, decay_factor, min_lr: The learning-rate schedule.
        initial_momentum, final_momentum, momentum_start, momentum_saturate:
            The momentum ramp.

    Returns:
        `(d_optimizer, g_optimizer)`, two `MomentumSGD`, for
        `GAN.compile(d_optimizer=..., g_optimizer=...)`.
    """
    def player(updates, name):
        return MomentumSGD(
            learning_rate=ExponentialDecayWithFloor(learning_rate, decay_factor, min_lr),
            momentum=LinearMomentumRamp(initial_momentum, final_momentum, momentum_start, momentum_saturate, updates),
            name=name,
        )

    return player(updates_per_epoch, "d_optimizer"), player(max(1, updates_per_epoch // k_steps), "g_optimizer")
