"""Training throughput of the real training path (`train_lib.train_and_evaluate`,
what `python -m keras_gan.train` runs), for the MNIST experiment.

    python scripts/bench_train.py --data_dir=../shared/data/mnist [--epochs=4] [--compare_torch=PYTHON]

Steps/s is the median over whole epochs after the first (warm-up), so epoch
boundaries, TensorBoard logging, sample grids and checkpoints all count. It
also prints the FLOPs per step from the layer sizes, the float32 matmul peak
measured in the same run, and the fraction of the arithmetic limit reached.
"""

import dataclasses
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import app, flags  # noqa: E402

flags.DEFINE_string("data_dir", None, "Folder with the four MNIST IDX files (default: tfds).")
flags.DEFINE_string("flagfile_config", "flags/mnist.cfg", "Experiment file whose settings are benchmarked.")
flags.DEFINE_integer("epochs", 4, "Epochs per configuration; the first is warm-up.", lower_bound=2)
flags.DEFINE_string("compare_torch", None, "A Python with torch==2.13.0: also run shared/bench/torch_gan.py bench.")
flags.DEFINE_string(
    "torch_bench", os.path.join("..", "shared", "bench", "torch_gan.py"), "The PyTorch reference script."
)
flags.DEFINE_bool("simultaneous", True, "Also benchmark --update=simultaneous.")
FLAGS = flags.FLAGS


def flops_per_step(cfg, image_dim):
    """Matmul FLOPs of one iteration (1 MAC = 2 FLOP), batch `cfg.batch_size`.

    Alternating (k=1): D step = G forward + D forward/weight-grad on 2B rows +
    D input-grads of its hidden layers; G step = G forward/backward + D
    forward and input-grads on B rows (D's weight gradients are not built).
    """
    b = cfg.batch_size
    g = [cfg.noise_dim, *cfg.g_hidden_units, image_dim]
    d = [image_dim, *[u * cfg.d_num_pieces for u in cfg.d_maxout_units]]
    g_layers = list(zip(g[:-1], g[1:]))
    d_in = [image_dim, *cfg.d_maxout_units]
    d_layers = [(i, o) for i, o in zip(d_in, d[1:])] + [(cfg.d_maxout_units[-1], 1)]
    mac = lambda layers: sum(i * o for i, o in layers)  # noqa: E731
    gm, dm = mac(g_layers), mac(d_layers)
    f = lambda macs, n: 2.0 * macs * n  # noqa: E731
    d_step = f(gm, b) + 3 * f(dm, 2 * b) - f(d_layers[0][0] * d_layers[0][1], 2 * b)
    g_step = f(gm, b) + 2 * f(dm, b) + 2 * f(gm, b) - f(g_layers[0][0] * g_layers[0][1], b)
    simultaneous = (
        f(gm, b)
        + 3 * f(dm, 2 * b)
        - f(d_layers[0][0] * d_layers[0][1], 2 * b)
        + f(dm, b)
        + 2 * f(gm, b)
        - f(g_layers[0][0] * g_layers[0][1], b)
    )
    return {"alternating": d_step + g_step, "simultaneous": simultaneous}


def matmul_peak(n=4096, repeats=9):
    import tensorflow as tf

    a = tf.random.uniform((n, n))
    b = tf.random.uniform((n, n))
    tf.matmul(a, b).numpy()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        tf.matmul(a, b).numpy()
        times.append(time.perf_counter() - start)
    return 2.0 * n**3 / statistics.median(times) / 1e9


def bench(cfg):
    from keras_gan import train_lib

    with tempfile.TemporaryDirectory() as workdir:
        result = train_lib.train_and_evaluate(cfg, workdir, verbose=0)
    seconds = result.epoch_seconds[1:]
    rates = [result.steps_per_epoch / s for s in seconds]
    return statistics.median(rates), rates


def main(argv):
    del argv
    from keras_gan import config

    experiment = flags.FlagValues()
    config.define_flags(experiment)
    experiment([sys.argv[0], f"--flagfile={FLAGS.flagfile_config}"])
    cfg = config.from_flags(experiment)
    cfg = dataclasses.replace(cfg, data_dir=FLAGS.data_dir, epochs=FLAGS.epochs, parzen_every=0)
    peak = matmul_peak()
    flops = flops_per_step(cfg, 784)
    rows = []
    for update in ["alternating"] + (["simultaneous"] if FLAGS.simultaneous else []):
        median, rates = bench(dataclasses.replace(cfg, update=update))
        gflops = median * flops[update] / 1e9
        rows.append(
            {
                "update": update,
                "median_steps_per_s": round(median, 2),
                "epoch_rates": [round(r, 2) for r in rates],
                "GFLOP_per_step": round(flops[update] / 1e9, 3),
                "achieved_GFLOP_per_s": round(gflops, 1),
                "matmul_peak_GFLOP_per_s": round(peak, 1),
                "fraction_of_limit": round(gflops / peak, 3),
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    if FLAGS.compare_torch:
        out = subprocess.run([FLAGS.compare_torch, FLAGS.torch_bench, "bench"], capture_output=True, text=True)
        torch = json.loads(out.stdout.strip().splitlines()[-1]) if out.returncode == 0 else None
        if torch is None:
            print(f"torch reference failed: {out.stderr.strip().splitlines()[-1:]}")
        else:
            print(
                json.dumps(
                    {
                        "torch_median_steps_per_s": torch["median_steps_per_s"],
                        "ratio_keras_gan_over_torch": round(
                            rows[0]["median_steps_per_s"] / torch["median_steps_per_s"], 2
                        ),
                    }
                )
            )


if __name__ == "__main__":
    app.run(main)
