import Foundation
import OTLPExport
import OTLPReceiver

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

    /// The receiver this benchmark runs: native (this executable with `--serve-receiver`: gRPC core's
    /// server, decoding with the validating wire decoder or with protobuf-c) or the Python one
    /// (`scripts/otlp_receiver.py`, grpcio + opentelemetry-proto).
    enum Kind: String, CaseIterable { case scan, protobufC = "protobuf-c", python }

    static func start(_ kind: Kind) throws -> BenchReceiver { try BenchReceiver(kind) }

    private init(_ kind: Kind) throws {
        reportFile = FileManager.default.temporaryDirectory.appendingPathComponent("bench-report-\(UUID().uuidString).json")
        process = Process()
        switch kind {
        case .scan, .protobufC:
            process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            process.arguments = ["--serve-receiver", kind.rawValue, reportFile.path]
        case .python:
            let root = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            let python = ProcessInfo.processInfo.environment["MELLEA_BENCH_PYTHON"] ?? root.appendingPathComponent(".venv/bin/python").path
            let script = root.appendingPathComponent("scripts/otlp_receiver.py").path
            guard FileManager.default.isExecutableFile(atPath: python), FileManager.default.fileExists(atPath: script) else {
                throw BenchError("run from the repository root after scripts/setup.sh (needs \(python) and \(script)), or pass --endpoint URL")
            }
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = [script, "--count-only", "--report-file", reportFile.path, "--port", "0"]
        }
        let stdout = Pipe()
        process.standardOutput = stdout
        try process.run()
        guard let port = ReceiverHandshake.port(from: stdout.fileHandleForReading, timeout: 30) else {
            process.terminate()
            throw BenchError("the receiver did not announce its port within 30 s")
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
        let end = Date().addingTimeInterval(5)
        while process.isRunning && Date() < end { Thread.sleep(forTimeInterval: 0.01) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// `trace-bench --serve-receiver DECODER FILE`: the native receiver as a child process, reporting its
/// counts and its own CPU time into FILE (the same format as the Python receiver's report).
func serveReceiver(decoder: OTLPReceiver.Decoder, reportPath: String) -> Never {
    let receiver: OTLPReceiver
    do { receiver = try OTLPReceiver(address: "127.0.0.1:0", threads: 2, decoder: decoder, maxRequestBytes: 64 * 1024 * 1024) } catch {
        FileHandle.standardError.write(Data("receiver: \(error)\n".utf8))
        exit(2)
    }
    func writeReport() {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        let json = "{\"requests\": \(receiver.requests), \"spans\": \(receiver.spans), \"failed_requests\": \(receiver.failures), \"cpu_seconds\": \(cpu)}"
        let temporary = reportPath + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(json.utf8)),
              rename(temporary, reportPath) == 0 else {
            FileHandle.standardError.write(Data("receiver: cannot write its report to \(reportPath)\n".utf8))
            return
        }
    }
    writeReport()
    ReceiverHandshake.announce(port: receiver.port)
    signal(SIGTERM, SIG_IGN)
    let terminate = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .global())
    terminate.setEventHandler {
        writeReport()
        receiver.stop()
        exit(0)
    }
    terminate.resume()
    var reported = (spans: receiver.spans, failures: receiver.failures)
    while true {
        usleep(2_000)
        let now = (spans: receiver.spans, failures: receiver.failures)
        if now != reported {  // the report (with CPU time so far) is rewritten only when counts change
            writeReport()
            reported = now
        }
    }
}
