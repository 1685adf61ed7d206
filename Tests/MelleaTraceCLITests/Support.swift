import Foundation
import OTLPExport
import OTLPReceiver
import XCTest

/// The repository root, found from this file's path.
let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

struct SupportError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The venv's Python (made by `scripts/setup.sh`), or `MELLEA_TEST_PYTHON`.
func pythonExecutable() throws -> String {
    if let override = ProcessInfo.processInfo.environment["MELLEA_TEST_PYTHON"] { return override }
    let path = repositoryRoot.appendingPathComponent(".venv/bin/python").path
    guard FileManager.default.isExecutableFile(atPath: path) else {
        throw SupportError("no Python venv at \(path): run scripts/setup.sh first")
    }
    return path
}

/// The `mellea-trace` executable built beside the tests.
func melleaTrace() throws -> URL {
    let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mellea-trace")
    guard FileManager.default.isExecutableFile(atPath: binary.path) else {
        throw SupportError("mellea-trace was not built next to the tests at \(binary.path)")
    }
    return binary
}

/// What a finished process left.
struct Finished {
    let status: Int32
    let output: String
    let error: String
    let seconds: Double
}

/// Runs `executable` to its end (killed after `timeout` seconds), with `environment` added to ours.
func runToEnd(_ executable: URL, _ arguments: [String], environment: [String: String] = [:], timeout: TimeInterval = 30) throws -> Finished {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let output = Pipe()
    let error = Pipe()
    process.standardOutput = output
    process.standardError = error
    process.standardInput = FileHandle.nullDevice
    let start = Date()
    try process.run()
    // Read while it runs, so a full pipe never blocks it.
    let outputData = Locked(Data())
    let errorData = Locked(Data())
    let readers = DispatchGroup()
    for (pipe, sink) in [(output, outputData), (error, errorData)] {
        DispatchQueue.global().async(group: readers) {
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            sink.withLock { $0 = data }
        }
    }
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
    if process.isRunning {
        kill(process.processIdentifier, SIGKILL)
        XCTFail("\(executable.lastPathComponent) \(arguments) did not exit within \(timeout) s")
    }
    process.waitUntilExit()
    readers.wait()
    return Finished(status: process.terminationStatus,
                    output: String(decoding: outputData.withLock { $0 }, as: UTF8.self),
                    error: String(decoding: errorData.withLock { $0 }, as: UTF8.self),
                    seconds: Date().timeIntervalSince(start))
}

/// Runs `scripts/otlp_send.py` with `arguments`; its standard output.
func pythonSend(_ arguments: [String]) throws -> String {
    let script = repositoryRoot.appendingPathComponent("scripts/otlp_send.py").path
    let finished = try runToEnd(URL(fileURLWithPath: try pythonExecutable()), [script] + arguments)
    guard finished.status == 0 else { throw SupportError("otlp_send.py \(arguments) failed: \(finished.error)") }
    return finished.output
}

/// `mellea-trace receive` as a child process on a free loopback port, writing JSONL.
final class ReceiveProcess {
    let port: Int
    let jsonlFile: URL
    private let process: Process
    private let output = Locked(Data())
    private let errors = Locked(Data())
    private let readers = DispatchGroup()

    init(_ extra: [String] = []) throws {
        jsonlFile = FileManager.default.temporaryDirectory.appendingPathComponent("receive-\(UUID().uuidString).jsonl")
        process = Process()
        process.executableURL = try melleaTrace()
        process.arguments = ["receive", "--listen", "127.0.0.1:0", "--handshake", "--jsonl", jsonlFile.path,
                             "--quiet-time", "0.2"] + extra
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = nil
        process.environment = environment
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        guard let port = ReceiverHandshake.port(from: stdout.fileHandleForReading, timeout: 20) else {
            process.terminate()
            throw SupportError("mellea-trace receive did not announce its port")
        }
        self.port = port
        for (pipe, sink) in [(stdout, output), (stderr, errors)] {
            DispatchQueue.global().async(group: readers) {
                while true {
                    let chunk = pipe.fileHandleForReading.availableData
                    if chunk.isEmpty { break }
                    sink.withLock { $0.append(chunk) }
                }
            }
        }
    }

    deinit { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

    var endpoint: String { "http://127.0.0.1:\(port)" }

    /// Standard output so far.
    var printed: String { String(decoding: output.withLock { $0 }, as: UTF8.self) }

    /// Every line of the JSONL file so far, parsed.
    func jsonl() throws -> [[String: Any]] {
        let text = String(decoding: (try? Data(contentsOf: jsonlFile)) ?? Data(), as: UTF8.self)
        return try text.split(separator: "\n").map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw SupportError("a JSONL line is not an object: \(line)")
            }
            return object
        }
    }

    /// Waits until `condition` holds on what it printed, or `timeout` seconds pass.
    func waitForOutput(timeout: TimeInterval = 10, _ condition: (String) -> Bool) -> Bool {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            if condition(printed) { return true }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return condition(printed)
    }

    /// Sends `signal` and waits for the process to end; its exit status, standard output and error.
    func stop(signal: Int32 = SIGINT) -> Finished {
        let start = Date()
        kill(process.processIdentifier, signal)
        let end = Date().addingTimeInterval(10)
        while process.isRunning && Date() < end { Thread.sleep(forTimeInterval: 0.01) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        readers.wait()
        return Finished(status: process.terminationStatus, output: printed,
                        error: String(decoding: errors.withLock { $0 }, as: UTF8.self), seconds: Date().timeIntervalSince(start))
    }
}

/// The span of a JSONL line (a `ResourceSpans` holding one span).
func span(ofLine line: [String: Any]) -> [String: Any]? {
    ((line["scopeSpans"] as? [[String: Any]])?.first?["spans"] as? [[String: Any]])?.first
}

/// An exporter to `endpoint` with no retries worth waiting for.
func exporter(to endpoint: String, service: String = "cli-tests") throws -> OTLPTraceExporter {
    var configuration = OTLPExporterConfiguration()
    configuration.endpoint = try OTLPEndpoint.parse(endpoint, insecure: false)
    configuration.timeout = .seconds(10)
    return try OTLPTraceExporter(configuration: configuration, resource: Resource(attributes: [Attribute("service.name", .string(service))]),
                                 diagnostics: RecordingDiagnostics().diagnostics)
}

/// A span with every kind of attribute value, an event, a link and an error status; `index`
/// varies its id, name and times. Its parent is span `parent` of the same trace (none for nil).
func exampleSpan(index: Int, parent: Int? = nil) -> SpanRecord {
    let start = 1_700_000_000_000_000_000 + UInt64(index) * 1_000_000
    return SpanRecord(
        traceID: TraceID(high: 0x0102_0304_0506_0708, low: 0x090a_0b0c_0d0e_0f10),
        spanID: SpanID(0x1112_1314_1516_1700 + UInt64(index)),
        parentSpanID: parent.map { SpanID(0x1112_1314_1516_1700 + UInt64($0)) } ?? SpanID(0),
        traceFlags: 1, traceState: "vendor=value", parentIsRemote: false,
        name: "chat model-\(index)", kind: .client,
        startTimeUnixNano: start, endTimeUnixNano: start + 500_000,
        attributes: [
            Attribute("s", .string("héllo \"quoted\"\n")),
            Attribute("b", .bool(true)),
            Attribute("i", .int(-9_223_372_036_854_775_807)),
            Attribute("d", .double(0.7)),
            Attribute("sa", .stringArray(["stop", "length"])),
            Attribute("by", .bytes([0, 1, 0xfe, 0xff])),
        ],
        events: [SpanEvent(name: "first_chunk", timeUnixNano: start + 100,
                           attributes: [Attribute("ttft", .double(0.042))], droppedAttributesCount: 1)],
        links: [SpanLink(traceID: TraceID(high: 0xfefe_fefe_fefe_fefe, low: 0xfefe_fefe_fefe_fefe),
                         spanID: SpanID(0x0a0a_0a0a_0a0a_0a0a), traceFlags: 1, traceState: "lk=lv",
                         attributes: [Attribute("link.i", .int(7))])],
        status: .error(description: "boom"), scope: InstrumentationScope(name: "test.scope", version: "1.2.3"),
        droppedAttributesCount: 2, droppedEventsCount: 3, droppedLinksCount: 4)
}

/// `exampleSpan(index:parent:)` as OTLP/JSON, written out by hand from the spec's rules.
func exampleSpanJSON(index: Int, parent: Int? = nil) -> [String: Any] {
    let start = 1_700_000_000_000_000_000 + UInt64(index) * 1_000_000
    var span: [String: Any] = [
        "traceId": "0102030405060708090a0b0c0d0e0f10",
        "spanId": String(0x1112_1314_1516_1700 + UInt64(index), radix: 16).leftPadded(to: 16),
        "traceState": "vendor=value",
        "flags": 257,  // sampled, and the has-is-remote bit
        "name": "chat model-\(index)", "kind": 3,
        "startTimeUnixNano": String(start), "endTimeUnixNano": String(start + 500_000),
        "attributes": [
            ["key": "s", "value": ["stringValue": "héllo \"quoted\"\n"]],
            ["key": "b", "value": ["boolValue": true]],
            ["key": "i", "value": ["intValue": "-9223372036854775807"]],
            ["key": "d", "value": ["doubleValue": 0.7]],
            ["key": "sa", "value": ["arrayValue": ["values": [["stringValue": "stop"], ["stringValue": "length"]]]]],
            ["key": "by", "value": ["bytesValue": "AAH+/w=="]],
        ],
        "droppedAttributesCount": 2,
        "events": [["timeUnixNano": String(start + 100), "name": "first_chunk",
                    "attributes": [["key": "ttft", "value": ["doubleValue": 0.042]]], "droppedAttributesCount": 1]],
        "droppedEventsCount": 3,
        "links": [["traceId": "fefefefefefefefefefefefefefefefe", "spanId": "0a0a0a0a0a0a0a0a", "traceState": "lk=lv",
                   "attributes": [["key": "link.i", "value": ["intValue": "7"]]], "flags": 1]],  // the exporter sends no is-remote bits on links
        "droppedLinksCount": 4,
        "status": ["message": "boom", "code": 2],
    ]
    if let parent { span["parentSpanId"] = String(0x1112_1314_1516_1700 + UInt64(parent), radix: 16).leftPadded(to: 16) }
    return span
}

extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

/// Opens an HTTP/2 connection to 127.0.0.1:`port`, starts an Export call, sends 10 of the 1000
/// bytes its message announces, and disconnects.
func abandonARequestMidway(port: Int) throws {
    func frame(_ type: UInt8, _ flags: UInt8, _ stream: UInt32, _ payload: [UInt8]) -> [UInt8] {
        let length = UInt32(payload.count)
        return [UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff), type, flags]
            + withUnsafeBytes(of: stream.bigEndian, Array.init) + payload
    }
    func literal(_ name: String, _ value: String) -> [UInt8] {  // HPACK: literal, new name, not indexed
        [0, UInt8(name.utf8.count)] + Array(name.utf8) + [UInt8(value.utf8.count)] + Array(value.utf8)
    }
    let headers = literal(":method", "POST") + literal(":scheme", "http")
        + literal(":path", "/opentelemetry.proto.collector.trace.v1.TraceService/Export")
        + literal(":authority", "localhost") + literal("content-type", "application/grpc") + literal("te", "trailers")
    let message: [UInt8] = [0] + withUnsafeBytes(of: UInt32(1000).bigEndian, Array.init) + Array("0123456789".utf8)
    let bytes = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8) + frame(4, 0, 0, []) + frame(1, 4, 1, headers) + frame(0, 0, 1, message)

    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw SupportError("socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw SupportError("could not connect to 127.0.0.1:\(port)") }
    guard bytes.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == bytes.count else { throw SupportError("send() failed") }
    Thread.sleep(forTimeInterval: 0.3)  // let the server start the call before the connection drops
}
