"""Reference rows for the sample-quality table: what the numbers mean, on real MNIST digits.

    python scripts/quality_reference.py --data_dir=../shared/data/mnist [--output=quality_reference.json]

Each row is a set of images scored like a generator's samples, with the
paper's Parzen protocol (sigma chosen on the first 1,000 validation digits,
the mean over the 10,000 test digits) and the sample-quality metrics against
the 10,000 test digits:

    floor       the 10,000 validation digits (quality only: the Parzen protocol chooses sigma on them, so
                they cannot also be its kernel centres)
    real        10,000 training digits (the first of the paper's training split)
    blurred     the same digits through a Gaussian filter of 1 pixel
    mean image  the training set's mean image, 10,000 times
    ones only   the 1,135 ones of the test set (a generator that collapsed onto one class)

Prints a Markdown table (one row each) and writes the JSON.
"""

import json

import numpy as np
from absl import app, flags
from scipy import ndimage

import keras_gan  # noqa: F401  (first: TensorFlow then starts quietly)

flags.DEFINE_string("data_dir", None, "Folder with the four MNIST IDX files.", required=True)
flags.DEFINE_string("output", "quality_reference.json", "Where the rows go.")
FLAGS = flags.FLAGS


VALIDATION = "the 10,000 validation digits (the floor)"


def reference_sets(splits):
    """{name: images in [0, 1], (n, 28, 28, 1)} for the rows above."""
    real = splits.train[:10_000].astype(np.float32) / 255.0
    mean = splits.train.astype(np.float32).mean(axis=0) / 255.0
    return {
        VALIDATION: splits.valid.astype(np.float32) / 255.0,
        "10,000 real training digits": real,
        "the same, blurred (Gaussian filter, 1 pixel)": ndimage.gaussian_filter(real, sigma=(0, 1, 1, 0)),
        "the training set's mean image, 10,000 times": np.repeat(mean[None], 10_000, axis=0),
        "the 1,135 ones of the test set only": splits.test[splits.test_labels == 1].astype(np.float32) / 255.0,
    }


def main(argv):
    del argv
    from keras_gan import config, data, quality
    from keras_gan.evaluation import parzen as parzen_eval

    splits = data.load_mnist_idx(FLAGS.data_dir)
    cfg = config.Config(data_dir=FLAGS.data_dir)
    reference = quality.Reference(splits.test)
    rows = []
    print("| images | Parzen (nats) | FD | KID | precision | recall | density | coverage | classifier score |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, images in reference_sets(splits).items():
        if name == VALIDATION:
            parzen, cell = {"mean": None, "se": None}, "n/a (sigma is chosen on them)"
        else:
            parzen = parzen_eval.score(cfg, images.reshape(len(images), -1), splits)
            cell = f"{parzen['mean']:.1f} +- {parzen['se']:.1f}"
        q = reference.score(images).to_dict()
        rows.append({"images": name, "parzen": parzen["mean"], "parzen_se": parzen["se"], **q})
        print(f"| {name} | {cell} | {q['fd']:.2f} | {q['kid']:.3f} | "
              f"{q['precision']:.3f} | {q['recall']:.3f} | {q['density']:.3f} | {q['coverage']:.3f} | "
              f"{q['classifier_score']:.2f} |", flush=True)
    with open(FLAGS.output, "w") as f:
        json.dump(rows, f, indent=1)


if __name__ == "__main__":
    app.run(main)
