"""The package's floors: who may import whom (read from the source with `ast`, nothing imported); and its
extension point for the players: an architecture registered from outside the package trains."""

import ast
import pathlib

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "keras_gan"


def _module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path):
    """The keras_gan modules `path` imports anywhere in its body (function-level imports included)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("keras_gan"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            if not base.startswith("keras_gan"):
                continue
            for alias in node.names:  # `from keras_gan import data` names a module; `from x import f` names x
                candidate = f"{base}.{alias.name}"
                found.add(candidate if _exists(candidate) else base)
    found.discard(name)
    return found


def _exists(module):
    relative = pathlib.Path(*module.split(".")[1:])
    return (PACKAGE / relative).with_suffix(".py").exists() or (PACKAGE / relative / "__init__.py").exists()


def _graph():
    return {_module_name(p): _imports(p) for p in PACKAGE.rglob("*.py")}


def test_the_graph_is_read():
    graph = _graph()
    # Spot checks that the reader sees module-level imports, imports inside a function (evaluate.main
    # imports cli), `from package import module` and `from module import name`.
    assert "keras_gan.experiment" in graph["keras_gan.train_lib"]
    assert "keras_gan.cli" in graph["keras_gan.evaluate"]
    assert "keras_gan.data.base" in graph["keras_gan.data.mnist"]
    assert "keras_gan.errors" in graph["keras_gan.cli"]


def test_no_import_circle():
    graph = _graph()
    state = {}

    def visit(module, stack):
        state[module] = "open"
        for target in sorted(graph.get(module, ())):
            if state.get(target) == "open":
                cycle = stack[stack.index(target):] + [target]
                raise AssertionError("import circle: " + " -> ".join(cycle))
            if target not in state:
                visit(target, stack + [target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])


def test_only_the_command_imports_the_loop():
    importers = {m for m, targets in _graph().items() if "keras_gan.train_lib" in targets}
    assert importers == {"keras_gan.train"}


def test_train_and_evaluate_reads_in_under_100_lines():
    tree = ast.parse((PACKAGE / "train_lib.py").read_text())
    (function,) = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "train_and_evaluate"]
    assert function.end_lineno - function.lineno + 1 < 100


def test_an_architecture_registered_outside_the_package_trains_by_its_name(tiny_config, tmp_path, monkeypatch):
    """A new architecture is a model and one entry in `architectures`' tables: this G and this D, registered
    from this file, train a step through `train_and_evaluate` (with an average of G) and export."""
    import dataclasses
    import math

    import keras
    import tensorflow as tf

    from keras_gan import architectures, train_lib

    class ToyGenerator(keras.Model):
        """One sigmoid layer from the noise to the pixels."""

        def __init__(self, image_shape, **kwargs):
            super().__init__(**kwargs)
            self.image_shape = tuple(image_shape)  # the package reads it (sample grids, the export)
            self.out = keras.layers.Dense(math.prod(self.image_shape), activation="sigmoid")

        def call(self, z, training=False):
            return keras.ops.reshape(self.out(z), (-1, *self.image_shape))

        def get_config(self):  # the averages of G are copies made from it
            return {**super().get_config(), "image_shape": self.image_shape}

    class ToyDiscriminator(keras.Model):
        """One logit of the flattened image."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.out = keras.layers.Dense(1)

        def call(self, x, condition=None, training=False):
            return self.out(keras.ops.reshape(x, (keras.ops.shape(x)[0], -1)))

    monkeypatch.setitem(architectures.GENERATORS, "toy",
                        lambda config, image_shape: ToyGenerator(image_shape, name="generator"))
    monkeypatch.setitem(architectures.DISCRIMINATORS, "toy",
                        lambda config, image_shape: ToyDiscriminator(name="discriminator"))
    cfg = dataclasses.replace(tiny_config, g_architecture="toy", d_architecture="toy", g_bias_from_marginals=False,
                              max_steps=1, parzen_every=0, ema_decays=(0.9,))
    result = train_lib.train_and_evaluate(cfg, str(tmp_path / "run"), verbose=0)
    assert result.step == 1 and all(math.isfinite(v) for v in result.metrics.values())
    exported = tf.saved_model.load(result.export_path)  # held: its variables die with it
    assert exported.sample(2)["images"].shape == (2, 28, 28, 1)
