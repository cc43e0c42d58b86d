/* recur.h: recur's C interface. Keras recurrent models (.h5, .keras) run in memory the caller
   owns, with the numbers, the streaming and the refusals of the `recur` command.
   C99 and C++. Built by tools/setup.sh as .build/release/librecur.so and librecur.a; compile
   with `pkg-config --cflags --libs recur` (or `recur-static` for the archive). docs/embedding.md
   has complete examples.

   THE TWO OBJECTS
   A model is a file read once: recur_model_open reads it, maps its layers onto recur's kernel
   and keeps its weights; after that it is read-only. A session is one set of buffers for running
   it: recur_session_bytes says how many bytes it needs for a batch and a window, and
   recur_session_init builds it in memory the caller provides. One model serves any number of
   sessions: one per stream, per thread, per batch size.

   OWNERSHIP
   - recur_model_open allocates the model; recur_model_close frees it. Close a model only after
     the last call on any of its sessions: a session reads its model's name for its error
     sentences and its identity for recur_state_load.
   - A session lives in the caller's memory, from its first byte: at least
     recur_session_bytes(model, batch, window) bytes, aligned to RECUR_SESSION_ALIGNMENT (64)
     bytes, *session is memory itself. recur writes only there and owns nothing else for it, so
     there is no call to end a session: the caller frees or reuses the memory when it no longer
     calls the session (recur_session_init again on the same memory starts afresh). The memory
     holds pointers into itself: never move or copy it; to carry a stream elsewhere, save its
     state and load it into another session (recur_state_save, recur_state_load).
   - Input, output and state buffers are the caller's; recur reads and writes them only during
     the call. recur_last_error's text belongs to recur; recur_version's is static.

   ALLOCATION AND SYSTEM CALLS
   - Only recur_model_open (which reads the file) and recur_model_close allocate or free heap
     memory.
   - recur_predict, recur_push, recur_push_ahead, recur_reset, recur_state_bytes,
     recur_state_save and recur_state_load make no heap allocation and no system call, errors
     included (tools/test-c-abi.sh counts the allocations with a malloc interposer and runs
     them under a seccomp filter that allows no system call).
   - recur_session_bytes and recur_session_init allocate nothing; they plan the session under a
     lock of the model, which waits (a futex system call) only when another thread is planning a
     session of the same model at that moment.
   - The error sentence is kept per thread. When librecur.so is loaded with dlopen (Python's
     ctypes does), the C library allocates a thread's copy the first time that thread fails.

   THREADS
   - A model may be used by any number of threads at once (recur_model_*, recur_session_bytes,
     recur_session_init).
   - A session is used by one thread at a time. Sessions are independent: several threads may
     each run their own session at once, sessions of one model included, and each gets the
     numbers it would get alone.
   - A session computes on the calling thread and on no other: it never starts, wakes or waits
     for a thread. (The `recur` command may give the two directions of a Bidirectional layer to
     a second thread; sessions do not, so that no call waits on another session or makes a
     system call.) To use two cores, run two sessions on two threads. The numbers do not depend
     on it: every value is summed in the same order whatever the batch or the thread.

   ERRORS
   Every call that can fail returns one of these codes (the `recur` command's exit statuses)
   and sets this thread's recur_last_error to one sentence naming the model file, the argument,
   the row or the sample. No call aborts or exits, whatever it is given: a missing or damaged
   file, a NULL, a buffer too small, a state from another model. A failed call changes nothing:
   a refused sample leaves the window as it was.

   One limit: recur_model_open reads HDF5 files with libhdf5 in the calling process, and a file
   crafted against libhdf5 can crash it there (docs/fuzzing.md lists where). The `recur` command
   reads each file in a child process first; a program that opens files it does not trust can
   do the same with `recur check-model FILE` (status 0: safe to open).

   LAYOUT
   A sample is `window` steps of `features` floats, time-major (step t, feature f at
   t * features + f): a line of `recur predict`, a row of Keras's [n, window, features] input.
   Its output is `outputs` floats: the output tensor of one sample, flattened.

   STATEFUL MODELS (Keras's stateful=True)
   The file fixes the batch; a session of such a model must have that batch. Every
   recur_predict carries each row's state on to the next call, as Keras's predict does, so a
   call must give every row (rows == batch). recur_push takes each sample as one step, its
   state carried (a session of window 1, one sequence). recur_reset clears the state (Keras's
   reset_states()); recur_state_save and recur_state_load include it. */

#ifndef RECUR_H
#define RECUR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RECUR_VERSION "0.1.0"
#define RECUR_SESSION_ALIGNMENT 64

enum {
    RECUR_OK = 0,
    RECUR_FAILURE = 1,        /* anything else */
    RECUR_USAGE = 64,         /* a wrong call: NULL, a count out of range, a buffer too small,
                                 a window the model does not take, a session that cannot stream */
    RECUR_DATA = 65,          /* data recur refuses: a file that is not a Keras model recur can
                                 run, a value that is not a finite number, a state saved by
                                 another model or session */
    RECUR_NO_INPUT = 66,      /* a model file that is missing or cannot be read */
    RECUR_CANNOT_CREATE = 73  /* the command's status for an output it cannot write; no call
                                 here writes a file, so none returns it */
};

typedef struct recur_model recur_model;      /* read-only after open; shareable across threads */
typedef struct recur_session recur_session;  /* lives in memory the caller provides */

/* Reads a full Keras model: a .h5 file from model.save (Keras 2 or 3) or a .keras archive.
   On success *model is the model; on failure it is NULL. Status 66 for a missing or unreadable
   file, 65 for a file recur cannot run (the sentence names the layer). */
int recur_model_open(const char *path, recur_model **model);

/* Frees the model. NULL is allowed. */
void recur_model_close(recur_model *model);

/* Steps per window that the file fixes; 0 when it takes windows of any length. -1 for NULL. */
int recur_model_window(const recur_model *model);

/* Floats per step of a sample. -1 for NULL. */
int recur_model_features(const recur_model *model);

/* Floats per sample of the output; 0 when that depends on the window (an output sequence of a
   model that takes windows of any length: ask recur_session_outputs). -1 for NULL. */
int recur_model_outputs(const recur_model *model);

/* The batch a stateful model was built for; 0 for a model without state. -1 for NULL. */
int recur_model_batch(const recur_model *model);

/* The bytes a session of `batch` samples of `window` steps needs (window 0: the file's own,
   or 1 for a stateful model that takes any length). 0 when no such session can be made (a
   window the model does not take, a layer that cannot run on it, a batch below 1): the reason
   is in recur_last_error. */
size_t recur_session_bytes(const recur_model *model, int batch, int window);

/* Builds a session in memory[0 ..< bytes] (see OWNERSHIP) and sets *session. The weights are
   copied in: the session runs without touching the model's, and recur_reset is the only way
   back to a fresh state. Status 64 for a NULL, memory not aligned to 64 bytes or smaller than
   recur_session_bytes, a batch or window refused as there; 65 when a layer cannot run on the
   window. */
int recur_session_init(const recur_model *model, void *memory, size_t bytes,
                       int batch, int window, recur_session **session);

/* The session's steps per window and floats per output sample. -1 for NULL. */
int recur_session_window(const recur_session *session);
int recur_session_outputs(const recur_session *session);

/* Runs `rows` samples (1 <= rows <= the session's batch; all of them for a stateful model):
   input holds rows x window x features floats (see LAYOUT), output receives rows x outputs.
   `recur predict`'s numbers, to the bit. Status 64 for a NULL or rows out of range, 65 for an
   input value that is not a finite number (nothing is run). */
int recur_predict(recur_session *session, const float *input, int rows, float *output);

/* The stream of `recur stream`: takes one sample. While the window is filling, sets
   *ready = 0; once `window` samples are in, writes the forecast for the next step (outputs
   floats, the numbers `recur stream` prints) to forecast and sets *ready = 1. A stateful model
   takes the sample as one step, its state carried, and is ready at once. The first row of the
   session's batch is used. Status 64 for a NULL or a session that cannot stream (a model with
   more than one feature per step; a stateful model with a window other than 1 or a batch other
   than 1: 65 when its file fixes that); 65 for a sample that is not a finite number, which
   leaves the window as it was. */
int recur_push(recur_session *session, float sample, float *forecast, int *ready);

/* recur_push with `recur stream --horizon`: once the window is full, writes the next `horizon`
   forecasts to forecasts (horizon x outputs floats), each made from the window that ends with
   the ones before it; a stateful model runs ahead of its state and puts it back. A horizon above
   1 needs a model with one output (64 otherwise). */
int recur_push_ahead(recur_session *session, float sample, int horizon, float *forecasts, int *ready);

/* Empties the stream's window (the next forecast comes once `window` new samples are in) and
   clears a stateful model's state. */
int recur_reset(recur_session *session);

/* The bytes of the session's state: the stream's window and a stateful model's state, which a
   device can keep across restarts. 0 for NULL. */
size_t recur_state_bytes(const recur_session *session);

/* Writes the state to buffer (at least recur_state_bytes bytes; 64 otherwise). The bytes are
   this machine's floats and integers, tagged with the model's identity and the session's
   window and batch. */
int recur_state_save(const recur_session *session, void *buffer, size_t bytes);

/* Continues from a state that recur_state_save wrote, in this process or another: the next
   sample goes on as it would have in the session that saved it. A state whose window is empty
   (saved after recur_reset, or by a session that only predicts) loads into a session of any
   window: the recurrent state alone, which is how a stateful model changes its chunk length.
   Status 65 for bytes that are not such a state, or one saved by another model or a session of
   another batch or (with samples in its window) another window; the session is then unchanged. */
int recur_state_load(recur_session *session, const void *buffer, size_t bytes);

/* This thread's last error: one sentence, "" before any. Valid until this thread's next failing
   call. */
const char *recur_last_error(void);

/* RECUR_VERSION of the library that is running. */
const char *recur_version(void);

#ifdef __cplusplus
}
#endif

#endif
