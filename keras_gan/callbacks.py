"""The per-epoch work of a training run, each piece a Keras callback.

The loop in `train_lib` calls them through a `keras.callbacks.CallbackList`
at the end of every epoch (and of training); a user's own callbacks
(`train_and_evaluate(..., callbacks=[...])`) run after them with the same
`logs`. Epochs are counted from 0, as Keras does. They work under
`GAN.fit` too (README, Python API):

    SampleGrid         a grid of samples (fixed noise) of G and of each of its averages, to TensorBoard
    ValidationMonitor  Table 1's protocol and (MNIST) the sample-quality metrics on the validation split,
                       for G and its averages (`validation_monitor(valid_images, log_dir)` makes one for `fit`)
    Checkpointer       the checkpoint of every epoch, the kept ones, the best ones
                       (`checkpointer(gan, workdir)` makes one for `fit`)
    EarlyStopping      stops when the validation score has not improved for a while
    DiscriminatorWins  a warning when D(G(z)) stays near 0: D has won the game
    StopOnSignal       under `fit`: SIGTERM or SIGINT ends the epoch early, so the checkpoint is saved

`stop_on_signals` turns SIGTERM and SIGINT into a request to save and stop
(the loop's own way; `StopOnSignal` wraps it for `fit`).
"""

import contextlib
import os
import signal

import keras
import tensorflow as tf

from keras_gan import averages, cli, distribute, experiment, parzen, summaries
from keras_gan import data as data_lib
from keras_gan.errors import RunFolderError, TrainingError

GRID_SEED = 2014  # the fixed noise of the sample grids
WON_THRESHOLD, WON_PATIENCE = 1e-3, 3  # D has won: D(G(z)) below WON_THRESHOLD at WON_PATIENCE epoch ends in a row
DISCRIMINATOR_WON = "discriminator_won"  # status.json's state of a run stopped by --stop_when_discriminator_wins
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
            for name, decay in gan.averages.by_name.items():
                images = gan.sample(rows * self.grid_size, seed=GRID_SEED, labels=labels, average=decay).numpy()
                tag = "samples" if decay is None else f"samples/{name}"
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
    whatever the number of updates. Training goes on (the user decides) unless
    `stop`; the warning says so early, instead of after hours.

    Args:
        threshold: D(G(z)) below which D counts as winning (default WON_THRESHOLD).
        patience: Epochs in a row before the warning (default WON_PATIENCE).
        verbose: 0 for no output.
        writer: A summary writer: the step D won at goes to TensorBoard as `health/discriminator_won_at`.
        stop: Also stop training (`--stop_when_discriminator_wins`): `model.stop_training`, and
            `model.stop_reason` = DISCRIMINATOR_WON, the state the run's status.json then records.
    """

    def __init__(self, threshold=None, patience=None, verbose=1, writer=None, stop=False):
        super().__init__()
        self.threshold = WON_THRESHOLD if threshold is None else threshold
        self.patience = WON_PATIENCE if patience is None else patience
        self.verbose, self.writer, self.stop = verbose, writer, stop
        self.epochs_below, self.warned = 0, False

    def on_epoch_end(self, epoch, logs=None):
        if not logs or "d_fake" not in logs:
            return
        d_fake = float(logs["d_fake"])
        self.epochs_below = self.epochs_below + 1 if d_fake < self.threshold else 0
        if self.epochs_below >= self.patience and not self.warned:
            self.warned = True
            logs["d_wins"] = True
            if self.writer is not None:  # the step, so that a sweep can count the runs D won and say when
                step = int(logs["step"]) if "step" in logs else _step(self.model)
                summaries.write_scalars(self.writer, step, {"health/discriminator_won_at": step})
            if self.stop:
                self.model.stop_training = True
                self.model.stop_reason = DISCRIMINATOR_WON
            if self.verbose:
                print(f"\nwarning: D(G(z)) has stayed below {self.threshold:g} for {self.patience} epochs "
                      f"({d_fake:.1e} after epoch {epoch + 1}): the discriminator has won, and runs in this state "
                      "did not recover (docs/seeds.md). " + (
                          "Stopping (--stop_when_discriminator_wins)." if self.stop else
                          "Consider stopping (Ctrl-C saves) and trying another --seed."))


class ValidationMonitor(keras.callbacks.Callback):
    """Table 1's Parzen protocol with the validation split in place of the
    test split, and (MNIST, `quality=True`) the sample-quality metrics
    against the validation digits, every `every` epochs, for G and each of
    its moving averages.

    sigma is chosen on the first `choose_images` validation images (from the
    paper's grid, or `sigma` if set); the Parzen score is the mean
    log-likelihood of the remaining validation images (of all of them, when
    there are no more). The quality metrics compare the same samples with
    every validation image. The test split is never read: `evaluate` touches
    it once, at the end. Every call draws the same `num_samples` noise vectors.

    Writes to TensorBoard and adds to `logs`: `parzen/valid_log_likelihood`
    (G's score) and `parzen/valid_log_likelihood_ema_<decay>` (each
    average's), their `parzen/valid_sigma...`, and with quality
    `quality/valid_<metric>...` for every metric of `keras_gan.quality.KEYS`.
    `logs["monitor"]` holds, for each selection score ("parzen", "fd"), the
    best generator of this epoch: {"generator", "score", "parzen", "sigma", "fd"}.
    """

    def __init__(self, valid_images, preprocessing, writer, every, num_samples=10000, choose_images=1000, sigma=0.0,
                 quality=False, verbose=1):
        super().__init__()
        valid = preprocessing.forward(data_lib.to_float(valid_images)).numpy()
        self.choose, self.scored = (valid[:choose_images], valid[choose_images:]) if len(valid) > choose_images else (
            valid, valid)
        self.sigmas = [sigma] if sigma else parzen.PAPER_SIGMAS
        self.writer, self.every, self.num_samples, self.verbose = writer, every, num_samples, verbose
        self.quality = None
        if quality:
            from keras_gan import quality as quality_lib

            # KID on 10 subsets, not 100: a tenth of its cost, for a curve rather than a table's last digit.
            self.quality = quality_lib.Reference(valid_images, kid_subsets=10)

    def score(self, gan):
        """{generator name: {"parzen": ParzenResult, "quality": QualityResult or None}} for G and each average."""
        scores = {}
        for name, decay in gan.averages.by_name.items():
            samples = gan.sample(self.num_samples, seed=MONITOR_SEED, average=decay).numpy()
            scores[name] = {
                "parzen": parzen.evaluate(samples, self.choose, self.scored, sigmas=self.sigmas),
                "quality": self.quality.score(samples) if self.quality else None}
        return scores

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        scores = self.score(self.model)
        scalars, picks = {}, {}
        for name, result in scores.items():
            suffix = "" if name == averages.GENERATOR else f"_{name}"
            scalars[f"parzen/valid_log_likelihood{suffix}"] = result["parzen"].mean
            scalars[f"parzen/valid_sigma{suffix}"] = result["parzen"].sigma
            if result["quality"]:
                from keras_gan import quality as quality_lib

                scalars.update({f"quality/valid_{key}{suffix}": getattr(result["quality"], key)
                                for key in quality_lib.KEYS})
        summaries.write_scalars(self.writer, _step(self.model), scalars)
        for criterion, (value, higher) in SELECTION_SCORES.items():
            if criterion == "fd" and not self.quality:
                continue
            best = (max if higher else min)(scores, key=lambda name: value(scores[name]))
            result = scores[best]
            picks[criterion] = {"generator": best, "score": value(result), "parzen": result["parzen"].mean,
                                "sigma": result["parzen"].sigma,
                                "fd": result["quality"].fd if result["quality"] else None}
        if logs is not None:
            logs.update(scalars, monitor=picks)
        if self.verbose:
            rows = ", ".join(f"{name} {r['parzen'].mean:.1f} (sigma {r['parzen'].sigma:.3g}"
                             + (f", FD {r['quality'].fd:.2f}" if r["quality"] else "") + ")"
                             for name, r in scores.items())
            print(f"epoch {epoch + 1}: validation monitor ({self.num_samples} samples, {len(self.scored)} validation "
                  f"images): {rows}")


# Each selection score (config.SELECTION): how it reads a generator's validation results, and whether higher is better.
SELECTION_SCORES = {"parzen": (lambda result: result["parzen"].mean, True),
                    "fd": (lambda result: result["quality"].fd, False)}


def _improves(criterion, score, best):
    higher = SELECTION_SCORES[criterion][1]
    return best is None or (score > best if higher else score < best)


class Checkpointer(keras.callbacks.Callback):
    """Saves the run at the end of every epoch (the latest `keep` are kept),
    keeps every `keep_every`-th epoch's for good in `checkpoints/kept`, and
    copies the run to `best/` when the monitor's `select_by` score improves
    (`best/best.json` says which generator, when, and its scores), and to
    `best_<score>/` when another score the monitor measures improves.

    A checkpoint is never written with non-finite weights: the last good one
    stays the latest. A damaged checkpoint is never written over nor deleted:
    the run resumes from the newest that restores (`restore_latest`), writes
    the steps it reaches again under another name (`experiment.checkpoint_name`),
    and leaves a damaged best/ or best_<score>/ as it is. `files` (a
    `distribute.WorkerFiles`) says where this process writes: the workdir on
    the chief, a temporary folder elsewhere. `writer` (a summary writer, which
    may be set after `restore_latest`) gets the `best/<score>_score` and
    `best/<score>_step` scalars.
    """

    def __init__(self, gan, files, workdir, keep=3, keep_every=0, verbose=1, select_by="parzen", writer=None):
        super().__init__()
        self.writer = writer
        self.checkpoint = experiment.make_checkpoint(gan)
        self.files, self.keep, self.select_by = files, keep, select_by
        # Made by `restore_latest`, which knows the names the folder's damaged checkpoints hold (or at the first
        # save, under `fit` without it).
        self.manager = None
        self.workdir, self.keep_every, self.verbose = workdir, keep_every, verbose and files.chief
        # Each selection score's pick so far, and the scores whose folder was found damaged: this run leaves it
        # as it is (it still follows the score, for early stopping, without writing it).
        self.best = {criterion: None for criterion in SELECTION_SCORES}
        self.left_alone = set()

    @property
    def keep_best(self):
        """Whether this run updates best/ (the `select_by` pick): False when best/ was found damaged."""
        return self.select_by not in self.left_alone

    def best_dir(self, criterion):
        return self.files.path(experiment.best_folder(criterion, self.select_by))

    def restore_latest(self, gan):
        """Restores the run's newest checkpoint that restores completely
        (every worker reads the chief's), makes the manager that saves the
        next ones and reads the monitor's picks so far; returns its step, or
        0 for a new run.

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

    def _start(self):
        """Under `fit` without `restore_latest`: the manager and the picks so far, at the first save."""
        if self.manager is None:
            self.manager = self._make_manager(None)
            self._read_best()

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
        """The monitor's picks so far, one per selection score, from best/ and
        best_<score>/. A damaged one is left as it is, not updated by this run,
        with a warning line (every worker decides alike: the best copy is a
        collective save). A pick of another score in best/ refuses the resume
        (`experiment.read_best`)."""
        for criterion in SELECTION_SCORES:
            folder = experiment.best_folder(criterion, self.select_by)
            problem = experiment.best_damage(self.workdir, folder)
            if problem:
                self.left_alone.add(criterion)
                if self.files.chief:
                    cli.warn(f"{problem}; {folder}/ is left as it is and this run does not update it (move "
                             f"{folder}/ aside to have it kept anew)")
                continue
            self.best[criterion] = experiment.read_best(self.workdir, criterion, self.select_by)

    def save(self, reason):
        self._start()
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
        for criterion, pick in ((logs or {}).get("monitor") or {}).items():
            best = self.best.get(criterion)
            if _improves(criterion, pick["score"], best and best["score"]):
                self._keep_best(criterion, pick, step, epoch + 1)
        if logs is not None and self.best.get(self.select_by):
            logs["best_epoch"] = self.best[self.select_by].get("epoch")  # a best.json may predate "epoch"

    def _keep_best(self, criterion, pick, step, epoch):
        """Copies the run to the folder of `criterion`'s pick (never over a
        checkpoint of that name) with its best.json; a folder found damaged
        is left as it is, the pick only remembered."""
        folder = self.best_dir(criterion)
        kept, path = criterion not in self.left_alone, None
        if kept:
            path = tf.train.CheckpointManager(self.checkpoint, folder, max_to_keep=1,
                                              checkpoint_name=experiment.checkpoint_name(folder, step)
                                              ).save(checkpoint_number=step)
        self.best[criterion] = {
            "step": step, "epoch": epoch, "generator": pick["generator"], "select_by": criterion,
            "score": pick["score"], "valid_log_likelihood": pick["parzen"], "sigma": pick["sigma"],
            "valid_fd": pick["fd"], "checkpoint": path and os.path.basename(path)}
        if kept:
            experiment.write_json(os.path.join(folder, "best.json"), self.best[criterion])
            if self.writer is not None:  # the run's final scores, as the HParams tab shows each tag's last value
                summaries.write_scalars(self.writer, step, {f"best/{criterion}_score": pick["score"],
                                                            f"best/{criterion}_step": step})
        if self.verbose and criterion == self.select_by:
            where = f"kept in {folder}" if kept else f"not kept: {folder} was found damaged and is left as it is"
            print(f"epoch {epoch}: best validation {criterion} score so far ({pick['generator']}, "
                  f"{pick['score']:.{1 if criterion == 'parzen' else 3}f}); {where}")


def early_stop_due(epochs_done, best_epoch, patience, every):
    """Whether `patience` validation evaluations (one every `every` epochs) have passed since the best one."""
    return bool(patience) and best_epoch is not None and (epochs_done - best_epoch) // every >= patience


class EarlyStopping(keras.callbacks.Callback):
    """Stops training (`model.stop_training`) when the validation monitor's
    `select_by` score has not improved for `patience` evaluations.

    Reads `logs["best_epoch"]` (the `Checkpointer`'s, which runs before it),
    so the count survives a resume: it is the number of evaluations since
    the best checkpoint's epoch, not a counter of this process.
    """

    def __init__(self, patience, every, verbose=1):
        super().__init__()
        self.patience, self.every, self.verbose = patience, every, verbose

    def on_epoch_end(self, epoch, logs=None):
        best_epoch = (logs or {}).get("best_epoch")
        if early_stop_due(epoch + 1, best_epoch, self.patience, self.every):
            self.model.stop_training = True
            if self.verbose:
                print(f"\nepoch {epoch + 1}: no better validation score for {self.patience} evaluations (the best was "
                      f"after epoch {best_epoch}); stopping early")


def validation_monitor(valid_images, log_dir, every=5, num_samples=10000, choose_images=1000, sigma=0.0,
                       quality=False, preprocessing=None, verbose=1):
    """A `ValidationMonitor` for `fit`, writing its scalars to TensorBoard in `log_dir`.

    Args:
        valid_images: The validation split (uint8 pixels, or floats in [0, 1]).
        log_dir: Folder for the TensorBoard events (shared with a
            `SampleGrid` given the same folder).
        every, num_samples, choose_images, sigma, quality, verbose: As `ValidationMonitor`
            (`quality=True`: MNIST digits only).
        preprocessing: The training data's `data.Preprocessing` (default:
            pixels in [0, 1]).

    Returns:
        The `ValidationMonitor`; put it before the `checkpointer`, which
        keeps the best checkpoint by its score.
    """
    return ValidationMonitor(valid_images, preprocessing or data_lib.Preprocessing(),
                             summaries.file_writer(log_dir), every, num_samples, choose_images, sigma, quality,
                             verbose)


def checkpointer(gan, workdir, keep=3, keep_every=0, verbose=1, select_by="parzen"):
    """A `Checkpointer` for `fit`, writing `workdir` as the command does
    (`checkpoints/`, `checkpoints/kept/`, `best/`), so `evaluate`, `export`
    and `figures` can read it once it also holds the run's `config.json`.

    Builds `gan` and its optimizers first (a checkpoint holds their
    variables). `checkpointer(...).restore_latest(gan)` resumes the newest
    checkpoint of `workdir` and returns its step (0 for a new run).

    Args:
        gan: A compiled `GAN`.
        workdir: The run folder.
        keep, keep_every, verbose, select_by: As `Checkpointer` (`select_by="fd"` needs a monitor with
            `quality=True`).
    """
    if not gan.built:
        gan.build()
    gan.build_optimizers()
    return Checkpointer(gan, distribute.WorkerFiles(workdir, chief=True), workdir, keep, keep_every, verbose,
                        select_by, summaries.file_writer(workdir))


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
