"""The data code of the DeepLearning.AI course "Sequences, Time Series and Prediction" (week 3),
as an importable module, plus small helpers used by the other tools.

Run as a script to (re)write ``models/course_series.csv`` and check the series against the shared
Keras fixtures::

    TF_ENABLE_ONEDNN_OPTS=0 .venv-keras/bin/python tools/course.py [--check-shared DIR]

Importing this module does not import TensorFlow; the functions that need it
(``windowed_dataset``, ``course_forecast``, ``course_mae``) import it lazily.

Notes on dtypes (checked by ``self_check()``):

* ``time`` is float32, so ``trend``/``seasonality`` are float32; ``noise`` is float64
  (``RandomState.randn``).
* The course writes ``series = baseline + trend(...) + seasonality(...)`` and then
  ``series += noise(...)``. The in-place add keeps the array float32 (the add itself is done in
  float64 and rounded once). The expression ``trend + 10 + seasonality + noise`` gives a float64
  array instead; rounding that to float32 yields bit-for-bit the course's float32 series (Keras
  casts its inputs to float32 in any case). ``SERIES64`` is that float64 array and is what
  ``models/course_series.csv`` holds (``%.17g``); ``SERIES`` is the course's float32 array.
"""
import argparse
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ----------------------------------------------------------------------------------------------
# The course's functions (verbatim semantics)
# ----------------------------------------------------------------------------------------------
def trend(time, slope=0):
    return slope * time


def seasonal_pattern(season_time):
    """Just an arbitrary pattern, you can change it if you wish"""
    return np.where(season_time < 0.4,
                    np.cos(season_time * 2 * np.pi),
                    1 / np.exp(3 * season_time))


def seasonality(time, period, amplitude=1, phase=0):
    """Repeats the same pattern at each period"""
    season_time = ((time + phase) % period) / period
    return amplitude * seasonal_pattern(season_time)


def noise(time, noise_level=1, seed=None):
    rnd = np.random.RandomState(seed)
    return rnd.randn(len(time)) * noise_level


time = np.arange(4 * 365 + 1, dtype="float32")
baseline = 10
amplitude = 40
slope = 0.05
noise_level = 5

# As the course does it: float32 array, noise added in place.
series = baseline + trend(time, slope) + seasonality(time, period=365, amplitude=amplitude)
series += noise(time, noise_level, seed=42)
SERIES = series

# The same thing as one expression: float64 (the noise term promotes).
SERIES64 = trend(time, 0.05) + 10 + seasonality(time, period=365, amplitude=40) + noise(time, 5, seed=42)

split_time = 1000
time_train = time[:split_time]
x_train = series[:split_time]
time_valid = time[split_time:]
x_valid = series[split_time:]

window_size = 20
batch_size = 32
shuffle_buffer_size = 1000


def windowed_dataset(series, window_size, batch_size, shuffle_buffer):
    import tensorflow as tf
    dataset = tf.data.Dataset.from_tensor_slices(series)
    dataset = dataset.window(window_size + 1, shift=1, drop_remainder=True)
    dataset = dataset.flat_map(lambda window: window.batch(window_size + 1))
    dataset = dataset.shuffle(shuffle_buffer).map(lambda window: (window[:-1], window[-1]))
    dataset = dataset.batch(batch_size).prefetch(1)
    return dataset


def course_forecast(model, series=SERIES, window_size=window_size, split_time=split_time):
    """The course's forecast loop: one ``model.predict`` per window (slow).

    Returns ``(all_forecasts, results)``: all ``len(series) - window_size`` one-step forecasts
    (float32, shape [1441]) and the validation part ``forecast[split_time - window_size:]``
    (shape [461]), aligned with ``series[split_time:]``.
    """
    forecast = []
    for time in range(len(series) - window_size):
        forecast.append(model.predict(series[time:time + window_size][np.newaxis], verbose=0))
    all_fc = np.array(forecast)[:, 0, 0]
    forecast = forecast[split_time - window_size:]
    results = np.array(forecast)[:, 0, 0]
    return all_fc, results


def batched_forecast(model, series=SERIES, window_size=window_size, batch_size=256):
    """All one-step forecasts with a single batched ``model.predict`` call."""
    windows = all_windows(series, window_size)
    return model.predict(windows, batch_size=batch_size, verbose=0)[:, 0]


def all_windows(series, window_size=window_size):
    """[len(series) - window_size, window_size] array of the windows the forecast loop feeds."""
    n = len(series) - window_size
    return np.stack([series[t:t + window_size] for t in range(n)])


def course_mae(x_valid, results, keras_module=None):
    """MAE as the course computes it: ``keras.metrics.mean_absolute_error(x_valid, results)``."""
    if keras_module is None:
        import keras as keras_module
    return float(np.asarray(keras_module.metrics.mean_absolute_error(x_valid, results)))


def float64_errors(x_valid, results):
    """(MAE, MSE) in float64 with numpy."""
    d = np.asarray(results, np.float64) - np.asarray(x_valid, np.float64)
    return float(np.mean(np.abs(d))), float(np.mean(d * d))


# ----------------------------------------------------------------------------------------------
def self_check():
    assert series.dtype == np.float32 and series.shape == (1461,)
    assert SERIES64.dtype == np.float64
    assert np.array_equal(SERIES64.astype(np.float32), series), "float64 expression != course float32"
    return True


def check_against_shared(folder):
    """Compare the windows stored in the shared fixtures' io files with this series."""
    import glob
    import h5py
    report = []
    for path in sorted(glob.glob(os.path.join(folder, "*.io.h5"))):
        with h5py.File(path, "r") as f:
            if "input_window_starts" not in f:
                continue
            starts = f["input_window_starts"][()]
            x = f["inputs"][()].reshape(len(starts), -1)
            expect = np.stack([series[s:s + x.shape[1]] for s in starts])
            report.append((os.path.basename(path), float(np.max(np.abs(x - expect)))))
            if "batch_window_indices" in f:
                idx = f["batch_window_indices"][()]
                bx = f["batch_x"][()].reshape(len(idx), -1)
                by = f["batch_y"][()].reshape(len(idx), -1)[:, -1]
                ex = np.stack([series[i:i + bx.shape[1]] for i in idx])
                ey = np.array([series[i + bx.shape[1]] for i in idx])
                report.append((os.path.basename(path) + ":batch",
                               float(max(np.max(np.abs(bx - ex)), np.max(np.abs(by - ey))))))
    return report


def write_series_csv(path):
    with open(path, "w") as f:
        f.write("time,value\n")
        for t, v in zip(time, SERIES64):
            f.write("%d,%.17g\n" % (int(t), v))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "models", "course_series.csv"))
    ap.add_argument("--check-shared", default=os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..", "shared", "keras-fixtures"))
    args = ap.parse_args()
    self_check()
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    write_series_csv(args.out)
    print("wrote", args.out, len(SERIES64), "rows")
    # Round trip: parsing the CSV and rounding to float32 gives the course series exactly.
    back = np.loadtxt(args.out, delimiter=",", skiprows=1)[:, 1]
    assert np.array_equal(back, SERIES64) and np.array_equal(back.astype(np.float32), series)
    print("csv round trip: exact (float64), float32 cast == course series")
    if args.check_shared and os.path.isdir(args.check_shared):
        for name, d in check_against_shared(args.check_shared):
            print("shared fixture %-28s max |diff| = %g" % (name, d))
    return 0


if __name__ == "__main__":
    sys.exit(main())
