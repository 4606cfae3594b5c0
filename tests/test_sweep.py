"""keras_gan.sweep: seeds and grids, the D-won rule, the table, and a real sweep killed and resumed."""

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from keras_gan import sweep_lib

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}


def test_seeds_grid_and_run_names():
    assert sweep_lib.parse_seeds("0-3,7,2") == [0, 1, 2, 3, 7]
    for bad in ("", "a", "3-1", "1-x"):
        with pytest.raises(sweep_lib.SweepError, match="--seeds"):
            sweep_lib.parse_seeds(bad)
    grid = sweep_lib.parse_grid(["update=simultaneous,alternating", "ema_decays=0.999|0.999,0.9999"])
    assert grid == [("update", ["simultaneous", "alternating"]), ("ema_decays", ["0.999", "0.999,0.9999"])]
    names = [name for name, _ in sweep_lib.run_names([0, 1], grid[:1])]
    assert names == ["update=simultaneous,seed=0", "update=simultaneous,seed=1", "update=alternating,seed=0",
                     "update=alternating,seed=1"]
    assert sweep_lib.run_names([4], [])[0] == ("seed=4", {"seed": "4"})
    for bad in ("update", "seed=1,2", "=x"):
        with pytest.raises(sweep_lib.SweepError, match="--grid"):
            sweep_lib.parse_grid([bad])


def test_discriminator_won_at_needs_three_epoch_ends_in_a_row():
    spe = 100
    # Logged every 50 steps; only epoch ends (multiples of 100) count, as DiscriminatorWins sees them.
    low_then_recovered = [(50, 1e-5), (100, 1e-4), (200, 1e-4), (250, 0.5), (300, 0.2), (400, 1e-4)]
    assert sweep_lib.discriminator_won_at(low_then_recovered, spe) is None
    won = [(100, 0.3), (200, 1e-4), (300, 1e-5), (350, 0.9), (400, 1e-6), (500, 1e-6)]
    assert sweep_lib.discriminator_won_at(won, spe) == 400


def test_a_run_stopped_early_or_when_d_won_is_done_and_a_stopped_or_short_one_is_not(tmp_path):
    from keras_gan import experiment

    def done(state, step=100, max_steps=0, until=0):
        experiment.write_status(str(tmp_path), state, step, max_steps=max_steps)
        return sweep_lib.is_done(str(tmp_path), until)

    assert done("early_stopped", until=4000) and done("discriminator_won", until=4000)
    assert done("finished") and not done("finished", max_steps=50)  # a screen's end is not the run's
    assert done("finished", step=4000, max_steps=4000, until=4000) and not done("finished", step=2000, until=4000)
    assert not done("SIGTERM")
    assert not sweep_lib.is_done(str(tmp_path / "never_trained"), 0)


def test_a_damaged_status_file_counts_as_not_done_and_says_so(tmp_path, capsys):
    (tmp_path / "status.json").write_text('{"state": "fini')  # cut short
    assert not sweep_lib.is_done(str(tmp_path), 0)
    assert "status.json is damaged (not JSON)" in capsys.readouterr().err


def test_the_summary_counts_seeds_at_or_above_the_target():
    def row(seed, test, won=None):
        return {"run": f"update=alternating,seed={seed}", "step": 100, "state": "finished",
                "discriminator_won_at": won, "valid_best_parzen": None, "valid_best_fd": None,
                "test_of_best_fd": {"parzen": test, "fd": 1.0, "precision": 0.5, "recall": 0.5}}

    rows = [row(0, 230.0), row(1, 223.0), row(2, 100.0, won=4000)]
    for r, (fd, precision, recall) in zip(rows, [(20.0, 0.8, 0.3), (90.0, 0.6, 0.1), (10.0, 0.7, 0.5)]):
        r["test_of_best_fd"].update(fd=fd, precision=precision, recall=recall)
    text = sweep_lib.markdown(rows, target=223)
    assert "update=alternating: D won in 1 of 3 runs; picks by fd: 2 of 3 seeds >= 223 (test Parzen median " \
           "223.0, lowest 100.0, highest 230.0; median FD 20.0, precision 0.700, recall 0.300)" in text
    # A run not done is not scored: it counts among the N seeds, and the line says how many were not scored.
    rows[1]["test_of_best_fd"] = None
    assert "picks by fd: 1 of 3 seeds >= 223 (1 not scored: not done; test Parzen median 165.0, lowest 100.0, " \
        "highest 230.0; median FD 15.0" in sweep_lib.markdown(rows, target=223)
    # Data sets without the sample-quality metrics (not MNIST): the test Parzen scores alone.
    for r in rows:
        r["test_of_best_fd"] = {"parzen": 230.0}
    assert "picks by fd: 3 of 3 seeds >= 223 (test Parzen median 230.0, lowest 230.0, highest 230.0)\n" in \
        sweep_lib.markdown(rows, target=223)


def _flagfile(tmp_path, mnist_dir):
    path = tmp_path / "tiny.cfg"
    path.write_text("\n".join([
        "--dataset=mnist", f"--data_dir={mnist_dir}", "--batch_size=20", "--epochs=2", "--g_hidden_units=16,16",
        "--d_maxout_units=8,8", "--d_num_pieces=2", "--noise_dim=8", "--log_every=5", "--grid_size=2",
        "--parzen_every=1", "--parzen_samples=50", "--parzen_valid=20", "--nomonitor_quality", "--nojit_compile"]))
    return str(path)


def _sweep(*args, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "keras_gan.sweep", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, cwd=REPO, env=ENV, **kwargs)


def test_a_sweep_screens_then_trains_on_and_resumes_after_a_kill(tmp_path, mnist_dir, monkeypatch):
    experiment_file, sweep_dir = _flagfile(tmp_path, mnist_dir), str(tmp_path / "sweep")
    args = [f"--experiment={experiment_file}", "--seeds=0-1", f"--sweep_dir={sweep_dir}"]
    screen = _sweep(*args, "--until_updates=10")
    out, _ = screen.communicate(timeout=600)
    assert screen.returncode == 0, out[-3000:]
    assert re.search(r"\[2/2\] seed=1: training to 10 updates \(log: .*seed=1.log\); about [0-9]+ min left for the 1 "
                     r"to train", out), out[-3000:]
    rows = json.load(open(os.path.join(sweep_dir, "sweep.json")))
    assert [(r["run"], r["step"], r["state"]) for r in rows] == [("seed=0", 10, "finished"), ("seed=1", 10, "finished")]
    assert all(r["valid_best_parzen"]["step"] == 10 for r in rows)

    full = _sweep(*args, start_new_session=True)  # to the end (20 updates); killed while seed=1 trains
    log1 = os.path.join(sweep_dir, "seed=1.log")
    deadline = time.time() + 600
    while not (os.path.exists(log1) and "Resuming from" in open(log1).read()):
        assert time.time() < deadline and full.poll() is None, full.stdout.read()[-3000:] if full.poll() else ""
        time.sleep(0.2)
    os.killpg(full.pid, signal.SIGKILL)
    full.wait()
    assert json.load(open(os.path.join(sweep_dir, "seed=0", "status.json")))["step"] == 20
    # --test scores the runs done only: seed=1, a finished screen being trained on when killed, when it ends.
    tested = []
    monkeypatch.setattr(sweep_lib, "_test_scores", lambda workdir, pick, *a: tested.append((workdir, pick)) or {})
    rows = sweep_lib.write_tables(sweep_dir, test=True)
    assert [os.path.basename(w) for w, _ in tested] == ["seed=0", "seed=0"]  # its two picks
    assert "test_of_best_parzen" in rows[0] and "test_of_best_parzen" not in rows[1]
    sweep_lib.write_tables(sweep_dir, test=True, until_updates=10)
    assert [os.path.basename(w) for w, _ in tested[2:]] == ["seed=0"] * 2 + ["seed=1"] * 2  # as a screen, done

    again = _sweep(*args)
    out, _ = again.communicate(timeout=600)
    assert again.returncode == 0, out[-3000:]
    assert "[1/2] seed=0: done, not trained again" in out and "[2/2] seed=1: training" in out
    assert re.search(r"\[2/2\] seed=1: finished at update 20 after [0-9.]+ min", out), out[-3000:]
    rows = json.load(open(os.path.join(sweep_dir, "sweep.json")))
    assert [(r["run"], r["step"], r["state"]) for r in rows] == [("seed=0", 20, "finished"), ("seed=1", 20, "finished")]
    assert "| seed=1 | 20 | finished |" in open(os.path.join(sweep_dir, "sweep.md")).read()


def test_the_sweep_says_how_each_run_ended(tmp_path, monkeypatch, capsys):
    """A run that finishes, one stopped by a signal of its own (it saved: the next sweep resumes it), one killed,
    one that failed: each said as such, and only the finished one feeds the time-left guess."""
    ends = {"seed=0": "finished", "seed=1": "SIGTERM", "seed=2": "kill", "seed=3": "fail", "seed=4": "finished"}

    def fake_command(experiment_file, settings, workdir, *args):
        end = ends[os.path.basename(workdir)]
        code = {"kill": "import os, signal; os.kill(os.getpid(), signal.SIGKILL)", "fail": "raise SystemExit(3)"}.get(
            end, f"open({os.path.join(workdir, 'status.json')!r}, 'w').write("
                 f"'{{\"state\": \"{end}\", \"step\": 20, \"max_steps\": 0}}')")
        return [sys.executable, "-c", f"import os; os.makedirs({workdir!r}, exist_ok=True); {code}"]

    monkeypatch.setattr(sweep_lib, "train_command", fake_command)
    assert sweep_lib.run_all("x.cfg", [(name, {}) for name in ends], str(tmp_path))
    out = capsys.readouterr().out
    assert "[1/5] seed=0: finished at update 20 after " in out
    assert "[2/5] seed=1: stopped (SIGTERM) at update 20; the next sweep resumes it" in out
    assert "[3/5] seed=2: killed by SIGKILL; see " in out and "[4/5] seed=3: training failed (exit 3)" in out
    assert re.search(r"\[5/5\] seed=4: training \(log: .*\); about [0-9]+ min left for the 1 to train", out)
    assert "[5/5] seed=4: finished at update 20" in out
    assert sweep_lib.run_all("x.cfg", [("seed=0", {})], str(tmp_path))  # asked again: done
    assert "[1/1] seed=0: done, not trained again" in capsys.readouterr().out


def test_bad_sweep_settings_are_one_line(tmp_path):
    out = subprocess.run([sys.executable, "-m", "keras_gan.sweep", "--experiment=nope.cfg",
                          f"--sweep_dir={tmp_path}"], capture_output=True, text=True, cwd=REPO, env=ENV)
    assert out.returncode == 1 and out.stderr.strip() == "error: --experiment must be a flagfile; got 'nope.cfg'"


def test_the_sweeps_d_won_rule_is_the_trainings():
    from keras_gan import callbacks

    assert (sweep_lib.WON_THRESHOLD, sweep_lib.WON_PATIENCE) == (callbacks.WON_THRESHOLD, callbacks.WON_PATIENCE)
    assert callbacks.DISCRIMINATOR_WON in sweep_lib.ENDED_EARLY  # the state is_done reads without importing callbacks
