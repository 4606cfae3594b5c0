"""keras_gan.callbacks pieces on their own (whole runs exercise them in test_train.py and test_experiment.py)."""

from keras_gan import callbacks


def _epochs(callback, d_fakes):
    """Ends one epoch per value, with the logs the loop passes (the last logged metrics)."""
    warned_after = []
    for epoch, d_fake in enumerate(d_fakes):
        logs = {"step": 100 * (epoch + 1), "d_fake": d_fake, "d_real": 1.0}
        callback.on_epoch_end(epoch, logs)
        if logs.get("d_wins"):
            warned_after.append(epoch + 1)
    return warned_after


def test_discriminator_wins_warns_once_after_patience_epochs_in_a_row(capsys):
    callback = callbacks.DiscriminatorWins(threshold=1e-3, patience=3)
    # Two low epochs, a recovery, then low for good: the count restarts, and the warning comes once.
    assert _epochs(callback, [1e-4, 1e-4, 0.2, 1e-4, 5e-5, 2e-5, 1e-5, 1e-5]) == [6]
    out = capsys.readouterr().out
    assert out.count("warning: D(G(z)) has stayed below 0.001 for 3 epochs") == 1
    assert "after epoch 6" in out


def test_a_healthy_game_is_not_flagged(capsys):
    callback = callbacks.DiscriminatorWins()
    assert _epochs(callback, [0.3, 0.05, 0.01, 0.002, 0.2, 0.3]) == []
    assert capsys.readouterr().out == ""


def test_the_loop_hands_each_epoch_its_metrics(tiny_config, tmp_path):
    """What DiscriminatorWins (and a user's callback) reads at the end of an epoch is the game's last metrics."""
    import dataclasses

    import keras

    from keras_gan import train_lib

    seen = []

    class Record(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(dict(logs))

    train_lib.train_and_evaluate(dataclasses.replace(tiny_config, epochs=2, parzen_every=0), str(tmp_path / "run"),
                                 verbose=0, callbacks=[Record()])
    assert len(seen) == 2
    for logs in seen:
        assert 0.0 < logs["d_fake"] < 1.0 and 0.0 < logs["d_real"] < 1.0 and logs["step"] > 0, logs


def test_a_run_with_averages_draws_a_grid_per_generator(tiny_config, tmp_path, read_events):
    import dataclasses

    from keras_gan import train_lib

    workdir = str(tmp_path / "run")
    train_lib.train_and_evaluate(dataclasses.replace(tiny_config, epochs=1, parzen_every=0, ema_decays=(0.9, 0.99)),
                                 workdir, verbose=0)
    _, strings = read_events(workdir)
    assert {"samples", "samples/ema_0.9", "samples/ema_0.99"} <= strings


def test_a_sample_grid_needs_a_folder_or_a_writer():
    import pytest

    with pytest.raises(ValueError, match="one of `log_dir` and `writer`"):
        callbacks.SampleGrid()


def test_under_fit_a_signal_saves_the_step_reached_and_stops(tmp_path):
    import os
    import signal

    import keras
    import numpy as np

    from keras_gan.gan import GAN
    from keras_gan.networks import Discriminator, Generator
    from keras_gan.optimizers import release_optimizers

    gan = GAN(Generator(image_shape=(4, 4, 1), hidden_units=(8,), hidden_activations=("relu",), seed=0),
              Discriminator(maxout_units=(8,), num_pieces=2, seed=0), noise_dim=3)
    gan.compile(*release_optimizers(updates_per_epoch=20))
    checkpoint = callbacks.checkpointer(gan, str(tmp_path / "run"), verbose=0)
    before = signal.getsignal(signal.SIGTERM)

    class TermAfterThirdStep(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 2:
                os.kill(os.getpid(), signal.SIGTERM)

    gan.fit(np.full((200, 4, 4, 1), 0.5, "float32"), batch_size=10, epochs=3, verbose=0,
            callbacks=[TermAfterThirdStep(), callbacks.StopOnSignal(), checkpoint])
    assert int(gan.g_optimizer.iterations) == 3  # of 20 in the first epoch
    assert os.path.exists(tmp_path / "run" / "checkpoints" / "ckpt-3.index")
    assert signal.getsignal(signal.SIGTERM) is before  # the handlers are put back


def test_discriminator_wins_records_the_step_for_sweeps(tmp_path, read_events):
    import tensorflow as tf

    writer = tf.summary.create_file_writer(str(tmp_path))
    callback = callbacks.DiscriminatorWins(threshold=1e-3, patience=2, verbose=0, writer=writer)
    _epochs(callback, [0.3, 1e-4, 1e-4, 1e-5])
    writer.flush()
    scalars, _ = read_events(str(tmp_path))
    assert scalars["health/discriminator_won_at"] == [(300, 300.0)]


# --- The validation monitor with sample quality, selection by FD, early stopping --------------------------------

import json  # noqa: E402
import os  # noqa: E402

import pytest  # noqa: E402

from keras_gan import experiment, train_lib  # noqa: E402


@pytest.fixture(scope="module")
def by_fd(tmp_path_factory, make_tiny_config):
    """Three epochs, the monitor with quality every epoch, an average of G, best/ following the FD."""
    cfg = make_tiny_config(epochs=3, monitor_quality=True, select_by="fd", ema_decays=(0.9,), d_irange=0.1,
                           learning_rate=0.5)
    workdir = str(tmp_path_factory.mktemp("by_fd") / "run")
    train_lib.train_and_evaluate(cfg, workdir, verbose=0)
    return cfg, workdir


def test_the_monitor_logs_every_quality_metric_for_g_and_each_average(by_fd, read_events):
    from keras_gan import quality

    scalars, _ = read_events(by_fd[1])
    for key in quality.KEYS:
        for suffix in ("", "_ema_0.9"):
            assert [s for s, _ in scalars[f"quality/valid_{key}{suffix}"]] == [10, 20, 30], (key, suffix)
    assert all(v > 0 for _, v in scalars["quality/valid_fd"])


def test_best_follows_the_lowest_validation_fd_and_best_parzen_the_highest_parzen(by_fd, read_events):
    _, workdir = by_fd
    scalars, _ = read_events(workdir)
    fd = {(s, g): v for g, tag in (("generator", "quality/valid_fd"), ("ema_0.9", "quality/valid_fd_ema_0.9"))
          for s, v in scalars[tag]}
    parzen = {(s, g): v for g, tag in (("generator", "parzen/valid_log_likelihood"),
                                       ("ema_0.9", "parzen/valid_log_likelihood_ema_0.9")) for s, v in scalars[tag]}
    best = experiment.read_best(workdir)
    assert best["select_by"] == "fd" and best["score"] == pytest.approx(min(fd.values()), rel=1e-5)
    assert fd[best["step"], best["generator"]] == min(fd.values())
    assert best["valid_fd"] == best["score"] and best["valid_log_likelihood"] == pytest.approx(
        parzen[best["step"], best["generator"]], rel=1e-5)
    by_parzen, folder = experiment.find_best(workdir, "best_parzen")
    assert folder == "best_parzen" and by_parzen["score"] == pytest.approx(max(parzen.values()), rel=1e-5)
    assert experiment.find_checkpoint(workdir, "best_fd") == os.path.join(workdir, "best", best["checkpoint"])
    assert experiment.find_checkpoint(workdir, "best_parzen").startswith(os.path.join(workdir, "best_parzen"))
    assert scalars["best/fd_score"][-1][1] == pytest.approx(best["score"], rel=1e-5)  # for the HParams tab


def test_resuming_with_another_select_by_is_refused_in_one_line(by_fd, tmp_path):
    import dataclasses
    import shutil

    from keras_gan.errors import TrainingError

    cfg, workdir = by_fd
    copy = str(tmp_path / "run")
    shutil.copytree(workdir, copy)
    with pytest.raises(TrainingError, match="holds the validation monitor's fd pick"):
        train_lib.train_and_evaluate(dataclasses.replace(cfg, select_by="parzen", epochs=4), copy, verbose=0)


def test_early_stopping_stops_after_patience_evaluations_without_improvement_and_stays_stopped(make_tiny_config,
                                                                                              tmp_path, capsys):
    """With a learning rate of 1e-12, G does not change in float32: the first evaluation is the best, and
    patience 2 ends the run after epoch 3 of 10. Running it again trains nothing; with patience 0 it trains on
    to the end."""
    import dataclasses

    cfg = make_tiny_config(epochs=10, learning_rate=1e-12, early_stop_patience=2)
    workdir = str(tmp_path / "run")
    result = train_lib.train_and_evaluate(cfg, workdir, verbose=1)
    assert result.step == 30 and experiment.read_best(workdir)["epoch"] == 1
    assert json.load(open(os.path.join(workdir, "status.json"))) == {"state": "early_stopped", "step": 30,
                                                                         "max_steps": 0}
    assert "stopping early" in capsys.readouterr().out
    again = train_lib.train_and_evaluate(cfg, workdir, verbose=1)
    assert again.step == 30 and "This run stopped early after epoch 3" in capsys.readouterr().out
    resumed = train_lib.train_and_evaluate(dataclasses.replace(cfg, early_stop_patience=0), workdir, verbose=0)
    assert resumed.step == 100 and experiment.read_status(workdir)["state"] == "finished"


def test_discriminator_wins_stops_training_only_when_asked():
    class Model:
        stop_training, stop_reason = False, None

    for stop in (False, True):
        model = Model()
        callback = callbacks.DiscriminatorWins(patience=2, verbose=0, stop=stop)
        callback.set_model(model)
        assert _epochs(callback, [0.3, 1e-4, 1e-4]) == [3]
        assert (model.stop_training, model.stop_reason) == ((True, "discriminator_won") if stop else (False, None))


def test_stop_when_discriminator_wins_ends_the_run_and_a_rerun_trains_no_further(make_tiny_config, tmp_path,
                                                                                  monkeypatch, capsys):
    """With the threshold raised to 2 every epoch counts as won: the run stops after WON_PATIENCE = 3 epochs of 5,
    says why in status.json, and the same command trains nothing more; turned off, it trains on to the end."""
    import dataclasses

    monkeypatch.setattr(callbacks, "WON_THRESHOLD", 2.0)
    cfg = make_tiny_config(epochs=5, stop_when_discriminator_wins=True)
    workdir = str(tmp_path / "run")
    assert train_lib.train_and_evaluate(cfg, workdir, verbose=1).step == 30
    assert experiment.read_status(workdir) == {"state": "discriminator_won", "step": 30, "max_steps": 0}
    assert "Stopping (--stop_when_discriminator_wins)" in capsys.readouterr().out
    assert train_lib.train_and_evaluate(cfg, workdir, verbose=1).step == 30
    assert "This run stopped at step 30 because D had won" in capsys.readouterr().out
    resumed = train_lib.train_and_evaluate(dataclasses.replace(cfg, stop_when_discriminator_wins=False), workdir,
                                           verbose=0)
    assert resumed.step == 50 and experiment.read_status(workdir)["state"] == "finished"
