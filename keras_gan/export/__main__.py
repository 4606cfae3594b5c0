"""Writes a run's generator as a SavedModel that loads without keras_gan (`keras_gan.export.export_run`).

    python -m keras_gan.export --workdir=runs/mnist [--checkpoint=best] [--generator=ema_0.9999] [--output=DIR]
"""

from absl import app, flags

from keras_gan import cli
from keras_gan import export as export_lib

flags.DEFINE_string("workdir", None, "A keras_gan run folder.", required=True)
flags.DEFINE_string("output", None, "Where to write the SavedModel (default <workdir>/export/generator).")
cli.define_generator_flags()
FLAGS = flags.FLAGS


def export():
    name, run, path = export_lib.export_run(FLAGS.workdir, FLAGS.checkpoint, FLAGS.generator, FLAGS.output)
    print(f"Exported {name} at step {run.step} ({run.checkpoint}) to {path}")


def main(argv):
    del argv
    cli.quiet_logs()
    cli.run_reporting_errors(export)


def run():
    app.run(main)


if __name__ == "__main__":
    run()
