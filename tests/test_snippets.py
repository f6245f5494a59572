"""The code users paste: the README's Python blocks and the docs' self-contained snippets run as written."""

import re
import warnings
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _markdown_blocks(path):
    return re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.S)


def _rst_blocks(path):
    """The ``.. code-block:: python`` blocks of a reStructuredText page, dedented."""
    blocks, lines = [], path.read_text().splitlines()
    for i, line in enumerate(lines):
        if line.strip() == ".. code-block:: python":
            body = []
            for text in lines[i + 1 :]:
                if text.strip() and not text.startswith("   "):
                    break
                body.append(text[3:])
            blocks.append("\n".join(body).strip() + "\n")
    return blocks


SNIPPETS = [
    *[("README.md", i, code) for i, code in enumerate(_markdown_blocks(ROOT / "README.md"))],
    *[("docs/index.rst", i, code) for i, code in enumerate(_rst_blocks(ROOT / "docs" / "index.rst"))],
    *[
        (f"docs/user_guide/{name}", i, code)
        for name in ("convolutional.rst",)
        for i, code in enumerate(_rst_blocks(ROOT / "docs" / "user_guide" / name))
    ],
]


def test_there_are_snippets_to_run():
    assert {path for path, _, _ in SNIPPETS} == {"README.md", "docs/index.rst", "docs/user_guide/convolutional.rst"}


@pytest.mark.parametrize("path, index, code", SNIPPETS, ids=[f"{p}-{i}" for p, i, _ in SNIPPETS])
def test_snippet_runs_as_written(path, index, code):
    namespace = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a ConvergenceWarning is not a broken snippet
        exec(compile(code, f"{path} block {index}", "exec"), namespace)
    # What the quick starts promise in their comments.
    if "codes" in namespace and "unusual" in namespace:
        assert namespace["codes"].shape == (1347, 10)
        assert namespace["X_back"].shape == namespace["X"].shape
        assert namespace["unusual"].shape == (len(namespace["X_new"]),)
        assert np.isfinite(namespace["unusual"]).all()
