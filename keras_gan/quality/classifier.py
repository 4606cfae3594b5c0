"""The MNIST classifier whose features the sample-quality metrics compare.

A small convolutional net (two pairs of 3x3 convolutions with max pooling,
a dense layer of 128 ReLU units, the `features`, and 10 logits), trained by
`python -m keras_gan.quality.train_classifier` on the first 50,000 training
digits of the paper's split only (never on validation or test digits). Its
weights ship inside the package with their SHA-256 in a manifest beside them
(`mnist_classifier.json`), checked every time they are loaded, so that every
user's Frechet distances are computed with the same features, as TF-GAN's
frozen MNIST classifier made them comparable.
"""

import hashlib
import json
import os

from keras_gan.errors import UserError

MANIFEST = os.path.join(os.path.dirname(__file__), "mnist_classifier.json")
IMAGE_SHAPE = (28, 28, 1)
NUM_CLASSES = 10
REMAKE = "python -m keras_gan.quality.train_classifier --data_dir=MNIST_DIR"


class ClassifierError(UserError):
    """The shipped classifier's weights or manifest are missing, damaged or not the recorded ones."""


def build_classifier():
    """The classifier, untrained: images (n, 28, 28, 1) in [0, 1] -> logits (n, 10)."""
    import keras
    from keras import layers

    inputs = keras.Input(IMAGE_SHAPE, name="images")
    x = inputs
    for channels in (32, 64):
        x = layers.Conv2D(channels, 3, activation="relu")(x)
        x = layers.Conv2D(channels, 3, activation="relu")(x)
        x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten()(x)
    features = layers.Dense(128, activation="relu", name="features")(x)
    logits = layers.Dense(NUM_CLASSES, name="logits")(layers.Dropout(0.5)(features))
    return keras.Model(inputs, logits, name="mnist_classifier")


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(path=MANIFEST):
    """The manifest: the weights file's name, its SHA-256, and how it was made and how well it does."""
    if not os.path.exists(path):
        raise ClassifierError(f"{path}: missing (the MNIST classifier's manifest); re-make it with {REMAKE}")
    try:
        with open(path) as f:
            manifest = json.load(f)
        manifest["weights"], manifest["sha256"]  # noqa: B018
    except (ValueError, KeyError, TypeError):
        raise ClassifierError(f"{path}: not a classifier manifest (JSON with weights and sha256); re-make it "
                              f"with {REMAKE}") from None
    return manifest


def weights_path(manifest_path=MANIFEST):
    """The weights file the manifest names, checked against its SHA-256."""
    manifest = read_manifest(manifest_path)
    path = os.path.join(os.path.dirname(manifest_path), manifest["weights"])
    if not os.path.exists(path):
        raise ClassifierError(f"{path}: missing (the MNIST classifier's weights); re-make them with {REMAKE}")
    found = sha256(path)
    if found != manifest["sha256"]:
        raise ClassifierError(f"{path}: SHA-256 {found[:12]}... is not the recorded {manifest['sha256'][:12]}... "
                              f"(damaged or replaced); re-make it with {REMAKE}")
    return path


class FeatureExtractor:
    """The shipped classifier's penultimate features and logits for images.

    Args:
        manifest_path: A manifest other than the shipped one (tests, or a
            classifier you trained yourself: its scores are not comparable
            with anyone else's).
    """

    def __init__(self, manifest_path=MANIFEST):
        import keras

        path = self.path = weights_path(manifest_path)
        self.sha256 = read_manifest(manifest_path)["sha256"]
        self.model = build_classifier()
        try:
            self.model.load_weights(path)
        except (ValueError, OSError) as e:
            raise ClassifierError(f"{path}: cannot be loaded into the classifier ({str(e).splitlines()[0][:120]}); "
                                  f"re-make it with {REMAKE}") from None
        import tensorflow as tf

        both = keras.Model(self.model.input, [self.model.get_layer("features").output, self.model.output])
        self._both = tf.function(lambda x: both(x, training=False), reduce_retracing=True)

    def __call__(self, images, batch_size=1000):
        """(features (n, 128), logits (n, 10)) as float64 numpy arrays for images (n, 28, 28, 1) in [0, 1]."""
        import numpy as np

        images = np.asarray(images, np.float32)
        if images.ndim == 2 and images.shape[1] == 784 or images.ndim == 3 and images.shape[1:] == (28, 28):
            images = images.reshape(len(images), *IMAGE_SHAPE)
        if images.shape[1:] != IMAGE_SHAPE:
            raise ClassifierError(f"the MNIST classifier takes 28x28 grey images; got images of shape "
                                  f"{images.shape[1:]}")
        features, logits = [], []
        for start in range(0, len(images), batch_size):
            f, g = self._both(images[start:start + batch_size])
            features.append(np.asarray(f, np.float64))
            logits.append(np.asarray(g, np.float64))
        return np.concatenate(features), np.concatenate(logits)
