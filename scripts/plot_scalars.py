"""Plot TensorBoard scalars of one or more runs into a PNG (for the README).

python scripts/plot_scalars.py --runs=runs/table1,runs/mnist_fast --output=docs/curve.png \
    --tags=parzen/valid_log_likelihood,parzen/valid_log_likelihood_ema_0.9999

One line per run and tag that the run has.
"""

import os

from absl import app, flags

from keras_gan.summaries import read_scalars

flags.DEFINE_list("runs", None, "Run folders.", required=True)
flags.DEFINE_list("tags", ["parzen/valid_log_likelihood"], "Scalars to plot.")
flags.DEFINE_string("ylabel", "validation Parzen log-likelihood (nats)", "The y axis's label.")
flags.DEFINE_float("ymin", None, "Lower limit of the y axis (default: all points shown).")
flags.DEFINE_string("output", None, "PNG to write.", required=True)
flags.DEFINE_string("title", "", "Figure title.")
FLAGS = flags.FLAGS


def main(argv):
    del argv
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for run in FLAGS.runs:
        scalars = read_scalars(run, FLAGS.tags)  # an events file cut short: a warning line, its intact points
        for tag in FLAGS.tags:
            points = scalars.get(tag)
            if points:
                label = os.path.basename(run.rstrip("/")) + ("" if len(FLAGS.tags) == 1 else f": {tag.split('/')[-1]}")
                ax.plot([p[0] for p in points], [p[2] for p in points], label=label)
    ax.set_xlabel("step (generator updates)")
    ax.set_ylabel(FLAGS.ylabel)
    if FLAGS.ymin is not None:
        ax.set_ylim(bottom=FLAGS.ymin)
    ax.set_title(FLAGS.title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(FLAGS.output)), exist_ok=True)
    fig.savefig(FLAGS.output, dpi=100)
    print(f"Wrote {FLAGS.output}")


if __name__ == "__main__":
    app.run(main)
