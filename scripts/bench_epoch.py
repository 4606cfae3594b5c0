"""Where an epoch's seconds go: training steps, the sample grid, the validation monitor, the checkpoint.

    python scripts/bench_epoch.py --data_dir=../shared/data/mnist [--flagfile_config=flags/mnist_table1.cfg]

Trains the experiment for --epochs in a temporary folder (its validation
monitor every --parzen_every epochs, as a run of that flagfile pays it) and
times each piece of the end-of-epoch work, and inside the monitor the Parzen
protocol and the sample-quality metrics apart. The first epoch (XLA's
compilation, first traces) is left out; each piece's seconds are averaged
over the other epochs, so the monitor's cost is spread over the epochs
between its evaluations, as in a run.
"""

import collections
import dataclasses
import json
import statistics
import sys
import tempfile
import time

from absl import app, flags

import keras_gan  # noqa: F401  (first: TensorFlow then starts quietly)

flags.DEFINE_string("data_dir", None, "Folder with the four MNIST IDX files (default: tfds).")
flags.DEFINE_string("flagfile_config", "flags/mnist_table1.cfg", "The experiment whose epoch is accounted for.")
flags.DEFINE_integer("epochs", 5, "Epochs to train; the first is left out.", lower_bound=2)
FLAGS = flags.FLAGS
PIECES = ("sample grid", "D-won check", "validation monitor", "checkpoint (and best/)")


def instrument(callbacks, parzen, quality):
    """Wraps each epoch-end piece (and, inside the monitor, Parzen and quality) to record
    {epoch: {piece: seconds}}."""
    spent = collections.defaultdict(lambda: collections.defaultdict(float))
    current = {"epoch": None}

    def wrap(owner, name, piece, epoch_piece):
        original = getattr(owner, name)

        def wrapper(*args, **kwargs):
            if epoch_piece:
                current["epoch"] = args[1]
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent[current["epoch"]][piece] += time.perf_counter() - start

        setattr(owner, name, wrapper)

    for owner, piece in zip((callbacks.SampleGrid, callbacks.DiscriminatorWins, callbacks.ValidationMonitor,
                             callbacks.Checkpointer), PIECES):
        wrap(owner, "on_epoch_end", piece, True)
    wrap(parzen, "evaluate", "  of which Parzen", False)
    wrap(quality.Reference, "score", "  of which sample quality", False)
    return spent


def main(argv):
    del argv
    from keras_gan import callbacks, config, parzen, quality, train_lib

    experiment = flags.FlagValues()
    config.define_flags(experiment)
    experiment([sys.argv[0], f"--flagfile={FLAGS.flagfile_config}"])
    cfg = dataclasses.replace(config.from_flags(experiment), data_dir=FLAGS.data_dir, epochs=FLAGS.epochs)
    spent = instrument(callbacks, parzen, quality)
    with tempfile.TemporaryDirectory() as workdir:
        result = train_lib.train_and_evaluate(cfg, workdir, verbose=0)
    epochs = range(1, FLAGS.epochs)  # Keras' epoch numbers after the first
    steps = statistics.median(result.epoch_seconds[e] - sum(v for k, v in spent[e].items() if k in PIECES)
                              for e in epochs)
    rows = {"training steps": steps}
    for piece in (*PIECES, "  of which Parzen", "  of which sample quality"):
        rows[piece] = sum(spent[e][piece] for e in epochs) / len(epochs)
    epoch = steps + sum(rows[p] for p in PIECES)
    print(json.dumps({"flagfile": FLAGS.flagfile_config, "epochs_timed": len(epochs), "monitor_every": cfg.parzen_every,
                      "generators": 1 + len(cfg.ema_decays), "steps_per_epoch": result.steps_per_epoch,
                      "steps_per_sec_in_steps": round(result.steps_per_epoch / steps, 2)}))
    print(f"{'piece':<30} {'s / epoch':>10} {'share':>7}")
    for piece, value in rows.items():
        print(f"{piece:<30} {value:10.2f} {value / epoch:7.1%}")
    print(f"{'whole epoch':<30} {epoch:10.2f} {1:7.0%}")


if __name__ == "__main__":
    app.run(main)
