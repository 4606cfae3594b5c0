"""A run folder and the model it holds.

    config.json, architecture.json   what was run (a resume must match the architecture)
    checkpoints/ckpt-STEP            the latest few: G, D, both optimizers, RNG states, G's averages
    checkpoints/kept/ckpt-STEP       every --keep_every epochs, kept for good
    best/ckpt-STEP, best/best.json   the validation monitor's best by --select_by, and which generator it was
    best_<score>/                    its best by the other score it measures (best_fd/ or best_parzen/)
    status.json                      how the last training process ended (finished, stopped early, by a signal)
    events.out.tfevents.*            TensorBoard scalars, sample grids, settings
    export/generator/                the SavedModel written at the end
    parzen.json, quality.json, ...   the last `evaluate` result of each method

A checkpoint is named `ckpt-STEP`; a run that resumed from before a damaged
checkpoint writes the steps it reaches again as `ckpt.1-STEP` (`ckpt.2-STEP`,
...), so that the damaged files are never written over (`checkpoint_name`).

Commands that only read a run (`evaluate`, `export`, `figures`,
`inference`) come here; none of them imports the training loop.
"""

import dataclasses
import glob
import json
import os
import re
import sys

import keras
import numpy as np
import tensorflow as tf

from keras_gan import architectures, averages, cli
from keras_gan import config as config_lib
from keras_gan import data as data_lib
from keras_gan.errors import RunFolderError, TrainingError
from keras_gan.gan import GAN
from keras_gan.optimizers import ExponentialDecayWithFloor, LinearMomentumRamp, MomentumSGD

# --checkpoint values that name a validation monitor pick, and the folders a run keeps its picks in (`best_folder`).
BEST_CHOICES = ("best", "best_parzen", "best_fd")
# Where a run's checkpoints are, in the order a step's copies are tried.
CHECKPOINT_FOLDERS = ("checkpoints", os.path.join("checkpoints", "kept"), *BEST_CHOICES)
STATE_FILE = "checkpoint"  # CheckpointManager's list of the latest checkpoints, in checkpoints/ and the best folders
BEST_KEYS = {"step": int, "generator": str, "valid_log_likelihood": (int, float), "checkpoint": str}  # what is read
BEST_OPTIONAL_KEYS = {"epoch": int, "select_by": str, "score": (int, float)}  # read when there, so of the right type
_NAME = re.compile(r"ckpt(?:\.(\d+))?-(\d+)")  # ckpt-STEP, ckpt.1-STEP, ...: a checkpoint's prefix
_FILE = re.compile(r"(ckpt(?:\.\d+)?-\d+)\.(?:index|data-\d{5}-of-\d{5})")  # its files


def build_gan(config, splits):
    """The experiment's GAN for a loaded data set, compiled, with its
    variables and optimizer slots created and G's output bias set from the
    training pixels' marginals (where the config asks for it).

    `--conditional` builds the conditional model p(x | c), its classes read
    from the training labels.
    """
    generator = architectures.build_generator(config, splits.image_shape)
    discriminator = architectures.build_discriminator(config, splits.image_shape)
    gan = GAN(generator, discriminator, noise_dim=config.noise_dim, noise=config.noise, seed=config.seed,
              num_classes=_num_classes(config, splits), ema_decays=config.ema_decays)
    # Each D update reads one minibatch; G updates once per k of them.
    d_updates_per_epoch = len(splits.train) // config.batch_size
    gan.compile(
        d_optimizer=make_optimizer(config, d_updates_per_epoch, "d_optimizer"),
        g_optimizer=make_optimizer(config, max(1, d_updates_per_epoch // config.k_steps), "g_optimizer"),
        generator_loss=config.generator_loss,
        k_steps=config.k_steps,
        update=config.update,
        health_every=config.health_every,
    )
    if config.d_input_noise_anneal_updates:
        gan.anneal_input_noise(config.d_input_noise_anneal_updates)
    gan.build()
    gan.build_optimizers()
    if config.g_bias_from_marginals and config.g_output_activation == "sigmoid":
        gan.init_output_bias_from_marginals(data_lib.to_float(splits.train).mean(axis=0))  # and G's averages
    return gan


def make_optimizer(config, updates_per_epoch, name):
    """One player's SGD with classical momentum and the release's schedules
    (the learning rate decay, the momentum ramp), and the package's
    (`--lr_drop_updates`, `--warmup_updates` for `--warmup_players`)."""
    player = "discriminator" if name.startswith("d_") else "generator"
    warmup = config.warmup_updates if config.warmup_players in ("both", player) else 0
    sgd = MomentumSGD(
        learning_rate=ExponentialDecayWithFloor(config.learning_rate, config.lr_decay_factor, config.min_lr,
                                                drop_updates=config.lr_drop_updates,
                                                drop_factor=config.lr_drop_factor, warmup_updates=warmup),
        momentum=LinearMomentumRamp(config.initial_momentum, config.final_momentum, config.momentum_start,
                                    config.momentum_saturate, updates_per_epoch),
        name=name,
    )
    # float16 gradients underflow without loss scaling; bfloat16 has float32's range.
    return keras.optimizers.LossScaleOptimizer(sgd) if config.mixed_precision == "mixed_float16" else sgd


def _num_classes(config, splits):
    """C for `--conditional` (the training labels' largest class + 1), else 0."""
    if not config.conditional:
        return 0
    labels = splits.train_labels
    if labels is None or len(labels) == 0 or np.min(labels) < 0:
        raise TrainingError(f"--conditional needs class labels for every training image; --dataset={config.dataset} "
                            f"{'has none' if labels is None else 'has unlabeled images'}")
    return int(np.max(labels)) + 1


# --- Checkpoints -------------------------------------------------------------


def make_checkpoint(gan, decays=None):
    """Everything a resume needs: both players, both optimizers (their
    `iterations` is the step counter), every RNG state and the averages of G
    (only those of `decays`, if given)."""
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
        **gan.averages.checkpoint_objects(decays),
    )


def restore(gan, path):
    """Restores the checkpoint at `path` into `gan`. An average of G that it
    does not hold (`--ema_decays` added on resume) starts at G's restored weights.

    Raises:
        RunFolderError: a file of the checkpoint is damaged or missing (`checkpoint_damage`).
        TrainingError: the checkpoint does not fit this model.
    """
    damage = checkpoint_damage(path)
    if damage:
        raise RunFolderError(damage)
    _restore_or_raise(gan, path)


def _restore_or_raise(gan, path):
    problem = _restore_problem(gan, path)
    if problem:
        raise TrainingError(f"{path} does not fit this model ({problem}); refusing to resume. Use another --workdir.")


def _restore_problem(gan, path):
    """Restores the (readable) checkpoint at `path` into `gan`: None, or why
    it does not fit. Every variable of `gan` is assigned when it fits (the
    check is `assert_existing_objects_matched`), so a checkpoint restored after
    one that failed half-way leaves nothing of that one behind."""
    saved = [name for name, _ in tf.train.list_variables(path)]
    held = gan.averages.held_in(saved)
    try:
        status = make_checkpoint(gan, held).restore(path)
        status.expect_partial()  # averages the checkpoint holds but this run dropped are left unread
        status.assert_existing_objects_matched()
    except (AssertionError, ValueError, tf.errors.OpError) as e:
        return str(e).splitlines()[0][:200]
    gan.averages.reset([d for d in gan.averages.decays if d not in held])
    return None


def init_generator_from(gan, run_dir):
    """TFD's second stage (the release's `add_layers`): G's layers start at
    the weights of the same-named layers (`h0`, `h1`, ..., `y`) of the
    generator in `run_dir`'s latest checkpoint. G's added layers
    (`--g_added_units`) and D keep the weights they were built with, and
    the averages of G restart from G.

    Layers are matched by name, not by position: the first stage's
    generator is rebuilt from its own config.json, restored, and each of its
    layers copied into the layer of the same name.

    Args:
        gan: A built GAN.
        run_dir: The first stage's run folder.

    Raises:
        TrainingError: `run_dir` is not a run folder or has no checkpoint, or
            its generator does not fit (the message names the layer and both
            shapes).
    """
    where = f"--init_generator_from {run_dir}"
    if not os.path.exists(os.path.join(run_dir, "config.json")):
        raise TrainingError(f"{where}: no config.json (not a keras_gan run folder)")
    path = _newest_readable(run_dir, where)
    first = config_lib.load_run_config(run_dir)
    if first.conditional:
        raise TrainingError(f"{where}: a conditional run; the first stage must be unconditional")
    pretrained = architectures.build_generator(first, data_lib.image_shape(first))
    pretrained(tf.zeros((1, first.noise_dim)))  # creates its weights
    # A checkpoint holds G's weights as the variables G's optimizer was built on, in
    # the order of G's layers (`make_checkpoint`): the first stage's own optimizer maps them back.
    optimizer = make_optimizer(first, 1, "g_optimizer")
    optimizer.build(pretrained.trainable_variables)
    try:
        tf.train.Checkpoint(g_optimizer=optimizer).read(path).expect_partial().assert_existing_objects_matched()
    except (AssertionError, ValueError, tf.errors.OpError) as e:
        raise TrainingError(f"{where}: {path} does not hold the generator its config.json describes "
                            f"({str(e).splitlines()[0][:200]})") from None
    added = {layer.name for layer in gan.generator.added}
    grown = {layer.name: layer for layer in gan.generator.layers if layer.name not in added}
    found = {layer.name: layer for layer in pretrained.layers}
    if sorted(grown) != sorted(found):
        raise TrainingError(f"{where}: its generator has layers {', '.join(sorted(found))}; this one expects "
                            f"{', '.join(sorted(grown))} there (besides its added layers)")
    for name, layer in grown.items():
        shapes = [tuple(w.shape) for w in found[name].weights], [tuple(w.shape) for w in layer.weights]
        if shapes[0] != shapes[1]:
            raise TrainingError(
                f"{where}: layer {name} has weights of shapes {shapes[0]} there, this generator expects {shapes[1]} "
                "(the first stage's --noise_dim and --g_hidden_units, and its image size, must match the last "
                "--g_added_units, --g_hidden_units and the image size here)")
    for name, layer in grown.items():
        for target, source in zip(layer.weights, found[name].weights):
            target.assign(source)
    gan.averages.reset()


# --- Which checkpoint: the newest that restores ----------------------------------


@dataclasses.dataclass(frozen=True)
class Candidate:
    """A checkpoint a run folder shows: its path (the prefix of its files),
    its step, the generation of its name (ckpt-N: 0, ckpt.1-N: 1, ...) and
    which of `CHECKPOINT_FOLDERS` it is in."""

    path: str
    step: int
    generation: int
    folder: int


def _candidate(path, folder):
    """The `Candidate` of a checkpoint prefix, or None for a name not ours."""
    match = _NAME.fullmatch(os.path.basename(path))
    if match is None:
        return None
    return Candidate(os.path.normpath(path), int(match.group(2)), int(match.group(1) or 0), folder)


def checkpoint_candidates(workdir):
    """Every checkpoint `workdir` shows, newest first: those the `checkpoint`
    state file names and those with a file (index or data) in checkpoints/,
    then checkpoints/kept/, best/, best_parzen/ and best_fd/. Newest is the highest step, then the
    later name of a step (a run resumed from before a damaged checkpoint), then
    that order of folders. Whether they can be read is `checkpoint_damage`'s
    question; a state file that names one that is not there still lists it."""
    found = {}
    for rank, folder in enumerate(CHECKPOINT_FOLDERS):
        full = os.path.join(workdir, folder)
        # The state file's own, not a path elsewhere that an absolute entry may name.
        paths = [p for p in read_checkpoint_state(full)[0].paths if os.path.dirname(p) == os.path.normpath(full)
                 ] if rank == 0 else []
        if os.path.isdir(full):
            paths += [os.path.join(full, m.group(1)) for m in map(_FILE.fullmatch, sorted(os.listdir(full))) if m]
        for candidate in filter(None, (_candidate(p, rank) for p in paths)):
            found.setdefault(candidate.path, candidate)
    return sorted(found.values(), key=lambda c: (-c.step, -c.generation, c.folder))


@dataclasses.dataclass
class CheckpointState:
    """What a `checkpoint` state file holds: the checkpoints it names, oldest
    first, with their timestamps (empty when it has none) and the manager's
    last preserved timestamp."""

    paths: list
    timestamps: list
    last_preserved: float


def read_checkpoint_state(folder):
    """The `CheckpointState` of `folder`'s state file (empty when there is
    none) and what is wrong with it, or None.

    Read here rather than by `tf.train.get_checkpoint_state`, which logs two
    warnings for a garbled file and raises for an empty one: a state file cut
    short or garbled is just one thing a resume says and works around."""
    from google.protobuf import text_format
    from tensorflow.python.training.checkpoint_state_pb2 import CheckpointState as StateProto

    path = os.path.join(folder, STATE_FILE)
    empty = CheckpointState([], [], 0.0)
    if not os.path.exists(path):
        return empty, None
    try:
        with open(path, "rb") as f:
            proto = text_format.Parse(f.read().decode("utf-8"), StateProto())
    except (text_format.ParseError, UnicodeDecodeError) as e:
        return empty, f"{path} is damaged (not a checkpoint state: {str(e).splitlines()[0][:120]})"
    if not proto.model_checkpoint_path:
        return empty, f"{path} is damaged (it names no latest checkpoint)"
    paths = [p if os.path.isabs(p) else os.path.join(folder, p)
             for p in [*proto.all_model_checkpoint_paths, proto.model_checkpoint_path]]
    paths = list(dict.fromkeys(os.path.normpath(p) for p in paths))  # the latest is normally the last already
    timestamps = list(proto.all_model_checkpoint_timestamps)
    if len(timestamps) != len(paths):
        timestamps = []
    return CheckpointState(paths, timestamps, proto.last_preserved_timestamp), None


def checkpoint_damage(path):
    """Why the checkpoint at `path` cannot be read, as one phrase naming the
    file ("<file> is missing", "<file> is damaged (<what is wrong>)"), or None
    when its index parses, all its data files are there and every tensor in
    them reads back with its checksum.

    Every tensor is read because an index that parses says nothing of the data
    behind it: a data file cut short or garbled shows only when it is read.
    """
    index = path + ".index"
    if not os.path.exists(index):
        return f"{index} is missing"
    try:
        reader = tf.train.load_checkpoint(path)
    except tf.errors.OpError as e:
        return f"{index} is damaged ({_index_problem(index, e)})"
    shards = glob.glob(glob.escape(path) + ".data-?????-of-?????")
    count = int(shards[0].rsplit("-of-", 1)[1]) if shards else 1
    expected = [f"{path}.data-{i:05d}-of-{count:05d}" for i in range(count)]
    missing = [name for name in expected if not os.path.exists(name)]
    if missing:
        return f"{missing[0]} is missing"
    data = expected[0] if count == 1 else f"{path}.data-*-of-{count:05d}"
    shapes, dtypes = reader.get_variable_to_shape_map(), reader.get_variable_to_dtype_map()
    size = sum(os.path.getsize(name) for name in expected)
    need = sum(int(np.prod(shapes[n])) * dtypes[n].size for n in shapes if dtypes[n] != tf.string)
    if size < need:
        return f"{data} is damaged (truncated: {size} bytes, its tensors take at least {need})"
    for name in sorted(shapes):
        try:
            reader.get_tensor(name)
        except IndexError:  # "Read less bytes than requested"
            return f"{data} is damaged (truncated: {size} bytes, cut short in tensor {name})"
        except tf.errors.OpError as e:
            what = "fails its checksum" if "Checksum does not match" in str(e) else str(e).splitlines()[0][:120]
            return f"{data} is damaged (garbled: tensor {name} {what})"
    return None


def _index_problem(index, error):
    """What TensorFlow's reader found wrong with a checkpoint's index, in a few words."""
    message, size = str(error), os.path.getsize(index)
    if "too short" in message:
        return f"truncated: {size} bytes, too short for an index"
    if "bad magic number" in message:
        return f"truncated or garbled: {size} bytes that do not end as an index does"
    if "checksum mismatch" in message:
        return "garbled: a block fails its checksum"
    return message.replace(index, "").splitlines()[0][:120]


@dataclasses.dataclass
class Restored:
    """Which checkpoint `restore_newest` restored, and what it passed over."""

    path: str
    step: int
    problems: list  # one phrase per checkpoint newer than `path` that did not restore, and for the state file
    failed: list  # those newer checkpoints' paths


def restore_newest(gan, workdir):
    """Restores into `gan` the newest of `checkpoint_candidates(workdir)` that
    restores completely: its files read back (`checkpoint_damage`) and every
    variable of `gan` gets its value (`restore`'s check). A candidate that fails
    after assigning some variables is overwritten whole by the next one.

    Returns:
        A `Restored`, or None when the folder has no checkpoint.

    Raises:
        RunFolderError: none restores; the message lists each and what is wrong with it.
    """
    state_problem = read_checkpoint_state(os.path.join(workdir, CHECKPOINT_FOLDERS[0]))[1]
    candidates = checkpoint_candidates(workdir)
    if not candidates and state_problem is None:
        return None
    problems = [state_problem] if state_problem else []
    failed = []
    if not os.path.exists(os.path.join(workdir, CHECKPOINT_FOLDERS[0], STATE_FILE)) and any(
            c.folder == 0 for c in candidates):
        problems.append(f"{os.path.join(workdir, CHECKPOINT_FOLDERS[0], STATE_FILE)} is missing")
    for candidate in candidates:
        problem = checkpoint_damage(candidate.path)
        if problem is None:
            problem = _restore_problem(gan, candidate.path)
            problem = problem and f"{candidate.path} does not fit this model ({problem})"
        if problem is None:
            return Restored(candidate.path, int(gan.g_optimizer.iterations.numpy()), problems, failed)
        problems.append(problem)
        failed.append(candidate.path)
    shown = "; ".join(problems[:6]) + (f"; and {len(problems) - 6} more" if len(problems) > 6 else "")
    raise RunFolderError(f"no checkpoint of {workdir} restores (tried {len(candidates)}): {shown}")


def settle_checkpoint_state(workdir, restored):
    """Makes checkpoints/checkpoint, the list `tf.train.CheckpointManager`
    rotates, name only checkpoints of checkpoints/ not known to be damaged.

    A manager that still listed the damaged ones would count them among its
    `max_to_keep`, deleting the intact older checkpoints first and the damaged
    ones after. The file is rewritten only when it names a checkpoint that did
    not restore, does not name the one restored, cannot be read, or is
    missing beside checkpoints; it is removed when no checkpoint is left for
    it to name. It is an index the
    manager rewrites at every save, not a checkpoint: the damaged checkpoints'
    own files stay as they are.
    """
    folder = os.path.normpath(os.path.join(workdir, CHECKPOINT_FOLDERS[0]))
    path = os.path.join(folder, STATE_FILE)
    state, problem = read_checkpoint_state(folder)
    failed, ours = set(restored.failed), os.path.dirname(restored.path) == folder
    readable = problem is None and os.path.exists(path)
    if readable and not failed & set(state.paths) and (not ours or restored.path in state.paths):
        return
    if readable:  # its own list and timestamps, less the failed ones, and the one restored
        times = dict(zip(state.paths, state.timestamps))
        paths, last_preserved = set(state.paths) | ({restored.path} if ours else set()), state.last_preserved
    else:  # rebuilt from the files
        times, last_preserved = {}, None
        paths = {c.path for c in checkpoint_candidates(workdir) if c.folder == 0}
    kept = sorted((p for p in paths - failed if os.path.exists(p + ".index")),
                  key=lambda p: (_candidate(p, 0).step, _candidate(p, 0).generation))
    if not kept:
        if os.path.exists(path):
            os.remove(path)
        return
    timestamps = [times.get(p) or os.path.getmtime(p + ".index") for p in kept]
    tf.__internal__.train.update_checkpoint_state(
        folder, kept[-1], kept, save_relative_paths=True, all_model_checkpoint_timestamps=timestamps,
        last_preserved_timestamp=min(timestamps) - 1.0 if last_preserved is None else last_preserved)


def checkpoint_name(folder, step, restored=None):
    """The name, "ckpt" or else "ckpt.1", "ckpt.2", ..., under which a run
    at `step` writes its checkpoints in `folder` (ckpt-STEP): the first that
    no checkpoint file there holds at `step` or after, `restored` aside.

    A run resumed from before a damaged checkpoint reaches the damaged one's
    step again; under its own name it never writes over the damaged files,
    and the next run, past them, is back to "ckpt"."""
    taken = set()
    if os.path.isdir(folder):
        for m in map(_FILE.fullmatch, os.listdir(folder)):
            candidate = m and _candidate(os.path.join(folder, m.group(1)), 0)
            if candidate and candidate.step >= step and candidate.path != os.path.normpath(restored or ""):
                taken.add(candidate.generation)
    generation = next(g for g in range(len(taken) + 1) if g not in taken)
    return "ckpt" if generation == 0 else f"ckpt.{generation}"


def _newest_readable(workdir, where):
    """The newest checkpoint of `workdir` whose files read back, saying in a
    warning line which newer ones could not be read; a `TrainingError` when
    there is none."""
    candidates = checkpoint_candidates(workdir)
    if not candidates:
        raise TrainingError(f"{where}: no checkpoint in it (train the first stage there first)")
    problems = []
    for candidate in candidates:
        problem = checkpoint_damage(candidate.path)
        if problem is None:
            if problems:
                cli.warn(f"{where}: {'; '.join(problems)}; reading {candidate.path} at step {candidate.step}")
            return candidate.path
        problems.append(problem)
    raise TrainingError(f"{where}: no checkpoint in it can be read (tried {len(problems)}): {'; '.join(problems[:6])}")


def latest_checkpoint(workdir):
    """The newest checkpoint `workdir` shows (`checkpoint_candidates`), read or not, or None."""
    candidates = checkpoint_candidates(workdir)
    return candidates[0].path if candidates else None


def find_checkpoint(workdir, which="latest"):
    """The checkpoint path `which` names in `workdir`: "latest", "best" (the
    validation monitor's pick), "best_parzen" or "best_fd" (its pick by that
    score), a step number (among the latest, the kept ones and the picks, the
    later name of a step first), or a checkpoint path."""
    which = str(which)
    if which == "latest":
        path = latest_checkpoint(workdir)
        if path is None:
            raise FileNotFoundError(f"--workdir {workdir}: no checkpoint in it")
        return path
    if which in BEST_CHOICES:
        best, folder = find_best(workdir, which)
        if best is None:
            missing = _best_without_json(workdir, folder)
            if missing:
                raise RunFolderError(missing)
            raise FileNotFoundError(f"--workdir {workdir}: no {which} checkpoint (the run had no --parzen_every "
                                    f"monitor{'' if which != 'best_fd' else ' measuring sample quality'})")
        return os.path.join(workdir, folder, best["checkpoint"])
    if which.isdigit():
        at_step = [c.path for c in checkpoint_candidates(workdir) if c.step == int(which)]
        if at_step:  # `load_run` reads another copy of the same save if this one is damaged
            return at_step[0]
        steps = sorted(available_steps(workdir))
        raise FileNotFoundError(f"--workdir {workdir}: no checkpoint at step {which} (there are: "
                                f"{', '.join(map(str, steps)) or 'none'})")
    if os.path.exists(which + ".index"):
        return which
    raise FileNotFoundError(f"--checkpoint {which}: not latest, best, a step or a checkpoint path")


def available_steps(workdir):
    """The steps of every checkpoint a run folder holds a file of."""
    return {c.step for c in checkpoint_candidates(workdir) if glob.glob(glob.escape(c.path) + ".*")}


def default_generator(workdir, checkpoint):
    """The generator a command reads when the user names none: the
    validation monitor's pick for the best checkpoint, G itself otherwise."""
    if checkpoint in BEST_CHOICES:
        best, _ = find_best(workdir, checkpoint)
        if best is not None:
            return best["generator"]
    return averages.GENERATOR


def best_folder(criterion, select_by):
    """Where a run keeps the pick of one selection score: `best/` for the one it selects by, else `best_<score>/`."""
    return "best" if criterion == select_by else f"best_{criterion}"


def read_best(workdir, criterion=None, select_by=None):
    """A validation monitor pick of a run folder, or None: best/best.json
    (step, epoch, generator, select_by, score, valid_log_likelihood, sigma,
    valid_fd, checkpoint), or with `criterion` and `select_by` the pick of
    that score (see `best_folder`). A best.json written before picks by FD
    existed is read as a Parzen pick.

    Raises:
        RunFolderError: the best.json is damaged (`read_best_json`).
        TrainingError: it holds the pick of another score than `criterion`.
    """
    folder = "best" if criterion is None else best_folder(criterion, select_by)
    path = os.path.join(workdir, folder, "best.json")
    if not os.path.exists(path):
        return None
    best = read_best_json(path)
    if criterion is not None and best["select_by"] != criterion:
        raise TrainingError(f"{path} holds the validation monitor's {best['select_by']} pick, not its {criterion} "
                            f"pick; resume with --select_by={best['select_by']}, or use another --workdir")
    return best


def read_best_json(path):
    """The best.json at `path`, with "select_by" and "score" filled in for
    one written before picks by FD existed; a `RunFolderError` naming it when
    it is damaged: not a JSON object, without one of `BEST_KEYS` (what every
    reader needs), or with a value of the wrong type (those keys, and "epoch",
    "select_by" and "score" when present; a pick by a score other than Parzen
    must hold its "score")."""
    expected = f"the validation monitor's best ({', '.join(BEST_KEYS)}, ...)"
    best = config_lib.read_json_object(path, expected)
    missing = [k for k in BEST_KEYS if k not in best]
    if missing:
        raise RunFolderError(f"{path} is damaged (no {', '.join(missing)}); expected {expected}")
    kinds = {**BEST_KEYS, **{k: kind for k, kind in BEST_OPTIONAL_KEYS.items() if k in best}}
    wrong = [k for k, kind in kinds.items() if not isinstance(best[k], kind) or isinstance(best[k], bool)]
    if wrong or _NAME.fullmatch(best["checkpoint"]) is None:
        what = ", ".join(f"{k} {best[k]!r}" for k in wrong or ["checkpoint"])
        raise RunFolderError(f"{path} is damaged ({what}); expected {expected}, the checkpoint named ckpt-STEP")
    best.setdefault("select_by", "parzen")
    if best["select_by"] not in config_lib.SELECTION:
        raise RunFolderError(f"{path} is damaged (select_by {best['select_by']!r}); expected one of "
                             f"{', '.join(config_lib.SELECTION)}")
    if best["select_by"] != "parzen" and "score" not in best:
        raise RunFolderError(f"{path} is damaged (no score); expected the {best['select_by']} pick's score")
    best.setdefault("score", best["valid_log_likelihood"])
    return best


def find_best(workdir, which):
    """best.json of `which`: "best" (the run's selection), or "best_parzen" / "best_fd" (that score's pick,
    wherever the run keeps it); None if the run has none. A pick's own folder is read before best/, so a
    damaged best/ does not hide an intact best_<score>/."""
    if which == "best":
        return read_best(workdir), "best"
    criterion = which[len("best_"):]
    for folder in (which, "best"):
        path = os.path.join(workdir, folder, "best.json")
        if os.path.exists(path):
            best = read_best_json(path) if folder == "best" else read_best(workdir, criterion, select_by=None)
            if best["select_by"] == criterion:
                return best, folder
    return None, which


def _best_without_json(workdir, folder="best"):
    """"<best.json> is missing (...)" when `folder` (best/ or a
    best_<score>/) holds a checkpoint but not the file that says what it is,
    else None."""
    full = os.path.join(workdir, folder)
    names = sorted({m.group(1) for m in map(_FILE.fullmatch, os.listdir(full)) if m}) if os.path.isdir(full) else []
    if not names:
        return None
    return f"{os.path.join(full, 'best.json')} is missing ({folder}/ holds {', '.join(names)})"


def best_damage(workdir, folder="best"):
    """What is wrong with one of a run folder's picks, `folder` (best/ or a
    best_<score>/: its best.json, its state file, the checkpoint best.json
    names), or None: training leaves a damaged one as it is rather than
    write over it."""
    path = os.path.join(workdir, folder, "best.json")
    if not os.path.exists(path):
        return _best_without_json(workdir, folder)
    try:
        best = read_best_json(path)
    except RunFolderError as e:
        return str(e)
    return (read_checkpoint_state(os.path.join(workdir, folder))[1]
            or checkpoint_damage(os.path.join(workdir, folder, best["checkpoint"])))


def _readable_copy(workdir, checkpoint, path):
    """`path` if its files read back; for a step, else another copy of the
    same save (checkpoints/, kept/, best/ and best_<score>/ may each hold
    one); else a `RunFolderError` naming the damaged file: a named checkpoint
    is never swapped for another step's."""
    found = _candidate(path, 0)
    copies = [path]
    if str(checkpoint).isdigit() and found:
        copies += [c.path for c in checkpoint_candidates(workdir)
                   if (c.step, c.generation) == (found.step, found.generation) and c.path != os.path.normpath(path)]
    problems = []
    for copy in copies:
        problem = checkpoint_damage(copy)
        if problem is None:
            return copy
        problems.append(problem)
    raise RunFolderError(f"--checkpoint={checkpoint}: {'; '.join(problems)}")


@dataclasses.dataclass
class Run:
    """A run folder loaded for reading: its config, data, GAN and where the
    weights came from."""

    config: config_lib.Config
    splits: data_lib.Splits
    gan: GAN
    checkpoint: str
    step: int


def load_run(workdir, checkpoint="latest", config=None):
    """Loads a run folder with the GAN restored from `checkpoint` (see
    `find_checkpoint`). `config` (default: the folder's config.json) may
    change where the data is read from (`--data_dir`), not the model.

    "latest" is the newest checkpoint that restores, as training resumes
    from (a warning line says which were passed over); a checkpoint named
    otherwise (best, best_parzen, best_fd, a step, a path) is that one or a
    one-line error."""
    cfg = config or config_lib.load_run_config(workdir)
    path = find_checkpoint(workdir, checkpoint)
    splits = data_lib.load(cfg)
    gan = build_gan(cfg, splits)
    if str(checkpoint) == "latest":
        restored = restore_newest(gan, workdir)
        if restored.problems:
            cli.warn(f"{'; '.join(restored.problems)}; reading {restored.path} at step {restored.step}")
        path = restored.path
    else:
        path = _readable_copy(workdir, checkpoint, path)
        _restore_or_raise(gan, path)
    return Run(cfg, splits, gan, path, int(gan.g_optimizer.iterations.numpy()))


# --- The folder --------------------------------------------------------------


def check_workdir(config, workdir):
    """Refuses, writing nothing, a `workdir` that is a file, or that holds a
    run of another architecture (or an architecture.json that cannot be read)."""
    if os.path.exists(workdir) and not os.path.isdir(workdir):
        raise TrainingError(f"--workdir {workdir} is a file, not a folder")
    path = os.path.join(workdir, "architecture.json")
    if not os.path.exists(path):
        return
    wanted = config.architecture()
    try:
        found = config_lib.read_json_object(path, "the settings that fix the weights' shapes")
    except RunFolderError as e:
        raise RunFolderError(f"{e}. Put it back, or remove it to have training write it anew from these flags "
                             "(a checkpoint of another architecture still refuses to restore)") from None
    # Settings added in later versions are absent from older run folders.
    differ = [k for k in wanted if k in found and found[k] != wanted[k]]
    if differ:
        diff = ", ".join(f"{k}: {found[k]} there, {wanted[k]} here" for k in differ)
        raise TrainingError(
            f"{workdir} holds a run of another architecture ({diff}); refusing to resume or overwrite it. "
            "Use another --workdir."
        )


def prepare_workdir(config, workdir):
    """Creates `workdir` and records the config (and, in a new folder, the
    architecture), after `check_workdir`'s refusals."""
    check_workdir(config, workdir)
    os.makedirs(workdir, exist_ok=True)
    path = os.path.join(workdir, "architecture.json")
    if not os.path.exists(path):
        write_json(path, config.architecture(), sort_keys=True)
    write_json(os.path.join(workdir, "config.json"), json.loads(config.to_json()), sort_keys=True)


def write_json(path, obj, sort_keys=False):
    """Writes `obj` as JSON through a temporary file, so an interrupted write
    never leaves `path` half-written."""
    tmp = f"{path}.tmp"
    try:
        with open(tmp, "w") as f:
            json.dump(obj, f, indent=1, sort_keys=sort_keys, default=_plain)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if dataclasses.is_dataclass(value):
        return dataclasses.asdict(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def write_status(workdir, state, step, **details):
    """Records how training ended (`state`: finished, early_stopped, or the signal's name) at `step`."""
    write_json(os.path.join(workdir, "status.json"), {"state": state, "step": step, **details})


def read_status(workdir):
    """status.json of a run folder, or None (never trained to an end, or written before it existed)."""
    path = os.path.join(workdir, "status.json")
    if not os.path.exists(path):
        return None
    try:
        with open(path) as f:
            return json.load(f)
    except ValueError:
        print(f"warning: {path} is damaged (not JSON): read as absent, so the run counts as not trained to an end",
              file=sys.stderr)
        return None


def finite_or_raise(gan, step, latest):
    """A checkpoint is never written with non-finite weights: raises a
    `TrainingError` naming the first such weight, leaving `latest` the latest."""
    for variable in gan.generator.trainable_variables + gan.discriminator.trainable_variables:
        if not bool(tf.reduce_all(tf.math.is_finite(variable.value))):
            raise TrainingError(f"weight {variable.path} became non-finite by step {step}; training stopped, "
                                f"the last checkpoint ({latest}) is left as it was")
