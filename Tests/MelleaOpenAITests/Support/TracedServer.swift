import Foundation
import MelleaOpenAI
import MelleaTracing
import OTLPExport
import XCTest

/// One request as `scripts/openai_server.py` recorded it, with how the server finished it.
struct RecordedRequest {
    let seq: Int
    let mode: String
    let path: String
    /// Lowercase names.
    let headers: [String: String]
    let body: [String: Any]
    /// `completed` or `client_disconnected`; `nil` while the server is still on it.
    let outcome: String?
}

/// A span as the OTLP receiver decoded it (with the opentelemetry-proto Python package).
struct ExportedSpan {
    let raw: [String: Any]
    var name: String { raw["name"] as? String ?? "" }
    var traceID: String { raw["trace_id"] as? String ?? "" }
    var spanID: String { raw["span_id"] as? String ?? "" }
    var parentSpanID: String? { raw["parent_span_id"] as? String }
    var kind: String { raw["kind"] as? String ?? "" }
    var statusCode: String? { (raw["status"] as? [String: Any])?["code"] as? String }
    var startNanos: Int { raw["start_time_unix_nano"] as? Int ?? 0 }
    var endNanos: Int { raw["end_time_unix_nano"] as? Int ?? 0 }

    /// An attribute's value, unwrapped from its OTLP `AnyValue` (arrays as `[Any]`).
    subscript(key: String) -> Any? {
        let attributes = raw["attributes"] as? [[String: Any]] ?? []
        guard let value = attributes.first(where: { $0["key"] as? String == key })?["value"] as? [String: Any] else { return nil }
        return Self.unwrap(value)
    }

    private static func unwrap(_ value: [String: Any]) -> Any? {
        if let array = value["array_value"] as? [String: Any] {
            return (array["values"] as? [[String: Any]] ?? []).compactMap(unwrap)
        }
        return value.values.first
    }

    /// The whole span as text, to search for what must not be there.
    var text: String {
        (try? JSONSerialization.data(withJSONObject: raw)).flatMap { String(data: $0, encoding: .utf8) } ?? ""
    }
}

/// The test server, the real OTLP receiver and tracing bootstrapped to export to it: what a
/// traced program talking to an OpenAI-compatible server looks like, end to end.
final class TracedServer {
    let server: ScriptServer
    let receiver: ScriptServer
    let registry = HookRegistry(diagnostics: RecordingDiagnostics().diagnostics)

    init() throws {
        server = try ScriptServer(script: "openai_server.py")
        receiver = try ScriptServer(script: "otlp_receiver.py")
        TracingSystem.bootstrap(environment: EnvironmentReader([
            "MELLEA_TRACES_ENABLED": "true", "MELLEA_TRACES_OTLP": "true",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:\(receiver.port)", "OTEL_SERVICE_NAME": "openai-tests",
            "OTEL_BSP_SCHEDULE_DELAY": "50",
        ], diagnostics: RecordingDiagnostics().diagnostics), registry: registry)
    }

    deinit {
        if TracingSystem.current?.registry === registry { TracingSystem.resetForTesting() }
    }

    /// The base URL for one of the server's modes (see `scripts/openai_server.py`).
    func baseURL(_ mode: String) -> String { "http://127.0.0.1:\(server.port)/\(mode)/v1" }

    /// A back end on `mode`, the model `test-model`, the provider `vllm`.
    func backend(_ mode: String = "ok", apiKey: String? = "sk-test-key-1234", timeout: Duration = .seconds(10),
                 tracesHTTPRequests: Bool = true) throws -> OpenAIBackend {
        try OpenAIBackend(configuration: OpenAIConfiguration(
            baseURL: baseURL(mode), apiKey: apiKey, model: "test-model", provider: "vllm", timeout: timeout,
            tracesHTTPRequests: tracesHTTPRequests))
    }

    /// Every request the server received, merged with how it ended.
    func requests() -> [RecordedRequest] {
        let lines = server.lines()
        var outcomes: [Int: String] = [:]
        for line in lines where line["kind"] as? String == "end" {
            if let seq = line["seq"] as? Int { outcomes[seq] = line["outcome"] as? String }
        }
        return lines.filter { $0["kind"] as? String == "request" }.map { line in
            let seq = line["seq"] as? Int ?? 0
            return RecordedRequest(seq: seq, mode: line["mode"] as? String ?? "", path: line["path"] as? String ?? "",
                                   headers: line["headers"] as? [String: String] ?? [:],
                                   body: line["body"] as? [String: Any] ?? [:], outcome: outcomes[seq])
        }
    }

    /// The one request the server received.
    func onlyRequest(file: StaticString = #filePath, line: UInt = #line) throws -> RecordedRequest {
        let all = requests()
        XCTAssertEqual(all.count, 1, "requests: \(all.map(\.path))", file: file, line: line)
        return try XCTUnwrap(all.first, file: file, line: line)
    }

    /// Flushes tracing, then every span the receiver accepted.
    func spans() -> [ExportedSpan] {
        XCTAssertTrue(TracingSystem.forceFlush(timeout: .seconds(10)), "the export pipeline did not flush")
        return receiver.lines().filter { $0["outcome"] as? String == "ok" }.flatMap { request -> [ExportedSpan] in
            let body = request["request"] as? [String: Any] ?? [:]
            return (body["resource_spans"] as? [[String: Any]] ?? []).flatMap { rs in
                (rs["scope_spans"] as? [[String: Any]] ?? []).flatMap { ($0["spans"] as? [[String: Any]] ?? []).map(ExportedSpan.init) }
            }
        }
    }

    /// The exported span named `name`, waiting for it to arrive.
    func span(named name: String, file: StaticString = #filePath, line: UInt = #line) throws -> ExportedSpan {
        var found: ExportedSpan?
        receiver.wait { found = spans().first { $0.name == name }; return found != nil }
        return try XCTUnwrap(found, "no span \(name) among \(spans().map(\.name))", file: file, line: line)
    }

    /// The exported children of `parent`.
    func children(of parent: ExportedSpan) -> [ExportedSpan] {
        spans().filter { $0.parentSpanID == parent.spanID && $0.traceID == parent.traceID }
    }
}
