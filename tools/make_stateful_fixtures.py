#!/usr/bin/env python3
"""Stateful Keras models and what Keras predicts on a sequence fed to them step by step and in
chunks, for recur's stateful tests.

usage: TF_ENABLE_ONEDNN_OPTS=0 .venv-keras/bin/python tools/make_stateful_fixtures.py

For each model (Keras 3 and tf_keras), writes Tests/Fixtures/stateful/{keras3,keras2}/NAME.h5
(model.save) and NAME.io.h5 with:
  sequence        [B, 24, F] float32, the input sequence (B = the model's fixed batch)
  step_outputs    [24, B, …]  model.predict(sequence[:, t:t+1]) for t = 0…23, state carried
  chunk_outputs   [4, B, …]   after reset_states: model.predict(sequence[:, 6k:6k+6]), k = 0…3
  reset_outputs   [12, B, …]  steps 0…11 fed one at a time, then reset_states, then
                              model.predict(sequence[:, t:t+1]) for t = 12…23 (recur stream's
                              `reset` line)
Weights are overwritten with seeded uniform(-0.5, 0.5) values, biases included.
"""
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import h5py  # noqa: E402
import numpy as np  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "stateful")
STEPS, CHUNK = 24, 6


def models(k, batch_shape):
    L = k.layers
    def inp(b=1, f=1):
        if k.__name__ == "keras":
            return [L.Input(batch_shape=(b, None, f))]
        return [L.InputLayer(batch_input_shape=(b, None, f))]
    return {
        "stateful_simplernn_seq": k.Sequential(inp() + [L.SimpleRNN(6, return_sequences=True, stateful=True), L.Dense(1)]),
        "stateful_lstm": k.Sequential(inp() + [L.LSTM(5, stateful=True), L.Dense(1)]),
        "stateful_gru_stack": k.Sequential(inp() + [L.GRU(4, return_sequences=True, stateful=True), L.GRU(3, stateful=True), L.Dense(1)]),
        "stateful_bilstm": k.Sequential(inp() + [L.Bidirectional(L.LSTM(3, return_sequences=True, stateful=True)), L.Dense(1)]),
        "stateful_lstm_batch2": k.Sequential(inp(2, 2) + [L.LSTM(4, stateful=True, return_sequences=True), L.Dense(2)]),
    }


def reset(model):
    for layer in model.layers:
        if hasattr(layer, "reset_states"):
            layer.reset_states()


def run(k, folder):
    os.makedirs(folder, exist_ok=True)
    rng = np.random.RandomState(42)
    for name, model in models(k, None).items():
        for w in model.weights:
            w.assign(rng.uniform(-0.5, 0.5, w.shape).astype("float32"))
        batch, features = model.inputs[0].shape[0], model.inputs[0].shape[-1]
        sequence = rng.uniform(-2, 2, (batch, STEPS, features)).astype("float32")
        reset(model)
        steps = np.stack([model.predict(sequence[:, t:t + 1], batch_size=batch, verbose=0) for t in range(STEPS)])
        reset(model)
        for t in range(STEPS // 2):
            model.predict(sequence[:, t:t + 1], batch_size=batch, verbose=0)
        reset(model)
        after_reset = np.stack([model.predict(sequence[:, t:t + 1], batch_size=batch, verbose=0) for t in range(STEPS // 2, STEPS)])
        reset(model)
        chunks = np.stack([model.predict(sequence[:, c:c + CHUNK], batch_size=batch, verbose=0) for c in range(0, STEPS, CHUNK)])
        model.save(os.path.join(folder, name + ".h5"))
        with h5py.File(os.path.join(folder, name + ".io.h5"), "w") as f:
            f["sequence"] = sequence
            f["step_outputs"] = steps.astype("float32")
            f["chunk_outputs"] = chunks.astype("float32")
            f["reset_outputs"] = after_reset.astype("float32")
            f.attrs["keras_version"] = k.__version__
            f.attrs["chunk"] = CHUNK
        print(folder, name, steps.shape, chunks.shape)


if __name__ == "__main__":
    import keras
    run(keras, os.path.join(ROOT, "keras3"))
    import tf_keras
    run(tf_keras, os.path.join(ROOT, "keras2"))
