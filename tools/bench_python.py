#!/usr/bin/env python3
"""The course's forecast loop through the Python module (python/, over librecur.so) against
Keras's own loop, on the shipped models.

usage: .venv-keras/bin/python tools/bench_python.py [--models e1,e3] [--keras-windows 200]
                                                   [--json docs/embedding-bench.json]
       .venv-keras/bin/python tools/bench_python.py --render docs/embedding-bench.json  (the table)

(after tools/setup.sh and `pip install ./python` into the same venv; TF_ENABLE_ONEDNN_OPTS=0 as
the reference models were made.)

The course's loop is ``for t in range(len(series) - 20): model.predict(series[t:t + 20][np.newaxis])``
(tools/course.py's course_forecast). For each model it times, in one process:

* Keras: that loop over the first --keras-windows windows (each call timed; Keras's per-call
  cost does not depend on the window, and the whole loop takes 80-130 s a model:
  models/README.md), and one batched ``model.predict`` of all 1,441 windows (batch 256);
* recur.Model.predict in the same loop over all 1,441 windows (each call timed); one batched
  call of all of them; recur.Model.stream: every sample of the series pushed (each push timed),
  the forecast taken after each. These three alternate in --rounds rounds (the medians of the
  rounds are reported, with their range), so that the machine's load falls on all three alike;
  medians of single calls are what a call costs when the process has its core.

It checks that the module's loop, its batched call and its stream give the same forecasts to the
bit, and reports how far they are from Keras's loop beside how far Keras's batched call is from
its own loop (E1's forecasts are its last layer's output times 100, so both differ by up to
5e-5 where the forecast is near 1), and the validation MAE beside Keras's (models/reference.json). It records the machine (instruction set, numpy's single-thread SGEMM,
load average) with the figures.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402

import bench_peers  # noqa: E402
import course  # noqa: E402


def per_call_us(function, items):
    times = []
    for item in items:
        start = time.perf_counter_ns()
        function(item)
        times.append((time.perf_counter_ns() - start) / 1000)
    return times


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def median_and_range(values, scale=1.0, digits=2):
    return [round(statistics.median(values) * scale, digits), round(min(values) * scale, digits),
            round(max(values) * scale, digits)]


def sgemm():
    """numpy's float32 2048² product on one thread (bench_peers' worker), GFLOP/s."""
    run = subprocess.run([sys.executable, os.path.join(HERE, "bench_peers.py"), "--worker", "sgemm", "--reps", "5"],
                         capture_output=True, text=True, env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))
    for line in run.stdout.splitlines():
        if line.startswith(bench_peers.RESULT):
            return round(json.loads(line[len(bench_peers.RESULT):])["gflops_median"], 1)
    return None


def bench_model(name, keras_windows, rounds):
    import recur

    path = os.path.join(bench_peers.ROOT, bench_peers.MODELS[name])
    series = course.SERIES
    windows = course.all_windows(series)
    keras_model = bench_peers.load_keras_model(name)
    model = recur.Model(path)

    # recur: the course's loop, a batched call and a stream, in alternating rounds (a first
    # pass makes the sessions).
    model.predict(windows[:1])
    loop_medians, loop_p99s, loop_totals, batched_times, stream_medians = [], [], [], [], []
    for _ in range(rounds):
        loop_forecasts = []
        times = per_call_us(lambda w: loop_forecasts.append(model.predict(w[np.newaxis])[0, 0]), windows)
        loop_medians.append(statistics.median(times))
        loop_p99s.append(float(np.percentile(times, 99)))
        loop_totals.append(sum(times) / 1e6)
        seconds, batched = timed(lambda: model.predict(windows))
        batched_times.append(seconds)
        stream = model.stream(window=course.window_size)
        streamed = []
        stream_medians.append(statistics.median(per_call_us(lambda v: streamed.append(stream.push(v)), series.tolist())))
    loop_forecasts = np.array(loop_forecasts, dtype=np.float32)
    assert np.array_equal(loop_forecasts.view(np.uint32), batched[:, 0].view(np.uint32)), "loop and batch differ"
    assert np.array_equal(loop_forecasts.view(np.uint32), np.array(streamed[19:-1], dtype=np.float32).view(np.uint32)), \
        "loop and stream differ"

    # Keras: its own loop on the first windows, and one batched predict.
    for w in windows[:5]:
        keras_model.predict(w[np.newaxis], verbose=0)
    keras_forecasts = []
    keras_times = per_call_us(lambda w: keras_forecasts.append(keras_model.predict(w[np.newaxis], verbose=0)[0, 0]),
                              windows[:keras_windows])
    keras_batched_times = []
    for _ in range(3):
        seconds, keras_batched = timed(lambda: keras_model.predict(windows, batch_size=256, verbose=0))
        keras_batched_times.append(seconds)
    keras_forecasts = np.array(keras_forecasts, dtype=np.float64)

    split = course.split_time - course.window_size
    mae = course.course_mae(series[course.split_time:], loop_forecasts[split:])
    with open(os.path.join(bench_peers.ROOT, "models", "reference.json")) as f:
        keras_mae = json.load(f)["models"][os.path.basename(path)[:-3]]["forecast_mae_keras"]
    keras_median = statistics.median(keras_times)
    recur_median = statistics.median(loop_medians)
    return {
        "model": bench_peers.MODELS[name], "windows": len(windows), "rounds": rounds,
        "keras_loop_windows_timed": keras_windows,
        "keras_loop_median_us": round(keras_median, 1),
        "keras_loop_p99_us": round(float(np.percentile(keras_times, 99)), 1),
        "keras_loop_whole_s_estimated": round(keras_median * len(windows) / 1e6, 1),
        "keras_batched_s": median_and_range(keras_batched_times, digits=3),
        "recur_loop_median_us": median_and_range(loop_medians),
        "recur_loop_p99_us": median_and_range(loop_p99s),
        "recur_loop_whole_s": median_and_range(loop_totals, digits=4),
        "recur_batched_s": median_and_range(batched_times, digits=5),
        "recur_stream_median_us": median_and_range(stream_medians),
        "loop_speedup_median": round(keras_median / recur_median, 0),
        "max_abs_diff_vs_keras_loop": float("%.3g" % np.max(np.abs(loop_forecasts[:keras_windows] - keras_forecasts))),
        "max_abs_diff_keras_batched_vs_keras_loop": float("%.3g" % np.max(np.abs(keras_batched[:keras_windows, 0]
                                                                                 - keras_forecasts))),
        "mae_recur": round(mae, 6), "mae_keras_reference": round(keras_mae, 6),
    }


def render(results):
    """The table of docs/embedding.md."""
    def span(values, unit):
        median, low, high = values
        return f"{median:g} {unit} ({low:g}–{high:g})"

    machine = results["machine"]
    print(f"{machine['Model name']}, {machine['cores']} cores, {', '.join(machine['simd_flags'][-5:])}; numpy SGEMM "
          f"{results['sgemm_one_thread_gflops']} GFLOP/s on one thread; load average {results['load_start'][0]} at the "
          f"start, {results['load_end'][0]} at the end; recur {results['recur']} at {results['git_head']}, "
          f"TensorFlow {results['versions']['tensorflow']}, Keras {results['versions']['keras']}.\n")
    print("| model | Keras's loop, per window | recur's loop, per window | Keras / recur | recur's loop, all 1,441 | "
          "Keras, one batched predict | recur, one batched predict | recur's stream, per sample | MAE (recur, Keras) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for m in results["models"]:
        print(f"| `{os.path.basename(m['model'])}` | {m['keras_loop_median_us'] / 1000:.1f} ms (p99 {m['keras_loop_p99_us'] / 1000:.0f}) "
              f"| {span(m['recur_loop_median_us'], 'µs')} | {m['loop_speedup_median']:,.0f}× "
              f"| {span(m['recur_loop_whole_s'], 's')} | {span(m['keras_batched_s'], 's')} "
              f"| {span(m['recur_batched_s'], 's')} | {span(m['recur_stream_median_us'], 'µs')} "
              f"| {m['mae_recur']}, {m['mae_keras_reference']} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default="e1,e3")
    parser.add_argument("--keras-windows", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--render", metavar="JSON", help="print the docs' table of an earlier run, and nothing else")
    options = parser.parse_args()
    if options.render:
        with open(options.render) as f:
            render(json.load(f))
        return
    bench_peers.quiet_tf()
    import recur

    start_load = bench_peers.loadavg()
    results = {"machine": bench_peers.machine_info(), "sgemm_one_thread_gflops": sgemm(),
               "recur": recur.__version__, "git_head": bench_peers.sh("git rev-parse --short HEAD"),
               "versions": bench_peers.versions(sys.executable), "load_start": start_load, "models": []}
    for name in options.models.split(","):
        results["models"].append(bench_model(name, options.keras_windows, options.rounds))
        print(json.dumps(results["models"][-1]), flush=True)
    results["load_end"] = bench_peers.loadavg()
    if options.json:
        with open(options.json, "w") as f:
            json.dump(results, f, indent=1)
            f.write("\n")
    render(results)


if __name__ == "__main__":
    main()
