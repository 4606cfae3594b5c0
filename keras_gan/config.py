"""An experiment's settings: one dataclass, from which the absl flags are made.

Every field is a flag of the same name (`python -m keras_gan.train --help`);
the experiment files in `flags/` set them. Library code takes a `Config` and
never reads flags, so tests build one directly.
"""

import dataclasses
import json
import math
from typing import Optional

from absl import flags


class ConfigError(ValueError):
    """A setting a user gave is out of range; the message names the flag."""


def _field(default, help, lower=None, upper=None, choices=None):
    return dataclasses.field(
        default=default,
        metadata={"help": help, "lower": lower, "upper": upper, "choices": choices},
    )


@dataclasses.dataclass
class Config:
    # The experiment.
    dataset: str = _field("mnist", "Data set to train on.", choices=("mnist",))
    data_dir: Optional[str] = _field(
        None,
        "Folder with the data set's own files (MNIST: the four IDX .gz files). "
        "Without it the data comes from tensorflow-datasets, which downloads.",
    )
    seed: int = _field(0, "Seed for weights, data order, noise and dropout.", lower=0)
    epochs: int = _field(100, "Epochs to train (one epoch = one pass over the training split).", lower=1)
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
        choices=("alternating", "simultaneous"),
    )
    generator_loss: str = _field(
        "non_saturating",
        "non_saturating: G maximizes log D(G(z)) (section 3, the release). minimax: G "
        "minimizes log(1 - D(G(z))) (Eq. 1).",
        choices=("non_saturating", "minimax"),
    )
    noise: str = _field(
        "uniform",
        "Noise prior p_z: uniform is U(-sqrt(3), sqrt(3)) per coordinate, gaussian is N(0, 1).",
        choices=("uniform", "gaussian"),
    )
    noise_dim: int = _field(100, "Dimension of the noise z.", lower=1)
    # The generator.
    g_hidden_units: tuple = _field((1200, 1200), "Generator hidden layer widths.")
    g_hidden_activations: tuple = _field(("relu", "relu"), "Generator hidden activations (relu, sigmoid).")
    g_hidden_biases: tuple = _field((0.0, 0.0), "Initial bias of each generator hidden layer.")
    g_output_activation: str = _field(
        "sigmoid", "Generator output activation.", choices=("sigmoid", "linear")
    )
    g_irange: float = _field(0.05, "Generator weights start uniform in [-irange, irange].", lower=0.0)
    g_max_col_norm: float = _field(0.0, "Column-norm bound on generator weights (0: none).", lower=0.0)
    g_bias_from_marginals: bool = _field(
        True, "Start the sigmoid output bias at log(m / (1 - m)) of the training pixel means."
    )
    # The discriminator.
    d_maxout_units: tuple = _field((240, 240), "Discriminator maxout layer widths.")
    d_num_pieces: int = _field(5, "Linear pieces per maxout unit.", lower=1)
    d_irange: float = _field(0.005, "Discriminator weights start uniform in [-irange, irange].", lower=0.0)
    d_max_col_norm: float = _field(0.0, "Column-norm bound on discriminator weights (0: none).", lower=0.0)
    d_input_include_prob: float = _field(0.8, "Dropout include probability on D's data input.", lower=0.0, upper=1.0)
    d_input_scale: float = _field(1.25, "Scale of kept values on D's data input.", lower=0.0)
    d_hidden_include_prob: float = _field(
        0.5, "Dropout include probability on the input of every other D layer.", lower=0.0, upper=1.0
    )
    d_hidden_scale: float = _field(2.0, "Scale of kept values on every other D layer's input.", lower=0.0)
    # The optimizer (SGD with classical momentum, one per player).
    learning_rate: float = _field(0.1, "Initial learning rate of both players.", lower=0.0)
    lr_decay_factor: float = _field(
        1.000004, "Learning rate divided by this after every update.", lower=1.0
    )
    min_lr: float = _field(1e-6, "Floor of the decayed learning rate.", lower=0.0)
    initial_momentum: float = _field(0.5, "Momentum during epoch momentum_start.", lower=0.0, upper=0.999)
    final_momentum: float = _field(0.7, "Momentum from epoch momentum_saturate on.", lower=0.0, upper=0.999)
    momentum_start: int = _field(1, "Epoch at which the momentum starts rising.", lower=1)
    momentum_saturate: int = _field(250, "Epoch at which the momentum reaches final_momentum.", lower=2)
    # Monitoring and bookkeeping.
    log_every: int = _field(100, "Write scalars to TensorBoard every this many steps.", lower=1)
    grid_size: int = _field(10, "Sample grids are grid_size x grid_size images.", lower=1)
    keep_checkpoints: int = _field(3, "How many checkpoints to keep.", lower=1)
    parzen_every: int = _field(
        0, "Every this many epochs, a quick Parzen estimate on the validation split (0: never).", lower=0
    )
    parzen_samples: int = _field(1000, "Generator samples for the in-training Parzen estimate.", lower=1)
    parzen_valid: int = _field(1000, "Validation images for the in-training Parzen estimate.", lower=1)
    parzen_sigma: float = _field(0.2, "Kernel width of the in-training Parzen estimate.", lower=0.0)
    jit_compile: bool = _field(False, "Compile the training step with XLA.")

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
        if any(u < 1 for u in self.g_hidden_units + self.d_maxout_units):
            raise ConfigError("--g_hidden_units and --d_maxout_units must be positive widths")
        bad = set(self.g_hidden_activations) - {"relu", "sigmoid"}
        if bad:
            raise ConfigError(f"--g_hidden_activations must be relu or sigmoid; got {sorted(bad)}")
        for name in ("d_input_include_prob", "d_hidden_include_prob"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"--{name} must be in (0, 1]; got {getattr(self, name)}")
        if self.update == "simultaneous" and self.k_steps != 1:
            raise ConfigError(f"--update=simultaneous needs --k_steps=1; got --k_steps={self.k_steps}")
        if self.momentum_saturate <= self.momentum_start:
            raise ConfigError(
                f"--momentum_saturate must be after --momentum_start; got {self.momentum_saturate} "
                f"<= {self.momentum_start}"
            )
        return self

    def to_json(self):
        return json.dumps(dataclasses.asdict(self), indent=1, sort_keys=True)

    def architecture(self):
        """The settings that fix the shapes of the weights: a checkpoint made
        under other values cannot be resumed."""
        names = ("dataset", "noise_dim", "g_hidden_units", "d_maxout_units", "d_num_pieces")
        return {n: list(v) if isinstance(v, tuple) else v for n in names for v in [getattr(self, n)]}


def load_run_config(workdir):
    """The `Config` a run folder was trained with (its config.json)."""
    import os

    path = os.path.join(workdir, "config.json")
    if not os.path.exists(path):
        raise FileNotFoundError(f"--workdir {workdir}: no config.json (not a keras_gan run folder)")
    with open(path) as f:
        saved = json.load(f)
    names = {f.name for f in dataclasses.fields(Config)}
    return Config(**{k: tuple(v) if isinstance(v, list) else v for k, v in saved.items() if k in names})


_LIST_TYPES = {"g_hidden_units": int, "d_maxout_units": int, "g_hidden_biases": float, "g_hidden_activations": str}


def define_flags(flag_values=flags.FLAGS, exclude=()):
    """Defines one absl flag per `Config` field (skipping `exclude`)."""
    for f in dataclasses.fields(Config):
        if f.name in exclude:
            continue
        meta, default = f.metadata, f.default
        if meta["choices"]:
            flags.DEFINE_enum(f.name, default, meta["choices"], meta["help"], flag_values=flag_values)
        elif f.name in _LIST_TYPES:
            flags.DEFINE_list(f.name, [str(v) for v in default], meta["help"], flag_values=flag_values)
        elif isinstance(default, bool):
            flags.DEFINE_bool(f.name, default, meta["help"], flag_values=flag_values)
        elif isinstance(default, int):
            flags.DEFINE_integer(f.name, default, meta["help"], lower_bound=meta["lower"], upper_bound=meta["upper"], flag_values=flag_values)
        elif isinstance(default, float):
            flags.DEFINE_float(f.name, default, meta["help"], lower_bound=meta["lower"], upper_bound=meta["upper"], flag_values=flag_values)
        else:
            flags.DEFINE_string(f.name, default, meta["help"], flag_values=flag_values)


def from_flags(flag_values=flags.FLAGS):
    """Builds and validates a `Config` from parsed flags."""
    values = {}
    for f in dataclasses.fields(Config):
        if f.name not in flag_values:
            continue
        value = flag_values[f.name].value
        if f.name in _LIST_TYPES:
            try:
                value = tuple(_LIST_TYPES[f.name](v) for v in value)
            except ValueError:
                raise ConfigError(f"--{f.name} must be a comma-separated list of {_LIST_TYPES[f.name].__name__}; got {','.join(value)}") from None
        values[f.name] = value
    return Config(**values).validate()
