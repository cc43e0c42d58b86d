"""docs/embedding.md's Python example runs as written, from the repository's root."""
import contextlib
import io
import os
import re

from conftest import REPOSITORY


def test_the_example_runs(monkeypatch):
    with open(os.path.join(REPOSITORY, "docs", "embedding.md")) as f:
        text = f.read()
    example = re.search(r"^```python\n(.*?)^```$", text, re.S | re.M).group(1)
    monkeypatch.chdir(REPOSITORY)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(example, "docs/embedding.md", "exec"), {})
    lines = printed.getvalue().splitlines()
    assert lines[0] == "64 models/e1_simplernn.h5 takes windows of any length; give recur_session_init a window"
    assert re.fullmatch(r"\d+\.\d+\.\d+", lines[1])
