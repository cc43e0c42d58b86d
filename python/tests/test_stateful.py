"""Keras's stateful=True models (tools/make_stateful_fixtures.py): a sequence fed one step per
call with the state carried, then in chunks of six after reset_states(), through predict and
through a stream, against Keras's predictions of the same calls."""
import os

import h5py
import numpy as np
import pytest

import recur
from conftest import FIXTURES, io_files, worst_error

STATEFUL = io_files(os.path.join(FIXTURES, "stateful"))


def test_the_fixtures_are_here():
    assert len(STATEFUL) == 10


@pytest.mark.parametrize("io", STATEFUL, ids=[os.path.relpath(io, FIXTURES) for io in STATEFUL])
def test_predict_carries_state_like_keras(io):
    with h5py.File(io, "r") as f:
        sequence = np.asarray(f["sequence"], dtype=np.float32)
        step_outputs = np.asarray(f["step_outputs"], dtype=np.float32)
        chunk_outputs = np.asarray(f["chunk_outputs"], dtype=np.float32)
    model = recur.Model(io[:-len(".io.h5")] + ".h5")
    batch, steps = sequence.shape[0], sequence.shape[1]
    assert model.batch == batch
    stepped = np.stack([model.predict(sequence[:, t:t + 1]) for t in range(steps)])
    assert worst_error(stepped, step_outputs) <= 1
    model.reset_states()
    chunks = np.stack([model.predict(sequence[:, c:c + 6]) for c in range(0, steps, 6)])
    assert worst_error(chunks, chunk_outputs) <= 1
    # A reset really clears the state: the first chunk again.
    model.reset_states()
    assert np.array_equal(model.predict(sequence[:, :6]), chunks[0])


@pytest.mark.parametrize("io", [io for io in STATEFUL if "batch2" not in io],
                         ids=[os.path.relpath(io, FIXTURES) for io in STATEFUL if "batch2" not in io])
def test_a_stream_is_keras_step_by_step(io):
    with h5py.File(io, "r") as f:
        sequence = np.asarray(f["sequence"], dtype=np.float32)[0, :, 0]
        step_outputs = np.asarray(f["step_outputs"], dtype=np.float32)
    model = recur.Model(io[:-len(".io.h5")] + ".h5")
    stream = model.stream()
    assert stream.window == 1
    forecasts = [stream.push(value) for value in sequence]
    assert worst_error(forecasts, step_outputs) <= 1
    # predict one step at a time gives the same bits.
    stepped = [model.predict(np.array([[value]], dtype=np.float32))[0, 0] for value in sequence]
    assert np.array_equal(np.array(forecasts, dtype=np.float32), np.array(stepped, dtype=np.float32))
    stream.reset()
    assert stream.push(sequence[0]) == forecasts[0]


def test_a_stateful_stream_takes_one_step_per_sample():
    model = recur.Model(os.path.join(FIXTURES, "stateful", "keras3", "stateful_lstm.h5"))
    with pytest.raises(recur.RecurError) as refused:
        model.stream(window=3).push(1.0)
    assert refused.value.status == 64
    assert "is stateful and the session's window is 3 steps; recur_push feeds a stateful model" in str(refused.value)
