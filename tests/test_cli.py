"""What the commands share: --help lists every setting (grouped for training), with its default."""

import dataclasses
import os
import re
import subprocess
import sys

import pytest

from keras_gan import config

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def help_text(command):
    out = subprocess.run([sys.executable, "-m", command, "--help"], capture_output=True, text=True, cwd=REPO)
    return out.stdout


def test_train_help_lists_every_setting_by_group_with_its_default():
    text = help_text("keras_gan.train")
    for name in ("learning_rate", "ema_decays", "update"):
        assert re.search(rf"--{name}: .*?\(default: '[^']*'", text, re.S), name
    assert re.search(r"--learning_rate: [^\n]*\n\s+\(default: '0\.1'", text)
    assert re.search(r"--update: <alternating\|simultaneous>: .*?\(default: 'alternating'\)", text, re.S)
    flags_listed = re.findall(r"^  --(?:\[no\])?(\w+):", text, re.M)
    assert sorted(flags_listed) == sorted([f.name for f in dataclasses.fields(config.Config)] + ["workdir"])
    titles = [t for t in re.findall(r"^(\S[^\n]*):$", text, re.M) if t in config.FLAG_GROUPS]
    assert titles == list(config.FLAG_GROUPS), "the groups in the order a reader thinks of them"
    words = " ".join(text.split())
    assert "(default: runs/<dataset> in the current folder" in words and "An existing run there is resumed" in words
    assert "--verbosity" not in text  # absl's own flags stay in --helpfull


@pytest.mark.parametrize("command,expected", [
    ("keras_gan.evaluate", ("workdir", "checkpoint", "generator", "method", "ais_steps", "num_samples")),
    ("keras_gan.export", ("workdir", "checkpoint", "generator", "output")),
    ("keras_gan.figures", ("workdir", "checkpoint", "generator", "rows", "cols", "min_width")),
    ("keras_gan.inference", ("workdir", "checkpoint", "generator", "steps")),
])
def test_every_command_lists_its_settings(command, expected):
    text = help_text(command)
    listed = set(re.findall(r"^  --(?:\[no\])?(\w+):", text, re.M))
    assert set(expected) <= listed, sorted(set(expected) - listed)
    assert re.search(r"--checkpoint: .*?\(default: 'latest'\)", text, re.S)
