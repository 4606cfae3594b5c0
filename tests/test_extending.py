"""docs/extending.md: every block of code on the page runs as it is written and does what the page says
(the data set and the metric in a copy of the package, through the commands)."""

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import tensorflow as tf

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGE = os.path.join(REPO, "docs", "extending.md")


def page():
    with open(PAGE, encoding="utf-8") as f:
        return f.read()


def block(name):
    """The code between the page's `<!-- extending: name -->` markers."""
    match = re.search(rf"<!-- extending: {name} -->\n```python\n(.*?)```\n<!-- /extending -->", page(), re.S)
    assert match, f"docs/extending.md has no {name} block"
    return match.group(1)


def run(code):
    namespace = {"__name__": "extending"}
    exec(compile(code, PAGE, "exec"), namespace)
    return namespace


def edit(path, old, new):
    """Replaces the one `old` in `path` (the test fails if the package no longer has it)."""
    text = path.read_text()
    assert text.count(old) == 1, (path, old)
    path.write_text(text.replace(old, new))


def command(root, module, *args):
    out = subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, cwd=root,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def test_a_data_set_and_a_metric_added_as_the_page_says_work_through_the_commands(tmp_path):
    """The page's new modules, and its one-line registrations applied to a copy of the package: train trains
    on the new data set and evaluate scores the run with the new method."""
    text = " ".join(page().split())
    registrations = ('`"stripes"` in `DATASETS`', "`from keras_gan.data.stripes import load_stripes`",
                     '`if config.dataset == "stripes": return load_stripes(seed=config.seed)`',
                     '`"stripes": (8, 8, 1)`')
    assert all(r in text for r in registrations)
    root = tmp_path / "repo"
    shutil.copytree(os.path.join(REPO, "keras_gan"), root / "keras_gan", ignore=shutil.ignore_patterns("__pycache__"))
    package = root / "keras_gan"
    (package / "data" / "stripes.py").write_text(block("data"))
    edit(package / "config.py", 'DATASETS = ("mnist", "tfd", "cifar10", "folder", "gaussian1d")',
         'DATASETS = ("mnist", "tfd", "cifar10", "folder", "gaussian1d", "stripes")')
    edit(package / "data" / "__init__.py", "from keras_gan.data.folder import load_folder\n",
         "from keras_gan.data.folder import load_folder\nfrom keras_gan.data.stripes import load_stripes\n")
    edit(package / "data" / "__init__.py", '    """Loads `config.dataset` into memory as `Splits`."""\n',
         '    """Loads `config.dataset` into memory as `Splits`."""\n'
         '    if config.dataset == "stripes":\n        return load_stripes(seed=config.seed)\n')
    edit(package / "data" / "__init__.py", '"mnist": (28, 28, 1),', '"mnist": (28, 28, 1), "stripes": (8, 8, 1),')
    (package / "evaluation" / "mean_image.py").write_text(block("metric"))
    edit(package / "evaluate.py", 'METHODS = {"parzen": parzen, "quality": quality, "ais": ais}\n',
         block("metric-command"))

    workdir = tmp_path / "run"
    command(root, "keras_gan.train", "--dataset=stripes", f"--workdir={workdir}", "--batch_size=20", "--max_steps=2",
            "--parzen_every=0", "--g_hidden_units=16,16", "--d_maxout_units=8,8", "--d_num_pieces=2",
            "--noise_dim=4", "--nojit_compile")
    out = command(root, "keras_gan.evaluate", f"--workdir={workdir}", "--method=mean_image", "--num_samples=50")
    result = json.loads((workdir / "mean_image.json").read_text())
    assert result["generator"] == "generator" and result["checkpoint_step"] == 2 and result["distance"] > 0
    assert f"generator: mean image {result['distance']:.3f} from the test images' mean" in out


def test_an_architecture_registered_as_the_page_shows_trains_by_its_name(tiny_config, tmp_path, monkeypatch):
    from keras_gan import architectures, train_lib

    monkeypatch.setattr(architectures, "GENERATORS", dict(architectures.GENERATORS))  # the block's entry is undone
    run(block("architecture"))
    cfg = dataclasses.replace(tiny_config, g_architecture="dense", g_bias_from_marginals=False, max_steps=1,
                              parzen_every=0, ema_decays=(0.9,))
    assert type(architectures.build_generator(cfg, (28, 28, 1))).__name__ == "DenseGenerator"
    result = train_lib.train_and_evaluate(cfg, str(tmp_path / "run"), verbose=0)
    assert result.step == 1 and all(np.isfinite(v) for v in result.metrics.values())


def test_the_trick_adds_its_penalty_to_d_loss_under_both_update_rules():
    """A step's d_loss is D's loss before the step's update: the penalised GAN's exceeds the plain one's by
    the penalty, with the same seeds, under Algorithm 1 and under the release's simultaneous update."""
    import keras_gan
    from keras_gan.optimizers import MomentumSGD

    r1_gan = run(block("trick"))["R1GAN"]
    real = tf.constant(np.random.default_rng(0).uniform(size=(16, 4, 4, 1)).astype("float32"))
    for update in ("alternating", "simultaneous"):
        d_loss = {}
        for cls in (keras_gan.GAN, r1_gan):
            generator = keras_gan.Generator(image_shape=(4, 4, 1), hidden_units=(16,), hidden_activations=("relu",),
                                            seed=1)
            discriminator = keras_gan.Discriminator(maxout_units=(8,), num_pieces=2, irange=0.5, seed=2)
            gan = cls(generator, discriminator, noise_dim=3, seed=3)
            gan.compile(MomentumSGD(0.05, 0.5), MomentumSGD(0.05, 0.5), update=update)
            gan.build()
            gan.build_optimizers()
            d_loss[cls] = float(gan.train_step(real)["d_loss"])
        assert d_loss[r1_gan] > d_loss[keras_gan.GAN] + 1e-3, (update, d_loss)
        history = gan.fit(real, batch_size=8, epochs=1, verbose=0)  # compiled, under `fit`
        assert np.isfinite(history.history["d_loss"][0])
