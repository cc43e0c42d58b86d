"""Benchmark recur against its peers (Keras/TensorFlow and LiteRT) on the shipped course models.

Run it through the wrapper, which builds recur in release first::

    tools/bench-peers.sh            # full run (6 minutes on an idle 2-core box, more when it is shared)
    tools/bench-peers.sh --quick    # E1 and E3 only, fewer rounds (about 3 minutes)

or directly, against an existing release build::

    .venv-keras/bin/python tools/bench_peers.py [--quick] [--models e1,e3] [--rounds N] ...

It writes ``docs/performance.json`` (every raw figure) and ``docs/performance.md`` (the tables,
ratios, targets from issues 6 and 3, the machine, versions and commands).

What it measures, for E1 = models/e1_simplernn.h5, E2 = e2_bilstm1, E3 = e3_bilstm2,
E4 = e4_bilstm3 (the course's models, trained by real Keras):

* batch-1 forecast of one 20-step window: Keras ``model.predict`` (the course loop's call),
  Keras direct call ``model(x, training=False)``, Keras ``tf.function`` call, LiteRT
  ``invoke()`` on several conversions (see below), each with ``num_threads`` 1 and 2, and
  ``recur bench MODEL --json``;
* batch-128 throughput (windows/s): Keras predict and tf.function, LiteRT with a batch
  dimension, ``recur bench --batch 128``;
* the whole 1,441-window forecast of the course series: ``recur forecast MODEL --split 20``
  (wall time of the process) against Keras's course loop (one ``model.predict`` per window),
  one batched ``model.predict`` and a LiteRT loop;
* training seconds per epoch with the course's recipes (E1: SimpleRNN(40)x2, Huber, SGD 5e-5
  momentum 0.9, batch 128; E3: BiLSTM(32)x2, MSE, SGD 1e-6 momentum 0.9, batch 32): Keras
  ``model.fit`` (first epoch, which traces, skipped) against ``recur train``; Keras's epochs are
  timed per batch too, because an epoch's first batch waits for the shuffle buffer to fill, and
  that wait makes most of the spread of an epoch's time (up to a factor of two);
* peak RSS of every process: ``ru_maxrss`` of that child as GNU time (/usr/bin/time) reports it
  (see ``Runner.run`` for why not ``os.wait4`` or RUSAGE_CHILDREN from this process);
* the machine: CPU, cores, load average, and a single-threaded SGEMM figure (numpy/OpenBLAS,
  OPENBLAS_NUM_THREADS=1, 2048^3) measured at the start and the end of the same run;
* the training recipes' matrix products alone: ``recur bench-gemm`` and numpy at the same shapes.

recur is measured twice wherever it matters: as it runs by default (for batches and training it
puts the two directions of a Bidirectional layer on two threads; for a single window it does not)
and with ``RECUR_THREADS=1`` (one thread); at batch 1, models with a Bidirectional layer are also
measured with ``RECUR_THREADS=2``.

Interleaving: the box is shared and noisy, so every figure is measured in rounds. In each round
and for each model, ``recur bench`` runs immediately before and after the block of peer
measurements (their mean is the round's recur figure) and the peers run in alternating order
from round to round. Ratios recur/peer are computed within a round; the tables quote the median
over rounds (and the range). Training alternates Keras and recur processes the same way.

LiteRT conversions (cached in ``.build-peers/`` by model hash and TensorFlow version, because the
fused-LSTM conversion takes about a minute):

* ``while``: ``TFLiteConverter`` on the Keras 3 model (concrete function, variables frozen):
  each recurrent layer becomes a WHILE loop;
* ``unrolled``: the same layers rebuilt with ``unroll=True`` (straight-line FULLY_CONNECTED/
  TANH/LOGISTIC ops; dynamic batch, resized to 128 for throughput);
* ``fused`` (LSTM models): the layers rebuilt in tf_keras (Keras 2), whose LSTM the converter
  turns into UNIDIRECTIONAL_SEQUENCE_LSTM; the converter sets ``cell_clip=10``, which changes
  results. The fused op keeps its state in variable tensors across ``invoke()`` calls, so
  ``reset_all_variables()`` runs (and is timed) before every invoke;
* ``fused_noclip``: the same flatbuffer with ``cell_clip`` patched to 0 (Keras's semantics).

"LiteRT best" is the fastest conversion, with one thread or two, whose outputs match Keras within
the parity tolerance ``1e-5 * max(|keras|, 1)`` on all 1,441 course windows (the clipped fused
conversion does not).

FLOPs per window are counted from the layer shapes (see ``count_flops``): 2 per multiply-add in
every matrix product, 1 per add that combines the input and recurrent products, 1 per bias add,
the LSTM's element-wise gate arithmetic (c = f*c + i*g, h = o*tanh(c): 4 per unit), the final
scale; activation functions (tanh, sigmoid) are not counted (their counts are reported apart).
That convention reproduces issue 6's figures (E1 196,882; E3 1,351,810). Training FLOPs per
epoch are taken as 3x the forward FLOPs per window x 980 windows (backward ~ 2x forward, a
convention, not a count) plus 4 per parameter per step for SGD with momentum.
"""
import argparse
import datetime
import hashlib
import json
import math
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RESULT = "@@RESULT "
ONE_THREAD = {"RECUR_THREADS": "1"}  # recur's switch for its second (Bidirectional) thread
# recur keeps single windows on one thread unless asked (docs/stream.md: on a machine whose other core
# is busy, a hand-off that waits for the scheduler costs more than the second core saves); batch 1 is
# also measured with it asked for, for models with a Bidirectional layer.
TWO_THREADS = {"RECUR_THREADS": "2"}
TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None  # GNU time, for each child's peak RSS

MODELS = {
    "e1": "models/e1_simplernn.h5",
    "e2": "models/e2_bilstm1.h5",
    "e3": "models/e3_bilstm2.h5",
    "e4": "models/e4_bilstm3.h5",
}
WINDOW = 20
SERIES_CSV = "models/course_series.csv"
TRAIN_WINDOWS = 980  # series[:1000] cut into 21-value windows with shift 1
ISSUE_FLOPS = {"e1": 196882, "e3": 1351810}

RECIPES = {
    "e1": dict(model="e1", loss="huber", lr=5e-5, momentum=0.9, batch=128, shuffle=1000,
               arch="SimpleRNN(40, return_sequences=True), SimpleRNN(40), Dense(1), Scale(100)"),
    "e3": dict(model="e3", loss="mse", lr=1e-6, momentum=0.9, batch=32, shuffle=1000,
               arch="Bidirectional(LSTM(32, return_sequences=True)), Bidirectional(LSTM(32)), Dense(1), Scale(100)"),
}

PROFILES = {
    # rounds: batch-1/throughput rounds; keras_s / litert_s: seconds of calls per measurement;
    # recur_iters: `recur bench --iterations`; course_windows: windows of Keras's course loop
    # timed per model (0 = all 1,441); train_rounds; keras/recur epochs per training process.
    "full": dict(models="e1,e2,e3,e4", rounds=5, keras_s=1.0, keras_min=4, litert_s=0.3, litert_min=200,
                 recur_iters=4000, course_windows=40, forecast_runs=3, train_rounds=3,
                 keras_epochs={"e1": 11, "e3": 11}, recur_epochs={"e1": 40, "e3": 10}, sgemm_reps=10, gemm_rounds=3),
    "quick": dict(models="e1,e3", rounds=2, keras_s=0.6, keras_min=3, litert_s=0.2, litert_min=100,
                  recur_iters=3000, course_windows=20, forecast_runs=2, train_rounds=1,
                  keras_epochs={"e1": 4, "e3": 3}, recur_epochs={"e1": 20, "e3": 5}, sgemm_reps=5, gemm_rounds=1),
}


# ==============================================================================================
# Small helpers shared by the orchestrator and the workers
# ==============================================================================================
def _plain(x):
    """JSON fallback for numpy scalars."""
    return x.item() if hasattr(x, "item") else str(x)


def emit(obj):
    sys.stdout.write(RESULT + json.dumps(obj, default=_plain) + "\n")
    sys.stdout.flush()


def course_windows():
    """[1441, 20] float32 windows of the course series, as the course's forecast loop feeds them."""
    import numpy as np
    sys.path.insert(0, HERE)
    import course  # noqa: E402  (numpy only; no TensorFlow)
    return course.all_windows(course.SERIES, WINDOW).astype(np.float32)


def keras_reference(name):
    """Keras's course-loop forecasts (models/NAME.forecast.csv), row i = window i."""
    import numpy as np
    path = os.path.join(ROOT, MODELS[name][:-3] + ".forecast.csv")
    return np.loadtxt(path, skiprows=1, dtype=np.float32)


def parity(got, ref):
    """Outputs against Keras's course-loop forecasts. Two measures: per window, the error in units
    of the parity tests' tolerance 1e-5 * max(|keras|, 1); and over the whole forecast, max |diff| /
    max |keras| (`scale_rel`, the measure tools/numpy_reference.py applies to forecasts with rtol
    1e-5). `equivalent` means scale_rel <= 1e-5. The per-window measure is stricter than Keras is
    with itself: its own batched predict differs from its course loop by up to ~5e-5 on windows
    whose forecast is near 1 (reported as `keras_batched_parity`)."""
    import numpy as np
    got = np.asarray(got, np.float64)
    ref = np.asarray(ref, np.float64)[:len(got)]
    d = np.abs(got - ref)
    tol = 1e-5 * np.maximum(np.abs(ref), 1.0)
    scale_rel = float(d.max() / np.abs(ref).max())
    return {"windows": int(len(got)), "max_abs_diff": float(d.max()),
            "worst_in_tolerance_units": float((d / tol).max()),
            "windows_outside_tolerance": int((d > tol).sum()),
            "scale_rel": scale_rel, "equivalent": scale_rel <= 1e-5}


def pct(sorted_values, q):
    """Nearest-rank percentile the way `recur bench` takes it: values[min(n-1, n*q//100)]."""
    n = len(sorted_values)
    return sorted_values[min(n - 1, n * q // 100)]


def sample_loop(fn, seconds, min_calls, max_calls=200000):
    """Calls fn() until `seconds` have passed and at least `min_calls` were made; µs per call."""
    out = []
    begin = time.perf_counter()
    while len(out) < max_calls:
        t = time.perf_counter_ns()
        fn()
        out.append((time.perf_counter_ns() - t) / 1000.0)
        if len(out) >= min_calls and time.perf_counter() - begin >= seconds:
            break
    return out


def quiet_tf():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")


def load_keras_model(name):
    """The shipped model in Keras 3, as models/README.md says to load it."""
    import tensorflow as tf
    import keras
    from keras.src.utils import python_utils
    python_utils.tf = tf  # the Lambda bodies refer to the global `tf`
    return keras.models.load_model(os.path.join(ROOT, MODELS[name]), safe_mode=False, compile=False)


# ==============================================================================================
# Workers (each runs in its own process: `bench_peers.py --worker KIND ...`)
# ==============================================================================================
def worker_sgemm(args):
    import resource
    import numpy as np
    n = 2048
    rng = np.random.default_rng(1)
    a = rng.random((n, n), dtype=np.float32)
    b = rng.random((n, n), dtype=np.float32)
    c = np.empty((n, n), np.float32)
    np.matmul(a, b, out=c)
    times = []
    u0 = resource.getrusage(resource.RUSAGE_SELF)
    w0 = time.perf_counter()
    for _ in range(args.reps):
        t = time.perf_counter()
        np.matmul(a, b, out=c)
        times.append(time.perf_counter() - t)
    wall = time.perf_counter() - w0
    u1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (u1.ru_utime - u0.ru_utime) + (u1.ru_stime - u0.ru_stime)
    flop = 2.0 * n ** 3
    blas = {}
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg.get("Build Dependencies", {}).get("blas", {})
    except Exception as e:  # older numpy
        blas = {"error": repr(e)}
    emit({"n": n, "dtype": "float32", "reps": args.reps, "seconds": times,
          "gflops_best": flop / min(times) / 1e9, "gflops_median": flop / statistics.median(times) / 1e9,
          "cpu_over_wall": cpu / wall, "gflops_per_cpu_second": flop * args.reps / cpu / 1e9, "numpy": np.__version__,
          "blas": {k: blas.get(k) for k in ("name", "version", "openblas configuration") if k in blas},
          "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS")})


# The matrix products of the two training recipes, as recur's training calls them: (recipe, what, M, N, K,
# A stored transposed, calls per training step). E1: batch 128, 20 steps, SimpleRNN(40) twice; E3: batch 32,
# 20 steps, Bidirectional(LSTM(32)) twice (the second layer's products; the first layer's have K or M = 1).
# Each recurrent layer (direction) makes one product of each "step" kind per time step.
GEMM_SHAPES = [
    ("e1", "input projection and input gradient", 2560, 40, 40, False, 2),
    ("e1", "kernel gradient", 40, 40, 2560, True, 1),
    ("e1", "recurrent step and state gradient", 128, 40, 40, False, 80),
    ("e1", "recurrent-kernel gradient (per step)", 40, 40, 128, True, 40),
    ("e3", "input projection", 640, 128, 64, False, 2),
    ("e3", "input gradient", 640, 64, 128, False, 2),
    ("e3", "kernel gradient", 64, 128, 640, True, 2),
    ("e3", "recurrent step", 32, 128, 32, False, 80),
    ("e3", "state gradient (per step)", 32, 32, 128, False, 80),
    ("e3", "recurrent-kernel gradient (per step)", 32, 128, 32, True, 80),
    ("ref", "the SGEMM reference's shape", 2048, 2048, 2048, False, 1),
]


def worker_sgemm_shapes(args):
    """numpy (OpenBLAS, one thread) at GEMM_SHAPES: the median of calls over about 0.3 s each."""
    import numpy as np
    rng = np.random.default_rng(1)
    rows = []
    for recipe, what, m, n, k, transposed, _ in GEMM_SHAPES:
        a = rng.random((k, m) if transposed else (m, k), dtype=np.float32)
        b = rng.random((k, n), dtype=np.float32)
        c = np.empty((m, n), np.float32)
        left = a.T if transposed else a
        np.matmul(left, b, out=c)
        times = []
        begin = time.perf_counter()
        while time.perf_counter() - begin < 0.3 or len(times) < 5:
            t = time.perf_counter()
            np.matmul(left, b, out=c)
            times.append(time.perf_counter() - t)
        rows.append({"recipe": recipe, "what": what, "m": m, "n": n, "k": k, "transposed_a": transposed,
                     "calls": len(times), "gflops_median": 2.0 * m * n * k / statistics.median(times) / 1e9})
    emit({"shapes": rows})


def layer_spec(model):
    """The shipped models' layers as a plain list: Lambda(expand_dims), recurrent layers, Dense,
    Lambda(x * c)."""
    import numpy as np
    import keras
    spec = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.Bidirectional):
            f = layer.forward_layer
            spec.append({"kind": type(f).__name__, "units": f.units, "return_sequences": bool(f.return_sequences),
                         "bidirectional": True, "merge_mode": layer.merge_mode})
        elif isinstance(layer, (keras.layers.SimpleRNN, keras.layers.LSTM, keras.layers.GRU)):
            spec.append({"kind": type(layer).__name__, "units": layer.units,
                         "return_sequences": bool(layer.return_sequences), "bidirectional": False})
        elif isinstance(layer, keras.layers.Dense):
            spec.append({"kind": "Dense", "units": layer.units})
        elif isinstance(layer, keras.layers.Lambda):
            probe = np.asarray(layer(np.ones((1, 1), np.float32)))
            if probe.ndim == 3:
                spec.append({"kind": "ExpandDims"})
            else:
                spec.append({"kind": "Scale", "factor": float(probe.reshape(-1)[0])})
        else:
            raise ValueError("unexpected layer %s in a course model" % type(layer).__name__)
    return spec


def rebuild(model, spec, K, unroll=False, batch=None):
    """The same network in Keras 3 (K = keras) or Keras 2 (K = tf_keras), with the same weights."""
    import tensorflow as tf
    L = K.layers
    layers = [L.Input((WINDOW,), batch_size=batch)]
    for s in spec:
        if s["kind"] == "ExpandDims":
            layers.append(L.Lambda(lambda t: tf.expand_dims(t, axis=-1)))
        elif s["kind"] == "Scale":
            factor = s["factor"]
            layers.append(L.Lambda(lambda t, c=factor: t * c))
        elif s["kind"] == "Dense":
            layers.append(L.Dense(s["units"]))
        else:
            cell = getattr(L, s["kind"])(s["units"], return_sequences=s["return_sequences"], unroll=unroll)
            layers.append(L.Bidirectional(cell, merge_mode=s["merge_mode"]) if s["bidirectional"] else cell)
    clone = K.Sequential(layers)
    clone.set_weights(model.get_weights())
    return clone


def patch_cell_clip(flatbuffer, value):
    """The .tflite with every LSTM op's cell_clip set to `value`."""
    import flatbuffers
    from tensorflow.lite.python import schema_py_generated as fb
    model = fb.ModelT.InitFromObj(fb.Model.GetRootAsModel(flatbuffer, 0))
    for sg in model.subgraphs:
        for op in sg.operators:
            if hasattr(op.builtinOptions, "cellClip"):
                op.builtinOptions.cellClip = value
    builder = flatbuffers.Builder(len(flatbuffer) + 1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def tflite_facts(flatbuffer):
    import collections
    from ai_edge_litert.interpreter import Interpreter
    from tensorflow.lite.python import schema_py_generated as fb
    ops = collections.Counter(d["op_name"] for d in Interpreter(model_content=flatbuffer)._get_ops_details())
    model = fb.ModelT.InitFromObj(fb.Model.GetRootAsModel(flatbuffer, 0))
    clips = sorted({op.builtinOptions.cellClip for sg in model.subgraphs for op in sg.operators
                    if hasattr(op.builtinOptions, "cellClip")})
    return {"ops": dict(ops), "cell_clip": clips, "bytes": len(flatbuffer)}


def litert_interpreter(path, batch, threads=1):
    from ai_edge_litert.interpreter import Interpreter
    it = Interpreter(model_path=path, num_threads=threads)
    detail = it.get_input_details()[0]
    if int(detail["shape"][0]) != batch:
        it.resize_tensor_input(detail["index"], [batch, WINDOW])
    it.allocate_tensors()
    return it, detail["index"], it.get_output_details()[0]["index"]


def litert_outputs(path, batch, windows, stateful):
    """Forecasts for consecutive chunks of `batch` windows (only whole chunks)."""
    import numpy as np
    it, i, o = litert_interpreter(path, batch)
    out = []
    for s in range(0, len(windows) - batch + 1, batch):
        if stateful:
            it.reset_all_variables()
        it.set_tensor(i, windows[s:s + batch])
        it.invoke()
        out.append(it.get_tensor(o)[:, 0].copy())
    return np.concatenate(out)


def worker_prepare(args):
    """Loads each model in Keras, counts its layers, converts (or reuses cached) LiteRT variants
    and checks every variant's outputs against Keras on all 1,441 course windows."""
    quiet_tf()
    import numpy as np
    import tensorflow as tf
    import keras
    import tf_keras
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2
    windows = course_windows()
    os.makedirs(args.cache, exist_ok=True)
    out = {}
    for name in args.models.split(","):
        path = os.path.join(ROOT, MODELS[name])
        digest = hashlib.sha256(open(path, "rb").read()).hexdigest()[:16]
        model = load_keras_model(name)
        spec = layer_spec(model)
        ref = keras_reference(name)
        has_lstm = any(s["kind"] == "LSTM" for s in spec)
        info = {"file": MODELS[name], "sha256_16": digest, "params": int(model.count_params()), "spec": spec,
                "variants": {},
                "keras_batched_parity": parity(model.predict(windows, batch_size=256, verbose=0)[:, 0], ref)}

        def concrete(m, batch):
            fn = tf.function(lambda x: m(x, training=False))
            return convert_variables_to_constants_v2(fn.get_concrete_function(tf.TensorSpec([batch, WINDOW], tf.float32)))

        def make_while(batch):
            return tf.lite.TFLiteConverter.from_concrete_functions([concrete(model, batch)]).convert()

        def make_unrolled(batch):
            clone = rebuild(model, spec, keras, unroll=True)
            gap = float(np.abs(clone.predict(windows, batch_size=256, verbose=0)[:, 0]
                               - model.predict(windows, batch_size=256, verbose=0)[:, 0]).max())
            info["unrolled_rebuild_max_abs_diff_vs_keras"] = gap
            return tf.lite.TFLiteConverter.from_concrete_functions([concrete(clone, batch)]).convert()

        def make_fused(batch):
            clone = rebuild(model, spec, tf_keras, batch=batch)
            return tf.lite.TFLiteConverter.from_keras_model(clone).convert()

        plan = [("while", 1, make_while), ("while", 128, make_while), ("unrolled", None, make_unrolled)]
        if has_lstm:
            plan += [("fused", 1, make_fused)]
            if not args.no_fused_batch:
                plan += [("fused", 128, make_fused)]
        for variant, batch, make in plan:
            stem = "%s-%s-tf%s-%s-b%s" % (name, digest, tf.__version__, variant, batch or "any")
            file = os.path.join(args.cache, stem + ".tflite")
            meta_file = os.path.join(args.cache, stem + ".json")
            if os.path.exists(file) and os.path.exists(meta_file):
                meta = json.load(open(meta_file))
                meta["cached"] = True
            else:
                t = time.perf_counter()
                try:
                    flat = make(batch)
                except Exception as e:
                    info["variants"]["%s/b%s" % (variant, batch or "any")] = {"error": repr(e)[-400:]}
                    continue
                meta = {"convert_seconds": time.perf_counter() - t, "cached": False}
                open(file, "wb").write(flat)
                json.dump(meta, open(meta_file, "w"))
            flat = open(file, "rb").read()
            entries = [(variant, file, flat)]
            if variant == "fused":
                noclip_file = file.replace("-fused-", "-fused_noclip-")
                if not os.path.exists(noclip_file):
                    open(noclip_file, "wb").write(patch_cell_clip(flat, 0.0))
                entries.append(("fused_noclip", noclip_file, open(noclip_file, "rb").read()))
            for vname, vfile, vflat in entries:
                facts = tflite_facts(vflat)
                stateful = "UNIDIRECTIONAL_SEQUENCE_LSTM" in facts["ops"]
                checks = {}
                for b in ([1, 128] if batch is None else [batch]):
                    got = litert_outputs(vfile, b, windows, stateful)
                    checks["b%d" % b] = parity(got, ref)
                    if stateful and b == 1:
                        # what a caller gets without reset_all_variables() between invokes
                        it, i, o = litert_interpreter(vfile, 1)
                        nores = []
                        for w in windows:
                            it.set_tensor(i, w[None])
                            it.invoke()
                            nores.append(float(it.get_tensor(o)[0, 0]))
                        checks["b1_without_reset"] = parity(nores, ref)
                for b in ([1, 128] if batch is None else [batch]):
                    info["variants"]["%s/b%d" % (vname, b)] = dict(
                        meta, file=vfile, batch=b, dynamic_batch=batch is None, stateful=stateful,
                        **facts, parity=checks["b%d" % b],
                        **({"parity_without_reset": checks["b1_without_reset"]} if "b1_without_reset" in checks and b == 1 else {}))
        out[name] = info
    emit(out)


def worker_keras_latency(args):
    """Persistent: reads JSON commands on stdin, answers with µs per call."""
    quiet_tf()
    import numpy as np
    import tensorflow as tf
    windows = course_windows()
    models, fns, warm = {}, {}, set()
    emit({"ready": True, "tf": tf.__version__})
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd.get("cmd") == "quit":
            break
        name, method, batch = cmd["model"], cmd["method"], cmd["batch"]
        if name not in models:
            models[name] = load_keras_model(name)
            fns[name] = tf.function(lambda x, m=models[name]: m(x, training=False),
                                    input_signature=[tf.TensorSpec([None, WINDOW], tf.float32)])
        model = models[name]
        cursor = [0]

        def nxt():
            s = cursor[0] % (len(windows) - batch + 1)
            cursor[0] += batch
            return windows[s:s + batch]

        if method == "predict":
            call = lambda: model.predict(nxt(), batch_size=batch, verbose=0)  # noqa: E731
        elif method == "call":
            call = lambda: model(nxt(), training=False)  # noqa: E731
        elif method == "tf_function":
            call = lambda: fns[name](nxt()).numpy()  # noqa: E731
        else:
            raise ValueError(method)
        key = (name, method, batch)
        if key not in warm:
            for _ in range(3):
                call()
            warm.add(key)
        emit({"us": sample_loop(call, cmd["seconds"], cmd["min_calls"])})


def worker_litert_latency(args):
    """Persistent: LiteRT only (no TensorFlow in this process); µs per invoke()."""
    windows = course_windows()
    interpreters = {}
    emit({"ready": True})
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd.get("cmd") == "quit":
            break
        key = (cmd["file"], cmd["batch"], cmd.get("threads", 1))
        if key not in interpreters:
            it, i, o = litert_interpreter(cmd["file"], cmd["batch"], cmd.get("threads", 1))
            it.set_tensor(i, windows[:cmd["batch"]])
            for _ in range(20):
                it.invoke()
            interpreters[key] = it
        it = interpreters[key]
        if cmd["stateful"]:
            def call():
                it.reset_all_variables()
                it.invoke()
        else:
            call = it.invoke
        emit({"us": sample_loop(call, cmd["seconds"], cmd["min_calls"])})


def worker_keras_forecast(args):
    """One process per model: the course's forecast loop (one model.predict per window) over the
    first N windows, then one batched model.predict over all 1,441 (twice: cold and warm)."""
    t0 = time.perf_counter()
    quiet_tf()
    import numpy as np
    import tensorflow as tf  # noqa: F401
    import keras  # noqa: F401
    t_import = time.perf_counter() - t0
    windows = course_windows()
    t = time.perf_counter()
    model = load_keras_model(args.model)
    t_load = time.perf_counter() - t
    n = len(windows) if args.windows <= 0 else max(2, min(args.windows, len(windows)))
    per_call, forecasts = [], []
    loop_begin = time.perf_counter()
    for i in range(n):  # the course: model.predict(series[time:time + window_size][np.newaxis])
        t = time.perf_counter()
        forecasts.append(model.predict(windows[i][np.newaxis], verbose=0)[0, 0])
        per_call.append(time.perf_counter() - t)
    loop = time.perf_counter() - loop_begin
    batched = []
    for _ in range(2):
        t = time.perf_counter()
        all_fc = model.predict(windows, batch_size=256, verbose=0)[:, 0]
        batched.append(time.perf_counter() - t)
    emit({"import_s": t_import, "load_s": t_load, "loop_windows": n, "loop_s": loop,
          "loop_per_call_median_s": statistics.median(per_call), "loop_per_call_mean_s": loop / n,
          "loop_first_call_s": per_call[0],
          "loop_1441_s": loop if n == len(windows) else per_call[0] + statistics.fmean(per_call[1:]) * (len(windows) - 1),
          "loop_extrapolated": n < len(windows),
          "batched_cold_s": batched[0], "batched_warm_s": batched[1], "batched_batch_size": 256,
          "loop_parity": parity(forecasts, keras_reference(args.model)),
          "batched_parity": parity(all_fc, keras_reference(args.model))})


def worker_litert_forecast(args):
    """One process per model, LiteRT only: the 1,441-window loop at batch 1 with the given
    conversion, and (if given) one invoke on all 1,441 windows with a dynamic-batch conversion."""
    t0 = time.perf_counter()
    import numpy as np  # noqa: F401
    from ai_edge_litert.interpreter import Interpreter  # noqa: F401
    t_import = time.perf_counter() - t0
    windows = course_windows()
    t = time.perf_counter()
    it, i, o = litert_interpreter(args.file, 1)
    t_load = time.perf_counter() - t
    out = []
    begin = time.perf_counter()
    for w in windows:
        if args.stateful:
            it.reset_all_variables()
        it.set_tensor(i, w[None])
        it.invoke()
        out.append(float(it.get_tensor(o)[0, 0]))
    loop = time.perf_counter() - begin
    result = {"import_s": t_import, "load_s": t_load, "loop_s": loop, "loop_windows": len(windows),
              "loop_parity": parity(out, keras_reference(args.model))}
    if args.batched_file:
        it2, i2, o2 = litert_interpreter(args.batched_file, len(windows))
        it2.set_tensor(i2, windows)
        t = time.perf_counter()
        it2.invoke()
        result["batched_cold_s"] = time.perf_counter() - t
        t = time.perf_counter()
        it2.invoke()
        result["batched_warm_s"] = time.perf_counter() - t
        result["batched_parity"] = parity(it2.get_tensor(o2)[:, 0], keras_reference(args.model))
    emit(result)


def worker_keras_train(args):
    """One process per recipe: the course's model and recipe, `model.fit` for N epochs, wall
    seconds per epoch (the first epoch includes tracing)."""
    t0 = time.perf_counter()
    quiet_tf()
    import tensorflow as tf
    import keras
    sys.path.insert(0, HERE)
    import course
    t_import = time.perf_counter() - t0
    r = RECIPES[args.recipe]
    keras.utils.set_random_seed(args.seed)
    L = keras.layers
    head = [L.Lambda(lambda x: tf.expand_dims(x, axis=-1), input_shape=[None])]
    if args.recipe == "e1":
        body = [L.SimpleRNN(40, return_sequences=True), L.SimpleRNN(40)]
    else:
        body = [L.Bidirectional(L.LSTM(32, return_sequences=True)), L.Bidirectional(L.LSTM(32))]
    model = keras.models.Sequential(head + body + [L.Dense(1), L.Lambda(lambda x: x * 100.0)])
    loss = keras.losses.Huber() if r["loss"] == "huber" else "mse"
    model.compile(loss=loss, optimizer=keras.optimizers.SGD(learning_rate=r["lr"], momentum=r["momentum"]),
                  metrics=["mae"])
    ds = course.windowed_dataset(course.x_train, course.window_size, r["batch"], r["shuffle"])
    times, first_batch, other_batches = [], [], []

    class Timer(keras.callbacks.Callback):
        # Per batch as well: an epoch's first batch waits for the shuffle buffer to fill.
        def on_epoch_begin(self, epoch, logs=None):
            self.t = self.last = time.perf_counter()
            self.batches = []

        def on_train_batch_end(self, batch, logs=None):
            now = time.perf_counter()
            self.batches.append(now - self.last)
            self.last = now

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.t)
            first_batch.append(self.batches[0])
            other_batches.append(statistics.median(self.batches[1:]) if len(self.batches) > 1 else None)

    hist = model.fit(ds, epochs=args.epochs, callbacks=[Timer()], verbose=0)
    emit({"import_s": t_import, "epoch_s": times, "first_batch_s": first_batch,
          "median_other_batch_s": other_batches, "loss": [float(x) for x in hist.history["loss"]],
          "params": int(model.count_params()),
          "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
          "inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads()})


WORKERS = {"sgemm": worker_sgemm, "sgemm-shapes": worker_sgemm_shapes, "prepare": worker_prepare, "keras-latency": worker_keras_latency,
           "litert-latency": worker_litert_latency, "keras-forecast": worker_keras_forecast,
           "litert-forecast": worker_litert_forecast, "keras-train": worker_keras_train}


# ==============================================================================================
# FLOPs
# ==============================================================================================
def count_flops(spec, steps=WINDOW):
    """Forward FLOPs per window (see the module docstring for the convention) and the number of
    activation-function evaluations, per layer."""
    d = 1
    layers, total, acts = [], 0, 0
    for s in spec:
        kind = s["kind"]
        if kind == "ExpandDims":
            continue
        if kind in ("SimpleRNN", "LSTM", "GRU"):
            u = s["units"]
            g = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}[kind]
            matmul = 2 * d * g * u + 2 * u * g * u
            combine = g * u  # input product + recurrent product
            bias = g * u
            if kind == "LSTM":
                elementwise, activations = 4 * u, 5 * u  # c=f*c+i*g (3u), h=o*tanh(c) (u); 3 sigmoid + 2 tanh
            elif kind == "SimpleRNN":
                elementwise, activations = 0, u
            else:
                raise ValueError("GRU counting not needed for the course models")
            per_step = matmul + combine + bias + elementwise
            dirs = 2 if s["bidirectional"] else 1
            f = per_step * steps * dirs
            a = activations * steps * dirs
            layers.append({"layer": ("Bidirectional(%s(%d))" if dirs == 2 else "%s(%d)") % (kind, u),
                           "input_features": d, "flops_per_step_per_direction": per_step,
                           "matmul": matmul, "combine_adds": combine, "bias_adds": bias,
                           "elementwise": elementwise, "flops": f, "activations": a})
            total += f
            acts += a
            d = u * dirs
        elif kind == "Dense":
            f = 2 * d * s["units"] + s["units"]
            layers.append({"layer": "Dense(%d)" % s["units"], "input_features": d, "flops": f})
            total += f
            d = s["units"]
        elif kind == "Scale":
            layers.append({"layer": "Scale(%g)" % s["factor"], "flops": d})
            total += d
    return {"flops_per_window": total, "activations_per_window": acts, "layers": layers}


# ==============================================================================================
# Orchestrator
# ==============================================================================================
class Runner:
    def __init__(self, opts, work):
        self.opts = opts
        self.work = work
        self.python = sys.executable
        self.logs = os.path.join(work, "logs")
        os.makedirs(self.logs, exist_ok=True)
        self.counter = 0

    def run(self, argv, env=None, label="proc"):
        """Runs a child to completion; returns its exit code, stdout, wall seconds, peak RSS (KB) and
        CPU seconds. The child runs under GNU time, which forks it from its own small process: a
        child forked straight from this Python process would report this process's peak RSS
        (Linux keeps the high-water mark across exec, and subprocess uses vfork), and
        RUSAGE_CHILDREN is the maximum over all children."""
        self.counter += 1
        out_path = os.path.join(self.logs, "%03d-%s.out" % (self.counter, label))
        err_path = os.path.join(self.logs, "%03d-%s.err" % (self.counter, label))
        time_path = os.path.join(self.logs, "%03d-%s.time" % (self.counter, label))
        full_env = dict(os.environ)
        if env:
            full_env.update(env)
        wrapped = [TIME, "-f", "%M %U %S", "-o", time_path] + argv if TIME else argv
        with open(out_path, "w") as out, open(err_path, "w") as err:
            t = time.perf_counter()
            p = subprocess.Popen(wrapped, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=ROOT, env=full_env)
            _, status, usage = os.wait4(p.pid, 0)
            wall = time.perf_counter() - t
        p.returncode = os.waitstatus_to_exitcode(status)
        rss, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
        if TIME:
            try:
                fields = [l for l in open(time_path).read().splitlines() if l.strip()][-1].split()  # a note may precede it
                rss, cpu = int(fields[0]), float(fields[1]) + float(fields[2])
            except (OSError, IndexError, ValueError):
                rss = None
        text = open(out_path).read()
        return {"code": p.returncode, "stdout": text, "wall_s": wall, "maxrss_kb": rss,
                "cpu_s": cpu, "stderr_path": err_path}

    def worker(self, kind, extra, env=None, label=None):
        res = self.run([self.python, os.path.abspath(__file__), "--worker", kind] + extra, env=env,
                       label=label or kind)
        payload = None
        for line in res["stdout"].splitlines():
            if line.startswith(RESULT):
                payload = json.loads(line[len(RESULT):])
        if res["code"] != 0 or payload is None:
            tail = open(res["stderr_path"]).read()[-3000:]
            raise RuntimeError("worker %s failed (exit %s):\n%s" % (kind, res["code"], tail))
        res["result"] = payload
        return res


class Persistent:
    """A worker process that answers JSON commands, one per line."""

    def __init__(self, runner, kind, env=None):
        err = open(os.path.join(runner.logs, "persistent-%s.err" % kind), "w")
        full_env = dict(os.environ)
        if env:
            full_env.update(env)
        self.p = subprocess.Popen([runner.python, os.path.abspath(__file__), "--worker", kind],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True,
                                  cwd=ROOT, env=full_env, bufsize=1)
        self.err_path = err.name
        self.ready = self._read()

    def _read(self):
        while True:
            line = self.p.stdout.readline()
            if not line:
                raise RuntimeError("persistent worker died:\n" + open(self.err_path).read()[-3000:])
            if line.startswith(RESULT):
                return json.loads(line[len(RESULT):])

    def ask(self, **cmd):
        self.p.stdin.write(json.dumps(cmd) + "\n")
        self.p.stdin.flush()
        return self._read()

    def close(self):
        try:
            self.p.stdin.write(json.dumps({"cmd": "quit"}) + "\n")
            self.p.stdin.flush()
            self.p.wait(timeout=30)
        except Exception:
            self.p.kill()
            self.p.wait()


def summarize(samples):
    s = sorted(samples)
    return {"n": len(s), "median_us": statistics.median(s), "p99_us": pct(s, 99), "mean_us": statistics.fmean(s)}


def loadavg():
    try:
        return [float(x) for x in open("/proc/loadavg").read().split()[:3]]
    except OSError:
        return None


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, cwd=ROOT, capture_output=True, text=True, timeout=60).stdout.strip()
    except Exception as e:
        return "error: %r" % e


def machine_info():
    info = {"cores": os.cpu_count(), "kernel": platform.release(), "python": platform.python_version()}
    lscpu = sh("LC_ALL=C lscpu")
    for key in ("Model name", "Vendor ID", "CPU family", "Model", "Stepping", "Hypervisor vendor", "L1d cache",
                "L2 cache", "L3 cache", "BogoMIPS", "Thread(s) per core", "Core(s) per socket"):
        m = re.search(r"^%s:\s*(.+)$" % re.escape(key), lscpu, re.M)
        if m:
            info[key] = m.group(1).strip()
    flags = re.search(r"^Flags:\s*(.+)$", lscpu, re.M)
    if flags:
        have = set(flags.group(1).split())
        info["simd_flags"] = [f for f in ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl",
                                          "avx512_vnni", "avx512_bf16", "amx_tile") if f in have]
    mem = re.search(r"MemTotal:\s*(\d+)", sh("cat /proc/meminfo"))
    info["mem_total"] = "%.1f GiB" % (int(mem.group(1)) / 2 ** 20) if mem else "?"
    return info


def versions(python):
    code = ("import importlib.metadata as m, json, platform\n"
            "out = {'python': platform.python_version()}\n"
            "for p in ['tensorflow', 'tensorflow-cpu', 'keras', 'tf-keras', 'ai-edge-litert', 'numpy', 'h5py']:\n"
            "    try: out[p] = m.version(p)\n"
            "    except Exception: out[p] = None\n"
            "print(json.dumps(out))\n")
    v = json.loads(subprocess.run([python, "-c", code], capture_output=True, text=True).stdout)
    v["swift"] = sh("swift --version 2>&1 | head -1")
    return v


def recur_info(recur):
    data = open(recur, "rb").read()
    dirty = sh("git status --porcelain -- Sources CSupport Package.swift")
    return {"binary": os.path.relpath(recur, ROOT), "sha256_16": hashlib.sha256(data).hexdigest()[:16],
            "bytes": len(data), "built": datetime.datetime.fromtimestamp(os.path.getmtime(recur)).isoformat(timespec="seconds"),
            "git_head": sh("git rev-parse --short HEAD"), "git_head_subject": sh("git log -1 --format=%s"),
            "uncommitted_source_files": [l[3:] for l in dirty.splitlines() if l.strip()],
            "malloc_counter": os.path.exists(os.path.join(os.path.dirname(recur), "libRecurMallocCounter.so"))}


def parse_bench(text):
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise ValueError("no JSON in recur bench output: %r" % text[:500])


EPOCH_RE = re.compile(r"Epoch\s+(\d+)\s*/\s*(\d+).*?([0-9]+(?:\.[0-9]+)?(?:e-?[0-9]+)?)\s*s\s*$")


def parse_train(text):
    epochs = []
    for line in text.splitlines():
        m = EPOCH_RE.search(line.strip())
        if m:
            epochs.append(float(m.group(3)))
    arena = re.search(r"Training arena:\s*([0-9.]+)\s*MB", text)
    mae = re.search(r"^MAE:\s*([0-9.eE+-]+)", text, re.M)
    return {"epoch_s": epochs, "arena_mb": float(arena.group(1)) if arena else None,
            "mae": float(mae.group(1)) if mae else None}


def read_forecast_csv(path):
    import numpy as np
    rows = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    return rows[:, 0].astype(int), rows[:, -1]


def main_orchestrate(opts):
    import numpy as np  # noqa: F401  (used by helpers)
    started = time.time()
    prof = dict(PROFILES["quick" if opts.quick else "full"])
    for key in ("models", "rounds", "train_rounds", "course_windows"):
        if getattr(opts, key) is not None:
            prof[key] = getattr(opts, key)
    names = [n.strip() for n in prof["models"].split(",") if n.strip()]
    recur = os.path.abspath(os.path.join(ROOT, opts.recur))
    if not os.access(recur, os.X_OK):
        sys.exit("bench_peers: %s not found; build it with tools/bench-peers.sh (swift build -c release)" % recur)
    work = tempfile.mkdtemp(prefix="bench-peers-")
    runner = Runner(opts, work)
    log = lambda *a: print("[%6.0fs]" % (time.time() - started), *a, flush=True)  # noqa: E731
    res = {"schema": 1, "mode": "quick" if opts.quick else "full", "profile": prof,
           "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "argv": sys.argv[1:], "machine": machine_info(), "versions": versions(runner.python),
           "recur": recur_info(recur), "loadavg": {"start": loadavg()}, "errors": []}
    res["tf_env"] = {"TF_ENABLE_ONEDNN_OPTS": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "unset (TF default)")}
    log("recur %s (%s), models %s, mode %s, load %s" % (res["recur"]["git_head"], res["recur"]["sha256_16"],
                                                        ",".join(names), res["mode"], res["loadavg"]["start"]))

    def sgemm(label):
        r = runner.worker("sgemm", ["--reps", str(prof["sgemm_reps"])], env={"OPENBLAS_NUM_THREADS": "1",
                                                                                "OMP_NUM_THREADS": "1"}, label="sgemm-" + label)
        out = dict(r["result"], loadavg=loadavg())
        log("SGEMM (%s): best %.1f GFLOP/s, median %.1f, cpu/wall %.2f" % (label, out["gflops_best"], out["gflops_median"], out["cpu_over_wall"]))
        return out

    res["sgemm"] = {"start": sgemm("start")}

    # -- conversions and FLOPs ------------------------------------------------------------------
    log("preparing models and LiteRT conversions (cache: %s)" % opts.cache)
    prep = runner.worker("prepare", ["--models", ",".join(names), "--cache", os.path.abspath(os.path.join(ROOT, opts.cache))]
                         + (["--no-fused-batch"] if opts.quick else []))
    res["models"] = prep["result"]
    for name in names:
        m = res["models"][name]
        m["flops"] = count_flops(m["spec"])
        if name in ISSUE_FLOPS:
            m["flops"]["issue6_figure"] = ISSUE_FLOPS[name]
            m["flops"]["matches_issue6"] = m["flops"]["flops_per_window"] == ISSUE_FLOPS[name]
        for key, v in m["variants"].items():
            if "error" in v:
                log("  %s %s: conversion failed: %s" % (name, key, v["error"][:200]))
            else:
                log("  %s %-16s %s, max|diff|/max|keras| %.2g, worst %.3g x tol (%d windows outside)%s" % (
                    name, key, "cached" if v.get("cached") else "converted in %.0f s" % v["convert_seconds"],
                    v["parity"]["scale_rel"], v["parity"]["worst_in_tolerance_units"], v["parity"]["windows_outside_tolerance"],
                    ", cell_clip %s" % v["cell_clip"] if v["cell_clip"] else ""))

    def variants(name, batch):
        return {k.split("/")[0]: v for k, v in res["models"][name]["variants"].items()
                if "error" not in v and v["batch"] == batch}

    # -- batch 1 and batch 128, interleaved ----------------------------------------------------
    keras_w = Persistent(runner, "keras-latency")
    litert_w = Persistent(runner, "litert-latency")
    lat = {name: {"rounds": []} for name in names}
    try:
        for r in range(prof["rounds"]):
            order = names[r % len(names):] + names[:r % len(names)]
            for name in order:
                def recur_bench(env=None):
                    out = runner.run([recur, "bench", os.path.join(ROOT, MODELS[name]), "--window", str(WINDOW),
                                      "--json", "--iterations", str(prof["recur_iters"]), "--batch", "128"],
                                     env=env, label="bench-" + name)
                    if out["code"] != 0:
                        raise RuntimeError("recur bench failed: " + open(out["stderr_path"]).read()[-2000:])
                    b = parse_bench(out["stdout"])
                    b["maxrss_kb"] = out["maxrss_kb"]
                    return b

                peers = [("keras", "predict", 1, 0), ("keras", "call", 1, 0), ("keras", "tf_function", 1, 0)]
                peers += [("litert", v, 1, t) for v in sorted(variants(name, 1)) for t in (1, 2)]
                peers += [("keras", "predict", 128, 0), ("keras", "tf_function", 128, 0)]
                peers += [("litert", v, 128, 1) for v in sorted(variants(name, 128))]
                if r % 2:
                    peers.reverse()
                rnd = {"round": r, "loadavg": loadavg(), "peers": {}}
                bidirectional = any(x.get("bidirectional") for x in res["models"][name]["spec"])
                before = recur_bench()
                before1 = recur_bench(ONE_THREAD)
                before2 = recur_bench(TWO_THREADS) if bidirectional else None
                for engine, method, batch, threads in peers:
                    key = "%s_%s%s/b%d" % (engine, method, TWO_THREAD_SUFFIX if threads == 2 else "", batch)
                    if engine == "keras":
                        seconds, low = prof["keras_s"], prof["keras_min"]
                        if method == "call" or batch > 1:
                            seconds, low = seconds * 0.7, max(3, low // 2)
                        us = keras_w.ask(model=name, method=method, batch=batch, seconds=seconds, min_calls=low)["us"]
                    else:
                        v = variants(name, batch)[method]
                        us = litert_w.ask(file=v["file"], batch=batch, threads=threads, stateful=v["stateful"], seconds=prof["litert_s"],
                                          min_calls=prof["litert_min"] if batch == 1 else 5)["us"]
                    s = summarize(us)
                    s["samples_us"] = us if len(us) <= 60 else None
                    rnd["peers"][key] = s
                after2 = recur_bench(TWO_THREADS) if bidirectional else None
                after1 = recur_bench(ONE_THREAD)
                after = recur_bench()
                rnd["recur_before"], rnd["recur_after"] = before, after
                rnd["recur_1thread_before"], rnd["recur_1thread_after"] = before1, after1
                pairs = [("recur", (before, after)), ("recur_1thread", (before1, after1))]
                if bidirectional:
                    rnd["recur_2threads_before"], rnd["recur_2threads_after"] = before2, after2
                    pairs.append(("recur_2threads", (before2, after2)))
                for key, (x, y) in pairs:
                    rnd[key] = {
                        "median_us": (x["batch1_median_us"] + y["batch1_median_us"]) / 2,
                        "p99_us": (x["batch1_p99_us"] + y["batch1_p99_us"]) / 2,
                        "windows_per_second_b128": (x["windows_per_second"] + y["windows_per_second"]) / 2,
                        "mallocs_per_window": y.get("mallocs_per_window"), "arena_bytes": y.get("arena_bytes")}
                lat[name]["rounds"].append(rnd)
                best = min((v["median_us"], k) for k, v in rnd["peers"].items() if k.startswith("litert") and k.endswith("/b1"))
                log("round %d %s: recur %.2f µs (b1), %.0f w/s (b128); one thread %.2f µs, %.0f w/s; LiteRT fastest %s %.1f µs; Keras predict %.0f µs; load %s" % (
                    r, name, rnd["recur"]["median_us"], rnd["recur"]["windows_per_second_b128"], rnd["recur_1thread"]["median_us"],
                    rnd["recur_1thread"]["windows_per_second_b128"], best[1], best[0],
                    rnd["peers"]["keras_predict/b1"]["median_us"], rnd["loadavg"]))
    finally:
        keras_w.close()
        litert_w.close()
    res["latency"] = lat

    # -- whole forecast ------------------------------------------------------------------------
    res["forecast"] = {}
    for name in names:
        fc = {"recur": [], "recur_batch1": [], "recur_1thread": []}
        model_path = os.path.join(ROOT, MODELS[name])

        def recur_forecast(batch=None, env=None):
            csv = os.path.join(work, "forecast-%s.csv" % name)
            argv = [recur, "forecast", model_path, "--series", os.path.join(ROOT, SERIES_CSV), "--window", str(WINDOW),
                    "--split", str(WINDOW), "--output", csv]
            if batch:
                argv += ["--batch", str(batch)]
            out = runner.run(argv, env=env, label="forecast-" + name)
            if out["code"] != 0:
                raise RuntimeError("recur forecast failed: " + open(out["stderr_path"]).read()[-2000:])
            times, values = read_forecast_csv(csv)
            ref = keras_reference(name)
            assert len(values) == len(ref) and times[0] == WINDOW, "recur forecast --split 20 gave %d rows" % len(values)
            return {"wall_s": out["wall_s"], "cpu_s": out["cpu_s"], "maxrss_kb": out["maxrss_kb"], "parity": parity(values, ref)}

        for _ in range(prof["forecast_runs"]):
            fc["recur"].append(recur_forecast())
        kf = runner.worker("keras-forecast", ["--model", name, "--windows", str(prof["course_windows"])], label="keras-forecast-" + name)
        fc["keras"] = dict(kf["result"], process_wall_s=kf["wall_s"], maxrss_kb=kf["maxrss_kb"], cpu_s=kf["cpu_s"])
        for _ in range(prof["forecast_runs"]):
            fc["recur"].append(recur_forecast())
        # LiteRT: the fastest Keras-equivalent batch-1 conversion from the latency rounds
        b1 = variants(name, 1)
        ok = {k: v for k, v in b1.items() if v["parity"]["equivalent"]} or b1
        med = {k: statistics.median(rd["peers"]["litert_%s/b1" % k]["median_us"] for rd in lat[name]["rounds"]) for k in ok}
        best = min(med, key=med.get)
        dyn = [v for k, v in variants(name, 128).items() if v.get("dynamic_batch")]
        extra = ["--model", name, "--file", b1[best]["file"]] + (["--stateful"] if b1[best]["stateful"] else [])
        if dyn:
            extra += ["--batched-file", dyn[0]["file"]]
        lf = runner.worker("litert-forecast", extra, label="litert-forecast-" + name)
        fc["litert"] = dict(lf["result"], variant=best, process_wall_s=lf["wall_s"], maxrss_kb=lf["maxrss_kb"], cpu_s=lf["cpu_s"])
        for _ in range(prof["forecast_runs"]):
            fc["recur"].append(recur_forecast())
            fc["recur_batch1"].append(recur_forecast(batch=1))
            fc["recur_1thread"].append(recur_forecast(env=ONE_THREAD))
        res["forecast"][name] = fc
        log("forecast %s: recur %.3f s (RSS %.1f MB); Keras course loop %.1f s for 1441 (%s), batched %.2f s; LiteRT %s loop %.3f s" % (
            name, statistics.median(x["wall_s"] for x in fc["recur"]), fc["recur"][0]["maxrss_kb"] / 1024,
            fc["keras"]["loop_1441_s"], "extrapolated from %d calls" % fc["keras"]["loop_windows"] if fc["keras"]["loop_extrapolated"] else "measured",
            fc["keras"]["batched_warm_s"], best, fc["litert"]["loop_s"]))
    help_run = runner.run([recur, "--help"], label="recur-help")
    res["recur_baseline_rss_kb"] = help_run["maxrss_kb"]

    # -- training ------------------------------------------------------------------------------
    recipes = [k for k in RECIPES if RECIPES[k]["model"] in names]
    res["training"] = {k: {"rounds": []} for k in recipes}
    for r in range(prof["train_rounds"]):
        for recipe in (recipes if r % 2 == 0 else recipes[::-1]):
            rc = RECIPES[recipe]

            def keras_fit():
                out = runner.worker("keras-train", ["--recipe", recipe, "--epochs", str(prof["keras_epochs"][recipe]),
                                                    "--seed", str(1 + r)], label="keras-train-" + recipe)
                d = out["result"]
                return dict(d, timed_epoch_s=d["epoch_s"][1:], median_epoch_s=statistics.median(d["epoch_s"][1:]),
                            maxrss_kb=out["maxrss_kb"], process_wall_s=out["wall_s"], cpu_s=out["cpu_s"])

            def recur_train(env=None):
                out_h5 = os.path.join(work, "train-%s.h5" % recipe)
                argv = [recur, "train", "--series", os.path.join(ROOT, SERIES_CSV), "--window", str(WINDOW),
                        "--split", "1000", "--arch", rc["arch"], "--loss", rc["loss"], "--lr", repr(rc["lr"]),
                        "--momentum", repr(rc["momentum"]), "--batch", str(rc["batch"]), "--shuffle-buffer",
                        str(rc["shuffle"]), "--epochs", str(prof["recur_epochs"][recipe]), "--seed", str(1 + r),
                        "--output", out_h5]
                out = runner.run(argv, env=env, label="recur-train-" + recipe)
                if out["code"] != 0:
                    raise RuntimeError("recur train failed: " + open(out["stderr_path"]).read()[-2000:])
                d = parse_train(out["stdout"])
                if len(d["epoch_s"]) < 2:
                    raise RuntimeError("could not read per-epoch times from recur train:\n" + out["stdout"][-2000:])
                return dict(d, timed_epoch_s=d["epoch_s"][1:], median_epoch_s=statistics.median(d["epoch_s"][1:]),
                            maxrss_kb=out["maxrss_kb"], process_wall_s=out["wall_s"], cpu_s=out["cpu_s"])

            if r % 2 == 0:
                kr = keras_fit()
                rr = recur_train()
                r1 = recur_train(ONE_THREAD)
            else:
                r1 = recur_train(ONE_THREAD)
                rr = recur_train()
                kr = keras_fit()
            rnd = {"round": r, "loadavg": loadavg(), "keras": kr, "recur": rr, "recur_1thread": r1,
                   "ratio_recur_over_keras": rr["median_epoch_s"] / kr["median_epoch_s"],
                   "ratio_recur_1thread_over_keras": r1["median_epoch_s"] / kr["median_epoch_s"]}
            res["training"][recipe]["rounds"].append(rnd)
            log("train %s round %d: Keras %.3f s/epoch (RSS %.0f MB), recur %.4f s/epoch (RSS %.1f MB): %.1fx; one thread %.4f s: %.1fx" % (
                recipe, r, kr["median_epoch_s"], kr["maxrss_kb"] / 1024, rr["median_epoch_s"], rr["maxrss_kb"] / 1024,
                kr["median_epoch_s"] / rr["median_epoch_s"], r1["median_epoch_s"], kr["median_epoch_s"] / r1["median_epoch_s"]))

    res["sgemm"]["end"] = sgemm("end")

    # -- the training GEMMs alone: recur's kernel and numpy at the same shapes, one thread each --
    res["gemm"] = []
    for _ in range(prof["gemm_rounds"]):
        numpy_rows = runner.worker("sgemm-shapes", [], env={"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"},
                                   label="sgemm-shapes")["result"]["shapes"]
        for (recipe, what, m, n, k, transposed, count), numpy_row in zip(GEMM_SHAPES, numpy_rows):
            argv = [recur, "bench-gemm", str(m), str(n), str(k), "--seconds", "0.3"] + (["--transposed-a"] if transposed else [])
            out = runner.run(argv, label="bench-gemm")
            if out["code"] != 0:
                raise RuntimeError("recur bench-gemm failed: " + open(out["stderr_path"]).read()[-2000:])
            row = json.loads(out["stdout"])
            res["gemm"].append({"recipe": recipe, "what": what, "m": m, "n": n, "k": k, "transposed_a": transposed,
                                "count": count, "recur_gflops": row["gflops_median"],
                                "numpy_gflops": numpy_row["gflops_median"], "loadavg": loadavg()})
            log("GEMM %s %s %dx%dx%d%s: recur %.1f GFLOP/s, numpy %.1f" % (
                recipe, what, m, n, k, " (A transposed)" if transposed else "", row["gflops_median"], numpy_row["gflops_median"]))
    res["loadavg"]["end"] = loadavg()
    res["duration_s"] = time.time() - started
    shutil.rmtree(work, ignore_errors=True) if not opts.keep else log("kept", work)

    analysis = analyse(res, names)
    res["summary"] = analysis
    os.makedirs(os.path.dirname(os.path.join(ROOT, opts.json)), exist_ok=True)
    with open(os.path.join(ROOT, opts.json), "w") as f:
        # Paths inside the checkout are written relative to it: the file is committed.
        text = json.dumps(res, indent=1, default=_plain)
        f.write(text.replace(json.dumps(ROOT + os.sep)[1:-1], "") + "\n")
    with open(os.path.join(ROOT, opts.md), "w") as f:
        f.write(render_markdown(res, names, opts))
    log("wrote %s and %s in %.0f s" % (opts.json, opts.md, res["duration_s"]))


# ==============================================================================================
# Analysis and the report
# ==============================================================================================
TWO_THREAD_SUFFIX = "-2t"  # a LiteRT row's key with num_threads=2: litert_unrolled-2t/b1


def litert_variant(key):
    """The conversion a LiteRT row measured: 'litert_unrolled-2t/b1' -> 'unrolled/b1'."""
    method, batch = key[len("litert_"):].split("/")
    return "%s/%s" % (method[:-len(TWO_THREAD_SUFFIX)] if method.endswith(TWO_THREAD_SUFFIX) else method, batch)


def epoch_spread(rounds):
    """Keras's timed epochs over all rounds: their spread, and what an epoch's first batch (which
    waits for the shuffle buffer to fill) and its other batches take."""
    epochs, firsts, others = [], [], []
    for r in rounds:
        k = r["keras"]
        timed = len(k["timed_epoch_s"])  # the last ones: the first epoch, which traces, is not timed
        epochs += k["timed_epoch_s"]
        firsts += k.get("first_batch_s", [])[-timed:]
        others += [o for o in k.get("median_other_batch_s", [])[-timed:] if o is not None]
    out = {"min": min(epochs), "max": max(epochs), "median": statistics.median(epochs),
           "mean": statistics.fmean(epochs), "count": len(epochs),
           "first_batch_min": None, "first_batch_max": None, "rest_min": None, "rest_max": None,
           "other_batch_median": statistics.median(others) if others else None}
    if len(firsts) == len(epochs):
        rest = [e - f for e, f in zip(epochs, firsts)]
        out.update(first_batch_min=min(firsts), first_batch_max=max(firsts), rest_min=min(rest), rest_max=max(rest))
    return out


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def analyse(res, names):
    """Medians over rounds, per-round ratios, FLOP rates and the targets."""
    out = {"batch1": {}, "batch128": {}, "forecast": {}, "training": {}, "targets": []}
    out["round_loads"] = [r["loadavg"][0] for n in names for r in res["latency"][n]["rounds"] if r.get("loadavg")] + \
        [r["loadavg"][0] for t in res.get("training", {}).values() for r in t["rounds"] if r.get("loadavg")]
    # the SGEMM reference: the highest single-core figure of the run (wall-clock best or per CPU-second)
    sg = [max(res["sgemm"][k]["gflops_best"], res["sgemm"][k].get("gflops_per_cpu_second", 0))
          for k in ("start", "end") if k in res["sgemm"]]
    out["sgemm_gflops"] = max(sg)
    for name in names:
        rounds = res["latency"][name]["rounds"]
        flops = res["models"][name]["flops"]["flops_per_window"]
        rows = {}
        kinds = ("recur", "recur_1thread") + (("recur_2threads",) if all("recur_2threads" in r for r in rounds) else ())
        for rk in kinds:
            m = med(r[rk]["median_us"] for r in rounds)
            rows[rk] = {"median_us": m, "p99_us": med(r[rk]["p99_us"] for r in rounds),
                        "n": "%d x %d calls" % (2 * len(rounds), res["profile"]["recur_iters"]),
                        "gflops": flops / m / 1e3, "mallocs_per_window": rounds[-1][rk]["mallocs_per_window"],
                        "arena_bytes": rounds[-1][rk]["arena_bytes"]}

        def ratio_fields(per_round_peer_us):
            """recur / peer and recur-one-thread / peer, per round; median, min, max."""
            out_ = {}
            for rk, suffix in (("recur", ""), ("recur_1thread", "_1thread"), ("recur_2threads", "_2threads")):
                if rk not in kinds:
                    continue
                ratios = [r[rk]["median_us"] / us for r, us in per_round_peer_us]
                out_.update({"ratio_recur%s_over_peer" % suffix: med(ratios), "ratio%s_min" % suffix: min(ratios),
                             "ratio%s_max" % suffix: max(ratios), "ratios%s" % suffix: ratios})
            return out_

        keys = sorted({k for r in rounds for k in r["peers"] if k.endswith("/b1")})
        for k in keys:
            per = [r["peers"][k] for r in rounds if k in r["peers"]]
            pooled = []
            for p in per:
                if p.get("samples_us"):
                    pooled += p["samples_us"]
            m = med(p["median_us"] for p in per)
            rows[k] = dict({"median_us": m, "p99_us": med(p["p99_us"] for p in per),
                            "p99_pooled_us": pct(sorted(pooled), 99) if pooled else None,
                            "n": sum(p["n"] for p in per), "gflops": flops / m / 1e3},
                           **ratio_fields([(r, r["peers"][k]["median_us"]) for r in rounds if k in r["peers"]]))
            if k.startswith("litert_"):
                v = res["models"][name]["variants"].get(litert_variant(k))
                if v:
                    rows[k]["parity"] = v["parity"]
        # LiteRT best: per round, the fastest Keras-equivalent conversion
        ok = [k for k in keys if k.startswith("litert_") and rows[k].get("parity", {}).get("equivalent")]
        anyv = [k for k in keys if k.startswith("litert_")]
        for label, pool in (("litert_best", ok), ("litert_fastest_any", anyv)):
            if not pool:
                continue
            per_round = []
            for r in rounds:
                k, us = min(((k, r["peers"][k]["median_us"]) for k in pool if k in r["peers"]), key=lambda t: t[1])
                per_round.append((r, k, us))
            m = med(x[2] for x in per_round)
            rows[label] = dict({"median_us": m, "variants": [x[1] for x in per_round], "gflops": flops / m / 1e3},
                               **ratio_fields([(x[0], x[2]) for x in per_round]))
        out["batch1"][name] = rows

        # batch 128 throughput (windows/s); ratio = recur's time per window / the peer's
        t = {rk: {"windows_per_second": med(r[rk]["windows_per_second_b128"] for r in rounds)} for rk in ("recur", "recur_1thread")}
        for k in sorted({k for r in rounds for k in r["peers"] if k.endswith("/b128")}):
            wps = [128e6 / r["peers"][k]["median_us"] for r in rounds if k in r["peers"]]
            t[k] = {"windows_per_second": med(wps)}
            for rk, suffix in (("recur", ""), ("recur_1thread", "_1thread")):
                ratios = [(128e6 / r["peers"][k]["median_us"]) / r[rk]["windows_per_second_b128"] for r in rounds if k in r["peers"]]
                t[k].update({"ratio_recur%s_time_over_peer" % suffix: med(ratios), "ratio%s_min" % suffix: min(ratios),
                             "ratio%s_max" % suffix: max(ratios)})
            if k.startswith("litert_"):
                v = res["models"][name]["variants"].get(litert_variant(k))
                if v:
                    t[k]["parity"] = v["parity"]
        for k in t:
            t[k]["gflops"] = t[k]["windows_per_second"] * flops / 1e9
        out["batch128"][name] = t

        # whole forecast
        fc = res["forecast"].get(name)
        if fc:
            rw = med(x["wall_s"] for x in fc["recur"])
            f1441 = flops * 1441
            out["forecast"][name] = {
                "recur_wall_s": rw, "recur_cpu_s": med(x["cpu_s"] for x in fc["recur"]),
                "recur_batch1_wall_s": med(x["wall_s"] for x in fc["recur_batch1"]),
                "recur_1thread_wall_s": med(x["wall_s"] for x in fc["recur_1thread"]),
                "recur_1thread_maxrss_kb": max(x["maxrss_kb"] for x in fc["recur_1thread"]),
                "recur_maxrss_kb": max(x["maxrss_kb"] for x in fc["recur"]),
                "recur_batch1_maxrss_kb": max(x["maxrss_kb"] for x in fc["recur_batch1"]),
                "recur_parity": fc["recur"][0]["parity"],
                "keras_loop_1441_s": fc["keras"]["loop_1441_s"], "keras_loop_extrapolated": fc["keras"]["loop_extrapolated"],
                "keras_loop_windows": fc["keras"]["loop_windows"],
                "keras_batched_warm_s": fc["keras"]["batched_warm_s"], "keras_batched_cold_s": fc["keras"]["batched_cold_s"],
                "keras_process_wall_s": fc["keras"]["process_wall_s"], "keras_maxrss_kb": fc["keras"]["maxrss_kb"],
                "litert_variant": fc["litert"]["variant"], "litert_loop_s": fc["litert"]["loop_s"],
                "litert_batched_warm_s": fc["litert"].get("batched_warm_s"),
                "litert_process_wall_s": fc["litert"]["process_wall_s"], "litert_maxrss_kb": fc["litert"]["maxrss_kb"],
                "gflops": {"recur": f1441 / rw / 1e9,
                           "recur_1thread": f1441 / med(x["wall_s"] for x in fc["recur_1thread"]) / 1e9, "keras_loop": f1441 / fc["keras"]["loop_1441_s"] / 1e9,
                           "keras_batched": f1441 / fc["keras"]["batched_warm_s"] / 1e9,
                           "litert_loop": f1441 / fc["litert"]["loop_s"] / 1e9},
                "ratio_recur_over_keras_loop": rw / fc["keras"]["loop_1441_s"],
                "ratio_recur_over_keras_batched": rw / fc["keras"]["batched_warm_s"],
                "ratio_recur_over_litert_loop": rw / fc["litert"]["loop_s"],
            }

    for recipe, tr in res.get("training", {}).items():
        rounds = tr["rounds"]
        if not rounds:
            continue
        m = res["models"].get(RECIPES[recipe]["model"])
        fwd = count_flops(m["spec"])["flops_per_window"] if m else None
        params = rounds[0]["keras"]["params"]
        steps = math.ceil(TRAIN_WINDOWS / RECIPES[recipe]["batch"])
        epoch_flops = 3 * fwd * TRAIN_WINDOWS + 4 * params * steps if fwd else None
        k = med(r["keras"]["median_epoch_s"] for r in rounds)
        rr = med(r["recur"]["median_epoch_s"] for r in rounds)
        r1 = med(r["recur_1thread"]["median_epoch_s"] for r in rounds)
        ratios = [r["ratio_recur_over_keras"] for r in rounds]
        ratios1 = [r["ratio_recur_1thread_over_keras"] for r in rounds]
        out["training"][recipe] = {
            "keras_epoch_s": k, "recur_epoch_s": rr, "ratio_recur_over_keras": med(ratios),
            "ratio_min": min(ratios), "ratio_max": max(ratios), "speedup": 1 / med(ratios),
            "recur_1thread_epoch_s": r1, "ratio_recur_1thread_over_keras": med(ratios1),
            "ratio_1thread_min": min(ratios1), "ratio_1thread_max": max(ratios1), "speedup_1thread": 1 / med(ratios1),
            "keras_maxrss_kb": max(r["keras"]["maxrss_kb"] for r in rounds),
            "recur_maxrss_kb": max(r["recur"]["maxrss_kb"] for r in rounds),
            "recur_1thread_maxrss_kb": max(r["recur_1thread"]["maxrss_kb"] for r in rounds),
            "recur_arena_mb": rounds[0]["recur"]["arena_mb"], "epoch_flops": epoch_flops, "params": params, "steps": steps,
            "gflops": {"keras": epoch_flops / k / 1e9, "recur": epoch_flops / rr / 1e9,
                       "recur_1thread": epoch_flops / r1 / 1e9} if epoch_flops else None,
            "keras_epochs_timed": sum(len(r["keras"]["timed_epoch_s"]) for r in rounds),
            "keras_pooled": epoch_spread(rounds),
            "recur_epochs_timed": sum(len(r["recur"]["timed_epoch_s"]) for r in rounds),
        }

    # targets
    T = out["targets"]

    def target(issue, text, value, ok, note=""):
        T.append({"issue": issue, "target": text, "measured": value, "met": ok, "note": note})

    for name in ("e1", "e3"):
        b = out["batch1"].get(name)
        if not b or "litert_best" not in b:
            continue
        sp = 1 / b["litert_best"]["ratio_recur_over_peer"]
        par = out["forecast"].get(name, {}).get("recur_parity", {})
        kb = res["models"][name].get("keras_batched_parity", {})
        ok = sp >= 5 and bool(par.get("equivalent"))
        note = ("recur %.2f µs vs LiteRT best %.1f µs (%s). Outputs: recur's max |diff| / max |keras| = %.2g over "
                "1,441 windows (%s); per window, %d exceed 1e-5·max(|k|,1) (worst %.2g×) — Keras's own batched "
                "predict vs its course loop: %d (worst %.2g×)" % (
                    b["recur"]["median_us"], b["litert_best"]["median_us"],
                    ", ".join(sorted(set(v.split("/")[0][len("litert_"):] for v in b["litert_best"]["variants"]))),
                    par.get("scale_rel", float("nan")), "within 1e-5" if par.get("equivalent") else "NOT within 1e-5",
                    par.get("windows_outside_tolerance", -1), par.get("worst_in_tolerance_units", float("nan")),
                    kb.get("windows_outside_tolerance", -1), kb.get("worst_in_tolerance_units", float("nan"))))
        sp1 = 1 / b["litert_best"]["ratio_recur_1thread_over_peer"]
        measured = "%.2fx (one thread: %.2fx)" % (sp, sp1)
        if "ratio_recur_2threads_over_peer" in b["litert_best"]:
            sp2 = 1 / b["litert_best"]["ratio_recur_2threads_over_peer"]
            measured = "%.2fx; with `RECUR_THREADS=2`: %.2fx" % (sp, sp2)
            note += ("; with `RECUR_THREADS=2` (the two directions of each Bidirectional layer on the two cores, "
                     "which recur does not do for single windows unless asked) recur takes %.2f µs, %.2fx against LiteRT's best of one and two threads: %s" % (
                         b["recur_2threads"]["median_us"], sp2, "would meet the target" if sp2 >= 5 else "not enough either"))
        target(6, "%s batch-1 forecast >= 5x faster than LiteRT's best, outputs within tolerance" % name.upper(),
               measured, ok, note)
    for name in ("e1", "e3"):
        t = out["training"].get(name)
        if t:
            target(6, "%s training >= 20x fewer s/epoch than TensorFlow" % name.upper(),
                   "%.1fx (one thread: %.1fx)" % (t["speedup"], t["speedup_1thread"]), t["speedup"] >= 20,
                   "Keras %.3f s, recur %.4f s (one thread %.4f s) per epoch" % (t["keras_epoch_s"], t["recur_epoch_s"], t["recur_1thread_epoch_s"]))
    for name in ("e1", "e3"):
        t = out["training"].get(name)
        if t:
            target(3, "%s training >= 10x fewer s/epoch than TensorFlow" % name.upper(),
                   "%.1fx (one thread: %.1fx)" % (t["speedup"], t["speedup_1thread"]), t["speedup"] >= 10, "")
    if out["forecast"]:
        worst = max(out["forecast"].items(), key=lambda kv: kv[1]["recur_maxrss_kb"])
        target(6, "Peak RSS forecasting <= 12 MB", "%.1f MB (%s, default --batch 32)" % (worst[1]["recur_maxrss_kb"] / 1024, worst[0].upper()),
               worst[1]["recur_maxrss_kb"] <= 12 * 1024,
               "recur --help alone: %.1f MB; --batch 1: up to %.1f MB" % (
                   res.get("recur_baseline_rss_kb", 0) / 1024,
                   max(v["recur_batch1_maxrss_kb"] for v in out["forecast"].values()) / 1024))
    if out["training"]:
        worst = max(out["training"].items(), key=lambda kv: kv[1]["recur_maxrss_kb"])
        target(6, "Peak RSS training <= 24 MB", "%.1f MB (%s)" % (worst[1]["recur_maxrss_kb"] / 1024, worst[0].upper()),
               worst[1]["recur_maxrss_kb"] <= 24 * 1024)
        target(3, "Peak RSS training < 20 MB", "%.1f MB (%s)" % (worst[1]["recur_maxrss_kb"] / 1024, worst[0].upper()),
               worst[1]["recur_maxrss_kb"] < 20 * 1024)
    if res.get("gemm"):
        shapes = {}
        for row in res["gemm"]:
            key = (row["recipe"], row["what"], row["m"], row["n"], row["k"], row["transposed_a"], row["count"])
            shapes.setdefault(key, []).append(row)
        out["gemm"] = [{"recipe": key[0], "what": key[1], "m": key[2], "n": key[3], "k": key[4], "transposed_a": key[5],
                        "count": key[6], "recur_gflops": med(r["recur_gflops"] for r in rows),
                        "numpy_gflops": med(r["numpy_gflops"] for r in rows)} for key, rows in shapes.items()]
        out["gemm_recipes"] = {}
        for recipe in ("e1", "e3"):
            rows = [r for r in out["gemm"] if r["recipe"] == recipe]
            if not rows:
                continue
            # A training step's products together: their FLOPs over the time each takes at its rate.
            flops = sum(r["count"] * 2.0 * r["m"] * r["n"] * r["k"] for r in rows)
            recur_s = sum(r["count"] * 2.0 * r["m"] * r["n"] * r["k"] / (r["recur_gflops"] * 1e9) for r in rows)
            numpy_s = sum(r["count"] * 2.0 * r["m"] * r["n"] * r["k"] / (r["numpy_gflops"] * 1e9) for r in rows)
            agg = {"recur_gflops": flops / recur_s / 1e9, "numpy_gflops": flops / numpy_s / 1e9,
                   "slowest_shape_gflops": min(r["recur_gflops"] for r in rows)}
            out["gemm_recipes"][recipe] = agg
            frac = agg["recur_gflops"] / out["sgemm_gflops"]
            target(6, "%s batched training GEMMs >= 30%% of single-thread SGEMM" % recipe.upper(),
                   "%.0f%% (%.1f of %.1f GFLOP/s)" % (100 * frac, agg["recur_gflops"], out["sgemm_gflops"]), frac >= 0.3,
                   "recur bench-gemm at a training step's shapes, weighted by their FLOPs; slowest shape %.1f GFLOP/s "
                   "(%.0f%%); numpy at the same shapes %.1f GFLOP/s" % (
                       agg["slowest_shape_gflops"], 100 * agg["slowest_shape_gflops"] / out["sgemm_gflops"], agg["numpy_gflops"]))
    return out


def fnum(x, digits=3):
    if x is None:
        return "–"
    if isinstance(x, str):
        return x
    if x == 0:
        return "0"
    a = abs(x)
    if a >= 1e5:
        return "{:,.0f}".format(x)
    if a >= 100:
        return "%.0f" % x
    return ("%%.%dg" % digits) % x


def esc(text):
    """Text for a Markdown table cell."""
    return str(text).replace("|", "\\|")


def render_markdown(res, names, opts):
    S = res["summary"]
    M = res["machine"]
    V = res["versions"]
    R = res["recur"]
    L = []
    w = L.append
    w("# Performance: recur against Keras/TensorFlow and LiteRT\n")
    w("Generated by `tools/bench-peers.sh%s` (`tools/bench_peers.py`) on %s, %s mode, %.0f s. "
      "Raw figures: [performance.json](performance.json). Every figure below comes from this one run on "
      "this machine; recur and its peers were measured **interleaved** (see *Method*)." % (
          " --quick" if res["mode"] == "quick" else "", res["date"], res["mode"], res["duration_s"]))
    w("")
    w("**Machine.** %s (family %s, model %s, %s), %s cores (%s thread per core), L2 %s, L3 %s, %s RAM; "
      "SIMD: %s. Linux %s. Shared by other engineers' builds: load average (1/5/15 min) %s at the start, "
      "%s at the end, %s (1-min) across the measurement rounds (%s cores: anything above that means queued work)." % (
          M.get("Model name"), M.get("CPU family"), M.get("Model"), M.get("Hypervisor vendor", "bare metal") + " guest" if M.get("Hypervisor vendor") else "bare metal",
          M.get("cores"), M.get("Thread(s) per core"), M.get("L2 cache"), M.get("L3 cache"), M.get("mem_total"),
          ", ".join(M.get("simd_flags", [])), M.get("kernel"),
          "/".join("%.2f" % x for x in res["loadavg"]["start"]), "/".join("%.2f" % x for x in res["loadavg"]["end"]),
          "%.1f–%.1f" % (min(S["round_loads"]), max(S["round_loads"])) if S.get("round_loads") else "–", M.get("cores")))
    w("")
    sg = res["sgemm"]
    w("**Single-threaded SGEMM** (numpy %s, %s %s, OPENBLAS_NUM_THREADS=1, 2048³ float32, best of %d): %.1f "
      "GFLOP/s at the start (median %.1f; %.1f per CPU-second, CPU/wall %.2f), %.1f at the end (median %.1f; %.1f "
      "per CPU-second, CPU/wall %.2f). A CPU/wall well below 1 means the run shared its core with other work; "
      "the per-CPU-second figure is the closer estimate of what one uncontended core does.\n" % (
          sg["start"]["numpy"], sg["start"]["blas"].get("name", "?"), sg["start"]["blas"].get("version", ""), sg["start"]["reps"],
          sg["start"]["gflops_best"], sg["start"]["gflops_median"], sg["start"].get("gflops_per_cpu_second", float("nan")),
          sg["start"]["cpu_over_wall"], sg["end"]["gflops_best"], sg["end"]["gflops_median"],
          sg["end"].get("gflops_per_cpu_second", float("nan")), sg["end"]["cpu_over_wall"]))
    w("**Versions.** recur `%s` (%s; binary %s built %s, sha256 %s…)%s; Swift: %s; Python %s; tensorflow-cpu %s, "
      "keras %s, tf-keras %s, ai-edge-litert %s (LiteRT's `Interpreter`, default XNNPACK delegate, 1 thread; at batch 1 also `num_threads=2`), "
      "numpy %s. TensorFlow ran with its defaults (TF_ENABLE_ONEDNN_OPTS %s, no op determinism; it may use both "
      "cores), as the course runs it.\n" % (
          R["git_head"], R["git_head_subject"], R["binary"], R["built"], R["sha256_16"],
          (" — built from a working tree with uncommitted changes in %d source files (other engineers' work in progress)" % len(R["uncommitted_source_files"])) if R["uncommitted_source_files"] else "",
          V.get("swift"), V.get("python"), V.get("tensorflow-cpu") or V.get("tensorflow"), V.get("keras"), V.get("tf-keras"),
          V.get("ai-edge-litert"), V.get("numpy"), res["tf_env"]["TF_ENABLE_ONEDNN_OPTS"]))

    # ---- targets
    w("## Targets\n")
    w("| issue | target | measured (same run) | status | detail |")
    w("|---|---|---|---|---|")
    for t in S["targets"]:
        status = "**met**" if t["met"] else ("not met" if t["met"] is False else "n/a (indirect)")
        w("| #%d | %s | %s | %s | %s |" % (t["issue"], esc(t["target"]), esc(t["measured"]), status, esc(t["note"])))
    w("")
    w("Ratios are recur / peer, computed within each round and then the median over rounds is taken, so the "
      "speedup is 1 / ratio. Target status is decided from these numbers alone.\n")

    # ---- observations (computed from this run's numbers)
    w("## Observations from this run\n")
    for name in names:
        b = S["batch1"][name]
        bidir = any(x.get("bidirectional") for x in res["models"][name]["spec"])
        if bidir and "recur_2threads" in b:
            per = ", ".join("%s/%s" % (fnum(r["recur"]["median_us"]), fnum(r["recur_2threads"]["median_us"]))
                            for r in res["latency"][name]["rounds"])
            w("* %s at batch 1, recur's default (one thread for a single window) against `RECUR_THREADS=2` (the "
              "two directions of each Bidirectional layer on the two cores): median %s µs vs %s µs, p99 %s vs %s µs; "
              "per round (default/two threads): %s µs. `recur bench` runs windows back to back on an otherwise idle "
              "core; docs/stream.md shows the second thread losing when the other core is busy." % (
                  name.upper(), fnum(b["recur"]["median_us"]), fnum(b["recur_2threads"]["median_us"]),
                  fnum(b["recur"]["p99_us"]), fnum(b["recur_2threads"]["p99_us"]), per))
    for name in names:
        t = S["batch128"][name]
        peers = [k for k in t if not k.startswith("recur") and t[k].get("parity", {"equivalent": True})["equivalent"]]
        if peers:
            best = max(peers, key=lambda k: t[k]["windows_per_second"])
            mine = max(t["recur"]["windows_per_second"], t["recur_1thread"]["windows_per_second"])
            w("* %s at batch 128: the fastest Keras-equivalent peer is %s at %s windows/s; recur's better mode "
              "does %s windows/s (%s× %s)." % (
                  name.upper(), best, fnum(t[best]["windows_per_second"]), fnum(mine),
                  fnum(max(mine, t[best]["windows_per_second"]) / min(mine, t[best]["windows_per_second"])),
                  "faster" if mine > t[best]["windows_per_second"] else "slower"))
    for name in names:
        v = res["models"][name]["variants"]
        if "fused/b1" in v and "error" not in v["fused/b1"]:
            f = v["fused/b1"]
            w("* %s, fused LSTM conversion: the converter's `cell_clip=%s` moves %d of 1,441 forecasts outside the "
              "parity tolerance (max |Δ| %.3g, max |Δ|/max |keras| %.2g); patched to 0 it matches Keras (max |Δ| %.3g). "
              "The fused op also keeps its state across `invoke()` calls: without `reset_all_variables()` before each "
              "window, the forecasts are off by up to %.3g." % (
                  name.upper(), ",".join("%g" % c for c in f["cell_clip"]), f["parity"]["windows_outside_tolerance"],
                  f["parity"]["max_abs_diff"], f["parity"]["scale_rel"], v.get("fused_noclip/b1", {}).get("parity", {}).get("max_abs_diff", float("nan")),
                  f.get("parity_without_reset", {}).get("max_abs_diff", float("nan"))))
    for name in names:
        v = res["models"][name]["variants"]
        b = S["batch1"][name]
        if "litert_while/b1" in b and "litert_unrolled/b1" in b:
            w("* %s, LiteRT: the plain conversion (WHILE loops) takes %s µs per window, the same model rebuilt "
              "with `unroll=True` %s µs — the conversion choice moves LiteRT by %s×." % (
                  name.upper(), fnum(b["litert_while/b1"]["median_us"]), fnum(b["litert_unrolled/b1"]["median_us"]),
                  fnum(b["litert_while/b1"]["median_us"] / b["litert_unrolled/b1"]["median_us"])))
    for recipe, t in S["training"].items():
        w("* Training %s: recur %s s/epoch by default, %s s/epoch with `RECUR_THREADS=1`; Keras %s s/epoch." % (
            recipe.upper(), fnum(t["recur_epoch_s"]), fnum(t["recur_1thread_epoch_s"]), fnum(t["keras_epoch_s"])))
        kp = t.get("keras_pooled")
        if kp and kp.get("first_batch_min") is not None:
            w("* Training %s, Keras's epochs: %d timed, %s–%s s (pooled median %s s, mean %s s; at the mean recur "
              "would be %s× faster). An epoch's first batch takes %s–%s s, because it waits for the course's "
              "shuffle buffer (1,000 windows) to fill from the windowing pipeline; its other batches take a median "
              "of %s s each. Without its first batch an epoch takes %s–%s s: the wait makes most of the spread." % (
                  recipe.upper(), kp["count"], fnum(kp["min"]), fnum(kp["max"]), fnum(kp["median"]), fnum(kp["mean"]),
                  fnum(kp["mean"] / t["recur_epoch_s"]), fnum(kp["first_batch_min"]), fnum(kp["first_batch_max"]),
                  fnum(kp["other_batch_median"]), fnum(kp["rest_min"]), fnum(kp["rest_max"])))
            if t.get("epoch_flops"):
                need = t["epoch_flops"] * 20 / kp["min"] / 1e9
                w("* Training %s against Keras's fastest epoch in this run (%s s): 20× would take recur %s s per "
                  "epoch, %s GFLOP/s, which is %s%% of two cores at the single-threaded SGEMM figure (%s GFLOP/s "
                  "each). recur's epoch runs at %s GFLOP/s." % (
                      recipe.upper(), fnum(kp["min"]), fnum(kp["min"] / 20), fnum(need),
                      fnum(100 * need / (2 * S["sgemm_gflops"])), fnum(S["sgemm_gflops"]), fnum(t["gflops"]["recur"])))
    floor = res.get("recur_baseline_rss_kb", 0) / 1024
    w("* Memory: `recur --help`, which loads no model, peaks at %.1f MB%s." % (floor, (
        ": the binary and its shared libraries alone exceed the forecasting target (12 MB), so no arena size "
        "can meet it" if floor > 12 else "")))
    w("")

    # ---- batch 1
    w("## Batch-1 forecast of one 20-step window\n")
    w("Per call, µs. *median* is the median over rounds of each round's median; *p99* likewise (nearest rank, "
      "per round); for Keras, with few calls per round, *p99 pooled* is taken over all calls. GFLOP/s = FLOPs per "
      "window / median. *ratio* = recur / peer per round, median [min–max] over rounds. *parity*, on all 1,441 "
      "course windows against Keras's course-loop forecasts (models/NAME.forecast.csv): max |Δ| / max |keras| "
      "(≤ 1e-5 counts as Keras-equivalent, the measure tools/numpy_reference.py applies to forecasts); then the "
      "worst window in units of the parity tests' tolerance 1e-5·max(|keras|, 1) and how many windows exceed "
      "it. For scale, Keras's own batched `predict` against its own course loop: %s.\n" % "; ".join(
          "%s %.2g, %.2g×, %d outside" % (n.upper(), res["models"][n]["keras_batched_parity"]["scale_rel"],
                                        res["models"][n]["keras_batched_parity"]["worst_in_tolerance_units"],
                                        res["models"][n]["keras_batched_parity"]["windows_outside_tolerance"]) for n in names))
    label = {
        "recur": "recur (`recur bench`, forward only; default threads: one, for a single window)",
        "recur_1thread": "recur, `RECUR_THREADS=1` (one thread)",
        "recur_2threads": "recur, `RECUR_THREADS=2` (Bidirectional directions on two threads)",
        "keras_predict/b1": "Keras `model.predict` (the course loop's call)",
        "keras_call/b1": "Keras direct call `model(x, training=False)` (eager)",
        "keras_tf_function/b1": "Keras call in `tf.function` (graph)",
        "litert_while/b1": "LiteRT `while` (Keras 3 conversion, WHILE loops)",
        "litert_unrolled/b1": "LiteRT `unrolled` (unroll=True, straight-line ops)",
        "litert_fused/b1": "LiteRT `fused` (UNIDIRECTIONAL_SEQUENCE_LSTM, cell_clip=10)",
        "litert_fused_noclip/b1": "LiteRT `fused_noclip` (same, cell_clip patched to 0)",
        "litert_while-2t/b1": "LiteRT `while`, `num_threads=2`",
        "litert_unrolled-2t/b1": "LiteRT `unrolled`, `num_threads=2`",
        "litert_fused-2t/b1": "LiteRT `fused`, `num_threads=2`",
        "litert_fused_noclip-2t/b1": "LiteRT `fused_noclip`, `num_threads=2`",
        "litert_best": "**LiteRT best** (fastest Keras-equivalent conversion per round, one or two threads)",
        "litert_fastest_any": "LiteRT fastest of all conversions, right or wrong",
    }

    def par_text(par):
        return "–" if not par else "%.2g; %.2g×, %d outside" % (
            par["scale_rel"], par["worst_in_tolerance_units"], par["windows_outside_tolerance"])

    def rng(r, suffix=""):
        return "%s [%s–%s]" % (fnum(r["ratio_recur%s_over_peer" % suffix]), fnum(r["ratio%s_min" % suffix]), fnum(r["ratio%s_max" % suffix]))

    for name in names:
        rows = S["batch1"][name]
        fl = res["models"][name]["flops"]["flops_per_window"]
        w("### %s — `%s` (%s FLOPs/window)\n" % (name.upper(), res["models"][name]["file"], "{:,}".format(fl)))
        w("| engine | median µs | p99 µs | calls | GFLOP/s | recur/peer [range] | speedup | recur 1-thread/peer [range] | parity: max\\|Δ\\|/max\\|k\\|; per window |")
        w("|---|---|---|---|---|---|---|---|---|")
        order = [k for k in ("recur", "recur_1thread", "recur_2threads") if k in rows] + [k for k in (
            "keras_predict/b1", "keras_call/b1", "keras_tf_function/b1", "litert_while/b1", "litert_unrolled/b1",
            "litert_fused/b1", "litert_fused_noclip/b1", "litert_while-2t/b1", "litert_unrolled-2t/b1",
            "litert_fused-2t/b1", "litert_fused_noclip-2t/b1", "litert_best", "litert_fastest_any") if k in rows]
        for k in order:
            r = rows[k]
            p99 = fnum(r.get("p99_us"))
            if r.get("p99_pooled_us") is not None and k.startswith("keras"):
                p99 = "%s (pooled %s)" % (fnum(r.get("p99_us")), fnum(r["p99_pooled_us"]))
            own = k.startswith("recur")
            ratio = "–" if own else rng(r)
            ratio1 = "–" if own else rng(r, "_1thread")
            speed = "–" if own else "%s×" % fnum(1 / r["ratio_recur_over_peer"])
            par = r.get("parity")
            if k == "recur":
                par = S["forecast"].get(name, {}).get("recur_parity")
            elif k.startswith("keras") or k in ("recur_1thread", "recur_2threads"):
                par = None
            calls = r.get("n", "")
            if k in ("litert_best", "litert_fastest_any"):
                calls = ", ".join(sorted(set(x.split("/")[0][len("litert_"):] for x in r["variants"])))
            w("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (label.get(k, k), fnum(r["median_us"]), p99, calls,
                                                               fnum(r["gflops"]), ratio, speed, ratio1, par_text(par)))
        w("")
        w("recur: %s heap allocations per window, arena %s bytes at batch 1; recur's parity is that of its "
          "`recur forecast --split 20` output on all 1,441 windows. Keras's predict and eager call take "
          "milliseconds per call: each goes through Keras's and TensorFlow's Python dispatch.\n" % (
              fnum(rows["recur"]["mallocs_per_window"]), "{:,}".format(rows["recur"]["arena_bytes"] or 0)))

    # ---- batch 128
    w("## Throughput at batch 128 (windows per second)\n")
    w("| model | recur | recur 1-thread | Keras predict | Keras tf.function | LiteRT while | LiteRT unrolled | LiteRT fused_noclip | recur time / fastest equivalent peer's |")
    w("|---|---|---|---|---|---|---|---|---|")
    for name in names:
        t = S["batch128"][name]

        def cell(k):
            if k not in t:
                return "–"
            return "%s (%.2f GFLOP/s)" % (fnum(t[k]["windows_per_second"]), t[k]["gflops"])
        peers = [k for k in t if not k.startswith("recur") and t[k].get("parity", {"equivalent": True})["equivalent"]]
        best = max(peers, key=lambda k: t[k]["windows_per_second"]) if peers else None
        w("| %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            name.upper(), cell("recur"), cell("recur_1thread"), cell("keras_predict/b128"), cell("keras_tf_function/b128"),
            cell("litert_while/b128"), cell("litert_unrolled/b128"), cell("litert_fused_noclip/b128"),
            ("%s [%s–%s] vs %s (1-thread: %s)" % (fnum(t[best]["ratio_recur_time_over_peer"]), fnum(t[best]["ratio_min"]),
                                                  fnum(t[best]["ratio_max"]), best, fnum(t[best]["ratio_recur_1thread_time_over_peer"])))
            if best else "–"))
    w("")
    w("recur's figure is `recur bench --batch 128` (forward passes over a batch of 128 windows); Keras predict "
      "includes its per-call overhead and may use both cores; LiteRT runs on one thread. LiteRT `unrolled` has a "
      "dynamic batch dimension resized to 128; `while` and `fused` were converted with a fixed batch of 128. "
      "The ratio is recur's time per window over the peer's (below 1: recur is faster).\n")

    # ---- whole forecast
    w("## The whole 1,441-window forecast of the course series\n")
    w("`recur forecast MODEL --split 20` forecasts every window the course's loop does "
      "(`for time in range(len(series) - window_size)`); its time is the wall time of the whole process "
      "(start, reading the .h5 and the CSV, forecasting, writing the CSV), median of the runs. Keras's course "
      "loop is timed inside an already-started Python process (TensorFlow import and model loading excluded, "
      "which favours Keras); when fewer than 1,441 calls were timed, the loop's time is the first call (which "
      "traces) plus the mean of the others × 1,440. The batched Keras figure is one "
      "`model.predict(all_windows, batch_size=256)` (warm: the second call). LiteRT: the fastest "
      "Keras-equivalent batch-1 conversion in a loop of set_tensor/invoke/get_tensor, and one invoke on all "
      "1,441 windows of the dynamic-batch `unrolled` conversion.\n")
    w("| model | recur (wall) | recur 1-thread | Keras course loop | Keras batched predict | LiteRT loop (batch 1) | LiteRT one batched invoke | recur / Keras loop | recur / Keras batched | recur / LiteRT loop |")
    w("|---|---|---|---|---|---|---|---|---|---|")
    for name in names:
        f = S["forecast"].get(name)
        if not f:
            continue
        g = f["gflops"]
        w("| %s | %s s (%.2f GFLOP/s) | %s s | %s s%s (%.4f GFLOP/s) | %s s (%.2f GFLOP/s) | %s s, %s (%.2f GFLOP/s) | %s | %s | %s | %s |" % (
            name.upper(), fnum(f["recur_wall_s"]), g["recur"], fnum(f["recur_1thread_wall_s"]), fnum(f["keras_loop_1441_s"]),
            " (from %d calls)" % f["keras_loop_windows"] if f["keras_loop_extrapolated"] else "", g["keras_loop"],
            fnum(f["keras_batched_warm_s"]), g["keras_batched"], fnum(f["litert_loop_s"]), f["litert_variant"], g["litert_loop"],
            (fnum(f["litert_batched_warm_s"]) + " s") if f.get("litert_batched_warm_s") else "–",
            fnum(f["ratio_recur_over_keras_loop"]), fnum(f["ratio_recur_over_keras_batched"]), fnum(f["ratio_recur_over_litert_loop"])))
    w("")

    # ---- training
    w("## Training seconds per epoch (the course's recipes)\n")
    w("Keras: `model.fit` on the course's `tf.data` pipeline, wall seconds per epoch from a callback, first epoch "
      "(tracing) skipped, median. recur: the `... - X s` per-epoch figure that `recur train` prints, first epoch "
      "skipped, median. Each round runs one Keras process and the recur processes back to back (order "
      "alternating); ratios are taken within the round. FLOPs per epoch = 3 × forward FLOPs × 980 windows + 4 × "
      "parameters × steps (a convention: backward ≈ 2× forward).\n")
    w("| recipe | Keras s/epoch | recur s/epoch | recur/Keras [range] | speedup | recur 1-thread s/epoch | 1-thread speedup [range] | GFLOP/s Keras / recur / recur 1-thread | recur % of SGEMM | epochs timed (Keras / recur) |")
    w("|---|---|---|---|---|---|---|---|---|---|")
    for recipe, t in S["training"].items():
        rc = RECIPES[recipe]
        w("| %s: %s, %s, SGD %g m %g, batch %d | %s | %s | %s [%s–%s] | %s× | %s | %s× [%s–%s] | %.3f / %.2f / %.2f | %.1f%% | %d / %d |" % (
            recipe.upper(), rc["arch"].replace(", Dense(1), Scale(100)", ""), rc["loss"], rc["lr"], rc["momentum"], rc["batch"],
            fnum(t["keras_epoch_s"]), fnum(t["recur_epoch_s"]), fnum(t["ratio_recur_over_keras"]), fnum(t["ratio_min"]),
            fnum(t["ratio_max"]), fnum(t["speedup"]), fnum(t["recur_1thread_epoch_s"]), fnum(t["speedup_1thread"]),
            fnum(1 / t["ratio_1thread_max"]), fnum(1 / t["ratio_1thread_min"]),
            t["gflops"]["keras"], t["gflops"]["recur"], t["gflops"]["recur_1thread"],
            100 * max(t["gflops"]["recur"], t["gflops"]["recur_1thread"]) / S["sgemm_gflops"],
            t["keras_epochs_timed"], t["recur_epochs_timed"]))
    w("")

    # ---- GEMM
    if S.get("gemm"):
        w("## Training matrix products alone (one thread)\n")
        w("`recur bench-gemm M N K [--transposed-a]` times the kernel's `C += A·B` at each shape a training step "
          "of the E1 and E3 recipes uses; numpy (OpenBLAS, `OPENBLAS_NUM_THREADS=1`) times `matmul` at the same "
          "shapes, from Python. Medians over %d rounds, interleaved. The reference is the single-threaded SGEMM "
          "figure above (%.1f GFLOP/s at 2048³).\n" % (res["profile"].get("gemm_rounds", 1), S["sgemm_gflops"]))
        w("| recipe | product | M×N×K | per step | recur GFLOP/s | % of SGEMM | numpy GFLOP/s |")
        w("|---|---|---|---|---|---|---|")
        for r in S["gemm"]:
            w("| %s | %s | %d×%d×%d%s | %d | %.1f | %.0f%% | %.1f |" % (
                r["recipe"].upper() if r["recipe"] != "ref" else "–", r["what"], r["m"], r["n"], r["k"],
                " (Aᵀ)" if r["transposed_a"] else "", r["count"], r["recur_gflops"],
                100 * r["recur_gflops"] / S["sgemm_gflops"], r["numpy_gflops"]))
        for recipe, agg in S.get("gemm_recipes", {}).items():
            w("\n**%s, a training step's products together** (FLOPs over time): recur %.1f GFLOP/s (%.0f%% of SGEMM), "
              "numpy %.1f GFLOP/s." % (recipe.upper(), agg["recur_gflops"], 100 * agg["recur_gflops"] / S["sgemm_gflops"],
                                      agg["numpy_gflops"]))
        w("")

    # ---- RSS
    w("## Peak resident memory (ru_maxrss of each process)\n")
    w("| process | E1 | E2 | E3 | E4 |")
    w("|---|---|---|---|---|")

    def rss_row(label, getter):
        cells = []
        for n in ("e1", "e2", "e3", "e4"):
            try:
                v = getter(n)
            except (KeyError, TypeError):
                v = None
            cells.append("–" if v is None else "%.1f MB" % (v / 1024))
        w("| %s | %s |" % (label, " | ".join(cells)))

    F = S["forecast"]
    rss_row("`recur forecast` (default `--batch 32`)", lambda n: F[n]["recur_maxrss_kb"])
    rss_row("`recur forecast --batch 1`", lambda n: F[n]["recur_batch1_maxrss_kb"])
    rss_row("`recur forecast`, `RECUR_THREADS=1`", lambda n: F[n]["recur_1thread_maxrss_kb"])
    rss_row("`recur train` (course recipe)", lambda n: S["training"][n]["recur_maxrss_kb"])
    rss_row("`recur train`, `RECUR_THREADS=1`", lambda n: S["training"][n]["recur_1thread_maxrss_kb"])
    rss_row("Keras course loop process (TF + model + loop + batched predict)", lambda n: F[n]["keras_maxrss_kb"])
    rss_row("LiteRT loop process (ai-edge-litert + numpy, no TF)", lambda n: F[n]["litert_maxrss_kb"])
    rss_row("Keras `model.fit` process", lambda n: S["training"][n]["keras_maxrss_kb"])
    w("")
    w("`recur --help` alone: %.1f MB, the floor under every recur figure above. That is the binary's own pages: "
      "tools/setup.sh links one static executable (Swift runtime, ArgumentParser, libhdf5 and libc inside, nothing "
      "mapped or relocated at start) whose functions lld lays out in the order of tools/link-order.txt, the functions "
      "recur's jobs run first, so that the few 64 KB blocks Linux maps around each touched page hold mostly code "
      "that runs. recur train's planned arena: %s.\n" % (
          res.get("recur_baseline_rss_kb", 0) / 1024,
          ", ".join("%s %.2f MB" % (k.upper(), v["recur_arena_mb"]) for k, v in S["training"].items() if v.get("recur_arena_mb"))))

    # ---- FLOPs
    w("## FLOPs per window (forward pass over 20 steps)\n")
    w("Counted from the layer shapes (`count_flops` in the script): 2 per multiply-add of every matrix product "
      "(the first step's product with the zero state included), 1 per add combining the input and recurrent "
      "products, 1 per bias add, LSTM gate arithmetic c = f·c + i·g and h = o·tanh(c) (4 per unit per step), "
      "the Dense layer and the final ×100. Activation functions are **not** counted (their evaluations are listed). "
      "Issue 6's figures are reproduced exactly with this convention.\n")
    w("| model | params | per layer | FLOPs/window | activations/window | issue 6 |")
    w("|---|---|---|---|---|---|")
    for name in names:
        f = res["models"][name]["flops"]
        per = "; ".join("%s %s" % (l["layer"], "{:,}".format(l["flops"])) for l in f["layers"])
        iss = ("{:,} — %s" % ("matches" if f["matches_issue6"] else "DIFFERS")).format(f["issue6_figure"]) if "issue6_figure" in f else "–"
        w("| %s | %s | %s | **%s** | %s | %s |" % (name.upper(), "{:,}".format(res["models"][name]["params"]), per,
                                                  "{:,}".format(f["flops_per_window"]), "{:,}".format(f["activations_per_window"]), iss))
    w("")

    # ---- LiteRT conversions
    w("## LiteRT conversions\n")
    w("| model | conversion | ops | cell_clip | max\\|Δ\\| / max\\|k\\| (max \\|Δ\\|) | per window: worst × tol, windows outside | notes |")
    w("|---|---|---|---|---|---|---|")
    for name in names:
        for key, v in sorted(res["models"][name]["variants"].items()):
            if "error" in v:
                w("| %s | %s | conversion failed | | | | %s |" % (name.upper(), key, v["error"][:120].replace("|", "/")))
                continue
            ops = ", ".join("%s×%d" % (o, c) for o, c in sorted(v["ops"].items(), key=lambda kv: -kv[1])[:6])
            note = []
            if v.get("dynamic_batch"):
                note.append("dynamic batch")
            if v.get("stateful"):
                note.append("stateful op: reset_all_variables() before each invoke")
            if v.get("parity_without_reset"):
                pw = v["parity_without_reset"]
                note.append("without the reset: max |diff| %.3g, %d windows outside" % (pw["max_abs_diff"], pw["windows_outside_tolerance"]))
            p = v["parity"]
            w("| %s | %s | %s | %s | %.2g (%.3g)%s | %.3g, %d | %s |" % (
                name.upper(), key, ops, ",".join("%g" % c for c in v["cell_clip"]) or "–", p["scale_rel"], p["max_abs_diff"],
                "" if p["equivalent"] else " **not equivalent**", p["worst_in_tolerance_units"],
                p["windows_outside_tolerance"], esc("; ".join(note))))
    w("")

    # ---- method and commands
    prof = res["profile"]
    w("## Method\n")
    w("* Rounds: %d batch-1/throughput rounds over %s; in each round and for each model, `recur bench` ran right "
      "before and right after the block of peer measurements (the round's recur figure is their mean) and the "
      "peers ran in reversed order every other round; models rotate their position each round. Per measurement: "
      "Keras ≥ %g s and ≥ %d calls (fewer for the slow eager call and batch 128), LiteRT ≥ %g s of invokes, recur "
      "`--iterations %d`. Load average was sampled at every round (in performance.json)." % (
          prof["rounds"], ", ".join(n.upper() for n in names), prof["keras_s"], prof["keras_min"], prof["litert_s"], prof["recur_iters"]))
    w("* LiteRT and recur time the forward pass only (LiteRT: `invoke()`, plus `reset_all_variables()` for the "
      "stateful fused op; recur bench: `forward` on a filled arena). Keras figures include the Python call.")
    w("* Whole forecast: `recur forecast` %d× before, between and after the Keras and LiteRT processes (median); "
      "Keras course loop over %s windows." % (3 * prof["forecast_runs"], "all 1,441" if prof["course_windows"] <= 0 else "the first %d" % prof["course_windows"]))
    w("* Training: %d round(s); Keras %s epochs per process (first skipped), recur %s epochs." % (
        prof["train_rounds"], "/".join("%s %d" % (k.upper(), v) for k, v in prof["keras_epochs"].items()),
        "/".join("%s %d" % (k.upper(), v) for k, v in prof["recur_epochs"].items())))
    w("* Peak RSS: `ru_maxrss` of each child process as GNU time (`/usr/bin/time -f %M`) reports it; every "
      "measurement that reports RSS ran in its own process. (Reading it with `os.wait4` or RUSAGE_CHILDREN from "
      "the Python driver is wrong on Linux: a child forked from a 40+ MB Python process keeps that process's RSS "
      "high-water mark across exec, so every child looked like 43 MB.)")
    w("* The fused LSTM conversion rebuilds the layers in tf_keras (Keras 3's LSTM is not fused by the converter) "
      "with the same weights; `fused_noclip` patches `cell_clip` to 0 in the flatbuffer. Conversions are cached "
      "in `%s/` by model hash and TensorFlow version." % opts.cache)
    w("")
    w("## Commands\n")
    w("```")
    w("tools/bench-peers.sh%s        # = tools/setup.sh (the release build);" % (" --quick" if res["mode"] == "quick" else ""))
    w("                             #   .venv-keras/bin/python tools/bench_peers.py%s" % (" --quick" if res["mode"] == "quick" else ""))
    w("# what it runs, per model M and recipe:")
    w("recur bench M --window 20 --json --iterations %d --batch 128" % prof["recur_iters"])
    w("recur forecast M --series models/course_series.csv --window 20 --split 20 --output OUT.csv [--batch 1]")
    for recipe, rc in RECIPES.items():
        w('recur train --series models/course_series.csv --window 20 --split 1000 --arch "%s" --loss %s --lr %r '
          '--momentum %r --batch %d --shuffle-buffer %d --epochs %d --seed N --output OUT.h5' % (
              rc["arch"], rc["loss"], rc["lr"], rc["momentum"], rc["batch"], rc["shuffle"], prof["recur_epochs"][recipe]))
    w("OPENBLAS_NUM_THREADS=1 python -c 'numpy.matmul(a, b)'  # 2048x2048 float32, best of %d" % prof["sgemm_reps"])
    w("recur bench-gemm M N K [--transposed-a] --seconds 0.3   # and numpy.matmul at the same shapes, %d round(s)" %
      prof.get("gemm_rounds", 1))
    w("```")
    w("")
    return "\n".join(L)


# ==============================================================================================
def main():
    ap = argparse.ArgumentParser(description="Benchmark recur against Keras/TensorFlow and LiteRT (interleaved).")
    ap.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    ap.add_argument("--quick", action="store_true", help="E1 and E3 only, fewer rounds (about 3 minutes)")
    ap.add_argument("--models", help="comma-separated subset of e1,e2,e3,e4")
    ap.add_argument("--rounds", type=int, help="batch-1/throughput rounds")
    ap.add_argument("--train-rounds", type=int, dest="train_rounds")
    ap.add_argument("--course-windows", type=int, dest="course_windows",
                    help="windows of Keras's course loop to time per model (0 = all 1,441)")
    ap.add_argument("--recur", default=".build/release/recur")
    ap.add_argument("--cache", default=".build-peers", help="LiteRT conversion cache (relative to the repository)")
    ap.add_argument("--json", default="docs/performance.json")
    ap.add_argument("--md", default="docs/performance.md")
    ap.add_argument("--keep", action="store_true", help="keep the scratch folder with every child's output")
    ap.add_argument("--from-json", dest="from_json", help="only re-render --md from this performance.json")
    # worker arguments
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--model")
    ap.add_argument("--windows", type=int, default=0)
    ap.add_argument("--file")
    ap.add_argument("--batched-file", dest="batched_file")
    ap.add_argument("--stateful", action="store_true")
    ap.add_argument("--recipe")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-fused-batch", action="store_true", dest="no_fused_batch")
    opts = ap.parse_args()
    if opts.from_json:  # re-render the report from a previous run's raw figures
        res = json.load(open(opts.from_json))
        names = [n for n in MODELS if n in res["latency"]]
        res["summary"] = analyse(res, names)
        with open(os.path.join(ROOT, opts.md), "w") as f:
            f.write(render_markdown(res, names, opts))
        return
    if opts.worker:
        if opts.worker == "prepare":
            opts.models = opts.models or "e1,e2,e3,e4"
        WORKERS[opts.worker](opts)
    else:
        main_orchestrate(opts)


if __name__ == "__main__":
    main()
