"""The candidate table of the seed study: dead runs per candidate fix and update rule, on the same seeds.

    python scripts/screen_table.py --at=4000 runs/seeds/table1 runs/seeds/warmup2000 runs/seeds/noise0.3 ...

Each argument is a sweep's folder (`keras_gan.sweep`, the first updates of each seed: `--until_updates`).
A run counts as dead when D(G(z)) is below 0.01 at update `--at` (D wins for good within a few hundred updates
of that in every run seen so far, and the sweep's own rule, below 1e-3 at 3 epoch ends in a row, cannot
fire before update 1,500 + the start of the fall, so a screen cut at 4,000 would miss late deaths). Runs that
have not reached `--at` are counted apart. Prints one Markdown row per sweep and rule: the dead seeds, the
median D(G(z)) and the median validation Parzen score of the first average of G (or of G) at `--at`.
"""

import os
import statistics

from absl import app, flags

import keras_gan  # noqa: F401  (first: TensorFlow then starts quietly)

flags.DEFINE_integer("at", 4000, "The update at which a run is judged.", lower_bound=1)
flags.DEFINE_float("dead_below", 0.01, "D(G(z)) below this at --at: dead.")
FLAGS = flags.FLAGS


def _run_rows(sweep_dir):
    from keras_gan import config, summaries

    for name in sorted(os.listdir(sweep_dir)):
        workdir = os.path.join(sweep_dir, name)
        if not os.path.exists(os.path.join(workdir, "config.json")):
            continue
        cfg = config.load_run_config(workdir)
        average = f"ema_{cfg.ema_decays[0]}" if cfg.ema_decays else "generator"
        parzen_tag = f"parzen/valid_log_likelihood_{average}"
        scalars = {tag: {s: v for s, _, v in points}
                   for tag, points in summaries.read_scalars(workdir, tags={"d_fake", parzen_tag}).items()}
        yield cfg, scalars.get("d_fake", {}).get(FLAGS.at), scalars.get(parzen_tag, {}).get(FLAGS.at)


def main(argv):
    print(f"| screen | update rule | runs at {FLAGS.at:,} | dead (D(G(z)) < {FLAGS.dead_below:g}) | dead seeds | "
          f"median D(G(z)) | median valid Parzen of the average |")
    print("| --- | --- | ---: | ---: | --- | ---: | ---: |")
    for sweep_dir in argv[1:]:
        groups = {}
        for cfg, d_fake, parzen in _run_rows(sweep_dir):
            groups.setdefault(cfg.update, []).append((cfg.seed, d_fake, parzen))
        for update, runs in sorted(groups.items()):
            judged = [r for r in runs if r[1] is not None]
            dead = [seed for seed, d_fake, _ in judged if d_fake < FLAGS.dead_below]
            pending = len(runs) - len(judged)
            median = lambda values: f"{statistics.median(values):.3g}" if values else "-"  # noqa: E731
            print(f"| {os.path.basename(os.path.normpath(sweep_dir))} | {update} | {len(judged)}"
                  + (f" (+{pending} not there yet)" if pending else "")
                  + f" | {len(dead)} of {len(judged)} | {', '.join(map(str, dead)) or '-'} | "
                  f"{median([r[1] for r in judged])} | {median([r[2] for r in judged if r[2] is not None])} |")


if __name__ == "__main__":
    app.run(main)
