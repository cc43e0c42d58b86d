#define _GNU_SOURCE /* ppoll */

#include "CIOSupport.h"

#include <errno.h>
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

int recur_format_float(char *buffer, size_t capacity, float value) {
    int n = snprintf(buffer, capacity, "%.9g", (double)value);
    return n < 0 ? 0 : (n >= (int)capacity ? (int)capacity - 1 : n);
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
        }
        ssize_t n = read(fd, buffer, capacity);
        if (n >= 0) return (long)n;
        if (errno == EINTR && !(stop && *stop)) continue;
        return -(long)errno;
    }
}

static void on_stop(int signal_number) { stop_signal = signal_number; }

void recur_install_stop_handlers(void) {
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

uint64_t recur_monotonic_nanoseconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
}
