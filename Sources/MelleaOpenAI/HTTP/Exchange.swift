import AsyncHTTPClient
import Foundation
import Logging
import MelleaTracing
import NIOCore
import NIOHTTP1
import Tracing

/// The HTTP side of the back end: builds the request, sends it through async-http-client, bounds
/// it with the timeout and turns every failure into an ``OpenAIError`` (or `CancellationError`).
struct Exchange: Sendable {
    let client: HTTPClient
    let configuration: OpenAIConfiguration
    /// The base URL without a trailing slash.
    let base: String

    init(client: HTTPClient, configuration: OpenAIConfiguration) {
        self.client = client
        self.configuration = configuration
        var base = configuration.baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.base = base
    }

    /// How much later than async-http-client's deadline the watchdog fires.
    static let watchdogGrace = Duration.milliseconds(250)

    /// The largest body read whole; a bigger answer is not a chat completion.
    static let maxBodyBytes = 32 << 20

    /// POSTs `body` to `path` and decodes the whole answer as `T`.
    func call<T: Decodable & Sendable>(_ path: String, _ body: JSONValue, as type: T.Type) async throws -> T {
        try await bounded(path) { _ in
            let response = try await post(path, body, stream: false)
            let bytes = try await response.body.collect(upTo: Self.maxBodyBytes)
            try check(response, bytes)
            return try decode(T.self, from: bytes, what: path)
        }
    }

    /// POSTs `body` to `path` for a server-sent event stream and feeds every event's data to
    /// `reader`, which it returns when the stream is over. The timeout bounds the wait for each event.
    func stream<Reader: EventStreamReader>(_ path: String, _ body: JSONValue, into reader: Reader) async throws -> Reader {
        try await bounded(path) { watchdog in
            let response = try await post(path, body, stream: true)
            guard response.status == .ok else {
                try check(response, try await response.body.collect(upTo: 1 << 20))
                throw OpenAIError(.malformedResponse, statusCode: Int(response.status.code),
                                  message: "a stream answered with HTTP \(response.status.code)")
            }
            var reader = reader
            var parser = ServerSentEventParser()
            for try await buffer in response.body {
                watchdog.extend()
                for event in parser.feed(buffer.readableBytesView) {
                    guard try reader.read(event) else { return reader }
                }
            }
            try reader.bodyEnded(cleanly: !parser.hasPartialEvent)
            return reader
        }
    }

    /// Decodes a JSON body, or says what was wrong without echoing it (it may carry content).
    func decode<T: Decodable>(_ type: T.Type, from bytes: ByteBuffer, what: String) throws -> T {
        try decode(type, from: Data(bytes.readableBytesView), what: what)
    }

    /// Decodes JSON, or throws a `malformedResponse` naming the first problem.
    func decode<T: Decodable>(_ type: T.Type, from data: Data, what: String) throws -> T {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(type, from: data)
        } catch let error as DecodingError {
            throw OpenAIError(.malformedResponse, message: "the answer of \(what) is not the expected JSON: \(Self.summary(error))")
        }
    }

    private func post(_ path: String, _ body: JSONValue, stream: Bool) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: base + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: stream ? "text/event-stream" : "application/json")
        for (name, value) in configuration.extraHeaders { request.headers.replaceOrAdd(name: name, value: value) }
        if let key = configuration.apiKey { request.headers.replaceOrAdd(name: "Authorization", value: "Bearer \(key)") }
        if client.tracer == nil, let context = InstrumentationContext.current {
            // No HTTP span to carry the trace: the `chat` span's own context goes to the server.
            MelleaTracer.current.inject(context, into: &request.headers, using: HeaderInjector())
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        request.body = .bytes(ByteBuffer(bytes: try encoder.encode(body)))
        configuration.logger?.debug("POST \(path)", metadata: ["model": "\(configuration.model)", "stream": "\(stream)"])
        // Until the answer's head arrives, async-http-client's own deadline bounds the request: on
        // expiry it says why it could not connect (refused, unresolvable), where the watchdog, a
        // moment later, would only see its cancellation.
        let deadline = NIODeadline.now() + .nanoseconds(configuration.timeout.nanoseconds)
        return try await client.execute(request, deadline: deadline, logger: configuration.logger)
    }

    /// Throws the ``OpenAIError`` an error status means, with the server's message (key removed).
    private func check(_ response: HTTPClientResponse, _ bytes: ByteBuffer) throws {
        let status = Int(response.status.code)
        guard !(200..<300).contains(status) else { return }
        let detail = try? decode(WireErrorBody.self, from: bytes, what: "an error").error
        let message = detail?.message ?? "HTTP \(status) \(response.status.reasonPhrase)"
        throw OpenAIError(OpenAIError.kind(forStatus: status), statusCode: status, code: detail?.code?.text ?? detail?.type,
                          message: message.redacting(configuration.apiKey), retryAfter: Self.retryAfter(response.headers))
    }

    /// Runs one exchange under the timeout and maps whatever escapes it.
    private func bounded<T: Sendable>(_ path: String, _ work: @escaping @Sendable (Watchdog) async throws -> T) async throws -> T {
        do {
            return try await Watchdog.run(timeout: configuration.timeout + Self.watchdogGrace, work)
        } catch {
            let mapped = map(error)
            if !(mapped is CancellationError) {
                configuration.logger?.warning("POST \(path) failed: \(mapped)", metadata: ["model": "\(configuration.model)"])
            }
            throw mapped
        }
    }

    private func map(_ error: any Error) -> any Error {
        let key = configuration.apiKey
        switch error {
        case let error as OpenAIError:
            return OpenAIError(error.kind, statusCode: error.statusCode, code: error.code,
                               message: error.message.redacting(key), retryAfter: error.retryAfter)
        case is Watchdog.Expired:
            return OpenAIError(.timeout, message: "no answer from \(base) within \(configuration.timeout)")
        case let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout:
            return OpenAIError(.timeout, message: "no answer from \(base) within \(configuration.timeout)")
        case _ where Task.isCancelled, is CancellationError:
            return CancellationError()
        case let error as HTTPClientError where error == .cancelled:
            return CancellationError()
        default:
            let detail = String(describing: error).redacting(key)
            return OpenAIError(.connectionFailed, message: "the HTTP exchange with \(base) failed: \(detail)")
        }
    }

    private static func retryAfter(_ headers: HTTPHeaders) -> Duration? {
        if let ms = headers.first(name: "retry-after-ms").flatMap(Double.init) { return .milliseconds(ms) }
        if let seconds = headers.first(name: "retry-after").flatMap(Double.init) { return .milliseconds(seconds * 1000) }
        return nil
    }

    private static func summary(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty: return "not valid JSON"
        case .dataCorrupted(let context): return "invalid value at \(path(context))"
        case .keyNotFound(let key, let context): return "missing \(path(context).isEmpty ? "" : path(context) + ".")\(key.stringValue)"
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return "wrong type at \(path(context))"
        @unknown default: return "undecodable"
        }
    }
}

/// What reads the events of a stream, one event's `data` at a time.
protocol EventStreamReader: Sendable {
    /// Reads one event; `false` when it was the last one to read (e.g. `[DONE]`).
    mutating func read(_ data: String) throws -> Bool
    /// The body ended before ``read(_:)`` said the stream was over; `cleanly` when no event was
    /// left half-sent.
    mutating func bodyEnded(cleanly: Bool) throws
}

/// Writes trace-context headers into a request's headers.
struct HeaderInjector: Injector {
    func inject(_ value: String, forKey key: String, into headers: inout HTTPHeaders) {
        headers.replaceOrAdd(name: key, value: value)
    }
}

extension Duration {
    /// Whole nanoseconds, saturating.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : product.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue
    }
}
