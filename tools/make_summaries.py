#!/usr/bin/env python3
"""Writes Keras's own `model.summary()` for model files, for `recur inspect` to be checked against.

usage: .venv-keras/bin/python tools/make_summaries.py MODEL.h5 [...]

Each MODEL.h5 gets MODEL.summary.txt beside it. Lambda layers are deserialised with the globals
the course's lambdas need (`tf`), and with safe_mode off, as Keras 3 requires for them.
"""
import io
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras.src.utils import python_utils  # noqa: E402

python_utils.tf = tf  # the course's Lambda bodies refer to `tf`
keras.config.enable_unsafe_deserialization()

for path in sys.argv[1:]:
    model = keras.models.load_model(path, compile=False, safe_mode=False)
    lines = []
    model.summary(print_fn=lambda line, **kwargs: lines.append(line))
    text = "\n".join(lines)
    with open(path[: -len(".h5")] + ".summary.txt", "w") as out:
        out.write(text if text.endswith("\n") else text + "\n")
    print("wrote", path[: -len(".h5")] + ".summary.txt")
