"""Independent float64 numpy forward pass for Keras legacy .h5 models (no TensorFlow, no Keras).

It reads only the model file: root attr ``model_config`` (JSON), ``model_weights`` ->
``layer_names`` / ``weight_names`` and the datasets; Lambda bodies are recognised from their
marshalled bytecode (``expand_dims`` -> add a last axis; a float constant -> multiply by it), the
same way a non-Python importer would have to. It then compares with ``outputs`` in the ``.io.h5``
beside each model, and (with ``--train``) also checks the training-step reference: ``batch_pred``,
the three losses, ``after_sgd_step`` = w - 1e-3 g, and ``grads_huber``/``grads_mse`` against
central finite differences of the float64 forward pass.

How to run (from the repository root)::

    .venv-keras/bin/python tools/numpy_reference.py                    # Tests/Fixtures/{keras3,keras2,keras-legacy}
    .venv-keras/bin/python tools/numpy_reference.py --train            # + loss/grad/SGD checks
    .venv-keras/bin/python tools/numpy_reference.py Tests/Fixtures/keras3/lstm_default.h5 ../shared/keras-fixtures
    .venv-keras/bin/python tools/numpy_reference.py --json out.json    # machine-readable results
    .venv-keras/bin/python tools/numpy_reference.py --forecast models  # models/NAME.h5 vs NAME.forecast.csv

Exit code 0 when every model matches within ``--rtol`` (default 1e-5, measured as
max|numpy - keras| / max(|keras|)), 1 otherwise.

Formulas: shared/docs/keras-hdf5-format.md section 5. hard_sigmoid depends on the file's Keras
version: Keras >= 3: ``clip(x / 6 + 0.5, 0, 1)``; Keras 2: ``clip(0.2 x + 0.5, 0, 1)``.
"""
import argparse
import base64
import glob
import json
import marshal
import math
import os
import struct
import sys

import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _s(v):
    if isinstance(v, bytes):
        return v.decode("utf-8")
    if isinstance(v, np.ndarray) and v.shape == ():
        return _s(v[()])
    return str(v)


# ------------------------------------------------------------------------------------------------
# activations
# ------------------------------------------------------------------------------------------------
_erf = np.vectorize(math.erf)
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def make_activations(keras_major):
    def hard_sigmoid(x):
        if keras_major >= 3:
            return np.clip(x / 6.0 + 0.5, 0.0, 1.0)
        return np.clip(0.2 * x + 0.5, 0.0, 1.0)

    def softplus(x):
        return np.logaddexp(0.0, x)

    return {
        "linear": lambda x: x,
        None: lambda x: x,
        "tanh": np.tanh,
        "sigmoid": sigmoid,
        "relu": lambda x: np.maximum(x, 0.0),
        "hard_sigmoid": hard_sigmoid,
        "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))),
        "selu": lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0.0))),
        "softsign": lambda x: x / (1.0 + np.abs(x)),
        "softplus": softplus,
        "swish": lambda x: x * sigmoid(x),
        "silu": lambda x: x * sigmoid(x),
        "relu6": lambda x: np.clip(x, 0.0, 6.0),
        "exponential": np.exp,
        "gelu": lambda x: 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0))),
        "hard_silu": lambda x: x * np.clip(x / 6.0 + 0.5, 0.0, 1.0),
        "hard_swish": lambda x: x * np.clip(x / 6.0 + 0.5, 0.0, 1.0),
        "mish": lambda x: x * np.tanh(softplus(x)),
        "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
    }


def act_name(cfg_value):
    if isinstance(cfg_value, dict):  # serialized object form
        return cfg_value.get("config", {}).get("name", cfg_value.get("class_name"))
    return cfg_value


# ------------------------------------------------------------------------------------------------
# Lambda recognition from marshalled bytecode
# ------------------------------------------------------------------------------------------------
def lambda_op(cfg):
    fn = cfg.get("function")
    if isinstance(fn, dict):  # Keras 3
        code = fn["config"]["code"]
    elif isinstance(fn, (list, tuple)):  # Keras 2
        code = fn[0]
    else:
        raise ValueError("unknown Lambda function form: %r" % (fn,))
    raw = base64.b64decode(code)
    if b"expand_dims" in raw:
        return ("expand_dims", -1)
    consts = None
    try:
        co = marshal.loads(raw)
        consts = [c for c in co.co_consts if isinstance(c, float)]
    except Exception:  # noqa: BLE001  (bytecode of another Python version)
        consts = []
        for i in range(len(raw) - 8):
            if raw[i] in (ord("g"), ord("g") | 0x80):
                v = struct.unpack("<d", raw[i + 1:i + 9])[0]
                if np.isfinite(v) and 1e-6 < abs(v) < 1e9 and v == round(v, 6):
                    consts.append(v)
    if len(consts) != 1:
        raise ValueError("cannot recognise Lambda (float constants %r)" % (consts,))
    return ("scale", consts[0])


# ------------------------------------------------------------------------------------------------
# layers
# ------------------------------------------------------------------------------------------------
def run_rnn(kind, cfg, ws, x, acts, go_backwards=None):
    """x: [N, T, I] float64. Returns [N, T, u] (if return_sequences) or [N, u]."""
    u = cfg["units"]
    act = acts[act_name(cfg.get("activation", "tanh"))]
    ract = acts[act_name(cfg.get("recurrent_activation", "sigmoid"))]
    use_bias = cfg.get("use_bias", True)
    gb = cfg.get("go_backwards", False) if go_backwards is None else go_backwards
    W, U = ws[0], ws[1]
    b = ws[2] if use_bias else None
    N, T, _ = x.shape
    seq = x[:, ::-1, :] if gb else x
    h = np.zeros((N, u))
    c = np.zeros((N, u))
    outs = []
    for t in range(T):
        xt = seq[:, t, :]
        if kind == "SimpleRNN":
            z = xt @ W + h @ U + (b if b is not None else 0.0)
            h = act(z)
        elif kind == "LSTM":
            z = xt @ W + h @ U + (b if b is not None else 0.0)
            i = ract(z[:, :u])
            f = ract(z[:, u:2 * u])
            g = act(z[:, 2 * u:3 * u])
            o = ract(z[:, 3 * u:])
            c = f * c + i * g
            h = o * act(c)
        elif kind == "GRU":
            reset_after = cfg.get("reset_after", True)
            if reset_after:
                bi = b[0] if b is not None else 0.0
                br = b[1] if b is not None else 0.0
                xz = xt @ W + bi
                hr = h @ U + br
                z = ract(xz[:, :u] + hr[:, :u])
                r = ract(xz[:, u:2 * u] + hr[:, u:2 * u])
                hh = act(xz[:, 2 * u:] + r * hr[:, 2 * u:])
            else:
                xz = xt @ W + (b if b is not None else 0.0)
                z = ract(xz[:, :u] + h @ U[:, :u])
                r = ract(xz[:, u:2 * u] + h @ U[:, u:2 * u])
                hh = act(xz[:, 2 * u:] + (r * h) @ U[:, 2 * u:])
            h = z * h + (1.0 - z) * hh
        else:
            raise ValueError(kind)
        outs.append(h)
    if cfg.get("return_sequences", False):
        # Output step k is the k-th PROCESSED step: with go_backwards it is in reversed time order.
        return np.stack(outs, axis=1)
    return h


def n_rnn_weights(cfg):
    return 3 if cfg.get("use_bias", True) else 2


class Model:
    def __init__(self, path):
        self.path = path
        with h5py.File(path, "r") as f:
            self.config = json.loads(_s(f.attrs["model_config"]))
            kv = f.attrs.get("keras_version")
            if kv is None:
                kv = f["model_weights"].attrs.get("keras_version")
            self.keras_version = _s(kv) if kv is not None else "unknown"
            g = f["model_weights"]
            self.weights = {}
            for ln in g.attrs["layer_names"]:
                ln = _s(ln)
                wn = g[ln].attrs["weight_names"]
                names = [_s(n) for n in wn] if np.asarray(wn).dtype.kind in "SOU" else []
                self.weights[ln] = [np.asarray(g[ln][n][()], dtype=np.float64) for n in names]
        major = self.keras_version.split(".")[0]
        self.keras_major = int(major) if major.isdigit() else 2
        self.acts = make_activations(self.keras_major)
        cls = self.config["class_name"]
        if cls not in ("Sequential", "Functional", "Model"):
            raise ValueError("unsupported model class " + cls)
        self.layers = [l for l in self.config["config"]["layers"] if l["class_name"] != "InputLayer"]
        if cls != "Sequential":
            self._check_chain()

    def _check_chain(self):
        """Functional models: only a single chain is supported; the layers list is in order."""
        prev = None
        for l in self.config["config"]["layers"]:
            nodes = l.get("inbound_nodes", [])
            if prev is not None and l["class_name"] != "InputLayer":
                txt = json.dumps(nodes)
                if prev not in txt:
                    raise ValueError("functional model is not a single chain at " + l["config"]["name"])
            prev = l["config"]["name"]

    def set_weights(self, override):
        """override: {layer_name: [arrays]} (float64)."""
        self.weights.update(override)

    def forward(self, x):
        x = np.asarray(x, dtype=np.float64)
        for l in self.layers:
            x = self.layer_forward(l, x)
        return x

    def layer_forward(self, l, x):
        cls, cfg = l["class_name"], l["config"]
        ws = self.weights.get(cfg["name"], [])
        acts = self.acts
        if cls == "Lambda":
            op, v = lambda_op(cfg)
            return np.expand_dims(x, axis=v) if op == "expand_dims" else x * v
        if cls == "Dense":
            y = x @ ws[0]
            if cfg.get("use_bias", True):
                y = y + ws[1]
            return acts[act_name(cfg.get("activation", "linear"))](y)
        if cls in ("SimpleRNN", "LSTM", "GRU"):
            return run_rnn(cls, cfg, ws, x, acts)
        if cls == "Bidirectional":
            fcfg = cfg["layer"]
            bcfg = cfg.get("backward_layer") or fcfg
            fkind, bkind = fcfg["class_name"], bcfg["class_name"]
            nf = n_rnn_weights(fcfg["config"])
            yf = run_rnn(fkind, fcfg["config"], ws[:nf], x, acts, go_backwards=fcfg["config"].get("go_backwards", False))
            # The backward layer always runs on the reversed sequence (go_backwards is flipped
            # relative to the forward layer in Keras 2; Keras 3 stores it as True).
            yb = run_rnn(bkind, bcfg["config"], ws[nf:], x, acts,
                         go_backwards=not fcfg["config"].get("go_backwards", False))
            if fcfg["config"].get("return_sequences", False):
                yb = yb[:, ::-1, :]  # Keras flips the backward sequence back to original time order
            mode = cfg.get("merge_mode", "concat")
            if mode == "concat":
                return np.concatenate([yf, yb], axis=-1)
            if mode == "sum":
                return yf + yb
            if mode == "ave":
                return (yf + yb) / 2.0
            if mode == "mul":
                return yf * yb
            raise ValueError("merge_mode " + str(mode))
        if cls == "InputLayer":
            return x
        raise ValueError("unsupported layer " + cls)


# ------------------------------------------------------------------------------------------------
def huber(y, p, delta=1.0):
    d = np.abs(p - y)
    return float(np.mean(np.where(d <= delta, 0.5 * d * d, delta * d - 0.5 * delta * delta)))


def mse(y, p):
    return float(np.mean((p - y) ** 2))


def mae(y, p):
    return float(np.mean(np.abs(p - y)))


def check_train(m, io):
    """Returns dict of checks for the training-step reference in io (an open h5py File)."""
    out = {}
    bx, by, bp = io["batch_x"][()], io["batch_y"][()].astype(np.float64), io["batch_pred"][()]
    pred = m.forward(bx)
    out["batch_pred_rel"] = float(np.max(np.abs(pred - bp)) / max(np.max(np.abs(bp)), 1e-12))
    bp64 = bp.astype(np.float64)
    for name, fn in (("loss_huber", huber), ("loss_mse", mse), ("loss_mae", mae)):
        if name in io:
            ref = float(io[name][()])
            out[name + "_rel"] = abs(fn(by, bp64) - ref) / max(abs(ref), 1e-12)
    paths = [_s(p) for p in io.attrs["trainable_weight_paths"]]
    # map path -> (layer, index) in m.weights by locating the dataset in the model file
    loc = {}
    with h5py.File(m.path, "r") as f:
        g = f["model_weights"]
        for ln in g.attrs["layer_names"]:
            ln = _s(ln)
            wn = g[ln].attrs["weight_names"]
            if np.asarray(wn).dtype.kind in "SOU":
                for i, n in enumerate(wn):
                    loc[_s(n)] = (ln, i)
    if "after_sgd_step" in io:
        errs = []
        for p in paths:
            ln, i = loc[p]
            w0 = m.weights[ln][i]
            errs.append(np.max(np.abs(io["after_sgd_step"][p][()] - (w0 - 1e-3 * io["grads_huber"][p][()]))))
        out["after_sgd_step_abs"] = float(max(errs))
    # finite-difference gradients (float64)
    for gname, fn in (("grads_huber", huber), ("grads_mse", mse)):
        if gname not in io:
            continue
        worst = 0.0
        for p in paths:
            ln, i = loc[p]
            w = m.weights[ln][i]
            g_ref = io[gname][p][()].astype(np.float64)
            g_fd = np.zeros_like(w)
            eps = 1e-6
            flat = w.reshape(-1)
            gf = g_fd.reshape(-1)
            for k in range(flat.size):
                old = flat[k]
                flat[k] = old + eps
                lp = fn(by, m.forward(bx))
                flat[k] = old - eps
                lm = fn(by, m.forward(bx))
                flat[k] = old
                gf[k] = (lp - lm) / (2 * eps)
            scale = max(np.max(np.abs(g_ref)), 1e-3)
            worst = max(worst, float(np.max(np.abs(g_fd - g_ref)) / scale))
        out[gname + "_fd_rel"] = worst
    return out


def find_io(model_path):
    return model_path[:-3] + ".io.h5"


def collect(args_paths):
    paths = []
    for p in args_paths:
        if not os.path.exists(p) and not p.endswith(".h5"):
            continue
        if os.path.isdir(p):
            paths += sorted(glob.glob(os.path.join(p, "**", "*.io.h5"), recursive=True))
        elif p.endswith(".io.h5"):
            paths.append(p)
        else:
            paths.append(find_io(p))
    return paths


def check_forecasts(folder, rtol, results=None):
    """Recompute every models/NAME.forecast.csv from NAME.h5 and course_series.csv (float32 input)."""
    series = np.loadtxt(os.path.join(folder, "course_series.csv"), delimiter=",", skiprows=1)[:, 1]
    series = series.astype(np.float32).astype(np.float64)
    win = 20
    windows = np.stack([series[t:t + win] for t in range(len(series) - win)])
    bad = 0
    for fc_path in sorted(glob.glob(os.path.join(folder, "*.forecast.csv"))):
        name = os.path.basename(fc_path)[:-len(".forecast.csv")]
        fc = np.loadtxt(fc_path, skiprows=1)
        m = Model(os.path.join(folder, name + ".h5"))
        ref = m.forward(windows)[:, 0]
        d = np.abs(ref - fc)
        rel = float(d.max() / np.abs(fc).max())
        valid = series[1000:]
        mae_np = float(np.mean(np.abs(ref[980:] - valid)))
        mae_k = float(np.mean(np.abs(fc[980:] - valid)))
        ok = rel <= rtol
        bad += not ok
        if results is not None:
            results[name] = {"max_abs": float(d.max()), "rel": rel, "mae_numpy": mae_np, "mae_keras_csv": mae_k, "ok": bool(ok)}
        print("%s forecast %-14s max_abs %.3g rel %.3g  MAE numpy %.6f vs Keras %.6f" % (
            "ok  " if ok else "FAIL", name, d.max(), rel, mae_np, mae_k))
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--forecast", default=None, help="folder with NAME.h5 + NAME.forecast.csv + course_series.csv")
    ap.add_argument("paths", nargs="*", default=[os.path.join(ROOT, "Tests", "Fixtures", d)
                                                 for d in ("keras3", "keras2", "keras-legacy")])
    ap.add_argument("--rtol", type=float, default=1e-5)
    ap.add_argument("--train", action="store_true", help="also check losses, SGD step and gradients (finite differences)")
    ap.add_argument("--json", default=None)
    ap.add_argument("-q", "--quiet", action="store_true")
    args = ap.parse_args()
    if args.forecast:
        return 1 if check_forecasts(args.forecast, args.rtol) else 0
    results = []
    bad = 0
    for io_path in collect(args.paths):
        with h5py.File(io_path, "r") as io:
            mf = _s(io.attrs.get("model_file", os.path.basename(io_path)[:-6] + ".h5"))
            model_path = os.path.join(os.path.dirname(io_path), os.path.basename(mf))
            r = {"io": os.path.relpath(io_path, ROOT)}
            try:
                m = Model(model_path)
                x = io["inputs"][()]
                y = io["outputs"][()]
                ref = m.forward(x)
                if ref.shape != y.shape:
                    raise ValueError("shape %s vs %s" % (ref.shape, y.shape))
                d = np.abs(ref - y.astype(np.float64))
                r.update(keras=m.keras_version, max_abs=float(d.max()),
                         rel=float(d.max() / max(np.abs(y).max(), 1e-12)), shape=list(y.shape))
                r["ok"] = r["rel"] <= args.rtol
                if args.train and "batch_x" in io:
                    r.update(check_train(m, io))
                    for k, v in r.items():
                        if k.endswith("_rel") and k != "rel":
                            tol = 1e-3 if k.endswith("_fd_rel") else (args.rtol if k == "batch_pred_rel" else 1e-6)
                            if v > tol:
                                r["ok"] = False
                                r.setdefault("fail", []).append(k)
                    if r.get("after_sgd_step_abs", 0) > 1e-6:
                        r["ok"] = False
                        r.setdefault("fail", []).append("after_sgd_step_abs")
            except Exception as e:  # noqa: BLE001
                r.update(ok=False, error="%s: %s" % (type(e).__name__, e))
        results.append(r)
        if not r["ok"]:
            bad += 1
        if not args.quiet or not r["ok"]:
            if "error" in r:
                print("FAIL %-60s %s" % (r["io"], r["error"]))
            else:
                extra = "" if not args.train else "  " + " ".join(
                    "%s=%.2g" % (k, v) for k, v in r.items() if (k.endswith("_rel") and k != "rel") or k.endswith("_abs") and k != "max_abs")
                print("%s %-60s max_abs %.3g rel %.3g%s" % ("ok  " if r["ok"] else "FAIL", r["io"], r["max_abs"], r["rel"], extra))
    n = len(results)
    worst = max((r.get("rel", 0) for r in results), default=0)
    print("%d passed, %d failed (numpy float64 reference vs Keras outputs, rtol %g; worst rel %.3g)" % (n - bad, bad, args.rtol, worst))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
