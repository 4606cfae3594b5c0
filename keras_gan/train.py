"""Trains an experiment of the paper, or resumes it.

    python -m keras_gan.train --flagfile=flags/mnist.cfg --data_dir=../shared/data/mnist

An experiment is a flagfile in flags/ (--flagfile=FILE); flags after it
override it. The run folder is --workdir, by default runs/<dataset> in the
current folder; running the same command again resumes the run there from
its latest checkpoint.
"""

import os

from absl import app, flags

from keras_gan import cli, config

config.define_flags()
flags.DEFINE_string("workdir", None, "The run folder: checkpoints, TensorBoard events, the export (default: "
                    "runs/<dataset> in the current folder, e.g. runs/mnist). An existing run there is resumed.")

# --help: the settings by group, the run folder first among the run's.
HELP_GROUPS = {title: ("workdir", *names) if title == "The run" else names
               for title, names in config.FLAG_GROUPS.items()}


def default_workdir(cfg):
    """The run folder when --workdir is not given: runs/<dataset>."""
    return os.path.join("runs", cfg.dataset)


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    cli.quiet_logs()
    cfg = cli.run_reporting_errors(config.from_flags)
    workdir = flags.FLAGS.workdir or default_workdir(cfg)
    if not flags.FLAGS.workdir:
        print(f"Run folder: {workdir} (--workdir not given)")
    from keras_gan import train_lib

    result = cli.run_reporting_errors(train_lib.train_and_evaluate, cfg, workdir)
    rate = f" ({result.steps_per_sec:.1f} steps/s)" if result.steps_per_sec else ""
    print(f"Trained to step {result.step}{rate}.")


def run():
    app.run(main, flags_parser=cli.parse_flags_with_grouped_help(__doc__, HELP_GROUPS))


if __name__ == "__main__":
    run()
