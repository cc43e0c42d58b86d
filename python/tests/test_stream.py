"""recur.Model.stream: `recur stream`'s lines to the bit, the window filling, the state saved and
loaded (in another process too), reset."""
import os
import subprocess
import sys

import numpy as np
import pytest

import recur
from conftest import path, run_recur

E1 = path("models", "e1_simplernn.h5")
E3 = path("models", "e3_bilstm2.h5")
GRU_STACK = path("Tests", "Fixtures", "stateful", "keras3", "stateful_gru_stack.h5")


def course_series(count):
    with open(path("models", "course_series.csv")) as f:
        return [line.split(",")[1].strip() for line in f.read().splitlines()[1:count + 1]]


def lines_of(forecasts):
    """Forecasts as `recur stream` prints them (%.9g, comma-separated)."""
    return "".join(",".join("%.9g" % v for v in np.atleast_1d(f)) + "\n" for f in forecasts if f is not None)


@pytest.mark.parametrize("model,window,horizon", [(E1, 20, 1), (E3, 20, 3), (GRU_STACK, None, 2)])
def test_lines_are_recur_streams(model, window, horizon, recur_binary):
    samples = course_series(120)
    options = (["--window", str(window)] if window else []) + (["--horizon", str(horizon)] if horizon > 1 else [])
    want = run_recur(["stream", model] + options, "\n".join(samples) + "\n")
    stream = recur.Model(model).stream(window=window, horizon=horizon)
    assert lines_of(stream.push(float(v)) for v in samples) == want


def test_the_window_fills_first():
    stream = recur.Model(E1).stream(window=20)
    results = [stream.push(float(v)) for v in course_series(21)]
    assert results[:19] == [None] * 19
    assert all(isinstance(r, float) for r in results[19:])
    ahead = recur.Model(E1).stream(window=20, horizon=4)
    last = [ahead.push(float(v)) for v in course_series(20)][-1]
    assert last.dtype == np.float32 and last.shape == (4,)
    assert np.float32(last[0]) == np.float32(results[19])


def test_a_saved_state_continues_the_stream():
    samples = [float(v) for v in course_series(80)]
    model = recur.Model(E3)
    whole = model.stream(window=20)
    want = [whole.push(v) for v in samples]
    first = model.stream(window=20)
    for v in samples[:33]:
        first.push(v)
    second = recur.Model(E3).stream(window=20)
    second.load(first.save())
    assert [second.push(v) for v in samples[33:]] == want[33:]
    second.reset()
    assert [second.push(v) for v in samples[:20]] == want[:20]


def test_a_saved_state_continues_in_another_process(tmp_path):
    samples = [float(v) for v in course_series(60)]
    stream = recur.Model(E1).stream(window=20)
    want = [stream.push(v) for v in samples]
    stream = recur.Model(E1).stream(window=20)
    for v in samples[:25]:
        stream.push(v)
    state = tmp_path / "state"
    state.write_bytes(stream.save())
    program = (
        "import sys, recur\n"
        f"s = recur.Model({E1!r}).stream(window=20)\n"
        f"s.load(open({str(state)!r}, 'rb').read())\n"
        f"print(repr([s.push(v) for v in {samples[25:]!r}]))\n"
    )
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, env=dict(os.environ))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == repr(want[25:])
