#!/usr/bin/env bash
# The hostile-input harness (tools/hostile/harness.py) on the release binary that
# tools/setup.sh builds: every case's exit status, standard error, peak memory, files touched
# and temporary files checked; counts in docs/fuzzing.md. Needs python3 only (no packages).
#
#   tools/hostile/run.sh [--only CATEGORY] [--report FILE]
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d "${TMPDIR:-/tmp}/recur-hostile.XXXXXX")
trap 'rm -rf "$work"' EXIT
python3 tools/hostile/harness.py .build/release/recur "$work" "$@"
