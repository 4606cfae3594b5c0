"""The two players of section 3: the generator G(z; theta_g) and the
discriminator D(x; theta_d), as multilayer perceptrons (section 5: "a mixture
of rectifier linear activations and sigmoid activations" for G, maxout with
dropout for D). Sizes come from the experiment's flags.
"""

import math

import keras
import numpy as np
from keras import ops

from keras_gan.layers import Maxout, ScaledDropout


def _uniform(irange, seed):
    return keras.initializers.RandomUniform(-irange, irange, seed=seed)


def _seed(seed, offset):
    return None if seed is None else seed + offset


@keras.saving.register_keras_serializable(package="keras_gan")
class Generator(keras.Model):
    """G: noise `z` -> hidden layers -> an image in the data space.

    Args:
        image_shape: Output shape per example, e.g. `(28, 28, 1)`.
        hidden_units: Width of each hidden layer.
        hidden_activations: Activation of each hidden layer ("relu", "sigmoid").
        hidden_biases: Initial bias of each hidden layer (the TFD model starts
            its sigmoid layer at -2).
        output_activation: "sigmoid" for pixels in [0, 1], "linear" otherwise.
        irange: Weights start uniform in `[-irange, irange]`.
        max_col_norm: Optional column-norm bound for every layer.
        seed: Optional integer seed for the initial weights.

    Call arguments:
        z: Noise `(batch_size, noise_dim)`.

    Output shape:
        `(batch_size, *image_shape)`.
    """

    def __init__(
        self,
        image_shape=(28, 28, 1),
        hidden_units=(1200, 1200),
        hidden_activations=("relu", "relu"),
        hidden_biases=None,
        output_activation="sigmoid",
        irange=0.05,
        max_col_norm=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        hidden_units = tuple(int(u) for u in hidden_units)
        hidden_activations = tuple(hidden_activations)
        hidden_biases = tuple(hidden_biases or (0.0,) * len(hidden_units))
        if not (len(hidden_units) == len(hidden_activations) == len(hidden_biases)):
            raise ValueError(
                "`hidden_units`, `hidden_activations` and `hidden_biases` must have the "
                f"same length. Received: hidden_units={hidden_units}, "
                f"hidden_activations={hidden_activations}, hidden_biases={hidden_biases}"
            )
        self.image_shape = tuple(int(d) for d in image_shape)
        self.hidden_units = hidden_units
        self.hidden_activations = hidden_activations
        self.hidden_biases = hidden_biases
        self.output_activation = output_activation
        self.irange = irange
        self.max_col_norm = max_col_norm
        self.seed = seed
        constraint = (
            keras.constraints.MaxNorm(max_col_norm, axis=0) if max_col_norm else None
        )
        self.hidden = [
            keras.layers.Dense(
                units,
                activation=activation,
                kernel_initializer=_uniform(irange, _seed(seed, i)),
                bias_initializer=keras.initializers.Constant(bias),
                kernel_constraint=constraint,
                name=f"h{i}",
            )
            for i, (units, activation, bias) in enumerate(
                zip(hidden_units, hidden_activations, hidden_biases)
            )
        ]
        self.out = keras.layers.Dense(
            math.prod(self.image_shape),
            activation=output_activation,
            kernel_initializer=_uniform(irange, _seed(seed, len(hidden_units))),
            kernel_constraint=constraint,
            name="y",
        )

    def call(self, z, training=False):
        h = z
        for layer in self.hidden:
            h = layer(h)
        return ops.reshape(self.out(h), (-1, *self.image_shape))

    def init_output_bias_from_marginals(self, pixel_means, eps=1e-7):
        """Sets the sigmoid output bias to `log(m / (1 - m))`, the release's
        `init_bias_from_marginals`, so that G starts near the mean image.

        Args:
            pixel_means: Training-set mean of each pixel, any shape with
                `prod(image_shape)` values in [0, 1].
            eps: Means are clipped to `[eps, 1 - eps]`.
        """
        m = np.clip(np.asarray(pixel_means, np.float64).reshape(-1), eps, 1.0 - eps)
        if m.size != math.prod(self.image_shape):
            raise ValueError(
                f"`pixel_means` must have {math.prod(self.image_shape)} values. "
                f"Received: {m.size}"
            )
        self.out.bias.assign(np.log(m / (1.0 - m)).astype("float32"))

    def get_config(self):
        return {
            **super().get_config(),
            "image_shape": self.image_shape,
            "hidden_units": self.hidden_units,
            "hidden_activations": self.hidden_activations,
            "hidden_biases": self.hidden_biases,
            "output_activation": self.output_activation,
            "irange": self.irange,
            "max_col_norm": self.max_col_norm,
            "seed": self.seed,
        }


@keras.saving.register_keras_serializable(package="keras_gan")
class Discriminator(keras.Model):
    """D: an image -> the logit of the probability that it came from the data.

    Every layer's input goes through `ScaledDropout` (the data input with
    `input_include_prob`/`input_scale`, every other layer, the final sigmoid
    included, with `hidden_include_prob`/`hidden_scale`), then maxout layers,
    then one sigmoid unit. The network returns the logit; `D(x) = sigmoid(logit)`
    so the losses stay finite when D saturates.

    Args:
        maxout_units: Units of each maxout layer.
        num_pieces: Linear pieces per maxout unit.
        irange: Weights start uniform in `[-irange, irange]`.
        max_col_norm: Optional column-norm bound for every layer.
        input_include_prob, input_scale: Dropout on the data input.
        hidden_include_prob, hidden_scale: Dropout on every other layer's input.
        seed: Optional integer seed for weights and dropout masks.

    Call arguments:
        x: Images `(batch_size, ...)`; flattened internally.
        training: Whether to apply dropout.

    Output shape:
        `(batch_size, 1)` logits.
    """

    def __init__(
        self,
        maxout_units=(240, 240),
        num_pieces=5,
        irange=0.005,
        max_col_norm=None,
        input_include_prob=0.8,
        input_scale=1.25,
        hidden_include_prob=0.5,
        hidden_scale=2.0,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.maxout_units = tuple(int(u) for u in maxout_units)
        self.num_pieces = int(num_pieces)
        self.irange = irange
        self.max_col_norm = max_col_norm
        self.input_include_prob = input_include_prob
        self.input_scale = input_scale
        self.hidden_include_prob = hidden_include_prob
        self.hidden_scale = hidden_scale
        self.seed = seed
        n = len(self.maxout_units)
        self.dropouts = [
            ScaledDropout(input_include_prob, input_scale, seed=_seed(seed, 100), name="drop0")
        ] + [
            ScaledDropout(
                hidden_include_prob, hidden_scale, seed=_seed(seed, 101 + i), name=f"drop{i + 1}"
            )
            for i in range(n)
        ]
        self.maxouts = [
            Maxout(
                units,
                self.num_pieces,
                kernel_initializer=_uniform(irange, _seed(seed, i)),
                max_col_norm=max_col_norm,
                name=f"h{i}",
            )
            for i, units in enumerate(self.maxout_units)
        ]
        self.out = keras.layers.Dense(
            1,
            kernel_initializer=_uniform(irange, _seed(seed, n)),
            kernel_constraint=(
                keras.constraints.MaxNorm(max_col_norm, axis=0) if max_col_norm else None
            ),
            name="y",
        )

    def call(self, x, training=False):
        h = ops.reshape(x, (ops.shape(x)[0], -1))
        for dropout, maxout in zip(self.dropouts, self.maxouts):
            h = maxout(dropout(h, training=training))
        return self.out(self.dropouts[-1](h, training=training))

    def get_config(self):
        return {
            **super().get_config(),
            "maxout_units": self.maxout_units,
            "num_pieces": self.num_pieces,
            "irange": self.irange,
            "max_col_norm": self.max_col_norm,
            "input_include_prob": self.input_include_prob,
            "input_scale": self.input_scale,
            "hidden_include_prob": self.hidden_include_prob,
            "hidden_scale": self.hidden_scale,
            "seed": self.seed,
        }
