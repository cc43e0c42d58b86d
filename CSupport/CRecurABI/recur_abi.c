#include "CRecurABI.h"

/* Thread-local, so that each thread reads its own last failure (as errno). */
static _Thread_local char error_text[RECUR_ERROR_CAPACITY];

char *recur_error_text(void) { return error_text; }

const char *recur_last_error(void) { return error_text; }

const char *recur_version(void) { return RECUR_VERSION; }
