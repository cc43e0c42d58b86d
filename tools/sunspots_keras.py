"""Train the course's two-layer Bidirectional LSTM on the yearly sunspot numbers with REAL Keras,
the recipe that ``recur train`` runs in docs/sunspots.md, and record what Keras measures.

How to run (from the repository root, CPU only, a few minutes)::

    TF_ENABLE_ONEDNN_OPTS=0 .venv-keras/bin/python tools/sunspots_keras.py [--seeds 1,2,3] [--epochs 400]

Data: ``models/sunspots/sunspots.csv`` (statsmodels' copy of the yearly numbers 1700-2008; see
``models/sunspots/README.md``), column ``SUNACTIVITY``, cast to float32 as Keras casts its input.

Recipe (the course's ``e3_bilstm2``, only the data, window, split and epochs differ):

* ``Lambda(expand_dims) -> Bidirectional(LSTM(32, return_sequences=True)) -> Bidirectional(LSTM(32))
  -> Dense(1) -> Lambda(x * 100)``
* MSE loss, ``SGD(learning_rate=1e-6, momentum=0.9)``, metrics ``mae``
* the course's ``windowed_dataset`` over ``series[:250]`` (1700-1949): window 22, batch 32,
  shuffle buffer 1000 (228 windows, 8 steps an epoch)
* 400 epochs (3,200 updates, about the 3,100 of the course's 100 epochs over 980 windows)
* forecast: the course's loop, one ``model.predict`` per window, over ``series[250:]`` (1950-2008)

Writes ``models/sunspots/keras.json`` (every seed's history, forecast MAE/MSE, the naive
last-value baseline, versions) and ``models/sunspots/bilstm_keras.h5`` (the first seed's model,
``model.save``), which ``recur forecast`` runs with Keras's numbers.
"""
import argparse
import csv
import datetime
import json
import os
import platform
import sys
import time

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FOLDER = os.path.join(ROOT, "models", "sunspots")
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402

import course  # noqa: E402  (the course's windowed_dataset)
import tensorflow as tf  # noqa: E402  (a global: the Lambda body refers to it by name)
import keras  # noqa: E402

WINDOW = 22
SPLIT = 250
BATCH = 32
SHUFFLE = 1000
LR = 1e-6
MOMENTUM = 0.9


def load_series():
    with open(os.path.join(FOLDER, "sunspots.csv")) as f:
        rows = list(csv.DictReader(f))
    years = [int(float(r["YEAR"])) for r in rows]
    values = np.array([float(r["SUNACTIVITY"]) for r in rows], dtype=np.float32)
    return years, values


def build():
    L = keras.layers
    return keras.models.Sequential([
        L.Lambda(lambda x: tf.expand_dims(x, axis=-1), input_shape=[None]),
        L.Bidirectional(L.LSTM(32, return_sequences=True)),
        L.Bidirectional(L.LSTM(32)),
        L.Dense(1),
        L.Lambda(lambda x: x * 100.0),
    ])


def course_forecast(model, series):
    """One model.predict per window, as the course's loop: forecasts of series[SPLIT:]."""
    out = []
    for t in range(SPLIT, len(series)):
        out.append(model.predict(series[t - WINDOW:t][np.newaxis], verbose=0)[0, 0])
    return np.array(out, dtype=np.float32)


def errors(truth, forecast):
    d = np.asarray(forecast, np.float64) - np.asarray(truth, np.float64)
    return float(np.mean(np.abs(d))), float(np.mean(d * d))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--epochs", type=int, default=400)
    args = ap.parse_args()
    tf.config.experimental.enable_op_determinism()
    years, series = load_series()
    truth = series[SPLIT:]
    naive_mae, naive_mse = errors(truth, series[SPLIT - 1:-1])
    runs = []
    for index, seed in enumerate(int(s) for s in args.seeds.split(",")):
        keras.backend.clear_session()
        keras.utils.set_random_seed(seed)
        dataset = course.windowed_dataset(series[:SPLIT], WINDOW, BATCH, SHUFFLE)
        model = build()
        model.compile(loss="mse", optimizer=keras.optimizers.SGD(learning_rate=LR, momentum=MOMENTUM), metrics=["mae"])
        started = time.perf_counter()
        history = model.fit(dataset, epochs=args.epochs, verbose=0).history
        seconds = time.perf_counter() - started
        forecast = course_forecast(model, series)
        mae, mse = errors(truth, forecast)
        keras_mae = float(np.asarray(keras.metrics.mean_absolute_error(truth, forecast)))
        print("seed %d: final loss %.6g, forecast MAE %.6g (keras metric %.6g), MSE %.6g, %.1f s"
              % (seed, history["loss"][-1], mae, keras_mae, mse, seconds), flush=True)
        runs.append({"seed": seed, "seconds": round(seconds, 2), "loss": history["loss"], "mae": history["mae"],
                     "forecast_mae": mae, "forecast_mae_keras_metric": keras_mae, "forecast_mse": mse,
                     "forecast": [float(v) for v in forecast]})
        if index == 0:
            model.save(os.path.join(FOLDER, "bilstm_keras.h5"))
    maes = [r["forecast_mae"] for r in runs]
    result = {
        "generated": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "versions": {"keras": keras.__version__, "tensorflow": tf.__version__, "numpy": np.__version__,
                     "python": platform.python_version()},
        "data": {"file": "models/sunspots/sunspots.csv", "column": "SUNACTIVITY", "values": len(series),
                 "train": "%d-%d" % (years[0], years[SPLIT - 1]), "validate": "%d-%d" % (years[SPLIT], years[-1])},
        "recipe": {"architecture": "Lambda(expand_dims) -> Bidirectional(LSTM(32, return_sequences=True)) -> "
                                   "Bidirectional(LSTM(32)) -> Dense(1) -> Lambda(x*100)",
                   "loss": "mse", "optimizer": "SGD", "learning_rate": LR, "momentum": MOMENTUM, "batch": BATCH,
                   "shuffle_buffer": SHUFFLE, "window": WINDOW, "split": SPLIT, "epochs": args.epochs},
        "naive_mae": naive_mae, "naive_mse": naive_mse,
        "forecast_mae_mean": float(np.mean(maes)), "forecast_mae_std": float(np.std(maes)),
        "runs": runs,
    }
    with open(os.path.join(FOLDER, "keras.json"), "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print("naive last-value MAE %.6g; Keras MAE over seeds %s: mean %.6g" % (naive_mae, args.seeds, result["forecast_mae_mean"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
