"""How well a conditional generator respects the class it is given.

    python scripts/class_accuracy.py --saved_model=runs/mnist_conditional/export/generator \
        --data_dir=../shared/data/mnist

Trains a small classifier (784-512-512-10 MLP, Adam, a few epochs) on the
50,000 MNIST training digits, reports its accuracy on t10k, then asks the
generator for --per_class samples of each class and reports the fraction the
classifier assigns to the intended class (10% is chance).
"""

import json
import os

import keras_gan  # noqa: F401  (first: TensorFlow then starts without its start-up noise)

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import app, flags  # noqa: E402

flags.DEFINE_string("saved_model", None, "Exported conditional generator.", required=True)
flags.DEFINE_string("data_dir", None, "Folder with the four MNIST IDX files (default: tfds).")
flags.DEFINE_integer("per_class", 1000, "Generated samples per class.", lower_bound=1)
flags.DEFINE_integer("epochs", 5, "Classifier training epochs.", lower_bound=1)
FLAGS = flags.FLAGS


def main(argv):
    del argv
    from keras_gan import data

    splits = data.load_mnist_idx(FLAGS.data_dir) if FLAGS.data_dir else data.load_mnist_tfds()
    keras.utils.set_random_seed(0)
    classifier = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Flatten(),
            keras.layers.Dense(512, activation="relu"),
            keras.layers.Dense(512, activation="relu"),
            keras.layers.Dense(10),
        ]
    )
    classifier.compile(
        keras.optimizers.Adam(1e-3), keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"]
    )
    classifier.fit(data.to_float(splits.train), splits.train_labels, batch_size=128, epochs=FLAGS.epochs, verbose=2)
    test_accuracy = classifier.evaluate(data.to_float(splits.test), splits.test_labels, verbose=0)[1]
    generator = tf.saved_model.load(FLAGS.saved_model)
    num_classes = int(generator.num_classes)
    if num_classes != 10:
        raise SystemExit(
            f"error: --saved_model {FLAGS.saved_model} is not a conditional MNIST generator (num_classes={num_classes})"
        )
    serve = generator.signatures["serving_default"]
    noise_dim = int(generator.noise_dim)
    rng = np.random.default_rng(0)
    per_class = {}
    for c in range(10):
        z = rng.uniform(-np.sqrt(3), np.sqrt(3), (FLAGS.per_class, noise_dim)).astype(np.float32)
        images = serve(noise=tf.constant(z), label=tf.fill([FLAGS.per_class], c))["images"].numpy()
        per_class[c] = float((classifier.predict(images, verbose=0).argmax(axis=1) == c).mean())
    print(
        json.dumps(
            {
                "classifier_test_accuracy": round(float(test_accuracy), 4),
                "intended_class_accuracy": round(float(np.mean(list(per_class.values()))), 4),
                "per_class": {c: round(a, 3) for c, a in per_class.items()},
            }
        )
    )


if __name__ == "__main__":
    app.run(main)
