"""Training wall-clock time until the validation monitor first reaches given scores.

python scripts/time_to_quality.py --workdir=runs/table1 --thresholds=200,223

Reads the run's TensorBoard events (`parzen/valid_log_likelihood*`: the Table 1
protocol on validation digits, `callbacks.ValidationMonitor`). Time is training
wall clock summed over the run's processes (time spent stopped between a
SIGTERM and a resume is not counted); it includes the monitor's own cost.

With --limit_steps_per_s (the "arithmetic limit" row of scripts/bench_train.py
for the run's update rule, measured on the same machine the same day) it also
prints each crossing as a fraction of the limit: the seconds the same number of
updates would take at the limit, divided by the seconds they took.
"""

from absl import app, flags

from keras_gan.summaries import read_scalars

flags.DEFINE_string("workdir", None, "Run folder.", required=True)
flags.DEFINE_list("thresholds", ["200", "223"], "Validation log-likelihoods (nats) to time.")
flags.DEFINE_string("prefix", "parzen/valid_log_likelihood", "Scalars whose tag starts with this are timed.")
flags.DEFINE_float("limit_steps_per_s", None, "Updates per second at the machine's matmul limit (bench_train's "
                   "arithmetic limit row): each crossing is also given as a fraction of it.", lower_bound=0.0)
FLAGS = flags.FLAGS


def first_crossings(points, thresholds):
    """`{threshold: (step, seconds, value) or None}`: the first point at or above each threshold."""
    return {t: next((p for p in points if p[2] >= t), None) for t in thresholds}


def main(argv):
    del argv
    try:
        thresholds = [float(t) for t in FLAGS.thresholds]
    except ValueError:
        raise app.UsageError(f"--thresholds must be numbers; got {FLAGS.thresholds}") from None
    # An events file cut short or garbled: a warning line on stderr, and its intact points are timed.
    scalars = {tag: points for tag, points in read_scalars(FLAGS.workdir).items() if tag.startswith(FLAGS.prefix)}
    if not scalars:
        raise app.UsageError(f"{FLAGS.workdir} has no {FLAGS.prefix}* scalars (a run folder with --parzen_every?)")
    for tag, points in sorted(scalars.items()):
        best = max(points, key=lambda p: p[2])
        print(f"{tag}: best {best[2]:.1f} at step {best[0]} ({best[1] / 60:.1f} min)")
        for t, hit in first_crossings(points, thresholds).items():
            when = f"step {hit[0]}, {hit[1] / 60:.1f} min ({hit[2]:.1f})" if hit else "not reached"
            if hit and FLAGS.limit_steps_per_s:
                at_limit = hit[0] / FLAGS.limit_steps_per_s
                when += f"; at the limit {at_limit / 60:.1f} min, {at_limit / hit[1]:.2f} of it"
            print(f"  first >= {t:g}: {when}")


if __name__ == "__main__":
    app.run(main)
