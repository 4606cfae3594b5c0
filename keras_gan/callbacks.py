"""The per-epoch work of a training run, each piece a Keras callback.

The loop in `train_lib` calls them through a `keras.callbacks.CallbackList`
at the end of every epoch (and of training); a user's own callbacks
(`train_and_evaluate(..., callbacks=[...])`) run after them with the same
`logs`. Epochs are counted from 0, as Keras does. They work under
`GAN.fit` too (README, Python API):

    SampleGrid         a grid of samples (fixed noise) of G and of each of its averages, to TensorBoard
    ParzenMonitor      Table 1's protocol on the validation split, for G and its averages
                       (`parzen_monitor(valid_images, log_dir)` makes one for `fit`)
    Checkpointer       the checkpoint of every epoch, the kept ones, the best one
                       (`checkpointer(gan, workdir)` makes one for `fit`)
    DiscriminatorWins  a warning when D(G(z)) stays near 0: D has won the game
    StopOnSignal       under `fit`: SIGTERM or SIGINT ends the epoch early, so the checkpoint is saved

`stop_on_signals` turns SIGTERM and SIGINT into a request to save and stop
(the loop's own way; `StopOnSignal` wraps it for `fit`).
"""

import contextlib
import os
import signal

import keras
import numpy as np
import tensorflow as tf

from keras_gan import data as data_lib
from keras_gan import distribute, experiment, parzen, summaries
from keras_gan.errors import TrainingError

GRID_SEED = 2014  # the fixed noise of the sample grids
MONITOR_SEED = 20140610  # every monitor draws the same z: epochs differ by what G learned, not by the draw


def _step(gan):
    return int(gan.g_optimizer.iterations.numpy())


class SampleGrid(keras.callbacks.Callback):
    """A `grid_size x grid_size` grid of samples, the same noise every time,
    for G and for each of its moving averages, written at the end of each
    epoch and of training: `samples` (G) and `samples/ema_<decay>` (an
    average), side by side under `samples` in TensorBoard's Images tab. A
    conditional model: one row per class.

    Args:
        log_dir: Folder for the TensorBoard events (or give `writer`).
        preprocessing: The training data's `data.Preprocessing`, undone for
            the pictures (default: the models see pixels in [0, 1]).
        grid_size: Images per row and column.
        writer: A `tf.summary` writer, in place of `log_dir`.
    """

    def __init__(self, log_dir=None, preprocessing=None, grid_size=10, writer=None):
        super().__init__()
        if (log_dir is None) == (writer is None):
            raise ValueError(f"SampleGrid needs one of `log_dir` and `writer`. Received: log_dir={log_dir!r}, "
                             f"writer={writer!r}")
        self.writer = writer or summaries.file_writer(log_dir)
        self.preprocessing = preprocessing or data_lib.Preprocessing()
        self.grid_size = grid_size
        self.last_step = None

    def on_epoch_end(self, epoch, logs=None):
        gan = self.model
        if len(gan.generator.image_shape) != 3 or self.last_step == _step(gan):  # pictures of image data, once a step
            return
        self.last_step = _step(gan)
        rows = gan.num_classes or self.grid_size
        labels = gan.grid_labels(rows, self.grid_size)
        with self.writer.as_default(step=_step(gan)):
            for decay in (None, *gan.ema_decays):
                images = gan.sample(rows * self.grid_size, seed=GRID_SEED, labels=labels, average=decay).numpy()
                tag = "samples" if decay is None else f"samples/{experiment.average_name(decay)}"
                tf.summary.image(tag, summaries.image_grid(self.preprocessing.inverse(images), rows, self.grid_size))
        self.writer.flush()

    def on_train_end(self, logs=None):
        self.on_epoch_end(None, logs)


class DiscriminatorWins(keras.callbacks.Callback):
    """Warns once when D has won: D(G(z)) (`logs["d_fake"]`, the mean over
    the epoch's last logged steps; under `fit`, over the epoch) below
    `threshold` at the end of `patience` epochs in a row.

    Then D(G(z)) is near 0 for every sample, and in this package's MNIST runs
    (docs/results.md) no run recovered from it: G stays a few blurry shapes
    whatever the number of updates. Training goes on (the user decides); the
    warning says so early, instead of after hours.

    Args:
        threshold: D(G(z)) below which D counts as winning.
        patience: Epochs in a row before the warning.
        verbose: 0 for no output.
    """

    def __init__(self, threshold=1e-3, patience=3, verbose=1):
        super().__init__()
        self.threshold, self.patience, self.verbose = threshold, patience, verbose
        self.epochs_below, self.warned = 0, False

    def on_epoch_end(self, epoch, logs=None):
        if not logs or "d_fake" not in logs:
            return
        d_fake = float(logs["d_fake"])
        self.epochs_below = self.epochs_below + 1 if d_fake < self.threshold else 0
        if self.epochs_below >= self.patience and not self.warned:
            self.warned = True
            logs["d_wins"] = True
            if self.verbose:
                print(f"\nwarning: D(G(z)) has stayed below {self.threshold:g} for {self.patience} epochs "
                      f"({d_fake:.1e} after epoch {epoch + 1}): the discriminator has won, and runs in this state "
                      "did not recover (docs/results.md). Consider stopping (Ctrl-C saves) and trying another --seed.")


class ParzenMonitor(keras.callbacks.Callback):
    """Table 1's Parzen protocol with the validation split in place of the
    test split, every `every` epochs, for G and each of its moving averages.

    sigma is chosen on the first `choose_images` validation images (from the
    paper's grid, or `sigma` if set); the score is the mean log-likelihood of
    the remaining validation images (of all of them, when there are no
    more). The test split is never read: `evaluate` touches it once, at the
    end. Every call draws the same `num_samples` noise vectors.

    Adds to `logs`: `parzen/valid_log_likelihood` (G's score),
    `parzen/valid_log_likelihood_ema_<decay>` (each average's), their
    `parzen/valid_sigma...`, and `parzen/best_generator` with
    `parzen/best_valid_log_likelihood` (the best of them this epoch).
    """

    def __init__(self, valid_images, preprocessing, writer, every, num_samples=10000, choose_images=1000, sigma=0.0,
                 verbose=1):
        super().__init__()
        valid = preprocessing.forward(data_lib.to_float(valid_images)).numpy()
        self.choose, self.scored = (valid[:choose_images], valid[choose_images:]) if len(valid) > choose_images else (
            valid, valid)
        self.sigmas = [sigma] if sigma else parzen.PAPER_SIGMAS
        self.writer, self.every, self.num_samples, self.verbose = writer, every, num_samples, verbose

    def score(self, gan):
        """{generator name: ParzenResult} for G and each of its averages."""
        scores = {}
        for decay in (None, *gan.ema_decays):
            samples = gan.sample(self.num_samples, seed=MONITOR_SEED, average=decay).numpy()
            scores[experiment.average_name(decay)] = parzen.evaluate(samples, self.choose, self.scored,
                                                                     sigmas=self.sigmas)
        return scores

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        scores = self.score(self.model)
        scalars = {}
        for name, result in scores.items():
            suffix = "" if name == experiment.GENERATOR else f"_{name}"
            scalars[f"parzen/valid_log_likelihood{suffix}"] = result.mean
            scalars[f"parzen/valid_sigma{suffix}"] = result.sigma
        summaries.write_scalars(self.writer, _step(self.model), scalars)
        best = max(scores, key=lambda name: scores[name].mean)
        if logs is not None:
            logs.update(scalars, **{"parzen/best_generator": best,
                                    "parzen/best_valid_log_likelihood": scores[best].mean})
        if self.verbose:
            rows = ", ".join(f"{name} {r.mean:.1f} (sigma {r.sigma:.3g})" for name, r in scores.items())
            print(f"epoch {epoch + 1}: validation Parzen monitor ({self.num_samples} samples, "
                  f"{len(self.scored)} validation images): {rows}")


class Checkpointer(keras.callbacks.Callback):
    """Saves the run at the end of every epoch (the latest `keep` are kept),
    keeps every `keep_every`-th epoch's for good in `checkpoints/kept`, and
    copies the run to `best/` when the monitor's best score improves
    (`best/best.json` says which generator, when, and its score).

    A checkpoint is never written with non-finite weights: the last good one
    stays the latest. `files` (a `distribute.WorkerFiles`) says where this
    process writes: the workdir on the chief, a temporary folder elsewhere.
    """

    def __init__(self, gan, files, workdir, keep=3, keep_every=0, verbose=1):
        super().__init__()
        self.checkpoint = experiment.make_checkpoint(gan)
        self.manager = tf.train.CheckpointManager(self.checkpoint, files.path("checkpoints"), max_to_keep=keep)
        self.best_dir = files.path("best")
        self.workdir, self.keep_every, self.verbose = workdir, keep_every, verbose and files.chief
        best = experiment.read_best(workdir)
        self.best_score = best["valid_log_likelihood"] if best else -np.inf

    def restore_latest(self, gan):
        """Restores the run's newest checkpoint (every worker reads the
        chief's); returns its step, or 0 for a new run."""
        latest = experiment.latest_checkpoint(self.workdir)
        if latest is None:
            return 0
        experiment.restore(gan, latest)
        if self.verbose:
            print(f"Resuming from {latest} at step {_step(gan)}")
        return _step(gan)

    def save(self, reason):
        gan = self.model
        step = _step(gan)
        experiment.finite_or_raise(gan, step, self.manager.latest_checkpoint)
        try:
            return self.manager.save(checkpoint_number=step)
        except (OSError, tf.errors.OpError) as e:
            raise TrainingError(f"cannot write a checkpoint in {self.manager.directory} at step {step} ({reason}): "
                                f"{str(e).splitlines()[0]}") from None

    def on_epoch_end(self, epoch, logs=None):
        self.save(f"end of epoch {epoch + 1}")
        step = _step(self.model)
        if self.keep_every and (epoch + 1) % self.keep_every == 0:
            self.checkpoint.write(os.path.join(self.manager.directory, "kept", f"ckpt-{step}"))
        score = (logs or {}).get("parzen/best_valid_log_likelihood")
        if score is not None and score > self.best_score:
            self.best_score = score
            best_dir = self.best_dir
            path = tf.train.CheckpointManager(self.checkpoint, best_dir, max_to_keep=1).save(checkpoint_number=step)
            name = logs["parzen/best_generator"]
            suffix = "" if name == experiment.GENERATOR else f"_{name}"
            experiment.write_json(os.path.join(best_dir, "best.json"), {
                "step": step, "epoch": epoch + 1, "generator": name, "valid_log_likelihood": score,
                "sigma": logs[f"parzen/valid_sigma{suffix}"], "checkpoint": os.path.basename(path)})
            if self.verbose:
                print(f"epoch {epoch + 1}: best validation score so far ({name}, {score:.1f}); kept in {best_dir}")


def parzen_monitor(valid_images, log_dir, every=5, num_samples=10000, choose_images=1000, sigma=0.0,
                   preprocessing=None, verbose=1):
    """A `ParzenMonitor` for `fit`, writing its scalars to TensorBoard in `log_dir`.

    Args:
        valid_images: The validation split (uint8 pixels, or floats in [0, 1]).
        log_dir: Folder for the TensorBoard events (shared with a
            `SampleGrid` given the same folder).
        every, num_samples, choose_images, sigma, verbose: As `ParzenMonitor`.
        preprocessing: The training data's `data.Preprocessing` (default:
            pixels in [0, 1]).

    Returns:
        The `ParzenMonitor`; put it before the `checkpointer`, which keeps
        the best checkpoint by its score.
    """
    return ParzenMonitor(valid_images, preprocessing or data_lib.Preprocessing(), summaries.file_writer(log_dir),
                         every, num_samples, choose_images, sigma, verbose)


def checkpointer(gan, workdir, keep=3, keep_every=0, verbose=1):
    """A `Checkpointer` for `fit`, writing `workdir` as the command does
    (`checkpoints/`, `checkpoints/kept/`, `best/`), so `evaluate`, `export`
    and `figures` can read it once it also holds the run's `config.json`.

    Builds `gan` and its optimizers first (a checkpoint holds their
    variables). `checkpointer(...).restore_latest(gan)` resumes the newest
    checkpoint of `workdir` and returns its step (0 for a new run).

    Args:
        gan: A compiled `GAN`.
        workdir: The run folder.
        keep, keep_every, verbose: As `Checkpointer`.
    """
    if not gan.built:
        gan.build()
    gan.build_optimizers()
    return Checkpointer(gan, distribute.WorkerFiles(workdir, chief=True), workdir, keep, keep_every, verbose)


class StopOnSignal(keras.callbacks.Callback):
    """Under `fit`: SIGTERM or SIGINT stops training after the current step,
    as the command does. Keras then ends the epoch early, so the epoch
    callbacks run once more (a `checkpointer` saves the step reached) before
    `fit` returns. `received` lists the signals."""

    def __init__(self):
        super().__init__()
        self.received = []
        self._handlers = None

    def on_train_begin(self, logs=None):
        self._handlers = contextlib.ExitStack()
        self.received = self._handlers.enter_context(stop_on_signals())

    def on_train_batch_end(self, batch, logs=None):
        if self.received and not self.model.stop_training:
            print(f"\n{signal.Signals(self.received[0]).name} received: stopping after step {_step(self.model)}")
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self._handlers is not None:
            self._handlers.close()
            self._handlers = None


@contextlib.contextmanager
def stop_on_signals(sigterm=True):
    """Turns SIGTERM/SIGINT into a list of received signals, checked by the
    loop at step boundaries (SIGINT only, when a preemption handler owns SIGTERM)."""
    received = []
    handlers = {}
    try:
        for sig in (signal.SIGTERM, signal.SIGINT) if sigterm else (signal.SIGINT,):
            handlers[sig] = signal.signal(sig, lambda signum, frame: received.append(signum))
    except ValueError:  # not the main thread: leave signals alone
        pass
    try:
        yield received
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
