#ifndef RECUR_CIOSUPPORT_H
#define RECUR_CIOSUPPORT_H

#include <stddef.h>
#include <stdint.h>

/* Number text in and out without allocating: the command-line tools parse and print floats
   through these in loops that must not touch the heap. */

enum {
    RECUR_PARSE_OK = 0,
    RECUR_PARSE_EMPTY = 1,         /* only spaces */
    RECUR_PARSE_NOT_A_NUMBER = 2,  /* anything but an optionally signed decimal or scientific number */
    RECUR_PARSE_NOT_FINITE = 3,    /* a number whose magnitude overflows float32 */
    RECUR_PARSE_TOO_LONG = 4,      /* longer than RECUR_NUMBER_MAX_LENGTH characters */
    RECUR_PARSE_NAN_OR_INFINITY = 5 /* nan, inf or infinity, any case, optionally signed */
};

#define RECUR_NUMBER_MAX_LENGTH 127

/* Parses text[0..<length] as a float32, correctly rounded (strtof in the C locale). Leading and
   trailing spaces, tabs and a carriage return are ignored. nan, inf and hexadecimal forms are
   refused: a sensor line that reads "nan" is a bad sample, not a number (the spelled-out
   non-finite values get a code of their own, so that a message can say what was wrong). */
int recur_parse_float(const char *text, size_t length, float *value);

/* Same, for float64 (series files are read in double and rounded once). */
int recur_parse_double(const char *text, size_t length, double *value);

/* Writes value as "%.9g" (nine significant digits, enough for any float32 to parse back to the
   same bits) into buffer; returns the number of characters written, without a terminator. */
int recur_format_float(char *buffer, size_t capacity, float value);

/* "%.*g" for float64 with the given significant digits (17 parses back exactly). */
int recur_format_double(char *buffer, size_t capacity, double value, int digits);

/* Writes all of buffer[0..<length] to fd, retrying on EINTR and partial writes. Returns 0, or
   the errno of the failure (EPIPE when the reader has gone). */
int recur_write_all(int fd, const char *buffer, size_t length);

/* read(2) retrying on EINTR unless *stop is set. Returns bytes read, 0 at end of input, or -errno
   (-EINTR when *stop is set). After recur_hold_stop_signals, a stop signal that arrives at any
   moment ends the wait for input (see there). */
long recur_read_some(int fd, char *buffer, size_t capacity, const volatile int *stop);

/* Installs handlers that set *recur_stop_flag() (to the signal number) on SIGINT and SIGTERM
   without SA_RESTART, so a blocking read returns EINTR, and unblocks them if the parent had
   blocked them; SIGPIPE is ignored so that a closed pipe becomes EPIPE from write. */
void recur_install_stop_handlers(void);

/* For a loop that stops only where it waits for input (after recur_install_stop_handlers):
   blocks SIGINT and SIGTERM everywhere but in recur_read_some given a stop flag, where ppoll
   unblocks them atomically while it waits. A stop can then never slip in between checking the
   flag and blocking in read (which would wait for the next input before noticing it); it is
   seen at the next read, whether the loop is waiting for input or busy. */
void recur_hold_stop_signals(void);
volatile int *recur_stop_flag(void);

/* For the whole program, before a command runs: SIGINT, SIGTERM and SIGHUP end the process
   with "recur: stopped by signal N" and status 128 + N, except during a save (between
   recur_save_begin and recur_save_end), which they end as soon as it is done; SIGPIPE and
   SIGXFSZ are ignored, so that a closed pipe and a file-size limit become write errors (EPIPE,
   EFBIG) that the command reports. A command that stops by itself where it is safe (training,
   a stream) installs recur_install_stop_handlers instead, and checks the flag. */
void recur_exit_on_stop_signals(void);
void recur_save_begin(void);
void recur_save_end(void);

/* Takes (wait 1) or tries to take (wait 0) an exclusive lock on the whole file open at fd, of
   the kind that belongs to the open file description (fcntl F_OFD_SETLK), released when it is
   closed. Such locks and flock() ignore each other: libhdf5 takes flock() locks on the files it
   opens, and must not find the file an output was written under locked. Returns 0 or an errno. */
int recur_lock_file(int fd, int wait);

/* Monotonic clock in nanoseconds. */
uint64_t recur_monotonic_nanoseconds(void);

/* 1 when this build runs under a sanitizer (AddressSanitizer, ThreadSanitizer or
   MemorySanitizer): their runtimes reserve terabytes of address space for shadow memory, so an
   address-space limit (RLIMIT_AS) would stop the process before it starts. SwiftPM compiles the C
   targets with the same -fsanitize as the Swift ones. */
int recur_built_with_sanitizer(void);

/* Restores the default action (death by the signal) for SIGSEGV, SIGBUS, SIGFPE, SIGILL and
   SIGABRT, replacing the handlers a runtime installed (Swift's backtracer, a sanitizer's report):
   for the preflight child, whose parent reads a crash from how it died. */
void recur_default_fault_signals(void);

/* The heap-allocation counter built into a static recur. A static executable cannot be given
   libRecurMallocCounter.so with LD_PRELOAD, so tools/setup.sh links it with `--wrap` for each
   allocation function and defines RECUR_WRAPPED_MALLOC: then every call to malloc, calloc,
   realloc, posix_memalign, aligned_alloc and memalign in the program (the Swift runtime, HDF5
   and libc's own included) passes through here. recur_builtin_alloc_counter() is 1 in such a
   build and 0 in every other; begin/end count the calling thread's allocations in between. With
   RECUR_MALLOC_REPORT=1 in the environment it also counts every thread's, from start to exit,
   and prints "mallocs: N" on standard error at exit (as libRecurMallocCounter.so does).
   recur_alloc_control() makes one allocation the compiler cannot remove, for a counter to
   prove that it sees. */
int recur_builtin_alloc_counter(void);
void recur_builtin_alloc_counter_begin(void);
int64_t recur_builtin_alloc_counter_end(void);
void recur_alloc_control(void);

#endif
