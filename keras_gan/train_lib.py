"""`train_and_evaluate(config, workdir)`: the training loop, resumable, with no flags inside.

What a run folder holds and how it is read: `experiment`. The work done at
the end of each epoch (sample grid, Parzen monitor, checkpoints): `callbacks`.
"""

import dataclasses
import os
import signal
import time
from typing import Optional

import keras
import numpy as np
import tensorflow as tf
from absl import logging

from keras_gan import architectures, distribute, experiment, summaries
from keras_gan import callbacks as callbacks_lib
from keras_gan import data as data_lib
from keras_gan import export as export_lib
from keras_gan.errors import TrainingError


@dataclasses.dataclass
class TrainResult:
    """What a call of `train_and_evaluate` did."""

    step: int  # the step counter at the end (generator updates since the run began)
    epoch: float
    metrics: dict  # the last logged values of the game's metrics
    steps_per_sec: Optional[float]  # of this call's training steps, summaries and checkpoints excluded
    steps_per_epoch: int
    epoch_seconds: list  # wall time of each whole epoch this call ran, its end-of-epoch work included
    export_path: Optional[str]  # None if stopped early by a signal, or on a non-chief worker
    stopped_by: Optional[str]  # the signal's name, if one stopped training


def train_and_evaluate(config, workdir, verbose=1, strategy=None, callbacks=()):
    """Trains `config`'s experiment in `workdir`, resuming from its latest
    checkpoint, and exports the generator.

    Args:
        config: A `Config`.
        workdir: The run folder.
        verbose: 0 silent, 1 progress bar and messages.
        strategy: A `tf.distribute.Strategy`; default: the one `config.strategy` names.
        callbacks: More `keras.callbacks.Callback`s, called at the end of
            every epoch after the package's own (which fill `logs`).

    Returns:
        A `TrainResult`.
    """
    config.validate()
    architectures.check(config)
    if config.deterministic:
        tf.config.experimental.enable_op_determinism()
    strategy = strategy or distribute.strategy_for(config)
    files = distribute.WorkerFiles(workdir, distribute.is_chief(strategy))
    splits = data_lib.load(config)
    steps_per_epoch = data_lib.steps_per_epoch(len(splits.train), config.batch_size * config.k_steps)
    total_steps = min(config.epochs * steps_per_epoch, config.max_steps or np.inf)
    gan = build_in_scope(config, splits, strategy, verbose)
    start_generator(config, gan, workdir, verbose and files.chief)
    if files.chief:
        experiment.check_workdir(config, workdir)
    checkpointer = callbacks_lib.Checkpointer(gan, files, workdir, config.keep_checkpoints, config.keep_every, verbose,
                                              config.select_by)
    # First: a folder where no checkpoint restores (or whose best/ holds another --select_by's pick) is left as it
    # was, without a config.json or an events file written into it.
    step = checkpointer.restore_latest(gan)
    if files.chief:
        experiment.prepare_workdir(config, workdir)
    preprocessing = data_lib.Preprocessing(config.preprocess, splits.train)
    writer = tf.summary.create_file_writer(files.path())
    checkpointer.writer = writer  # the best/<score>_score scalars
    summaries.write_config(writer, config.to_json(), step)
    if step == 0:
        summaries.write_hparams(writer, config, trial_id=os.path.basename(os.path.normpath(workdir)))
    gan.stop_reason = None
    gan.stop_training = stopped_early(config, checkpointer, step // steps_per_epoch, verbose)
    if config.stop_when_discriminator_wins and step and _stopped_when_discriminator_won(workdir, verbose):
        gan.stop_training, gan.stop_reason = True, callbacks_lib.DISCRIMINATOR_WON
    epoch_end = keras.callbacks.CallbackList(
        [*epoch_callbacks(config, splits.valid, preprocessing, writer, verbose), checkpointer,
         *([callbacks_lib.EarlyStopping(config.early_stop_patience, config.parzen_every, verbose)]
           if config.early_stop_patience else []), *callbacks], model=gan)
    preemption = None
    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        preemption = tf.distribute.experimental.PreemptionCheckpointHandler(strategy.cluster_resolver,
                                                                            checkpointer.manager)
    train_steps = make_train_function(gan, strategy, config.jit_compile, config.deterministic)
    dataset = data_lib.training_dataset(splits.train, config.batch_size * config.k_steps, config.seed,
                                        start_step=step, preprocessing=preprocessing,
                                        labels=splits.train_labels if gan.num_classes else None)
    iterator = iter(strategy.experimental_distribute_dataset(dataset))
    log = TrainingLog(gan, writer, step, steps_per_epoch, config.epochs, config.log_every, total_steps, verbose)
    stopped_by = None
    epoch_end.on_train_begin()
    epoch_end.on_epoch_begin(step // steps_per_epoch)
    # Under multi-worker training the preemption handler owns SIGTERM.
    with callbacks_lib.stop_on_signals(sigterm=preemption is None) as signals:
        while step < total_steps and not gan.stop_training:
            chunk = min(config.log_every - step % config.log_every, steps_per_epoch - step % steps_per_epoch,
                        total_steps - step)
            start = time.perf_counter()
            train_steps(iterator, tf.constant(chunk))
            step += chunk
            log.chunk_done(step, chunk, time.perf_counter() - start, checkpointer.manager.latest_checkpoint)
            if step % steps_per_epoch == 0:
                epoch_end.on_epoch_end(step // steps_per_epoch - 1, {"step": step, **log.metrics})
                epoch_end.on_epoch_begin(step // steps_per_epoch)
                log.epoch_done(step)
                if gan.stop_training:  # EarlyStopping; the epoch's checkpoint is written
                    break
            if preemption is not None:
                preemption.save_checkpoint_if_preempted()
            if signals:
                stopped_by = signal.Signals(signals[0]).name
                path = checkpointer.save(f"stopped by {stopped_by}")
                print(f"\n{stopped_by} received: saved {path} at step {step}; run the same command again to resume.")
                break
    if stopped_by is None and step % steps_per_epoch:  # a run that ends mid-epoch
        checkpointer.save("end of training")
    epoch_end.on_train_end({"step": step})
    if files.chief:
        experiment.write_status(workdir, stopped_by or gan.stop_reason or ("early_stopped" if gan.stop_training
                                                                           else "finished"), step,
                                max_steps=config.max_steps)
    export_path = None
    if stopped_by is None:
        export_path = export_lib.export_generator(gan, files.path("export", "generator"))
        if verbose and files.chief:
            print(f"Exported the generator to {export_path}")
    writer.close()
    files.cleanup()
    return log.result(step, export_path if files.chief else None, stopped_by)


def stopped_early(config, checkpointer, epochs_done, verbose=1):
    """Whether a resumed run had already stopped early (`--early_stop_patience`): then it trains no further."""
    best = checkpointer.best.get(config.select_by)
    due = callbacks_lib.early_stop_due(epochs_done, best and best.get("epoch"), config.early_stop_patience,
                                       config.parzen_every)
    if due and verbose:
        print(f"This run stopped early after epoch {epochs_done}: its best --select_by={config.select_by} score was "
              f"after epoch {best['epoch']}, {config.early_stop_patience} evaluations before (raise "
              "--early_stop_patience or set it to 0 to train on)")
    return due


def _stopped_when_discriminator_won(workdir, verbose=1):
    """Whether a resumed run had stopped because D won (`--stop_when_discriminator_wins`): then it trains no
    further."""
    status = experiment.read_status(workdir)
    won = status is not None and status.get("state") == callbacks_lib.DISCRIMINATOR_WON
    if won and verbose:
        print(f"This run stopped at step {status['step']} because D had won the game (--stop_when_discriminator_wins; "
              "turn it off with --nostop_when_discriminator_wins to train on)")
    return won


def build_in_scope(config, splits, strategy, verbose=1):
    """`experiment.build_gan` under `strategy`'s scope and the config's dtype policy."""
    if verbose and (strategy.num_replicas_in_sync > 1 or config.strategy != "auto"):
        kind = ("MultiWorkerMirroredStrategy" if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
                else type(strategy).__name__)
        print(f"Strategy: {kind} with {strategy.num_replicas_in_sync} replica(s); global batch {config.batch_size}")
    previous_policy = keras.config.dtype_policy()
    try:
        keras.config.set_dtype_policy("float32" if config.mixed_precision == "none" else config.mixed_precision)
        with strategy.scope():
            return experiment.build_gan(config, splits)
    except ValueError as e:  # sizes that do not fit the data's images
        raise TrainingError(f"the model does not fit --dataset={config.dataset}: {e}") from None
    finally:
        keras.config.set_dtype_policy(previous_policy)


def start_generator(config, gan, workdir, verbose=1):
    """A new run with `--init_generator_from` (TFD's second stage) starts G
    from the first stage's generator; a run with a checkpoint of its own will
    resume that instead, and never reads the first stage's folder."""
    if experiment.checkpoint_candidates(workdir):
        return
    if config.init_generator_from:
        experiment.init_generator_from(gan, config.init_generator_from)
        if verbose:
            added = [layer.name for layer in gan.generator.added]
            pretrained = [layer.name for layer in gan.generator.layers if layer.name not in added]
            print(f"G's layers {', '.join(pretrained)} start from {config.init_generator_from}'s latest checkpoint; "
                  f"{', '.join(added + ['D'])} start fresh")
    elif config.g_added_units:
        logging.warning("--g_added_units without --init_generator_from: every layer of G starts fresh "
                        "(TFD's second stage starts from the first stage's run folder)")


def epoch_callbacks(config, valid_images, preprocessing, writer, verbose=1):
    """The sample grid, the warning when D has won and (with `--parzen_every`)
    the validation monitor (with the sample-quality metrics for MNIST)."""
    pieces = [callbacks_lib.SampleGrid(writer=writer, preprocessing=preprocessing, grid_size=config.grid_size),
              callbacks_lib.DiscriminatorWins(verbose=verbose, writer=writer, stop=config.stop_when_discriminator_wins)]
    if config.parzen_every:
        quality = config.monitor_quality and config.dataset == "mnist" and config.preprocess == "unit"
        pieces.append(callbacks_lib.ValidationMonitor(valid_images, preprocessing, writer, config.parzen_every,
                                                      config.parzen_samples, config.parzen_valid, config.parzen_sigma,
                                                      quality, verbose))
    return pieces


def make_train_function(gan, strategy, jit_compile, deterministic=False):
    """`train_steps(iterator, n)`: n iterations of `gan.train_step` in one
    compiled `tf.while_loop`, each on every replica."""
    if jit_compile and strategy.num_replicas_in_sync > 1:
        # XLA cannot compile the optimizers' cross-replica all-reduce into the step.
        logging.warning("--jit_compile is ignored with %d replicas", strategy.num_replicas_in_sync)
        jit_compile = False
    if jit_compile and deterministic:
        # XLA has no deterministic kernel for some gradients (max pooling's, for one).
        logging.warning("--jit_compile is ignored under --deterministic")
        jit_compile = False
    step_fn = tf.function(gan.train_step, jit_compile=True) if jit_compile else gan.train_step

    @tf.function
    def train_steps(iterator, num_steps):
        for _ in tf.range(num_steps):
            strategy.run(step_fn, args=(next(iterator),))

    return train_steps


class TrainingLog:
    """The progress bar, the TensorBoard scalars every `log_every` steps, the
    check that the game's metrics stay finite, and the run's timings."""

    def __init__(self, gan, writer, step, steps_per_epoch, epochs, log_every, total_steps, verbose):
        self.gan, self.writer, self.spe, self.epochs = gan, writer, steps_per_epoch, epochs
        self.log_every, self.total_steps, self.verbose = log_every, total_steps, verbose
        self.metrics = {}
        self.trained_steps, self.train_seconds = 0, 0.0
        self.epoch_seconds, self.epoch_start = [], time.perf_counter()
        self._open_progbar(step)

    def chunk_done(self, step, chunk, seconds, latest_checkpoint):
        """Records `chunk` steps that ended at `step` and took `seconds`."""
        self.metrics = {m.name: float(m.result()) for m in self.gan.metrics}
        for m in self.gan.metrics:
            m.reset_state()
        self.trained_steps, self.train_seconds = self.trained_steps + chunk, self.train_seconds + seconds
        # The game's own metrics; a gradient norm under float16 loss scaling may overflow on a skipped step.
        bad = [name for name in self.gan.GAME_METRICS if not np.isfinite(self.metrics.get(name, 0.0))]
        if bad:
            raise TrainingError(f"{', '.join(bad)} became non-finite at step {step}; training stopped, the last "
                                f"checkpoint ({latest_checkpoint}) is left as it was")
        if step % self.log_every == 0 or step == self.total_steps:
            optimizer = getattr(self.gan.g_optimizer, "inner_optimizer", self.gan.g_optimizer)  # under loss scaling
            scalars = dict(self.metrics, learning_rate=float(optimizer.learning_rate),
                           momentum=float(optimizer.momentum), steps_per_sec=chunk / seconds)
            summaries.write_scalars(self.writer, step, scalars)
        in_epoch = step - (step - 1) // self.spe * self.spe
        game = [(name, self.metrics[name]) for name in self.gan.GAME_METRICS if name in self.metrics]
        self.progbar.update(in_epoch, [*game, ("steps/s", chunk / seconds)])

    def _open_progbar(self, step):
        epoch_start = step // self.spe * self.spe
        if step < self.total_steps:
            if self.verbose:
                print(f"Epoch {epoch_start // self.spe + 1}/{self.epochs}")
            self.progbar = keras.utils.Progbar(
                min(self.spe, self.total_steps - epoch_start),
                verbose=self.verbose,
                stateful_metrics=[*self.gan.GAME_METRICS, "steps/s"],
            )

    def epoch_done(self, step):
        self._open_progbar(step)
        now = time.perf_counter()
        self.epoch_seconds.append(now - self.epoch_start)
        self.epoch_start = now

    def result(self, step, export_path, stopped_by):
        return TrainResult(
            step=step,
            epoch=step / self.spe,
            metrics=self.metrics,
            steps_per_sec=self.trained_steps / self.train_seconds if self.train_seconds else None,
            steps_per_epoch=self.spe,
            epoch_seconds=self.epoch_seconds,
            export_path=export_path,
            stopped_by=stopped_by,
        )
