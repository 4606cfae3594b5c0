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

Commands that only read a run (`evaluate`, `export`, `figures`,
`inference`) come here; none of them imports the training loop.
"""

import dataclasses
import json
import os

import keras
import numpy as np
import tensorflow as tf

from keras_gan import architectures, averages
from keras_gan import config as config_lib
from keras_gan import data as data_lib
from keras_gan.errors import TrainingError
from keras_gan.gan import GAN
from keras_gan.optimizers import ExponentialDecayWithFloor, LinearMomentumRamp, MomentumSGD

BEST_CHOICES = ("best", "best_parzen", "best_fd")  # --checkpoint values that name a validation monitor pick


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
    )
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
    does not hold (`--ema_decays` added on resume) starts at G's restored weights."""
    saved = [name for name, _ in tf.train.list_variables(path)]
    held = gan.averages.held_in(saved)
    try:
        # expect_partial: averages the checkpoint holds but this run dropped are left unread.
        make_checkpoint(gan, held).restore(path).assert_existing_objects_matched().expect_partial()
    except (AssertionError, ValueError, tf.errors.OpError) as e:
        raise TrainingError(
            f"{path} does not fit this model ({str(e).splitlines()[0][:200]}); refusing to resume. "
            "Use another --workdir."
        ) from None
    gan.averages.reset([d for d in gan.averages.decays if d not in held])


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
    path = latest_checkpoint(run_dir)
    if path is None:
        raise TrainingError(f"{where}: no checkpoint in it (train the first stage there first)")
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


def latest_checkpoint(workdir):
    """The newest checkpoint of a run folder, or None."""
    return tf.train.latest_checkpoint(os.path.join(workdir, "checkpoints"))


def find_checkpoint(workdir, which="latest"):
    """The checkpoint path `which` names in `workdir`: "latest", "best" (the
    validation monitor's pick), "best_parzen" or "best_fd" (its pick by that
    score), a step number (among the latest and the kept ones), or a
    checkpoint path."""
    which = str(which)
    if which == "latest":
        path = latest_checkpoint(workdir)
        if path is None:
            raise FileNotFoundError(f"--workdir {workdir}: no checkpoint in it")
        return path
    if which in BEST_CHOICES:
        best, folder = find_best(workdir, which)
        if best is None:
            raise FileNotFoundError(f"--workdir {workdir}: no {which} checkpoint (the run had no --parzen_every "
                                    f"monitor{'' if which != 'best_fd' else ' measuring sample quality'})")
        return os.path.join(workdir, folder, best["checkpoint"])
    if which.isdigit():
        for folder in ("checkpoints", os.path.join("checkpoints", "kept"), "best", "best_parzen", "best_fd"):
            path = os.path.join(workdir, folder, f"ckpt-{int(which)}")
            if os.path.exists(path + ".index"):
                return path
        steps = sorted(available_steps(workdir))
        raise FileNotFoundError(f"--workdir {workdir}: no checkpoint at step {which} (there are: "
                                f"{', '.join(map(str, steps)) or 'none'})")
    if os.path.exists(which + ".index"):
        return which
    raise FileNotFoundError(f"--checkpoint {which}: not latest, best, a step or a checkpoint path")


def available_steps(workdir):
    """The steps of every checkpoint a run folder holds."""
    steps = set()
    for folder in ("checkpoints", os.path.join("checkpoints", "kept"), "best", "best_parzen", "best_fd"):
        full = os.path.join(workdir, folder)
        if os.path.isdir(full):
            steps |= {int(f[5:-6]) for f in os.listdir(full) if f.startswith("ckpt-") and f.endswith(".index")}
    return steps


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
    existed is read as a Parzen pick."""
    folder = "best" if criterion is None else best_folder(criterion, select_by)
    path = os.path.join(workdir, folder, "best.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        best = json.load(f)
    best.setdefault("select_by", "parzen")
    best.setdefault("score", best.get("valid_log_likelihood"))
    if criterion is not None and best["select_by"] != criterion:
        raise TrainingError(f"{path} holds the validation monitor's {best['select_by']} pick, not its {criterion} "
                            f"pick; resume with --select_by={best['select_by']}, or use another --workdir")
    return best


def find_best(workdir, which):
    """best.json of `which`: "best" (the run's selection), or "best_parzen" / "best_fd" (that score's pick,
    wherever the run keeps it); None if the run has none."""
    if which == "best":
        return read_best(workdir), "best"
    criterion = which[len("best_"):]
    for folder in ("best", which):
        path = os.path.join(workdir, folder, "best.json")
        if os.path.exists(path):
            best = read_best(workdir) if folder == "best" else read_best(workdir, criterion, select_by=None)
            if best["select_by"] == criterion:
                return best, folder
    return None, which


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
    change where the data is read from (`--data_dir`), not the model."""
    cfg = config or config_lib.load_run_config(workdir)
    path = find_checkpoint(workdir, checkpoint)
    splits = data_lib.load(cfg)
    gan = build_gan(cfg, splits)
    restore(gan, path)
    return Run(cfg, splits, gan, path, int(gan.g_optimizer.iterations.numpy()))


# --- The folder --------------------------------------------------------------


def prepare_workdir(config, workdir):
    """Creates `workdir` and records the config; refuses a folder that holds
    a run of another architecture, or is not a folder."""
    if os.path.exists(workdir) and not os.path.isdir(workdir):
        raise TrainingError(f"--workdir {workdir} is a file, not a folder")
    os.makedirs(workdir, exist_ok=True)
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
        return None


def finite_or_raise(gan, step, latest):
    """A checkpoint is never written with non-finite weights: raises a
    `TrainingError` naming the first such weight, leaving `latest` the latest."""
    for variable in gan.generator.trainable_variables + gan.discriminator.trainable_variables:
        if not bool(tf.reduce_all(tf.math.is_finite(variable.value))):
            raise TrainingError(f"weight {variable.path} became non-finite by step {step}; training stopped, "
                                f"the last checkpoint ({latest}) is left as it was")
