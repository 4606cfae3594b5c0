"""Settings: every experiment file parses, the defaults are the paper's MNIST
experiment, and each list of allowed values has one owner."""

import ast
import dataclasses
import glob
import os

import pytest

from keras_gan import config

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FLAGFILES = sorted(glob.glob(os.path.join(REPO, "flags", "*.cfg")))


@pytest.mark.parametrize("path", FLAGFILES, ids=os.path.basename)
def test_every_flagfile_parses_into_a_valid_config(path, parse_flags):
    cfg = parse_flags(f"--flagfile={path}")
    assert cfg.validate() is cfg


def test_the_defaults_are_the_mnist_experiment(parse_flags):
    assert len(FLAGFILES) >= 8
    assert parse_flags("--flagfile=flags/mnist.cfg") == config.Config()


def test_an_experiment_file_changes_what_it_says(parse_flags):
    tfd = parse_flags("--flagfile=flags/tfd.cfg")
    differ = {f.name for f in dataclasses.fields(config.Config)
              if getattr(tfd, f.name) != getattr(config.Config(), f.name)}
    assert {"dataset", "g_hidden_units", "d_maxout_units", "learning_rate", "noise"} <= differ


def test_bad_values_name_the_flag():
    with pytest.raises(config.ConfigError, match="--ema_decays must be distinct values in"):
        config.Config(ema_decays=(0.999, 1.0)).validate()
    with pytest.raises(config.ConfigError, match="--lr_drop_updates must be positive"):
        config.Config(lr_drop_updates=(0,)).validate()
    with pytest.raises(config.ConfigError, match="--noise must be one of uniform, gaussian"):
        config.Config(noise="cauchy").validate()
    with pytest.raises(config.ConfigError, match="--d_input_noise_anneal_updates .* needs --d_input_noise > 0"):
        config.Config(d_input_noise_anneal_updates=1000).validate()


CHOICE_LISTS = ("DATASETS", "UPDATES", "NOISE_DISTRIBUTIONS", "STRATEGIES", "PREPROCESSING", "GENERATOR_LOSSES",
                "MIXED_PRECISION", "TFD_SPLITS")


def test_each_choice_list_is_defined_once():
    """The allowed values live in config.py (the architectures' names in architectures.py's tables); the modules
    that check them import them instead of spelling them out again."""
    from keras_gan import architectures

    lists = [getattr(config, name) for name in CHOICE_LISTS] + [tuple(architectures.GENERATORS),
                                                                tuple(architectures.DISCRIMINATORS)]
    for path in glob.glob(os.path.join(REPO, "keras_gan", "**", "*.py"), recursive=True):
        if path.endswith(os.path.join("keras_gan", "config.py")):
            continue
        for node in ast.walk(ast.parse(open(path).read())):
            if isinstance(node, (ast.Tuple, ast.List)) and node.elts and all(
                    isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
                assert tuple(e.value for e in node.elts) not in lists, (path, node.lineno)


def test_generator_losses_match_their_choice_list():
    from keras_gan import losses

    assert tuple(losses.GENERATOR_LOSSES) == config.GENERATOR_LOSSES


def test_every_setting_is_in_exactly_one_help_group():
    """`python -m keras_gan.train --help` lists the settings by group: a new field must be given one."""
    placed = [name for names in config.FLAG_GROUPS.values() for name in names]
    fields = [f.name for f in dataclasses.fields(config.Config)]
    assert sorted(set(fields) - set(placed)) == [], "Config fields in no FLAG_GROUPS group"
    assert sorted(set(placed) - set(fields)) == [], "FLAG_GROUPS names that are not Config fields"
    assert sorted(placed) == sorted(fields), "a field in two groups"


def test_every_list_setting_names_its_element_type():
    """A tuple field is a comma-separated flag of its annotation's element type (`tuple[int, ...]`)."""
    import typing

    for f in dataclasses.fields(config.Config):
        if isinstance(f.default, tuple):
            assert typing.get_origin(f.type) is tuple and typing.get_args(f.type)[1:] == (...,), f.name
    cfg = config.Config(g_hidden_units=(8, 4), ema_decays=(0.5,))
    assert cfg.architecture()["g_hidden_units"] == [8, 4] and "ema_decays" not in cfg.architecture()
