"""Keras recurrent forecasting models run by recur's engine, through its C interface.

``librecur.so`` (recur.h) is loaded with ctypes; nothing is compiled. The numbers are
``recur predict``'s and ``recur stream``'s, to the bit::

    import recur
    m = recur.Model("models/e3_bilstm2.h5")
    y = m.predict(x)              # float32 [n, window] or [n, window, features] -> [n, outputs]
    s = m.stream(window=20)       # s.push(value) -> None until the window is full, then the forecast
    state = s.save(); s.load(state); s.reset()

Every refusal raises :class:`RecurError`, whose message is the library's one sentence and whose
``status`` is the ``recur`` command's exit status for it (64 usage, 65 data, 66 missing file).
``docs/embedding.md`` in the repository has the memory model and the figures.
"""
import ctypes
import os
import threading

import numpy as np

__all__ = ["Model", "Stream", "RecurError", "__version__"]


def _load():
    path = os.environ.get("RECUR_LIBRARY") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "librecur.so")
    lib = ctypes.CDLL(path)
    c_int, c_size_t, c_void_p, c_float = ctypes.c_int, ctypes.c_size_t, ctypes.c_void_p, ctypes.c_float
    signatures = {
        "recur_model_open": (c_int, [ctypes.c_char_p, ctypes.POINTER(c_void_p)]),
        "recur_model_close": (None, [c_void_p]),
        "recur_model_window": (c_int, [c_void_p]),
        "recur_model_features": (c_int, [c_void_p]),
        "recur_model_outputs": (c_int, [c_void_p]),
        "recur_model_batch": (c_int, [c_void_p]),
        "recur_session_bytes": (c_size_t, [c_void_p, c_int, c_int]),
        "recur_session_init": (c_int, [c_void_p, c_void_p, c_size_t, c_int, c_int, ctypes.POINTER(c_void_p)]),
        "recur_session_window": (c_int, [c_void_p]),
        "recur_session_outputs": (c_int, [c_void_p]),
        "recur_predict": (c_int, [c_void_p, c_void_p, c_int, c_void_p]),
        "recur_push": (c_int, [c_void_p, c_float, c_void_p, c_void_p]),
        "recur_push_ahead": (c_int, [c_void_p, c_float, c_int, c_void_p, c_void_p]),
        "recur_reset": (c_int, [c_void_p]),
        "recur_state_bytes": (c_size_t, [c_void_p]),
        "recur_state_save": (c_int, [c_void_p, c_void_p, c_size_t]),
        "recur_state_load": (c_int, [c_void_p, ctypes.c_char_p, c_size_t]),
        "recur_last_error": (ctypes.c_char_p, []),
        "recur_version": (ctypes.c_char_p, []),
    }
    for name, (result, arguments) in signatures.items():
        function = getattr(lib, name)
        function.restype, function.argtypes = result, arguments
    return lib


_lib = _load()
__version__ = _lib.recur_version().decode()


class RecurError(Exception):
    """A refusal: ``str(error)`` is the sentence, ``error.status`` the exit status it maps to."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def _check(status):
    """Raises the library's error for a failed call (read on the thread that made it)."""
    if status != 0:
        raise RecurError(status, _lib.recur_last_error().decode("utf-8", "replace"))


def _samples(x):
    """``x`` itself when it is a C-contiguous float32 array (recur reads it in place), else a
    C-contiguous float32 copy."""
    return np.ascontiguousarray(x, dtype=np.float32)


class _Session:
    """A session of recur.h in a numpy buffer aligned to 64 bytes, which it keeps alive."""

    def __init__(self, model, batch, window):
        self.model = model  # the model outlives its sessions
        size = _lib.recur_session_bytes(model._handle, batch, window)
        # On a refusal, recur_session_init says the same with its status.
        memory = np.zeros(max(size, 64) + 64, dtype=np.uint8)
        address = memory.ctypes.data + (-memory.ctypes.data) % 64
        handle = ctypes.c_void_p()
        _check(_lib.recur_session_init(model._handle, address, size, batch, window, ctypes.byref(handle)))
        self.memory, self.handle = memory, handle.value
        self.batch = batch
        self.window = _lib.recur_session_window(self.handle)
        self.outputs = _lib.recur_session_outputs(self.handle)

    def save(self):
        state = ctypes.create_string_buffer(_lib.recur_state_bytes(self.handle))
        _check(_lib.recur_state_save(self.handle, state, len(state)))
        return state.raw

    def load(self, state):
        state = bytes(state)
        _check(_lib.recur_state_load(self.handle, state, len(state)))


class Model:
    """A Keras model file (``.h5`` or ``.keras``), read once.

    Attributes: ``path``; ``window`` (steps per window the file fixes, or None); ``features``
    (floats per step); ``outputs`` (floats per sample, or None when that follows the window);
    ``batch`` (the batch of a stateful model, or None).
    """

    def __init__(self, path):
        self.path = os.fspath(path)
        handle = ctypes.c_void_p()
        _check(_lib.recur_model_open(self.path.encode(), ctypes.byref(handle)))
        self._handle = handle.value
        self.window = _lib.recur_model_window(self._handle) or None
        self.features = _lib.recur_model_features(self._handle)
        self.outputs = _lib.recur_model_outputs(self._handle) or None
        self.batch = _lib.recur_model_batch(self._handle) or None
        self._sessions = {}
        self._stateful = None  # the session whose state predict carries (stateful models)
        self._lock = threading.Lock()

    def __del__(self):
        handle = getattr(self, "_handle", None)
        if handle:
            _lib.recur_model_close(handle)

    def __repr__(self):
        return f"recur.Model({self.path!r})"

    def predict(self, x, batch_size=32):
        """Runs samples through the model: ``x`` is float32 ``[n, window]`` (one feature) or
        ``[n, window, features]``; returns ``[n, outputs]``, each row the sample's output
        flattened. A C-contiguous float32 array is read in place; anything else is converted
        first. A stateful model carries its state from call to call, as Keras's predict does,
        and needs ``n`` to be a whole number of its batches."""
        x = _samples(x)
        window = self._window_of(x)
        count = x.shape[0]
        if self.batch is not None:
            if count % self.batch:
                raise RecurError(65, f"{self.path} is stateful with a batch of {self.batch}: it needs the samples in "
                                     f"whole batches of {self.batch}, not {count}")
            rows = self.batch
        else:
            rows = max(1, min(int(batch_size), count))
        with self._lock:
            session = self._session(rows, window)
            out = np.empty((count, session.outputs), dtype=np.float32)
            step_in, step_out = x.strides[0], out.strides[0]
            base_in, base_out = x.ctypes.data, out.ctypes.data
            for start in range(0, count, rows):
                taken = min(rows, count - start)
                _check(_lib.recur_predict(session.handle, base_in + start * step_in, taken, base_out + start * step_out))
        return out

    def reset_states(self):
        """Clears the state a stateful model carries from one predict to the next (Keras's
        ``reset_states()``)."""
        with self._lock:
            if self._stateful is not None:
                _check(_lib.recur_reset(self._stateful.handle))

    def stream(self, window=None, horizon=1):
        """A :class:`Stream` of its own: ``window`` samples per forecast (None: the file's own;
        one step for a stateful model), ``horizon`` forecasts per sample."""
        return Stream(self, window, horizon)

    def _window_of(self, x):
        if x.ndim == 2 and self.features == 1 or x.ndim == 3 and x.shape[2] == self.features:
            if x.shape[1] >= 1:
                return x.shape[1]
        want = "[n, window]" if self.features == 1 else f"[n, window, {self.features}]"
        raise RecurError(64, f"{self.path} takes samples of shape {want}, not {list(x.shape)}")

    def _session(self, rows, window):
        if self.batch is None:
            key = (rows, window)
            if key not in self._sessions:
                self._sessions[key] = _Session(self, rows, window)
            return self._sessions[key]
        # A stateful model has one state, which moves to a session of another chunk length.
        if self._stateful is None or self._stateful.window != window:
            session = _Session(self, rows, window)
            if self._stateful is not None:
                session.load(self._stateful.save())
            self._stateful = session
        return self._stateful


class Stream:
    """``recur stream`` in Python: one sample in, the forecast out once the window is full.

    ``push(value)`` returns None while the window fills, then the forecast for the next step: a
    float for a model with one output and a horizon of 1, else a float32 array of
    ``horizon * outputs`` values (the numbers of one line of ``recur stream --horizon``). A value
    that is not a finite number raises RecurError (65) and leaves the window as it was.

    ``save()`` returns the window and a stateful model's state as bytes, which ``load()`` takes
    back, in this process or another; ``reset()`` empties the window and clears the state. Use a
    stream from one thread at a time.
    """

    def __init__(self, model, window=None, horizon=1):
        self._session = _Session(model, 1, 0 if window is None else int(window))
        self.window = self._session.window
        self.horizon = int(horizon)
        self.outputs = self._session.outputs
        self._forecasts = np.empty(max(self.horizon, 1) * self.outputs, dtype=np.float32)
        self._ready = ctypes.c_int()
        self._arguments = (self._session.handle, self.horizon, self._forecasts.ctypes.data, ctypes.addressof(self._ready))
        self._single = self.horizon == 1 and self.outputs == 1

    def push(self, value):
        handle, horizon, forecasts, ready = self._arguments
        if horizon == 1:
            _check(_lib.recur_push(handle, value, forecasts, ready))
        else:
            _check(_lib.recur_push_ahead(handle, value, horizon, forecasts, ready))
        if not self._ready.value:
            return None
        return float(self._forecasts[0]) if self._single else self._forecasts.copy()

    def reset(self):
        _check(_lib.recur_reset(self._session.handle))

    def save(self):
        return self._session.save()

    def load(self, state):
        self._session.load(state)
