#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A span's attributes in one heap block that its record owns alone.
///
/// An `Array` would check for a second owner on every append, ask `malloc` for the block's usable
/// size when it is created, and destroy its elements through the generic value witness when it
/// goes. A record never shares its attributes, so this storage does none of that: appends store in
/// place, the block doubles when full, and its `deinit` destroys the elements one by one (not
/// through the generic array destroy). Readers get a buffer view or a copied array. Not copyable:
/// the block has exactly one owner.
@usableFromInline package struct AttributeStorage: ~Copyable {
    @usableFromInline var base: UnsafeMutablePointer<Attribute>?
    // 32-bit counts: a span's record is smaller by 8 bytes, a smaller malloc size class.
    @usableFromInline var storedCount: UInt32 = 0
    @usableFromInline var capacity: UInt32 = 0

    /// Number of attributes stored.
    @inlinable
    package var count: Int { Int(storedCount) }

    /// Empty storage that allocates room for `capacity` attributes at once (none when 0).
    package init(capacity: Int) {
        if capacity > 0 { grow(to: capacity) }
    }

    /// Storage holding a copy of `attributes`.
    package init(copying attributes: [Attribute]) {
        self.init(capacity: attributes.count)
        for attribute in attributes { append(attribute) }
    }

    @inlinable @inline(__always)
    package mutating func append(_ attribute: consuming Attribute) {
        if storedCount == capacity { grow(to: Swift.max(4, Int(capacity) * 2)) }
        (base.unsafelyUnwrapped + Int(storedCount)).initialize(to: attribute)
        storedCount &+= 1
    }

    /// The attribute at `index` (which must be below ``count``); setting it replaces it in place.
    package subscript(index: Int) -> Attribute {
        get {
            precondition(index >= 0 && index < count, "attribute index out of range")
            return base.unsafelyUnwrapped[index]
        }
        set {
            precondition(index >= 0 && index < count, "attribute index out of range")
            base.unsafelyUnwrapped[index] = newValue
        }
    }

    /// The index of the first attribute with `key`.
    package func firstIndex(of key: String) -> Int? {
        withBuffer { $0.firstIndex { $0.key == key } }
    }

    /// Removes every attribute, keeping the block.
    package mutating func removeAll() {
        deinitializeAll()
        storedCount = 0
    }

    /// Calls `body` with the attributes, in the order they were set.
    @inline(__always)
    package func withBuffer<R>(_ body: (UnsafeBufferPointer<Attribute>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: base, count: count))
    }

    /// The attributes as an array (allocates; for readers off the hot path).
    package var array: [Attribute] { withBuffer { Array($0) } }

    deinit {
        deinitializeAll()
        free(base)
    }

    /// One element at a time: `deinitialize(count:)` over many would go through the runtime's
    /// generic array destroy and the type's value witness, twice as many instructions.
    private func deinitializeAll() {
        guard let base else { return }
        for index in 0..<count { (base + index).deinitialize(count: 1) }
    }

    /// `malloc`, not `allocate(capacity:)`, which costs a `posix_memalign` here.
    @usableFromInline mutating func grow(to newCapacity: Int) {
        guard let raw = malloc(newCapacity * MemoryLayout<Attribute>.stride) else {
            fatalError("out of memory for \(newCapacity) span attributes")
        }
        let block = raw.bindMemory(to: Attribute.self, capacity: newCapacity)
        if let base {
            block.moveInitialize(from: base, count: count)
            free(base)
        }
        base = block
        capacity = UInt32(newCapacity)
    }
}
