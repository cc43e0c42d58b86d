#ifndef RECUR_CRECURABI_H
#define RECUR_CRECURABI_H

/* The C side of librecur (recur.h): what Swift cannot declare itself. */

#include <stdint.h>

#include "recur.h"

/* The calling thread's error sentence, which recur_last_error returns: the Swift side writes
   it in place, NUL-terminated, at most RECUR_ERROR_CAPACITY bytes with the terminator. */
enum { RECUR_ERROR_CAPACITY = 1024 };
char *recur_error_text(void);

#endif
