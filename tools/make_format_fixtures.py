"""Fixtures for the formats other than the legacy full-model ``.h5``, saved with REAL Keras 3
(``import keras``) and Keras 2 (``import tf_keras``): ``.keras`` archives, Keras 3 ``.weights.h5``
files, Keras 2 weights-only ``.h5`` files and ``model.to_json()`` architectures.

How to run (from the repository root)::

    TF_ENABLE_ONEDNN_OPTS=0 .venv-keras/bin/python tools/make_format_fixtures.py

Writes into ``Tests/Fixtures/formats/``, for each model NAME (weights random but seeded):

* ``NAME.keras`` (``model.save``), ``NAME.weights.h5`` (``model.save_weights``, the v3 layout
  ``layers/<key>/.../vars/<i>``), ``NAME.json`` (``model.to_json()``), and ``NAME.io.h5``:
  ``inputs`` (float32, shaped as the model's input) and ``outputs`` (``model.predict``), in the
  schema of ``shared/keras-fixtures/*.io.h5``.
* Keras 2 models (``k2_*``) also get ``NAME.h5`` (``model.save``, the full legacy file) and
  ``NAME.weights-only.h5`` (``model.save_weights("x.h5")``: the legacy ``layer_names`` layout at
  the root). tf_keras also writes ``.keras`` and ``.weights.h5``, with its own variations.
* ``k3_mixed.deflated.keras``: ``k3_mixed.keras`` re-zipped with every member deflated (Keras
  writes stored members, and reads either).
* ``snake_case.json``: Keras 3's ``naming.to_snake_case`` of every layer class in
  ``keras.layers``, which is how Keras names a layer's group in the v3 layout.
* ``bad/``: ``.weights.h5`` files damaged with h5py (a group missing, a shape or count wrong,
  a layer more, keys that are layer names), each with the exit status and words recur's message
  must contain in ``bad/EXPECTED.tsv``; they are read with ``--config k3_named.json``. Beside
  them ``shape_bomb.weights.h5``, a 100 MB kernel declared and nothing stored, with the
  architecture ``shape_bomb.json`` that expects it.
"""
import json
import os
import shutil
import sys
import zipfile

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402,F401  (module global: the Lambda bodies refer to `tf`)

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(HERE), "Tests", "Fixtures", "formats")
SAMPLES = 5


def keras3_models():
    import keras
    from keras import layers as L

    def named():
        # Layer names differ from their class names: the v3 keys are not the names.
        return keras.Sequential([
            keras.Input(shape=(None,)),
            L.Lambda(lambda x: tf.expand_dims(x, axis=-1), name="expand"),
            L.SimpleRNN(6, return_sequences=True, name="enc"),
            L.SimpleRNN(5, return_sequences=True, name="mid"),
            L.LSTM(4, name="dec"),
            L.Dense(1, name="head"),
            L.Lambda(lambda x: x * 100.0, name="scale"),
        ], name="forecaster")

    def mixed():
        # Two of each keyed class (dense/dense_1, bidirectional/bidirectional_1), the GRUs inside
        # Bidirectional not counted among the model's layers, weightless layers between them.
        return keras.Sequential([
            keras.Input(shape=(None, 2)),
            L.Conv1D(3, 3, padding="causal", activation="relu", name="front"),
            L.Dropout(0.2),
            L.Bidirectional(L.GRU(4, return_sequences=True)),
            L.TimeDistributed(L.Dense(3, activation="tanh")),
            L.GRU(3, reset_after=False, return_sequences=True),
            L.Dense(2),
            L.Bidirectional(L.LSTM(2), merge_mode="sum"),
            L.Dense(1),
        ])

    def functional():
        inputs = keras.Input(shape=(8,))
        x = L.Reshape((8, 1))(inputs)
        x = L.SimpleRNN(4, return_sequences=True, name="first")(x)
        x = L.GRU(3)(x)
        x = L.Dense(2, activation="tanh")(x)
        return keras.Model(inputs, L.Dense(1)(x), name="chain")

    return keras, {"k3_named": (named, [12]), "k3_mixed": (mixed, [7, 2]), "k3_functional": (functional, [8])}


def keras2_models():
    import tf_keras as keras
    from tf_keras import layers as L

    def mixed():
        return keras.Sequential([
            keras.Input(shape=(None, 2)),
            L.Conv1D(3, 2, padding="causal", name="front"),
            L.Bidirectional(L.LSTM(3, return_sequences=True)),
            L.TimeDistributed(L.Dense(2)),
            L.SimpleRNN(3, name="enc"),
            L.Dense(1),
        ])

    return keras, {"k2_mixed": (mixed, [6, 2])}


def randomize(model, seed):
    rng = np.random.RandomState(seed)
    model.set_weights([rng.uniform(-0.5, 0.5, size=w.shape).astype(np.float32) for w in model.get_weights()])


def save(keras, name, build, shape, seed, legacy):
    keras.utils.set_random_seed(seed)
    model = build()
    randomize(model, seed)
    inputs = np.random.RandomState(seed).uniform(-2, 2, size=[SAMPLES] + shape).astype(np.float32)
    outputs = model.predict(inputs, verbose=0)
    stem = os.path.join(OUT, name)
    model.save(stem + ".keras")
    model.save_weights(stem + ".weights.h5")
    with open(stem + ".json", "w") as f:
        f.write(model.to_json())
    if legacy:
        model.save(stem + ".h5")
        model.save_weights(stem + ".weights-only.h5")
    with h5py.File(stem + ".io.h5", "w") as f:
        f["inputs"] = inputs
        f["outputs"] = outputs
        f.attrs["keras_version"] = keras.__version__
        f.attrs["model_file"] = name
    print("%s: %s" % (name, ", ".join("%s %s" % (l.__class__.__name__, l.name) for l in model.layers)))


def deflate(source, target):
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            new.writestr(info.filename, old.read(info.filename))


def snake_cases():
    import keras
    from keras.src.utils import naming
    names = sorted(n for n, c in vars(keras.layers).items() if isinstance(c, type) and issubclass(c, keras.layers.Layer))
    with open(os.path.join(OUT, "snake_case.json"), "w") as f:
        json.dump({n: naming.to_snake_case(n) for n in names}, f, indent=0, sort_keys=True)
        f.write("\n")


def damaged():
    """Copies of k3_named.weights.h5, each damaged one way."""
    folder = os.path.join(OUT, "bad")
    os.makedirs(folder, exist_ok=True)
    source = os.path.join(OUT, "k3_named.weights.h5")

    def variant(name, change):
        path = os.path.join(folder, name)
        shutil.copy(source, path)
        with h5py.File(path, "r+") as f:
            change(f)

    def rename_keys(f):
        for key, name in [("simple_rnn", "enc"), ("simple_rnn_1", "mid"), ("lstm", "dec"), ("dense", "head")]:
            f.move("layers/" + key, "layers/" + name)

    def replace(f, path, value):
        del f[path]
        f[path] = value

    cases = [
        ("missing_cell_vars.weights.h5", lambda f: f.__delitem__("layers/lstm/cell/vars"), "dec|layers/lstm/cell/vars"),
        ("missing_layer.weights.h5", lambda f: f.__delitem__("layers/simple_rnn_1"), "mid|layers/simple_rnn_1"),
        ("missing_variable.weights.h5", lambda f: f.__delitem__("layers/dense/vars/1"), "head|2|1"),
        ("extra_variable.weights.h5", lambda f: f.create_dataset("layers/dense/vars/2", data=np.zeros(1, np.float32)), "head|2|3"),
        ("wrong_shape.weights.h5", lambda f: replace(f, "layers/lstm/cell/vars/1", np.zeros((5, 16), np.float32)), "dec|[4, 16]|[5, 16]"),
        ("nan_variable.weights.h5", lambda f: f["layers/dense/vars/0"].__setitem__((0, 0), np.nan), "head|nan"),
        ("text_variable.weights.h5", lambda f: replace(f, "layers/dense/vars/1", np.array([b"x"])), "head|not numeric"),
        ("unused_layer.weights.h5", lambda f: f.create_dataset("layers/dense_1/vars/0", data=np.zeros((1, 1), np.float32)), "layers/dense_1"),
        ("keys_are_layer_names.weights.h5", rename_keys, "enc|layers/simple_rnn"),
        ("no_layers.weights.h5", lambda f: f.__delitem__("layers"), "layers"),
    ]
    for name, change, _ in cases:
        variant(name, change)
    # A shape bomb: a 5000 x 5000 float32 kernel (100 MB) declared, chunked and compressed, with
    # no chunk written; read with the architecture that expects that shape (shape_bomb.json).
    with h5py.File(os.path.join(folder, "shape_bomb.weights.h5"), "w") as f:
        f.create_group("vars")
        f.create_dataset("layers/dense/vars/0", shape=(5000, 5000), dtype="float32", chunks=(500, 500), compression="gzip")
        f.create_dataset("layers/dense/vars/1", data=np.zeros(5000, np.float32))
    with open(os.path.join(folder, "shape_bomb.json"), "w") as f:
        json.dump({"class_name": "Sequential", "config": {"name": "big", "layers": [
            {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 5000]}},
            {"class_name": "Dense", "config": {"name": "dense", "units": 5000}}]}}, f)
    with open(os.path.join(folder, "EXPECTED.tsv"), "w") as f:
        f.write("# file\texit status\twords the message must contain (|-separated); architecture: ../k3_named.json\n")
        for name, _, words in cases:
            f.write("%s\t65\t%s\n" % (name, words))


def main():
    os.makedirs(OUT, exist_ok=True)
    seed = 40
    for keras, models, legacy in [keras3_models() + (False,), keras2_models() + (True,)]:
        for name, (build, shape) in models.items():
            seed += 1
            save(keras, name, build, shape, seed, legacy)
    deflate(os.path.join(OUT, "k3_mixed.keras"), os.path.join(OUT, "k3_mixed.deflated.keras"))
    shutil.copy(os.path.join(OUT, "k3_mixed.io.h5"), os.path.join(OUT, "k3_mixed.deflated.io.h5"))
    snake_cases()
    damaged()


if __name__ == "__main__":
    sys.exit(main())
