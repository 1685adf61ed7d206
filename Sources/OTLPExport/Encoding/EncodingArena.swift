#if canImport(Glibc)
import Glibc
#endif

/// A bump allocator for the protobuf-c messages of one request: every struct, string and pointer
/// array is carved out of a few large blocks that are freed together after packing.
final class EncodingArena {
    private static let blockSize = 256 * 1024
    /// Blocks of `blockSize` bytes, kept across requests (so steady state allocates nothing).
    @exclusivity(unchecked) private var blocks: [UnsafeMutableRawPointer] = []
    /// Blocks larger than `blockSize`, freed at every reset.
    @exclusivity(unchecked) private var oversized: [UnsafeMutableRawPointer] = []
    @exclusivity(unchecked) private var current = 0
    @exclusivity(unchecked) private var cursor: UnsafeMutableRawPointer?
    @exclusivity(unchecked) private var remaining = 0

    deinit { for block in blocks + oversized { free(block) } }

    /// Forgets every allocation, keeping the blocks for the next request.
    func reset() {
        for block in oversized { free(block) }
        oversized.removeAll(keepingCapacity: true)
        current = 0
        cursor = blocks.first
        remaining = blocks.isEmpty ? 0 : Self.blockSize
    }

    /// Uninitialised memory for `count` values of `type`.
    func allocate<T>(_ type: T.Type, count: Int = 1) -> UnsafeMutablePointer<T> {
        let size = MemoryLayout<T>.stride * max(count, 1)
        let alignment = MemoryLayout<T>.alignment
        if let cursor {
            let aligned = cursor.alignedUp(toMultipleOf: alignment)
            let padding = aligned - cursor
            if padding + size <= remaining {
                self.cursor = aligned + size
                remaining -= padding + size
                return aligned.bindMemory(to: T.self, capacity: count)
            }
        }
        let block: UnsafeMutableRawPointer
        let blockBytes: Int
        if size + alignment > Self.blockSize {
            blockBytes = size + alignment
            guard let big = malloc(blockBytes) else { fatalError("out of memory encoding an OTLP request") }
            oversized.append(big)
            block = big
        } else {
            blockBytes = Self.blockSize
            if current + 1 < blocks.count {
                current += 1
            } else {
                guard let fresh = malloc(blockBytes) else { fatalError("out of memory encoding an OTLP request") }
                blocks.append(fresh)
                current = blocks.count - 1
            }
            block = blocks[current]
        }
        let aligned = block.alignedUp(toMultipleOf: alignment)
        cursor = aligned + size
        remaining = blockBytes - (aligned - block) - size
        return aligned.bindMemory(to: T.self, capacity: count)
    }

    /// A NUL-terminated copy of `string` and its length in bytes.
    ///
    /// protobuf-c takes strings as C strings, which end at the first NUL: a NUL inside `string`
    /// becomes U+FFFD (3 bytes) instead of silently cutting the rest of the text off.
    func cString(_ string: String) -> (pointer: UnsafeMutablePointer<CChar>, length: Int) {
        var string = string
        return string.withUTF8 { bytes in
            let out = allocate(CChar.self, count: bytes.count + 1)
            if let base = bytes.baseAddress {
                UnsafeMutableRawPointer(out).copyMemory(from: base, byteCount: bytes.count)
                if memchr(base, 0, bytes.count) != nil { return replacingNULs(bytes) }
            }
            out[bytes.count] = 0
            return (out, bytes.count)
        }
    }

    private func replacingNULs(_ bytes: UnsafeBufferPointer<UInt8>) -> (pointer: UnsafeMutablePointer<CChar>, length: Int) {
        let nuls = bytes.reduce(0) { $1 == 0 ? $0 + 1 : $0 }
        let length = bytes.count + 2 * nuls
        let out = allocate(UInt8.self, count: length + 1)
        var at = 0
        for byte in bytes {
            if byte == 0 {
                (out[at], out[at + 1], out[at + 2]) = (0xef, 0xbf, 0xbd)
                at += 3
            } else {
                out[at] = byte
                at += 1
            }
        }
        out[length] = 0
        return (UnsafeMutableRawPointer(out).assumingMemoryBound(to: CChar.self), length)
    }

    /// A copy of `bytes`.
    func bytes(_ bytes: [UInt8]) -> UnsafeMutablePointer<UInt8> {
        let out = allocate(UInt8.self, count: bytes.count)
        bytes.withUnsafeBufferPointer { buffer in
            if let base = buffer.baseAddress { out.update(from: base, count: buffer.count) }
        }
        return out
    }
}
