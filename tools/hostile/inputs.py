"""Hostile inputs: files a model, a series or a line of samples may be (issue 18's "data a
user really has" and "what an HDF5 file may point at"), made in the work folder."""
import os
import shutil
import struct
import zipfile
import zlib
from dataclasses import dataclass

from harness import Case

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
MODEL = os.path.join(ROOT, "models", "e1_simplernn.h5")
LARGE_MODEL = os.path.join(ROOT, "models", "e4_bilstm3.h5")
SERIES = os.path.join(ROOT, "models", "course_series.csv")
FIXTURES = os.path.join(ROOT, "Tests", "Fixtures")
WINDOW = ",".join(str(i) for i in range(1, 21)) + "\n"
ONE_LINE = {0, 64, 65, 66, 73}


@dataclass
class Context:
    recur: str
    work: str

    def path(self, name):
        folder = os.path.join(self.work, "in")
        os.makedirs(folder, exist_ok=True)
        return os.path.join(folder, name)

    def write(self, name, data):
        path = self.path(name)
        with open(path, "wb") as out:
            out.write(data if isinstance(data, bytes) else data.encode())
        return path

    def output(self, name):
        folder = os.path.join(self.work, "out")
        os.makedirs(folder, exist_ok=True)
        return os.path.join(folder, name)


def same_stdout_as(expected):
    def check(outcome):
        return [] if outcome.stdout == expected else ["standard output differs from the plain file's"]
    return check


def contains(text):
    def check(outcome):
        return [] if text.encode() in outcome.stderr else ["standard error lacks %r: %r" % (text, outcome.stderr[:200])]
    return check


def config(layers):
    return '{"class_name": "Sequential", "config": {"name": "s", "layers": [%s]}}' % ", ".join(layers)


def series_cases(context):
    plain = open(SERIES, "rb").read()
    crlf = plain.replace(b"\n", b"\r\n")
    expected = None
    files = {"crlf.csv": crlf, "bom.csv": b"\xef\xbb\xbf" + plain, "bom_crlf.csv": b"\xef\xbb\xbf" + crlf}
    import subprocess
    expected = subprocess.run([context.recur, "forecast", MODEL, "--series", SERIES, "--window", "20"], capture_output=True).stdout
    for name, data in files.items():
        path = context.write(name, data)
        for column in ([], ["--column", "value"], ["--column", "2"]):
            yield Case("CRLF and BOM", "forecast %s %s" % (name, column), ["forecast", MODEL, "--series", path, "--window", "20"] + column, {0}, check=same_stdout_as(expected))
    rows = plain.split(b"\n")
    yield Case("series values", "1e39", ["forecast", MODEL, "--series", context.write("big.csv", b"\n".join(rows[:5] + [b"5,1e39"] + rows[6:])), "--window", "20"], {65}, check=contains("line 6: '1e39' is not a finite float32"))
    yield Case("series values", "nan", ["forecast", MODEL, "--series", context.write("nan.csv", b"\n".join(rows[:5] + [b"5,nan"] + rows[6:])), "--window", "20"], {65})
    yield Case("series values", "no values", ["forecast", MODEL, "--series", context.write("empty.csv", b"time,value\n\r\n"), "--window", "20"], {65})
    yield Case("huge lines", "20 MB number", ["forecast", MODEL, "--series", context.write("long_number.csv", b"value\n" + b"1" * (20 << 20) + b"\n"), "--window", "20"], {65}, timeout=30)
    yield Case("huge lines", "1 MB field", ["forecast", MODEL, "--series", context.write("long_field.csv", b"value\n" + b"x" * (1 << 20 - 16) + b"\n"), "--window", "20"], {65})
    header = ",".join("c%d" % i for i in range(100_000)).encode() + b"\n" + b",".join(b"1" for _ in range(100_000)) + b"\n"
    yield Case("huge lines", "100,000 columns", ["forecast", MODEL, "--series", context.write("wide.csv", header), "--column", "nope", "--window", "20"], {64})
    yield Case("huge lines", "/dev/zero series", ["forecast", MODEL, "--series", "/dev/zero", "--window", "20"], {65})
    yield Case("huge lines", "/dev/zero predict file", ["predict", MODEL, "--input", "/dev/zero"], {65})
    yield Case("huge lines", "/dev/zero predict stdin", ["predict", MODEL, "--input", "-"], {65}, stdin="/dev/zero")
    yield Case("huge lines", "/dev/urandom series", ["forecast", MODEL, "--series", "/dev/urandom", "--window", "20"], {65})
    yield Case("huge lines", "predict CRLF and BOM", ["predict", MODEL, "--input", "-"], {0}, stdin=b"\xef\xbb\xbf" + WINDOW.replace("\n", "\r\n").encode() * 3)
    yield Case("huge lines", "predict 1 MB field", ["predict", MODEL, "--input", "-"], {65}, stdin=b"1," * 10 + b"9" * (1 << 20) + b"\n")
    yield Case("huge lines", "stream 20 MB line", ["stream", MODEL, "--window", "20"], {65}, stdin=b"1\n" * 30 + b"2" * (20 << 20) + b"\n3\n", one_line=False)
    fifo = context.path("nobody_writes.csv")
    if not os.path.exists(fifo):
        os.mkfifo(fifo)
    yield Case("FIFOs and devices as inputs", "FIFO series without a writer", ["forecast", MODEL, "--series", fifo, "--window", "20"], {66}, timeout=30)
    yield Case("FIFOs and devices as inputs", "folder as series", ["forecast", MODEL, "--series", context.work, "--window", "20"], {66})
    yield Case("FIFOs and devices as inputs", "FIFO model", ["inspect", fifo], {66})
    yield Case("FIFOs and devices as inputs", "/dev/null model", ["inspect", "/dev/null"], {66})
    yield Case("FIFOs and devices as inputs", "missing model", ["inspect", context.path("missing.h5")], {66})
    yield Case("FIFOs and devices as inputs", "/dev/null series", ["forecast", MODEL, "--series", "/dev/null", "--window", "20"], {65})


def model_cases(context):
    hostile = os.path.join(FIXTURES, "hostile")
    for name in sorted(os.listdir(hostile)):
        if name == "external_link_target.h5":
            continue
        path = os.path.join(hostile, name)
        for command in (["inspect", path], ["predict", path, "--input", "-"], ["export", path, "--output", context.output("hostile_" + name + ".h5")],
                        ["forecast", path, "--window", "8"], ["stream", path, "--window", "8"]):
            yield Case("HDF5 pointing outside", "%s %s" % (command[0], name), command, {65}, stdin=b"1\n", check=contains("is not self-contained"))
        yield Case("HDF5 pointing outside", "as --config of %s" % name, ["predict", os.path.join(FIXTURES, "stream", "tiny_rnn.h5"), "--config", path, "--input", "-"], {65}, stdin=b"1\n")
    for name in sorted(os.listdir(os.path.join(FIXTURES, "crash"))):
        path = os.path.join(FIXTURES, "crash", name)
        copy = context.path("-" + name)
        shutil.copyfile(path, copy)
        yield Case("HDF5 that crashes libhdf5", name, ["inspect", path], {65})
        yield Case("HDF5 that crashes libhdf5", "-" + name + " after --", ["inspect", "--", copy], {65})
        renamed = context.path("recur-1.0")
        if not os.path.exists(renamed):
            shutil.copyfile(context.recur, renamed)
            os.chmod(renamed, 0o755)
        yield Case("HDF5 that crashes libhdf5", name + " by a renamed recur", ["inspect", path], {65}, binary=renamed)
    escape = context.write("escape.json", config(['{"class_name": "X\\u001b]0;pwned\\u0007\\nrecur: forged", "config": {"name": "a"}}']))
    newline = context.write("newline.json", config(['{"class_name": "InputLayer", "config": {"batch_input_shape": [null, 20, 1], "name": "in\\nrecur: forged"}}', '{"class_name": "Dense", "config": {"name": "a\\u009b31m\\u202e", "units": 0}}']))
    long_class = context.write("long_class.json", config(['{"class_name": "%s", "config": {"name": "a"}}' % ("A" * 200_000)]))
    duplicate = context.write("duplicate.json", config(['{"class_name": "Dense", "config": {"name": "d", "units": 40, "units": 2147483648}}']))
    tiny = os.path.join(FIXTURES, "stream", "tiny_rnn.h5")
    quick = lambda outcome: [] if outcome.seconds < 10 else ["took %.0f s (the preflight stalled)" % outcome.seconds]
    for name, path in (("escape sequence in a class name", escape), ("newline and C1 in names", newline), ("200,000-character class name", long_class), ("duplicate units, the last too large", duplicate)):
        yield Case("configurations", name, ["inspect", tiny, "--config", path], {65}, check=quick)
    yield Case("configurations", "BOM before a configuration", ["inspect", os.path.join(FIXTURES, "formats", "k2_mixed.weights.h5"), "--config", context.write("bom.json", b"\xef\xbb\xbf" + open(os.path.join(FIXTURES, "formats", "k2_mixed.json"), "rb").read())], {0})
    for operation in ("scale:nan", "scale:inf", "divide:0", "add:1e308", "scale:-inf", "multiply:", "expand-dims:3"):
        yield Case("configurations", "--lambda lambda_1=" + operation, ["inspect", MODEL, "--lambda", "lambda_1=" + operation], {64})
    for name, members in archive_bombs():
        path = context.write(name, members)
        yield Case("archives", name, ["inspect", path], {65})
        yield Case("archives", name + " with --max-memory 64M", ["inspect", path, "--max-memory", "64M"], {65}, memory_bound_kb=64 * 1024 + BASELINE)


BASELINE = 96 * 1024


def archive_bombs():
    """.keras archives whose members inflate to far more than the file: a config.json of 60 MB
    of spaces (valid JSON for the parser's first bytes), a weights member of 900 MB of zeros,
    and one that declares 2 GB but holds a few bytes."""
    def archive(entries):
        data = bytearray()
        directory = bytearray()
        for name, raw_size, payload, crc in entries:
            offset = len(data)
            header = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(payload), raw_size, len(name), 0)
            data += header + name.encode() + payload
            directory += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc, len(payload), raw_size, len(name), 0, 0, 0, 0, 0, offset) + name.encode()
        end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(directory), len(data), 0)
        return bytes(data + directory + end)

    def deflated(chunk, count):
        compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
        crc = 0
        out = bytearray()
        for _ in range(count):
            out += compressor.compress(chunk)
            crc = zlib.crc32(chunk, crc)
        out += compressor.flush()
        return bytes(out), crc

    spaces, spaces_crc = deflated(b" " * (1 << 20), 60)
    zeros, zeros_crc = deflated(b"\0" * (1 << 20), 900)
    small_config = open(os.path.join(FIXTURES, "formats", "k3_named.json"), "rb").read()
    config_payload, config_crc = deflated(small_config, 1)
    yield "config_bomb.keras", archive([("config.json", 60 << 20, spaces, spaces_crc)])
    yield "weights_bomb.keras", archive([("config.json", len(small_config), config_payload, config_crc), ("model.weights.h5", 900 << 20, zeros, zeros_crc)])
    yield "declared_2GB.keras", archive([("config.json", len(small_config), config_payload, config_crc), ("model.weights.h5", 2 << 30, b"\x03\x00", 0)])


def cases(context):
    yield from series_cases(context)
    yield from model_cases(context)
