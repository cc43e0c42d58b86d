"""Real-Keras check of `recur export`: every file recur writes must load in Keras 3 AND in Keras 2
(tf_keras), in each format recur writes, with Keras's plain loaders (no custom objects, default
``safe_mode``), and predict what recur predicts for the original model.

How to run (from the repository root; ``tools/test.sh`` does this)::

    TF_CPP_MIN_LOG_LEVEL=3 .venv-keras/bin/python tools/keras_roundtrip.py \
        --recur .build/release/recur --work /tmp/roundtrip --coverage \
        Tests/Fixtures/external/m1_simplernn.h5 models/e1_simplernn.h5 Tests/Fixtures/formats/k3_mixed.keras ...

For each MODEL (any file recur reads: ``.h5`` or ``.keras``):

1. ``recur export MODEL --output WORK/NAME.h5``, ``... --output WORK/NAME.keras`` and
   ``... --output WORK/NAME.weights.h5``. A model that recur refuses to write for both Kerases
   (hard_sigmoid, which each Keras defines differently, or an activation tf_keras lacks) is
   exported again with the ``--keras N`` that recur's message names, and checked in that Keras
   only; the line says so.
2. Input windows: ``inputs`` of ``NAME.io.h5`` beside the model when there is one; otherwise
   windows of the course series (``--series``, the model's own window length or ``--window``)
   for a model that takes ``[batch, window]``, or seeded random sequences for one that takes
   features; and for a model that takes windows of any length, the same windows two steps
   shorter as well.
3. ``recur predict MODEL`` on those windows (the original file, not the export).
4. In ``keras`` and ``tf_keras``: ``load_model(NAME.h5)`` and ``load_model(NAME.keras)``, then the
   model's forward pass on the windows (``model(windows, training=False)``, what ``predict``
   runs); then the ``.h5`` model's weights are zeroed and ``load_weights(NAME.weights.h5)`` fills
   them again. Every output of every format must satisfy ``|recur - keras| <= 1e-4 + 1e-5 * |keras|``.

``--coverage`` first saves, with Keras 3, small models of the layers the shared fixtures do not
have (Dropout and the noise layers, Rescaling, Activation, Reshape, Flatten,
TimeDistributed(Dense), Lambda arithmetic ``x / c``, ``x + c``, ``x - c``, ``c - x``,
``expand_dims`` at axis 1, Conv1D with every padding, pooling, global pooling), and checks them
too.

Prints one line per model and exits 1 if any model fails.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
warnings.filterwarnings("ignore")

import h5py  # noqa: E402
import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ABSOLUTE, RELATIVE = 1e-4, 1e-5
WINDOWS = 48
tf = None


def run(args):
    return subprocess.run(args, capture_output=True, text=True)


def export(recur, model, output, flags=()):
    """Exports for both Kerases, or for the one recur's refusal names. Returns the Kerases the
    file must match and the flags it took, or raises with recur's message."""
    result = run([recur, "export", model, "--output", output] + list(flags))
    if result.returncode == 0:
        return ("keras3", "tf_keras") if not flags else ("keras3",) if flags[1] == "3" else ("tf_keras",), list(flags)
    hint = re.search(r"--keras ([23])\)", result.stderr)
    if result.returncode == 65 and hint and not flags:
        return export(recur, model, output, ["--keras", hint.group(1)])
    raise RuntimeError("recur export %s failed (%d): %s" % (os.path.basename(output), result.returncode, result.stderr.strip()))


def stem(path):
    """The file's path without its format's ending (``.h5``, ``.keras``)."""
    return os.path.splitext(path)[0]


def input_windows(model, exported_input_shape, series, window):
    """The windows to predict on, shaped as the model's input [samples, T] or [samples, T, F]."""
    io = stem(model) + ".io.h5"
    if os.path.exists(io):
        with h5py.File(io, "r") as f:
            return np.asarray(f["inputs"], dtype=np.float32)
    dims = list(exported_input_shape[1:])
    steps = dims[0] or window
    if len(dims) == 1:
        values = np.loadtxt(series, delimiter=",", skiprows=1, usecols=1).astype(np.float32)
        starts = np.linspace(0, len(values) - steps, WINDOWS).astype(int)
        return np.stack([values[s:s + steps] for s in starts])
    return np.random.RandomState(7).uniform(-2, 2, size=(WINDOWS, steps, dims[1])).astype(np.float32)


def recur_predict(recur, model, windows, path):
    flat = windows.reshape(len(windows), -1)
    with open(path, "w") as f:
        for row in flat:
            f.write(",".join("%.9g" % v for v in row) + "\n")
    result = run([recur, "predict", model, "--input", path])
    if result.returncode != 0:
        raise RuntimeError("recur predict failed (%d): %s" % (result.returncode, result.stderr.strip()))
    return np.array([[float(v) for v in line.split(",")] for line in result.stdout.split()], dtype=np.float32)


def check(name, recur, model, work, series, window, kerases):
    """Returns [(format, keras, worst |difference|, passed)] and the window lengths checked."""
    path = {fmt: os.path.join(work, name + fmt) for fmt in (".h5", ".keras", ".weights.h5")}
    wanted, flags = export(recur, model, path[".h5"])
    export(recur, model, path[".keras"], flags)
    # Weights carry no activations: the file is the same whichever Keras it is for.
    export(recur, model, path[".weights.h5"], [])
    loaded = {(fmt, label): kerases[label].models.load_model(path[fmt]) for fmt in (".h5", ".keras") for label in wanted}
    input_shape = loaded[(".h5", wanted[0])].input_shape
    windows = input_windows(model, input_shape, series, window)
    # A model that takes windows of any length (the exported Reshape(-1, 1) among others) is
    # also checked on shorter windows.
    batches = [windows]
    if input_shape[1] is None and windows.shape[1] > 3:
        batches.append(np.ascontiguousarray(windows[:, 2:]))
    wants = []
    for batch in batches:
        csv = os.path.join(work, "%s.T%d.csv" % (name, batch.shape[1]))
        wants.append(recur_predict(recur, model, batch, csv).astype(np.float64))

    def compare(fmt, label, keras_model):
        worst, passed = 0.0, True
        for batch, want in zip(batches, wants):
            # The forward pass predict() runs, called directly: predict() traces a graph per
            # model, about a second each here, and computes the same numbers.
            got = np.asarray(keras_model(batch, training=False), dtype=np.float64).reshape(len(batch), -1)
            if got.shape != want.shape:
                raise RuntimeError("%s %s gives outputs of shape %s, recur %s" % (label, fmt, got.shape, want.shape))
            difference = np.abs(want - got)
            worst = max(worst, float(np.max(difference)))
            passed &= bool(np.all(difference <= ABSOLUTE + RELATIVE * np.abs(got)))
        return (fmt, label, worst, passed)

    results = [compare(fmt, label, keras_model) for (fmt, label), keras_model in loaded.items()]
    # The .h5 model, its weights zeroed, then filled from the .weights.h5 file.
    for label in wanted:
        architecture = loaded[(".h5", label)]
        architecture.set_weights([np.zeros_like(w) for w in architecture.get_weights()])
        architecture.load_weights(path[".weights.h5"])
        results.append(compare(".weights.h5", label, architecture))
    return results, [b.shape[1] for b in batches]


def coverage_models(work):
    """Keras 3 models of the layers the fixtures lack, saved as legacy .h5 with an .io.h5 of
    inputs beside each; returns their paths."""
    # The Lambdas must see `tf` as a module global, as in the course; a local would be saved
    # as a closure, which Keras cannot serialise.
    global tf
    import keras
    import tensorflow as tf
    from keras import layers as L

    keras.utils.set_random_seed(11)
    folder = os.path.join(work, "coverage")
    os.makedirs(folder, exist_ok=True)
    specs = {
        "cov_lambda_arithmetic": ([None], [
            L.Lambda(lambda x: tf.expand_dims(x, axis=-1)),
            L.LSTM(4, return_sequences=True), L.Dropout(0.3), L.GRU(3, go_backwards=True),
            L.Dense(2, activation="tanh"), L.Lambda(lambda x: x / 7.0), L.Lambda(lambda x: x + 2.5),
            L.Lambda(lambda x: x - 0.25), L.Lambda(lambda x: 3.0 - x), L.Lambda(lambda x: x * 100.0)]),
        "cov_expand_axis1": ([10], [
            L.Lambda(lambda x: tf.expand_dims(x, axis=1)), L.TimeDistributed(L.Dense(4, activation="relu")),
            L.Flatten(), L.GaussianNoise(0.2), L.Dense(3), L.Activation("gelu"), L.Rescaling(0.5, offset=-1.0)]),
        "cov_reshape_noise": ([None, 2], [
            L.Reshape((-1, 1)), L.SpatialDropout1D(0.1), L.GaussianDropout(0.1), L.AlphaDropout(0.1),
            L.Bidirectional(L.SimpleRNN(3, return_sequences=True), merge_mode="ave"), L.LSTM(2),
            L.Activation("softsign"), L.Dense(1, activation="swish")]),
        "cov_conv_pool": ([None], [
            L.Lambda(lambda x: tf.expand_dims(x, axis=-1)),
            L.Conv1D(4, 3, padding="causal", dilation_rate=2, activation="relu"), L.MaxPooling1D(2),
            L.Conv1D(3, 2, strides=2, padding="same", use_bias=False), L.AveragePooling1D(2, strides=1),
            L.LSTM(3, return_sequences=True), L.GlobalAveragePooling1D(), L.Dense(1)]),
        "cov_conv_valid": ([12, 2], [
            L.Conv1D(5, 4, activation="tanh"), L.Dropout(0.5), L.MaxPooling1D(3, padding="same"),
            L.GlobalMaxPooling1D(), L.Dense(2)]),
        "cov_fixed_reshape": ([6, 2], [
            L.Reshape((3, 4)), L.GRU(3, reset_after=False, return_sequences=True), L.Dense(2, activation="elu"),
            L.Flatten(), L.Dense(1, activation="mish")]),
    }
    paths = []
    for name, (shape, layers) in specs.items():
        model = keras.Sequential([keras.Input(shape=shape)] + layers, name=name)
        dims = [d or 9 for d in shape]
        inputs = np.random.RandomState(3).uniform(-2, 2, size=[5] + dims).astype(np.float32)
        path = os.path.join(folder, name + ".h5")
        model.save(path)
        with h5py.File(path[: -len(".h5")] + ".io.h5", "w") as f:
            f["inputs"] = inputs
        paths.append(path)
    return paths


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recur", required=True, help="the recur binary")
    parser.add_argument("--work", required=True, help="a folder for the exported files and windows")
    parser.add_argument("--series", default=os.path.join(ROOT, "models", "course_series.csv"))
    parser.add_argument("--window", type=int, default=20, help="window for models that leave it open")
    parser.add_argument("--coverage", action="store_true", help="also check models of every other layer recur exports")
    parser.add_argument("--report", help="write each model's results to this JSON file (for tools/conformance.py)")
    parser.add_argument("models", nargs="*")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)

    import absl.logging
    import keras
    import tensorflow
    import tf_keras
    # Loading an uncompiled model logs a warning per model; errors still show.
    absl.logging.set_verbosity(absl.logging.ERROR)
    tensorflow.get_logger().setLevel("ERROR")
    kerases = {"keras3": keras, "tf_keras": tf_keras}
    print("keras %s, tf_keras %s; pass: |recur - keras| <= %g + %g*|keras| (max |d| per format and Keras; ! over)" % (
        keras.__version__, tf_keras.__version__, ABSOLUTE, RELATIVE))

    models = list(args.models) + (coverage_models(args.work) if args.coverage else [])
    if not models:
        parser.error("no models to check")
    failures = 0
    report = {}
    for model in models:
        name = os.path.basename(os.path.dirname(os.path.abspath(model))) + "_" + os.path.basename(model).replace(".", "_")
        try:
            results, lengths = check(name, args.recur, model, args.work, args.series, args.window, kerases)
        except Exception as error:  # one line per model, whatever went wrong
            failures += 1
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            report[os.path.relpath(os.path.abspath(model), ROOT)] = {"error": reason}
            print("FAIL %-40s %s" % (name, reason))
            continue
        report[os.path.relpath(os.path.abspath(model), ROOT)] = {
            "results": [{"format": fmt, "keras": label, "worst": worst, "passed": ok} for fmt, label, worst, ok in results],
            "steps": lengths}
        passed = all(ok for _, _, _, ok in results)
        failures += not passed
        labels = sorted({label for _, label, _, _ in results})
        detail = "  ".join(
            "%s %s" % (fmt, " ".join("%s %.2g%s" % (label, worst, "" if ok else "!") for f, label, worst, ok in results if f == fmt))
            for fmt in (".h5", ".keras", ".weights.h5"))
        only = "" if len(labels) == 2 else "  (exported for %s only)" % labels[0]
        steps = "T=" + ",".join(str(n) for n in lengths)
        print("%s %-40s %-9s %s%s" % ("ok  " if passed else "FAIL", name, steps, detail, only))
    print("%d of %d models match in every Keras they were exported for" % (len(models) - failures, len(models)))
    if args.report:
        with open(args.report, "w") as f:
            json.dump({"keras": keras.__version__, "tf_keras": tf_keras.__version__,
                       "absolute": ABSOLUTE, "relative": RELATIVE, "models": report}, f, indent=1, sort_keys=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
