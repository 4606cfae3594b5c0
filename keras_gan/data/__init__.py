"""Data sets held in memory, and the input pipeline that feeds Algorithm 1.

Images are kept as uint8 arrays (N, H, W, C) and turned into float32 pixels in
[0, 1] batch by batch. Each epoch is a permutation of indices drawn from a
stateless RNG keyed by (seed, epoch), so the data order of any step is a pure
function of the seed and the step: a resumed run reads exactly the batches an
uninterrupted one would, without a shuffle buffer to refill or to checkpoint.
"""

import numpy as np
import tensorflow as tf

from keras_gan.config import DATASETS, PREPROCESSING
from keras_gan.data.base import DataError, Splits, gaussian_1d, to_float  # noqa: F401
from keras_gan.data.cifar10 import load_cifar10_bin, load_cifar10_tfds
from keras_gan.data.folder import load_folder
from keras_gan.data.mnist import MNIST_FILES, _mnist_splits, load_mnist_idx, load_mnist_tfds, read_idx  # noqa: F401
from keras_gan.data.tfd import load_tfd, load_tfd_folds  # noqa: F401
from keras_gan.seeds import stream_seed


def load(config):
    """Loads `config.dataset` into memory as `Splits`."""
    if config.dataset == "mnist":
        return load_mnist_idx(config.data_dir) if config.data_dir else load_mnist_tfds()
    if config.dataset == "gaussian1d":
        return gaussian_1d(config.gaussian_mean, config.gaussian_std, config.seed)
    if config.dataset == "cifar10":
        return load_cifar10_bin(config.data_dir) if config.data_dir else load_cifar10_tfds()
    if config.dataset in ("tfd", "folder") and not config.data_dir:
        raise DataError(f"--dataset={config.dataset} needs --data_dir (it cannot be downloaded)")
    if config.dataset == "tfd":
        return load_tfd(config.data_dir, config.tfd_size, config.tfd_fold, config.tfd_split)
    if config.dataset == "folder":
        return load_folder(config.data_dir, config.image_size, config.channels)
    raise DataError(f"--dataset must be one of {', '.join(DATASETS)}; got {config.dataset!r}")


def image_shape(config):
    """The shape of one example of `config`'s data set, known without loading it."""
    shapes = {"mnist": (28, 28, 1), "cifar10": (32, 32, 3), "gaussian1d": (1,),
              "tfd": (config.tfd_size, config.tfd_size, 1),
              "folder": (config.image_size, config.image_size, config.channels)}
    if config.dataset not in shapes:
        raise DataError(f"--dataset must be one of {', '.join(DATASETS)}; got {config.dataset!r}")
    return shapes[config.dataset]


class Preprocessing:
    """Maps pixels in [0, 1] to the space the models see, and back for pictures.

    "unit": the pixels themselves. "gcn": pylearn2's global contrast
    normalization as the release applies it to CIFAR-10 (each image minus its
    mean, rescaled to L2 norm `scale` = 55, on 0..255 values). GCN forgets each
    image's mean and contrast, so `inverse` puts back the training set's
    average ones: good for looking at samples, not an exact inverse.
    """

    def __init__(self, kind="unit", train_images=None, scale=55.0):
        if kind not in PREPROCESSING:
            raise DataError(f"--preprocess must be one of {', '.join(PREPROCESSING)}; got {kind!r}")
        self.kind, self.scale = kind, scale
        if kind == "gcn":
            x = to_float(train_images[:10_000]).reshape(min(len(train_images), 10_000), -1) * 255.0
            centred = x - x.mean(axis=1, keepdims=True)
            self.mean_level = float(x.mean())
            self.mean_norm = float(np.linalg.norm(centred, axis=1).mean())

    def forward(self, images):
        """float [0, 1] pixels (tensor or array, batch first) -> model space, float32 tensor."""
        images = tf.convert_to_tensor(images, tf.float32)
        if self.kind == "unit":
            return images
        axes = list(range(1, len(images.shape)))
        x = images * 255.0
        x = x - tf.reduce_mean(x, axis=axes, keepdims=True)
        norm = tf.sqrt(tf.reduce_sum(tf.square(x), axis=axes, keepdims=True))
        return self.scale * x / tf.maximum(norm, 1e-8)

    def inverse(self, images):
        """Model space -> pixels in [0, 1] (numpy), for sample grids."""
        images = np.asarray(images, np.float32)
        if self.kind == "gcn":
            images = (images * (self.mean_norm / self.scale) + self.mean_level) / 255.0
        return np.clip(images, 0.0, 1.0)


# --- The pipeline ------------------------------------------------------------


def steps_per_epoch(num_examples, step_batch_size):
    """Iterations of Algorithm 1 per epoch; the last partial batch is dropped."""
    steps = num_examples // step_batch_size
    if steps < 1:
        raise DataError(
            f"the training split has {num_examples} images, fewer than one step's "
            f"{step_batch_size} (batch_size x k_steps)"
        )
    return steps


def training_dataset(images, step_batch_size, seed, start_step=0, preprocessing=None, labels=None):
    """An endless `tf.data.Dataset` of float32 batches starting at `start_step`.

    Args:
        images: uint8 array (N, H, W, C) of pixels, scaled to [0, 1] batch by
            batch, or a float array of real-valued data used as it is
            (gaussian1d); held in memory.
        step_batch_size: Images per step (batch_size * k_steps, global).
        seed: The run's seed; the data order has its own stream derived from it.
        start_step: First step to produce; earlier ones are skipped without
            being read, so resuming costs nothing.
        preprocessing: A `Preprocessing` applied to each batch (default: pixels).
        labels: Optional integer class of each image; batches are then
            `(images, labels)` (the conditional model).
    """
    n = len(images)
    spe = steps_per_epoch(n, step_batch_size)
    images = np.asarray(images)
    scale = 1.0 / 255.0 if images.dtype == np.uint8 else 1.0
    images = tf.constant(images)
    start_epoch, offset = divmod(start_step, spe)
    order_key = tf.constant(stream_seed(seed, "data_order"), tf.int64)

    def epoch_indices(epoch):
        perm = tf.random.experimental.stateless_shuffle(
            tf.range(n, dtype=tf.int32), seed=tf.stack([order_key, epoch])
        )
        return tf.data.Dataset.from_tensor_slices(tf.reshape(perm[: spe * step_batch_size], (spe, step_batch_size)))

    label_table = tf.constant(np.asarray(labels, np.int32)) if labels is not None else None

    def gather(indices):
        batch = tf.cast(tf.gather(images, indices), tf.float32) * scale
        batch = preprocessing.forward(batch) if preprocessing is not None else batch
        return batch if label_table is None else (batch, tf.gather(label_table, indices))

    options = tf.data.Options()
    # In memory there are no files to shard: under multi-worker training every
    # worker builds the same batches and keeps its share of each.
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return (
        tf.data.Dataset.range(start_epoch, 2**62)
        .flat_map(epoch_indices)
        .skip(offset)
        .map(gather, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .prefetch(tf.data.AUTOTUNE)
        .with_options(options)
    )
