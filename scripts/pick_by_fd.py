"""Which checkpoint a validation Frechet distance would have picked, for a run trained without the quality monitor.

    python scripts/pick_by_fd.py --workdir=runs/table1 --data_dir=../shared/data/mnist [--generators=all]

Scores every checkpoint the run kept (`--keep_every`; the latest ones too)
and each of its generators against the 10,000 validation digits in the
shipped MNIST classifier's features, beside the validation Parzen score the
run's own monitor logged at that step, and prints both picks: the highest
validation Parzen (what `best/` holds) and the lowest validation FD (what
`--select_by=fd` would have kept). The test set is not read: score the two
picks with `evaluate --checkpoint=STEP --generator=NAME` (Parzen, then
`--method=quality`). Writes `<workdir>/pick_by_fd.json`.
"""

import json
import os

from absl import app, flags

import keras_gan  # noqa: F401  (first: TensorFlow then starts quietly)

flags.DEFINE_string("workdir", None, "A run folder with kept checkpoints.", required=True)
flags.DEFINE_string("data_dir", None, "The MNIST IDX folder (default: the run's).")
flags.DEFINE_integer("num_samples", 10000, "Samples per generator, the monitor's noise.", lower_bound=1)
FLAGS = flags.FLAGS


def main(argv):
    del argv
    from keras_gan import averages, callbacks, config, experiment, quality, summaries

    cfg = config.load_run_config(FLAGS.workdir)
    if FLAGS.data_dir:
        cfg.data_dir = FLAGS.data_dir
    scalars = summaries.read_scalars(FLAGS.workdir)
    reference = None
    rows = []
    for step in sorted(experiment.available_steps(FLAGS.workdir)):
        run = experiment.load_run(FLAGS.workdir, str(step), cfg)
        reference = reference or quality.Reference(run.splits.valid, kid_subsets=10)
        for decay in (None, *run.gan.ema_decays):
            name = averages.name(decay)
            suffix = "" if decay is None else f"_{name}"
            parzen = {s: v for s, _, v in scalars.get(f"parzen/valid_log_likelihood{suffix}", [])}.get(step)
            samples = run.gan.sample(FLAGS.num_samples, seed=callbacks.MONITOR_SEED, average=decay).numpy()
            q = reference.score(samples)
            rows.append({"step": step, "generator": name, "valid_parzen": parzen, "valid_fd": q.fd,
                         "valid_precision": q.precision, "valid_recall": q.recall})
            print(json.dumps(rows[-1]), flush=True)
    with_parzen = [r for r in rows if r["valid_parzen"] is not None]
    picks = {"by_parzen": max(with_parzen, key=lambda r: r["valid_parzen"]) if with_parzen else None,
             "by_fd": min(rows, key=lambda r: r["valid_fd"])}
    for rule, row in picks.items():
        print(f"pick {rule}: {row}")
    experiment.write_json(os.path.join(FLAGS.workdir, "pick_by_fd.json"), {"rows": rows, "picks": picks})


if __name__ == "__main__":
    app.run(main)
