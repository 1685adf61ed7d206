#if canImport(Glibc)
import Glibc
#endif

/// Writes one readable line per span to standard output (or to a closure of the user's).
public final class ConsoleSpanExporter: SpanExporter {
    private let write: @Sendable (String) -> Void

    /// Creates an exporter that prints to standard output.
    public convenience init() {
        self.init { line in
            let bytes = Array((line + "\n").utf8)
            _ = bytes.withUnsafeBytes { Glibc.write(1, $0.baseAddress, $0.count) }
        }
    }

    /// Creates an exporter that hands each line to `write`.
    public init(write: @escaping @Sendable (String) -> Void) { self.write = write }

    public func export(_ spans: [SpanRecord]) async -> ExportResult {
        for span in spans { write(Self.line(for: span)) }
        return .success(spans.count)
    }

    public func forceFlush(timeout: Duration) async {}
    public func shutdown(timeout: Duration) async {}

    /// The line for one span: name, ids, kind, duration, status, attributes, events, links.
    public static func line(for span: SpanRecord) -> String {
        var line = "span \"\(span.name)\" trace=\(span.traceID) id=\(span.spanID)"
        if span.parentSpanID.isValid { line += " parent=\(span.parentSpanID)" }
        line += " kind=\(span.kind) scope=\(span.scope.name)"
        let micros = (span.endTimeUnixNano &- span.startTimeUnixNano) / 1000
        line += " duration=\(micros)us"
        switch span.status {
        case .unset: break
        case .ok: line += " status=ok"
        case .error(let description): line += " status=error(\"\(description)\")"
        }
        span.withAttributes { attributes in
            guard !attributes.isEmpty else { return }
            line += " attrs={" + attributes.map { "\($0.key)=\($0.value)" }.joined(separator: ", ") + "}"
        }
        for event in span.events {
            line += " event=\(event.name)"
            if !event.attributes.isEmpty {
                line += "{" + event.attributes.map { "\($0.key)=\($0.value)" }.joined(separator: ", ") + "}"
            }
        }
        for link in span.links { line += " link=\(link.traceID)/\(link.spanID)" }
        return line
    }
}
