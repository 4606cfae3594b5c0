"""Trains the MNIST classifier whose features the sample-quality metrics use.

    python -m keras_gan.quality.train_classifier --data_dir=../shared/data/mnist

Trains on the first 50,000 training digits of the paper's split only (the
validation digits are watched, never trained on; t10k is read once, at the
end), with small random shifts, seeded, then writes the weights and their
manifest (SHA-256, accuracies, how they were made) into the package
(`keras_gan/quality/`) or `--output_dir`. Everyone's scores are comparable
only with the same weights: re-making them changes every Frechet distance.

    python -m keras_gan.quality.train_classifier --data_dir=../shared/data/mnist --check

trains nothing: it loads the shipped weights (their SHA-256 checked, as the
metrics load them) and prints their validation and t10k accuracy.
"""

import os

from absl import app, flags

from keras_gan import cli

flags.DEFINE_string("data_dir", None, "Folder with the four MNIST IDX .gz files (default: tensorflow-datasets).")
flags.DEFINE_string("output_dir", None, "Where the weights and manifest go (default: the package's quality folder).")
flags.DEFINE_integer("epochs", 12, "Training epochs over the 50,000 training digits.", lower_bound=1)
flags.DEFINE_integer("batch_size", 128, "Minibatch size.", lower_bound=1)
flags.DEFINE_float("learning_rate", 1e-3, "Adam's initial learning rate (cosine decay to 0).", lower_bound=0.0)
flags.DEFINE_integer("shift", 2, "Random translations of up to this many pixels (0: none).", lower_bound=0)
flags.DEFINE_integer("seed", 0, "Seed of the weights, the data order and the shifts.", lower_bound=0)
flags.DEFINE_bool("check", False, "Train nothing: print the accuracy of the shipped weights (SHA-256 checked).")
flags.DEFINE_integer("limit", 0, "Train on only this many digits (0: all 50,000; for tests).", lower_bound=0)
FLAGS = flags.FLAGS

WEIGHTS = "mnist_classifier.weights.h5"


def train(splits, epochs=12, batch_size=128, learning_rate=1e-3, shift=2, seed=0, verbose=1):
    """The classifier trained on `splits.train` (validation accuracy shown each epoch, never trained on)."""
    import keras
    import tensorflow as tf

    from keras_gan import data as data_lib
    from keras_gan.quality import classifier as classifier_lib

    keras.utils.set_random_seed(seed)
    model = classifier_lib.build_classifier()
    steps = epochs * -(-len(splits.train) // batch_size)
    model.compile(keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(learning_rate, steps)),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    augment = keras.layers.RandomTranslation(shift / 28, shift / 28, fill_mode="constant", seed=seed) if shift else None
    labels = splits.train_labels.astype("int32")
    train_ds = tf.data.Dataset.from_tensor_slices((data_lib.to_float(splits.train), labels))
    train_ds = train_ds.shuffle(len(splits.train), seed=seed).batch(batch_size)
    if augment is not None:
        train_ds = train_ds.map(lambda x, y: (augment(x, training=True), y))
    model.fit(train_ds.prefetch(2), epochs=epochs, verbose=2 if verbose else 0,
              validation_data=(data_lib.to_float(splits.valid), splits.valid_labels.astype("int32")))
    return model


def accuracy(model, images, labels):
    import numpy as np

    from keras_gan import data as data_lib

    return float(np.mean(np.argmax(model.predict(data_lib.to_float(images), batch_size=1000, verbose=0), 1) == labels))


def main(argv):
    del argv
    import datetime
    import platform

    from keras_gan import data as data_lib
    from keras_gan import experiment
    from keras_gan.quality import classifier as classifier_lib

    cli.quiet_logs()
    splits = data_lib.load_mnist_idx(FLAGS.data_dir) if FLAGS.data_dir else data_lib.load_mnist_tfds()
    if FLAGS.check:  # the weights in --output_dir when given, else the shipped ones
        manifest = os.path.join(FLAGS.output_dir, "mnist_classifier.json") if FLAGS.output_dir \
            else classifier_lib.MANIFEST
        extractor = classifier_lib.FeatureExtractor(manifest)
        model = extractor.model
        print(f"{extractor.path}: validation accuracy "
              f"{accuracy(model, splits.valid, splits.valid_labels):.4f}, "
              f"t10k accuracy {accuracy(model, splits.test, splits.test_labels):.4f}")
        return
    if FLAGS.limit:
        splits.train, splits.train_labels = splits.train[:FLAGS.limit], splits.train_labels[:FLAGS.limit]
    model = train(splits, FLAGS.epochs, FLAGS.batch_size, FLAGS.learning_rate, FLAGS.shift, FLAGS.seed)
    out = FLAGS.output_dir or os.path.dirname(classifier_lib.MANIFEST)
    os.makedirs(out, exist_ok=True)
    weights = os.path.join(out, WEIGHTS)
    tmp = weights + ".tmp.weights.h5"
    model.save_weights(tmp)
    os.replace(tmp, weights)
    manifest = {
        "weights": WEIGHTS,
        "sha256": classifier_lib.sha256(weights),
        "valid_accuracy": accuracy(model, splits.valid, splits.valid_labels),
        "t10k_accuracy": accuracy(model, splits.test, splits.test_labels),
        "trained_on": f"the first {len(splits.train)} MNIST training digits (the paper's train split)",
        "settings": {"epochs": FLAGS.epochs, "batch_size": FLAGS.batch_size, "learning_rate": FLAGS.learning_rate,
                     "shift": FLAGS.shift, "seed": FLAGS.seed},
        "made_on": f"{datetime.date.today().isoformat()}, {platform.processor() or platform.machine()}",
    }
    experiment.write_json(os.path.join(out, "mnist_classifier.json"), manifest)
    print(f"validation accuracy {manifest['valid_accuracy']:.4f}, t10k accuracy {manifest['t10k_accuracy']:.4f}")
    print(f"Wrote {weights} (SHA-256 {manifest['sha256']}) and its manifest")


def run():
    app.run(lambda argv: cli.run_reporting_errors(main, argv))


if __name__ == "__main__":
    run()
