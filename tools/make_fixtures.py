"""Small random-weight Keras models covering every layer option the Swift importer implements,
saved with REAL Keras 3 (``import keras``) and Keras 2 (``import tf_keras``).

How to run (from the repository root)::

    TF_ENABLE_ONEDNN_OPTS=0 .venv-keras/bin/python tools/make_fixtures.py            # both versions
    TF_ENABLE_ONEDNN_OPTS=0 .venv-keras/bin/python tools/make_fixtures.py --keras 3   # one version
    TF_ENABLE_ONEDNN_OPTS=0 .venv-keras/bin/python tools/make_fixtures.py --only lstm_default,gru_default
    .venv-keras/bin/python tools/make_fixtures.py --list                                # names only
    .venv-keras/bin/python tools/make_fixtures.py --manifest-only                       # MANIFEST.md
    TF_ENABLE_ONEDNN_OPTS=0 .venv-keras/bin/python tools/make_fixtures.py --reload-check  # load_model every
        # fixture in its own Keras, compare with outputs -> Tests/Fixtures/reload_check.json

Writes ``Tests/Fixtures/keras3/NAME.h5`` / ``Tests/Fixtures/keras2/NAME.h5`` (``model.save``, legacy
HDF5, uncompiled so there is no training_config/optimizer_weights) and ``NAME.io.h5`` beside each,
in the schema of ``shared/keras-fixtures/*.io.h5``:

* ``inputs`` float32, shaped exactly as the model input (4 samples, uniform(-2, 2));
  ``outputs`` = ``model.predict(inputs)``; root attrs ``keras_version``, ``tensorflow_version``,
  ``model_file``, ``description``.
* training-step reference: ``batch_x`` (6 samples, uniform(-2, 2)), ``batch_y`` =
  ``batch_pred + uniform(-2, 2)`` (so Huber's quadratic and linear branches both occur),
  ``batch_pred`` = ``model(batch_x)``; scalars ``loss_huber`` (delta 1.0), ``loss_mse``,
  ``loss_mae`` (all mean over every element); groups ``grads_huber/`` and ``grads_mse/``
  (d loss / d w from ``tf.GradientTape``); ``after_sgd_step/`` and ``after_sgd_step2/`` (SGD
  lr 1e-3, momentum 0.9, two steps on the Huber loss of the same batch, zero initial momentum);
  ``loss_huber_after_sgd_step``; for the models flagged ``opt`` also ``after_adam_step/``,
  ``after_adam_step2/``, ``after_rmsprop_step/``, ``after_rmsprop_step2/`` (Keras default
  hyper-parameters, learning_rate 1e-3, Huber loss).
  Dataset path inside each group = the weight's name exactly as listed in the model file's
  ``weight_names`` (Keras 3: ``sequential/lstm/lstm_cell/kernel``; Keras 2:
  ``lstm/lstm_cell/kernel:0``); nested groups because names contain '/'. Each group has attr
  ``order`` and the root attr ``trainable_weight_paths`` gives ``model.trainable_weights`` order.

Weights: the model is built, then EVERY weight (biases too) is overwritten with
``RandomState(crc32(name)).uniform(-0.5, 0.5)`` (``*_wide`` fixtures: a larger range, so the
saturated pieces of hard_sigmoid/relu6/hard_silu are reached) in ``model.weights`` order, so the keras2 and
keras3 copies of one fixture hold identical weights and inputs (their outputs differ only where
the two versions compute differently, e.g. hard_sigmoid).
"""
import argparse
import json
import os
import subprocess
import sys
import zlib

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402  (module global: the Lambda bodies refer to `tf`)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FIXDIR = os.path.join(ROOT, "Tests", "Fixtures")

N_INFER = 4
N_BATCH = 6
LR = 1e-3
# io files: HDF5 1.8-format objects (compact groups) halve the size of these many-small-group files;
# still readable by HDF5 1.8/1.10 (superblock v2). The Keras model files are left exactly as Keras wrote them.
IO_LIBVER = ("v108", "v110")

DENSE_ACTIVATIONS = ["linear", "tanh", "sigmoid", "relu", "hard_sigmoid", "elu", "selu", "softsign",
                     "softplus", "swish", "silu", "relu6", "exponential", "gelu", "hard_silu", "mish",
                     "leaky_relu"]

# ------------------------------------------------------------------------------------------------
# Fixture table. Each entry: name -> dict(desc, build(K, L) -> list of layers or a Model,
# inp=(shape without batch; None = variable time), T (time steps actually fed), opt (adam/rmsprop)).
# 'layers' builders get an Input prepended; 'model' builders return the model themselves.
# ------------------------------------------------------------------------------------------------
SPECS = {}


def spec(name, desc, layers=None, model=None, inp=(None, 1), T=6, opt=False, act=None, wscale=0.5):
    assert name not in SPECS, name
    SPECS[name] = dict(desc=desc, layers=layers, model=model, inp=inp, T=T, opt=opt, act=act, wscale=wscale)


# Dense: every activation on 2-D input [N, 7]
for _a in DENSE_ACTIVATIONS:
    spec("dense_" + _a, "Input[7] -> Dense(5, activation=%s)" % _a,
         layers=(lambda a: lambda K, L: [L.Dense(5, activation=a)])(_a), inp=(7,), act=_a,
         opt=_a in ("tanh",))
# "wide": weights uniform(-2, 2) so that the saturated pieces of the piecewise activations are hit
# (with +-0.5 weights the pre-activations stay within about +-2).
for _a in ("hard_sigmoid", "relu6", "hard_silu"):
    spec("dense_%s_wide" % _a, "Input[7] -> Dense(5, activation=%s), weights uniform(-2, 2) (saturated regions hit)" % _a,
         layers=(lambda a: lambda K, L: [L.Dense(5, activation=a)])(_a), inp=(7,), act=_a, wscale=2.0)
spec("dense_nobias", "Input[7] -> Dense(5, use_bias=False)", layers=lambda K, L: [L.Dense(5, use_bias=False)], inp=(7,))
spec("dense_3d", "Input[T=6, 3] -> Dense(4, tanh) applied per time step -> Dense(2)",
     layers=lambda K, L: [L.Dense(4, activation="tanh"), L.Dense(2)], inp=(6, 3))
spec("dense_3d_nobias", "Input[None, 3] -> Dense(4, relu, use_bias=False) per time step",
     layers=lambda K, L: [L.Dense(4, activation="relu", use_bias=False)], inp=(None, 3))

# SimpleRNN
spec("simplernn_default", "Input[None,1] -> SimpleRNN(4) -> Dense(1)", lambda K, L: [L.SimpleRNN(4), L.Dense(1)], opt=True)
spec("simplernn_relu", "Input[None,1] -> SimpleRNN(4, activation=relu) -> Dense(1)",
     lambda K, L: [L.SimpleRNN(4, activation="relu"), L.Dense(1)])
spec("simplernn_sigmoid", "Input[None,1] -> SimpleRNN(4, activation=sigmoid) -> Dense(1)",
     lambda K, L: [L.SimpleRNN(4, activation="sigmoid"), L.Dense(1)])
spec("simplernn_nobias", "Input[None,1] -> SimpleRNN(4, use_bias=False) -> Dense(1)",
     lambda K, L: [L.SimpleRNN(4, use_bias=False), L.Dense(1)])
spec("simplernn_seq_chain", "Input[None,1] -> SimpleRNN(5, return_sequences=True) -> SimpleRNN(3) -> Dense(1)",
     lambda K, L: [L.SimpleRNN(5, return_sequences=True), L.SimpleRNN(3), L.Dense(1)])
spec("simplernn_go_backwards", "Input[None,1] -> SimpleRNN(4, go_backwards=True)  (output = last step)",
     lambda K, L: [L.SimpleRNN(4, go_backwards=True)])
spec("simplernn_go_backwards_seq", "Input[None,1] -> SimpleRNN(4, go_backwards=True, return_sequences=True)  (output = the sequence)",
     lambda K, L: [L.SimpleRNN(4, go_backwards=True, return_sequences=True)])
spec("simplernn_go_backwards_seq_chain", "Input[None,1] -> SimpleRNN(4, go_backwards=True, return_sequences=True) -> SimpleRNN(3) -> Dense(1)",
     lambda K, L: [L.SimpleRNN(4, go_backwards=True, return_sequences=True), L.SimpleRNN(3), L.Dense(1)])
spec("simplernn_f3", "Input[None,3] -> SimpleRNN(4) -> Dense(1)", lambda K, L: [L.SimpleRNN(4), L.Dense(1)], inp=(None, 3))
spec("simplernn_fixed_T", "Input[T=5,2] (fixed time length) -> SimpleRNN(4, return_sequences=True)",
     lambda K, L: [L.SimpleRNN(4, return_sequences=True)], inp=(5, 2), T=5)

# LSTM
spec("lstm_default", "Input[None,1] -> LSTM(4) -> Dense(1)", lambda K, L: [L.LSTM(4), L.Dense(1)], opt=True)
spec("lstm_relu", "Input[None,1] -> LSTM(4, activation=relu) -> Dense(1)", lambda K, L: [L.LSTM(4, activation="relu"), L.Dense(1)])
spec("lstm_recact_hard_sigmoid", "Input[None,3] -> LSTM(5, recurrent_activation=hard_sigmoid) -> Dense(1)",
     lambda K, L: [L.LSTM(5, recurrent_activation="hard_sigmoid"), L.Dense(1)], inp=(None, 3), T=7)
spec("lstm_recact_hard_sigmoid_wide", "Input[None,3] -> LSTM(5, recurrent_activation=hard_sigmoid) -> Dense(1), weights uniform(-1.5, 1.5)",
     lambda K, L: [L.LSTM(5, recurrent_activation="hard_sigmoid"), L.Dense(1)], inp=(None, 3), T=7, wscale=1.5)
spec("lstm_recact_tanh", "Input[None,1] -> LSTM(4, recurrent_activation=tanh) -> Dense(1)",
     lambda K, L: [L.LSTM(4, recurrent_activation="tanh"), L.Dense(1)])
spec("lstm_recact_sigmoid", "Input[None,1] -> LSTM(4, recurrent_activation=sigmoid (explicit)) -> Dense(1)",
     lambda K, L: [L.LSTM(4, recurrent_activation="sigmoid"), L.Dense(1)])
spec("lstm_nobias", "Input[None,1] -> LSTM(4, use_bias=False) -> Dense(1)", lambda K, L: [L.LSTM(4, use_bias=False), L.Dense(1)])
spec("lstm_seq_chain", "Input[None,1] -> LSTM(5, return_sequences=True) -> LSTM(3) -> Dense(1)",
     lambda K, L: [L.LSTM(5, return_sequences=True), L.LSTM(3), L.Dense(1)])
spec("lstm_seq_out", "Input[None,1] -> LSTM(4, return_sequences=True)  (output = the sequence)",
     lambda K, L: [L.LSTM(4, return_sequences=True)])
spec("lstm_go_backwards", "Input[None,1] -> LSTM(4, go_backwards=True)", lambda K, L: [L.LSTM(4, go_backwards=True)])
spec("lstm_go_backwards_seq", "Input[None,1] -> LSTM(4, go_backwards=True, return_sequences=True)  (output = the sequence)",
     lambda K, L: [L.LSTM(4, go_backwards=True, return_sequences=True)])
spec("lstm_f3", "Input[None,3] -> LSTM(5) -> Dense(2)", lambda K, L: [L.LSTM(5), L.Dense(2)], inp=(None, 3), opt=True)

# GRU
spec("gru_default", "Input[None,1] -> GRU(4) (reset_after=True) -> Dense(1)", lambda K, L: [L.GRU(4), L.Dense(1)], opt=True)
spec("gru_nobias", "Input[None,1] -> GRU(4, use_bias=False) (reset_after=True) -> Dense(1)",
     lambda K, L: [L.GRU(4, use_bias=False), L.Dense(1)])
spec("gru_reset_before", "Input[None,1] -> GRU(4, reset_after=False) -> Dense(1)",
     lambda K, L: [L.GRU(4, reset_after=False), L.Dense(1)], opt=True)
spec("gru_reset_before_nobias", "Input[None,1] -> GRU(4, reset_after=False, use_bias=False) -> Dense(1)",
     lambda K, L: [L.GRU(4, reset_after=False, use_bias=False), L.Dense(1)])
spec("gru_go_backwards", "Input[None,1] -> GRU(4, go_backwards=True)", lambda K, L: [L.GRU(4, go_backwards=True)])
spec("gru_go_backwards_seq", "Input[None,1] -> GRU(4, go_backwards=True, return_sequences=True)  (output = the sequence)",
     lambda K, L: [L.GRU(4, go_backwards=True, return_sequences=True)])
spec("gru_reset_before_go_backwards_seq", "Input[None,1] -> GRU(4, reset_after=False, go_backwards=True, return_sequences=True)",
     lambda K, L: [L.GRU(4, reset_after=False, go_backwards=True, return_sequences=True)])
spec("gru_seq_chain", "Input[None,1] -> GRU(5, return_sequences=True) -> GRU(3) -> Dense(1)",
     lambda K, L: [L.GRU(5, return_sequences=True), L.GRU(3), L.Dense(1)])
spec("gru_reset_before_seq_chain", "Input[None,1] -> GRU(5, reset_after=False, return_sequences=True) -> GRU(3, reset_after=False) -> Dense(1)",
     lambda K, L: [L.GRU(5, reset_after=False, return_sequences=True), L.GRU(3, reset_after=False), L.Dense(1)])
spec("gru_recact_hard_sigmoid", "Input[None,3] -> GRU(5, recurrent_activation=hard_sigmoid) -> Dense(1)",
     lambda K, L: [L.GRU(5, recurrent_activation="hard_sigmoid"), L.Dense(1)], inp=(None, 3), T=7)
spec("gru_recact_hard_sigmoid_wide", "Input[None,3] -> GRU(5, recurrent_activation=hard_sigmoid) -> Dense(1), weights uniform(-1.5, 1.5)",
     lambda K, L: [L.GRU(5, recurrent_activation="hard_sigmoid"), L.Dense(1)], inp=(None, 3), T=7, wscale=1.5)
spec("gru_f3", "Input[None,3] -> GRU(5) -> Dense(2)", lambda K, L: [L.GRU(5), L.Dense(2)], inp=(None, 3))

# Bidirectional
_RNN = {"simplernn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}
for _k, _cls in _RNN.items():
    for _m in ("concat", "sum", "ave", "mul"):
        spec("bidir_%s_%s_seq_chain" % (_k, _m),
             "Input[None,1] -> Bidirectional(%s(4, return_sequences=True), merge_mode=%s) -> %s(3) -> Dense(1)" % (_cls, _m, _cls),
             (lambda c, m: lambda K, L: [L.Bidirectional(getattr(L, c)(4, return_sequences=True), merge_mode=m),
                                         getattr(L, c)(3), L.Dense(1)])(_cls, _m),
             opt=(_k == "lstm" and _m == "concat"))
        spec("bidir_%s_%s" % (_k, _m),
             "Input[None,1] -> Bidirectional(%s(4), merge_mode=%s) -> Dense(2)" % (_cls, _m),
             (lambda c, m: lambda K, L: [L.Bidirectional(getattr(L, c)(4), merge_mode=m), L.Dense(2)])(_cls, _m))
    spec("bidir_%s_concat_seq_out" % _k,
         "Input[None,1] -> Bidirectional(%s(3, return_sequences=True))  (output = the merged sequence)" % _cls,
         (lambda c: lambda K, L: [L.Bidirectional(getattr(L, c)(3, return_sequences=True))])(_cls))
spec("bidir_gru_reset_before_concat", "Input[None,1] -> Bidirectional(GRU(4, reset_after=False)) -> Dense(1)",
     lambda K, L: [L.Bidirectional(L.GRU(4, reset_after=False)), L.Dense(1)])


# Conv1D, pooling, reshaping layers, dropout (inference) and sequence-to-sequence heads
for _p in ("valid", "same", "causal"):
    spec("conv1d_%s" % _p, "Input[None,2] -> Conv1D(3, 3, padding=%s, relu) -> Dense(1) per step" % _p,
         (lambda p: lambda K, L: [L.Conv1D(3, 3, padding=p, activation="relu"), L.Dense(1)])(_p), inp=(None, 2), T=9)
spec("conv1d_causal_dilated", "Input[None,1] -> Conv1D(4, 2, causal, dilation_rate=2, tanh) -> Conv1D(2, 3, causal, dilation_rate=3)",
     lambda K, L: [L.Conv1D(4, 2, padding="causal", dilation_rate=2, activation="tanh"), L.Conv1D(2, 3, padding="causal", dilation_rate=3)], T=12)
spec("conv1d_strided_same", "Input[None,2] -> Conv1D(4, 3, strides=2, padding=same, use_bias=False) -> GlobalAveragePooling1D -> Dense(1)",
     lambda K, L: [L.Conv1D(4, 3, strides=2, padding="same", use_bias=False), L.GlobalAveragePooling1D(), L.Dense(1)], inp=(None, 2), T=9)
spec("conv1d_strided_valid", "Input[11,1] -> Conv1D(3, 4, strides=3) -> Flatten -> Dense(2)",
     lambda K, L: [L.Conv1D(3, 4, strides=3), L.Flatten(), L.Dense(2)], inp=(11, 1), T=11)
spec("conv1d_lstm", "Input[None,1] -> Conv1D(8, 5, causal, relu) -> LSTM(6) -> Dense(1)  (the course's Conv1D front end)",
     lambda K, L: [L.Conv1D(8, 5, padding="causal", activation="relu"), L.LSTM(6), L.Dense(1)], T=10, opt=True)
spec("maxpool_valid", "Input[None,3] -> MaxPooling1D(2) -> LSTM(3) -> Dense(1)",
     lambda K, L: [L.MaxPooling1D(2), L.LSTM(3), L.Dense(1)], inp=(None, 3), T=9)
spec("maxpool_same_strided", "Input[None,2] -> Conv1D(3, 2) -> MaxPooling1D(3, strides=2, padding=same) -> GlobalMaxPooling1D -> Dense(1)",
     lambda K, L: [L.Conv1D(3, 2), L.MaxPooling1D(3, strides=2, padding="same"), L.GlobalMaxPooling1D(), L.Dense(1)], inp=(None, 2), T=10)
spec("avgpool_same", "Input[None,2] -> Conv1D(3, 2, padding=same) -> AveragePooling1D(3, strides=2, padding=same) -> GRU(3) -> Dense(1)",
     lambda K, L: [L.Conv1D(3, 2, padding="same"), L.AveragePooling1D(3, strides=2, padding="same"), L.GRU(3), L.Dense(1)], inp=(None, 2), T=9)
spec("avgpool_valid_flatten", "Input[8,2] -> AveragePooling1D(2) -> Flatten -> Dense(3)",
     lambda K, L: [L.AveragePooling1D(2), L.Flatten(), L.Dense(3)], inp=(8, 2), T=8)
spec("rescaling_reshape", "Input[12] -> Rescaling(0.5, offset=1) -> Reshape([6, 2]) -> SimpleRNN(3) -> Dense(1)",
     lambda K, L: [L.Rescaling(0.5, offset=1.0), L.Reshape((6, 2)), L.SimpleRNN(3), L.Dense(1)], inp=(12,), T=12)
spec("timedistributed_dense_seq2seq", "Input[None,1] -> LSTM(5, return_sequences=True) -> TimeDistributed(Dense(1))  (output [T, 1])",
     lambda K, L: [L.LSTM(5, return_sequences=True), L.TimeDistributed(L.Dense(1))], T=7)
spec("dense_3d_seq2seq", "Input[None,1] -> GRU(4, return_sequences=True) -> Dense(1) per step  (output [T, 1])",
     lambda K, L: [L.GRU(4, return_sequences=True), L.Dense(1)], T=7)
spec("dropout_inference", "Input[None,1] -> LSTM(4, return_sequences=True, dropout=0.3, recurrent_dropout=0.2) -> Dropout(0.5) -> SpatialDropout1D(0.2) -> GRU(3) -> Dense(1)  (identity at inference)",
     lambda K, L: [L.LSTM(4, return_sequences=True, dropout=0.3, recurrent_dropout=0.2), L.Dropout(0.5), L.SpatialDropout1D(0.2), L.GRU(3), L.Dense(1)], T=7)
spec("activation_layer", "Input[None,2] -> Dense(3) per step -> Activation(swish) -> GlobalMaxPooling1D -> Dense(1)",
     lambda K, L: [L.Dense(3), L.Activation("swish"), L.GlobalMaxPooling1D(), L.Dense(1)], inp=(None, 2), T=6)


# The course shapes (Lambda layers). The lambdas must see `tf` as a module global.
def _course_simplernn(K, L):
    return K.models.Sequential([
        L.Lambda(lambda x: tf.expand_dims(x, axis=-1), input_shape=[None]),
        L.SimpleRNN(5, return_sequences=True), L.SimpleRNN(4),
        L.Dense(1),
        L.Lambda(lambda x: x * 100.0)])


def _course_bilstm(K, L):
    return K.models.Sequential([
        L.Lambda(lambda x: tf.expand_dims(x, axis=-1), input_shape=[None]),
        L.Bidirectional(L.LSTM(4, return_sequences=True)), L.Bidirectional(L.LSTM(3)),
        L.Dense(1),
        L.Lambda(lambda x: x * 100.0)])


def _functional_lstm(K, L):
    x = K.Input(shape=(None, 1))
    h = L.LSTM(4)(x)
    y = L.Dense(1)(h)
    return K.Model(x, y)


def _functional_lambda(K, L):
    x = K.Input(shape=(None,))
    h = L.Lambda(lambda v: tf.expand_dims(v, axis=-1))(x)
    h = L.GRU(4)(h)
    h = L.Dense(1)(h)
    y = L.Lambda(lambda v: v * 100.0)(h)
    return K.Model(x, y)


spec("course_simplernn", "Lambda(expand_dims, input_shape=[None]) -> SimpleRNN(5, return_sequences=True) -> SimpleRNN(4) -> Dense(1) -> Lambda(x*100)",
     model=_course_simplernn, inp=(None,), opt=True)
spec("course_bilstm", "Lambda(expand_dims, input_shape=[None]) -> Bidirectional(LSTM(4, return_sequences=True)) -> Bidirectional(LSTM(3)) -> Dense(1) -> Lambda(x*100)",
     model=_course_bilstm, inp=(None,))
spec("functional_lstm_dense", "Functional: Input[None,1] -> LSTM(4) -> Dense(1)", model=_functional_lstm)
spec("functional_lambda_gru", "Functional: Input[None] -> Lambda(expand_dims) -> GRU(4) -> Dense(1) -> Lambda(x*100)",
     model=_functional_lambda, inp=(None,))


# ------------------------------------------------------------------------------------------------
def seed_of(name):
    return zlib.crc32(name.encode()) & 0x7FFFFFFF


def keras_module(version):
    if version == 3:
        import keras as K
    else:
        import tf_keras as K
    return tf, K


def wants_train_ref(name, version):
    """Keras 3: every fixture. Keras 2: only where its training maths could differ from Keras 3
    (hard_sigmoid), the Lambda/functional models and the optimizer fixtures; elsewhere the keras3
    copy (identical weights and inputs) already holds the training reference, and HDF5 group
    overhead would otherwise double the on-disk size."""
    if "dropout" in name:
        return False  # training-time dropout is random: no reference to compare with
    if version == 3:
        return True
    s = SPECS[name]
    return s["opt"] or "hard_sigmoid" in name or name.startswith(("course_", "functional_"))


def has_activation(K, name):
    try:
        K.activations.get(name)
        return True
    except Exception:  # noqa: BLE001
        return False


def weight_path(K, version, w):
    if version == 3:
        return w.path
    return w.name  # tf_keras: 'lstm/lstm_cell/kernel:0', exactly as in weight_names


def file_weight_names(path):
    import h5py
    names = []
    with h5py.File(path, "r") as f:
        g = f["model_weights"]
        for ln in g.attrs["layer_names"]:
            ln = ln.decode() if isinstance(ln, bytes) else ln
            wn = g[ln].attrs["weight_names"]
            names += [n.decode() if isinstance(n, bytes) else str(n) for n in wn]
    return names


def write_group(f, gname, paths, arrays):
    g = f.create_group(gname)
    for p, a in zip(paths, arrays):
        g.create_dataset(p, data=np.asarray(a, dtype=np.float32))
    g.attrs["order"] = list(paths)


def build_model(name, s, K, version):
    L = K.layers
    K.backend.clear_session()
    if s["model"] is not None:
        return s["model"](K, L)
    inp = K.Input(shape=s["inp"])
    return K.models.Sequential([inp] + s["layers"](K, L))


def training_reference(K, model, tw, w0, batch_x, batch_y, with_opt):
    huber = K.losses.Huber(delta=1.0)
    mse = K.losses.MeanSquaredError()
    mae = K.losses.MeanAbsoluteError()
    yx = tf.constant(batch_x)
    yy = tf.constant(batch_y)

    def grads(loss_fn):
        with tf.GradientTape() as tape:
            pred = model(yx, training=True)
            loss = loss_fn(yy, pred)
        return float(loss), [np.array(g) for g in tape.gradient(loss, tw)]

    def restore():
        for w, v in zip(tw, w0):
            w.assign(v)

    def steps(opt, n=2):
        restore()
        out = []
        for _ in range(n):
            _, g = grads(huber)
            opt.apply_gradients(zip([tf.constant(x) for x in g], tw))
            out.append([np.array(w.numpy()) for w in tw])
        return out

    r = {}
    r["loss_huber"], r["grads_huber"] = grads(huber)
    r["loss_mse"], r["grads_mse"] = grads(mse)
    r["loss_mae"] = float(mae(yy, model(yx, training=True)))
    r["sgd"] = steps(K.optimizers.SGD(learning_rate=LR, momentum=0.9))
    for w, v in zip(tw, r["sgd"][0]):  # loss at w1
        w.assign(v)
    r["loss_huber_after_sgd_step"] = float(huber(yy, model(yx, training=True)))
    r["extra"], r["opt_cfg"] = {}, {}
    if with_opt:
        for oname, opt in (("adam", K.optimizers.Adam(learning_rate=LR)),
                           ("rmsprop", K.optimizers.RMSprop(learning_rate=LR))):
            r["extra"][oname] = steps(opt)
            cfg = opt.get_config()
            r["opt_cfg"][oname] = json.dumps({k: (float(v) if isinstance(v, (np.floating, float)) else v)
                                              for k, v in cfg.items()
                                              if isinstance(v, (int, float, bool, str, type(None), np.floating))})
    restore()
    r["sgd_step1_check"] = max(float(np.max(np.abs(a - (w - LR * g)))) for a, w, g in zip(r["sgd"][0], w0, r["grads_huber"]))
    return r


def make_one(name, version, outdir):
    tf, K = keras_module(version)
    import h5py
    s = SPECS[name]
    if s["act"] is not None and not has_activation(K, s["act"]):
        return {"name": name, "skipped": "activation %r not in Keras %s" % (s["act"], K.__version__)}
    K.utils.set_random_seed(seed_of(name))
    model = build_model(name, s, K, version)
    rng = np.random.RandomState(seed_of(name))
    ws = s["wscale"]
    new = [rng.uniform(-ws, ws, size=tuple(w.shape)).astype(np.float32) for w in model.weights]
    model.set_weights(new)

    inp_shape = list(s["inp"])
    if inp_shape and inp_shape[0] is None:
        inp_shape[0] = s["T"]
    inputs = rng.uniform(-2, 2, size=[N_INFER] + inp_shape).astype(np.float32)
    outputs = model.predict(inputs, verbose=0)
    call_out = np.asarray(model(inputs))
    batch_x = rng.uniform(-2, 2, size=[N_BATCH] + inp_shape).astype(np.float32)
    batch_pred = np.asarray(model(batch_x, training=True))
    batch_y = (batch_pred + rng.uniform(-2, 2, size=batch_pred.shape)).astype(np.float32)

    mpath = os.path.join(outdir, name + ".h5")
    model.save(mpath)
    in_file = set(file_weight_names(mpath))
    tw = model.trainable_weights
    paths = [weight_path(K, version, w) for w in tw]
    missing = [p for p in paths if p not in in_file]
    if missing:
        raise RuntimeError("%s: weight paths not in weight_names: %s" % (name, missing))
    w0 = [np.array(w.numpy()) for w in tw]
    train = wants_train_ref(name, version)
    if train:
        tr = training_reference(K, model, tw, w0, batch_x, batch_y, s["opt"])
    check_after = np.max(np.abs(np.asarray(model.predict(inputs, verbose=0)) - outputs))
    assert check_after == 0, "restore failed"

    iopath = os.path.join(outdir, name + ".io.h5")
    with h5py.File(iopath, "w", libver=IO_LIBVER) as f:
        f.attrs["keras_version"] = K.__version__
        f.attrs["tensorflow_version"] = tf.__version__
        f.attrs["model_file"] = name + ".h5"
        f.attrs["description"] = s["desc"]
        f.attrs["weight_init"] = "RandomState(%d).uniform(-%g, %g) for every weight in model.weights order" % (
            seed_of(name), s["wscale"], s["wscale"])
        f.attrs["trainable_weight_paths"] = paths
        f.create_dataset("inputs", data=inputs)
        f.create_dataset("outputs", data=outputs.astype(np.float32))
        if train:
            f.attrs["huber_delta"] = 1.0
            f.attrs["loss_reduction"] = "mean over all elements of batch_y (sum_over_batch_size)"
            f.attrs["sgd"] = "SGD(learning_rate=1e-3, momentum=0.9, nesterov=False), zero initial momentum, Huber loss"
            f.create_dataset("batch_x", data=batch_x)
            f.create_dataset("batch_y", data=batch_y)
            f.create_dataset("batch_pred", data=batch_pred.astype(np.float32))
            for k in ("loss_huber", "loss_mse", "loss_mae", "loss_huber_after_sgd_step"):
                f.create_dataset(k, data=np.float32(tr[k]))
            write_group(f, "grads_huber", paths, tr["grads_huber"])
            write_group(f, "grads_mse", paths, tr["grads_mse"])
            write_group(f, "after_sgd_step", paths, tr["sgd"][0])
            write_group(f, "after_sgd_step2", paths, tr["sgd"][1])
            for oname, ws in tr["extra"].items():
                for k, wk in (("after_%s_step" % oname, ws[0]), ("after_%s_step2" % oname, ws[1])):
                    write_group(f, k, paths, wk)
                    f[k].attrs["optimizer_config"] = tr["opt_cfg"][oname]
    return {"name": name, "desc": s["desc"], "input_shape": [N_INFER] + inp_shape,
            "output_shape": list(outputs.shape), "predict_vs_call": float(np.max(np.abs(call_out - outputs))),
            "sgd_step1_check": tr["sgd_step1_check"] if train else None,
            "optimizers": sorted(tr["extra"]) if train else [], "train_ref": train,
            "bytes": os.path.getsize(mpath) + os.path.getsize(iopath),
            "loss_huber": tr["loss_huber"] if train else None}


def run_version(version, only):
    tf, K = keras_module(version)
    outdir = os.path.join(FIXDIR, "keras%d" % version)
    os.makedirs(outdir, exist_ok=True)
    names = only or list(SPECS)
    results = []
    for name in names:
        r = make_one(name, version, outdir)
        results.append(r)
        if "skipped" in r:
            print("keras%d %-40s SKIPPED: %s" % (version, name, r["skipped"]), flush=True)
        else:
            print("keras%d %-40s out %-12s bytes %6d predict-vs-call %.2g sgd-check %s" % (
                version, name, r["output_shape"], r["bytes"], r["predict_vs_call"], r["sgd_step1_check"]), flush=True)
    summary_path = os.path.join(outdir, "summary.json")
    old = {}
    if os.path.exists(summary_path) and only:
        with open(summary_path) as f:
            old = {r["name"]: r for r in json.load(f)["fixtures"]}
    for r in results:
        old[r["name"]] = r
    with open(summary_path, "w") as f:
        json.dump({"keras_version": K.__version__, "tensorflow_version": tf.__version__,
                   "python": sys.version.split()[0], "numpy": np.__version__,
                   "fixtures": [old[n] for n in SPECS if n in old]}, f, indent=1)
        f.write("\n")


def reload_check():
    """load_model every keras3 fixture in Keras 3 (safe_mode=False, python_utils.tf injected) and every
    keras2 fixture in tf_keras; compare predict(inputs) with outputs."""
    import glob
    import h5py
    import keras
    import tf_keras
    from keras.src.utils import python_utils
    python_utils.tf = tf
    out = {}
    for ver, K in (("keras3", keras), ("keras2", tf_keras)):
        worst, fails, n = 0.0, [], 0
        for p in sorted(glob.glob(os.path.join(FIXDIR, ver, "*.io.h5"))):
            n += 1
            try:
                kw = {"safe_mode": False} if K is keras else {}
                model = K.models.load_model(p[:-6] + ".h5", compile=False, **kw)
                with h5py.File(p, "r") as io:
                    d = float(np.abs(model.predict(io["inputs"][()], verbose=0) - io["outputs"][()]).max())
                worst = max(worst, d)
            except Exception as e:  # noqa: BLE001
                fails.append("%s: %s" % (os.path.basename(p)[:-6], str(e)[:160]))
        out[ver] = {"keras_version": K.__version__, "fixtures": n, "worst_max_abs_diff": worst, "failures": fails}
        print(ver, out[ver])
    with open(os.path.join(FIXDIR, "reload_check.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reload-check", action="store_true")
    ap.add_argument("--keras", type=int, choices=[2, 3], default=None)
    ap.add_argument("--only", default="")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--manifest-only", action="store_true")
    args = ap.parse_args()
    if args.list:
        for n, s in SPECS.items():
            print(n, "|", s["desc"])
        return 0
    if args.reload_check:
        reload_check()
        return 0
    if args.manifest_only:
        import write_manifest
        write_manifest.main()
        return 0
    only = [x for x in args.only.split(",") if x]
    for n in only:
        if n not in SPECS:
            raise SystemExit("unknown fixture " + n)
    if args.keras is None:
        for v in (3, 2):
            cmd = [sys.executable, os.path.abspath(__file__), "--keras", str(v)] + (["--only", args.only] if only else [])
            rc = subprocess.call(cmd)
            if rc:
                return rc
        import write_manifest
        write_manifest.main()
        return 0
    run_version(args.keras, only)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, HERE)
    sys.exit(main())
