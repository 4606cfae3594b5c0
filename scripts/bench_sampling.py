"""Sampling throughput of an exported generator (SavedModel), loaded with
plain TensorFlow as a user would: images per second for --count samples.

    python scripts/bench_sampling.py --saved_model=runs/table1/export/generator [--count=10000]
"""

import json
import os
import statistics
import time

import keras_gan  # noqa: F401  (first: TensorFlow then starts without its start-up noise)

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402
from absl import app, flags  # noqa: E402

flags.DEFINE_string("saved_model", None, "An exported generator.", required=True)
flags.DEFINE_integer("count", 10000, "Images per timed run.", lower_bound=1)
flags.DEFINE_integer("batch_size", 1000, "Images per call.", lower_bound=1)
flags.DEFINE_integer("repeats", 5, "Timed runs after one warm-up.", lower_bound=1)
FLAGS = flags.FLAGS


def main(argv):
    del argv
    generator = tf.saved_model.load(FLAGS.saved_model)

    def draw():
        for i in range(0, FLAGS.count, FLAGS.batch_size):
            generator.sample(min(FLAGS.batch_size, FLAGS.count - i), i)["images"].numpy()

    draw()
    times = []
    for _ in range(FLAGS.repeats):
        start = time.perf_counter()
        draw()
        times.append(time.perf_counter() - start)
    seconds = statistics.median(times)
    print(json.dumps({"count": FLAGS.count, "batch_size": FLAGS.batch_size, "seconds_median": round(seconds, 3),
                      "images_per_s": round(FLAGS.count / seconds)}))


if __name__ == "__main__":
    app.run(main)
