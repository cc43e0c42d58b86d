"""TensorFlow's own tanh and sigmoid on a CPU, for the test that recur computes them to the bit.

How to run (from the repository root)::

    .venv-keras/bin/python tools/make_activation_fixtures.py

Writes ``Tests/Fixtures/activations/tf_tanh_sigmoid.f32`` (little-endian float32: the inputs
``x[N]``, then ``tf.math.tanh(x)[N]``, then ``tf.math.sigmoid(x)[N]``) and
``Tests/Fixtures/activations/tf_tanh_sigmoid.json`` (N and the versions). The inputs are fixed
by a seed: values near zero, of everyday size and large, the ends of each function's range
(tanh's clamp at ±7.907, sigmoid's cap at 16.6355 and its flush to zero below about −87.3 and
at −104), both infinities and both zeros. Subnormal inputs are left out: TensorFlow reads them
as zero (its CPU threads set denormals-are-zero), which recur does not copy.

Keras's layers compute their activations with these two ops (an LSTM's gates, a Dense layer's
``activation="tanh"``), so matching them bit for bit is what keeps recur's outputs Keras's.
"""
import json
import os

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "activations")


def inputs():
    rng = np.random.default_rng(20261127)
    f = np.float32
    parts = [
        rng.standard_normal(4096) * 3,
        rng.standard_normal(2048) * 0.01,
        rng.standard_normal(1024) * 1e-4,
        rng.uniform(-120, 30, 2048),
        rng.uniform(-9, 9, 2048),
        np.array([0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 0.0004, -0.0004, 1e-30, -1e-30,
                  7.90738964080810547, -7.90738964080810547, 7.9074, -7.9074, 8.0, -8.0, 9.0, 20.0, -20.0,
                  16.6355324, 16.6355343, 17.0, 88.0, 100.0, -87.3, -87.4, -103.99, -104.0, -104.01, -200.0,
                  3.4e38, -3.4e38, np.inf, -np.inf]),
    ]
    x = np.concatenate(parts).astype(f)
    tiny = np.abs(x) < np.finfo(f).tiny
    return x[~tiny | (x == 0)]


def main():
    x = inputs()
    tanh = tf.math.tanh(x).numpy().astype("<f4")
    sigmoid = tf.math.sigmoid(x).numpy().astype("<f4")
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "tf_tanh_sigmoid.f32"), "wb") as out:
        for a in (x.astype("<f4"), tanh, sigmoid):
            out.write(a.tobytes())
    meta = {"count": int(x.size), "layout": "x[count], tanh[count], sigmoid[count]; little-endian float32",
            "tensorflow_version": tf.__version__, "numpy_version": np.__version__}
    with open(os.path.join(OUT, "tf_tanh_sigmoid.json"), "w") as out:
        json.dump(meta, out, indent=1)
        out.write("\n")
    print("wrote %d values (TensorFlow %s)" % (x.size, tf.__version__))


if __name__ == "__main__":
    main()
