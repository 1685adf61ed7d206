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

    /// Writes the tag of length-delimited field `field` (< 16) and the varint `length`.
    static func writeHeader(_ out: inout UnsafeMutablePointer<UInt8>, field: UInt8, length: Int) {
        out.pointee = field << 3 | 2
        out += 1
        var value = UInt64(length)
        while value >= 0x80 {
            out.pointee = UInt8(truncatingIfNeeded: value) | 0x80
            out += 1
            value >>= 7
        }
        out.pointee = UInt8(value)
        out += 1
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
        var header: (UInt64, UInt64) = (0, 0)  // room for a tag and a 10-byte varint
        let headerLength = withUnsafeMutableBytes(of: &header) { raw -> Int in
            let start = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var out = start
            writeHeader(&out, field: field, length: payload.count)
            return out - start
        }
        withUnsafeBytes(of: &header) { buffer.append(contentsOf: $0[0..<headerLength]) }
        buffer.append(contentsOf: payload)
    }
}
