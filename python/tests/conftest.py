"""Where the tests find the repository's fixtures, the `recur` binary and the shared Keras
fixtures (beside the checkout, as tools/test.sh finds them)."""
import os
import subprocess

import numpy as np
import pytest

REPOSITORY = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(REPOSITORY, "Tests", "Fixtures")
SHARED = os.path.join(os.path.dirname(REPOSITORY), "shared", "keras-fixtures")
RECUR = os.path.join(REPOSITORY, ".build", "release", "recur")


def path(*parts):
    return os.path.join(REPOSITORY, *parts)


def io_files(folder):
    """Every NAME.io.h5 under folder (but the hand-written minimal/ ones), sorted."""
    found = []
    for root, directories, files in os.walk(folder):
        directories[:] = [d for d in directories if d != "minimal"]
        found += [os.path.join(root, name) for name in files if name.endswith(".io.h5")]
    return sorted(found)


def run_recur(arguments, text):
    """`recur ARGUMENTS` with `text` on standard input; its standard output."""
    result = subprocess.run([RECUR] + arguments, input=text, capture_output=True, text=True,
                            env=dict(os.environ, RECUR_NO_PREFLIGHT="1"), timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def parse_lines(text):
    """recur's output lines as float32 rows (%.9g parses back to the same bits)."""
    return np.array([[np.float32(v) for v in line.split(",")] for line in text.splitlines() if line], dtype=np.float32)


def worst_error(got, want):
    """The worst |got - want| / (1e-5 * max(|want|, 1)): the tolerance of the Swift parity tests
    (ParityTests.swift says why), which passes at most 1."""
    got = np.asarray(got, dtype=np.float64).ravel()
    want = np.asarray(want, dtype=np.float64).ravel()
    assert got.shape == want.shape, (got.shape, want.shape)
    return float(np.max(np.abs(got - want) / (1e-5 * np.maximum(np.abs(want), 1)))) if got.size else 0.0


@pytest.fixture(scope="session")
def recur_binary():
    if not os.access(RECUR, os.X_OK):
        pytest.fail(f"{RECUR} is missing: run tools/setup.sh first")
    return RECUR
