"""Plot TensorBoard scalars of one or more runs into a PNG (for the README).

python scripts/plot_scalars.py --tag=parzen/valid_log_likelihood --runs=runs/table1,runs/mnist_fast \
    --output=docs/curve.png
"""

import glob
import os

from absl import app, flags
from tensorboard.backend.event_processing import event_accumulator

flags.DEFINE_list("runs", None, "Run folders.", required=True)
flags.DEFINE_string("tag", "parzen/valid_log_likelihood", "Scalar to plot.")
flags.DEFINE_string("output", None, "PNG to write.", required=True)
flags.DEFINE_string("title", "", "Figure title.")
FLAGS = flags.FLAGS


def read_scalar(workdir, tag):
    points = {}
    for path in glob.glob(os.path.join(workdir, "events.out.tfevents.*")):
        acc = event_accumulator.EventAccumulator(path, size_guidance={event_accumulator.TENSORS: 0})
        acc.Reload()
        if tag in acc.Tags()["tensors"]:
            for event in acc.Tensors(tag):
                points[event.step] = (
                    float(event.tensor_proto.float_val[0])
                    if event.tensor_proto.float_val
                    else float(__import__("numpy").frombuffer(event.tensor_proto.tensor_content, "float32")[0])
                )
    return sorted(points.items())


def main(argv):
    del argv
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    for run in FLAGS.runs:
        points = read_scalar(run, FLAGS.tag)
        if points:
            ax.plot([p[0] for p in points], [p[1] for p in points], label=os.path.basename(run.rstrip("/")))
    ax.set_xlabel("step (generator updates)")
    ax.set_ylabel(FLAGS.tag)
    ax.set_title(FLAGS.title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(FLAGS.output)), exist_ok=True)
    fig.savefig(FLAGS.output, dpi=100)
    print(f"Wrote {FLAGS.output}")


if __name__ == "__main__":
    app.run(main)
