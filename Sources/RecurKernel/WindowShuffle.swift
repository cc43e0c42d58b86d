/// The order in which a training epoch visits its windows, as `tf.data`'s `shuffle(buffer)`
/// produces it: a buffer holds up to `capacity` window indices read in order; each draw takes a
/// uniformly random one out and refills its place with the next index. A buffer smaller than
/// the number of windows therefore gives a local shuffle, not a full permutation — the course's
/// pipeline, exactly in distribution (the random numbers are not TensorFlow's).
public struct WindowShuffle: ~Copyable {
    @usableFromInline let buffer: UnsafeMutablePointer<Int32>
    public let capacity: Int
    @usableFromInline var size = 0
    @usableFromInline var nextIndex = 0
    @usableFromInline var windowCount = 0
    @usableFromInline let owned: Bool

    /// Uses `capacity` indices of memory the caller owns.
    public init(borrowing buffer: UnsafeMutablePointer<Int32>, capacity: Int) {
        precondition(capacity >= 1, "a shuffle buffer holds at least one window")
        self.buffer = buffer
        self.capacity = capacity
        self.owned = false
    }

    #if !hasFeature(Embedded)
    /// Allocates the buffer once, here.
    public init(capacity: Int) {
        precondition(capacity >= 1, "a shuffle buffer holds at least one window")
        self.buffer = .allocate(capacity: capacity)
        self.capacity = capacity
        self.owned = true
    }
    #endif

    deinit {
        #if !hasFeature(Embedded)
        if owned { buffer.deallocate() }
        #endif
    }

    /// Starts an epoch over windows `0..<count`.
    public mutating func start(windowCount count: Int) {
        precondition(count <= Int(Int32.max), "too many windows")
        windowCount = count
        nextIndex = 0
        size = 0
        while size < capacity && nextIndex < windowCount {
            buffer[size] = Int32(nextIndex)
            size += 1
            nextIndex += 1
        }
    }

    /// The next window index of the epoch, or nil when it is over.
    @inlinable
    public mutating func next(_ random: inout RandomNumbers) -> Int? {
        guard size > 0 else { return nil }
        let slot = random.below(size)
        let chosen = Int(buffer[slot])
        if nextIndex < windowCount {
            buffer[slot] = Int32(nextIndex)
            nextIndex += 1
        } else {
            buffer[slot] = buffer[size - 1]
            size -= 1
        }
        return chosen
    }
}
