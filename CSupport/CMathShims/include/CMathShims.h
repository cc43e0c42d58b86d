#ifndef RECUR_CMATHSHIMS_H
#define RECUR_CMATHSHIMS_H

/* The kernel's only C: libm's single-precision functions, reached through compiler builtins
   so that the kernel imports no C library module (the technique of swift-numerics'
   _NumericsShims), and the lane selections below. The calls resolve to libm at the final link. */

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

/* Lane selections for the kernel's vector tanh, sigmoid and relu (FastMath.swift): a lane is
   replaced where a comparison holds, as the bits of a compare's mask select it. In Swift the
   standard library's `replace(with:where:)` is a loop over the lanes until LLVM makes it one
   instruction, too late for Swift's inliner: it inlines an `@inline(__always)` function into a
   caller of more than 64 blocks only if the function has at most 64 itself, and those loops
   gave tanh and sigmoid 97 each, so that every one after the first in a large caller (an LSTM
   step on one window) stayed a call. Here they are one block; Clang compiles them and LLVM
   inlines them. The 16-lane forms serve AVX-512 builds, the 8-lane ones the others. (Swift's own
   bitwise select on a mask's bits gave the same block count but code that moved the mask lane
   pair by lane pair: E1 at batch 1 two times slower, E3 seven.) */
#define RECUR_LANE_SELECTIONS(N) \
    typedef float recur_float##N __attribute__((ext_vector_type(N))); \
    typedef int recur_int##N __attribute__((ext_vector_type(N))); \
    /* x where the mask is 0, y where it is all ones. */ \
    static inline __attribute__((always_inline)) recur_float##N recur_where##N(recur_int##N mask, recur_float##N y, recur_float##N x) { \
        return (recur_float##N)((mask & (recur_int##N)y) | (~mask & (recur_int##N)x)); \
    } \
    /* Lanes below low become low, then lanes above high become high (NaN stays). */ \
    static inline __attribute__((always_inline)) recur_float##N recur_clamp##N(recur_float##N x, float low, float high) { \
        recur_float##N l = low, h = high; \
        return recur_where##N(x > h, h, recur_where##N(x < l, l, x)); \
    } \
    /* Lanes above high become high. */ \
    static inline __attribute__((always_inline)) recur_float##N recur_cap##N(recur_float##N x, float high) { \
        recur_float##N h = high; \
        return recur_where##N(x > h, h, x); \
    } \
    /* r, with 0 in the lanes where a < aLow or b < bLow. */ \
    static inline __attribute__((always_inline)) recur_float##N recur_zero_where_below##N( \
        recur_float##N r, recur_float##N a, float aLow, recur_float##N b, float bLow) { \
        recur_float##N al = aLow, bl = bLow, zero = 0; \
        return recur_where##N((a < al) | (b < bl), zero, r); \
    }

/* Always inlined, the functions are never called, so Clang's warning that passing a vector
   wider than the build's registers (a portable build's 8 lanes) changes the calling convention
   does not apply. */
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wpsabi"
RECUR_LANE_SELECTIONS(16)
RECUR_LANE_SELECTIONS(8)
#pragma clang diagnostic pop

#endif
