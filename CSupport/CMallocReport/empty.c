/* Header-only target: everything is static inline in include/CMallocReport.h. */
