"""`train_and_evaluate(config, workdir)`: a whole run, resumable, with no flags inside.

A workdir holds:
    config.json, architecture.json   what was run (a resume must match the architecture)
    checkpoints/                     G, D, both optimizers, noise and dropout RNG states
    events.out.tfevents.*            TensorBoard scalars, sample grids, settings
    export/generator/                the SavedModel written at the end
"""

import contextlib
import json
import os
import signal
import time

import keras
import numpy as np
import tensorflow as tf
from absl import logging

from keras_gan import data as data_lib
from keras_gan import distribute
from keras_gan import export as export_lib
from keras_gan import parzen
from keras_gan import summaries
from keras_gan.gan import GAN
from keras_gan.networks import ConvDiscriminator, ConvGenerator, Discriminator, Generator
from keras_gan.optimizers import ExponentialDecayWithFloor, LinearMomentumRamp, MomentumSGD

GRID_NOISE_SEED = (2014, 6)  # the fixed noise of the sample grids


class TrainingError(RuntimeError):
    """Training cannot go on (a diverged loss, a workdir from another model)."""


def build_gan(config, image_shape, train_examples, num_classes=0):
    """The experiment's GAN, compiled, with variables and optimizer slots created.

    `num_classes` > 0 builds the conditional model p(x | c) (`--conditional`).
    """
    g_kwargs = dict(
        image_shape=image_shape,
        hidden_units=config.g_hidden_units,
        hidden_activations=config.g_hidden_activations,
        hidden_biases=config.g_hidden_biases,
        output_activation=config.g_output_activation,
        irange=config.g_irange,
        max_col_norm=config.g_max_col_norm or None,
        output_sparse_init=config.g_output_sparse_init or None,
        output_irange=config.g_output_irange or None,
        seed=config.seed,
        name="generator",
    )
    if config.g_architecture == "conv":
        generator = ConvGenerator(conv_shape=config.g_conv_shape, conv_kernel=config.g_conv_kernel,
                                  conv_stride=config.g_conv_stride, **g_kwargs)
    else:
        generator = Generator(**g_kwargs)
    d_kwargs = dict(
        maxout_units=config.d_maxout_units,
        num_pieces=config.d_num_pieces,
        irange=config.d_irange,
        max_col_norm=config.d_max_col_norm or None,
        input_include_prob=config.d_input_include_prob,
        input_scale=config.d_input_scale,
        hidden_include_prob=config.d_hidden_include_prob,
        hidden_scale=config.d_hidden_scale,
        seed=config.seed + 1000,
        name="discriminator",
    )
    if config.d_architecture == "conv":
        discriminator = ConvDiscriminator(
            conv_channels=config.d_conv_channels, conv_pieces=config.d_conv_pieces,
            conv_kernels=config.d_conv_kernels, conv_pads=config.d_conv_pads,
            pool_sizes=config.d_conv_pool_sizes, pool_strides=config.d_conv_pool_strides, **d_kwargs)
    else:
        discriminator = Discriminator(**d_kwargs)
    gan = GAN(generator, discriminator, noise_dim=config.noise_dim, noise=config.noise, seed=config.seed,
              num_classes=num_classes)
    # Each D update reads one minibatch; G updates once per k of them.
    d_updates_per_epoch = train_examples // config.batch_size
    g_updates_per_epoch = max(1, d_updates_per_epoch // config.k_steps)

    def optimizer(updates_per_epoch, name):
        sgd = MomentumSGD(
            learning_rate=ExponentialDecayWithFloor(config.learning_rate, config.lr_decay_factor, config.min_lr),
            momentum=LinearMomentumRamp(
                config.initial_momentum,
                config.final_momentum,
                config.momentum_start,
                config.momentum_saturate,
                updates_per_epoch,
            ),
            name=name,
        )
        # float16 gradients underflow without loss scaling; bfloat16 has float32's range.
        return keras.optimizers.LossScaleOptimizer(sgd) if config.mixed_precision == "mixed_float16" else sgd

    gan.compile(
        d_optimizer=optimizer(d_updates_per_epoch, "d_optimizer"),
        g_optimizer=optimizer(g_updates_per_epoch, "g_optimizer"),
        generator_loss=config.generator_loss,
        k_steps=config.k_steps,
        update=config.update,
    )
    gan.build()
    gan.build_optimizers()
    return gan


def make_checkpoint(gan):
    """Everything a resume needs: both players, both optimizers (their
    `iterations` is the step counter) and every RNG state."""
    rng_states = [
        v for model in (gan.generator, gan.discriminator)
        for v in model.non_trainable_variables if "seed_generator_state" in v.path
    ]
    return tf.train.Checkpoint(
        generator=gan.generator,
        discriminator=gan.discriminator,
        d_optimizer=gan.d_optimizer,
        g_optimizer=gan.g_optimizer,
        noise_seed=gan.noise_seed.state,
        rng_states=rng_states,
    )


def _check_architecture(config, workdir):
    path = os.path.join(workdir, "architecture.json")
    wanted = config.architecture()
    if os.path.exists(path):
        with open(path) as f:
            found = json.load(f)
        # Settings added in later versions are absent from older run folders.
        differ = [k for k in wanted if k in found and found[k] != wanted[k]]
        if differ:
            diff = ", ".join(f"{k}: {found[k]} there, {wanted[k]} here" for k in differ)
            raise TrainingError(
                f"{workdir} holds a run of another architecture ({diff}); refusing to resume or overwrite it. "
                "Use another --workdir."
            )
    else:
        write_json(path, wanted, sort_keys=True)


def write_json(path, obj, sort_keys=False):
    """Writes `obj` as JSON through a temporary file, so an interrupted write
    never leaves `path` half-written."""
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=1, sort_keys=sort_keys)
    os.replace(tmp, path)


def restore_latest(gan, workdir):
    """Restores the newest checkpoint of `workdir` into `gan`; returns its path or None."""
    latest = tf.train.latest_checkpoint(os.path.join(workdir, "checkpoints"))
    if latest:
        _restore(make_checkpoint(gan), latest)
    return latest


@contextlib.contextmanager
def _stop_on_signals(sigterm=True):
    """Turns SIGTERM/SIGINT into a flag checked at step boundaries."""
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


def cycling_labels(count, num_classes, offset=0):
    """Classes 0, 1, ..., C-1, 0, 1, ... for `count` samples of a conditional
    model (None for an unconditional one)."""
    return (np.arange(offset, offset + count) % num_classes).astype(np.int32) if num_classes else None


def row_labels(num_classes, rows, cols):
    """A conditional model's class for each image of a `rows x cols` grid:
    row r is class r mod C (None for an unconditional model)."""
    return np.repeat(np.arange(rows) % num_classes, cols).astype(np.int32) if num_classes else None


def sample_images(gan, count, seed, labels=None):
    """G's images for a fixed stateless noise draw (count, *image_shape); a
    conditional model draws `labels` (default: the classes in turn)."""
    if labels is None:
        labels = cycling_labels(count, gan.num_classes)
    z = gan.sample_noise(count, seed=tf.constant(seed, tf.int64))
    return gan.generate(z, labels, training=False).numpy()


def generate(gan, count, seed=0, batch_size=1000):
    """`count` samples from G as a float32 numpy array, drawn in batches (a
    conditional model's classes in turn, so p(x) = sum_c p(c) p(x | c) with
    p(c) uniform)."""
    out = [sample_images(gan, min(batch_size, count - i), (seed, i), cycling_labels(min(batch_size, count - i), gan.num_classes, i))
           for i in range(0, count, batch_size)]
    return np.concatenate(out, axis=0)


def build_gan_for(config, splits):
    """`build_gan` for a loaded data set (the conditional model's classes from its labels)."""
    return build_gan(config, splits.image_shape, len(splits.train), num_classes(config, splits))


def num_classes(config, splits):
    """C for `--conditional` (the training labels' largest class + 1), else 0."""
    if not config.conditional:
        return 0
    labels = splits.train_labels
    if labels is None or len(labels) == 0 or np.min(labels) < 0:
        raise TrainingError(f"--conditional needs class labels for every training image; --dataset={config.dataset} "
                            f"{'has none' if labels is None else 'has unlabeled images'}")
    return int(np.max(labels)) + 1


def _restore(checkpoint, path):
    try:
        checkpoint.restore(path).assert_existing_objects_matched()
    except (AssertionError, ValueError, tf.errors.OpError) as e:
        raise TrainingError(
            f"{path} does not fit this model ({str(e).splitlines()[0][:200]}); refusing to resume. "
            "Use another --workdir."
        ) from None


def _inner(optimizer):
    """The optimizer under a `LossScaleOptimizer`, which has no momentum."""
    return getattr(optimizer, "inner_optimizer", optimizer)


def load_run(workdir, checkpoint=None):
    """(config, splits, gan) of a run folder, the GAN restored from
    `checkpoint` (default: the latest)."""
    from keras_gan import config as config_lib

    cfg = config_lib.load_run_config(workdir)
    splits = data_lib.load(cfg)
    gan = build_gan_for(cfg, splits)
    if checkpoint:
        _restore(make_checkpoint(gan), checkpoint)
    elif restore_latest(gan, workdir) is None:
        raise FileNotFoundError(f"--workdir {workdir}: no checkpoint in it")
    return cfg, splits, gan


def make_strategy(config):
    """`config.strategy` as a `tf.distribute.Strategy` (after splitting the CPU
    into `config.num_cpu_devices` logical devices, if asked)."""
    try:
        distribute.configure_cpu_devices(config.num_cpu_devices)
    except RuntimeError:
        raise TrainingError("--num_cpu_devices must be set before TensorFlow initializes its devices") from None
    try:
        return distribute.make_strategy(config.strategy, config.tpu)
    except ValueError as e:
        raise TrainingError(str(e)) from None


def train_and_evaluate(config, workdir, verbose=1, strategy=None):
    """Trains `config`'s experiment in `workdir`, resuming from its latest
    checkpoint, and exports the generator.

    Args:
        config: A `Config`.
        workdir: The run folder.
        verbose: 0 silent, 1 progress bar and messages.
        strategy: A `tf.distribute.Strategy`; default: the one `config.strategy` names.

    Returns:
        A dict: final `step`, `epoch`, the last logged metrics, `steps_per_sec`
        of this process's training steps, `epoch_seconds` (wall time of each
        whole epoch this process ran), and the export path (None if stopped
        early by a signal or on a non-chief worker).
    """
    config.validate()
    if config.deterministic:
        tf.config.experimental.enable_op_determinism()
    strategy = strategy or make_strategy(config)
    chief = distribute.is_chief(strategy)
    files = distribute.WorkerFiles(workdir, chief)
    splits = data_lib.load(config)
    step_batch = config.batch_size * config.k_steps
    spe = data_lib.steps_per_epoch(len(splits.train), step_batch)
    if verbose and (strategy.num_replicas_in_sync > 1 or config.strategy != "auto"):
        kind = ("MultiWorkerMirroredStrategy" if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
                else type(strategy).__name__)
        print(f"Strategy: {kind} with {strategy.num_replicas_in_sync} replica(s); "
              f"global batch {config.batch_size}")

    total_steps = config.epochs * spe
    if config.max_steps:
        total_steps = min(total_steps, config.max_steps)

    previous_policy = keras.config.dtype_policy()
    try:
        keras.config.set_dtype_policy("float32" if config.mixed_precision == "none" else config.mixed_precision)
        with strategy.scope():
            gan = build_gan_for(config, splits)
    except ValueError as e:  # sizes that do not fit the data's images
        raise TrainingError(f"the model does not fit --dataset={config.dataset}: {e}") from None
    finally:
        keras.config.set_dtype_policy(previous_policy)
    if chief:
        os.makedirs(workdir, exist_ok=True)
        _check_architecture(config, workdir)
        write_json(os.path.join(workdir, "config.json"), json.loads(config.to_json()), sort_keys=True)
    preprocessing = data_lib.Preprocessing(config.preprocess, splits.train)
    if config.g_bias_from_marginals and config.g_output_activation == "sigmoid":
        gan.generator.init_output_bias_from_marginals(data_lib.to_float(splits.train).mean(axis=0))

    checkpoint = make_checkpoint(gan)
    manager = tf.train.CheckpointManager(checkpoint, files.path("checkpoints"), max_to_keep=config.keep_checkpoints)
    # Every worker resumes from the chief's checkpoints.
    latest = tf.train.latest_checkpoint(os.path.join(workdir, "checkpoints"))
    if latest:
        _restore(checkpoint, latest)
        if verbose:
            print(f"Resuming from {latest} at step {int(gan.g_optimizer.iterations.numpy())}")
    preemption = None
    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        preemption = tf.distribute.experimental.PreemptionCheckpointHandler(strategy.cluster_resolver, manager)

    step = int(gan.g_optimizer.iterations.numpy())
    writer = tf.summary.create_file_writer(files.path())
    summaries.write_config(writer, config.to_json(), step)
    valid_model_space = preprocessing.forward(data_lib.to_float(splits.valid[: config.parzen_valid])).numpy()

    dataset = data_lib.training_dataset(splits.train, step_batch, config.seed, start_step=step,
                                        preprocessing=preprocessing,
                                        labels=splits.train_labels if gan.num_classes else None)
    iterator = iter(strategy.experimental_distribute_dataset(dataset))
    jit_compile = config.jit_compile
    if jit_compile and strategy.num_replicas_in_sync > 1:
        # XLA cannot compile the optimizers' cross-replica all-reduce into the step.
        logging.warning("--jit_compile is ignored with %d replicas", strategy.num_replicas_in_sync)
        jit_compile = False
    step_fn = tf.function(gan.train_step, jit_compile=True) if jit_compile else gan.train_step

    @tf.function
    def train_steps(iterator, num_steps):
        for _ in tf.range(num_steps):
            strategy.run(step_fn, args=(next(iterator),))

    def save(reason):
        # A checkpoint is never written with non-finite weights: the last good one stays the latest.
        for variable in gan.generator.trainable_variables + gan.discriminator.trainable_variables:
            if not bool(tf.reduce_all(tf.math.is_finite(variable.value))):
                raise TrainingError(f"weight {variable.path} became non-finite by step {step}; training stopped, "
                                    f"the last checkpoint ({manager.latest_checkpoint}) is left as it was")
        try:
            path = manager.save(checkpoint_number=step)
        except (OSError, tf.errors.OpError) as e:
            raise TrainingError(f"cannot write a checkpoint in {manager.directory} at step {step} ({reason}): "
                                f"{str(e).splitlines()[0]}") from None
        writer.flush()
        return path

    def epoch_end(epoch):
        if len(splits.image_shape) == 3:  # pictures only for image data
            rows = gan.num_classes or config.grid_size  # a conditional model: one row per class
            labels = row_labels(gan.num_classes, rows, config.grid_size)
            grid = preprocessing.inverse(sample_images(gan, rows * config.grid_size, GRID_NOISE_SEED, labels))
            with writer.as_default(step=step):
                tf.summary.image("samples", summaries.image_grid(grid, rows, config.grid_size))
        if config.parzen_every and epoch % config.parzen_every == 0:
            ll = parzen.log_likelihood(generate(gan, config.parzen_samples, seed=epoch), valid_model_space,
                                       config.parzen_sigma)
            summaries.write_scalars(writer, step, {"parzen/valid_log_likelihood": float(ll.mean())})
            if verbose:
                print(f"epoch {epoch}: Parzen estimate on {len(valid_model_space)} validation images "
                      f"(sigma {config.parzen_sigma}, {config.parzen_samples} samples): {ll.mean():.1f}")
        return save(f"end of epoch {epoch}")

    metrics = {}
    trained_steps, train_seconds = 0, 0.0
    epoch_seconds, epoch_start = [], time.perf_counter()
    stopped_by = None
    # Under multi-worker training the preemption handler owns SIGTERM.
    with _stop_on_signals(sigterm=preemption is None) as signals:
        progbar = None
        while step < total_steps:
            epoch, in_epoch = divmod(step, spe)
            if progbar is None:
                if verbose:
                    print(f"Epoch {epoch + 1}/{config.epochs}")
                progbar = keras.utils.Progbar(min(spe, total_steps - epoch * spe), verbose=verbose,
                                              stateful_metrics=[m.name for m in gan.metrics] + ["steps/s"])
            chunk = min(config.log_every - step % config.log_every, spe - in_epoch, total_steps - step)
            start = time.perf_counter()
            train_steps(iterator, tf.constant(chunk))
            metrics = {m.name: float(m.result()) for m in gan.metrics}
            seconds = time.perf_counter() - start
            for m in gan.metrics:
                m.reset_state()
            step += chunk
            trained_steps, train_seconds = trained_steps + chunk, train_seconds + seconds
            bad = [name for name, value in metrics.items() if not np.isfinite(value)]
            if bad:
                raise TrainingError(
                    f"{', '.join(bad)} became non-finite at step {step}; training stopped, the last "
                    f"checkpoint ({manager.latest_checkpoint}) is left as it was"
                )
            if step % config.log_every == 0 or step == total_steps:
                scalars = dict(metrics)
                scalars["learning_rate"] = float(gan.g_optimizer.learning_rate)
                scalars["momentum"] = float(_inner(gan.g_optimizer).momentum)
                scalars["steps_per_sec"] = chunk / seconds
                summaries.write_scalars(writer, step, scalars)
            progbar.update(step - epoch * spe, [*metrics.items(), ("steps/s", chunk / seconds)])
            if step % spe == 0:
                epoch_end(step // spe)
                progbar = None
                now = time.perf_counter()
                epoch_seconds.append(now - epoch_start)
                epoch_start = now
            if preemption is not None:
                preemption.save_checkpoint_if_preempted()
            if signals:
                stopped_by = signal.Signals(signals[0]).name
                path = save(f"stopped by {stopped_by}")
                print(f"\n{stopped_by} received: saved {path} at step {step}; run the same command again to resume.")
                break
            if step == total_steps and step % spe:
                save("end of training")

    export_path = None
    if stopped_by is None:
        export_path = export_lib.export_generator(gan, files.path("export", "generator"))
        if verbose and chief:
            print(f"Exported the generator to {export_path}")
    writer.close()
    files.cleanup()
    return {
        "step": step,
        "epoch": step / spe,
        "metrics": metrics,
        "steps_per_sec": trained_steps / train_seconds if train_seconds else None,
        "steps_per_epoch": spe,
        # Wall time of each whole epoch, its summaries, samples and checkpoint included.
        "epoch_seconds": epoch_seconds,
        "export_path": export_path if chief else None,
        "stopped_by": stopped_by,
    }
