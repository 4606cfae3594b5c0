"""Trains an experiment of the paper.

    python -m keras_gan.train --flagfile=flags/mnist.cfg --data_dir=../shared/data/mnist --workdir=runs/mnist

Running the same command again resumes from the workdir's latest checkpoint.
"""

from absl import app, flags

from keras_gan import cli, config

config.define_flags()
flags.DEFINE_string("workdir", None, "Folder for checkpoints, TensorBoard events and the export.", required=True)


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    from keras_gan import train_lib

    cli.quiet_logs()

    cfg = cli.run_reporting_errors(config.from_flags)
    result = cli.run_reporting_errors(train_lib.train_and_evaluate, cfg, flags.FLAGS.workdir)
    rate = f" ({result.steps_per_sec:.1f} steps/s)" if result.steps_per_sec else ""
    print(f"Trained to step {result.step}{rate}.")


def run():
    app.run(main)


if __name__ == "__main__":
    run()
