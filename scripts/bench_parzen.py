"""Time the full Table 1 Parzen protocol: 10,000 samples as kernel centres,
sigma chosen from the 10-point grid on 1,000 validation images, then the mean
over 10,000 test images, 784 dimensions.

    python scripts/bench_parzen.py [--data_dir=../shared/data/mnist] [--repeats=3]

With --data_dir the valid and test images are MNIST's and the centres are
training digits (a stand-in for generator samples with realistic distances);
without it everything is uniform noise. Prints seconds (median of repeats,
after one warm-up), GFLOP/s of the distance products, and the largest
difference from a float64 numpy reference on a subset of test images.
"""

import json
import os
import statistics
import time

import keras_gan  # noqa: F401  (first: TensorFlow then starts without its start-up noise)

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from absl import app, flags  # noqa: E402

flags.DEFINE_string("data_dir", None, "Folder with the four MNIST IDX files; random data without it.")
flags.DEFINE_integer("repeats", 3, "Timed repeats after one warm-up.", lower_bound=1)
flags.DEFINE_integer("num_samples", 10000, "Kernel centres.", lower_bound=1)
flags.DEFINE_integer("check_images", 200, "Test images checked against float64 numpy.", lower_bound=1)
FLAGS = flags.FLAGS


def float64_reference(samples, data, sigma):
    samples, data = samples.astype(np.float64), data.astype(np.float64)
    d2 = ((data[:, None, :] - samples[None, :, :]) ** 2).sum(-1)
    a = -d2 / (2 * sigma**2)
    m = a.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(a - m).sum(axis=1))
    return lse - np.log(len(samples)) - data.shape[1] * np.log(sigma * np.sqrt(2 * np.pi))


def main(argv):
    del argv
    from keras_gan import data, parzen

    if FLAGS.data_dir:
        splits = data.load_mnist_idx(FLAGS.data_dir)
        samples = data.to_float(splits.train[: FLAGS.num_samples]).reshape(-1, 784)
        valid = data.to_float(splits.valid[:1000]).reshape(-1, 784)
        test = data.to_float(splits.test).reshape(-1, 784)
    else:
        rng = np.random.default_rng(0)
        samples, valid, test = (rng.uniform(size=(n, 784)).astype(np.float32) for n in (FLAGS.num_samples, 1000, 10000))
    parzen.evaluate(samples, valid, test)  # warm-up: traces the compiled kernels
    times = []
    for _ in range(FLAGS.repeats):
        start = time.perf_counter()
        result = parzen.evaluate(samples, valid, test)
        times.append(time.perf_counter() - start)
    seconds = statistics.median(times)
    gflop = 2.0 * (len(valid) + len(test)) * len(samples) * samples.shape[1] / 1e9
    check = test[: FLAGS.check_images]
    ours = parzen.log_likelihood(samples, check, result.sigma)
    reference = np.concatenate(
        [float64_reference(samples, check[i : i + 50], result.sigma) for i in range(0, len(check), 50)]
    )
    print(
        json.dumps(
            {
                "data": "mnist" if FLAGS.data_dir else "uniform noise",
                "seconds_median": round(seconds, 3),
                "seconds_all": [round(t, 3) for t in times],
                "distance_GFLOP": round(gflop, 1),
                "GFLOP_per_s": round(gflop / seconds, 1),
                "mean": round(result.mean, 3),
                "se": round(result.se, 3),
                "sigma": result.sigma,
                "max_abs_diff_vs_float64_nats": float(np.abs(ours - reference).max()),
                "mean_diff_vs_float64_nats": float(abs(ours.mean() - reference.mean())),
            }
        )
    )


if __name__ == "__main__":
    app.run(main)
