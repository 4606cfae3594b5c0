"""An experiment's settings: one dataclass, from which the absl flags are made.

Every field is a flag of the same name (`python -m keras_gan.train --help`);
the experiment files in `flags/` set them. The defaults are the paper's MNIST
experiment (`flags/mnist.cfg` gives exactly `Config()`). Library code takes a
`Config` and never reads flags, so tests build one directly.
"""

import dataclasses
import json
import math
import typing
from typing import Optional

from absl import flags

from keras_gan.errors import RunFolderError, UserError

# The flags `define_flags` makes belong to its caller (the command), not to this module: absl's --help
# lists the main module's flags only.
flags.disclaim_key_flags()


class ConfigError(UserError, ValueError):
    """A setting a user gave is out of range; the message names the flag."""


# The allowed values of each choice, defined here once and imported where they are checked.
DATASETS = ("mnist", "tfd", "cifar10", "folder", "gaussian1d")
TFD_SPLITS = ("unlabeled", "train", "valid", "test", "full_train")
PREPROCESSING = ("unit", "gcn")
UPDATES = ("alternating", "simultaneous")
GENERATOR_LOSSES = ("non_saturating", "minimax")
NOISE_DISTRIBUTIONS = ("uniform", "gaussian")
OUTPUT_ACTIVATIONS = ("sigmoid", "linear")
HIDDEN_ACTIVATIONS = ("relu", "sigmoid")
STRATEGIES = ("auto", "default", "one_device", "mirrored", "multi_worker", "tpu")
MIXED_PRECISION = ("none", "mixed_float16", "mixed_bfloat16")
SELECTION = ("parzen", "fd")
PLAYERS = ("both", "discriminator", "generator")  # whose learning rate --warmup_updates ramps


def _field(default, help, lower=None, upper=None, choices=None, architecture=False):
    """A setting: its default, its --help, its range or choices, and whether it fixes the shapes of the weights
    (`architecture`: a checkpoint made under another value cannot be resumed). A list setting is annotated
    `tuple[<element type>, ...]`; its flag is a comma-separated list of that type."""
    return dataclasses.field(
        default=default,
        metadata={"help": help, "lower": lower, "upper": upper, "choices": choices, "architecture": architecture},
    )


@dataclasses.dataclass
class Config:
    # The experiment.
    dataset: str = _field(
        "mnist", "Data set to train on (gaussian1d: Figure 1's one-dimensional N(gaussian_mean, gaussian_std^2)).",
        choices=DATASETS, architecture=True,
    )
    gaussian_mean: float = _field(2.0, "--dataset=gaussian1d: mean of the data.")
    gaussian_std: float = _field(0.5, "--dataset=gaussian1d: standard deviation of the data.", lower=1e-6)
    data_dir: Optional[str] = _field(
        None,
        "Folder with the data set's own files (mnist: the four IDX .gz files; tfd: TFD_48x48.mat; "
        "cifar10: the binary release; folder: any images). Without it mnist and cifar10 come from "
        "tensorflow-datasets, which downloads.",
    )
    tfd_fold: int = _field(0, "TFD fold (0..4) whose splits are used.", lower=0, upper=4)
    tfd_split: str = _field(
        "unlabeled", "TFD split to train on (the release: unlabeled).",
        choices=TFD_SPLITS,
    )
    tfd_size: int = _field(48, "TFD image size: 48 (TFD_48x48.mat) or 96 (TFD_96x96.mat).", lower=48, upper=96,
                           architecture=True)
    image_size: int = _field(32, "--dataset=folder: images are resized to image_size x image_size.", lower=4,
                             architecture=True)
    channels: int = _field(3, "--dataset=folder: 1 (grey) or 3 (colour) channels.", lower=1, upper=3,
                           architecture=True)
    preprocess: str = _field(
        "unit", "unit: pixels in [0, 1]. gcn: global contrast normalization, scale 55 (the release's CIFAR-10).",
        choices=PREPROCESSING,
    )
    seed: int = _field(0, "Seed for weights, data order, noise and dropout.", lower=0)
    epochs: int = _field(300, "Epochs to train (one epoch = one pass over the training split).", lower=1)
    max_steps: int = _field(0, "Stop after this many generator updates in total (0: no limit).", lower=0)
    # Algorithm 1.
    batch_size: int = _field(
        100, "Minibatch size m of Algorithm 1 (global across replicas).", lower=1
    )
    k_steps: int = _field(1, "Discriminator updates per generator update (Algorithm 1's k).", lower=1)
    update: str = _field(
        "alternating",
        "alternating: Algorithm 1. simultaneous: the authors' release, both players "
        "updated from one minibatch and one forward pass (needs k_steps=1).",
        choices=UPDATES,
    )
    generator_loss: str = _field(
        "non_saturating",
        "non_saturating: G maximizes log D(G(z)) (section 3, the release). minimax: G "
        "minimizes log(1 - D(G(z))) (Eq. 1).",
        choices=GENERATOR_LOSSES,
    )
    noise: str = _field(
        "uniform",
        "Noise prior p_z: uniform is U(-sqrt(3), sqrt(3)) per coordinate, gaussian is N(0, 1).",
        choices=NOISE_DISTRIBUTIONS,
    )
    noise_dim: int = _field(100, "Dimension of the noise z.", lower=1, architecture=True)
    conditional: bool = _field(
        False, "The conditional model p(x | c) (the conclusion's first extension): the class label is given to "
        "both G and D. Needs a labelled data set.", architecture=True,
    )
    # The generator.
    g_architecture: str = _field(
        "mlp", "A name in keras_gan.architectures.GENERATORS: mlp (dense layers to the image) or conv (dense layers, "
        "reshape to g_conv_shape, then a transposed convolution to the image: the CIFAR-10 conv model).",
        architecture=True,
    )
    g_conv_shape: tuple[int, ...] = _field(
        (10, 10, 80), "conv generator: height, width, channels of the reshaped last hidden layer.", architecture=True
    )
    g_conv_kernel: int = _field(5, "conv generator: kernel size of the transposed convolution.", lower=1,
                                architecture=True)
    g_conv_stride: int = _field(3, "conv generator: stride of the transposed convolution.", lower=1,
                                architecture=True)
    g_conv_untied_bias: bool = _field(
        False, "conv generator: a bias for every output pixel and channel, as the release's Deconv (tied_b: 0), "
        "instead of one per channel. Off for runs made before it existed.", architecture=True,
    )
    g_output_sparse_init: int = _field(
        0, "If > 0, the output layer starts with this many N(0, 1) nonzero weights per unit (the TFD release).", lower=0
    )
    g_hidden_units: tuple[int, ...] = _field((1200, 1200), "Generator hidden layer widths.", architecture=True)
    g_hidden_activations: tuple[str, ...] = _field(("relu", "relu"), "Generator hidden activations (relu, sigmoid).")
    g_hidden_biases: tuple[float, ...] = _field((0.0, 0.0), "Initial bias of each generator hidden layer.")
    g_added_units: tuple[int, ...] = _field(
        (),
        "Widths of layers added in front of G's hidden layers, named added0, added1, ... (TFD's second stage, "
        "the release's add_layers: 8000,100). The last one takes the noise's place as the first hidden layer's "
        "input, so with --init_generator_from it must equal the first stage's --noise_dim. Empty: none.",
        architecture=True,
    )
    g_added_activations: tuple[str, ...] = _field((), "Activation of each added generator layer (relu, sigmoid).")
    g_added_biases: tuple[float, ...] = _field((), "Initial bias of each added generator layer (TFD's bottleneck: -2).")
    init_generator_from: Optional[str] = _field(
        None,
        "A run folder (TFD's first stage, flags/tfd.cfg): a new run starts G's hidden and output layers at the "
        "weights of the same-named layers in that run's latest checkpoint; the --g_added_units layers and D start "
        "fresh. A run that resumes its own checkpoint does not read it.",
    )
    g_output_activation: str = _field("sigmoid", "Generator output activation.", choices=OUTPUT_ACTIVATIONS)
    g_irange: float = _field(0.05, "Generator weights start uniform in [-irange, irange].", lower=0.0)
    g_output_irange: float = _field(0.0, "Output layer weights start uniform in [-x, x] (0: g_irange).", lower=0.0)
    g_max_col_norm: float = _field(0.0, "Column-norm bound on generator weights (0: none).", lower=0.0)
    g_bias_from_marginals: bool = _field(
        True, "Start the sigmoid output bias at log(m / (1 - m)) of the training pixel means."
    )
    # The discriminator.
    d_architecture: str = _field(
        "mlp", "A name in keras_gan.architectures.DISCRIMINATORS: mlp (maxout layers) or conv (maxout convolution "
        "layers with max pooling, then maxout layers).", architecture=True,
    )
    d_conv_channels: tuple[int, ...] = _field((32, 32, 192), "conv discriminator: channels of each maxout convolution.",
                                              architecture=True)
    d_conv_pieces: int = _field(2, "conv discriminator: pieces per maxout convolution channel.", lower=1,
                                architecture=True)
    d_conv_kernels: tuple[int, ...] = _field((8, 8, 5), "conv discriminator: kernel size of each convolution.",
                                             architecture=True)
    d_conv_pads: tuple[int, ...] = _field((4, 3, 3), "conv discriminator: zero padding of each convolution.")
    d_conv_pool_sizes: tuple[int, ...] = _field((4, 4, 2), "conv discriminator: max-pool size after each convolution.")
    d_conv_pool_strides: tuple[int, ...] = _field((2, 2, 2),
                                                  "conv discriminator: max-pool stride after each convolution.")
    d_conv_pool_ceil: bool = _field(
        False, "conv discriminator: pooled maps round their size up, as the release's cuda-convnet pooling does "
        "(CIFAR-10: 16, 7, 5 and 4,800 inputs to the maxout layer; Keras' pooling rounds down: 15, 6, 4 and 3,072). "
        "Off for runs made before it existed.", architecture=True,
    )
    d_maxout_units: tuple[int, ...] = _field((240, 240), "Discriminator maxout layer widths.", architecture=True)
    d_num_pieces: int = _field(5, "Linear pieces per maxout unit.", lower=1, architecture=True)
    d_irange: float = _field(0.005, "Discriminator weights start uniform in [-irange, irange].", lower=0.0)
    d_max_col_norm: float = _field(0.0, "Column-norm bound on discriminator weights (0: none).", lower=0.0)
    d_input_include_prob: float = _field(0.8, "Dropout include probability on D's data input.", lower=0.0, upper=1.0)
    d_input_scale: float = _field(1.25, "Scale of kept values on D's data input.", lower=0.0)
    d_hidden_include_prob: float = _field(
        0.5, "Dropout include probability on the input of every other D layer.", lower=0.0, upper=1.0
    )
    d_hidden_scale: float = _field(2.0, "Scale of kept values on every other D layer's input.", lower=0.0)
    d_input_noise: float = _field(
        0.0,
        "Standard deviation of Gaussian noise added to D's input at training time, to the data and to G's samples "
        "alike (the release's AdversaryCost2 noise_both, 0 in its configs; instance noise). 0: none.",
        lower=0.0,
    )
    d_input_noise_anneal_updates: int = _field(
        0,
        "Not the release's: --d_input_noise falls linearly to 0 over this many updates and stays off (Sonderby et "
        "al. 2016's annealed instance noise). 0: constant, as the release's noise_both.",
        lower=0,
    )
    ema_decays: tuple[float, ...] = _field(
        (),
        "Keep exponential moving averages of G's weights with these decays (comma-separated, each in (0, 1); "
        "horizon about 1/(1 - decay) updates; Yazici et al. 2019, not the paper's). They never feed the game; "
        "the monitor, evaluate, figures and export can sample from them (--generator=ema_<decay> there).",
    )
    # The optimizer (SGD with classical momentum, one per player).
    learning_rate: float = _field(0.1, "Initial learning rate of both players.", lower=0.0)
    lr_decay_factor: float = _field(1.000004, "Learning rate divided by this after every update.", lower=1.0)
    min_lr: float = _field(1e-6, "Floor of the decayed learning rate.", lower=0.0)
    lr_drop_updates: tuple[int, ...] = _field(
        (),
        "Not the release's: after each of these update counts (comma-separated) the learning rate is also "
        "multiplied by --lr_drop_factor, on top of the decay. A resumed run can add one to reach the late, "
        "low-rate regime sooner.",
    )
    lr_drop_factor: float = _field(0.1, "Factor of each --lr_drop_updates drop.", lower=1e-9, upper=1.0)
    warmup_updates: int = _field(
        0,
        "Not the release's: the learning rate of --warmup_players rises linearly from 1/N of its scheduled value to "
        "all of it over the first N updates (0: no warm-up), to soften the early game in which D can win for good.",
        lower=0,
    )
    warmup_players: str = _field("both", "Whose learning rate --warmup_updates ramps.", choices=PLAYERS)
    initial_momentum: float = _field(0.5, "Momentum during epoch momentum_start.", lower=0.0, upper=0.999)
    final_momentum: float = _field(0.7, "Momentum from epoch momentum_saturate on.", lower=0.0, upper=0.999)
    momentum_start: int = _field(1, "Epoch at which the momentum starts rising.", lower=1)
    momentum_saturate: int = _field(250, "Epoch at which the momentum reaches final_momentum.", lower=2)
    # Monitoring and bookkeeping.
    log_every: int = _field(100, "Write scalars to TensorBoard every this many steps.", lower=1)
    health_every: int = _field(
        10,
        "The game's health metrics (both players' gradient norms, G's saturated share and spread) are means over "
        "the first update and every this many after it (1: every update, about 3% slower on 2 EPYC cores).",
        lower=1,
    )
    grid_size: int = _field(10, "Sample grids are grid_size x grid_size images.", lower=1)
    keep_checkpoints: int = _field(3, "How many of the latest checkpoints to keep.", lower=1)
    keep_every: int = _field(
        0,
        "Also keep the checkpoint of every this many epochs for good, in <workdir>/checkpoints/kept "
        "(evaluate --checkpoint=STEP reads them; 0: none).",
        lower=0,
    )
    parzen_every: int = _field(
        5,
        "Every this many epochs, the validation monitor: Table 1's Parzen protocol with the validation split in "
        "place of the test split, for G and each of its averages; the best is kept in <workdir>/best (0: never).",
        lower=0,
    )
    parzen_samples: int = _field(10000, "Generator samples (kernel centres) of the validation monitor.", lower=1)
    parzen_valid: int = _field(
        1000,
        "The monitor chooses sigma on the first this many validation images and scores the rest "
        "(all of them if there are no more).",
        lower=1,
    )
    parzen_sigma: float = _field(
        0.0, "The monitor's kernel width; 0: chosen from the paper's grid logspace(-1, 0, 10), as Table 1.", lower=0.0
    )
    monitor_quality: bool = _field(
        True,
        "MNIST: the validation monitor also measures sample quality in an MNIST classifier's feature space (Frechet "
        "distance, KID, precision/recall, density/coverage, classifier score) for G and each average, on the same "
        "samples against the validation digits. Ignored for other data sets.",
    )
    select_by: str = _field(
        "parzen",
        "The validation score <workdir>/best follows: parzen (the highest validation Parzen log-likelihood, the "
        "paper's measure) or fd (the lowest Frechet distance to the validation digits, which blur cannot win; "
        "needs --monitor_quality and MNIST). The other score's pick is kept too, in <workdir>/best_<score>.",
        choices=SELECTION,
    )
    early_stop_patience: int = _field(
        0,
        "Stop training when the --select_by score has not improved for this many validation monitor evaluations "
        "(0: never; the release's authors stopped on their validation Parzen score in development).",
        lower=0,
    )
    stop_when_discriminator_wins: bool = _field(
        False,
        "Not the release's: stop training when D has won the game (D(G(z)) below 1e-3 at 3 epoch ends in a row; no "
        "run in that state recovered, docs/seeds.md). The run keeps its checkpoints and picks, its status.json says "
        "discriminator_won, and running it again trains no further (unless this is turned off).",
    )
    jit_compile: bool = _field(True, "Compile the training step with XLA.")
    deterministic: bool = _field(
        False, "TensorFlow op determinism: with the same --seed, runs give bit-identical weights (slower on GPU)."
    )
    # Beyond one device.
    strategy: str = _field(
        "auto",
        "tf.distribute strategy: auto (mirrored when several GPUs are visible, else default), default, "
        "one_device, mirrored, multi_worker (reads TF_CONFIG) or tpu. --batch_size is the global batch.",
        choices=STRATEGIES,
    )
    tpu: str = _field("", "--strategy=tpu: the TPU's name or grpc:// address (empty: the local TPU).")
    num_cpu_devices: int = _field(
        0,
        "Split the CPU into this many logical devices (to try --strategy=mirrored without GPUs; 0: leave it).",
        lower=0,
    )
    mixed_precision: str = _field(
        "none",
        "Keras dtype policy: none (float32), mixed_float16 (with loss scaling) or mixed_bfloat16. "
        "The generator still outputs float32 images.",
        choices=MIXED_PRECISION,
    )

    def validate(self):
        """Raises `ConfigError` naming the first setting out of range."""
        for f in dataclasses.fields(self):
            value, meta = getattr(self, f.name), f.metadata
            if meta["choices"] and value not in meta["choices"]:
                raise ConfigError(f"--{f.name} must be one of {', '.join(meta['choices'])}; got {value!r}")
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                if not math.isfinite(value):
                    raise ConfigError(f"--{f.name} must be finite; got {value}")
                if meta["lower"] is not None and value < meta["lower"]:
                    raise ConfigError(f"--{f.name} must be >= {meta['lower']}; got {value}")
                if meta["upper"] is not None and value > meta["upper"]:
                    raise ConfigError(f"--{f.name} must be <= {meta['upper']}; got {value}")
        if not (len(self.g_hidden_units) == len(self.g_hidden_activations) == len(self.g_hidden_biases)):
            raise ConfigError(
                "--g_hidden_units, --g_hidden_activations and --g_hidden_biases must have the same "
                f"length; got {len(self.g_hidden_units)}, {len(self.g_hidden_activations)} and "
                f"{len(self.g_hidden_biases)}"
            )
        if not (len(self.g_added_units) == len(self.g_added_activations) == len(self.g_added_biases)):
            raise ConfigError(
                "--g_added_units, --g_added_activations and --g_added_biases must have the same length; got "
                f"{len(self.g_added_units)}, {len(self.g_added_activations)} and {len(self.g_added_biases)}"
            )
        if any(u < 1 for u in self.g_hidden_units + self.g_added_units + self.d_maxout_units):
            raise ConfigError("--g_hidden_units, --g_added_units and --d_maxout_units must be positive widths")
        for name in ("g_hidden_activations", "g_added_activations"):
            bad = set(getattr(self, name)) - set(HIDDEN_ACTIVATIONS)
            if bad:
                raise ConfigError(f"--{name} must be {' or '.join(HIDDEN_ACTIVATIONS)}; got {sorted(bad)}")
        for name in ("d_input_include_prob", "d_hidden_include_prob"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"--{name} must be in (0, 1]; got {getattr(self, name)}")
        if self.update == "simultaneous" and self.k_steps != 1:
            raise ConfigError(f"--update=simultaneous needs --k_steps=1; got --k_steps={self.k_steps}")
        if self.tfd_size not in (48, 96):
            raise ConfigError(f"--tfd_size must be 48 or 96; got {self.tfd_size}")
        if self.channels not in (1, 3):
            raise ConfigError(f"--channels must be 1 or 3; got {self.channels}")
        conv = (
            self.d_conv_channels,
            self.d_conv_kernels,
            self.d_conv_pads,
            self.d_conv_pool_sizes,
            self.d_conv_pool_strides,
        )
        if len({len(c) for c in conv}) != 1 or any(v < 1 for c in conv for v in c if c is not self.d_conv_pads):
            raise ConfigError(
                "--d_conv_channels, --d_conv_kernels, --d_conv_pads, --d_conv_pool_sizes and --d_conv_pool_strides "
                "must be lists of the same length with positive values"
            )
        if len(self.g_conv_shape) != 3 or min(self.g_conv_shape) < 1:
            raise ConfigError(f"--g_conv_shape must be height,width,channels; got {self.g_conv_shape}")
        if any(not 0.0 < d < 1.0 for d in self.ema_decays) or len(set(self.ema_decays)) != len(self.ema_decays):
            raise ConfigError(
                f"--ema_decays must be distinct values in (0, 1); got {','.join(map(str, self.ema_decays))}"
            )
        if any(u < 1 for u in self.lr_drop_updates):
            raise ConfigError(
                f"--lr_drop_updates must be positive update counts; got {','.join(map(str, self.lr_drop_updates))}"
            )
        if self.select_by == "fd" and not (self.monitor_quality and self.dataset == "mnist"):
            raise ConfigError("--select_by=fd needs the sample-quality monitor: --monitor_quality and "
                              f"--dataset=mnist; got --monitor_quality={self.monitor_quality}, "
                              f"--dataset={self.dataset}")
        if self.d_input_noise_anneal_updates and not self.d_input_noise:
            raise ConfigError("--d_input_noise_anneal_updates anneals D's input noise: it needs --d_input_noise > 0")
        if self.early_stop_patience and not self.parzen_every:
            raise ConfigError("--early_stop_patience counts validation monitor evaluations; it needs "
                              "--parzen_every > 0")
        if self.momentum_saturate <= self.momentum_start:
            raise ConfigError(
                f"--momentum_saturate must be after --momentum_start; got {self.momentum_saturate} "
                f"<= {self.momentum_start}"
            )
        return self

    def to_json(self):
        return json.dumps(dataclasses.asdict(self), indent=1, sort_keys=True)

    def architecture(self):
        """The settings that fix the shapes of the weights (the fields made with `architecture=True`): a
        checkpoint made under other values cannot be resumed."""
        return {f.name: list(v) if isinstance(v, tuple) else v
                for f in dataclasses.fields(self) if f.metadata["architecture"] for v in [getattr(self, f.name)]}


# How `python -m keras_gan.train --help` lists the settings: as a reader thinks of them. Every field of
# `Config` is in exactly one group (tests/test_config.py checks it, so a new field must be placed here).
FLAG_GROUPS = {
    "The data": (
        "dataset", "data_dir", "preprocess", "gaussian_mean", "gaussian_std", "tfd_fold", "tfd_split", "tfd_size",
        "image_size", "channels",
    ),
    "The generator G (and averages of its weights)": (
        "g_architecture", "g_hidden_units", "g_hidden_activations", "g_hidden_biases", "g_output_activation",
        "g_irange", "g_output_irange", "g_output_sparse_init", "g_max_col_norm", "g_bias_from_marginals",
        "g_conv_shape", "g_conv_kernel", "g_conv_stride", "g_conv_untied_bias", "g_added_units", "g_added_activations",
        "g_added_biases",
        "init_generator_from", "ema_decays",
    ),
    "The discriminator D": (
        "d_architecture", "d_maxout_units", "d_num_pieces", "d_irange", "d_max_col_norm", "d_input_include_prob",
        "d_input_scale", "d_hidden_include_prob", "d_hidden_scale", "d_conv_channels", "d_conv_pieces",
        "d_conv_kernels", "d_conv_pads", "d_conv_pool_sizes", "d_conv_pool_strides", "d_conv_pool_ceil",
        "d_input_noise", "d_input_noise_anneal_updates",
    ),
    "The game (Algorithm 1)": (
        "update", "k_steps", "batch_size", "generator_loss", "noise", "noise_dim", "conditional",
    ),
    "Schedules (SGD with momentum, one per player)": (
        "learning_rate", "lr_decay_factor", "min_lr", "lr_drop_updates", "lr_drop_factor", "initial_momentum",
        "final_momentum", "momentum_start", "momentum_saturate", "warmup_updates", "warmup_players",
    ),
    "Monitoring and selection": (
        "parzen_every", "parzen_samples", "parzen_valid", "parzen_sigma", "monitor_quality", "select_by",
        "early_stop_patience", "stop_when_discriminator_wins", "log_every", "health_every", "grid_size",
    ),
    "The run": (
        "seed", "epochs", "max_steps", "keep_checkpoints", "keep_every", "deterministic", "jit_compile", "strategy",
        "tpu", "num_cpu_devices", "mixed_precision",
    ),
}


def load_run_config(workdir):
    """The `Config` a run folder was trained with (its config.json)."""
    import os

    path = os.path.join(workdir, "config.json")
    if not os.path.exists(path):
        raise FileNotFoundError(f"--workdir {workdir}: no config.json (not a keras_gan run folder)")
    saved = read_json_object(path, "the run's settings")
    names = {f.name for f in dataclasses.fields(Config)}
    return Config(**{k: tuple(v) if isinstance(v, list) else v for k, v in saved.items() if k in names})


def read_json_object(path, what):
    """The JSON object in `path`; a `RunFolderError` naming the file when it
    cannot be read as one (cut short, garbled, not an object), saying it should
    hold `what`."""
    try:
        with open(path, "rb") as f:
            value = json.loads(f.read().decode("utf-8"))
    except ValueError as e:  # json's errors and a UnicodeDecodeError alike
        raise RunFolderError(f"{path} is damaged (not JSON: {str(e).splitlines()[0][:120]}); expected {what}") from None
    if not isinstance(value, dict):
        raise RunFolderError(f"{path} is damaged (JSON {type(value).__name__}, not an object); expected {what}")
    return value


def _list_type(field):
    """The element type of a list setting (a field annotated `tuple[int, ...]`), else None."""
    return typing.get_args(field.type)[0] if typing.get_origin(field.type) is tuple else None


def define_flags(flag_values=flags.FLAGS, exclude=(), only=None):
    """Defines one absl flag per `Config` field (skipping `exclude`; only those in `only`, if given), each a
    key flag of the module that calls this (so that its `--help` lists them): every command that takes a
    training setting (`evaluate`'s --dataset and --data_dir) takes it as training does."""
    for f in dataclasses.fields(Config):
        if f.name in exclude or (only is not None and f.name not in only):
            continue
        meta, default = f.metadata, f.default
        if meta["choices"]:
            flags.DEFINE_enum(f.name, default, meta["choices"], meta["help"], flag_values=flag_values)
        elif _list_type(f):
            flags.DEFINE_list(f.name, [str(v) for v in default], meta["help"], flag_values=flag_values)
        elif isinstance(default, bool):
            flags.DEFINE_bool(f.name, default, meta["help"], flag_values=flag_values)
        elif isinstance(default, (int, float)):
            define = flags.DEFINE_integer if isinstance(default, int) else flags.DEFINE_float
            define(f.name, default, meta["help"], lower_bound=meta["lower"], upper_bound=meta["upper"],
                   flag_values=flag_values)
        else:
            flags.DEFINE_string(f.name, default, meta["help"], flag_values=flag_values)


def parse_args(*args):
    """The validated `Config` that `python -m keras_gan.train` builds from the command-line arguments `args`
    (e.g. "--flagfile=flags/tfd.cfg", "--seed=1"), parsed into flags of their own, not absl's global ones."""
    flag_values = flags.FlagValues()
    define_flags(flag_values)
    flag_values(["keras_gan.train", *args])
    return from_flags(flag_values)


def from_flags(flag_values=flags.FLAGS):
    """Builds and validates a `Config` from parsed flags."""
    values = {}
    for f in dataclasses.fields(Config):
        if f.name not in flag_values:
            continue
        value, element = flag_values[f.name].value, _list_type(f)
        if element:
            try:
                value = tuple(element(v) for v in value)
            except ValueError:
                raise ConfigError(
                    f"--{f.name} must be a comma-separated list of {element.__name__}; got {','.join(value)}"
                ) from None
        values[f.name] = value
    return Config(**values).validate()
