/// One block of memory from which a network carves every buffer it will ever use.
///
/// The arena hands out float ranges by offset; it never grows. Its size is computed by
/// ``NetworkPlan`` before the block is allocated, so that the memory a model needs is known, and
/// printed, before the first step runs.
///
/// An arena either borrows memory that the caller owns (``init(borrowing:)``, the only form in
/// Embedded Swift, where the kernel never allocates) or, on a hosted platform, allocates its
/// block once in ``init(capacity:)`` and frees it in `deinit`.
public struct Arena: ~Copyable {
    /// The first byte, aligned to ``Arena/alignment``.
    public let base: UnsafeMutableRawPointer
    /// Bytes available from `base`.
    public let capacity: Int
    @usableFromInline let owned: Bool

    /// Every buffer starts on a cache line, which is also the widest vector the kernels load.
    public static let alignment = 64

    /// Uses memory owned by the caller, who must keep it alive longer than the arena.
    ///
    /// - Parameter memory: at least the planned number of bytes, aligned to ``Arena/alignment``.
    public init(borrowing memory: UnsafeMutableRawBufferPointer) {
        precondition(memory.baseAddress != nil || memory.count == 0, "arena memory has no address")
        precondition(Int(bitPattern: memory.baseAddress) % Arena.alignment == 0, "arena memory is not aligned to 64 bytes")
        // An empty buffer still needs an address for pointer arithmetic of zero length.
        self.base = memory.baseAddress ?? UnsafeMutableRawPointer(bitPattern: Arena.alignment)!
        self.capacity = memory.count
        self.owned = false
    }

    #if !hasFeature(Embedded)
    /// Allocates `capacity` bytes, zeroed. Allocates: once, here.
    public init(capacity: Int) {
        precondition(capacity >= 0, "arena capacity must be non-negative")
        let bytes = max(capacity, Arena.alignment)
        self.base = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: Arena.alignment)
        self.base.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        self.capacity = capacity
        self.owned = true
    }
    #endif

    deinit {
        #if !hasFeature(Embedded)
        if owned { base.deallocate() }
        #endif
    }

    /// The float at `offset` floats from the start of the arena.
    @inlinable @inline(__always)
    public func floats(at offset: Int) -> UnsafeMutablePointer<Float> {
        assert(offset >= 0 && offset * 4 <= capacity, "arena offset out of range")
        return (base + offset &* 4).assumingMemoryBound(to: Float.self)
    }

    /// Sets `count` floats from `offset` to zero.
    @inlinable
    public func zero(at offset: Int, count: Int) {
        precondition(offset >= 0 && (offset + count) * 4 <= capacity, "arena range out of bounds")
        floats(at: offset).initialize(repeating: 0, count: count)
    }
}
