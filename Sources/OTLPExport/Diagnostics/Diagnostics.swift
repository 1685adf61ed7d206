import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// How serious a diagnostic message is.
public enum DiagnosticLevel: String, Sendable {
    case info, warning, error
}

/// One message the library reports about itself (bad configuration, drops, export failures).
public struct DiagnosticMessage: Sendable, Equatable {
    /// Severity.
    public let level: DiagnosticLevel
    /// The message, never containing header values or span content.
    public let text: String
}

/// Where the library's own messages go: standard error by default, or a handler of the user's.
///
/// Messages never contain header values (tokens) or prompt/response content.
public final class Diagnostics: Sendable {
    /// A receiver of diagnostic messages.
    public typealias Handler = @Sendable (DiagnosticMessage) -> Void

    private let handler: Handler
    private let reportedOnce = Locked<Set<String>>([])

    /// Creates a diagnostics sink with a custom handler.
    public init(handler: @escaping Handler) { self.handler = handler }

    /// Messages written to standard error, prefixed with `[mellea-tracing]`.
    public static let standardError = Diagnostics { message in
        let line = "[mellea-tracing] \(message.level.rawValue): \(message.text)\n"
        let bytes = Array(line.utf8)
        _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }

    /// Reports a message.
    public func report(_ level: DiagnosticLevel, _ text: String) {
        handler(DiagnosticMessage(level: level, text: text))
    }

    /// Reports a message the first time `key` is seen, and never again for that key.
    public func reportOnce(key: String, _ level: DiagnosticLevel, _ text: @autoclosure () -> String) {
        let first = reportedOnce.withLock { $0.insert(key).inserted }
        if first { report(level, text()) }
    }
}

/// A diagnostics sink that keeps every message, for tests.
public final class RecordingDiagnostics: Sendable {
    private let storage = Locked<[DiagnosticMessage]>([])

    /// Creates an empty recorder.
    public init() {}

    /// The ``Diagnostics`` that records into this object.
    public var diagnostics: Diagnostics {
        Diagnostics { message in self.storage.withLock { $0.append(message) } }
    }

    /// Every message so far.
    public var messages: [DiagnosticMessage] { storage.withLock { $0 } }
}
