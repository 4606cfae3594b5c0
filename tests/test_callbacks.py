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
