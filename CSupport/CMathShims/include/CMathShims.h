#ifndef RECUR_CMATHSHIMS_H
#define RECUR_CMATHSHIMS_H

/* The kernel's only C: libm's single-precision functions, reached through compiler builtins
   so that the kernel imports no C library module (the technique of swift-numerics'
   _NumericsShims). The calls resolve to libm at the final link. */

static inline __attribute__((always_inline)) float recur_expf(float x) { return __builtin_expf(x); }
static inline __attribute__((always_inline)) float recur_expm1f(float x) { return __builtin_expm1f(x); }
static inline __attribute__((always_inline)) float recur_log1pf(float x) { return __builtin_log1pf(x); }
static inline __attribute__((always_inline)) float recur_logf(float x) { return __builtin_logf(x); }
static inline __attribute__((always_inline)) float recur_tanhf(float x) { return __builtin_tanhf(x); }
static inline __attribute__((always_inline)) float recur_erff(float x) { return __builtin_erff(x); }
static inline __attribute__((always_inline)) float recur_sqrtf(float x) { return __builtin_sqrtf(x); }
static inline __attribute__((always_inline)) float recur_powf(float x, float y) { return __builtin_powf(x, y); }
static inline __attribute__((always_inline)) double recur_exp(double x) { return __builtin_exp(x); }
static inline __attribute__((always_inline)) double recur_tanh(double x) { return __builtin_tanh(x); }
static inline __attribute__((always_inline)) double recur_sqrt(double x) { return __builtin_sqrt(x); }
static inline __attribute__((always_inline)) double recur_pow(double x, double y) { return __builtin_pow(x, y); }
static inline __attribute__((always_inline)) double recur_log(double x) { return __builtin_log(x); }

#endif
