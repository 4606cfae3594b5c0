"""The per-epoch work of a training run, each piece a Keras callback.

The loop in `train_lib` calls them through a `keras.callbacks.CallbackList`
at the end of every epoch (and of training); a user's own callbacks
(`train_and_evaluate(..., callbacks=[...])`) run after them with the same
`logs`. Epochs are counted from 0, as Keras does.

    SampleGrid      a grid of G's samples (fixed noise) to TensorBoard
    ParzenMonitor   Table 1's protocol on the validation split, for G and its averages
    Checkpointer    the checkpoint of every epoch, the kept ones, the best one
    DiscriminatorWins  a warning when D(G(z)) stays near 0: D has won the game

`stop_on_signals` turns SIGTERM and SIGINT into a request to save and stop.
"""

import contextlib
import os
import signal

import keras
import numpy as np
import tensorflow as tf

from keras_gan import cli, experiment, parzen, summaries
from keras_gan import data as data_lib
from keras_gan.errors import RunFolderError, TrainingError

GRID_SEED = 2014  # the fixed noise of the sample grids
MONITOR_SEED = 20140610  # every monitor draws the same z: epochs differ by what G learned, not by the draw


def _step(gan):
    return int(gan.g_optimizer.iterations.numpy())


class SampleGrid(keras.callbacks.Callback):
    """A `grid_size x grid_size` grid of G's samples, the same noise every
    time, written as the `samples` image at the end of each epoch and of
    training (a conditional model: one row per class)."""

    def __init__(self, writer, preprocessing, grid_size):
        super().__init__()
        self.writer, self.preprocessing, self.grid_size = writer, preprocessing, grid_size
        self.last_step = None

    def on_epoch_end(self, epoch, logs=None):
        gan = self.model
        if len(gan.generator.image_shape) != 3 or self.last_step == _step(gan):  # pictures of image data, once a step
            return
        self.last_step = _step(gan)
        rows = gan.num_classes or self.grid_size
        count = rows * self.grid_size
        images = gan.sample(count, seed=GRID_SEED, labels=gan.grid_labels(rows, self.grid_size)).numpy()
        with self.writer.as_default(step=_step(gan)):
            tf.summary.image("samples", summaries.image_grid(self.preprocessing.inverse(images), rows, self.grid_size))

    def on_train_end(self, logs=None):
        self.on_epoch_end(None, logs)


class DiscriminatorWins(keras.callbacks.Callback):
    """Warns once when D has won: D(G(z)) (`logs["d_fake"]`, the mean over
    the epoch's last logged steps) below `threshold` at the end of `patience`
    epochs in a row.

    Then D(G(z)) is near 0 for every sample, and in this package's MNIST runs
    (README, Table 1) no run recovered from it: G stays a few blurry shapes
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
                      "did not recover (README, Table 1). Consider stopping (Ctrl-C saves) and trying another --seed.")


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
    stays the latest. A damaged checkpoint is never written over nor deleted:
    the run resumes from the newest that restores (`restore_latest`), writes
    the steps it reaches again under another name (`experiment.checkpoint_name`),
    and leaves a damaged best/ as it is. `files` (a `distribute.WorkerFiles`)
    says where this process writes: the workdir on the chief, a temporary
    folder elsewhere.
    """

    def __init__(self, gan, files, workdir, keep=3, keep_every=0, verbose=1):
        super().__init__()
        self.checkpoint = experiment.make_checkpoint(gan)
        self.files, self.keep = files, keep
        self.manager = None  # made by `restore_latest`, which knows the names the folder's damaged checkpoints hold
        self.best_dir = files.path("best")
        self.workdir, self.keep_every, self.verbose = workdir, keep_every, verbose and files.chief
        self.best_score, self.keep_best = -np.inf, True

    def restore_latest(self, gan):
        """Restores the run's newest checkpoint that restores completely
        (every worker reads the chief's) and makes the manager that saves the
        next ones; returns its step, or 0 for a new run.

        Checkpoints it passed over, damaged or missing, are named in one
        warning line with the step it resumes from. When none restores it
        raises, having written nothing."""
        try:
            restored = experiment.restore_newest(gan, self.workdir)
        except RunFolderError as e:
            raise TrainingError(f"{e}; nothing was written (move them aside to start over, or use another "
                                "--workdir)") from None
        step = restored.step if restored else 0
        if restored and restored.problems and self.files.chief:
            cli.warn(f"{'; '.join(restored.problems)}; resuming from {restored.path} at step {step}")
        if restored and self.verbose:
            print(f"Resuming from {restored.path} at step {step}")
        self.manager = self._make_manager(restored)
        self._read_best()
        return step

    def _make_manager(self, restored):
        """The manager of checkpoints/: its list of the latest checkpoints
        holds no damaged one (`experiment.settle_checkpoint_state`), and it
        names its checkpoints so as to write over none of them."""
        directory, name = self.files.path("checkpoints"), "ckpt"
        if restored and self.files.chief:
            experiment.settle_checkpoint_state(self.workdir, restored)
            name = experiment.checkpoint_name(directory, restored.step, restored.path)
        return tf.train.CheckpointManager(self.checkpoint, directory, max_to_keep=self.keep, checkpoint_name=name)

    def _read_best(self):
        """The monitor's best score so far. A damaged best/ is left as it is,
        not updated by this run, with a warning line (every worker decides
        alike: the best copy is a collective save)."""
        problem = experiment.best_damage(self.workdir)
        if problem:
            self.keep_best = False
            if self.files.chief:
                cli.warn(f"{problem}; best/ is left as it is and this run does not update it (move best/ aside "
                         "to have it kept anew)")
            return
        best = experiment.read_best(self.workdir)
        self.best_score = best["valid_log_likelihood"] if best else -np.inf

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
            kept = os.path.join(self.manager.directory, "kept")
            self.checkpoint.write(os.path.join(kept, f"{experiment.checkpoint_name(kept, step)}-{step}"))
        score = (logs or {}).get("parzen/best_valid_log_likelihood")
        if score is not None and score > self.best_score and self.keep_best:
            self.best_score = score
            best_dir = self.best_dir
            path = tf.train.CheckpointManager(self.checkpoint, best_dir, max_to_keep=1,
                                              checkpoint_name=experiment.checkpoint_name(best_dir, step)
                                              ).save(checkpoint_number=step)
            name = logs["parzen/best_generator"]
            suffix = "" if name == experiment.GENERATOR else f"_{name}"
            experiment.write_json(os.path.join(best_dir, "best.json"), {
                "step": step, "epoch": epoch + 1, "generator": name, "valid_log_likelihood": score,
                "sigma": logs[f"parzen/valid_sigma{suffix}"], "checkpoint": os.path.basename(path)})
            if self.verbose:
                print(f"epoch {epoch + 1}: best validation score so far ({name}, {score:.1f}); kept in {best_dir}")


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
