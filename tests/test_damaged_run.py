"""A damaged run folder (issue 25): each file kind cut short, garbled or deleted, and what training and every
command that reads a run does with it. One small run is trained per module and copied per test; the commands
run in real processes, and every file that was intact is checked byte for byte afterwards."""

import dataclasses
import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from keras_gan import callbacks, cli, distribute, experiment, summaries, train_lib
from keras_gan.errors import RunFolderError

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# PYTHONPATH: scripts/ import this checkout's keras_gan, not the installed one.
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1", "PYTHONPATH": REPO}
DATA = ".data-00000-of-00001"
# TensorFlow's C++ start-up lines, written to stderr before any of ours (TF_CPP_MIN_LOG_LEVEL does not hold them).
STARTUP = re.compile(r"WARNING: All log messages before absl|To enable the following instructions|"
                     r"[IWE]\d{4} \S+ +\d+ (port|cudart_stub|cpu_feature_guard|cuda_platform)\.cc:\d+\]")


def tiny(make_tiny_config):
    """Three epochs of 10 steps; checkpoints/ keeps ckpt-20 and ckpt-30, kept/ holds ckpt-20 (epoch 2), and
    the monitor runs once, at epoch 2: best/ holds ckpt-20, and a resumed third epoch leaves best/ alone."""
    return make_tiny_config(epochs=3, parzen_every=2, keep_every=2, keep_checkpoints=2)


def train_flags(cfg):
    """The command line that builds `cfg`, so that a resume in a real process records the same config.json."""
    return [f"--data_dir={cfg.data_dir}", f"--epochs={cfg.epochs}", f"--batch_size={cfg.batch_size}",
            "--g_hidden_units=32,32", "--d_maxout_units=16,16", f"--d_num_pieces={cfg.d_num_pieces}",
            f"--noise_dim={cfg.noise_dim}", f"--log_every={cfg.log_every}", f"--grid_size={cfg.grid_size}",
            f"--parzen_every={cfg.parzen_every}", f"--parzen_samples={cfg.parzen_samples}",
            f"--parzen_valid={cfg.parzen_valid}", "--nojit_compile", f"--keep_every={cfg.keep_every}",
            f"--keep_checkpoints={cfg.keep_checkpoints}", "--nomonitor_quality"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory, make_tiny_config):
    cfg = tiny(make_tiny_config)
    workdir = str(tmp_path_factory.mktemp("damaged") / "run")
    train_lib.train_and_evaluate(cfg, workdir, verbose=0)
    return cfg, workdir


@pytest.fixture
def run(trained, tmp_path):
    """A fresh copy of the module's run folder: (config, workdir)."""
    cfg, shared = trained
    workdir = str(tmp_path / "run")
    shutil.copytree(shared, workdir)
    return cfg, workdir


def damage(path, kind):
    """Cuts `path` to 5 bytes, flips 16 bytes in its middle, or deletes it."""
    if kind == "deleted":
        os.remove(path)
        return
    data = open(path, "rb").read()
    if kind == "truncated":
        data = data[:5]
    else:
        middle = len(data) // 2
        data = data[:middle] + bytes(b ^ 0xFF for b in data[middle:middle + 16]) + data[middle + 16:]
    with open(path, "wb") as f:
        f.write(data)


def snapshot(folder):
    return {os.path.relpath(p, folder): hashlib.sha256(open(p, "rb").read()).hexdigest()
            for p in glob.glob(os.path.join(folder, "**"), recursive=True) if os.path.isfile(p)}


def assert_unchanged(before, after, rewritten=()):
    """Every file of `before` is in `after` with the same bytes, but those in `rewritten`."""
    changed = {f for f in before if f not in rewritten and after.get(f) != before[f]}
    assert not changed, changed


def command(module, *args):
    """`python -m module args` in a real process: (exit status, stdout, our lines of stderr)."""
    out = subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, env=ENV, cwd=REPO)
    assert "Traceback" not in out.stderr, out.stderr[-3000:]
    return out.returncode, out.stdout, [line for line in out.stderr.splitlines() if not STARTUP.match(line)]


def ckpt(workdir, name, folder="checkpoints"):
    return os.path.join(workdir, folder, name)


# --- Training: resume from the newest checkpoint that restores ----------------------------------------


def test_training_resumes_from_the_newest_intact_checkpoint_and_writes_over_nothing(run):
    """ckpt-30's data cut short: one warning line naming the file, a resume from ckpt-20, the third epoch
    trained again and saved as ckpt.1-30 beside the damaged files, which keep their bytes, as does every intact
    file. The state file stops naming ckpt-30, so max_to_keep=2 keeps ckpt-20 and ckpt.1-30."""
    cfg, workdir = run
    damaged, kind = ckpt(workdir, "ckpt-30") + DATA, "truncated"
    damage(damaged, kind)
    before = snapshot(workdir)
    status, out, err = command("keras_gan.train", f"--workdir={workdir}", *train_flags(cfg))
    assert status == 0, err
    assert len(err) == 1 and err[0].startswith(f"warning: {damaged} is damaged ({kind}"), err
    assert err[0].endswith(f"; resuming from {ckpt(workdir, 'ckpt-20')} at step 20"), err
    assert f"Resuming from {ckpt(workdir, 'ckpt-20')} at step 20" in out and "Trained to step 30" in out
    assert_unchanged(before, snapshot(workdir), rewritten={"checkpoints/checkpoint", *(
        f for f in before if f.startswith("export/"))})
    state = tf.train.get_checkpoint_state(os.path.join(workdir, "checkpoints"))
    assert [os.path.basename(p) for p in state.all_model_checkpoint_paths] == ["ckpt-20", "ckpt.1-30"]
    assert experiment.checkpoint_damage(ckpt(workdir, "ckpt.1-30")) is None


def test_nothing_restores_one_line_listing_what_was_tried_and_nothing_written(run):
    cfg, workdir = run
    for path, kind in ((ckpt(workdir, "ckpt-30") + DATA, "truncated"), (ckpt(workdir, "ckpt-20") + ".index", "deleted"),
                       (ckpt(workdir, "ckpt-20", "checkpoints/kept") + DATA, "garbled"),
                       (ckpt(workdir, "ckpt-20", "best") + DATA, "deleted")):
        damage(path, kind)
    before = snapshot(workdir)
    status, out, err = command("keras_gan.train", f"--workdir={workdir}", *train_flags(cfg))
    assert status == 1 and len(err) == 1, err
    assert err[0].startswith(f"error: no checkpoint of {workdir} restores (tried 4): {ckpt(workdir, 'ckpt-30')}{DATA}"
                             " is damaged (truncated"), err
    for name in ("ckpt-20.index is missing", f"kept/ckpt-20{DATA} is damaged (garbled", f"best/ckpt-20{DATA} is "
                 "missing", "nothing was written"):
        assert name in err[0], (name, err)
    assert snapshot(workdir) == before  # no events file, no config.json, no state file written


@pytest.mark.parametrize("kind", ["truncated", "garbled", "deleted"])
def test_a_damaged_index_is_passed_over_the_same_way(run, kind):
    cfg, workdir = run
    damaged = ckpt(workdir, "ckpt-30") + ".index"
    damage(damaged, kind)
    gan, checkpointer = _checkpointer(cfg, workdir)
    err = _stderr_of(lambda: checkpointer.restore_latest(gan))
    assert len(err) == 1 and err[0].startswith(f"warning: {damaged} is {'missing' if kind == 'deleted' else 'damaged'}")
    assert err[0].endswith(f"; resuming from {ckpt(workdir, 'ckpt-20')} at step 20"), err
    assert checkpointer.manager.checkpoints == [ckpt(workdir, "ckpt-20")]
    # The data file, left even without its index, keeps the name ckpt-30 for itself.
    assert experiment.checkpoint_name(os.path.join(workdir, "checkpoints"), 20, ckpt(workdir, "ckpt-20")) == "ckpt.1"


@pytest.mark.parametrize("kind", ["truncated", "garbled", "deleted"])
def test_a_damaged_state_file_is_said_and_the_newest_checkpoint_is_found_in_the_folder(run, kind):
    """checkpoints/checkpoint cut short, garbled or deleted: training used to start again from step 0 (deleted)
    or raise (cut short). The newest checkpoint is found among the folder's files, and the state is rebuilt."""
    cfg, workdir = run
    state = os.path.join(workdir, "checkpoints", "checkpoint")
    damage(state, kind)
    before = snapshot(workdir)
    gan, checkpointer = _checkpointer(cfg, workdir)
    err = _stderr_of(lambda: checkpointer.restore_latest(gan))
    assert len(err) == 1 and err[0].startswith(f"warning: {state} is "), err
    assert err[0].endswith(f"; resuming from {ckpt(workdir, 'ckpt-30')} at step 30"), err
    assert_unchanged(before, snapshot(workdir), rewritten={"checkpoints/checkpoint"})
    rebuilt = tf.train.get_checkpoint_state(os.path.join(workdir, "checkpoints"))
    assert [os.path.basename(p) for p in rebuilt.all_model_checkpoint_paths] == ["ckpt-20", "ckpt-30"]


def test_a_state_file_naming_a_checkpoint_that_is_not_there(run):
    cfg, workdir = run
    for suffix in (DATA, ".index"):
        damage(ckpt(workdir, "ckpt-30") + suffix, "deleted")
    gan, checkpointer = _checkpointer(cfg, workdir)
    err = _stderr_of(lambda: checkpointer.restore_latest(gan))
    assert err == [f"warning: {ckpt(workdir, 'ckpt-30')}.index is missing; resuming from {ckpt(workdir, 'ckpt-20')} "
                   "at step 20"], err
    assert checkpointer.manager.checkpoints == [ckpt(workdir, "ckpt-20")]  # nothing left to count against max_to_keep
    assert experiment.checkpoint_name(os.path.join(workdir, "checkpoints"), 20, ckpt(workdir, "ckpt-20")) == "ckpt"


def test_a_checkpoint_that_fails_half_way_leaves_nothing_behind(run):
    """A newest checkpoint whose files read but which does not fit (another seed and a narrower D) assigns
    some variables before it fails; the intact ckpt-30 restored after it overwrites every variable."""
    cfg, workdir = run
    from keras_gan import data

    splits = data.load(cfg)
    other = experiment.build_gan(dataclasses.replace(cfg, seed=7, d_maxout_units=(16, 8)), splits)
    experiment.make_checkpoint(other).write(ckpt(workdir, "ckpt-40"))
    half = experiment.build_gan(cfg, splits)
    assert "incompatible tensor" in experiment._restore_problem(half, ckpt(workdir, "ckpt-40"))
    first = [(a, b) for a, b in zip(half.discriminator.variables, other.discriminator.variables)
             if a.path.endswith("discriminator/h0/kernel")]
    assert first and np.array_equal(*(v.numpy() for v in first[0]))  # assigned from the foreign one: half-way
    gan = experiment.build_gan(cfg, splits)
    restored = experiment.restore_newest(gan, workdir)
    assert restored.path == ckpt(workdir, "ckpt-30") and restored.step == 30
    assert restored.problems[0].startswith(f"{ckpt(workdir, 'ckpt-40')} does not fit this model"), restored.problems
    assert_state_equal(run_state(gan), run_state(experiment.load_run(workdir, ckpt(workdir, "ckpt-30")).gan))


def run_state(gan):
    """Every variable a resume restores: both players, both optimizers, G's averages, the noise RNG."""
    return (gan.generator.variables + gan.discriminator.variables + gan.d_optimizer.variables
            + gan.g_optimizer.variables + [w for a in gan.averages.models for w in a.weights]
            + [gan.noise_seed.state])


def assert_state_equal(a, b):
    assert len(a) == len(b) > 0
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x.numpy(), y.numpy(), err_msg=x.path)


def test_a_damaged_best_is_left_as_it_is(run):
    cfg, workdir = run
    damage(os.path.join(workdir, "best", "best.json"), "truncated")
    before = snapshot(workdir)
    gan, checkpointer = _checkpointer(cfg, workdir)
    err = _stderr_of(lambda: checkpointer.restore_latest(gan))
    assert len(err) == 1 and err[0].startswith(f"warning: {workdir}/best/best.json is damaged (not JSON"), err
    assert "this run does not update it" in err[0] and not checkpointer.keep_best
    assert snapshot(workdir) == before


def _checkpointer(cfg, workdir):
    from keras_gan import data

    gan = experiment.build_gan(cfg, data.load(cfg))
    return gan, callbacks.Checkpointer(gan, distribute.WorkerFiles(workdir, True), workdir, cfg.keep_checkpoints,
                                       cfg.keep_every, verbose=0)


def _stderr_of(fn):
    """The lines `fn` writes to stderr through `cli.warn`."""
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stderr(buffer):
        fn()
    return buffer.getvalue().splitlines()


# --- best_<score>/: the other selection score's pick, damaged or beside a damaged name --------------------------


def _with_best_fd(workdir):
    """A best_fd/ beside best/, as a run with the quality monitor and --select_by=parzen keeps it: a copy of
    best/ (ckpt-20) with best.json saying it is the FD pick (without the classifier's start-up)."""
    import json

    folder = os.path.join(workdir, "best_fd")
    shutil.copytree(os.path.join(workdir, "best"), folder)
    path = os.path.join(folder, "best.json")
    best = {**json.load(open(path)), "select_by": "fd", "score": 50.0, "valid_fd": 50.0}
    experiment.write_json(path, best)
    return folder


def _picks(parzen, fd):
    """The monitor's `logs["monitor"]`: G is the pick of both scores, with these values."""
    pick = {"generator": "generator", "parzen": parzen, "sigma": 0.2, "fd": fd}
    return {"parzen": {**pick, "score": parzen}, "fd": {**pick, "score": fd}}


def test_a_damaged_best_of_the_other_score_is_left_as_it_is_and_best_is_kept_on(run):
    """best_fd/best.json cut short: one warning naming it; best/ still follows the Parzen score, and best_fd/
    keeps every byte while the run follows the FD in memory only."""
    cfg, workdir = run
    folder = _with_best_fd(workdir)
    damage(os.path.join(folder, "best.json"), "truncated")
    gan, checkpointer = _checkpointer(cfg, workdir)
    err = _stderr_of(lambda: checkpointer.restore_latest(gan))
    assert len(err) == 1 and err[0].startswith(f"warning: {folder}/best.json is damaged (not JSON"), err
    assert "best_fd/ is left as it is and this run does not update it" in err[0], err
    assert checkpointer.keep_best and checkpointer.left_alone == {"fd"}
    before = snapshot(folder)
    checkpointer.set_model(gan)
    logs = {"monitor": _picks(parzen=1e6, fd=0.5)}
    checkpointer.on_epoch_end(2, logs)
    best = experiment.read_best(workdir)
    assert (best["step"], best["score"], best["select_by"]) == (30, 1e6, "parzen")
    assert experiment.checkpoint_damage(os.path.join(workdir, "best", best["checkpoint"])) is None
    assert snapshot(folder) == before
    assert checkpointer.best["fd"]["score"] == 0.5 and logs["best_epoch"] == 3
    with pytest.raises(RunFolderError, match=re.escape(f"{folder}/best.json is damaged (not JSON")):
        experiment.find_checkpoint(workdir, "best_fd")


def test_a_new_pick_of_the_other_score_writes_over_no_damaged_name(run):
    """best_fd/ is intact (its best.json names ckpt-20) but also holds a damaged ckpt-30 it does not name: the
    FD pick of step 30 is written as ckpt.1-30, and the damaged files keep their bytes."""
    cfg, workdir = run
    folder = _with_best_fd(workdir)
    for suffix in (DATA, ".index"):
        shutil.copy(ckpt(workdir, "ckpt-30") + suffix, os.path.join(folder, "ckpt-30" + suffix))
    damage(os.path.join(folder, "ckpt-30") + DATA, "truncated")
    stray = {f: h for f, h in snapshot(folder).items() if f.startswith("ckpt-30")}
    gan, checkpointer = _checkpointer(cfg, workdir)
    assert _stderr_of(lambda: checkpointer.restore_latest(gan)) == []
    assert checkpointer.left_alone == set() and checkpointer.best["fd"]["score"] == 50.0
    checkpointer.set_model(gan)
    checkpointer.on_epoch_end(2, {"monitor": _picks(parzen=-1e6, fd=0.5)})  # FD better, Parzen not
    best = experiment.read_best(workdir, "fd", "parzen")
    assert (best["step"], best["checkpoint"], best["score"]) == (30, "ckpt.1-30", 0.5)
    assert experiment.checkpoint_damage(os.path.join(folder, "ckpt.1-30")) is None
    assert {f: h for f, h in snapshot(folder).items() if f.startswith("ckpt-30")} == stray
    assert experiment.find_checkpoint(workdir, "best_fd") == os.path.join(folder, "ckpt.1-30")
    assert experiment.read_best(workdir)["step"] == 20  # best/ kept its pick


def test_a_damaged_best_does_not_hide_the_other_scores_pick(run):
    _, workdir = run
    folder = _with_best_fd(workdir)
    damage(os.path.join(workdir, "best", "best.json"), "garbled")
    assert experiment.find_checkpoint(workdir, "best_fd") == os.path.join(folder, "ckpt-20")
    assert experiment.default_generator(workdir, "best_fd") == "generator"
    with pytest.raises(RunFolderError, match=r"best/best\.json is damaged \(not JSON"):
        experiment.find_checkpoint(workdir, "best")
    assert experiment.best_damage(workdir, "best_fd") is None


# --- The commands that read a run ----------------------------------------------------------------------


def test_evaluate_latest_falls_back_with_the_same_warning(run):
    _, workdir = run
    damaged = ckpt(workdir, "ckpt-30") + DATA
    damage(damaged, "garbled")
    before = snapshot(workdir)
    status, out, err = command("keras_gan.evaluate", f"--workdir={workdir}", "--num_samples=50")
    assert status == 0, err
    assert err == [f"warning: {damaged} is damaged (garbled: tensor " + err[0].split("(garbled: tensor ", 1)[-1]], err
    assert err[0].endswith(f"fails its checksum); reading {ckpt(workdir, 'ckpt-20')} at step 20"), err
    assert f"{ckpt(workdir, 'ckpt-20')} (step 20)" in out
    assert_unchanged(before, snapshot(workdir))


def test_a_damaged_best_checkpoint_is_one_line_naming_it_not_another_checkpoint(run):
    """kept/ckpt-20 holds the same save, but --checkpoint=best names best/'s: no other file is read instead."""
    _, workdir = run
    damaged = ckpt(workdir, "ckpt-20", "best") + DATA
    damage(damaged, "truncated")
    before = snapshot(workdir)
    status, out, err = command("keras_gan.evaluate", f"--workdir={workdir}", "--checkpoint=best", "--num_samples=50")
    assert status == 1 and err == [f"error: --checkpoint=best: {damaged} is damaged (truncated: 5 bytes, its tensors "
                                   "take at least " + err[0].rsplit("take at least ", 1)[-1]], err
    assert snapshot(workdir) == before


def test_export_of_a_damaged_step_reads_another_copy_of_it_or_names_the_file(run):
    """checkpoints/ckpt-20 damaged: kept/ckpt-20 is the same save, and is read; with it damaged too, best/'s."""
    _, workdir = run
    damage(ckpt(workdir, "ckpt-20") + DATA, "truncated")
    status, out, err = command("keras_gan.export", f"--workdir={workdir}", "--checkpoint=20",
                               f"--output={workdir}/export/at20")
    assert status == 0 and err == [], err
    assert f"at step 20 ({ckpt(workdir, 'ckpt-20', 'checkpoints/kept')})" in out
    damage(ckpt(workdir, "ckpt-20", "checkpoints/kept") + ".index", "garbled")
    damage(ckpt(workdir, "ckpt-20", "best") + ".index", "deleted")
    with pytest.raises(RunFolderError, match=r"--checkpoint=20: .*checkpoints/ckpt-20\.data-00000-of-00001 is "
                       r"damaged \(truncated.*kept/ckpt-20\.index is damaged \(garbled.*best/ckpt-20\.index is "
                       r"missing"):
        experiment.load_run(workdir, "20")


@pytest.mark.parametrize("kind", ["truncated", "garbled", "deleted"])
def test_figures_with_a_damaged_best_json_is_one_line_naming_it(run, kind, capsys):
    _, workdir = run
    best = os.path.join(workdir, "best", "best.json")
    damage(best, kind)
    if kind == "deleted":  # best/ still holds the checkpoint best.json named
        message = f"error: {best} is missing (best/ holds ckpt-20)"
    else:
        message = f"error: {best} is damaged (not JSON: "
    if kind == "truncated":  # the one of these that runs a real process
        before = snapshot(workdir)
        status, out, err = command("keras_gan.figures", "samples", f"--workdir={workdir}", "--checkpoint=best")
        assert status == 1 and len(err) == 1 and err[0].startswith(message), err
        assert snapshot(workdir) == before
    else:
        with pytest.raises(SystemExit):
            cli.run_reporting_errors(experiment.find_checkpoint, workdir, "best")
        err = capsys.readouterr().err.splitlines()
        assert len(err) == 1 and err[0].startswith(message), err


def test_read_best_names_missing_keys(run):
    _, workdir = run
    best = os.path.join(workdir, "best", "best.json")
    with open(best, "w") as f:
        f.write('{"step": 20, "generator": "generator"}')
    with pytest.raises(RunFolderError, match=r"best\.json is damaged \(no valid_log_likelihood, checkpoint\); "
                       r"expected the validation monitor's best"):
        experiment.read_best(workdir)
    with open(best, "w") as f:
        f.write('{"step": "20", "generator": "generator", "valid_log_likelihood": 1.5, "checkpoint": "ckpt-20"}')
    with pytest.raises(RunFolderError, match=r"best\.json is damaged \(step '20'\)"):
        experiment.read_best(workdir)
    with open(best, "w") as f:
        f.write("[1, 2]")
    with pytest.raises(RunFolderError, match=r"best\.json is damaged \(JSON list, not an object\)"):
        experiment.read_best(workdir)


@pytest.mark.parametrize("kind", ["truncated", "garbled", "deleted"])
def test_a_damaged_config_json_is_one_line_naming_it(run, kind):
    _, workdir = run
    path = os.path.join(workdir, "config.json")
    damage(path, kind)
    message = (f"error: --workdir {workdir}: no config.json (not a keras_gan run folder)" if kind == "deleted"
               else f"error: {path} is damaged (not JSON: ")
    if kind == "garbled":  # the one of these that runs a real process
        before = snapshot(workdir)
        status, out, err = command("keras_gan.inference", f"--workdir={workdir}", "--steps=1")
        assert status == 1 and len(err) == 1 and err[0].startswith(message), err
        assert snapshot(workdir) == before
    else:
        from keras_gan import config

        with pytest.raises(OSError if kind == "deleted" else RunFolderError, match=re.escape(message[7:])):
            config.load_run_config(workdir)


def test_a_damaged_architecture_json_stops_training_in_one_line(run, capsys):
    cfg, workdir = run
    path = os.path.join(workdir, "architecture.json")
    damage(path, "truncated")
    before = snapshot(workdir)
    with pytest.raises(SystemExit):
        cli.run_reporting_errors(train_lib.train_and_evaluate, cfg, workdir, verbose=0)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {path} is damaged (not JSON"), err
    assert snapshot(workdir) == before


# --- Checkpoint files, each damage ----------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [DATA, ".index"])
@pytest.mark.parametrize("kind", ["truncated", "garbled", "deleted"])
def test_checkpoint_damage_names_the_file_and_what_is_wrong(run, suffix, kind):
    _, workdir = run
    path = ckpt(workdir, "ckpt-30")
    damage(path + suffix, kind)
    problem = experiment.checkpoint_damage(path)
    word = "missing" if kind == "deleted" else f"damaged ({'truncated' if kind == 'truncated' else 'garbled'}"
    if suffix == ".index" and kind == "garbled":
        word = "damaged (garbled: a block fails its checksum)"
    assert problem.startswith(f"{path}{suffix} is {word}"), problem
    assert experiment.checkpoint_damage(ckpt(workdir, "ckpt-20")) is None


# --- Events files ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["truncated", "garbled"])
def test_read_scalars_reads_what_is_intact_and_says_what_it_skipped(run, kind):
    _, workdir = run
    (events,) = glob.glob(os.path.join(workdir, "events.out.tfevents.*"))
    whole = summaries.read_scalars(workdir)
    damage(events, kind)
    skipped = []
    left = summaries.read_scalars(workdir, skipped=skipped)
    assert len(skipped) == 1 and skipped[0].startswith(f"{events} is damaged (bytes "), skipped
    if kind == "truncated":
        assert left == {}
    else:  # the records after the garbled stretch are read again
        assert set(left) == set(whole) and sum(map(len, left.values())) < sum(map(len, whole.values()))
        assert max(left["d_loss"])[0] == 30
        for tag, points in left.items():
            assert set(points) <= set(whole[tag]), tag


def test_time_to_quality_prints_the_skipped_line_and_carries_on(run):
    _, workdir = run
    (events,) = glob.glob(os.path.join(workdir, "events.out.tfevents.*"))
    size = os.path.getsize(events)
    with open(events, "r+b") as f:
        f.truncate(size - 7)  # the last record cut short; the monitor's score at step 20 came before it
    printed = {}
    for args in (["scripts/time_to_quality.py", f"--workdir={workdir}", "--thresholds=0", "--limit_steps_per_s=1e6"],
                 ["scripts/plot_scalars.py", f"--runs={workdir}", f"--output={workdir}/curve.png",
                  "--tags=parzen/valid_log_likelihood,d_loss"]):
        out = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=ENV, cwd=REPO)
        assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr[-2000:]
        err = [line for line in out.stderr.splitlines() if not STARTUP.match(line)]
        assert len(err) == 1 and err[0].startswith(f"warning: {events} is damaged (bytes "), err
        assert f"-{size - 7} of its {size - 7} bytes are cut short or garbled" in err[0], err
        printed[args[0]] = out.stdout
    assert "parzen/valid_log_likelihood: best" in printed["scripts/time_to_quality.py"]
    assert "at step 20" in printed["scripts/time_to_quality.py"]
    # 20 updates at a million a second: 0.0 min, and a fraction of the limit far below 1.
    fraction = re.search(r"at the limit 0\.0 min, (\d\.\d\d) of it", printed["scripts/time_to_quality.py"])
    assert fraction and float(fraction.group(1)) < 0.01
    assert os.path.getsize(f"{workdir}/curve.png") > 0
