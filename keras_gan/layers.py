"""The discriminator's building blocks: maxout units and pylearn2-style dropout.

Both follow the authors' release (goodfeli/adversarial on pylearn2), which the
paper's section 5 describes only as "maxout [10] activations" and "dropout [17]
was applied in training the discriminator net".
"""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from keras_gan.distribute import replica_seed


@keras.saving.register_keras_serializable(package="keras_gan")
class Maxout(keras.layers.Layer):
    """Fully connected maxout layer (Goodfellow et al., 2013, ref. [10] of the paper).

    Computes `z = x W + b` with `units * num_pieces` columns and returns, for
    each unit `u`, the maximum over the contiguous block of columns
    `[u * num_pieces, (u + 1) * num_pieces)`. This is pylearn2's grouping, so
    weights trained by the release map one to one.

    Args:
        units: Positive integer, number of maxout units (output dimension).
        num_pieces: Positive integer, linear pieces per unit.
        kernel_initializer: Initializer for `W` (the release: uniform in
            `[-irange, irange]`).
        bias_initializer: Initializer for `b`.
        max_col_norm: Optional positive float. After every update each column
            of `W` is rescaled to L2 norm at most `max_col_norm`
            (`keras.constraints.MaxNorm` over axis 0), as pylearn2's
            `max_col_norm`.

    Call arguments:
        inputs: A 2D tensor `(batch_size, input_dim)` (flatten images first,
            as `Discriminator` does; higher ranks are refused).

    Input shape:
        `(batch_size, input_dim)`.

    Output shape:
        `(batch_size, units)`.
    """

    def __init__(
        self,
        units,
        num_pieces,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        max_col_norm=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not isinstance(units, int) or units <= 0:
            raise ValueError(
                f"`units` must be a positive integer. Received: units={units}"
            )
        if not isinstance(num_pieces, int) or num_pieces <= 0:
            raise ValueError(
                "`num_pieces` must be a positive integer. "
                f"Received: num_pieces={num_pieces}"
            )
        if max_col_norm is not None and not max_col_norm > 0:
            raise ValueError(
                "`max_col_norm` must be positive or None. "
                f"Received: max_col_norm={max_col_norm}"
            )
        self.units = units
        self.num_pieces = num_pieces
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.max_col_norm = max_col_norm
        self.input_spec = keras.layers.InputSpec(ndim=2)

    def build(self, input_shape):
        input_dim = input_shape[-1]
        constraint = (
            keras.constraints.MaxNorm(self.max_col_norm, axis=0)
            if self.max_col_norm is not None
            else None
        )
        self.kernel = self.add_weight(
            name="kernel",
            shape=(input_dim, self.units * self.num_pieces),
            initializer=self.kernel_initializer,
            constraint=constraint,
        )
        self.bias = self.add_weight(
            name="bias",
            shape=(self.units * self.num_pieces,),
            initializer=self.bias_initializer,
        )

    def call(self, inputs):
        z = ops.add(ops.matmul(inputs, self.kernel), self.bias)
        z = ops.reshape(z, (-1, self.units, self.num_pieces))
        return ops.max(z, axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "num_pieces": self.num_pieces,
            "kernel_initializer": keras.initializers.serialize(
                self.kernel_initializer
            ),
            "bias_initializer": keras.initializers.serialize(
                self.bias_initializer
            ),
            "max_col_norm": self.max_col_norm,
        }


def bernoulli_mask(shape, include_prob, seed):
    """A boolean tensor of `shape`, each entry True with probability `include_prob` (see `ScaledDropout`),
    from stateless random 32-bit words: one bit per entry for 1/2, 16 bits per entry otherwise."""
    shape = tf.convert_to_tensor(shape)
    batch, size = shape[0], tf.reduce_prod(shape[1:])
    per_word = 32 if include_prob == 0.5 else 2
    words = tf.random.stateless_uniform(tf.stack([batch, (size + per_word - 1) // per_word]), seed, minval=None,
                                        maxval=None, dtype=tf.uint32)
    if per_word == 32:
        bits = tf.bitwise.right_shift(words[..., None], tf.constant(np.arange(32, dtype=np.uint32)))
        keep = tf.bitwise.bitwise_and(bits, 1) > 0
    else:
        halves = tf.bitwise.right_shift(words[..., None], tf.constant([0, 16], tf.uint32))
        keep = tf.bitwise.bitwise_and(halves, 0xFFFF) < tf.constant(round(include_prob * 65536), tf.uint32)
    return tf.reshape(tf.reshape(keep, tf.stack([batch, -1]))[:, :size], shape)


@keras.saving.register_keras_serializable(package="keras_gan")
class ScaledDropout(keras.layers.Layer):
    """Dropout with an explicit scale, as pylearn2's `Dropout` cost.

    At training time every example gets its own Bernoulli(`include_prob`)
    mask over the features, and the kept values are multiplied by `scale`. At
    inference the layer is the identity. Unlike `keras.layers.Dropout`, the
    scale is not tied to `1 / include_prob`: the release sets it explicitly
    (0.8 and 1.25 on the discriminator's input, 0.5 and 2.0 elsewhere).

    The masks are cut from random 32-bit words rather than drawn as one float
    per entry: with `include_prob=0.5` each bit of a word is one entry (32 per
    word, exactly Bernoulli(1/2)); otherwise each 16-bit half is one entry,
    kept when below round(include_prob * 65536), which keeps with probability
    round(include_prob * 65536) / 65536 (for 0.8: 52429 / 65536, 3e-6 above 0.8).

    Args:
        include_prob: Float in `(0, 1]`, probability of keeping a value.
        scale: Positive float multiplying the kept values at training time.
        seed: Optional integer seed for the masks.

    Call arguments:
        inputs: Input tensor of any rank.
        training: Python boolean; masks are applied only when `True`.

    Input shape:
        Arbitrary.

    Output shape:
        Same as the input.
    """

    def __init__(self, include_prob, scale, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0.0 < include_prob <= 1.0:
            raise ValueError(
                "`include_prob` must be in (0, 1]. "
                f"Received: include_prob={include_prob}"
            )
        if not scale > 0.0:
            raise ValueError(f"`scale` must be positive. Received: scale={scale}")
        self.include_prob = float(include_prob)
        self.scale = float(scale)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.supports_masking = True
        self.built = True

    def call(self, inputs, training=False):
        if not training or (self.include_prob == 1.0 and self.scale == 1.0):
            return inputs
        keep = bernoulli_mask(ops.shape(inputs), self.include_prob, replica_seed(self.seed_generator))
        return ops.where(keep, inputs * self.scale, ops.zeros_like(inputs))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "include_prob": self.include_prob,
            "scale": self.scale,
            "seed": self.seed,
        }


@keras.saving.register_keras_serializable(package="keras_gan")
class InstanceNoise(keras.layers.Layer):
    """Adds N(0, stddev^2) noise to every value at training time, as the
    release's `AdversaryCost2(noise_both=stddev)` does to both the data and
    G's samples before D sees them (off in its configs; "instance noise" in
    Sonderby et al. 2016 and Arjovsky and Bottou 2017, who show that it keeps
    D's gradient informative when the two distributions barely overlap).
    Blurring both sides by the same noise keeps p_g = p_data the game's
    optimum. Each example and replica draws its own noise.

    The standard deviation in force is `stddev` times `scale_fn()` when a
    `scale_fn` is set (a zero-argument callable returning a scalar tensor,
    read at each call; `GAN.anneal_input_noise` sets one that falls to 0),
    else `stddev`. It is not part of the layer's config or variables.

    Args:
        stddev: Non-negative float, the noise's standard deviation (0: none).
        seed: Optional integer seed.

    Call arguments:
        inputs: Input tensor of any rank.
        training: Python boolean; noise is added only when `True`.

    Input shape:
        Arbitrary.

    Output shape:
        Same as the input.
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not stddev >= 0.0:
            raise ValueError(f"`stddev` must be >= 0. Received: stddev={stddev}")
        self.stddev = float(stddev)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.scale_fn = None
        self.built = True

    def call(self, inputs, training=False):
        if not training or not self.stddev:
            return inputs
        noise = tf.random.stateless_normal(ops.shape(inputs), replica_seed(self.seed_generator), dtype=inputs.dtype)
        stddev = self.stddev if self.scale_fn is None else self.stddev * ops.cast(self.scale_fn(), inputs.dtype)
        return inputs + stddev * noise

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


@keras.saving.register_keras_serializable(package="keras_gan")
class MaxoutConv2D(keras.layers.Layer):
    """Maxout convolution: a convolution with `filters * num_pieces` output
    channels, and each output channel `u` the maximum over the contiguous
    channels `[u * num_pieces, (u + 1) * num_pieces)` (grouped like `Maxout`).

    Args:
        filters: Positive integer, output channels.
        num_pieces: Positive integer, linear pieces per channel.
        kernel_size: Integer, square kernel size.
        pad: Non-negative integer, zeros added on every side before the
            convolution (pylearn2's explicit `pad`); the convolution is "valid".
        kernel_initializer, bias_initializer: Initializers.
        max_kernel_norm: Optional bound on the L2 norm of each filter.

    Call arguments:
        inputs: A 4D tensor `(batch_size, height, width, channels)`.

    Input shape:
        `(batch_size, height, width, channels)`.

    Output shape:
        `(batch_size, height + 2 pad - kernel_size + 1, width + 2 pad - kernel_size + 1, filters)`.
    """

    def __init__(self, filters, num_pieces, kernel_size, pad=0, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", max_kernel_norm=None, **kwargs):
        super().__init__(**kwargs)
        for name, value, low in (("filters", filters, 1), ("num_pieces", num_pieces, 1),
                                 ("kernel_size", kernel_size, 1), ("pad", pad, 0)):
            if not isinstance(value, int) or value < low:
                raise ValueError(f"`{name}` must be an integer >= {low}. Received: {name}={value}")
        self.filters, self.num_pieces, self.kernel_size, self.pad = filters, num_pieces, kernel_size, pad
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.max_kernel_norm = max_kernel_norm
        self.conv = keras.layers.Conv2D(
            filters * num_pieces, kernel_size, padding="valid",
            kernel_initializer=self.kernel_initializer, bias_initializer=self.bias_initializer,
            kernel_constraint=keras.constraints.MaxNorm(max_kernel_norm, axis=(0, 1, 2)) if max_kernel_norm else None,
        )

    def build(self, input_shape):
        h, w, c = input_shape[1:]
        padded = (input_shape[0], None if h is None else h + 2 * self.pad, None if w is None else w + 2 * self.pad, c)
        self.conv.build(padded)

    def call(self, inputs):
        if self.pad:
            p = self.pad
            inputs = ops.pad(inputs, [[0, 0], [p, p], [p, p], [0, 0]])
        z = self.conv(inputs)
        shape = ops.shape(z)
        z = ops.reshape(z, (shape[0], shape[1], shape[2], self.filters, self.num_pieces))
        return ops.max(z, axis=-1)

    def compute_output_shape(self, input_shape):
        b, h, w, _ = input_shape
        out = lambda d: None if d is None else d + 2 * self.pad - self.kernel_size + 1  # noqa: E731
        return (b, out(h), out(w), self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "num_pieces": self.num_pieces,
            "kernel_size": self.kernel_size,
            "pad": self.pad,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            "max_kernel_norm": self.max_kernel_norm,
        }


@keras.saving.register_keras_serializable(package="keras_gan")
class CeilMaxPooling2D(keras.layers.Layer):
    """Max pooling whose output size rounds up, as cuda-convnet's pooling in
    the release's CIFAR-10 discriminator does (pylearn2's `max_pool_c01b`:
    `ceil((size - pool_size) / strides) + 1` outputs per side, "fine for a
    pooling square to fall off the boundary"); Keras' "valid" pooling rounds
    down. The bottom and right edges are padded with -inf, so a window that
    falls off the image takes the maximum of the pixels it covers.

    Args:
        pool_size: Positive integer, the square window's side.
        strides: Positive integer, the step between windows.

    Input shape:
        `(batch_size, height, width, channels)`, `height, width >= pool_size`.

    Output shape:
        `(batch_size, ceil((height - pool_size) / strides) + 1, ..., channels)`.
    """

    def __init__(self, pool_size, strides, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("pool_size", pool_size), ("strides", strides)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"`{name}` must be an integer >= 1. Received: {name}={value}")
        self.pool_size, self.strides = pool_size, strides
        self.pool = keras.layers.MaxPooling2D(pool_size, strides, padding="valid")

    def _out(self, d):
        return None if d is None else -(-(d - self.pool_size) // self.strides) + 1

    def _pad(self, d):
        return (self._out(d) - 1) * self.strides + self.pool_size - d

    def call(self, inputs):
        h, w = inputs.shape[1], inputs.shape[2]
        if h < self.pool_size or w < self.pool_size:
            raise ValueError(f"CeilMaxPooling2D needs maps of at least {self.pool_size} x {self.pool_size}; "
                             f"got {h} x {w}")
        pad = [[0, 0], [0, self._pad(h)], [0, self._pad(w)], [0, 0]]
        return self.pool(ops.pad(inputs, pad, constant_values=float("-inf")) if any(p for _, p in pad) else inputs)

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        return (b, self._out(h), self._out(w), c)

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "strides": self.strides}


@keras.saving.register_keras_serializable(package="keras_gan")
class UntiedBias(keras.layers.Layer):
    """A bias of its own for every output value (every pixel of every
    channel), as the release's `Deconv` output layer has (`tied_b: 0`), where
    a Keras convolution shares one bias per channel.

    Args:
        bias_initializer: Initializer of the bias (zeros, the release's).

    Input shape:
        `(batch_size, *shape)`, `shape` known when built.

    Output shape:
        Same as the input.
    """

    def __init__(self, bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        self.bias_initializer = keras.initializers.get(bias_initializer)

    def build(self, input_shape):
        self.bias = self.add_weight(shape=tuple(input_shape[1:]), initializer=self.bias_initializer, name="bias")

    def call(self, inputs):
        return inputs + ops.cast(self.bias, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "bias_initializer": keras.initializers.serialize(self.bias_initializer)}


@keras.saving.register_keras_serializable(package="keras_gan")
class SparseInit(keras.initializers.Initializer):
    """pylearn2's `sparse_init`: each unit (column) starts with `num_nonzero`
    N(0, 1) weights on randomly chosen inputs, the others zero."""

    def __init__(self, num_nonzero, seed=None):
        if not isinstance(num_nonzero, int) or num_nonzero < 1:
            raise ValueError(f"`num_nonzero` must be a positive integer. Received: num_nonzero={num_nonzero}")
        self.num_nonzero = num_nonzero
        self.seed = seed

    def __call__(self, shape, dtype=None):
        import numpy as np

        rows, cols = shape
        rng = np.random.default_rng(self.seed)
        w = np.zeros((rows, cols), np.float32)
        k = min(self.num_nonzero, rows)
        for col in range(cols):
            w[rng.choice(rows, k, replace=False), col] = rng.normal(size=k)
        return ops.convert_to_tensor(w, dtype=dtype or "float32")

    def get_config(self):
        return {"num_nonzero": self.num_nonzero, "seed": self.seed}
