import Foundation

/// scripts/otlp_receiver.py in count-only mode, reporting into a file.
final class BenchReceiver {
    let port: Int
    private let process: Process
    private let reportFile: URL

    struct Report {
        var requests = 0
        var spans = 0
        var cpuSeconds = 0.0
    }

    static func start() throws -> BenchReceiver { try BenchReceiver() }

    private init() throws {
        let root = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let python = ProcessInfo.processInfo.environment["MELLEA_BENCH_PYTHON"] ?? root.appendingPathComponent(".venv/bin/python").path
        let script = root.appendingPathComponent("scripts/otlp_receiver.py").path
        guard FileManager.default.isExecutableFile(atPath: python), FileManager.default.fileExists(atPath: script) else {
            throw BenchError("run from the repository root after scripts/setup.sh (needs \(python) and \(script)), or pass --endpoint URL")
        }
        reportFile = FileManager.default.temporaryDirectory.appendingPathComponent("bench-report-\(UUID().uuidString).json")
        process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script, "--count-only", "--report-file", reportFile.path, "--port", "0"]
        let stdout = Pipe()
        process.standardOutput = stdout
        try process.run()
        var line = Data()
        while true {
            let byte = stdout.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte.first == UInt8(ascii: "\n") { break }
            line.append(byte)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("LISTENING "), let port = Int(text.dropFirst(10)) else {
            process.terminate()
            throw BenchError("the receiver did not start: '\(text)'")
        }
        self.port = port
    }

    func report() -> Report {
        guard let data = try? Data(contentsOf: reportFile),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return Report() }
        return Report(requests: object["requests"] as? Int ?? 0, spans: object["spans"] as? Int ?? 0,
                      cpuSeconds: object["cpu_seconds"] as? Double ?? 0)
    }

    /// Waits until the receiver has counted `spans` (or 30 s pass); returns its count.
    func waitForSpans(_ spans: Int) -> Int {
        let end = Date().addingTimeInterval(30)
        while Date() < end {
            let count = report().spans
            if count >= spans { return count }
            Thread.sleep(forTimeInterval: 0.002)
        }
        return report().spans
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}
