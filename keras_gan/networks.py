"""The two players of section 3: the generator G(z; theta_g) and the
discriminator D(x; theta_d), as multilayer perceptrons (section 5: "a mixture
of rectifier linear activations and sigmoid activations" for G, maxout with
dropout for D). Sizes come from the experiment's flags.
"""

import math

import keras
import numpy as np
from keras import ops

from keras_gan.layers import InstanceNoise, Maxout, MaxoutConv2D, ScaledDropout, SparseInit
from keras_gan.seeds import stream_seed


def _uniform(irange, seed):
    return keras.initializers.RandomUniform(-irange, irange, seed=seed)


def _seed(seed, model, layer):
    """The key of one layer's stream (its initial weights or dropout masks)."""
    return None if seed is None else stream_seed(seed, model, layer)


def _layer_specs(kind, units, activations, biases):
    """(units, activations, biases) of a stack of dense layers as tuples; biases default to 0."""
    units, activations = tuple(int(u) for u in units), tuple(activations)
    biases = tuple(float(b) for b in biases) if biases else (0.0,) * len(units)
    if not (len(units) == len(activations) == len(biases)):
        raise ValueError(
            f"`{kind}_units`, `{kind}_activations` and `{kind}_biases` must have the same length. Received: "
            f"{kind}_units={units}, {kind}_activations={activations}, {kind}_biases={biases}"
        )
    return units, activations, biases


@keras.saving.register_keras_serializable(package="keras_gan")
class Generator(keras.Model):
    """G: noise `z` -> added layers -> hidden layers -> an image in the data space.

    The layers are named `added0`, `added1`, ..., `h0`, `h1`, ..., `y`. The
    added layers are the release's `add_layers` (TFD's second stage): they are
    put in front of a trained generator's layers, their last one taking the
    noise's place, and the layers of the same names are copied in
    (`experiment.init_generator_from`).

    Args:
        image_shape: Output shape per example, e.g. `(28, 28, 1)`.
        hidden_units: Width of each hidden layer.
        hidden_activations: Activation of each hidden layer ("relu", "sigmoid").
        hidden_biases: Initial bias of each hidden layer (the TFD model starts
            its sigmoid layer at -2).
        added_units: Width of each added layer (none by default).
        added_activations: Activation of each added layer.
        added_biases: Initial bias of each added layer (default 0).
        output_activation: "sigmoid" for pixels in [0, 1], "linear" otherwise.
        irange: Weights start uniform in `[-irange, irange]`.
        max_col_norm: Optional column-norm bound for every layer.
        output_sparse_init: If set, the output layer starts with this many
            N(0, 1) nonzero weights per unit (pylearn2's `sparse_init`).
        output_irange: If set, the output layer's weights start uniform in
            `[-output_irange, output_irange]` instead of `irange`.
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
        output_sparse_init=None,
        output_irange=None,
        added_units=(),
        added_activations=(),
        added_biases=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        hidden_units, hidden_activations, hidden_biases = _layer_specs("hidden", hidden_units, hidden_activations,
                                                                       hidden_biases)
        added_units, added_activations, added_biases = _layer_specs("added", added_units, added_activations,
                                                                    added_biases)
        self.image_shape = tuple(int(d) for d in image_shape)
        self.hidden_units = hidden_units
        self.hidden_activations = hidden_activations
        self.hidden_biases = hidden_biases
        self.added_units = added_units
        self.added_activations = added_activations
        self.added_biases = added_biases
        self.output_activation = output_activation
        self.irange = irange
        self.max_col_norm = max_col_norm
        self.output_sparse_init = output_sparse_init
        self.output_irange = output_irange
        self.seed = seed
        constraint = (
            keras.constraints.MaxNorm(max_col_norm, axis=0) if max_col_norm else None
        )
        self.added = [
            self._dense_layer(f"added{i}", units, activation, bias, constraint)
            for i, (units, activation, bias) in enumerate(zip(added_units, added_activations, added_biases))
        ]
        self.hidden = [
            self._dense_layer(f"h{i}", units, activation, bias, constraint)
            for i, (units, activation, bias) in enumerate(zip(hidden_units, hidden_activations, hidden_biases))
        ]
        self.out = self._output_layer(constraint)

    def _dense_layer(self, name, units, activation, bias, constraint):
        return keras.layers.Dense(
            units,
            activation=activation,
            kernel_initializer=_uniform(self.irange, _seed(self.seed, "generator", name)),
            bias_initializer=keras.initializers.Constant(bias),
            kernel_constraint=constraint,
            name=name,
        )

    def _output_layer(self, constraint):
        seed = _seed(self.seed, "generator", "y")
        initializer = (SparseInit(self.output_sparse_init, seed) if self.output_sparse_init
                       else _uniform(self.output_irange or self.irange, seed))
        return keras.layers.Dense(
            math.prod(self.image_shape),
            activation=self.output_activation,
            kernel_initializer=initializer,
            kernel_constraint=constraint,
            dtype="float32",  # images stay float32 under mixed precision
            name="y",
        )

    def features(self, z):
        """The last hidden layer's output for noise `z`."""
        h = z
        for layer in self.added + self.hidden:
            h = layer(h)
        return h

    def call(self, z, training=False):
        return ops.reshape(self.out(self.features(z)), (-1, *self.image_shape))

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
            "output_sparse_init": self.output_sparse_init,
            "output_irange": self.output_irange,
            "added_units": self.added_units,
            "added_activations": self.added_activations,
            "added_biases": self.added_biases,
            "seed": self.seed,
        }


@keras.saving.register_keras_serializable(package="keras_gan")
class ConvGenerator(Generator):
    """The release's convolutional CIFAR-10 generator: the dense hidden layers
    of `Generator`, the last one reshaped to `conv_shape` (height, width,
    channels), then a transposed convolution with `conv_kernel` and
    `conv_stride` to the image (10 x 10 x 80 -> kernel 5, stride 3 -> 32 x 32 x 3).

    Args:
        conv_shape, conv_kernel, conv_stride: As above.
        **kwargs: As `Generator`.
    """

    def __init__(self, conv_shape=(10, 10, 80), conv_kernel=5, conv_stride=3, **kwargs):
        self.conv_shape = tuple(int(d) for d in conv_shape)
        self.conv_kernel = int(conv_kernel)
        self.conv_stride = int(conv_stride)
        super().__init__(**kwargs)
        if self.hidden_units[-1] != math.prod(self.conv_shape):
            raise ValueError(
                f"The last hidden layer ({self.hidden_units[-1]} units) must reshape to conv_shape "
                f"{self.conv_shape} ({math.prod(self.conv_shape)} units). Received: conv_shape={self.conv_shape}"
            )
        size = [(d - 1) * self.conv_stride + self.conv_kernel for d in self.conv_shape[:2]]
        if tuple(size) != self.image_shape[:2]:
            raise ValueError(
                f"A transposed convolution (kernel {self.conv_kernel}, stride {self.conv_stride}) of a "
                f"{self.conv_shape[0]} x {self.conv_shape[1]} map gives {size[0]} x {size[1]} images, not "
                f"{self.image_shape[0]} x {self.image_shape[1]}. Received: image_shape={self.image_shape}"
            )

    def _output_layer(self, constraint):
        return keras.layers.Conv2DTranspose(
            self.image_shape[-1], self.conv_kernel, strides=self.conv_stride, padding="valid",
            activation=self.output_activation,
            kernel_initializer=_uniform(self.output_irange or self.irange, _seed(self.seed, "generator", "y")),
            # The kernel is (height, width, output channels, input channels): one bound per output channel.
            kernel_constraint=keras.constraints.MaxNorm(self.max_col_norm, axis=(0, 1, 3)) if constraint else None,
            dtype="float32",
            name="y",
        )

    def call(self, z, training=False):
        return self.out(ops.reshape(self.features(z), (-1, *self.conv_shape)))

    def get_config(self):
        return {**super().get_config(), "conv_shape": self.conv_shape, "conv_kernel": self.conv_kernel,
                "conv_stride": self.conv_stride}


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
        input_noise: Standard deviation of Gaussian noise added to D's input at
            training time, data and samples alike (the release's `noise_both`;
            0, its configs' value: none).
        seed: Optional integer seed for weights and dropout masks.

    Call arguments:
        x: Images `(batch_size, ...)`; flattened internally.
        condition: Optional `(batch_size, C)` one-hot classes, joined to the
            (dropped-out) input of the first maxout layer (the conditional model).
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
        input_noise=0.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.input_noise = float(input_noise)
        # Only with noise: a run without it has the variables (and checkpoints) it always had.
        self.noise = InstanceNoise(input_noise, _seed(seed, "discriminator", "noise"), name="noise") if input_noise \
            else None
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
            ScaledDropout(input_include_prob, input_scale, seed=_seed(seed, "discriminator", "drop0"), name="drop0")
        ] + [
            ScaledDropout(
                hidden_include_prob,
                hidden_scale,
                seed=_seed(seed, "discriminator", f"drop{i + 1}"),
                name=f"drop{i + 1}",
            )
            for i in range(n)
        ]
        self.maxouts = [
            Maxout(
                units,
                self.num_pieces,
                kernel_initializer=_uniform(irange, _seed(seed, "discriminator", f"h{i}")),
                max_col_norm=max_col_norm,
                name=f"h{i}",
            )
            for i, units in enumerate(self.maxout_units)
        ]
        self.out = keras.layers.Dense(
            1,
            kernel_initializer=_uniform(irange, _seed(seed, "discriminator", "y")),
            kernel_constraint=(keras.constraints.MaxNorm(max_col_norm, axis=0) if max_col_norm else None),
            dtype="float32",  # logits stay float32 under mixed precision
            name="y",
        )

    def call(self, x, condition=None, training=False):
        return self.maxout_head(self.add_noise(x, training), condition, training)

    def maxout_head(self, x, condition=None, training=False):
        """The maxout layers and the sigmoid unit's logit, each after its dropout, for `x` flattened."""
        h = ops.reshape(x, (ops.shape(x)[0], -1))
        for i, (dropout, maxout) in enumerate(zip(self.dropouts, self.maxouts)):
            h = dropout(h, training=training)
            if i == 0 and condition is not None:
                h = ops.concatenate([h, ops.cast(condition, h.dtype)], axis=1)
            h = maxout(h)
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
            "input_noise": self.input_noise,
        }

    def add_noise(self, x, training):
        return self.noise(x, training=training) if self.noise is not None else x


@keras.saving.register_keras_serializable(package="keras_gan")
class ConvDiscriminator(Discriminator):
    """The release's convolutional CIFAR-10 discriminator: maxout convolution
    layers, each followed by max pooling, then the maxout layers and sigmoid
    unit of `Discriminator`. Every layer's input goes through `ScaledDropout`.

    Args:
        conv_channels, conv_kernels, conv_pads, pool_sizes, pool_strides:
            One entry per maxout convolution layer.
        conv_pieces: Pieces per maxout convolution channel.
        **kwargs: As `Discriminator`.
    """

    def __init__(
        self,
        conv_channels=(32, 32, 192),
        conv_pieces=2,
        conv_kernels=(8, 8, 5),
        conv_pads=(4, 3, 3),
        pool_sizes=(4, 4, 2),
        pool_strides=(2, 2, 2),
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.conv_channels = tuple(int(c) for c in conv_channels)
        self.conv_pieces = int(conv_pieces)
        self.conv_kernels = tuple(int(k) for k in conv_kernels)
        self.conv_pads = tuple(int(p) for p in conv_pads)
        self.pool_sizes = tuple(int(p) for p in pool_sizes)
        self.pool_strides = tuple(int(p) for p in pool_strides)
        n = len(self.conv_channels)
        if not n == len(self.conv_kernels) == len(self.conv_pads) == len(self.pool_sizes) == len(self.pool_strides):
            raise ValueError(
                "conv_channels, conv_kernels, conv_pads, pool_sizes and pool_strides must have the "
                f"same length. Received: conv_channels={self.conv_channels}, conv_kernels="
                f"{self.conv_kernels}, conv_pads={self.conv_pads}, pool_sizes={self.pool_sizes}, "
                f"pool_strides={self.pool_strides}"
            )
        self.convs = [
            MaxoutConv2D(
                c,
                self.conv_pieces,
                k,
                pad=p,
                kernel_initializer=_uniform(self.irange, _seed(self.seed, "discriminator", f"conv{i}")),
                max_kernel_norm=self.max_col_norm,
                name=f"conv{i}",
            )
            for i, (c, k, p) in enumerate(zip(self.conv_channels, self.conv_kernels, self.conv_pads))
        ]
        self.pools = [
            keras.layers.MaxPooling2D(s, t, name=f"pool{i}")
            for i, (s, t) in enumerate(zip(self.pool_sizes, self.pool_strides))
        ]
        # The data input's dropout is the first conv's; every later layer gets the hidden one.
        self.conv_dropouts = [self.dropouts[0]] + [
            ScaledDropout(
                self.hidden_include_prob,
                self.hidden_scale,
                seed=_seed(self.seed, "discriminator", f"conv_drop{i + 1}"),
                name=f"conv_drop{i + 1}",
            )
            for i in range(n)
        ]
        self.dropouts = [self.conv_dropouts[-1]] + self.dropouts[1:]

    def call(self, x, condition=None, training=False):
        h = self.add_noise(x, training)
        for dropout, conv, pool in zip(self.conv_dropouts, self.convs, self.pools):
            h = pool(conv(dropout(h, training=training)))
        return self.maxout_head(h, condition, training)

    def get_config(self):
        return {
            **super().get_config(),
            "conv_channels": self.conv_channels,
            "conv_pieces": self.conv_pieces,
            "conv_kernels": self.conv_kernels,
            "conv_pads": self.conv_pads,
            "pool_sizes": self.pool_sizes,
            "pool_strides": self.pool_strides,
        }
