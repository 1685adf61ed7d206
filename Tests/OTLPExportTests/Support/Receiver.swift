import Foundation
import OTLPExport
import OTLPReceiver
import XCTest

/// The repository root, found from this file's path.
let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The venv's Python (made by `scripts/setup.sh`), or `MELLEA_TEST_PYTHON`.
func pythonExecutable() throws -> String {
    if let override = ProcessInfo.processInfo.environment["MELLEA_TEST_PYTHON"] { return override }
    let path = repositoryRoot.appendingPathComponent(".venv/bin/python").path
    guard FileManager.default.isExecutableFile(atPath: path) else {
        throw ReceiverError("no Python venv at \(path): run scripts/setup.sh first")
    }
    return path
}

struct ReceiverError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A real OTLP/gRPC receiver (`scripts/otlp_receiver.py`) on 127.0.0.1, run as a child process.
final class Receiver {
    let port: Int
    let outFile: URL
    private let process: Process

    /// Starts the receiver with extra command-line `arguments`; `port` 0 picks a free one.
    init(_ arguments: [String] = [], port: Int = 0) throws {
        outFile = FileManager.default.temporaryDirectory
            .appendingPathComponent("otlp-receiver-\(UUID().uuidString).jsonl")
        _ = FileManager.default.createFile(atPath: outFile.path, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: try pythonExecutable())
        process.arguments = [repositoryRoot.appendingPathComponent("scripts/otlp_receiver.py").path,
                             "--port", String(port), "--out", outFile.path] + arguments
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.standardError
        try process.run()
        guard let bound = ReceiverHandshake.port(from: stdout.fileHandleForReading, timeout: 20) else {
            process.terminate()
            throw ReceiverError("the receiver did not report its port (arguments: \(arguments))")
        }
        self.port = bound
    }

    deinit { stop() }

    /// `http://127.0.0.1:<port>`.
    var endpoint: String { "http://127.0.0.1:\(port)" }

    /// Every request recorded so far, in completion order.
    func requests() -> [[String: Any]] {
        guard let data = try? Data(contentsOf: outFile), let text = String(data: data, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// Requests answered OK.
    func acceptedRequests() -> [[String: Any]] { requests().filter { $0["outcome"] as? String == "ok" } }

    /// Every span of every accepted request.
    func acceptedSpans() -> [[String: Any]] {
        acceptedRequests().flatMap { request -> [[String: Any]] in
            let body = request["request"] as? [String: Any] ?? [:]
            return (body["resource_spans"] as? [[String: Any]] ?? []).flatMap { rs in
                (rs["scope_spans"] as? [[String: Any]] ?? []).flatMap { $0["spans"] as? [[String: Any]] ?? [] }
            }
        }
    }

    /// Polls until `condition` holds or `timeout` seconds pass.
    @discardableResult
    func wait(timeout: TimeInterval = 15, until condition: (Receiver) -> Bool) -> Bool {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            if condition(self) { return true }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return condition(self)
    }

    /// Stops the receiver with SIGTERM and waits for it.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let end = Date().addingTimeInterval(5)
        while process.isRunning && Date() < end { Thread.sleep(forTimeInterval: 0.01) }
        if process.isRunning { kill() }
    }

    /// Kills the receiver with SIGKILL (a crash, not a clean stop).
    func kill() {
        guard process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

}

/// A port on 127.0.0.1 with nothing listening (bound, then released).
func unusedPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}
