import Foundation
import OTLPExport
import OTLPReceiver
import XCTest

/// The repository root, found from this file's path.
let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

struct SupportError: Error, CustomStringConvertible {
    let description: String
}

/// A Python script of `scripts/` run as a child process that announces `LISTENING <port>`, and
/// writes one JSON object a line to a file of its own.
final class ScriptServer {
    let port: Int
    let outFile: URL
    private let process: Process

    init(script: String, arguments: [String] = []) throws {
        outFile = FileManager.default.temporaryDirectory.appendingPathComponent("\(script)-\(UUID().uuidString).jsonl")
        _ = FileManager.default.createFile(atPath: outFile.path, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.python())
        process.arguments = [repositoryRoot.appendingPathComponent("scripts/\(script)").path,
                             "--port", "0", "--out", outFile.path] + arguments
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.standardError
        try process.run()
        guard let bound = ReceiverHandshake.port(from: stdout.fileHandleForReading, timeout: 20) else {
            process.terminate()
            throw SupportError(description: "scripts/\(script) did not report its port")
        }
        port = bound
    }

    /// Stops the server with SIGTERM, then SIGKILL if it is still there after 5 s: never hangs.
    deinit {
        defer { try? FileManager.default.removeItem(at: outFile) }
        guard process.isRunning else { return }
        process.terminate()
        let end = Date().addingTimeInterval(5)
        while process.isRunning && Date() < end { Thread.sleep(forTimeInterval: 0.01) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Every line written so far.
    func lines() -> [[String: Any]] {
        guard let data = try? Data(contentsOf: outFile), let text = String(data: data, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// Polls until `condition` holds or `timeout` seconds pass; returns whether it held.
    @discardableResult
    func wait(timeout: TimeInterval = 15, until condition: () -> Bool) -> Bool {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return condition()
    }

    /// The venv's Python (made by `scripts/setup.sh`; the OTLP receiver needs its grpcio), or
    /// `MELLEA_TEST_PYTHON`.
    private static func python() throws -> String {
        if let override = ProcessInfo.processInfo.environment["MELLEA_TEST_PYTHON"] { return override }
        let venv = repositoryRoot.appendingPathComponent(".venv/bin/python").path
        if FileManager.default.isExecutableFile(atPath: venv) { return venv }
        throw SupportError(description: "no Python venv at \(venv): run scripts/setup.sh first")
    }
}

/// A port on 127.0.0.1 that nothing listens on (bound, then released).
func unusedPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = bind(fd, $0, length); _ = getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}
