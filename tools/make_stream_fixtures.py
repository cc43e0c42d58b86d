"""Tiny Keras models for the `recur stream` tests, saved with REAL Keras 3.

How to run (from the repository root)::

    TF_ENABLE_ONEDNN_OPTS=0 .venv-keras/bin/python tools/make_stream_fixtures.py

Writes ``Tests/Fixtures/stream/NAME.h5`` (``model.save``, legacy HDF5, uncompiled). The stream
tests take their numbers from ``recur predict`` on the same windows (itself checked against
Keras by the parity tests), so these files hold no reference outputs; they exist for shapes the
shipped models do not have:

* ``fixed_window.h5``: ``Input(shape=[12, 1]) -> SimpleRNN(6) -> Dense(1)``, a file that fixes
  its window (12), so ``recur stream`` needs no ``--window``.
* ``tiny_rnn.h5``: ``Input(shape=[None, 1]) -> SimpleRNN(3) -> Dense(1)``, small enough that a
  debug build streams a million samples through it in seconds (the allocation tests).
* ``two_outputs.h5``: ``Input(shape=[None, 1]) -> SimpleRNN(4) -> Dense(2)``, two values per
  window, which ``--horizon`` must refuse.
* ``stateful_fixed_window.h5``: ``Input(batch_shape=[1, 4, 1]) -> LSTM(3, stateful=True) ->
  Dense(1)``, a stateful model whose file fixes windows of 4 steps, which ``recur stream`` (one
  sample per step for a stateful model) must refuse.

With names as arguments, writes only those models.

Weights: every weight is overwritten with ``RandomState(crc32(name)).uniform(-0.5, 0.5)`` so that
the files do not depend on Keras's initializer streams.
"""
import os
import sys
import zlib

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "stream")


def save(name, layers):
    if len(sys.argv) > 1 and name not in sys.argv[1:]:
        return
    keras.backend.clear_session()
    model = keras.Sequential(layers)
    for weight in model.weights:
        rng = np.random.RandomState(zlib.crc32(f"{name}/{weight.path}".encode()))
        weight.assign(rng.uniform(-0.5, 0.5, weight.shape).astype("float32"))
    model.save(os.path.join(OUT, name + ".h5"))
    print(name, [w.path for w in model.weights])


os.makedirs(OUT, exist_ok=True)
save("fixed_window", [keras.Input(shape=[12, 1]), keras.layers.SimpleRNN(6), keras.layers.Dense(1)])
save("tiny_rnn", [keras.Input(shape=[None, 1]), keras.layers.SimpleRNN(3), keras.layers.Dense(1)])
save("two_outputs", [keras.Input(shape=[None, 1]), keras.layers.SimpleRNN(4), keras.layers.Dense(2)])
save("stateful_fixed_window", [keras.Input(batch_shape=(1, 4, 1)), keras.layers.LSTM(3, stateful=True), keras.layers.Dense(1)])
