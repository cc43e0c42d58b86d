#define _GNU_SOURCE /* ppoll */

#include "CIOSupport.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* Whether text[0..<length] spells nan, inf or infinity (any case, optionally signed), the forms
   strtof would accept as non-finite values. */
static int spells_non_finite(const char *text, size_t length) {
    if (length > 0 && (text[0] == '+' || text[0] == '-')) { text++; length--; }
    return (length == 3 && (strncasecmp(text, "nan", 3) == 0 || strncasecmp(text, "inf", 3) == 0))
        || (length == 8 && strncasecmp(text, "infinity", 8) == 0);
}

/* Trims, checks the alphabet and copies into a terminated buffer; returns a RECUR_PARSE_ code. */
static int prepare(const char *text, size_t length, char *out) {
    size_t begin = 0, end = length;
    while (begin < end && is_space(text[begin])) begin++;
    while (end > begin && is_space(text[end - 1])) end--;
    if (begin == end) return RECUR_PARSE_EMPTY;
    if (end - begin > RECUR_NUMBER_MAX_LENGTH) return RECUR_PARSE_TOO_LONG;
    int digits = 0;
    for (size_t i = begin; i < end; i++) {
        char c = text[i];
        if (c >= '0' && c <= '9') { digits++; continue; }
        if (c == '+' || c == '-' || c == '.' || c == 'e' || c == 'E') continue;
        return spells_non_finite(text + begin, end - begin) ? RECUR_PARSE_NAN_OR_INFINITY : RECUR_PARSE_NOT_A_NUMBER;
    }
    if (digits == 0) return RECUR_PARSE_NOT_A_NUMBER;
    memcpy(out, text + begin, end - begin);
    out[end - begin] = 0;
    return RECUR_PARSE_OK;
}

int recur_parse_float(const char *text, size_t length, float *value) {
    char buffer[RECUR_NUMBER_MAX_LENGTH + 1];
    int status = prepare(text, length, buffer);
    if (status != RECUR_PARSE_OK) return status;
    char *stop = NULL;
    errno = 0;
    float parsed = strtof(buffer, &stop);
    if (stop == buffer || *stop != 0) return RECUR_PARSE_NOT_A_NUMBER;
    if (!isfinite(parsed)) return RECUR_PARSE_NOT_FINITE;
    *value = parsed;
    return RECUR_PARSE_OK;
}

int recur_parse_double(const char *text, size_t length, double *value) {
    char buffer[RECUR_NUMBER_MAX_LENGTH + 1];
    int status = prepare(text, length, buffer);
    if (status != RECUR_PARSE_OK) return status;
    char *stop = NULL;
    errno = 0;
    double parsed = strtod(buffer, &stop);
    if (stop == buffer || *stop != 0) return RECUR_PARSE_NOT_A_NUMBER;
    if (!isfinite(parsed)) return RECUR_PARSE_NOT_FINITE;
    *value = parsed;
    return RECUR_PARSE_OK;
}

static int format_with_printf(char *buffer, size_t capacity, float value) {
    int n = snprintf(buffer, capacity, "%.9g", (double)value);
    return n < 0 ? 0 : (n >= (int)capacity ? (int)capacity - 1 : n);
}

typedef unsigned __int128 uint128;

static const uint64_t powers_of_ten[20] = {
    1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull, 100000000ull,
    1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull, 10000000000000ull,
    100000000000000ull, 1000000000000000ull, 10000000000000000ull, 100000000000000000ull,
    1000000000000000000ull, 10000000000000000000ull};

/* 10^k for 0 <= k <= 38. */
static uint128 power_of_ten(int k) {
    return k < 20 ? powers_of_ten[k] : (uint128)powers_of_ten[19] * powers_of_ten[k - 19];
}

/* floor(m * 2^e * 10^k), and in *up whether rounding that product to the nearest integer, ties
   to even, goes up. The caller keeps m * 10^k below 2^128 (k >= 0) or m * 2^e below 2^128. */
static uint64_t scale(uint64_t m, int e, int k, int *up) {
    if (k >= 0) {
        uint128 n = (uint128)m * power_of_ten(k);
        if (e >= 0) {
            *up = 0;
            return (uint64_t)(n << e);
        }
        int shift = -e;
        uint128 whole = n >> shift;
        uint128 rest = n - (whole << shift), half = (uint128)1 << (shift - 1);
        *up = rest > half || (rest == half && (whole & 1));
        return (uint64_t)whole;
    }
    uint128 n = (uint128)m << e, divisor = power_of_ten(-k);
    uint128 whole = n / divisor, rest = n - whole * divisor;
    *up = 2 * rest > divisor || (2 * rest == divisor && (whole & 1));
    return (uint64_t)whole;
}

/* "%.9g" as glibc prints it (the exact binary value rounded to nine significant digits, ties to
   even; %e form for exponents below -4 or above 8; trailing zeros dropped), computed with
   integer arithmetic: printf's general machinery costs about 180 ns a number, this a fraction
   of that. tools/check-format-float.sh compares the two on every float32. Zero, subnormals,
   magnitudes below 2^-70 (where m * 10^k would not fit 128 bits), nan and inf, and buffers too
   small for every case go to snprintf. */
int recur_format_float(char *buffer, size_t capacity, float value) {
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    int biased = (int)((bits >> 23) & 0xff);
    if (capacity < 16 || biased == 0 || biased == 0xff || biased - 150 + 24 < -70) {
        return format_with_printf(buffer, capacity, value);
    }
    uint64_t m = (bits & 0x7fffff) | 0x800000;
    int e = biased - 150; /* |value| = m * 2^e, 2^23 <= m < 2^24 */

    /* p = floor(log10 |value|): an estimate from the binary exponent, then corrected so that the
       value scaled to nine digits has nine digits. */
    int p = ((e + 23) * 78913) >> 18, up = 0;
    uint64_t digits;
    for (;;) {
        digits = scale(m, e, 8 - p, &up);
        if (digits >= 1000000000ull) p++;
        else if (digits < 100000000ull) p--;
        else break;
    }
    digits += (uint64_t)up;
    if (digits == 1000000000ull) {
        digits = 100000000ull;
        p++;
    }

    char text[9];
    for (int i = 8; i >= 0; i--) {
        text[i] = (char)('0' + digits % 10);
        digits /= 10;
    }
    int last = 8; /* the last significant digit */
    while (last > 0 && text[last] == '0') last--;

    char *out = buffer;
    if (bits >> 31) *out++ = '-';
    if (p < -4 || p >= 9) {
        *out++ = text[0];
        if (last > 0) {
            *out++ = '.';
            memcpy(out, text + 1, (size_t)last);
            out += last;
        }
        int magnitude = p < 0 ? -p : p;
        *out++ = 'e';
        *out++ = p < 0 ? '-' : '+';
        *out++ = (char)('0' + magnitude / 10);
        *out++ = (char)('0' + magnitude % 10);
    } else if (p >= 0) {
        memcpy(out, text, (size_t)p + 1);
        out += p + 1;
        if (last > p) {
            *out++ = '.';
            memcpy(out, text + p + 1, (size_t)(last - p));
            out += last - p;
        }
    } else {
        *out++ = '0';
        *out++ = '.';
        for (int zeros = -p - 1; zeros > 0; zeros--) *out++ = '0';
        memcpy(out, text, (size_t)last + 1);
        out += last + 1;
    }
    *out = 0;
    return (int)(out - buffer);
}

int recur_format_double(char *buffer, size_t capacity, double value, int digits) {
    int n = snprintf(buffer, capacity, "%.*g", digits, value);
    return n < 0 ? 0 : (n >= (int)capacity ? (int)capacity - 1 : n);
}

int recur_write_all(int fd, const char *buffer, size_t length) {
    while (length > 0) {
        ssize_t n = write(fd, buffer, length);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        buffer += n;
        length -= (size_t)n;
    }
    return 0;
}

static volatile int stop_signal = 0;

/* Set by recur_hold_stop_signals: the signal mask with SIGINT and SIGTERM unblocked, used only
   while waiting for input. */
static sigset_t waiting_mask;
static int stop_signals_held = 0;

/* A held stop signal that is pending, taken (sigtimedwait) into the stop flag: 1 if there was
   one. */
static int take_pending_stop(void) {
    sigset_t pending;
    if (sigpending(&pending) != 0) return 0;
    if (!sigismember(&pending, SIGINT) && !sigismember(&pending, SIGTERM)) return 0;
    sigset_t stops;
    sigemptyset(&stops);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGTERM);
    struct timespec now = {0, 0};
    int taken = sigtimedwait(&stops, NULL, &now);
    if (taken <= 0) return 0;
    stop_signal = taken;
    return 1;
}

long recur_read_some(int fd, char *buffer, size_t capacity, const volatile int *stop) {
    for (;;) {
        if (stop && stop_signals_held) {
            /* The stop signals are blocked everywhere but here, where ppoll unblocks them
               atomically: one that comes between the check of *stop and the wait is delivered
               as the wait begins, and ends it, instead of waiting for the next input. */
            if (*stop) return -EINTR;
            struct pollfd readable = { .fd = fd, .events = POLLIN, .revents = 0 };
            if (ppoll(&readable, 1, NULL, &waiting_mask) < 0) {
                if (errno == EINTR) continue;
                return -(long)errno;
            }
            /* When input is ready at once (a fast producer, /dev/zero), ppoll returns without
               delivering a pending stop signal: take it here, so that it still ends the loop. */
            if (take_pending_stop()) return -EINTR;
        }
        ssize_t n = read(fd, buffer, capacity);
        if (n >= 0) return (long)n;
        if (errno == EINTR && !(stop && *stop)) continue;
        return -(long)errno;
    }
}

/* Set by recur_exit_on_stop_signals, cleared by recur_install_stop_handlers: whether a stop
   signal ends the process (when no save is under way) or only sets the flag. */
static volatile sig_atomic_t stop_exits = 0;
static volatile sig_atomic_t saves_under_way = 0;

/* "recur: stopped by signal N", then _exit: async-signal-safe. */
static void stop_now(int signal_number) {
    char text[40] = "recur: stopped by signal ";
    size_t length = strlen(text);
    if (signal_number >= 10) text[length++] = (char)('0' + signal_number / 10);
    text[length++] = (char)('0' + signal_number % 10);
    text[length++] = '\n';
    ssize_t ignored = write(2, text, length);
    (void)ignored;
    _exit(128 + signal_number);
}

static void on_stop(int signal_number) {
    stop_signal = signal_number;
    if (stop_exits && saves_under_way == 0) stop_now(signal_number);
}

void recur_exit_on_stop_signals(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_stop;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    stop_exits = 1;
    const int stops[] = {SIGINT, SIGTERM, SIGHUP};
    sigset_t blocked;
    sigemptyset(&blocked);
    for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++) {
        sigaction(stops[i], &action, NULL);
        sigaddset(&blocked, stops[i]);
    }
    /* A parent may have started us with these blocked; they would never arrive. */
    sigprocmask(SIG_UNBLOCK, &blocked, NULL);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGXFSZ, SIG_IGN);
}

void recur_save_begin(void) { saves_under_way++; }

void recur_save_end(void) {
    saves_under_way--;
    if (stop_exits && saves_under_way == 0 && stop_signal != 0) stop_now(stop_signal);
}

void recur_install_stop_handlers(void) {
    stop_exits = 0;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_stop;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0; /* no SA_RESTART: a blocked read returns EINTR */
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* A parent may have started us with these blocked; they would never arrive. */
    sigset_t stops;
    sigemptyset(&stops);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGTERM);
    sigprocmask(SIG_UNBLOCK, &stops, NULL);
}

void recur_hold_stop_signals(void) {
    sigset_t stops;
    sigemptyset(&stops);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGTERM);
    sigprocmask(SIG_BLOCK, &stops, &waiting_mask);
    sigdelset(&waiting_mask, SIGINT);
    sigdelset(&waiting_mask, SIGTERM);
    stop_signals_held = 1;
}

volatile int *recur_stop_flag(void) { return &stop_signal; }

int recur_lock_file(int fd, int wait) {
    struct flock lock;
    memset(&lock, 0, sizeof lock);
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    lock.l_start = 0;
    lock.l_len = 0;
    return fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &lock) == 0 ? 0 : errno;
}

uint64_t recur_monotonic_nanoseconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
}

int recur_built_with_sanitizer(void) {
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
    return 1;
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    return 1;
#endif
    return 0;
}

void recur_default_fault_signals(void) {
    const int signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_handler = SIG_DFL;
        sigemptyset(&action.sa_mask);
        sigaction(signals[i], &action, NULL);
    }
}
