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
/// place, the block doubles when full, and its `deinit` destroys only the attributes that hold a
/// reference (most keys and many values are literals, small strings or numbers, whose destruction
/// releases nothing). Readers get a buffer view or a copied array. Not copyable: the block has
/// exactly one owner. Holds at most ``maximumCount`` attributes.
///
/// Looking a key up scans while there are few attributes. A block of ``indexedCapacity`` or more
/// has one more word after its attributes, pointing at a key index (``AttributeKeyIndex``) built on
/// the first lookup and brought up to date by later ones, so that setting attributes by key stays
/// linear in their number, also past the count limit. Appends never touch it.
@usableFromInline package struct AttributeStorage: ~Copyable {
    @usableFromInline var base: UnsafeMutablePointer<Attribute>?
    // 16-bit counts and a 32-bit mask: the storage stays 16 bytes, and the record in its size class.
    @usableFromInline var storedCount: UInt16 = 0
    @usableFromInline var capacity: UInt16 = 0
    /// Bit `i` set: attribute `i` holds a reference, destroying it releases something. Attributes
    /// from index 32 on are always destroyed.
    @usableFromInline var referenceMask: UInt32 = 0

    /// The most attributes the storage holds.
    @inlinable package static var maximumCount: Int { Int(UInt16.max) }

    /// Number of attributes stored.
    @inlinable
    package var count: Int { Int(storedCount) }

    /// Empty storage that allocates room for `capacity` attributes at once (none when 0).
    package init(capacity: Int) {
        if capacity > 0 { grow(to: Swift.min(capacity, Self.maximumCount)) }
    }

    /// Storage holding a copy of the first ``maximumCount`` of `attributes`.
    package init(copying attributes: [Attribute]) {
        self.init(capacity: attributes.count)
        for attribute in attributes.prefix(Self.maximumCount) { append(attribute) }
    }

    @inlinable @inline(__always)
    package mutating func append(_ attribute: consuming Attribute) {
        append(attribute.key, attribute.value)
    }

    /// Appends the attribute `key`, `value`. The parameters are classified before they become an
    /// `Attribute`: reading the value back out of one would copy it (a retain and a release).
    @inlinable @inline(__always)
    package mutating func append(_ key: consuming String, _ value: consuming AttributeValue) {
        if storedCount == capacity { grow(to: Swift.min(Swift.max(4, Int(capacity) * 2), Self.maximumCount)) }
        let index = Int(storedCount)
        if index < 32 && (!key.isExemptFromReferenceCounting || value.holdsReference) {
            referenceMask |= 1 << UInt32(index)
        }
        (base.unsafelyUnwrapped + index).initialize(to: Attribute(key, value))
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
            if index < 32 {
                let bit: UInt32 = 1 << UInt32(index)
                referenceMask = newValue.holdsReference ? referenceMask | bit : referenceMask & ~bit
            }
            // A new key at an indexed position makes the index wrong: rebuild it on the next lookup.
            if let slot = indexSlot, slot.pointee != nil, base.unsafelyUnwrapped[index].key != newValue.key {
                slot.pointee = nil
            }
            base.unsafelyUnwrapped[index] = newValue
        }
    }

    /// Blocks of at least this many attributes carry a key index.
    package static var indexedCapacity: Int { 64 }

    /// The word after the attributes that points at the key index (only in indexed blocks).
    private var indexSlot: UnsafeMutablePointer<AttributeKeyIndex?>? {
        guard Int(capacity) >= Self.indexedCapacity, let base else { return nil }
        return UnsafeMutableRawPointer(base + Int(capacity)).assumingMemoryBound(to: AttributeKeyIndex?.self)
    }

    /// The index of the first attribute with `key`: a scan of a small block, a lookup in a large
    /// one (the index catches up with the attributes appended since the last lookup).
    package func firstIndex(of key: String) -> Int? {
        guard let slot = indexSlot else { return withBuffer { $0.firstIndex { $0.key == key } } }
        let index = slot.pointee ?? AttributeKeyIndex()
        if slot.pointee == nil { slot.pointee = index }
        return withBuffer { index.position(of: key, in: $0) }
    }

    /// Removes every attribute, keeping the block.
    package mutating func removeAll() {
        deinitializeAll()
        indexSlot?.pointee = nil
        storedCount = 0
        referenceMask = 0
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
        indexSlot?.deinitialize(count: 1)
        free(base)
    }

    /// Only the attributes that hold a reference, one at a time: `deinitialize(count:)` over many
    /// would go through the runtime's generic array destroy, twice as many instructions.
    private func deinitializeAll() {
        guard let base else { return }
        var holders = referenceMask
        while holders != 0 {
            (base + holders.trailingZeroBitCount).deinitialize(count: 1)
            holders &= holders &- 1
        }
        for index in Swift.min(32, count)..<count { (base + index).deinitialize(count: 1) }
    }

    /// `malloc`, not `allocate(capacity:)`, which costs a `posix_memalign` here.
    @usableFromInline mutating func grow(to newCapacity: Int) {
        precondition(newCapacity <= Self.maximumCount && newCapacity > count, "attribute storage cannot grow to \(newCapacity)")
        let indexed = newCapacity >= Self.indexedCapacity
        let bytes = newCapacity * MemoryLayout<Attribute>.stride + (indexed ? MemoryLayout<AttributeKeyIndex?>.stride : 0)
        guard let raw = malloc(bytes) else {
            fatalError("out of memory for \(newCapacity) span attributes")
        }
        let block = raw.bindMemory(to: Attribute.self, capacity: newCapacity)
        // Positions do not move, so the index (if any) stays valid in the new block.
        let index = indexSlot?.move()
        if let base {
            block.moveInitialize(from: base, count: count)
            free(base)
        }
        base = block
        capacity = UInt16(newCapacity)
        indexSlot?.initialize(to: index ?? nil)
    }
}

/// Where each key of a large attribute block is first found: built lazily by
/// ``AttributeStorage/firstIndex(of:)`` and extended over the attributes appended since.
package final class AttributeKeyIndex {
    private var positions: [String: Int] = [:]
    /// Attributes `0..<indexedCount` are in `positions`.
    private var indexedCount = 0

    /// The position of the first attribute with `key` among `attributes`, after indexing those
    /// appended since the last call.
    func position(of key: String, in attributes: UnsafeBufferPointer<Attribute>) -> Int? {
        while indexedCount < attributes.count {
            let candidate = attributes[indexedCount].key
            if positions[candidate] == nil { positions[candidate] = indexedCount }
            indexedCount += 1
        }
        return positions[key]
    }
}

extension Attribute {
    /// Whether destroying the attribute releases anything: not when its key and value are literals,
    /// strings of up to 15 bytes, numbers or booleans.
    @inlinable
    var holdsReference: Bool { !key.isExemptFromReferenceCounting || value.holdsReference }
}

extension AttributeValue {
    /// Whether destroying the value releases anything (arrays are assumed to).
    @inlinable
    var holdsReference: Bool {
        switch self {
        case .bool, .int, .double: false
        case .string(let string): !string.isExemptFromReferenceCounting
        case .stringArray, .boolArray, .intArray, .doubleArray, .bytes: true
        }
    }
}

extension String {
    /// Whether the string's storage is exempt from reference counting, so that destroying it
    /// releases nothing: a string of up to 15 UTF-8 bytes stored inline, or a literal.
    ///
    /// Reads the top bit of the string's second word, `isImmortal` in the standard library's
    /// `_StringObject` (part of the ABI that inlined client code relies on, so it cannot change).
    /// Answers `false` on platforms where strings have another size: every string is then released.
    @inlinable
    var isExemptFromReferenceCounting: Bool {
        guard MemoryLayout<String>.size == 16 else { return false }
        return rawBits.1 >> 63 == 1
    }

    /// The string's two words (only meaningful where ``isExemptFromReferenceCounting`` can be true).
    @inlinable
    var rawBits: (UInt64, UInt64) { unsafeBitCast(self, to: (UInt64, UInt64).self) }
}
