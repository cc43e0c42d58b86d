"""Save a few small models with an OLD TensorFlow/Keras (tf.keras of that release, its own h5py)
into Tests/Fixtures/keras-legacy/tf<MAJOR.MINOR>/, with NAME.io.h5 (inputs/outputs) beside each.

Runs under the old TensorFlow's own interpreter (Python 3.8 syntax), e.g.::

    python3.8 -m venv .venv-tf24
    .venv-tf24/bin/pip install "pip<24" && .venv-tf24/bin/pip install tensorflow-cpu==2.4.4 h5py==2.10.0 "numpy<1.20"
    TF_ENABLE_ONEDNN_OPTS=0 .venv-tf24/bin/python tools/make_legacy_fixtures.py

    PYENV_VERSION=3.11.7 python3.11 -m venv .venv-tf215 && .venv-tf215/bin/pip install tensorflow-cpu==2.15.1
    TF_ENABLE_ONEDNN_OPTS=0 .venv-tf215/bin/python tools/make_legacy_fixtures.py

    # standalone multi-backend Keras 2.3.1 on TensorFlow 1.15 (Python 3.7):
    python3.7 -m venv .venv-keras231
    .venv-keras231/bin/pip install "pip<24" && .venv-keras231/bin/pip install tensorflow-cpu==1.15.0 keras==2.3.1 "h5py<3" "numpy<1.19" "protobuf<3.21"
    .venv-keras231/bin/python tools/make_legacy_fixtures.py --standalone

    # record a version that could not be installed (goes to keras-legacy/status.json):
    python3 tools/make_legacy_fixtures.py --note tf2.3 "failed: ..."

Models (random weights: every weight overwritten with RandomState(crc32(NAME)).uniform(-0.5, 0.5);
inputs uniform(-2, 2), 4 samples, T=6):

* course_simplernn: Lambda(expand_dims, input_shape=[None]) -> SimpleRNN(5, rs) -> SimpleRNN(4) -> Dense(1) -> Lambda(x*100)
* course_bilstm:    Lambda(expand_dims) -> Bidirectional(LSTM(4, rs)) -> Bidirectional(LSTM(3)) -> Dense(1) -> Lambda(x*100)
* lstm_default:     Input[None,1] -> LSTM(4) -> Dense(1)
* lstm_recact_hard_sigmoid: Input[None,3] -> LSTM(5, recurrent_activation=hard_sigmoid) -> Dense(1)
* gru_default:      Input[None,1] -> GRU(4) -> Dense(1)   (this version's default reset_after)
* gru_reset_before: Input[None,1] -> GRU(4, reset_after=False) -> Dense(1)
"""
import json
import os
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
LEGACY = os.path.join(ROOT, "Tests", "Fixtures", "keras-legacy")


def note(label, text):
    os.makedirs(LEGACY, exist_ok=True)
    p = os.path.join(LEGACY, "status.json")
    st = {}
    if os.path.exists(p):
        with open(p) as f:
            st = json.load(f)
    st[label] = text
    with open(p, "w") as f:
        json.dump(st, f, indent=1, sort_keys=True)
        f.write("\n")


STANDALONE = "--standalone" in sys.argv  # multi-backend Keras (import keras) on TF 1.x

if len(sys.argv) >= 2 and sys.argv[1] == "--note":
    note(sys.argv[2], " ".join(sys.argv[3:]))
    sys.exit(0)

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import h5py  # noqa: E402
import tensorflow as tf  # noqa: E402  (module global: the Lambda bodies use it)

if STANDALONE:
    import keras as K
else:
    K = tf.keras
L = K.layers
KERAS_VERSION = getattr(K, "__version__", None)
if KERAS_VERSION is None:  # TF 2.15: tf.keras is a lazy alias of the keras 2.15 package
    import keras as _keras_pkg
    KERAS_VERSION = _keras_pkg.__version__


def seed_of(name):
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


def course_simplernn():
    return K.models.Sequential([
        L.Lambda(lambda x: tf.expand_dims(x, axis=-1), input_shape=[None]),
        L.SimpleRNN(5, return_sequences=True), L.SimpleRNN(4), L.Dense(1),
        L.Lambda(lambda x: x * 100.0)])


def course_bilstm():
    return K.models.Sequential([
        L.Lambda(lambda x: tf.expand_dims(x, axis=-1), input_shape=[None]),
        L.Bidirectional(L.LSTM(4, return_sequences=True)), L.Bidirectional(L.LSTM(3)), L.Dense(1),
        L.Lambda(lambda x: x * 100.0)])


def seq(f, *layers):
    if STANDALONE:  # Keras 2.3 Sequential does not take an Input tensor
        return K.models.Sequential([L.InputLayer(input_shape=(None, f))] + list(layers))
    return K.models.Sequential([K.Input(shape=(None, f))] + list(layers))


MODELS = [
    ("course_simplernn", "Lambda(expand_dims, input_shape=[None]) -> SimpleRNN(5, return_sequences=True) -> SimpleRNN(4) -> Dense(1) -> Lambda(x*100)",
     course_simplernn, None),
    ("course_bilstm", "Lambda(expand_dims, input_shape=[None]) -> Bidirectional(LSTM(4, return_sequences=True)) -> Bidirectional(LSTM(3)) -> Dense(1) -> Lambda(x*100)",
     course_bilstm, None),
    ("lstm_default", "Input[None,1] -> LSTM(4) -> Dense(1)", lambda: seq(1, L.LSTM(4), L.Dense(1)), 1),
    ("lstm_recact_hard_sigmoid", "Input[None,3] -> LSTM(5, recurrent_activation=hard_sigmoid) -> Dense(1)",
     lambda: seq(3, L.LSTM(5, recurrent_activation="hard_sigmoid"), L.Dense(1)), 3),
    ("gru_default", "Input[None,1] -> GRU(4) -> Dense(1) (this version's default reset_after)",
     lambda: seq(1, L.GRU(4), L.Dense(1)), 1),
    ("gru_reset_before", "Input[None,1] -> GRU(4, reset_after=False) -> Dense(1)",
     lambda: seq(1, L.GRU(4, reset_after=False), L.Dense(1)), 1),
]


def attr_type(obj, name):
    aid = obj.attrs.get_id(name)
    t = aid.get_type()
    if isinstance(t, h5py.h5t.TypeStringID):
        if t.is_variable_str():
            kind = "vlen"
        else:
            kind = "fixed(%d)" % t.get_size()
        cset = {0: "ascii", 1: "utf8"}.get(t.get_cset(), str(t.get_cset()))
        shape = aid.shape
        return "%s %s%s" % (kind, cset, "" if shape == () else " array%s" % (shape,))
    return "class %d" % t.get_class()


def string_types(path):
    out = {}
    with h5py.File(path, "r") as f:
        for k in ("model_config", "keras_version", "backend"):
            if k in f.attrs:
                out[k] = attr_type(f, k)
        g = f["model_weights"]
        out["layer_names"] = attr_type(g, "layer_names")
        for ln in g.attrs["layer_names"]:
            ln = ln.decode() if isinstance(ln, bytes) else ln
            wn = g[ln].attrs["weight_names"]
            if len(wn):
                out["weight_names"] = attr_type(g[ln], "weight_names")
                out["example_weight_name"] = wn[0].decode() if isinstance(wn[0], bytes) else str(wn[0])
                break
    return out


def main():
    ver = tf.__version__
    label = "tf" + ".".join(ver.split(".")[:2])
    if STANDALONE:
        label = "keras%s-tf%s" % (KERAS_VERSION, ".".join(ver.split(".")[:2]))
    outdir = os.path.join(LEGACY, label)
    os.makedirs(outdir, exist_ok=True)
    results = []
    for name, desc, fn, feat in MODELS:
        K.backend.clear_session()
        if hasattr(tf.random, "set_seed"):
            tf.random.set_seed(seed_of(name))
        m = fn()
        rng = np.random.RandomState(seed_of(name))
        m.set_weights([rng.uniform(-0.5, 0.5, size=tuple(w.shape)).astype(np.float32) for w in m.weights])
        shape = [4, 6] if feat is None else [4, 6, feat]
        x = rng.uniform(-2, 2, size=shape).astype(np.float32)
        y = m.predict(x, verbose=0)
        path = os.path.join(outdir, name + ".h5")
        m.save(path)
        with h5py.File(os.path.join(outdir, name + ".io.h5"), "w") as f:
            f.attrs["keras_version"] = KERAS_VERSION
            f.attrs["tensorflow_version"] = ver
            f.attrs["model_file"] = name + ".h5"
            f.attrs["description"] = desc
            f.create_dataset("inputs", data=x)
            f.create_dataset("outputs", data=np.asarray(y, dtype=np.float32))
        st = string_types(path)
        results.append({"name": name, "desc": desc, "input_shape": shape, "output_shape": list(y.shape),
                        "string_types": "; ".join("%s: %s" % kv for kv in sorted(st.items()))})
        print(label, name, y.shape, st)
    with open(os.path.join(outdir, "summary.json"), "w") as f:
        json.dump({"tensorflow_version": ver, "keras_version": KERAS_VERSION, "h5py": h5py.__version__,
                   "numpy": np.__version__, "python": sys.version.split()[0], "fixtures": results}, f, indent=1)
        f.write("\n")
    note(label, "worked: TensorFlow %s (%s %s), h5py %s, numpy %s, Python %s" % (
        ver, "standalone keras" if STANDALONE else "tf.keras", KERAS_VERSION, h5py.__version__, np.__version__, sys.version.split()[0]))


if __name__ == "__main__":
    main()
