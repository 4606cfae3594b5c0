"""Runs one experiment over seeds (and a small grid of other settings), one run folder each, and tabulates them.

    python -m keras_gan.sweep --experiment=flags/mnist_table1.cfg --seeds=0-9 --sweep_dir=runs/seeds \\
        --data_dir=../shared/data/mnist [--grid=update=simultaneous,alternating] [--until_updates=6000] [--test]

Runs go one at a time, each `python -m keras_gan.train --flagfile=EXPERIMENT
--seed=S [grid flags] --workdir=SWEEP_DIR/<k=v,...,seed=S>`, its output in
`<run folder>.log`. Run the same command again and it carries on: a run that
finished (or stopped early) is not trained again, and the interrupted one
resumes from its checkpoint. `--until_updates=N` screens only the first N
updates of each run; without it the same folders train on to the end.
SIGTERM or Ctrl-C stops the run in flight (it saves) and the sweep.

`SWEEP_DIR/sweep.json` and `sweep.md` have one row per run folder in
SWEEP_DIR: its settings, how far it got, whether and when the discriminator
won (D(G(z)) below 1e-3 at 3 epoch ends in a row, `callbacks.DiscriminatorWins`),
the validation monitor's picks (by Parzen and by FD), and with `--test`
their test-set scores (Parzen, and FD/precision/recall for MNIST), with a
summary line per grid setting: `K of N seeds >= TARGET` on the test Parzen
score of each run's pick. `tensorboard --logdir SWEEP_DIR` compares the runs
in the HParams tab (every run records its settings and best scores).
"""

import os
import sys

from absl import app, flags

from keras_gan import cli, sweep_lib
from keras_gan.sweep_lib import SweepError

flags.DEFINE_string("experiment", None, "The flagfile every run trains (e.g. flags/mnist_table1.cfg).")
flags.DEFINE_string("seeds", "0-9", "Seeds: a range 0-9, a list 0,3,5, or both (0-4,7).")
flags.DEFINE_multi_string("grid", [], "A setting to vary, KEY=V1,V2 (values separated by | when they hold commas, "
                          "e.g. ema_decays=0.999|0.999,0.9999); repeat for several: every combination runs.")
flags.DEFINE_string("sweep_dir", None, "Folder of the run folders, sweep.json and sweep.md.")
flags.DEFINE_string("data_dir", None, "Passed to every run (default: the experiment's, else tensorflow-datasets).")
flags.DEFINE_integer("until_updates", 0, "Train each run only to this many updates (a screen; 0: to the end).",
                     lower_bound=0)
flags.DEFINE_string("train_flags", "", "More training flags for every run, e.g. \"--epochs=60 --jit_compile\".")
flags.DEFINE_bool("test", False, "Also score the validation picks of each run done (to its end, or to "
                  "--until_updates) once on the test set; a run still training is scored when it is done.")
flags.DEFINE_float("target", 223.0, "The test Parzen score the summary counts runs at or above (the paper's "
                   "225 - 2).")
flags.DEFINE_bool("summarize_only", False, "Train nothing: only rebuild sweep.json and sweep.md from the folders.")
FLAGS = flags.FLAGS

def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    cli.quiet_logs()

    def sweep():
        if not FLAGS.sweep_dir:
            raise SweepError("--sweep_dir is required: the folder of the sweep's run folders")
        grid = sweep_lib.parse_grid(FLAGS.grid)
        if not FLAGS.summarize_only:
            if not FLAGS.experiment or not os.path.isfile(FLAGS.experiment):
                raise SweepError(f"--experiment must be a flagfile; got {FLAGS.experiment!r}")
            runs = sweep_lib.run_names(sweep_lib.parse_seeds(FLAGS.seeds), grid)
            if not sweep_lib.run_all(FLAGS.experiment, runs, FLAGS.sweep_dir, FLAGS.data_dir, FLAGS.until_updates,
                           FLAGS.train_flags):
                sys.exit(1)
        if not os.path.isdir(FLAGS.sweep_dir):
            raise SweepError(f"--sweep_dir {FLAGS.sweep_dir}: no such folder")
        sweep_lib.write_tables(FLAGS.sweep_dir, FLAGS.test, FLAGS.data_dir, FLAGS.target, [k for k, _ in grid],
                               FLAGS.until_updates)
        print(open(os.path.join(FLAGS.sweep_dir, "sweep.md")).read())
        print(f"Wrote {os.path.join(FLAGS.sweep_dir, 'sweep.json')} and sweep.md")

    cli.run_reporting_errors(sweep)


def run():
    app.run(main)


if __name__ == "__main__":
    run()
