"""Draws one of the paper's figures from a trained run (`keras_gan.figures`).

    python -m keras_gan.figures figure1 --workdir=runs/gaussian1d     # Figure 1, and section 4 checked
    python -m keras_gan.figures samples --workdir=runs/mnist          # Figure 2: samples and nearest neighbours
    python -m keras_gan.figures interpolation --workdir=runs/mnist    # Figure 3: walks through z space
    python -m keras_gan.figures progress --workdir=runs/mnist         # the sample grid over training time

`progress` draws the grids the run drew while it trained (its TensorBoard events), so it reads no checkpoint:
--checkpoint, --rows, --cols and --seed do not apply to it.
"""

import math
import os

from absl import app, flags

from keras_gan import cli, config, figures

flags.DEFINE_string("workdir", None, "A keras_gan run folder.", required=True)
flags.DEFINE_string("output", None, "PNG to write (default <workdir>/figures/<figure>.png).")
flags.DEFINE_integer("rows", 6, "Rows of the grid.", lower_bound=1)
flags.DEFINE_integer("cols", 8, "Samples per row (samples) or interpolation steps (interpolation).", lower_bound=2)
flags.DEFINE_integer("panels", 4, "figure1: checkpoints drawn; progress: sample grids drawn (from those the run "
                     "wrote to its TensorBoard events), left to right; both evenly spaced through training.",
                     lower_bound=1)
flags.DEFINE_integer("seed", 0, "Seed of the noise.", lower_bound=0)
flags.DEFINE_integer("min_width", figures.MIN_WIDTH, "samples, interpolation, progress: the PNG is upscaled (nearest "
                     "neighbour, an integer factor) to at least this many pixels wide.", lower_bound=1)
cli.define_generator_flags()
FLAGS = flags.FLAGS


def figure1(figure, output):
    report = figures.figure1_of_run(FLAGS.workdir, output, FLAGS.panels)
    print(f"{'checkpoint':<14} {'C(G)':>9} {'-log4+2JSD':>11} {'max|D-D*|':>10} {'mean D*':>8}")
    for r in report:
        print(f"{r['checkpoint']:<14} {r['C(G)']:9.4f} {r['-log4+2JSD']:11.4f} {r['max_abs_D_minus_D_star']:10.3f} "
              f"{r['mean_D_star']:8.3f}")
    print(f"Theorem 1: the global minimum of C(G) is -log 4 = {-math.log(4):.4f}, reached when p_g = p_data.")


def image_grid(figure, output):
    name, run = figures.grid_of_run(figure, FLAGS.workdir, output, FLAGS.checkpoint, FLAGS.generator, FLAGS.rows,
                                    FLAGS.cols, FLAGS.seed, FLAGS.min_width)
    print(f"{name} at step {run.step} ({run.checkpoint})")


def progress(figure, output):
    steps = figures.progress_of_run(FLAGS.workdir, output, FLAGS.panels, FLAGS.generator, FLAGS.min_width)
    print(f"{FLAGS.generator or 'generator'}'s sample grids at steps {', '.join(map(str, steps))} (left to right)")


FIGURES = {"figure1": figure1, "samples": image_grid, "interpolation": image_grid, "progress": progress}


def draw(argv):
    if len(argv) != 2 or argv[1] not in FIGURES:
        raise config.ConfigError(f"name one figure: {', '.join(FIGURES)}; got {' '.join(argv[1:]) or 'none'}")
    output = FLAGS.output or os.path.join(FLAGS.workdir, "figures", f"{argv[1]}.png")
    FIGURES[argv[1]](argv[1], output)
    print(f"Wrote {output}")


def main(argv):
    cli.quiet_logs()
    cli.run_reporting_errors(draw, argv)


def run():
    app.run(main)


if __name__ == "__main__":
    run()
