"""Every numeric option of every command at 0, -1, 2^31, 2^63-1, nan, inf and 1e308. The
expected status follows from each option's documented range (recur's OptionBounds): 64 with a
sentence outside it; inside it the command runs, on inputs small enough to finish at once."""
import math

from harness import Case
from inputs import MODEL, SERIES, WINDOW

VALUES = ["0", "-1", "2147483648", "9223372036854775807", "nan", "inf", "1e308"]
SIZES = (1, 1 << 20)
COUNTS = (1, 1 << 40)
FLOAT_MAX = 3.4028234663852886e38


def whole(lower, upper):
    def inside(text):
        try:
            value = int(text)
        except ValueError:
            return False
        return lower <= value <= upper
    return inside


def real(lower, upper, above=False, below=False):
    def inside(text):
        value = float(text)
        if not math.isfinite(value) or not lower <= value <= upper:
            return False
        return not (above and value == lower) and not (below and value == upper)
    return inside


def options(context):
    out = context.output
    train = ["train", "--arch", "SimpleRNN(2), Dense(1)", "--series", SERIES, "--epochs", "1", "--output", out("train.h5"), "--quiet"]
    lr_find = ["lr-find", "--arch", "SimpleRNN(2), Dense(1)", "--series", SERIES, "--epochs", "2", "--quiet"]
    model_commands = {
        "predict": (["predict", MODEL, "--input", "-"], []),
        "forecast": (["forecast", MODEL, "--window", "20"], [out("forecast.csv")]),
        "inspect": (["inspect", MODEL], []),
        "bench": (["bench", MODEL, "--window", "20", "--iterations", "10", "--batch", "2"], []),
        "stream": (["stream", MODEL, "--window", "20"], []),
        "export": (["export", MODEL, "--output", out("export.h5")], [out("export.h5")]),
    }
    # (base command, outputs, option, range test, whether an in-range value runs in the harness's time)
    yield ("predict", *model_commands["predict"], "--batch", whole(*SIZES))
    for name in ("forecast", "inspect", "bench"):
        yield (name, *model_commands[name], "--window", whole(*SIZES))
        yield (name, *model_commands[name], "--batch", whole(*SIZES))
    yield ("forecast", *model_commands["forecast"], "--split", whole(*COUNTS))
    yield ("inspect", *model_commands["inspect"], "--momentum", real(0, 1, below=True))
    yield ("bench", *model_commands["bench"], "--iterations", whole(10, 1 << 24))
    yield ("stream", ["stream", MODEL], [], "--window", whole(*SIZES))
    yield ("stream", *model_commands["stream"], "--horizon", whole(*SIZES))
    yield ("stream", *model_commands["stream"], "--column", whole(1, 4096))
    for name, (base, outputs) in model_commands.items():
        yield (name, base, outputs, "--max-memory", whole(1, (1 << 63) - 1))
    for command, base, outputs in (("train", train, [out("train.h5")]), ("lr-find", lr_find, [])):
        for option, inside in (
            ("--window", whole(*SIZES)), ("--batch", whole(*SIZES)), ("--split", whole(*COUNTS)),
            ("--shuffle-buffer", whole(*COUNTS)), ("--lr", real(0, FLOAT_MAX, above=True)),
            ("--momentum", real(0, 1, below=True)), ("--delta", real(0, FLOAT_MAX, above=True)),
            ("--clipnorm", real(0, FLOAT_MAX, above=True)), ("--global-clipnorm", real(0, FLOAT_MAX, above=True)),
            ("--clipvalue", real(0, FLOAT_MAX, above=True)), ("--seed", whole(0, (1 << 64) - 1)), ("--max-memory", whole(1, (1 << 63) - 1)),
        ):
            yield (command, base, outputs, option, inside)
    yield ("train", train, [out("train.h5")], "--epochs", whole(*SIZES))
    for option in ("--decay-rate", "--decay-steps", "--drop"):
        yield ("train", train + ["--schedule", "exponential" if "decay" in option else "step"], [out("train.h5")], option, real(0, FLOAT_MAX, above=True))
    yield ("train", train + ["--schedule", "step"], [out("train.h5")], "--drop-every", whole(*COUNTS))
    yield ("lr-find", lr_find, [], "--start", real(0, FLOAT_MAX, above=True))
    yield ("lr-find", ["lr-find", "--arch", "SimpleRNN(2), Dense(1)", "--series", SERIES, "--quiet"], [], "--epochs", whole(2, 1 << 20))
    yield ("lr-find", lr_find, [], "--per-decade", real(0, FLOAT_MAX, above=True))
    yield ("bench-gemm", ["bench-gemm", "4", "4", "4"], [], "--seconds", real(0, 3600, above=True))


# Values in range that would run long: the harness checks their refusal or start only.
SLOW = {("train", "--epochs"), ("lr-find", "--epochs"), ("bench", "--iterations"), ("train", "--drop-every"),
        ("train", "--shuffle-buffer"), ("lr-find", "--shuffle-buffer"), ("bench-gemm", "--seconds")}


def cases(context):
    for command, base, outputs, option, inside in options(context):
        for value in VALUES:
            if inside(value) and (command, option) in SLOW:
                continue
            # In range, the command runs: its own outcome (0, or 64/65 for what the value
            # means for this input: a split past the series, a batch the memory cannot hold).
            statuses = {0, 64, 65, 73} if inside(value) else {64}
            stdin = {"predict": (WINDOW * 2).encode(), "stream": b"1\n" * 25}.get(command)
            yield Case("numeric options", "%s %s %s" % (command, option, value), base + [option, value], statuses,
                       stdin=stdin, outputs=outputs, timeout=120)
    # bench-gemm's sizes are arguments: each at the same values.
    for position in range(3):
        for value in VALUES:
            sizes = ["4", "4", "4"]
            sizes[position] = value
            yield Case("numeric options", "bench-gemm %s" % " ".join(sizes), ["bench-gemm"] + sizes + ["--seconds", "0.01"], {64})
