"""The early game of a sweep's runs: what happens before D wins, in the runs it wins and in the others.

    python scripts/early_game.py --sweep_dir=runs/seeds/table1 [--steps=250,500,1000,1500,2000,3000,4000]

Reads every run folder of a sweep (`keras_gan.sweep`), splits the runs into
those the discriminator won (D(G(z)) below 1e-3 at 3 epoch ends in a row,
`sweep_lib.discriminator_won_at`) and the others, and prints, for each update
rule and group, the median over runs at each step of: D(x), D(G(z)), both
players' gradient norms, G's loss, the share of G's pixels within 0.01 of 0
or 1 (`g_saturated`; 0.866 for real training digits) and the spread of G's
samples (the mean over pixels of their standard deviation over a minibatch;
0.193 for real digits).
"""

import os
import statistics

from absl import app, flags

import keras_gan  # noqa: F401  (first: TensorFlow then starts quietly)

flags.DEFINE_string("sweep_dir", None, "A sweep's folder of run folders.", required=True)
flags.DEFINE_list("steps", ["300", "500", "1000", "1500", "2000", "3000", "4000"], "Steps to show.")
FLAGS = flags.FLAGS
TAGS = ("d_real", "d_fake", "d_grad_norm", "g_grad_norm", "g_loss", "g_saturated", "g_spread")


def main(argv):
    del argv
    from keras_gan import config, summaries, sweep_lib

    groups = {}
    for name in sorted(os.listdir(FLAGS.sweep_dir)):
        workdir = os.path.join(FLAGS.sweep_dir, name)
        if not os.path.exists(os.path.join(workdir, "config.json")):
            continue
        cfg = config.load_run_config(workdir)
        scalars = {tag: {s: v for s, _, v in points} for tag, points in
                   summaries.read_scalars(workdir, tags=set(TAGS)).items()}
        won = sweep_lib.discriminator_won_at(sorted(scalars.get("d_fake", {}).items()), 50_000 // cfg.batch_size)
        groups.setdefault((cfg.update, "D won" if won else "game on"), []).append((name, won, scalars))
    steps = [int(s) for s in FLAGS.steps]
    for (update, outcome), runs in sorted(groups.items()):
        won_at = sorted(w for _, w, _ in runs if w)
        print(f"\n{update}, {outcome}: {len(runs)} runs ({', '.join(n for n, _, _ in runs)})"
              + (f"; D won at updates {', '.join(map(str, won_at))}" if won_at else ""))
        print(f"{'step':>6} " + " ".join(f"{t:>12}" for t in TAGS))
        for step in steps:
            values = [[r[2].get(t, {}).get(step) for r in runs] for t in TAGS]
            cells = [statistics.median([v for v in vs if v is not None]) if any(v is not None for v in vs) else None
                     for vs in values]
            print(f"{step:6d} " + " ".join("           -" if c is None else f"{c:12.4g}" for c in cells))


if __name__ == "__main__":
    app.run(main)
