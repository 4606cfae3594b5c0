"""The library behind `python -m keras_gan.sweep`: runs of one experiment over seeds and a grid, and their table.

    run_names       the run folders of seeds x grid, named KEY=VALUE,...,seed=S
    run_all         trains each run that is not done, one at a time, resumable
    summarize_run   one row: how far it got, whether D won and when, the monitor's picks, their test scores
    write_tables    sweep.json, sweep.md (with `K of N seeds >= TARGET`) and the HParams experiment record
"""

import itertools
import json
import os
import shlex
import signal
import subprocess
import sys
import time

import numpy as np

from keras_gan.errors import UserError

WON_THRESHOLD, WON_PATIENCE = 1e-3, 3  # callbacks.WON_THRESHOLD, WON_PATIENCE (not imported: that loads TensorFlow)
ENDED_EARLY = ("early_stopped", "discriminator_won")  # states of runs stopped for good: early stopping, D won


class SweepError(UserError, ValueError):
    """A sweep setting (seeds, grid, folder) that cannot be used."""


def parse_seeds(text):
    """"0-9", "0,3,5" or "0-4,7" -> a sorted list of distinct seeds."""
    seeds = set()
    for part in filter(None, (p.strip() for p in text.split(","))):
        lo, _, hi = part.partition("-")
        if not lo.isdigit() or (hi and not hi.isdigit()) or (hi and int(hi) < int(lo)):
            raise SweepError(f"--seeds must be seeds or ranges like 0-9, comma-separated; got {text!r}")
        seeds.update(range(int(lo), int(hi or lo) + 1))
    if not seeds:
        raise SweepError(f"--seeds names no seed; got {text!r}")
    return sorted(seeds)


def parse_grid(entries):
    """["update=simultaneous,alternating", ...] -> [(key, [values])] in the order given."""
    grid = []
    for entry in entries:
        key, sep, values = entry.partition("=")
        if not sep or not key or not values or key == "seed":
            raise SweepError(f"--grid must be KEY=V1,V2 (not seed: --seeds sets it); got {entry!r}")
        grid.append((key, values.split("|") if "|" in values else values.split(",")))
    return grid


def run_names(seeds, grid):
    """[(folder name, {flag: value})] for every grid combination and seed, the seed varying fastest."""
    keys = [key for key, _ in grid]
    runs = []
    for combination in itertools.product(*(values for _, values in grid)):
        for seed in seeds:
            settings = {**dict(zip(keys, combination)), "seed": str(seed)}
            runs.append((",".join(f"{k}={v}" for k, v in settings.items()), settings))
    return runs


def is_done(workdir, until_updates):
    """Whether the run in `workdir` needs no more training for this sweep."""
    from keras_gan import experiment

    status = experiment.read_status(workdir)
    if status is None:
        return False
    if status["state"] in ENDED_EARLY:
        return True
    if status["state"] != "finished":
        return False
    return status["step"] >= until_updates if until_updates else not status.get("max_steps")


def train_command(experiment_file, settings, workdir, data_dir=None, until_updates=0, train_flags=""):
    command = [sys.executable, "-m", "keras_gan.train", f"--flagfile={experiment_file}", f"--workdir={workdir}",
               *(f"--{k}={v}" for k, v in settings.items()), *shlex.split(train_flags)]
    if data_dir:
        command.append(f"--data_dir={data_dir}")
    if until_updates:
        command.append(f"--max_steps={until_updates}")
    return command


def run_all(experiment_file, runs, sweep_dir, data_dir=None, until_updates=0, train_flags="", verbose=1):
    """Trains every run that is not done, one at a time, saying which of how many it is, how each ended and
    how long it took, and a guess at the time left (the mean of the runs that ended so far in this call);
    returns False if the sweep was stopped by a signal."""
    from keras_gan import experiment

    os.makedirs(sweep_dir, exist_ok=True)
    todo = [name for name, _ in runs if not is_done(os.path.join(sweep_dir, name), until_updates)]
    took = []
    for index, (name, settings) in enumerate(runs, 1):
        workdir = os.path.join(sweep_dir, name)
        where = f"[{index}/{len(runs)}] {name}"
        if is_done(workdir, until_updates):  # asked again: another sweep on the same folder may have ended it
            if verbose:
                print(f"{where}: done, not trained again", flush=True)
            if name in todo:
                todo.remove(name)
            continue
        if verbose:
            left = f"; about {len(todo) * sum(took) / len(took) / 60:.0f} min left for the {len(todo)} to train" \
                if took else ""
            print(f"{where}: training{f' to {until_updates} updates' if until_updates else ''} (log: "
                  f"{workdir}.log){left}", flush=True)
        start = time.monotonic()
        with open(f"{workdir}.log", "a") as log:
            child = subprocess.Popen(train_command(experiment_file, settings, workdir, data_dir, until_updates,
                                                   train_flags), stdout=log, stderr=subprocess.STDOUT)
            stopped = _wait_forwarding_signals(child)
        if stopped:
            print(f"{where}: stopped by a signal; run the same command again to resume", flush=True)
            return False
        todo.remove(name)
        status = experiment.read_status(workdir) or {}
        if child.returncode < 0:
            print(f"{where}: killed by {signal.Signals(-child.returncode).name}; see {workdir}.log (the next "
                  f"sweep resumes it)", flush=True)
        elif child.returncode != 0:
            print(f"{where}: training failed (exit {child.returncode}); see {workdir}.log", flush=True)
        elif not is_done(workdir, until_updates):  # a signal to the run alone: it saved, and the next sweep resumes
            print(f"{where}: stopped ({status.get('state', 'no status')}) at update {status.get('step', '?')}; the "
                  f"next sweep resumes it", flush=True)
        else:
            took.append(time.monotonic() - start)
            if verbose:
                print(f"{where}: {status['state']} at update {status['step']} after {took[-1] / 60:.1f} min",
                      flush=True)
    return True


def _wait_forwarding_signals(child):
    """Waits for `child`; SIGTERM or SIGINT to the sweep is passed on (the run saves) and ends the sweep."""
    received = []

    def forward(signum, frame):
        received.append(signum)
        child.send_signal(signal.SIGTERM)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return bool(received)


def discriminator_won_at(d_fake, steps_per_epoch):
    """The step at which D(G(z)) had been below WON_THRESHOLD at WON_PATIENCE epoch ends in a row (None: never)."""
    below = 0
    for step, value in d_fake:
        if step % steps_per_epoch:
            continue
        below = below + 1 if value < WON_THRESHOLD else 0
        if below >= WON_PATIENCE:
            return step
    return None


def _test_scores(workdir, pick, data_dir, dataset):
    """The test-set scores of one validation pick (`best_parzen` or `best_fd`), cached in the run folder."""
    from keras_gan import experiment

    best, _ = experiment.find_best(workdir, pick)
    if best is None:
        return None
    scores = {"step": best["step"], "generator": best["generator"]}
    methods = ["parzen"] + (["quality"] if dataset == "mnist" else [])
    for method in methods:
        path = os.path.join(workdir, f"test_{pick}_{method}.json")
        cached = json.load(open(path)) if os.path.exists(path) else None
        if cached is None or cached.get("checkpoint_step") != best["step"]:
            command = [sys.executable, "-m", "keras_gan.evaluate", f"--workdir={workdir}", f"--checkpoint={pick}",
                       f"--method={method}", f"--output={path}"] + ([f"--data_dir={data_dir}"] if data_dir else [])
            out = subprocess.run(command, capture_output=True, text=True)
            if out.returncode != 0:
                return {**scores, "error": out.stderr.strip().splitlines()[-1:]}
            cached = json.load(open(path))
        if method == "parzen":
            scores.update(parzen=cached["mean"], parzen_se=cached["se"])
        else:
            scores.update({k: cached[k] for k in ("fd", "precision", "recall", "density", "coverage")})
    return scores


def summarize_run(workdir, test=False, data_dir=None):
    """One row of the table for a run folder."""
    from keras_gan import config as config_lib
    from keras_gan import data as data_lib
    from keras_gan import experiment, summaries

    cfg = config_lib.load_run_config(workdir)
    status = experiment.read_status(workdir) or {}
    scalars = summaries.read_scalars(workdir, tags={"d_fake"})
    d_fake = [(step, value) for step, _, value in scalars.get("d_fake", [])]
    train_size = {"mnist": 50_000}.get(cfg.dataset)
    spe = data_lib.steps_per_epoch(train_size, cfg.batch_size * cfg.k_steps) if train_size else None
    row = {"run": os.path.basename(workdir), "seed": cfg.seed, "update": cfg.update,
           "step": max([s for s, _ in d_fake], default=0), "state": status.get("state", "running or stopped"),
           "discriminator_won_at": discriminator_won_at(d_fake, spe) if spe else None}
    for criterion in ("parzen", "fd"):
        best, _ = experiment.find_best(workdir, f"best_{criterion}")
        row[f"valid_best_{criterion}"] = None if best is None else {
            k: best.get(k) for k in ("step", "generator", "score", "valid_log_likelihood", "valid_fd")}
    if test:
        for criterion in ("parzen", "fd"):
            row[f"test_of_best_{criterion}"] = _test_scores(workdir, f"best_{criterion}", data_dir, cfg.dataset)
    return row


def _fmt(value, digits=1):
    return "" if value is None else f"{value:.{digits}f}"


def markdown(rows, target):
    """The rows as a Markdown table, and a `K of N seeds >= target` line per setting other than the seed, with
    the median, lowest and highest test Parzen score of the picks and their median sample-quality metrics."""
    lines = ["| run | step | state | D won at | valid Parzen (pick) | valid FD (pick) | test Parzen of Parzen pick | "
             "test FD / precision / recall of it | test Parzen of FD pick | test FD / precision / recall of it |",
             "| --- | ---: | --- | ---: | --- | --- | ---: | --- | ---: | --- |"]
    for r in rows:
        cells = []
        for criterion in ("parzen", "fd"):
            v = r[f"valid_best_{criterion}"]
            cells.append("" if v is None else f"{_fmt(v['score'], 1 if criterion == 'parzen' else 2)} "
                         f"({v['generator']}, {v['step']})")
        tests = []
        for criterion in ("parzen", "fd"):
            t = r.get(f"test_of_best_{criterion}") or {}
            tests += [_fmt(t.get("parzen")), " / ".join(_fmt(t.get(k), 2 if k == "fd" else 3)
                                                         for k in ("fd", "precision", "recall")) if "fd" in t else ""]
        lines.append(f"| {r['run']} | {r['step']} | {r['state']} | {r['discriminator_won_at'] or ''} | {cells[0]} | "
                     f"{cells[1]} | {' | '.join(tests)} |")
    lines.append("")
    groups = {}
    for r in rows:
        groups.setdefault(r["run"].rsplit("seed=", 1)[0].rstrip(",") or "(all)", []).append(r)
    for group, members in groups.items():
        won = sum(1 for r in members if r["discriminator_won_at"])
        line = f"- {group}: D won in {won} of {len(members)} runs"
        for criterion in ("parzen", "fd"):
            tests = [r.get(f"test_of_best_{criterion}") or {} for r in members]
            scores = [t["parzen"] for t in tests if t.get("parzen") is not None]
            if scores:
                unscored = f"{len(members) - len(scores)} not scored: not done; " if len(scores) < len(members) else ""
                line += (f"; picks by {criterion}: {sum(s >= target for s in scores)} of {len(members)} seeds >= "
                         f"{target:g} ({unscored}test Parzen median {np.median(scores):.1f}, lowest {min(scores):.1f}, "
                         f"highest {max(scores):.1f}")
                quality = {k: [t[k] for t in tests if t.get(k) is not None] for k in ("fd", "precision", "recall")}
                if quality["fd"]:
                    line += (f"; median FD {np.median(quality['fd']):.1f}, precision "
                             f"{np.median(quality['precision']):.3f}, recall {np.median(quality['recall']):.3f}")
                line += ")"
        lines.append(line)
    return "\n".join(lines) + "\n"


def write_tables(sweep_dir, test=False, data_dir=None, target=223.0, grid_keys=(), until_updates=0):
    """sweep.json, sweep.md and the HParams experiment record for every run folder in `sweep_dir`; with `test`,
    the picks of the runs done (`is_done` with `until_updates`) are scored on the test set, so a run still
    training (a screen being trained on, or one another sweep trains) is scored once, when it ends."""
    from keras_gan import experiment

    folders = sorted(d for d in os.listdir(sweep_dir) if os.path.exists(os.path.join(sweep_dir, d, "config.json")))
    paths = [os.path.join(sweep_dir, d) for d in folders]
    rows = [summarize_run(path, test and is_done(path, until_updates), data_dir) for path in paths]
    experiment.write_json(os.path.join(sweep_dir, "sweep.json"), rows)
    with open(os.path.join(sweep_dir, "sweep.md.tmp"), "w") as f:
        f.write(markdown(rows, target))
    os.replace(os.path.join(sweep_dir, "sweep.md.tmp"), os.path.join(sweep_dir, "sweep.md"))
    _write_hparams_config(sweep_dir, ("seed", *grid_keys))
    return rows


def _write_hparams_config(sweep_dir, keys):
    import tensorflow as tf
    from tensorboard.plugins.hparams import api as hp

    metrics = [hp.Metric(tag) for tag in ("best/parzen_score", "best/fd_score", "parzen/valid_log_likelihood",
                                          "quality/valid_fd", "health/discriminator_won_at", "d_fake")]
    with tf.summary.create_file_writer(sweep_dir).as_default():
        hp.hparams_config(hparams=[hp.HParam(k) for k in keys], metrics=metrics)
