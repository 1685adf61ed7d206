import Foundation
import Logging
import MelleaOpenAI
import MelleaTracing
import OTLPExport
import Synchronization
import XCTest

/// The API key goes to the server in the `Authorization` header and nowhere else: not in a span
/// (even with content capture on), not in a log line (even at trace level), not in an error.
final class APIKeySecrecyTests: XCTestCase {
    private let key = "sk-proj-SECRET-0123456789abcdef"

    func testTheKeyReachesOnlyTheAuthorizationHeaderAndNoSpanLogOrError() async throws {
        let traced = try TracedServer()
        // Content capture on: error messages are recorded in spans, so a leak there would show.
        var configuration = TracesConfiguration()
        configuration.enabled = true
        configuration.captureContent = true
        let exporter = InMemorySpanExporter()
        let processor = BatchSpanProcessor(exporter: exporter, configuration: BatchSpanProcessorConfiguration(),
                                           diagnostics: RecordingDiagnostics().diagnostics)
        TracingSystem.bootstrap(processor: processor, configuration: configuration, registry: traced.registry)
        let lines = LogLines()
        var logger = Logger(label: "test.openai") { _ in lines.handler() }
        logger.logLevel = .trace
        func backend(_ mode: String) throws -> OpenAIBackend {
            try OpenAIBackend(configuration: OpenAIConfiguration(
                baseURL: traced.baseURL(mode), apiKey: key, model: "test-model", timeout: .seconds(1), logger: logger))
        }

        var errors: [String] = []
        let session = try Session.start(backend: try backend("ok"), registry: traced.registry)
        _ = try await session.chat("hello")
        for try await _ in session.stream("hello") {}
        _ = try await session.generateBatch(["a", "b"])
        session.close()
        for mode in ["error-401", "error-429", "slow", "malformed", "broken-sse"] {
            let failing = try Session.start(backend: try backend(mode), registry: traced.registry)
            do {
                if mode == "broken-sse" { for try await _ in failing.stream("x") {} } else { _ = try await failing.chat("x") }
                XCTFail("\(mode) must fail")
            } catch {
                errors.append(String(describing: error))
                errors.append(String(reflecting: error))
                errors.append(error.localizedDescription)
            }
            failing.close()
        }

        // The 401 echoed the key: the error says so without it.
        let authentication = try XCTUnwrap(errors.first { $0.contains("authentication") })
        XCTAssertTrue(authentication.contains("Incorrect API key provided: [redacted]"), authentication)
        for text in errors { XCTAssertFalse(text.contains(key), "an error message carries the key: \(text)") }

        XCTAssertTrue(processor.forceFlush(timeout: .seconds(10)))
        let spans = exporter.spans
        XCTAssertGreaterThanOrEqual(spans.filter { $0.name.hasPrefix("chat ") }.count, 7)
        XCTAssertTrue(spans.contains { $0.name == "POST" })
        for span in spans { XCTAssertFalse("\(span)".contains(key), "span \(span.name) carries the key") }

        let logged = lines.all
        XCTAssertTrue(logged.contains { $0.contains("POST /chat/completions") }, "the back end logs its requests")
        XCTAssertTrue(logged.contains { $0.contains("failed") }, "and its failures")
        XCTAssertGreaterThan(logged.count, 20, "async-http-client logs through the same logger at trace level")
        for line in logged { XCTAssertFalse(line.contains(key), "a log line carries the key: \(line)") }

        let requests = traced.requests()
        XCTAssertEqual(requests.count, 8)
        for request in requests {
            XCTAssertEqual(request.headers["authorization"], "Bearer \(key)")
            let elsewhere = request.headers.filter { $0.key != "authorization" }.map { "\($0.key): \($0.value)" }
            XCTAssertFalse(elsewhere.contains { $0.contains(key) }, "\(request.path): \(elsewhere)")
            let body = String(data: try JSONSerialization.data(withJSONObject: request.body), encoding: .utf8) ?? ""
            XCTAssertFalse(body.contains(key), "\(request.path) body")
        }
    }

    func testPrintingTheConfigurationHidesTheKey() throws {
        let configuration = OpenAIConfiguration(baseURL: "http://127.0.0.1:1/v1", apiKey: key, model: "m")
        var dumped = ""
        dump(configuration, to: &dumped)
        for text in [String(describing: configuration), String(reflecting: configuration), dumped, "\(configuration)"] {
            XCTAssertFalse(text.contains(key), text)
            XCTAssertTrue(text.contains("[redacted]"), text)
        }
    }

    func testABaseURLWithCredentialsIsRefusedWithoutEchoingThem() {
        let configuration = OpenAIConfiguration(baseURL: "http://user:\(key)@127.0.0.1:1/v1", model: "m")
        XCTAssertThrowsError(try OpenAIBackend(configuration: configuration)) { error in
            XCTAssertEqual((error as? OpenAIError)?.kind, .invalidConfiguration)
            XCTAssertFalse("\(error)".contains(key), "\(error)")
        }
    }
}

/// Keeps every log line, message and metadata, for searching.
final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }

    func handler() -> some LogHandler { Handler(sink: self) }

    fileprivate func append(_ line: String) { lines.withLock { $0.append(line) } }

    private struct Handler: LogHandler {
        let sink: LogLines
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let all = metadata.merging(event.metadata ?? [:]) { $1 }
            sink.append("\(event.level) \(event.message) \(all) \(event.source) \(event.file)")
        }
    }
}
