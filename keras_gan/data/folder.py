"""Any folder of images (PNG, JPEG, GIF, BMP), so users train on their own pictures.

    DIR/*.jpg                         one class, no labels
    DIR/<class>/*.jpg                 class subfolders give labels (sorted names)
    DIR/train/..., DIR/test/...       an explicit test split (the CIFAR-10 JPEG copy)

Images are resized to `image_size` x `image_size` with `channels` channels
and held in memory as uint8. Files that are not images are skipped and
counted in a warning. A tenth of the training images (at most 10,000, a fixed
pseudo-random choice) is held out as the validation split (Parzen's sigma is
chosen on it). Without a `test/` folder another tenth is held out as the test
split, apart from the validation one.
"""

import os

import numpy as np
from absl import logging

from keras_gan.data.base import DataError, Splits

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".bmp")


def _list_files(root):
    """(paths, labels, class names) under `root`, walking class subfolders."""
    entries = sorted(os.listdir(root))
    classes = [e for e in entries if os.path.isdir(os.path.join(root, e))]
    paths, labels = [], []
    for name in entries:
        if os.path.isfile(os.path.join(root, name)):
            paths.append(os.path.join(root, name))
            labels.append(0)
    for index, name in enumerate(classes):
        for dirpath, _, files in sorted(os.walk(os.path.join(root, name))):
            for f in sorted(files):
                paths.append(os.path.join(dirpath, f))
                labels.append(index)
    return paths, np.asarray(labels, np.int64), classes


def _decode(paths, labels, image_size, channels):
    import tensorflow as tf

    if not paths:
        return np.zeros((0, image_size, image_size, channels), np.uint8), np.zeros(0, np.int64)

    def decode(path, label):
        image = tf.io.decode_image(tf.io.read_file(path), channels=channels, expand_animations=False)
        image = tf.image.resize(image, (image_size, image_size), antialias=True)
        return tf.cast(tf.clip_by_value(tf.round(image), 0, 255), tf.uint8), label

    dataset = (
        tf.data.Dataset.from_tensor_slices((paths, labels))
        .map(decode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .ignore_errors()
        .batch(4096)
    )
    images, kept = [], []
    for x, y in dataset.as_numpy_iterator():
        images.append(x)
        kept.append(y)
    if not images:
        return _decode([], labels[:0], image_size, channels)
    return np.concatenate(images), np.concatenate(kept)


def _read_split(root, image_size, channels):
    paths, labels, _ = _list_files(root)
    candidates = [i for i, p in enumerate(paths) if p.lower().endswith(IMAGE_EXTENSIONS)]
    images, kept_labels = _decode([paths[i] for i in candidates], labels[candidates], image_size, channels)
    skipped = len(paths) - len(images)
    if skipped:
        logging.warning("%s: skipped %d of %d files that are not readable images", root, skipped, len(paths))
    if len(images) == 0:
        raise DataError(f"--data_dir {root}: no images found (looked for {', '.join(IMAGE_EXTENSIONS)} files)")
    return images, kept_labels


def load_folder(data_dir, image_size=32, channels=3):
    if not os.path.isdir(data_dir):
        raise DataError(f"--data_dir {data_dir}: no such folder")
    train_root, test_root = os.path.join(data_dir, "train"), os.path.join(data_dir, "test")
    if os.path.isdir(train_root) and os.path.isdir(test_root):
        train, train_labels = _read_split(train_root, image_size, channels)
        test, test_labels = _read_split(test_root, image_size, channels)
        n_valid = min(10_000, max(1, len(train) // 10))
        order = np.random.default_rng(0).permutation(len(train))
        train, train_labels = train[order], train_labels[order]
        return Splits(
            train[:-n_valid], train[-n_valid:], test, train_labels[:-n_valid], train_labels[-n_valid:], test_labels
        )
    images, labels = _read_split(data_dir, image_size, channels)
    if len(images) < 3:
        raise DataError(
            f"--data_dir {data_dir}: {len(images)} image(s); need at least 3 to hold out a validation and a test image"
        )
    n_held = min(10_000, max(1, len(images) // 10))
    order = np.random.default_rng(0).permutation(len(images))
    images, labels = images[order], labels[order]
    train, valid, test = images[: -2 * n_held], images[-2 * n_held : -n_held], images[-n_held:]
    return Splits(train, valid, test, labels[: -2 * n_held], labels[-2 * n_held : -n_held], labels[-n_held:])
