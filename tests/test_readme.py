"""The front door: README.md's Python API block runs as it is written, and its pages hold together."""

import os
import re

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.path.join(REPO, "README.md")
DOCS = os.path.join(REPO, "docs")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def python_api_block():
    """The code between README's `<!-- python-api -->` markers."""
    match = re.search(r"<!-- python-api -->\n```python\n(.*?)```\n<!-- /python-api -->", read(README), re.S)
    assert match, "README.md has no Python API block between <!-- python-api --> markers"
    return match.group(1)


def run_block(mnist_dir, epochs):
    """The block on the tiny MNIST of conftest (200 training digits: 2 steps an epoch) for `epochs`."""
    code = python_api_block()
    for wanted in ('"../shared/data/mnist"', "epochs=80"):
        assert code.count(wanted) == 1, f"the test replaces {wanted} in the README's block"
    code = code.replace('"../shared/data/mnist"', repr(mnist_dir)).replace("epochs=80", f"epochs={epochs}")
    exec(compile(code, README, "exec"), {"__name__": "readme"})


def test_the_python_api_block_trains_monitors_checkpoints_resumes_and_scores(mnist_dir, tmp_path, monkeypatch,
                                                                            capsys, read_events):
    monkeypatch.chdir(tmp_path)
    run_block(mnist_dir, epochs=2)
    out = capsys.readouterr().out
    workdir = tmp_path / "runs" / "python_api"
    assert os.path.exists(workdir / "checkpoints" / "ckpt-4.index")
    assert os.path.exists(workdir / "best" / "best.json")
    scalars, strings = read_events(str(workdir))
    assert {"samples", "samples/ema_0.9999"} <= strings
    assert [s for s, _ in scalars["parzen/valid_log_likelihood_ema_0.9999"]] == [4]
    assert re.search(r"Parzen log-likelihood of the test digits: -?\d+\.\d \+- \d+\.\d", out), out[-2000:]
    assert [s for s, _ in scalars["quality/valid_fd_ema_0.9999"]] == [4]
    assert re.search(r"Frechet distance \d+\.\d\d, precision [01]\.\d{3}, recall [01]\.\d{3}", out), out[-2000:]
    run_block(mnist_dir, epochs=3)  # the same block again resumes the run in workdir
    out = capsys.readouterr().out
    assert "Resuming from runs/python_api/checkpoints/ckpt-4 at step 4" in out
    assert os.path.exists(workdir / "checkpoints" / "ckpt-6.index")


def test_the_readme_is_a_front_page():
    text = read(README)
    assert len(text.splitlines()) <= 300
    sections = re.findall(r"^## (.+)$", text, re.M)
    assert sections == ["Quick start", "Table 1, MNIST", "Commands", "Python API", "Layout", "More"]
    assert "pip install -e . && bash scripts/reproduce_table1.sh ../shared/data/mnist runs/table1" in text
    assert "pip install -e '.[test]' && python -m pytest -q -n auto tests" in text
    # The seed distribution row, in the form `K of N seeds >= 223` with N >= 10 measured seeds.
    found = re.search(r"\*\*(\d+) of (\d+) seeds >= 223\*\*", text)
    assert found and int(found.group(2)) >= 10 and int(found.group(1)) <= int(found.group(2)), "the seed row"


@pytest.mark.parametrize("page", ["README.md", *sorted(f"docs/{n}" for n in os.listdir(DOCS) if n.endswith(".md"))])
def test_every_page_links_and_shows_what_exists(page):
    text = read(os.path.join(REPO, page))
    assert "issue" not in text.lower()
    here = os.path.dirname(os.path.join(REPO, page))
    prose = re.sub(r"`[^`]*`", "", re.sub(r"```.*?```", "", text, flags=re.S))
    for target in re.findall(r"\]\(([^)#]+)\)", prose):
        if not target.startswith("http"):
            assert os.path.exists(os.path.join(here, target)), f"{page} links to {target}, which does not exist"
