/// Packed `KeyValue` messages of recently encoded attributes, for attributes that come back span
/// after span (`gen_ai.operation.name` = `"chat"`, `gen_ai.request.max_tokens` = 512...).
///
/// Only attributes that are their own identity are kept: a key that is a literal or a string of up
/// to 15 bytes, and a value that is a number, a boolean, such a string, or a list of one such
/// string (`finish_reasons` is nearly always `["stop"]`). The bits of those
/// strings are the text itself or the length and address of the literal's bytes in the binary, so
/// equal bits mean equal bytes; comparing them costs no string comparison and no reference
/// counting. (A literal's address stays its own because a loaded Swift image is never unloaded:
/// the runtime keeps pointers into every image's metadata, so unloading one is unsupported anyway.)
/// Direct-mapped: a new attribute replaces whichever one shared its slot. Not thread-safe; each
/// encoder has its own.
final class PackedAttributeCache {
    /// An attribute's key bits, value kind and value bits, and the slot they hash to.
    struct Identity: Equatable {
        let key: (UInt64, UInt64)
        let kind: UInt64
        let value: (UInt64, UInt64)
        let slot: Int

        /// The attribute's identity, or `nil` when its bits do not identify its content.
        init?(_ attribute: borrowing Attribute) {
            guard attribute.key.isExemptFromReferenceCounting else { return nil }
            key = attribute.key.rawBits
            switch attribute.value {
            case .string(let string) where string.isExemptFromReferenceCounting:
                (kind, value) = (1, string.rawBits)
            case .bool(let flag): (kind, value) = (2, (flag ? 1 : 0, 0))
            case .int(let number): (kind, value) = (3, (UInt64(bitPattern: number), 0))
            case .double(let number): (kind, value) = (4, (number.bitPattern, 0))
            case .stringArray(let strings) where strings.count == 1 && strings[0].isExemptFromReferenceCounting:
                (kind, value) = (5, strings[0].rawBits)
            default: return nil
            }
            var hash = key.0 &* 0x9E37_79B9_7F4A_7C15 ^ key.1
            hash = (hash ^ kind ^ value.0 &* 0xC2B2_AE3D_27D4_EB4F ^ value.1) &* 0x1656_67B1_9E37_79F9
            slot = Int(truncatingIfNeeded: hash >> 55)  // 9 bits: 512 slots
        }

        static func == (a: Identity, b: Identity) -> Bool {
            a.key == b.key && a.kind == b.kind && a.value == b.value
        }
    }

    /// Messages longer than this are packed every time.
    static let slotBytes = 128
    private static let slotCount = 512
    /// Per slot: the identity, the message length (0: empty; a packed `KeyValue` never is), the bytes.
    /// Raw memory, so that lookups make no bounds or exclusivity checks.
    private let identities = UnsafeMutablePointer<Identity>.allocate(capacity: slotCount)
    private let lengths = UnsafeMutablePointer<Int>.allocate(capacity: slotCount)
    private let bytes = UnsafeMutableRawPointer.allocate(byteCount: slotCount * slotBytes, alignment: 16)
    /// Lookups answered, and entries that replaced another (for tests).
    @exclusivity(unchecked) private(set) var hits = 0, replacements = 0

    init() { lengths.initialize(repeating: 0, count: Self.slotCount) }

    deinit {
        identities.deallocate()
        lengths.deallocate()
        bytes.deallocate()
    }

    /// The packed message of the attribute with `identity`, if it is here. Valid until the next ``store(_:_:)``.
    func lookup(_ identity: Identity) -> UnsafeRawBufferPointer? {
        let slot = identity.slot
        guard lengths[slot] > 0, identities[slot] == identity else { return nil }
        hits &+= 1
        return UnsafeRawBufferPointer(start: bytes + slot * Self.slotBytes, count: lengths[slot])
    }

    /// Keeps `message` (at most ``slotBytes``) as the packed message of the attribute with `identity`.
    func store(_ identity: Identity, _ message: UnsafeRawBufferPointer) {
        guard message.count <= Self.slotBytes, let base = message.baseAddress, message.count > 0 else { return }
        let slot = identity.slot
        if lengths[slot] > 0 { replacements &+= 1 }
        (bytes + slot * Self.slotBytes).copyMemory(from: base, byteCount: message.count)
        (identities + slot).initialize(to: identity)
        lengths[slot] = message.count
    }
}
