import CGRPC

/// A native OTLP/gRPC trace receiver on gRPC core's server API: it fully decodes every
/// `ExportTraceServiceRequest` and counts spans exactly. Used by the benchmark (a receiver that is
/// not the bottleneck) and available for users' load tests.
public final class OTLPCountingReceiver: @unchecked Sendable {
    /// How the receiver decodes requests.
    public enum Decoder: String, Sendable, CaseIterable {
        /// A validating wire decoder: every tag, wire type, length and value is checked against the
        /// OTLP trace schema (ids of 16/8 bytes, strings UTF-8), nothing is allocated.
        case scan
        /// protobuf-c's generated unpack of the whole request tree, into a bump arena.
        case protobufC = "protobuf-c"
    }

    // The C server is thread-safe for its counters; start and stop happen once each.
    private let server: OpaquePointer
    /// The bound port.
    public let port: Int
    private var stopped = false

    /// Starts listening on `address` (only loopback addresses in this project's tests).
    public init(address: String = "127.0.0.1:0", threads: Int = 2, decoder: Decoder = .scan) throws(ChannelError) {
        var error = [CChar](repeating: 0, count: 256)
        var bound: Int32 = 0
        guard let server = cgrpc_count_server_start(address, Int32(threads),
                                                      decoder == .scan ? CGRPC_COUNT_DECODER_SCAN : CGRPC_COUNT_DECODER_PROTOBUF_C, &bound, &error, error.count) else {
            throw ChannelError(description: error.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        }
        self.server = server
        port = Int(bound)
    }

    /// Spans received in requests answered OK.
    public var spans: Int { Int(cgrpc_count_server_spans(server)) }
    /// Requests answered OK.
    public var requests: Int { Int(cgrpc_count_server_requests(server)) }
    /// Requests that could not be decoded.
    public var failures: Int { Int(cgrpc_count_server_failures(server)) }

    /// Stops serving and releases everything (once).
    public func stop() {
        guard !stopped else { return }
        stopped = true
        cgrpc_count_server_stop(server)
    }

    deinit { stop() }
}
