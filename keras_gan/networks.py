"""The two players of section 3: the generator G(z; theta_g) and the
discriminator D(x; theta_d), as multilayer perceptrons (section 5: "a mixture
of rectifier linear activations and sigmoid activations" for G, maxout with
dropout for D), with the release's convolutional CIFAR-10 variants.

`keras_gan.architectures` builds them from an experiment's settings, by the
name `--g_architecture` / `--d_architecture` gives.
"""

import math

import keras
import numpy as np
from keras import ops

from keras_gan.layers import (
    CeilMaxPooling2D,
    InstanceNoise,
    Maxout,
    MaxoutConv2D,
    ScaledDropout,
    SparseInit,
    UntiedBias,
)
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

    The image comes from a dense layer (the paper's models) or, given
    `conv_shape`, from a transposed convolution of the last hidden layer
    reshaped to `conv_shape` (the release's CIFAR-10 model, `ConvGenerator`:
    10 x 10 x 80 -> kernel 5, stride 3 -> 32 x 32 x 3).

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
        max_col_norm: Optional column-norm bound for every layer (for the
            transposed convolution: one bound per output channel's filter).
        output_sparse_init: If set, the dense output layer starts with this
            many N(0, 1) nonzero weights per unit (pylearn2's `sparse_init`).
        output_irange: If set, the output layer's weights start uniform in
            `[-output_irange, output_irange]` instead of `irange`.
        conv_shape: If set, (height, width, channels) the last hidden layer
            is reshaped to before the transposed convolution.
        conv_kernel, conv_stride: The transposed convolution's kernel size
            and stride (with `conv_shape`).
        conv_untied_bias: With `conv_shape`: one bias per output pixel and
            channel (`y_bias`), as the release's `Deconv` (`tied_b: 0`), instead
            of the convolution's one per channel.
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
        conv_shape=None,
        conv_kernel=5,
        conv_stride=3,
        conv_untied_bias=False,
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
        self.conv_shape = None if conv_shape is None else tuple(int(d) for d in conv_shape)
        self.conv_kernel = int(conv_kernel)
        self.conv_stride = int(conv_stride)
        self.conv_untied_bias = bool(conv_untied_bias) and self.conv_shape is not None
        self.seed = seed
        if self.conv_shape is not None:
            _check_transposed_convolution(self.hidden_units[-1], self.conv_shape, self.conv_kernel, self.conv_stride,
                                          self.image_shape)
        constraint = (
            keras.constraints.MaxNorm(max_col_norm, axis=0) if max_col_norm else None
        )
        self.added = [
            _dense("added", i, spec, irange, constraint, seed)
            for i, spec in enumerate(zip(added_units, added_activations, added_biases))
        ]
        self.hidden = [
            _dense("h", i, spec, irange, constraint, seed)
            for i, spec in enumerate(zip(hidden_units, hidden_activations, hidden_biases))
        ]
        output_seed = _seed(seed, "generator", "y")
        if self.conv_shape is None:
            self.out = keras.layers.Dense(
                math.prod(self.image_shape),
                activation=output_activation,
                kernel_initializer=(SparseInit(output_sparse_init, output_seed) if output_sparse_init
                                    else _uniform(output_irange or irange, output_seed)),
                kernel_constraint=constraint,
                dtype="float32",  # images stay float32 under mixed precision
                name="y",
            )
        else:
            self.out = keras.layers.Conv2DTranspose(
                self.image_shape[-1], self.conv_kernel, strides=self.conv_stride, padding="valid",
                activation=None if self.conv_untied_bias else output_activation,
                use_bias=not self.conv_untied_bias,
                kernel_initializer=_uniform(output_irange or irange, output_seed),
                # The kernel is (height, width, output channels, input channels): one bound per output channel.
                kernel_constraint=keras.constraints.MaxNorm(max_col_norm, axis=(0, 1, 3)) if max_col_norm else None,
                dtype="float32",
                name="y",
            )
        # Only when untied: the other generators keep the variables (and checkpoints) they always had.
        self.out_bias = UntiedBias(dtype="float32", name="y_bias") if self.conv_untied_bias else None
        self.output_activation_fn = keras.activations.get(output_activation)

    def features(self, z):
        """The last hidden layer's output for noise `z`."""
        h = z
        for layer in self.added + self.hidden:
            h = layer(h)
        return h

    def call(self, z, training=False):
        if self.conv_shape is not None:
            x = self.out(ops.reshape(self.features(z), (-1, *self.conv_shape)))
            return self.output_activation_fn(self.out_bias(x)) if self.out_bias is not None else x
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
        bias = self.out_bias.bias if self.out_bias is not None else self.out.bias
        if math.prod(bias.shape) != m.size:
            raise ValueError(f"The output layer's bias has shape {tuple(bias.shape)} (one per channel): it cannot "
                             f"start at the {m.size} pixel marginals. Received: pixel_means of {m.size} values")
        bias.assign(np.log(m / (1.0 - m)).astype("float32").reshape(bias.shape))

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
            "conv_shape": self.conv_shape,
            "conv_kernel": self.conv_kernel,
            "conv_stride": self.conv_stride,
            "conv_untied_bias": self.conv_untied_bias,
            "seed": self.seed,
        }


def _dense(prefix, index, spec, irange, constraint, seed):
    """Generator layer `<prefix><index>` of (units, activation, initial bias) `spec`."""
    name = f"{prefix}{index}"
    units, activation, bias = spec
    return keras.layers.Dense(
        units,
        activation=activation,
        kernel_initializer=_uniform(irange, _seed(seed, "generator", name)),
        bias_initializer=keras.initializers.Constant(bias),
        kernel_constraint=constraint,
        name=name,
    )


def _check_transposed_convolution(units, conv_shape, kernel, stride, image_shape):
    if units != math.prod(conv_shape):
        raise ValueError(
            f"The last hidden layer ({units} units) must reshape to conv_shape "
            f"{conv_shape} ({math.prod(conv_shape)} units). Received: conv_shape={conv_shape}"
        )
    size = [(d - 1) * stride + kernel for d in conv_shape[:2]]
    if tuple(size) != image_shape[:2]:
        raise ValueError(
            f"A transposed convolution (kernel {kernel}, stride {stride}) of a "
            f"{conv_shape[0]} x {conv_shape[1]} map gives {size[0]} x {size[1]} images, not "
            f"{image_shape[0]} x {image_shape[1]}. Received: image_shape={image_shape}"
        )


@keras.saving.register_keras_serializable(package="keras_gan")
class ConvGenerator(Generator):
    """The release's convolutional CIFAR-10 generator: a `Generator` whose
    image is a transposed convolution, with the release's shape, kernel and
    stride as defaults (10 x 10 x 80 -> kernel 5, stride 3 -> 32 x 32 x 3).

    Args:
        conv_shape, conv_kernel, conv_stride: As `Generator`.
        **kwargs: As `Generator`.
    """

    def __init__(self, conv_shape=(10, 10, 80), conv_kernel=5, conv_stride=3, conv_untied_bias=True, **kwargs):
        super().__init__(conv_shape=conv_shape, conv_kernel=conv_kernel, conv_stride=conv_stride,
                         conv_untied_bias=conv_untied_bias, **kwargs)


@keras.saving.register_keras_serializable(package="keras_gan")
class Discriminator(keras.Model):
    """D: an image -> the logit of the probability that it came from the data.

    Optional maxout convolution stages (each a `MaxoutConv2D` then max
    pooling; the release's CIFAR-10 model, `ConvDiscriminator`), then maxout
    layers, then one sigmoid unit. Every layer's input goes through
    `ScaledDropout`: the data with `input_include_prob`/`input_scale`
    (`drop0`), each later layer's input with `hidden_include_prob`/
    `hidden_scale` (`conv_drop<i>` after convolution stage i - 1, `drop<j>`
    after maxout layer j - 1), the final sigmoid's included. The network
    returns the logit; `D(x) = sigmoid(logit)` so the losses stay finite when
    D saturates.

    Args:
        maxout_units: Units of each maxout layer.
        num_pieces: Linear pieces per maxout unit.
        irange: Weights start uniform in `[-irange, irange]`.
        max_col_norm: Optional column-norm bound for every layer (a filter
            norm bound for the convolutions).
        input_include_prob, input_scale: Dropout on the data input.
        hidden_include_prob, hidden_scale: Dropout on every other layer's input.
        conv_channels, conv_kernels, conv_pads, pool_sizes, pool_strides:
            One entry per maxout convolution stage (none by default).
        conv_pieces: Pieces per maxout convolution channel.
        pool_ceil: Pooled maps round their size up (`CeilMaxPooling2D`, the
            release's cuda-convnet pooling: 16, 7, 5 on CIFAR-10) instead of
            Keras' down (15, 6, 4).
        input_noise: Standard deviation of Gaussian noise added to D's input at
            training time, data and samples alike (the release's `noise_both`;
            0, its configs' value: none).
        seed: Optional integer seed for weights and dropout masks.

    Call arguments:
        x: Images `(batch_size, ...)`; flattened after the convolution stages.
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
        conv_channels=(),
        conv_pieces=2,
        conv_kernels=(),
        conv_pads=(),
        pool_sizes=(),
        pool_strides=(),
        pool_ceil=False,
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
        self.conv_channels = tuple(int(c) for c in conv_channels)
        self.conv_pieces = int(conv_pieces)
        self.conv_kernels = tuple(int(k) for k in conv_kernels)
        self.conv_pads = tuple(int(p) for p in conv_pads)
        self.pool_sizes = tuple(int(p) for p in pool_sizes)
        self.pool_strides = tuple(int(p) for p in pool_strides)
        self.pool_ceil = bool(pool_ceil)
        self.seed = seed
        n = len(self.conv_channels)
        if not n == len(self.conv_kernels) == len(self.conv_pads) == len(self.pool_sizes) == len(self.pool_strides):
            raise ValueError(
                "conv_channels, conv_kernels, conv_pads, pool_sizes and pool_strides must have the "
                f"same length. Received: conv_channels={self.conv_channels}, conv_kernels="
                f"{self.conv_kernels}, conv_pads={self.conv_pads}, pool_sizes={self.pool_sizes}, "
                f"pool_strides={self.pool_strides}"
            )
        # Made in this order, the maxout layers before the convolutions: a checkpoint lists D's weights and
        # dropout states in the order D tracks its layers.
        self.dropouts = [self._dropout("drop0", input_include_prob, input_scale)] + [
            self._dropout(f"drop{j + 1}", hidden_include_prob, hidden_scale) for j in range(len(self.maxout_units))
        ]
        self.maxouts = [
            Maxout(
                units,
                self.num_pieces,
                kernel_initializer=_uniform(irange, _seed(seed, "discriminator", f"h{j}")),
                max_col_norm=max_col_norm,
                name=f"h{j}",
            )
            for j, units in enumerate(self.maxout_units)
        ]
        self.out = keras.layers.Dense(
            1,
            kernel_initializer=_uniform(irange, _seed(seed, "discriminator", "y")),
            kernel_constraint=(keras.constraints.MaxNorm(max_col_norm, axis=0) if max_col_norm else None),
            dtype="float32",  # logits stay float32 under mixed precision
            name="y",
        )
        self.convs = [
            MaxoutConv2D(
                c,
                self.conv_pieces,
                k,
                pad=p,
                kernel_initializer=_uniform(irange, _seed(seed, "discriminator", f"conv{i}")),
                max_kernel_norm=max_col_norm,
                name=f"conv{i}",
            )
            for i, (c, k, p) in enumerate(zip(self.conv_channels, self.conv_kernels, self.conv_pads))
        ]
        pool = CeilMaxPooling2D if self.pool_ceil else keras.layers.MaxPooling2D
        self.pools = [pool(s, t, name=f"pool{i}") for i, (s, t) in enumerate(zip(self.pool_sizes, self.pool_strides))]
        self.conv_dropouts = [self._dropout(f"conv_drop{i + 1}", hidden_include_prob, hidden_scale) for i in range(n)]

    def _dropout(self, name, include_prob, scale):
        return ScaledDropout(include_prob, scale, seed=_seed(self.seed, "discriminator", name), name=name)

    def call(self, x, condition=None, training=False):
        h = self.dropouts[0](self.add_noise(x, training), training=training)
        for conv, pool, dropout in zip(self.convs, self.pools, self.conv_dropouts):
            h = dropout(pool(conv(h)), training=training)
        # A mask depends on the number of values per example, not on their shape: flattening after it is exact.
        h = ops.reshape(h, (ops.shape(h)[0], -1))
        if condition is not None:
            h = ops.concatenate([h, ops.cast(condition, h.dtype)], axis=1)
        for maxout, dropout in zip(self.maxouts, self.dropouts[1:]):
            h = dropout(maxout(h), training=training)
        return self.out(h)

    def add_noise(self, x, training):
        """`x` plus the input noise at training time (`input_noise`; none by default)."""
        return self.noise(x, training=training) if self.noise is not None else x

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
            "conv_channels": self.conv_channels,
            "conv_pieces": self.conv_pieces,
            "conv_kernels": self.conv_kernels,
            "conv_pads": self.conv_pads,
            "pool_sizes": self.pool_sizes,
            "pool_strides": self.pool_strides,
            "pool_ceil": self.pool_ceil,
            "seed": self.seed,
            "input_noise": self.input_noise,
        }


@keras.saving.register_keras_serializable(package="keras_gan")
class ConvDiscriminator(Discriminator):
    """The release's convolutional CIFAR-10 discriminator: a `Discriminator`
    with the release's three maxout convolution stages as defaults.

    Args:
        conv_channels, conv_pieces, conv_kernels, conv_pads, pool_sizes,
            pool_strides: As `Discriminator`.
        **kwargs: As `Discriminator`.
    """

    def __init__(self, conv_channels=(32, 32, 192), conv_pieces=2, conv_kernels=(8, 8, 5), conv_pads=(4, 3, 3),
                 pool_sizes=(4, 4, 2), pool_strides=(2, 2, 2), pool_ceil=True, **kwargs):
        super().__init__(conv_channels=conv_channels, conv_pieces=conv_pieces, conv_kernels=conv_kernels,
                         conv_pads=conv_pads, pool_sizes=pool_sizes, pool_strides=pool_strides, pool_ceil=pool_ceil,
                         **kwargs)

