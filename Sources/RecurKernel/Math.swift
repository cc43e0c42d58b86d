import CMathShims

// Scalar libm functions, always inlined (swift-numerics' `@_transparent` style). The kernel's
// only reach into C.

@_transparent @usableFromInline func expf(_ x: Float) -> Float { recur_expf(x) }
@_transparent @usableFromInline func expm1f(_ x: Float) -> Float { recur_expm1f(x) }
@_transparent @usableFromInline func log1pf(_ x: Float) -> Float { recur_log1pf(x) }
@_transparent @usableFromInline func logf(_ x: Float) -> Float { recur_logf(x) }
@_transparent @usableFromInline func tanhf(_ x: Float) -> Float { recur_tanhf(x) }
@_transparent @usableFromInline func erff(_ x: Float) -> Float { recur_erff(x) }
@_transparent @usableFromInline func sqrtf(_ x: Float) -> Float { recur_sqrtf(x) }
@_transparent @usableFromInline func powf(_ x: Float, _ y: Float) -> Float { recur_powf(x, y) }
@_transparent @usableFromInline func exp(_ x: Double) -> Double { recur_exp(x) }
@_transparent @usableFromInline func sqrt(_ x: Double) -> Double { recur_sqrt(x) }
@_transparent @usableFromInline func pow(_ x: Double, _ y: Double) -> Double { recur_pow(x, y) }
@_transparent @usableFromInline func log(_ x: Double) -> Double { recur_log(x) }
