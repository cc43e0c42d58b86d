"""Signals at random points (seeded, so that a failure can be run again) of train, export and
stream: the process ends with 128 + the signal and one sentence, or finishes; the output is the
old file or the whole new one; a save under way is finished first; after SIGKILL no partial
output, and the next write of the same output clears the temporary file it left."""
import os
import random
import signal

from harness import Case
from inputs import LARGE_MODEL, MODEL, SERIES

SEED = 18


def whole_or_old(path, old):
    """The output is the old bytes, or a model recur reads (its own inspect decides)."""
    def check(outcome):
        if not os.path.exists(path):
            return ["the output is gone"]
        data = open(path, "rb").read()
        if data == old:
            return []
        return [] if data.startswith(b"\x89HDF\r\n\x1a\n") and len(data) > 4096 else ["a partial output (%d bytes)" % len(data)]
    return check


def no_temporary_files_of(output):
    def check(outcome):
        folder, name = os.path.split(output)
        left = [entry for entry in os.listdir(folder) if entry.startswith("." + name + ".recur-")]
        return ["temporary files left: %s" % left] if left else []
    return check


def cases(context):
    rng = random.Random(SEED)
    stops = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]
    old = b"the old file"
    for trial in range(12):
        sent = stops[trial % 3]
        output = context.output("signal_train_%d.h5" % trial)
        with open(output, "wb") as out:
            out.write(old)
        # 200 epochs take about 1.3 s here: some trials end first, most are stopped.
        delay = rng.uniform(0.02, 1.6)
        yield Case("signals", "train, %s after %.2f s" % (signal.Signals(sent).name, delay),
                   ["train", "--arch", "LSTM(16), Dense(1)", "--series", SERIES, "--epochs", "200", "--quiet", "--output", output],
                   {0, 128 + sent}, outputs=[output], signal_after=(sent, delay), check=whole_or_old(output, old))
    for trial in range(18):
        sent = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGKILL][trial % 4]
        output = context.output("signal_export_%d.h5" % trial)
        with open(output, "wb") as out:
            out.write(old)
        # An export of the largest course model takes about 40 ms, its save a few of them. The
        # first 5 ms are left out: a signal before recur's main() has run (a millisecond or so
        # after exec) ends it as it ends any program, before it can say anything.
        delay = rng.uniform(0.005, 0.045)
        yield Case("signals", "export, %s after %.3f s" % (signal.Signals(sent).name, delay), ["export", LARGE_MODEL, "--output", output],
                   {0, 128 + sent}, outputs=[output], signal_after=(sent, delay), check=whole_or_old(output, old),
                   killed_ok=sent == signal.SIGKILL)
        if sent == signal.SIGKILL:
            # The next write of the same output clears what the killed one left.
            yield Case("signals", "export again after SIGKILL", ["export", MODEL, "--output", output], {0}, outputs=[output],
                       check=no_temporary_files_of(output))
    samples = "".join("%.4f\n" % (50 + 30 * ((i * 37) % 100) / 100) for i in range(200_000)).encode()
    for trial in range(6):
        sent = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP][trial % 3]
        delay = rng.uniform(0.05, 1.0)
        # SIGINT and SIGTERM end a stream as its input's end does (0); SIGHUP is 129.
        statuses = {0, 129} if sent == signal.SIGHUP else {0}
        yield Case("signals", "stream, %s after %.2f s" % (signal.Signals(sent).name, delay), ["stream", MODEL, "--window", "20"],
                   statuses, stdin=samples, signal_after=(sent, delay))
    for sent in (signal.SIGINT, signal.SIGTERM):
        yield Case("signals", "stream of /dev/zero, %s" % signal.Signals(sent).name, ["stream", MODEL, "--window", "20"], {65},
                   stdin="/dev/zero", signal_after=(sent, 1.0), timeout=20, one_line=False)
