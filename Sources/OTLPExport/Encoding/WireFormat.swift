/// The few protobuf wire-format pieces the encoder writes itself: length-delimited field headers
/// around messages that protobuf-c packed.
enum WireFormat {
    /// Bytes of the varint encoding of `value` (non-negative).
    static func varintLength(_ value: Int) -> Int {
        var length = 1
        var rest = value >> 7
        while rest > 0 { length += 1; rest >>= 7 }
        return length
    }

    /// Bytes a length-delimited field of `length` payload bytes takes: tag, length varint, payload.
    static func fieldLength(_ length: Int) -> Int { 1 + varintLength(length) + length }

    /// Emits the tag of length-delimited field `field` (< 16) and the varint `length`, byte by byte.
    @inline(__always)
    static func header(field: UInt8, length: Int, _ emit: (UInt8) -> Void) {
        emit(field << 3 | 2)
        var value = UInt64(length)
        while value >= 0x80 {
            emit(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        emit(UInt8(value))
    }

    /// Writes the tag of length-delimited field `field` (< 16) and the varint `length`.
    static func writeHeader(_ out: inout UnsafeMutablePointer<UInt8>, field: UInt8, length: Int) {
        header(field: field, length: length) { byte in
            out.pointee = byte
            out += 1
        }
    }

    /// Writes `bytes` as length-delimited field `field`.
    static func writeField(_ out: inout UnsafeMutablePointer<UInt8>, field: UInt8, _ bytes: ArraySlice<UInt8>) {
        writeHeader(&out, field: field, length: bytes.count)
        writeBytes(&out, bytes)
    }

    /// Copies `bytes`.
    static func writeBytes(_ out: inout UnsafeMutablePointer<UInt8>, _ bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBufferPointer { buffer in
            if let base = buffer.baseAddress { out.update(from: base, count: buffer.count) }
        }
        out += bytes.count
    }

    /// Appends `payload` as length-delimited field `field` to `buffer`.
    static func appendField(_ field: UInt8, _ payload: UnsafeRawBufferPointer, to buffer: inout [UInt8]) {
        header(field: field, length: payload.count) { buffer.append($0) }
        buffer.append(contentsOf: payload)
    }
}
