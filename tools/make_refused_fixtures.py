#!/usr/bin/env python3
"""Models that real Keras saves and recur refuses, for the conformance matrix's list of what a
user is told (docs/keras-conformance.md) and the tests that keep each refusal one clear sentence.

usage: TF_ENABLE_ONEDNN_OPTS=0 .venv-keras/bin/python tools/make_refused_fixtures.py

Writes Tests/Fixtures/refused/{keras3,keras2}/NAME.h5 (train_NAME.h5: models recur runs but does
not train) (model.save of an uncompiled model) and
refused/README.md listing what each one is. Some options exist in one Keras only; those models are
saved by that Keras alone. Each model is small: the files hold the layers, not useful weights.
"""
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "refused")

# The Lambdas must see `tf` as a module global, as a notebook's do.
tf = None


def models(k):
    """NAME -> (what it is, a function building the model with Keras module k)."""
    L = k.layers
    keras3 = k.__name__ == "keras"

    def seq(shape, layers, name):
        return k.Sequential([L.Input(shape=shape)] + layers, name=name)

    def functional_two_inputs():
        a, b = L.Input(shape=(None, 1)), L.Input(shape=(None, 1))
        merged = L.Concatenate()([L.LSTM(3)(a), L.LSTM(3)(b)])
        return k.Model([a, b], L.Dense(1)(merged), name="two_inputs")

    def functional_branch():
        x = L.Input(shape=(None, 1))
        h = L.LSTM(3, return_sequences=True)(x)
        added = L.Add()([L.GRU(3)(h), L.SimpleRNN(3)(h)])
        return k.Model(x, L.Dense(1)(added), name="branch")

    def functional_return_state():
        x = L.Input(shape=(None, 1))
        out, h, c = L.LSTM(3, return_state=True)(x)
        return k.Model(x, L.Dense(1)(L.Concatenate()([out, h, c])), name="return_state")

    def mixed_precision():
        policy = k.mixed_precision.Policy("mixed_float16")
        return seq((None, 1), [L.LSTM(3, dtype=policy), L.Dense(1, dtype="float32")], "mixed")

    def bidirectional_other_backward():
        return seq((None, 1), [L.Bidirectional(L.LSTM(3), backward_layer=L.GRU(3, go_backwards=True)), L.Dense(1)], "bidir_gru_back")

    specs = {
        "embedding": ("an `Embedding` front end (token ids, not a series)",
                      lambda: seq((8,), [L.Embedding(10, 4), L.LSTM(3), L.Dense(1)], "embedding")),
        "layer_normalization": ("`LayerNormalization` between recurrent layers",
                                lambda: seq((None, 1), [L.LSTM(4, return_sequences=True), L.LayerNormalization(), L.LSTM(2), L.Dense(1)], "layernorm")),
        "batch_normalization": ("`BatchNormalization` after a convolution",
                                lambda: seq((None, 1), [L.Conv1D(4, 3), L.BatchNormalization(), L.LSTM(2), L.Dense(1)], "batchnorm")),
        "masking": ("a `Masking` layer (padded sequences)",
                    lambda: seq((None, 1), [L.Masking(0.0), L.LSTM(3), L.Dense(1)], "masking")),
        "attention": ("`MultiHeadAttention` (a Functional model with the layer called on itself)",
                      lambda: (lambda x: k.Model(x, L.Dense(1)(L.GlobalAveragePooling1D()(L.MultiHeadAttention(2, 4)(x, x))), name="attention"))(L.Input(shape=(10, 4)))),
        "conv_lstm": ("a `ConvLSTM1D` layer",
                      lambda: seq((5, 6, 1), [L.ConvLSTM1D(2, 3), L.Flatten(), L.Dense(1)], "conv_lstm")),
        "leaky_relu_layer": ("the `LeakyReLU` layer (not the activation string)",
                             lambda: seq((4,), [L.Dense(3), L.LeakyReLU(), L.Dense(1)], "leaky_layer")),
        "time_distributed_lstm": ("`TimeDistributed` around something other than `Dense`",
                                  lambda: seq((3, 5, 1), [L.TimeDistributed(L.LSTM(2)), L.Flatten(), L.Dense(1)], "td_lstm")),
        "two_inputs": ("a Functional model with two inputs joined by `Concatenate`", functional_two_inputs),
        "branch": ("a Functional model whose layers branch and join with `Add`", functional_branch),
        "return_state": ("`LSTM(return_state=True)` in a Functional model", functional_return_state),
        "mixed_precision": ("a `mixed_float16` dtype policy", mixed_precision),
        "float64": ("layers that compute in float64",
                    lambda: seq((None, 1), [L.SimpleRNN(3, dtype="float64"), L.Dense(1, dtype="float64")], "float64")),
        "merge_mode_none": ("`Bidirectional(merge_mode=None)` (two outputs)",
                            lambda: (lambda x: k.Model(x, [L.Dense(1)(o) for o in L.Bidirectional(L.LSTM(3), merge_mode=None)(x)], name="merge_none"))(L.Input(shape=(None, 1)))),
        "backward_layer": ("`Bidirectional` with a backward layer of another kind", bidirectional_other_backward),
        "conv_groups": ("`Conv1D(groups=2)`", lambda: seq((None, 4), [L.Conv1D(4, 3, groups=2), L.GlobalMaxPooling1D(), L.Dense(1)], "groups")),
        "dropout_noise_shape": ("`Dropout` with a `noise_shape`",
                                lambda: seq((6, 2), [L.Dropout(0.2, noise_shape=(None, 1, 2)), L.LSTM(2), L.Dense(1)], "noise_shape")),
        "keepdims": ("`GlobalAveragePooling1D(keepdims=True)`",
                     lambda: seq((None, 2), [L.GlobalAveragePooling1D(keepdims=True), L.Flatten(), L.Dense(1)], "keepdims")),
        "lambda_other": ("a `Lambda` other than expand_dims or arithmetic by a constant (`tf.math.log1p`)",
                         lambda: seq((None,), [L.Lambda(lambda x: tf.math.log1p(tf.abs(x))), L.Lambda(lambda x: tf.expand_dims(x, axis=-1)), L.LSTM(2), L.Dense(1)], "lambda_log")),
        "upsampling": ("`UpSampling1D`", lambda: seq((None, 1), [L.UpSampling1D(2), L.LSTM(2), L.Dense(1)], "upsampling")),
        "cropping": ("`Cropping1D`", lambda: seq((8, 1), [L.Cropping1D((1, 2)), L.LSTM(2), L.Dense(1)], "cropping")),
    }
    # These load and forecast (the options only matter when training), but `recur train --from`
    # refuses them: their names start with train_.
    specs["train_regularizer"] = ("an `LSTM` with `kernel_regularizer=l2` (adds to the training loss)",
                                  lambda: seq((None, 1), [L.LSTM(3, kernel_regularizer=k.regularizers.l2(0.01)), L.Dense(1)], "regularized"))
    specs["train_constraint"] = ("a `Dense` with `kernel_constraint=MaxNorm(2)` (applied after each update)",
                                 lambda: seq((None, 1), [L.SimpleRNN(3), L.Dense(1, kernel_constraint=k.constraints.MaxNorm(2))], "constrained"))
    specs["train_gaussian_noise"] = ("a `GaussianNoise` layer (random only when training)",
                                     lambda: seq((None, 1), [L.GaussianNoise(0.1), L.LSTM(3), L.Dense(1)], "noisy"))
    if keras3:
        # Keras 2 has no such option.
        specs["conv_channels_first"] = ("`Conv1D(data_format='channels_first')`",
                                        lambda: seq((2, 8), [L.Conv1D(3, 2, data_format="channels_first"), L.Flatten(), L.Dense(1)], "channels_first"))
    return specs


def main():
    global tf
    import tensorflow as tf_module
    tf = tf_module
    import keras
    import tf_keras

    lines = ["# Models Keras saves that recur refuses", "",
             "Made by `tools/make_refused_fixtures.py` with Keras %s and tf_keras %s (TensorFlow %s); "
             "each is `model.save(\"NAME.h5\")` of an uncompiled model. The message recur gives for each is in "
             "`docs/keras-conformance.md`." % (keras.__version__, tf_keras.__version__, tf.__version__), "",
             "| file | what it has |", "|---|---|"]
    for folder, k in (("keras3", keras), ("keras2", tf_keras)):
        os.makedirs(os.path.join(ROOT, folder), exist_ok=True)
        k.utils.set_random_seed(5)
        for name, (what, build) in models(k).items():
            path = os.path.join(ROOT, folder, name + ".h5")
            try:
                model = build()
                model.save(path)
            except Exception as error:  # an option this Keras lacks
                print("%s/%s: not saved (%s)" % (folder, name, str(error).splitlines()[0][:120]), file=sys.stderr)
                if os.path.exists(path):
                    os.remove(path)
                continue
            lines.append("| `%s/%s.h5` | %s |" % (folder, name, what))
            print("%s/%s.h5" % (folder, name))
    with open(os.path.join(ROOT, "README.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
