"""Where output goes: devices, FIFOs, links, folders, a full disk, limits of the process
(issue 18's "--output onto a device or a link", "a failed write to standard output", "a
file-size limit"). The devices written to are the harness's own nodes, made with mknod in the
work folder (the kernel's null and full devices, 1:3 and 1:7), and /dev/stdout its own link to
/proc/self/fd/1: CI runs as root, and a recur that replaced what it writes would replace the
machine's /dev entries (a run of main's binary did, before this harness used its own)."""
import os
import resource
import stat
import threading

from harness import Case
from inputs import LARGE_MODEL, MODEL, SERIES, WINDOW


def still(path, kind):
    def check(outcome):
        mode = os.lstat(path).st_mode
        return [] if kind(mode) else ["%s is no longer what it was" % path]
    return check


def output_commands(context, output):
    """Each command that writes a named output, writing `output`."""
    return {
        "forecast --output": ["forecast", MODEL, "--window", "20", "--output", output],
        "forecast --plot": ["forecast", MODEL, "--window", "20", "--plot", output],
        "export": ["export", MODEL, "--output", output],
        "train": ["train", "--arch", "SimpleRNN(2), Dense(1)", "--series", SERIES, "--epochs", "1", "--quiet", "--output", output],
    }


def device(context, name, minor):
    """The work folder's own node of the kernel's device 1:`minor`; as another user than root,
    who cannot make one, the machine's (which that user cannot replace either)."""
    folder = os.path.join(context.work, "dev")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, name)
    if os.geteuid() != 0:
        return "/dev/" + name
    if not os.path.exists(path):
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, minor))
    return path


def standard_output_link(context, name):
    path = os.path.join(context.work, "dev", name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if not os.path.lexists(path):
        os.symlink("/proc/self/fd/1", path)
    return path


def named_outputs(context):
    folder = os.path.join(context.work, "out")
    os.makedirs(folder, exist_ok=True)
    for name, argv in output_commands(context, "PLACEHOLDER").items():
        suffix = ".svg" if "plot" in name else (".csv" if "output" in name and "forecast" in name else ".h5")
        label = name.replace(" ", "_").replace("-", "")
        # Named with the output's ending, as recur asks of a plot or a model.
        full = device(context, label + "_full" + suffix, 7)
        stdout = standard_output_link(context, label + "_stdout" + suffix)
        null = device(context, label + "_null" + suffix, 3)
        yield Case("outputs", name + " to a null device", [null if a == "PLACEHOLDER" else a for a in argv], {0},
                   outputs=[null], check=still(null, stat.S_ISCHR))
        yield Case("outputs", name + " to a full device", [full if a == "PLACEHOLDER" else a for a in argv], {73},
                   outputs=[full], check=still(full, stat.S_ISCHR))
        fifo = os.path.join(folder, label + "_fifo" + suffix)
        if not os.path.exists(fifo):
            os.mkfifo(fifo)
        yield Case("outputs", name + " to a FIFO nobody reads", [fifo if a == "PLACEHOLDER" else a for a in argv], {73}, outputs=[fifo], check=still(fifo, stat.S_ISFIFO))
        yield Case("outputs", name + " to a FIFO someone reads", [fifo if a == "PLACEHOLDER" else a for a in argv], {0}, outputs=[fifo],
                   check=read_while_running(fifo))
        real = os.path.join(folder, label + "_real" + suffix)
        with open(real, "w") as old:
            old.write("old")
        link = os.path.join(folder, label + "_link" + suffix)
        if not os.path.lexists(link):
            os.symlink(os.path.basename(real), link)
        yield Case("outputs", name + " to a link", [link if a == "PLACEHOLDER" else a for a in argv], {0}, outputs=[real, link], check=still(link, stat.S_ISLNK))
        dangling = os.path.join(folder, label + "_dangling" + suffix)
        target = os.path.join(folder, label + "_created" + suffix)
        if not os.path.lexists(dangling):
            os.symlink(os.path.basename(target), dangling)
        yield Case("outputs", name + " to a link to nothing", [dangling if a == "PLACEHOLDER" else a for a in argv], {0}, outputs=[target, dangling])
        directory = os.path.join(folder, label + "_folder" + suffix)
        os.makedirs(directory, exist_ok=True)
        yield Case("outputs", name + " to a folder", [directory if a == "PLACEHOLDER" else a for a in argv], {73})
        yield Case("outputs", name + " in a missing folder", [folder + "/missing/x" + suffix if a == "PLACEHOLDER" else a for a in argv], {73})
        yield Case("outputs", name + " in a read-only file system", ["/proc/recur" + suffix if a == "PLACEHOLDER" else a for a in argv], {73})
        yield Case("outputs", name + " to a link to /proc/self/fd/1", [stdout if a == "PLACEHOLDER" else a for a in argv], {0},
                   outputs=[stdout], check=still(stdout, stat.S_ISLNK))


def read_while_running(fifo):
    """Starts a reader of `fifo` now (the case runs next) and checks that it got data."""
    got = []

    def reader():
        with open(fifo, "rb") as stream:
            got.append(len(stream.read()))

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()

    def check(outcome):
        thread.join(10)
        return [] if got and got[0] > 0 else ["the FIFO's reader got nothing"]
    return check


def standard_output(context):
    full = device(context, "full", 7)
    commands = {
        "help": (["help"], None), "inspect": (["inspect", MODEL], None), "forecast": (["forecast", MODEL, "--window", "20"], None),
        "predict": (["predict", MODEL, "--input", "-"], (WINDOW * 3).encode()), "bench": (["bench", MODEL, "--window", "20", "--iterations", "10", "--batch", "2"], None),
        "lr-find": (["lr-find", "--arch", "SimpleRNN(2), Dense(1)", "--series", SERIES, "--epochs", "2"], None),
        "train": (["train", "--arch", "SimpleRNN(2), Dense(1)", "--series", SERIES, "--epochs", "1", "--output", context.output("stdout_train.h5")], None),
        "stream": (["stream", MODEL, "--window", "2"], b"1\n2\n3\n"),
    }
    for name, (argv, stdin) in commands.items():
        outputs = [context.output("stdout_train.h5")] if name == "train" else []
        yield Case("standard output", name + " > a full device", argv, {73}, stdin=stdin, stdout=full, outputs=outputs + [full])
        yield Case("standard output", name + " >&-", argv, {73}, stdin=stdin, stdout="closed", outputs=outputs)


def limits(context):
    output = context.output("limited.h5")
    with open(output, "w") as old:
        old.write("old")
    unchanged = lambda outcome: [] if open(output).read() == "old" else ["the output changed"]
    yield Case("process limits", "ulimit -f 16: export", ["export", LARGE_MODEL, "--output", output], {73},
               limits={resource.RLIMIT_FSIZE: 16 * 1024}, outputs=[output], check=unchanged)
    yield Case("process limits", "ulimit -f 16: train", ["train", "--arch", "LSTM(64), Dense(1)", "--series", SERIES, "--epochs", "1", "--quiet", "--output", output], {73},
               limits={resource.RLIMIT_FSIZE: 16 * 1024}, outputs=[output], check=unchanged)
    space = {resource.RLIMIT_AS: 768 << 20}
    yield Case("process limits", "ulimit -v 768M: inspect", ["inspect", MODEL], {0}, limits=space)
    yield Case("process limits", "ulimit -v 768M: forecast", ["forecast", MODEL, "--window", "20"], {0}, limits=space)
    yield Case("process limits", "ulimit -v 768M: train LSTM(4096)", ["train", "--arch", "LSTM(4096), Dense(1)", "--series", SERIES, "--epochs", "1", "--output", output], {65}, limits=space, outputs=[output])
    yield Case("process limits", "ulimit -v 768M: stream --horizon 2^20", ["stream", MODEL, "--window", "20", "--horizon", "1048576"], {0, 65}, limits=space, stdin=b"1\n" * 20)
    budget = 64 << 20
    yield Case("process limits", "--max-memory 64M: train LSTM(16384)", ["train", "--arch", "LSTM(16384), Dense(1)", "--series", SERIES, "--max-memory", "64M", "--output", output], {65},
               outputs=[output], memory_bound_kb=(budget >> 10) + 96 * 1024)
    yield Case("process limits", "--max-memory 1M: stream --horizon 1048576", ["stream", MODEL, "--window", "20", "--horizon", "1048576", "--max-memory", "1M"], {65},
               stdin=b"1\n" * 25, memory_bound_kb=1024 + 96 * 1024)
    yield Case("process limits", "--max-memory 64M: predict of 100 MB", ["predict", MODEL, "--input", "-", "--max-memory", "64M"], {65},
               stdin=(WINDOW * ((100 << 20) // len(WINDOW))).encode(), memory_bound_kb=(budget >> 10) + 96 * 1024)


def cases(context):
    yield from named_outputs(context)
    yield from standard_output(context)
    yield from limits(context)
