import Foundation
import Synchronization

/// The line a receiver running as a child process prints on standard output once it listens
/// (`LISTENING <port>`), and the parent's reader of it. `mellea-trace receive`, the benchmark's
/// receiver, the Python test receiver and the tests all speak it.
package enum ReceiverHandshake {
    private static let prefix = "LISTENING "

    /// Announces that the receiver listens on `port`.
    package static func announce(port: Int) {
        FileHandle.standardOutput.write(Data("\(prefix)\(port)\n".utf8))
    }

    /// The port announced on `handle`, or `nil` if its first line is no announcement or does not
    /// arrive within `timeout` seconds.
    package static func port(from handle: FileHandle, timeout: TimeInterval) -> Int? {
        guard let line = firstLine(of: handle, timeout: timeout), line.hasPrefix(prefix) else { return nil }
        return Int(line.dropFirst(prefix.count))
    }

    /// The first line on `handle` (without its newline), or `nil` after `timeout` seconds. On a
    /// timeout the reading thread stays blocked until the child closes the pipe: every caller
    /// terminates the child then.
    package static func firstLine(of handle: FileHandle, timeout: TimeInterval) -> String? {
        let done = DispatchSemaphore(value: 0)
        let line = LineBox()
        Thread.detachNewThread {
            var bytes: [UInt8] = []
            while true {
                let chunk = handle.readData(ofLength: 1)
                if chunk.isEmpty || chunk[0] == UInt8(ascii: "\n") { break }
                bytes.append(chunk[0])
            }
            line.value.withLock { $0 = String(decoding: bytes, as: UTF8.self) }
            done.signal()
        }
        guard done.wait(timeout: .now() + timeout) == .success else { return nil }
        return line.value.withLock { $0 }
    }
}

/// The line read by ``ReceiverHandshake/firstLine(of:timeout:)``'s reading thread.
private final class LineBox: Sendable {
    let value = Mutex<String?>(nil)
}
