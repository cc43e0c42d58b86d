"""recur.Model.predict on every Keras-made fixture: Keras's own predictions within the parity
tolerance (conftest.worst_error), and `recur predict`'s to the bit, through the C interface."""
import os

import h5py
import numpy as np
import pytest

import recur
from conftest import FIXTURES, SHARED, io_files, parse_lines, run_recur, worst_error

IO_FILES = [io for folder in ("external", "keras3", "keras2", "keras-legacy")
            for io in io_files(os.path.join(FIXTURES, folder))] + io_files(SHARED)
CASES = [(io, io[:-len(".io.h5")] + extension) for io in IO_FILES for extension in (".h5", ".keras")
         if os.path.exists(io[:-len(".io.h5")] + extension)]


def case_id(case):
    return os.path.relpath(case[1], os.path.dirname(os.path.dirname(case[0])))


def reference(io):
    with h5py.File(io, "r") as f:
        return np.asarray(f["inputs"], dtype=np.float32), np.asarray(f["outputs"], dtype=np.float32)


def test_every_fixture_is_here():
    assert len(CASES) >= 220, len(CASES)
    if os.path.isdir(SHARED):
        assert sum(SHARED in io for io, _ in CASES) == 8


@pytest.mark.parametrize("io,model", CASES, ids=[case_id(c) for c in CASES])
def test_predict_gives_kerass_outputs(io, model):
    inputs, outputs = reference(io)
    got = recur.Model(model).predict(inputs)
    assert got.shape == (inputs.shape[0], outputs[0].size)
    assert worst_error(got, outputs) <= 1


@pytest.mark.parametrize("io,model", CASES, ids=[case_id(c) for c in CASES])
def test_predict_is_recur_predict_to_the_bit(io, model, recur_binary):
    inputs, _ = reference(io)
    rows = inputs.reshape(inputs.shape[0], -1)
    text = "".join(",".join("%.9g" % v for v in row) + "\n" for row in rows)
    want = parse_lines(run_recur(["predict", model, "--input", "-"], text))
    # A batch smaller than the samples, as recur predict's default of 32 is for larger files.
    got = recur.Model(model).predict(inputs, batch_size=3)
    assert np.array_equal(got.view(np.uint32), want.view(np.uint32))
