import COTLPReceiver
import Synchronization

/// An OTLP/gRPC trace receiver on gRPC core's server API, for development tools, the benchmark and
/// the tests: it validates every `ExportTraceServiceRequest` in full and counts its spans; given a
/// handler, it also decodes each request into ``ReceivedSpan``s and hands them over before
/// answering, so they are in place once the client holds its response.
///
/// A request that is not a valid `ExportTraceServiceRequest` is answered `INVALID_ARGUMENT`, one
/// over ``maxRequestBytes`` `RESOURCE_EXHAUSTED`; the receiver keeps serving either way.
package final class OTLPReceiver: Sendable {
    /// How the receiver validates requests (the benchmark compares them).
    package enum Decoder: String, Sendable, CaseIterable {
        /// A validating wire decoder: every tag, wire type, length and value is checked against the
        /// OTLP trace schema (ids of 16/8 bytes, strings UTF-8), nothing is allocated.
        case scan
        /// protobuf-c's generated unpack of the whole request tree, into a bump arena.
        case protobufC = "protobuf-c"
    }

    /// The default request size limit: 4 MiB, as an OpenTelemetry Collector's gRPC receiver.
    package static let defaultMaxRequestBytes = 4 * 1024 * 1024

    // The C server is thread-safe (atomic counters, its own threads); start and stop happen once each.
    private nonisolated(unsafe) let server: OpaquePointer
    private let handlerBox: HandlerBox?
    /// The counters as they were at ``stop()``: the C server is gone after it.
    private let final = Mutex<Counts?>(nil)
    /// The bound port.
    package let port: Int
    /// The largest request message accepted (after gzip decompression).
    package let maxRequestBytes: Int

    /// Starts listening on `address` (`HOST:PORT`; port 0 picks a free one).
    /// - Parameter onRequest: Called on a receiver thread with each valid request's spans, before
    ///   it is answered. Without it, requests are only validated and counted.
    package init(address: String = "127.0.0.1:0", threads: Int = 2, decoder: Decoder = .scan,
                 maxRequestBytes: Int = OTLPReceiver.defaultMaxRequestBytes,
                 onRequest: (@Sendable (ReceivedRequest) -> Void)? = nil) throws(ReceiverStartError) {
        guard (1...Int(Int32.max)).contains(maxRequestBytes) else {
            throw ReceiverStartError(description: "the request size limit must be between 1 and \(Int32.max) bytes, got \(maxRequestBytes)")
        }
        let box = onRequest.map(HandlerBox.init)
        var error = [CChar](repeating: 0, count: 256)
        var bound: Int32 = 0
        let context = box.map { Unmanaged.passUnretained($0).toOpaque() }
        let started = address.withCString { address in
            var options = cotlp_receiver_options(
                address: address, threads: Int32(threads),
                decoder: decoder == .scan ? COTLP_DECODER_SCAN : COTLP_DECODER_PROTOBUF_C,
                max_request_bytes: Int32(maxRequestBytes),
                handler: box == nil ? nil : receiverHandler, handler_context: context)
            return cotlp_receiver_start(&options, &bound, &error, error.count)
        }
        guard let started else {
            throw ReceiverStartError(description: error.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        }
        server = started
        handlerBox = box
        port = Int(bound)
        self.maxRequestBytes = maxRequestBytes
    }

    /// What the receiver has answered so far.
    package struct Counts: Sendable, Equatable {
        /// Spans received in requests answered OK.
        package var spans: Int
        /// Requests answered OK.
        package var requests: Int
        /// Requests answered with an error status (malformed, oversized, abandoned by their client).
        package var failures: Int
        /// Bytes of the requests answered OK (after gzip decompression).
        package var bytes: Int

        init(_ counts: cotlp_receiver_counts) {
            spans = Int(counts.spans)
            requests = Int(counts.requests)
            failures = Int(counts.failures)
            bytes = Int(counts.bytes)
        }
    }

    /// The counters now (final once stopped).
    package var counts: Counts {
        final.withLock { final in
            final ?? Counts(cotlp_receiver_read_counts(server))
        }
    }
    /// Spans received in requests answered OK.
    package var spans: Int { counts.spans }
    /// Requests answered OK.
    package var requests: Int { counts.requests }
    /// Requests answered with an error status (malformed, oversized, abandoned by their client).
    package var failures: Int { counts.failures }
    /// Bytes of the requests answered OK (after gzip decompression).
    package var bytes: Int { counts.bytes }

    /// Stops serving and releases everything (once); the counters keep their final values. No
    /// handler call runs after it returns.
    package func stop() {
        final.withLock { final in
            guard final == nil else { return }
            var counts = cotlp_receiver_counts()
            cotlp_receiver_stop(server, &counts)
            final = Counts(counts)
        }
    }

    deinit {
        stop()
        withExtendedLifetime(handlerBox) {}  // the C server held it unretained until stopped
    }
}

/// Why a receiver could not start.
package struct ReceiverStartError: Error, Sendable, CustomStringConvertible {
    /// What went wrong (for example "could not listen on the address '127.0.0.1:4317'").
    package let description: String
}

/// The Swift handler behind the C server's handler pointer.
private final class HandlerBox: Sendable {
    let handle: @Sendable (ReceivedRequest) -> Void
    init(_ handle: @escaping @Sendable (ReceivedRequest) -> Void) { self.handle = handle }
}

/// The C server's handler: decodes the validated request and hands it to the Swift handler.
private let receiverHandler: cotlp_request_handler = { context, data, length, _, details, detailsLength in
    guard let context, let data else { return 0 }
    let box = Unmanaged<HandlerBox>.fromOpaque(context).takeUnretainedValue()
    do {
        box.handle(try ReceivedRequest(decoding: UnsafeRawBufferPointer(start: data, count: length)))
        return 0
    } catch {
        if let details, detailsLength > 0 {
            String(describing: error).utf8CString.withUnsafeBufferPointer { message in
                strlcpyCompatible(details, message, detailsLength)
            }
        }
        return 3  // INVALID_ARGUMENT
    }
}

/// Copies a NUL-terminated string into a buffer of `capacity` bytes, truncating.
private func strlcpyCompatible(_ destination: UnsafeMutablePointer<CChar>, _ source: UnsafeBufferPointer<CChar>, _ capacity: Int) {
    let count = min(capacity - 1, max(0, source.count - 1))
    for index in 0..<count { destination[index] = source[index] }
    destination[count] = 0
}
