"""Training speed of the MNIST experiment, every implementation in one run on one machine.

    python scripts/bench_train.py --data_dir=../shared/data/mnist [--compare_torch=~/torchenv/bin/python]

Rows, all the paper's MNIST model (G 100-1200-1200-784, D maxout 240x5 x2,
batch 100, one D update and one G update per step):

    keras_gan        the real training path (`train_lib.train_and_evaluate`, what
                     `python -m keras_gan.train` runs), Algorithm 1 and the release's
                     simultaneous update, each with and without XLA; whole epochs,
                     progress bar, TensorBoard logging, sample grids and checkpoints
                     at their defaults (the validation monitor off: it is evaluation)
    plain loop       the same maths as a minimal hand-written `tf.function` loop on
                     tf.Variables (no Keras, no callbacks, no checkpoints): the floor
                     any framework overhead is measured against
    torch            with --compare_torch=PYTHON, ../shared/bench/torch_gan.py bench
    limit            the FLOPs of a step at the machine's float32 matmul peak,
                     measured in the same run (4096 x 4096 products, before and after)

Steps/s is the median over epochs after the first (keras_gan) or over timed
windows after a warm-up (plain loop, torch). Every row prints its fraction of
the limit: steps/s x GFLOP per step / peak GFLOP/s.
"""

import dataclasses
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time

import keras_gan  # noqa: F401  (first: TensorFlow then starts without its start-up noise)

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from absl import app, flags  # noqa: E402

flags.DEFINE_string("data_dir", None, "Folder with the four MNIST IDX files (default: tfds).")
flags.DEFINE_string("flagfile_config", "flags/mnist.cfg", "Experiment file whose settings are benchmarked.")
flags.DEFINE_integer("epochs", 4, "Epochs per keras_gan row; the first is warm-up.", lower_bound=2)
flags.DEFINE_integer("plain_steps", 500, "Steps per timed window of the plain loop.", lower_bound=10)
flags.DEFINE_integer("windows", 4, "Timed windows of the plain loop after its warm-up.", lower_bound=1)
flags.DEFINE_list("rows", ["alternating_xla", "alternating_xla_float_masks", "alternating_xla_bf16", "alternating",
                           "simultaneous_xla", "simultaneous_xla_float_masks", "simultaneous_xla_bf16", "simultaneous",
                           "plain_xla", "plain"],
                  "Which rows to run: keras_gan's {alternating,simultaneous}[_xla][_float_masks][_bf16]"
                  "[_no_health|_health1] (float_masks: the dropout masks drawn as one float per entry, as before they "
                  "were cut from random words; bf16: --mixed_precision=mixed_bfloat16; no_health: without the game's "
                  "health metrics; health1: with them at every update, --health_every=1) and plain[_xla].")
flags.DEFINE_string("compare_torch", None, "A Python with torch==2.13.0: also run shared/bench/torch_gan.py bench.")
flags.DEFINE_string("torch_bench", os.path.join("..", "shared", "bench", "torch_gan.py"), "The PyTorch reference.")
flags.DEFINE_string("output", None, "Also write the rows as JSON here.")
FLAGS = flags.FLAGS


def flops_per_step(cfg, image_dim):
    """Matmul FLOPs of one iteration (1 MAC = 2 FLOP), batch `cfg.batch_size`.

    Alternating (k=1): D step = G forward + D forward/weight-grad on 2B rows +
    D input-grads of its hidden layers; G step = G forward/backward + D
    forward and input-grads on B rows (D's weight gradients are not built).
    Simultaneous: one G forward, D forward/weight-grad on 2B rows, D's
    input-grads for both costs, G's backward.
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
    d_first, g_first = d_layers[0][0] * d_layers[0][1], g_layers[0][0] * g_layers[0][1]
    d_step = f(gm, b) + 3 * f(dm, 2 * b) - f(d_first, 2 * b)
    g_step = f(gm, b) + 2 * f(dm, b) + 2 * f(gm, b) - f(g_first, b)
    simultaneous = f(gm, b) + 3 * f(dm, 2 * b) - f(d_first, 2 * b) + f(dm, b) + 2 * f(gm, b) - f(g_first, b)
    return {"alternating": d_step + g_step, "simultaneous": simultaneous}


def matmul_peak(n=4096, repeats=9, dtype="float32"):
    """GFLOP/s of TensorFlow's n x n matmul in `dtype`, median of `repeats`."""
    import tensorflow as tf

    a, b = tf.cast(tf.random.uniform((n, n)), dtype), tf.cast(tf.random.uniform((n, n)), dtype)
    tf.matmul(a, b).numpy()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        tf.matmul(a, b).numpy()
        times.append(time.perf_counter() - start)
    return 2.0 * n**3 / statistics.median(times) / 1e9


def float_masks(shape, include_prob, seed):
    """The dropout masks as they were drawn before `layers.bernoulli_mask`: one uniform float per entry."""
    import tensorflow as tf

    return tf.random.stateless_uniform(shape, seed) < include_prob


def keras_gan_rate(cfg, masks=None, health=True):
    """Median steps/s over the whole epochs after the first of the real training path (with `masks` in place
    of `layers.bernoulli_mask`, if given; with `health=False`, without the game's health metrics at all:
    both players' gradient norms, G's saturated share and spread)."""
    from keras_gan import gan, layers, train_lib

    originals = layers.bernoulli_mask, gan.GAN._track_health
    layers.bernoulli_mask = masks or originals[0]
    if not health:
        gan.GAN._track_health = lambda self, d_grads, g_grads, fake, scale: None
    try:
        with tempfile.TemporaryDirectory() as workdir:
            result = train_lib.train_and_evaluate(cfg, workdir, verbose=0)
    finally:
        layers.bernoulli_mask, gan.GAN._track_health = originals
    rates = [result.steps_per_epoch / s for s in result.epoch_seconds[1:]]
    return statistics.median(rates), rates


def plain_loop_rate(images, cfg, jit_compile, steps, windows):
    """Algorithm 1 (k = 1) for the same model, written as plainly as TensorFlow
    allows: tf.Variables, tf ops, one compiled loop; the same data gather,
    noise, dropout masks, losses and momentum SGD with the release's schedules."""
    import tensorflow as tf

    rng = np.random.default_rng(0)
    b, n = cfg.batch_size, len(images)

    def layer(fan_in, fan_out, irange):
        return (tf.Variable(rng.uniform(-irange, irange, (fan_in, fan_out)).astype("float32")),
                tf.Variable(np.zeros(fan_out, "float32")))

    g_sizes = [cfg.noise_dim, *cfg.g_hidden_units, 784]
    g_vars = [v for i, o in zip(g_sizes[:-1], g_sizes[1:]) for v in layer(i, o, cfg.g_irange)]
    d_ins = [784, *cfg.d_maxout_units]
    d_vars = [v for i, u in zip(d_ins, cfg.d_maxout_units) for v in layer(i, u * cfg.d_num_pieces, cfg.d_irange)]
    d_vars += layer(cfg.d_maxout_units[-1], 1, cfg.d_irange)
    velocities = [tf.Variable(tf.zeros_like(v)) for v in g_vars + d_vars]
    data = tf.constant(images.reshape(n, 784))
    counter = tf.Variable(0, dtype=tf.int64)
    spe = n // b

    def generator(z):
        h = z
        for i in range(0, len(g_vars) - 2, 2):
            h = tf.nn.relu(h @ g_vars[i] + g_vars[i + 1])
        return tf.sigmoid(h @ g_vars[-2] + g_vars[-1])

    def dropout(x, keep, scale, seed):
        return tf.where(tf.random.stateless_uniform(tf.shape(x), seed) < keep, x * scale, 0.0)

    def discriminator(x, seed):
        h = dropout(x, cfg.d_input_include_prob, cfg.d_input_scale, seed)
        for i, units in zip(range(0, len(d_vars) - 2, 2), cfg.d_maxout_units):
            z = h @ d_vars[i] + d_vars[i + 1]
            h = tf.reduce_max(tf.reshape(z, (-1, units, cfg.d_num_pieces)), axis=-1)
            h = dropout(h, cfg.d_hidden_include_prob, cfg.d_hidden_scale, seed + [0, i + 1])
        return h @ d_vars[-2] + d_vars[-1]

    def sgd(variables, grads, offset, t):
        lr = cfg.learning_rate * tf.exp(-tf.cast(t, tf.float32) * math.log(cfg.lr_decay_factor))
        epoch = 1.0 + tf.floor(tf.cast(t, tf.float32) / spe)
        ramp = tf.clip_by_value((epoch - cfg.momentum_start) / (cfg.momentum_saturate - cfg.momentum_start), 0.0, 1.0)
        momentum = cfg.initial_momentum + ramp * (cfg.final_momentum - cfg.initial_momentum)
        for v, g, vel in zip(variables, grads, velocities[offset:]):
            vel.assign(momentum * vel - tf.maximum(lr, cfg.min_lr) * g)
            v.assign_add(vel)

    def step(real):
        t = counter.read_value()
        counter.assign_add(1)
        seed = tf.stack([t, tf.constant(1, tf.int64)]) * 16
        bound = math.sqrt(3.0)
        fake = generator(tf.random.stateless_uniform((b, cfg.noise_dim), seed, -bound, bound))
        with tf.GradientTape() as tape:
            d_loss = 0.5 * (tf.reduce_mean(tf.nn.softplus(-discriminator(real, seed + 1)))
                            + tf.reduce_mean(tf.nn.softplus(discriminator(fake, seed + 2))))
        sgd(d_vars, tape.gradient(d_loss, d_vars), len(g_vars), t)
        with tf.GradientTape() as tape:
            z = tf.random.stateless_uniform((b, cfg.noise_dim), seed + 3, -bound, bound)
            g_loss = tf.reduce_mean(tf.nn.softplus(-discriminator(generator(z), seed + 4)))
        sgd(g_vars, tape.gradient(g_loss, g_vars), 0, t)
        return d_loss

    step_fn = tf.function(step, jit_compile=True) if jit_compile else step

    @tf.function
    def run(count):
        loss = tf.constant(0.0)
        for _ in tf.range(count):
            t = counter.read_value()  # the data order: a stateless shuffle per epoch, as keras_gan's pipeline
            key = tf.stack([tf.constant(7, tf.int64), t // spe])
            order = tf.random.experimental.stateless_shuffle(tf.range(n), key)
            loss = step_fn(tf.cast(tf.gather(data, order[(t % spe) * b: (t % spe + 1) * b]), tf.float32) / 255.0)
        return loss

    rates = []
    for window in range(windows + 1):
        start = time.perf_counter()
        float(run(tf.constant(steps)))
        if window:
            rates.append(steps / (time.perf_counter() - start))
    return statistics.median(rates), rates


def cpu_name():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        fields = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
        flag_list = fields.get("Flags", "").split()
        extras = [f for f in ("avx512f", "avx512_bf16", "amx_tile", "amx_bf16", "avx512_fp16") if f in flag_list]
        return f"{fields.get('Model name', '?').strip()}, {os.cpu_count()} CPUs, {' '.join(extras)}"
    except OSError:
        return platform.processor()


ROW_PATTERN = re.compile(r"(plain(_xla)?|(alternating|simultaneous)(_xla)?(_float_masks)?(_bf16)?"
                         r"(_no_health|_health1)?)$")


def main(argv):
    del argv
    bad = [name for name in FLAGS.rows if not ROW_PATTERN.match(name)]
    if bad:
        raise app.UsageError(f"--rows: unknown row {bad[0]!r}; expected plain[_xla] or "
                             "{alternating,simultaneous}[_xla][_float_masks][_bf16][_no_health|_health1]")
    import tensorflow as tf

    from keras_gan import config, data

    experiment = flags.FlagValues()
    config.define_flags(experiment)
    experiment([sys.argv[0], f"--flagfile={FLAGS.flagfile_config}"])
    cfg = config.from_flags(experiment)
    cfg = dataclasses.replace(cfg, data_dir=FLAGS.data_dir, epochs=FLAGS.epochs, parzen_every=0)
    flops = flops_per_step(cfg, 784)
    peaks = [matmul_peak()]
    print(json.dumps({"cpu": cpu_name(), "tensorflow": tf.__version__, "matmul_peak_GFLOP_per_s": round(peaks[0], 1),
                      "GFLOP_per_step": {k: round(v / 1e9, 3) for k, v in flops.items()}}), flush=True)
    rows = []

    def report(name, update, median, rates):
        row = {"row": name, "update": update, "median_steps_per_s": round(median, 2),
               "rates": [round(r, 2) for r in rates], "achieved_GFLOP_per_s": round(median * flops[update] / 1e9, 1)}
        rows.append(row)
        print(json.dumps(row), flush=True)

    images = None
    for name in FLAGS.rows:
        if name.startswith("plain"):
            if images is None:
                images = data.load(cfg).train
            median, rates = plain_loop_rate(images, cfg, name.endswith("_xla"), FLAGS.plain_steps, FLAGS.windows)
            report(f"plain tf.function loop{', XLA' if name.endswith('_xla') else ''}", "alternating", median, rates)
        else:
            update, xla, bf16, old_masks = name.split("_")[0], "_xla" in name, "_bf16" in name, "_float_masks" in name
            health = "_no_health" not in name
            health_every = 1 if "_health1" in name else cfg.health_every
            row_cfg = dataclasses.replace(cfg, update=update, jit_compile=xla, health_every=health_every,
                                          mixed_precision="mixed_bfloat16" if bf16 else "none")
            median, rates = keras_gan_rate(row_cfg, float_masks if old_masks else None, health)
            label = (f"keras_gan, {update}{', XLA' if xla else ''}{', bfloat16' if bf16 else ''}"
                     f"{', float masks' if old_masks else ''}{', no health metrics' if not health else ''}"
                     f"{', health metrics every update' if health and health_every == 1 else ''}")
            report(label, update, median, rates)
    if FLAGS.compare_torch:
        python = os.path.expanduser(FLAGS.compare_torch)
        for update, arg in (("alternating", "alt"), ("simultaneous", "simul")):
            out = subprocess.run([python, FLAGS.torch_bench, "bench", "--update", arg], capture_output=True, text=True)
            if out.returncode:
                print(f"torch reference failed: {out.stderr.strip().splitlines()[-1:]}", flush=True)
                break
            torch = json.loads(out.stdout.strip().splitlines()[-1])
            report(f"PyTorch reference ({arg})", update, torch["median_steps_per_s"], torch.get("rates", []))
    peaks.append(matmul_peak())
    peak = statistics.mean(peaks)
    bf16_peak = matmul_peak(dtype="bfloat16")
    print(f"\nCPU: {cpu_name()}; float32 matmul peak {peaks[0]:.0f} and {peaks[1]:.0f} GFLOP/s (start, end of the "
          f"run); limit = GFLOP per step at {peak:.0f} GFLOP/s (bfloat16 matmul peak {bf16_peak:.0f} GFLOP/s: the "
          "bfloat16 rows are fractions of the float32 limit)")
    print(f"{'implementation':<42} {'steps/s':>8} {'GFLOP/s':>8} {'of limit':>9}")
    for row in rows:
        row["fraction_of_limit"] = round(row["achieved_GFLOP_per_s"] / peak, 3)
        print(f"{row['row']:<42} {row['median_steps_per_s']:8.1f} {row['achieved_GFLOP_per_s']:8.1f} "
              f"{row['fraction_of_limit']:9.2f}")
    for update, f in flops.items():
        print(f"{'arithmetic limit, ' + update:<42} {peak / (f / 1e9):8.1f} {peak:8.1f} {1.0:9.2f}")
    if FLAGS.output:
        with open(FLAGS.output, "w") as out:
            json.dump({"cpu": cpu_name(), "peaks": peaks, "bfloat16_peak": bf16_peak, "flops": flops, "rows": rows},
                      out, indent=1)


if __name__ == "__main__":
    app.run(main)
