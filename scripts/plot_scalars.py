"""Plot TensorBoard scalars of one or more runs into a PNG (for the README and docs/).

python scripts/plot_scalars.py --runs=runs/table1,runs/table1_seed1 --output=docs/table1_parzen_curve.png \
    --tags=parzen/valid_log_likelihood,parzen/valid_log_likelihood_ema_0.9999

One curve per run and tag that the run has, against the step; the legend names the run and the
generator (G, or the average EMA <decay>). The drawing: keras_gan.figures.scalar_curves.
"""

from absl import app, flags

from keras_gan import figures

flags.DEFINE_list("runs", None, "Run folders.", required=True)
flags.DEFINE_list("tags", ["parzen/valid_log_likelihood"], "Scalars to plot.")
flags.DEFINE_string("ylabel", "validation Parzen log-likelihood (nats)", "The y axis's label.")
flags.DEFINE_float("ymin", None, "Lower limit of the y axis (default: all points shown).")
flags.DEFINE_string("output", None, "PNG to write.", required=True)
flags.DEFINE_string("title", "", "Figure title.")
FLAGS = flags.FLAGS


def main(argv):
    del argv
    ax = figures.scalar_curves(FLAGS.runs, FLAGS.tags, FLAGS.output, FLAGS.ylabel, FLAGS.ymin, FLAGS.title)
    labels = [line.get_label() for line in ax.get_lines()]
    if not labels:
        raise SystemExit(f"error: none of --runs {','.join(FLAGS.runs)} has any of --tags {','.join(FLAGS.tags)}")
    print(f"Wrote {FLAGS.output} ({', '.join(labels)})")


if __name__ == "__main__":
    app.run(main)
