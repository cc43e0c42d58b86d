#!/usr/bin/env bash
# Builds recur in release and benchmarks it against Keras/TensorFlow and LiteRT on the course
# models, interleaved; writes docs/performance.md and docs/performance.json.
#
#   tools/bench-peers.sh             # full run (6 minutes on an idle 2-core box, more when it is shared)
#   tools/bench-peers.sh --quick     # E1 and E3, fewer rounds (about 3 minutes)
#   tools/bench-peers.sh --models e1 --rounds 3    # any option of tools/bench_peers.py
#
# Environment: BUILD_RETRIES (default 3) and BUILD_WAIT (seconds, default 120): the release build
# is retried, since other engineers edit Sources/ in this tree and a half-made edit can break it
# for a few minutes. SKIP_BUILD=1 uses the existing .build/release/recur as it is.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv-keras
if ! "$venv/bin/python" -c "import tensorflow, keras, tf_keras" 2>/dev/null; then
    echo "bench-peers: $venv lacks TensorFlow; create it as README.md says:" >&2
    echo "  python3 -m venv $venv && $venv/bin/pip install tensorflow-cpu==2.21.0 tf-keras==2.21.0 h5py" >&2
    exit 1
fi
if ! "$venv/bin/python" -c "import ai_edge_litert.interpreter" 2>/dev/null; then
    echo "bench-peers: installing ai-edge-litert into $venv"
    "$venv/bin/pip" install --quiet ai-edge-litert
fi

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    tries=${BUILD_RETRIES:-3}
    for attempt in $(seq "$tries"); do
        # The same build as the README's (tools/setup.sh: one static executable where possible).
        if ./tools/setup.sh > /tmp/bench-peers-build.$$.log 2>&1; then
            rm -f /tmp/bench-peers-build.$$.log
            break
        fi
        echo "bench-peers: release build failed (attempt $attempt of $tries):" >&2
        grep -E "error:" /tmp/bench-peers-build.$$.log | head -5 >&2 || tail -5 /tmp/bench-peers-build.$$.log >&2
        if [ "$attempt" = "$tries" ]; then
            echo "bench-peers: giving up; the log is /tmp/bench-peers-build.$$.log" >&2
            exit 1
        fi
        sleep "${BUILD_WAIT:-120}"
    done
fi

exec "$venv/bin/python" tools/bench_peers.py "$@"
