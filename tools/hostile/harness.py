#!/usr/bin/env python3
"""The hostile-input harness of issue 18: runs recur on what a careless user, an attacker or
the system around it hands it, and asserts for every case

  * no death by a signal (the harness's own SIGKILL trials aside),
  * standard error empty or one line `recur: …` of at most 300 characters, no control bytes,
  * the documented exit status (a set, where timing decides),
  * peak resident memory within the case's bound (--max-memory plus the process's own),
  * no file in the work folder touched but the case's named outputs,
  * no temporary file (`.NAME.recur-XXXXXX`) left.

usage: tools/hostile/run.sh  (or: python3 tools/hostile/harness.py RECUR WORK [--only CATEGORY])

The cases come from the generators beside this file (options.py, inputs.py, outputs.py,
signals.py); each returns Case objects. The counts go to standard output, and with --report
FILE as JSON.
"""
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

# What recur itself takes before it allocates anything a user asked for: the static binary, its
# runtime, libhdf5 and a small arena (measured: inspect of a course model peaks at 20-30 MB).
BASELINE_KB = 96 * 1024
# Any case without its own --max-memory: far more than any of them needs, far less than the
# gigabytes the unbounded readers took.
DEFAULT_BOUND_KB = 512 * 1024


@dataclass
class Case:
    category: str
    name: str
    argv: list
    statuses: set
    stdin: object = None          # bytes, a path to read from, or None (empty)
    stdout: object = None         # None (a pipe), a path to write to, or "closed"
    outputs: list = field(default_factory=list)   # paths the case may create or change
    memory_bound_kb: int = DEFAULT_BOUND_KB
    limits: dict = field(default_factory=dict)    # resource.RLIMIT_* -> value
    timeout: float = 60
    signal_after: object = None   # (signal, seconds): sent to recur after that long
    check: object = None          # a function(result) -> list of problems, for what is specific
    killed_ok: bool = False       # the harness SIGKILLs it: death by SIGKILL is expected
    binary: object = None         # another copy of recur to run (a renamed one)
    one_line: bool = True         # False for recur stream: one line per bad input line, each checked


@dataclass
class Outcome:
    status: int
    signal: int
    stdout: bytes
    stderr: bytes
    peak_kb: int
    seconds: float


def snapshot(folder):
    """Every file under `folder`: (size, mtime, inode, type), by path."""
    found = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = os.path.join(root, name)
            try:
                info = os.lstat(path)
            except FileNotFoundError:
                continue
            # A folder changes when a named output is renamed into it: only its being there counts.
            import stat
            changes = (0, 0) if stat.S_ISDIR(info.st_mode) else (info.st_size, info.st_mtime_ns)
            found[path] = changes + (info.st_ino, info.st_mode)
    return found


def run(recur, case):
    import resource
    stdin = subprocess.DEVNULL
    opened = []
    if isinstance(case.stdin, bytes):
        stdin = subprocess.PIPE
    elif isinstance(case.stdin, str):
        # Non-blocking, so that a FIFO opens without a writer; then blocking for recur.
        stdin = os.open(case.stdin, os.O_RDONLY | os.O_NONBLOCK)
        os.set_blocking(stdin, True)
        opened.append(stdin)
    stdout = subprocess.PIPE
    if case.stdout not in (None, "closed"):
        stdout = open(case.stdout, "ab")
        opened.append(stdout)

    def prepare():
        for resource_id, value in case.limits.items():
            resource.setrlimit(resource_id, (value, value))
        if case.stdout == "closed":
            os.close(1)

    started = time.monotonic()
    process = subprocess.Popen([case.binary or recur] + case.argv, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE, preexec_fn=prepare)
    chunks = {"out": [], "err": []}

    def drain(stream, key):
        if stream is not None:
            chunks[key].append(stream.read())

    readers = [threading.Thread(target=drain, args=(process.stdout, "out")), threading.Thread(target=drain, args=(process.stderr, "err"))]
    for reader in readers:
        reader.start()
    timers = []
    if case.signal_after:
        sent, delay = case.signal_after
        timers.append(threading.Timer(delay, lambda: _send(process, sent)))
    timers.append(threading.Timer(case.timeout, lambda: _send(process, signal.SIGKILL)))
    for timer in timers:
        timer.start()
    if isinstance(case.stdin, bytes):
        def feed():
            try:
                process.stdin.write(case.stdin)
                process.stdin.close()
            except (BrokenPipeError, OSError):
                pass
        readers.append(threading.Thread(target=feed))
        readers[-1].start()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = 0
    for timer in timers:
        timer.cancel()
    for reader in readers:
        reader.join()
    for handle in opened:
        os.close(handle) if isinstance(handle, int) else handle.close()
    return Outcome(
        status=os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1,
        signal=os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0,
        stdout=b"".join(chunks["out"]), stderr=b"".join(chunks["err"]),
        peak_kb=usage.ru_maxrss, seconds=time.monotonic() - started)


def _send(process, sent):
    try:
        os.kill(process.pid, sent)
    except ProcessLookupError:
        pass


def problems_of(case, outcome, before, after, work):
    problems = []
    if outcome.signal and not (case.killed_ok and outcome.signal == signal.SIGKILL):
        problems.append("ended by signal %d" % outcome.signal)
    if not outcome.signal and outcome.status not in case.statuses:
        problems.append("exit status %d, not %s" % (outcome.status, sorted(case.statuses)))
    if not outcome.signal:
        problems += stderr_problems(outcome.stderr, outcome.status, case.one_line)
    if outcome.peak_kb > case.memory_bound_kb:
        problems.append("peak memory %d KB over the bound of %d KB" % (outcome.peak_kb, case.memory_bound_kb))
    allowed = {os.path.realpath(path) for path in case.outputs}
    # What SIGKILL may leave: the temporary file of a named output (the next write clears it).
    killed = {".%s.recur-" % os.path.basename(path) for path in case.outputs} if outcome.signal == signal.SIGKILL else set()
    for path in set(before) | set(after):
        if before.get(path) != after.get(path) and os.path.realpath(path) not in allowed:
            if ".recur-" in os.path.basename(path) and path not in after:
                continue  # a stale temporary file of a named output, cleared as it should be
            if any(os.path.basename(path).startswith(prefix) for prefix in killed):
                continue
            problems.append("touched %s" % os.path.relpath(path, work))
    for path in after:
        if ".recur-" in os.path.basename(path) and path not in before and not outcome.signal:
            problems.append("left the temporary file %s" % os.path.relpath(path, work))
    if case.check:
        problems += case.check(outcome) or []
    return problems


def stderr_problems(stderr, status, one_line=True):
    if stderr == b"":
        return [] if status == 0 else ["exit status %d without a word" % status]
    problems = []
    text = stderr.decode("utf-8", errors="replace")
    lines = text.split("\n")
    if lines[-1] != "" or (one_line and len(lines) != 2):
        problems.append("standard error is not one line: %r" % text[:200])
    for line in lines[:-1]:
        if not line.startswith("recur: "):
            problems.append("a line that does not start with 'recur: ': %r" % line[:120])
        if len(line) > 300:
            problems.append("a line of %d characters" % len(line))
        if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in line):
            problems.append("control characters on standard error: %r" % line[:200])
    if "\ufffd" in text and b"\xef\xbf\xbd" not in stderr:
        problems.append("standard error is not UTF-8")
    return problems


def main():
    import argparse
    parser = argparse.ArgumentParser()
    parser.add_argument("recur")
    parser.add_argument("work")
    parser.add_argument("--only", action="append")
    parser.add_argument("--report")
    args = parser.parse_args()
    recur = os.path.abspath(args.recur)
    work = os.path.abspath(args.work)
    os.makedirs(work, exist_ok=True)
    import inputs
    import options
    import outputs
    import signals
    context = inputs.Context(recur=recur, work=work)
    generators = [("options", options.cases), ("inputs", inputs.cases), ("outputs", outputs.cases), ("signals", signals.cases)]
    counts = {}
    failures = []
    started = time.monotonic()
    for category, generate in generators:
        if args.only and category not in args.only:
            continue
        for case in generate(context):
            before = snapshot(work)
            outcome = run(recur, case)
            after = snapshot(work)
            problems = problems_of(case, outcome, before, after, work)
            entry = counts.setdefault(case.category, {"cases": 0, "failed": 0, "statuses": {}})
            entry["cases"] += 1
            key = "signal %d" % outcome.signal if outcome.signal else str(outcome.status)
            entry["statuses"][key] = entry["statuses"].get(key, 0) + 1
            entry["peak_kb"] = max(entry.get("peak_kb", 0), outcome.peak_kb)
            if problems:
                entry["failed"] += 1
                failures.append((case, outcome, problems))
                print("FAIL %s / %s: %s" % (case.category, case.name, "; ".join(problems)), flush=True)
    total = sum(entry["cases"] for entry in counts.values())
    for category, entry in counts.items():
        statuses = ", ".join("%s: %d" % item for item in sorted(entry["statuses"].items()))
        print("%-24s %4d cases, %d failed; peak %d MB; exit statuses %s" % (category, entry["cases"], entry["failed"], entry["peak_kb"] // 1024, statuses))
    print("hostile-input harness: %d cases, %d failed, %.0f s" % (total, len(failures), time.monotonic() - started))
    if args.report:
        with open(args.report, "w") as report:
            json.dump({"cases": total, "failed": len(failures), "categories": counts}, report, indent=1, sort_keys=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
