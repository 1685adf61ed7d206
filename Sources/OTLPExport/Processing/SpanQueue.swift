import Atomics

/// A bounded, lock-free multi-producer single-consumer queue of finished spans.
///
/// Dmitry Vyukov's bounded queue: every slot carries a sequence number that says whether it is
/// free for the producer at a given position or filled for the consumer. A producer claims a
/// position with one compare-and-swap and publishes with one release store; it never waits for
/// another producer and allocates nothing. A full queue refuses the span at once.
final class SpanQueue: @unchecked Sendable {
    /// Maximum number of spans held.
    let capacity: Int
    /// Slots in the ring: the algorithm needs at least two, so a capacity of 1 is enforced apart.
    private let slots: Int
    private let mask: Int?
    private let sequences: UnsafeMutablePointer<UnsafeAtomic<Int>.Storage>
    private let values: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    // Producer and consumer positions on separate cache lines.
    private let positions: UnsafeMutablePointer<UnsafeAtomic<Int>.Storage>
    private var enqueuePosition: UnsafeAtomic<Int> { UnsafeAtomic(at: positions) }
    private var dequeuePosition: UnsafeAtomic<Int> { UnsafeAtomic(at: positions + 16) }

    /// Creates an empty queue of `capacity` (at least 1) spans.
    init(capacity: Int) {
        precondition(capacity > 0, "a span queue needs room for at least one span")
        self.capacity = capacity
        slots = max(2, capacity)
        mask = slots.nonzeroBitCount == 1 ? slots - 1 : nil
        sequences = .allocate(capacity: slots)
        for index in 0..<slots {
            (sequences + index).initialize(to: UnsafeAtomic<Int>.Storage(index))
        }
        values = .allocate(capacity: slots)
        values.initialize(repeating: nil, count: slots)
        positions = .allocate(capacity: 32)
        positions.initialize(repeating: UnsafeAtomic<Int>.Storage(0), count: 32)
    }

    deinit {
        while pop() != nil {}
        sequences.deinitialize(count: slots)
        sequences.deallocate()
        values.deallocate()
        positions.deallocate()
    }

    @inline(__always)
    private func slot(_ position: Int) -> Int { mask.map { position & $0 } ?? position % slots }

    @inline(__always)
    private func sequence(_ slot: Int) -> UnsafeAtomic<Int> { UnsafeAtomic(at: sequences + slot) }

    /// Adds `span` and returns its position (the number of spans added before it), or `nil`,
    /// keeping nothing, when the queue is full. Lock-free.
    @inline(__always)
    func push(_ span: SpanRecord) -> Int? {
        var position = enqueuePosition.load(ordering: .relaxed)
        while true {
            let index = slot(position)
            let difference = sequence(index).load(ordering: .acquiring) &- position
            if difference == 0 {
                if capacity < slots, position &- dequeuePosition.load(ordering: .acquiring) >= capacity { return nil }
                let (exchanged, current) = enqueuePosition.weakCompareExchange(
                    expected: position, desired: position &+ 1, ordering: .relaxed)
                if exchanged {
                    values[index] = Unmanaged.passRetained(span).toOpaque()
                    sequence(index).store(position &+ 1, ordering: .releasing)
                    return position
                }
                position = current
            } else if difference < 0 {
                return nil
            } else {
                position = enqueuePosition.load(ordering: .relaxed)
            }
        }
    }

    /// Removes the oldest published span. Only the single consumer may call this.
    func pop() -> SpanRecord? {
        let position = dequeuePosition.load(ordering: .relaxed)
        let index = slot(position)
        guard sequence(index).load(ordering: .acquiring) == position &+ 1, let value = values[index] else {
            return nil
        }
        values[index] = nil
        sequence(index).store(position &+ slots, ordering: .releasing)
        dequeuePosition.store(position &+ 1, ordering: .releasing)
        return Unmanaged<SpanRecord>.fromOpaque(value).takeRetainedValue()
    }

    /// Spans added and not yet removed (approximate while producers race).
    var count: Int {
        max(0, enqueuePosition.load(ordering: .relaxed) &- dequeuePosition.load(ordering: .relaxed))
    }

    /// Number of spans ever added.
    var totalPushed: Int { enqueuePosition.load(ordering: .relaxed) }

    /// Number of spans ever removed.
    var totalPopped: Int { dequeuePosition.load(ordering: .relaxed) }
}
