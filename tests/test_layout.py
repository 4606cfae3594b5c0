"""The package's floors: who may import whom (read from the source with `ast`, nothing imported)."""

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
