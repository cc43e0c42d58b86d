#!/usr/bin/env bash
# Regenerates every command output shown in the docs, so that the docs stay true.
#
#   tools/make-docs-outputs.sh [FILE.md ...]     (default: docs/*.md and models/sunspots/README.md)
#
# In those Markdown files:
#
#   <!-- output: CMD -->            the fenced block after it becomes "$ CMD" and what CMD printed
#   <!-- output status=65: CMD -->  the same, for a command that must exit with that status
#   <!-- output terminal: CMD -->   CMD runs on a pseudo-terminal 100 columns wide, and the block
#                                   shows the screen it leaves (progress lines as last drawn)
#   <!-- file: NAME -->             the fenced block after it is written to NAME before the
#                                   commands below it run
#   <!-- image: NAME.svg -> PATH.png -->  after the commands, NAME.svg is rendered to PATH.png
#
# Commands run with bash, one after another, in one scratch folder that holds a link to the
# repository's models/ (so "models/e3_bilstm2.h5" works, and writing into models/ writes the
# repository's), with `recur` on the PATH (RECUR=path, default .build/release/recur; build it
# with tools/setup.sh) and the Keras venv's python first (.venv-keras, for the hand-back to Keras).
# A command that exits with another status than the block says stops the script.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
recur=${RECUR:-$root/.build/release/recur}
if [ ! -x "$recur" ]; then
    echo "make-docs-outputs: $recur is missing: run tools/setup.sh, or set RECUR" >&2
    exit 1
fi
command -v rsvg-convert >/dev/null || { echo "make-docs-outputs: rsvg-convert is missing (apt-get install librsvg2-bin)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/bin" "$work/run"
ln -s "$(readlink -f "$recur")" "$work/bin/recur"
ln -s "$root/models" "$work/run/models"
export PATH="$work/bin:$root/.venv-keras/bin:$PATH"
export TF_ENABLE_ONEDNN_OPTS=0 TF_CPP_MIN_LOG_LEVEL=3 CUDA_VISIBLE_DEVICES=

if [ $# -eq 0 ]; then set -- docs/*.md models/sunspots/README.md; fi

python3 - "$root" "$work/run" "$@" <<'PY'
import os, pty, re, select, subprocess, sys, fcntl, struct, termios

root, run, files = sys.argv[1], sys.argv[2], sys.argv[3:]
marker = re.compile(r"^<!-- (output(?: status=(\d+))?(?: (terminal))?|file|image): (.*) -->$")


def on_terminal(command):
    """Runs command on a pseudo-terminal; returns (status, the screen as last drawn)."""
    primary, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
    attributes = termios.tcgetattr(secondary)
    attributes[1] &= ~termios.ONLCR  # keep "\n" as written
    termios.tcsetattr(secondary, termios.TCSANOW, attributes)
    process = subprocess.Popen(["bash", "-c", command], cwd=run, stdin=subprocess.DEVNULL, stdout=secondary, stderr=secondary)
    os.close(secondary)
    output = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    os.close(primary)
    status = process.wait()
    lines = []
    for line in output.decode().split("\n"):
        lines.append(line.split("\r")[-1].replace("\x1b[K", ""))
    return status, "\n".join(lines)


def plain(command):
    done = subprocess.run(["bash", "-c", command], cwd=run, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return done.returncode, done.stdout.decode()


images = []
for name in files:
    path = os.path.join(root, name)
    lines = open(path).read().split("\n")
    out, index, changed = [], 0, 0
    while index < len(lines):
        line = lines[index]
        out.append(line)
        index += 1
        found = marker.match(line)
        if not found:
            continue
        kind, expected, terminal, argument = found.group(1), int(found.group(2) or 0), found.group(3), found.group(4)
        if kind == "image":
            svg, png = [part.strip() for part in argument.split("->")]
            images.append((svg, png))
            continue
        if index >= len(lines) or not lines[index].startswith("```"):
            sys.exit("%s:%d: a fenced block must follow the marker" % (name, index))
        fence = lines[index]
        end = index + 1
        while end < len(lines) and lines[end] != "```":
            end += 1
        body = lines[index + 1:end]
        if kind == "file":
            with open(os.path.join(run, argument), "w") as f:
                f.write("\n".join(body) + "\n")
            out += lines[index:end + 1]
        else:
            print("%s: $ %s" % (name, argument), flush=True)
            status, text = on_terminal(argument) if terminal else plain(argument)
            if status != expected:
                sys.stdout.write(text)
                sys.exit("%s: '%s' exited with %d, not %d" % (name, argument, status, expected))
            text = text.rstrip("\n")
            out += [fence, "$ " + argument] + ([text] if text else []) + ["```"]
            changed += 1
        index = end + 1
    if out != lines:
        with open(path, "w") as f:
            f.write("\n".join(out))
    print("%s: %d outputs" % (name, changed), flush=True)

for svg, png in images:
    subprocess.run(["rsvg-convert", os.path.join(run, svg), "-o", os.path.join(root, png)], check=True)
    print("rendered %s -> %s" % (svg, png))
PY
