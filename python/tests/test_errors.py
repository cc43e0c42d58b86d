"""Refusals raise RecurError carrying the library's sentence and the `recur` command's status;
the sentences about a model file are the command's own."""
import os
import subprocess

import numpy as np
import pytest

import recur
from conftest import FIXTURES, RECUR, path

E1 = path("models", "e1_simplernn.h5")


def refusal(call):
    with pytest.raises(recur.RecurError) as raised:
        call()
    return raised.value.status, str(raised.value)


def command_sentence(arguments):
    result = subprocess.run([RECUR] + arguments, input="1\n", capture_output=True, text=True,
                            env=dict(os.environ, RECUR_NO_PREFLIGHT="1"))
    return result.returncode, result.stderr.strip().removeprefix("recur: ")


@pytest.mark.parametrize("model", ["/nonexistent/model.h5", os.path.join(FIXTURES, "refused", "keras3", "embedding.h5"),
                                   path("README.md")])
def test_a_model_file_is_refused_as_the_command_refuses_it(model):
    assert refusal(lambda: recur.Model(model)) == command_sentence(["predict", model, "--input", "-"])


def test_predict_refusals():
    model = recur.Model(E1)
    assert refusal(lambda: model.predict(np.zeros((2, 20, 3), dtype=np.float32)))[0] == 64
    x = np.ones((3, 20), dtype=np.float32)
    x[1, 4] = np.nan
    assert refusal(lambda: model.predict(x, batch_size=2)) == (65, "recur_predict: row 2, value 5 is not a finite number")
    # C-contiguous float32 is read in place; anything else is converted, with the same numbers.
    assert recur._samples(x) is x
    assert recur._samples(x[:, ::2]) is not x and recur._samples(x[:, ::2]).flags.c_contiguous
    wide = np.ones((3, 40), dtype=np.float64)
    assert np.array_equal(model.predict(wide[:, ::2]), model.predict(np.ones((3, 20), dtype=np.float32)))
    stateful = recur.Model(os.path.join(FIXTURES, "stateful", "keras3", "stateful_lstm_batch2.h5"))
    status, sentence = refusal(lambda: stateful.predict(np.zeros((3, 4, 2), dtype=np.float32)))
    assert status == 65 and "it needs the samples in whole batches of 2, not 3" in sentence


def test_stream_refusals():
    assert refusal(lambda: recur.Model(E1).stream()) == (
        64, f"{E1} takes windows of any length; give recur_session_init a window")
    three = os.path.join(FIXTURES, "keras3", "simplernn_f3.h5")
    assert refusal(lambda: recur.Model(three).stream(window=5).push(1.0)) == (
        65, f"{three} takes 3 values per step; recur_push takes one sample at a time")
    two = os.path.join(FIXTURES, "stream", "two_outputs.h5")
    status, sentence = refusal(lambda: recur.Model(two).stream(window=4, horizon=2).push(1.0))
    command_status, command = command_sentence(["stream", two, "--window", "4", "--horizon", "2"])
    assert status == command_status == 64
    assert sentence.startswith(f"{two} outputs 2 values per window; ") and command.startswith(f"{two} outputs 2 values per window; ")

    stream = recur.Model(E1).stream(window=20)
    for value in range(19):
        stream.push(float(value))
    assert refusal(lambda: stream.push(float("nan"))) == (65, "recur_push: the sample is not a finite number")
    assert stream.push(19.0) is not None, "a refused sample leaves the window as it was"
    assert refusal(lambda: stream.load(b"not a state"))[0] == 65
    other = recur.Model(path("models", "e3_bilstm2.h5")).stream(window=20)
    status, sentence = refusal(lambda: stream.load(other.save()))
    assert status == 65 and "another model" in sentence


def test_the_version_is_the_headers_and_the_packages():
    from importlib.metadata import version

    with open(path("CSupport", "CRecurABI", "include", "recur.h")) as f:
        header = next(line for line in f if line.startswith("#define RECUR_VERSION"))
    assert recur.__version__ == header.split('"')[1] == version("recur")
