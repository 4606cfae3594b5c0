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
