#!/usr/bin/env python3
"""Writes small malformed Keras model files for recur's import-error tests.

usage: .venv-keras/bin/python tools/make_bad_models.py   (needs h5py and numpy)

Each file is a copy of a tiny valid model (Input[None, 1] -> LSTM(5) -> Dense(1), in the legacy
full-model layout Keras writes) with one thing wrong. `Tests/Fixtures/bad/EXPECTED.tsv` lists,
per file, the exit status recur must give and words its message must contain. Files that are
merely unusual but valid (float64 or float16 weights, which Keras itself converts) are listed
with status 0.
"""
import json
import os

import h5py
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "bad")

CONFIG = {"class_name": "Sequential", "config": {"name": "seq", "layers": [
    {"class_name": "InputLayer", "config": {"batch_input_shape": [None, None, 1], "dtype": "float32", "name": "input"}},
    {"class_name": "LSTM", "config": {"name": "lstm", "units": 5}},
    {"class_name": "Dense", "config": {"name": "dense", "units": 1}}]}}

rng = np.random.RandomState(7)
WEIGHTS = {
    "lstm": [("kernel", rng.uniform(-0.5, 0.5, (1, 20))), ("recurrent_kernel", rng.uniform(-0.5, 0.5, (5, 20))),
             ("bias", rng.uniform(-0.5, 0.5, (20,)))],
    "dense": [("kernel", rng.uniform(-0.5, 0.5, (5, 1))), ("bias", rng.uniform(-0.5, 0.5, (1,)))],
}

expected = []


def write(name, status, words, config=CONFIG, weights=WEIGHTS, layer_names=("lstm", "dense"), dtype="float32",
          config_text=None, keras_version="3.15.1"):
    path = os.path.join(OUT, name)
    with h5py.File(path, "w") as f:
        f.attrs["model_config"] = config_text if config_text is not None else json.dumps(config)
        if keras_version:
            f.attrs["keras_version"] = keras_version
        group = f.create_group("model_weights")
        group.attrs["layer_names"] = [n.encode() for n in layer_names]
        for layer, values in weights.items():
            sub = group.create_group(layer)
            sub.attrs["weight_names"] = [w.encode() for w, _ in values]
            for weight, array in values:
                sub.create_dataset(weight, data=np.asarray(array).astype(dtype) if not isinstance(array, np.ndarray) or array.dtype.kind == "f" else array)
    expected.append((name, status, words))


def replaced(layer, index, array):
    weights = {k: list(v) for k, v in WEIGHTS.items()}
    weights[layer][index] = (weights[layer][index][0], array)
    return weights


os.makedirs(OUT, exist_ok=True)
write("valid.h5", 0, [])
write("float64_weights.h5", 0, [], dtype="float64")
write("float16_weights.h5", 0, [], dtype="float16")
nan_kernel = WEIGHTS["lstm"][0][1].copy(); nan_kernel[0, 3] = np.nan
write("nan_weight.h5", 65, ["lstm", "nan", "index 3"], weights=replaced("lstm", 0, nan_kernel))
inf_bias = WEIGHTS["dense"][1][1].copy(); inf_bias[0] = np.inf
write("inf_weight.h5", 65, ["dense", "inf"], weights=replaced("dense", 1, inf_bias))
write("overflowing_float64_weight.h5", 65, ["dense", "finite"],
      weights=replaced("dense", 0, np.full((5, 1), 1e300)), dtype="float64")
write("wrong_kernel_shape.h5", 65, ["lstm", "[1, 20]", "[1, 16]"], weights=replaced("lstm", 0, rng.uniform(size=(1, 16))))
write("wrong_units_in_config.h5", 65, ["lstm", "shape"],
      config=json.loads(json.dumps(CONFIG).replace('"units": 5', '"units": 6')))
write("string_weight.h5", 65, ["lstm", "not numeric"], weights=replaced("lstm", 2, np.array([b"x"] * 20)))
missing = {k: list(v) for k, v in WEIGHTS.items()}
write("missing_weight_dataset.h5", 65, ["dense", "'bias'"], weights=missing)
with h5py.File(os.path.join(OUT, "missing_weight_dataset.h5"), "a") as f:
    del f["model_weights/dense/bias"]
write("too_few_weights.h5", 65, ["dense", "needs 2 weights"], weights={"lstm": WEIGHTS["lstm"], "dense": WEIGHTS["dense"][:1]})
write("missing_layer_group.h5", 65, ["layer 'extra'"], layer_names=("lstm", "extra", "dense"))
write("extra_weighted_layer.h5", 65, ["3 layers", "2 layers with weights"],
      weights={**WEIGHTS, "more": WEIGHTS["dense"]}, layer_names=("lstm", "dense", "more"))
write("config_not_json.h5", 65, ["not valid JSON"], config_text='{"class_name": "Sequential", "config": {')
write("config_not_a_model.h5", 65, ["class_name"], config_text='[1, 2, 3]')
write("unsupported_layer.h5", 65, ["Conv2D", "'conv'"], config=json.loads(json.dumps(CONFIG).replace(
    '{"class_name": "Dense", "config": {"name": "dense", "units": 1}}',
    '{"class_name": "Conv2D", "config": {"name": "conv", "filters": 1}}')))
write("return_state_layer.h5", 65, ["lstm", "return_state"], config=json.loads(json.dumps(CONFIG).replace('"units": 5', '"units": 5, "return_state": true')))
write("absurd_units.h5", 65, ["lstm", "units"], config=json.loads(json.dumps(CONFIG).replace('"units": 5', '"units": 1099511627776')))
write("no_input_shape.h5", 0, [], config={"class_name": "Sequential", "config": {"name": "seq", "layers": CONFIG["config"]["layers"][1:]}})
write("four_dimensional_input.h5", 65, ["input"], config=json.loads(json.dumps(CONFIG).replace('[null, null, 1]', '[null, 5, 2, 1]')))
write("no_model_weights.h5", 65, ["model_weights"])
with h5py.File(os.path.join(OUT, "no_model_weights.h5"), "a") as f:
    del f["model_weights"]

with open(os.path.join(OUT, "EXPECTED.tsv"), "w") as out:
    out.write("# file\texit status\twords the message must contain (|-separated)\n")
    for name, status, words in expected:
        out.write("%s\t%d\t%s\n" % (name, status, "|".join(words)))
print("wrote %d files to %s" % (len(expected), OUT))


def crash_libhdf5():
    """A file that crashes libhdf5 1.10 itself (Tests/Fixtures/crash/): the model_config
    string's global-heap object index pointed far past the heap's table, which H5HG_read trusts
    and dereferences. recur may only ever read it in its preflight child process."""
    import struct
    data = bytearray(open(os.path.join(OUT, "valid.h5"), "rb").read())
    with h5py.File(os.path.join(OUT, "valid.h5"), "r") as f:
        length = len(f.attrs["model_config"])
    for i in range(len(data) - 16):
        (n,) = struct.unpack_from("<I", data, i)
        (address,) = struct.unpack_from("<Q", data, i + 4)
        if n == length and address + 4 <= len(data) and data[address:address + 4] == b"GCOL":
            struct.pack_into("<I", data, i + 12, 0x7FFFFFF0)
            break
    else:
        raise SystemExit("no model_config heap reference found")
    folder = os.path.join(OUT, "..", "crash")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "heap_index_out_of_table.h5"), "wb") as out:
        out.write(data)


crash_libhdf5()
