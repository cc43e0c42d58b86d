/* Header-only target: everything is static inline in include/CMathShims.h. */
