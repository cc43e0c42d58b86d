#!/usr/bin/env python3
"""Writes the fixtures for recur's Lambda recogniser (Sources/RecurKeras/Lambda/).

Keras saves a Lambda layer's function as base64 of `marshal.dumps(fn.__code__)`, and that bytecode
differs per Python minor version, so this script must run once under each supported Python:

    for v in 3.6 3.7 3.8 3.9 3.10 3.11 3.12 3.13; do python$v tools/make_lambda_fixtures.py; done
    .venv-keras/bin/python tools/make_lambda_fixtures.py --keras ../shared/keras-fixtures/m1_simplernn.h5

Each run writes Tests/Fixtures/lambda/pyXY.json: {case name: {"source", "base64", "expect"}} plus,
for refusals, "reason_contains" (a fragment the refusal's reason must mention). "expect" is
"expand_dims:<axis>", "<multiply|divide|add|subtract|subtract_from>:<float>" or "refuse".

The lambdas only *reference* tf, keras, K and np: nothing is imported or called, so no TensorFlow
is needed. `--swift-opcodes` prints this Python's opcode table in the form of
Sources/RecurKeras/Lambda/OpcodeTables.swift instead.
"""
import base64
import json
import marshal
import os
import sys

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "lambda")

# (case name, source, expect, fragment the refusal reason must contain)
CASES = [
    ("expand_dims_axis_keyword", "lambda x: tf.expand_dims(x, axis=-1)", "expand_dims:-1", None),
    ("expand_dims_axis_positional", "lambda x: tf.expand_dims(x, -1)", "expand_dims:-1", None),
    ("keras_ops_expand_dims", "lambda x: keras.ops.expand_dims(x, axis=-1)", "expand_dims:-1", None),
    ("tf_keras_backend_expand_dims", "lambda x: tf.keras.backend.expand_dims(x, axis=-1)", "expand_dims:-1", None),
    ("K_expand_dims_positional", "lambda x: K.expand_dims(x, -1)", "expand_dims:-1", None),
    ("expand_dims_axis_1", "lambda x: tf.expand_dims(x, axis=1)", "expand_dims:1", None),
    ("expand_dims_input_keyword", "lambda x: tf.expand_dims(input=x, axis=-1)", "expand_dims:-1", None),
    ("multiply_float", "lambda x: x * 100.0", "multiply:100.0", None),
    ("multiply_int", "lambda x: x * 100", "multiply:100.0", None),
    ("multiply_reflected", "lambda x: 100.0 * x", "multiply:100.0", None),
    ("divide", "lambda x: x / 100.0", "divide:100.0", None),
    ("add", "lambda x: x + 5.0", "add:5.0", None),
    ("add_reflected", "lambda x: 5.0 + x", "add:5.0", None),
    ("subtract", "lambda x: x - 1.5", "subtract:1.5", None),
    ("subtract_from", "lambda x: 2.0 - x", "subtract_from:2.0", None),
    ("multiply_small", "lambda x: x * 1e-3", "multiply:0.001", None),
    ("multiply_negative", "lambda x: x * -2.5", "multiply:-2.5", None),
    ("multiply_other_argument_name", "lambda inputs: inputs * 100.0", "multiply:100.0", None),
    ("refuse_reshape", "lambda x: tf.reshape(x, [-1])", "refuse", "tf.reshape"),
    ("refuse_power", "lambda x: x ** 2", "refuse", "**"),
    ("refuse_two_operations", "lambda x: x * 100.0 + 1", "refuse", "more than one operation"),
    ("refuse_log", "lambda x: tf.math.log(x)", "refuse", "tf.math.log"),
    ("refuse_subscript", "lambda x: x[:, :, None]", "refuse", "indexes"),
    ("refuse_two_arguments", "lambda x, y: x * y", "refuse", "2 arguments"),
    ("refuse_closure", "(lambda scale: lambda x: x * scale)(100.0)", "refuse", "scale"),
    ("refuse_default_argument", "lambda x, scale=100.0: x * scale", "refuse", "2 arguments"),
    ("refuse_varargs", "lambda *xs: xs[0] * 2.0", "refuse", "variable"),
    ("refuse_global_factor", "lambda x: x * scale", "refuse", "scale"),
    ("refuse_string_constant", "lambda x: x * 'a'", "refuse", "not a number"),
    ("refuse_divide_constant_by_input", "lambda x: 100.0 / x", "refuse", "100.0 / x"),
    ("refuse_identity", "lambda x: x", "refuse", "unchanged"),
    ("refuse_constant", "lambda x: 5.0", "refuse", "ignores its input"),
    ("refuse_expand_dims_then_scale", "lambda x: tf.expand_dims(x, axis=-1) * 2.0", "refuse", "more than one operation"),
    ("refuse_expand_dims_float_axis", "lambda x: tf.expand_dims(x, axis=-1.0)", "refuse", "axis"),
    ("refuse_expand_dims_no_axis", "lambda x: tf.expand_dims(x)", "refuse", "tf.expand_dims"),
    ("refuse_numpy_expand_dims", "lambda x: np.expand_dims(x, -1)", "refuse", "np.expand_dims"),
    ("refuse_conditional", "lambda x: x * 2.0 if x is not None else x", "refuse", None),
    ("refuse_nested_lambda", "lambda x: (lambda y: y * 2.0)(x)", "refuse", None),
]


def encode(code):
    # What Keras does: codecs.encode(marshal.dumps(code), "base64"), i.e. base64.encodebytes,
    # with a "\n" after every 76 characters.
    return base64.encodebytes(marshal.dumps(code)).decode("ascii")


def write(name, cases):
    os.makedirs(FIXTURES, exist_ok=True)
    path = os.path.join(FIXTURES, name)
    with open(path, "w") as f:
        json.dump(cases, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote %s (%d cases)" % (os.path.relpath(path), len(cases)))


def python_cases():
    cases = {}
    for name, source, expect, fragment in CASES:
        # co_filename "course.py", as in the Keras fixtures.
        fn = eval(compile(source, "course.py", "eval"), {})
        case = {"source": source, "base64": encode(fn.__code__), "expect": expect}
        if fragment is not None:
            case["reason_contains"] = fragment
        cases[name] = case
    return cases


def keras_cases(h5_path):
    import h5py  # only in the Keras venv

    with h5py.File(h5_path, "r") as f:
        config = f.attrs["model_config"]
    config = json.loads(config.decode() if isinstance(config, bytes) else config)
    stem = os.path.splitext(os.path.basename(h5_path))[0]
    # What the README says the two lambdas are; checked against the unmarshalled code below.
    known = {
        ("tf", "expand_dims"): ("lambda x: tf.expand_dims(x, axis=-1)", "expand_dims:-1"),
        (): ("lambda x: x * 100.0", "multiply:100.0"),
    }
    cases = {}
    for layer in config["config"]["layers"]:
        if layer["class_name"] != "Lambda":
            continue
        code_b64 = layer["config"]["function"]["config"]["code"]
        code = marshal.loads(base64.decodebytes(code_b64.encode("ascii")))
        source, expect = known[tuple(code.co_names)]
        if expect == "multiply:100.0":
            assert 100.0 in code.co_consts, code.co_consts
        else:
            assert -1 in code.co_consts and ("axis",) in code.co_consts, code.co_consts
        cases["%s/%s" % (stem, layer["config"]["name"])] = {
            "source": "%s  # not stored in the file; recovered with marshal/dis (Python %d.%d)"
            % (source, sys.version_info[0], sys.version_info[1]),
            "base64": code_b64,
            "expect": expect,
        }
    assert cases, "no Lambda layers in %s" % h5_path
    return stem, cases


def swift_opcodes():
    import opcode

    minor = sys.version_info[1]
    specialised = set(getattr(opcode, "_specialized_instructions", []) or [])
    for family in getattr(opcode, "_specializations", {}).values():
        specialised |= set(family)
    # Marshal writes de-specialised code, so pseudo, instrumented and specialised opcodes never appear.
    names = {
        op: name
        for name, op in opcode.opmap.items()
        if op < 256 and not name.startswith("INSTRUMENTED_") and name not in specialised and name != "RESERVED"
    }
    entries = getattr(opcode, "_inline_cache_entries", None)
    caches = {}
    if isinstance(entries, dict):
        caches = {name: n for name, n in entries.items() if n and name in names.values()}
    elif entries is not None:
        caches = {opcode.opname[op]: n for op, n in enumerate(entries) if n and op in names}
    def print_wrapped(items):
        line = "           "
        for item in items:
            if len(line) + len(item) + 2 > 100:
                print(line.rstrip())
                line = "           "
            line += " " + item + ","
        print(line.rstrip())

    print("    static let python3_%d = OpcodeTable(" % minor)
    print("        minor: %d," % minor)
    print("        names: [")
    print_wrapped(['%d: "%s"' % (op, names[op]) for op in sorted(names)])
    print("        ],")
    if caches:
        print("        cacheEntries: [")
        print_wrapped(['"%s": %d' % kv for kv in sorted(caches.items())])
        print("        ]")
    else:
        print("        cacheEntries: [:]")
    print("    )")


def main():
    if "--swift-opcodes" in sys.argv:
        swift_opcodes()
    elif "--keras" in sys.argv:
        stem, cases = keras_cases(sys.argv[sys.argv.index("--keras") + 1])
        write("keras3_%s.json" % stem, cases)
    else:
        write("py%d%d.json" % sys.version_info[:2], python_cases())


if __name__ == "__main__":
    main()
