/// What one unary gRPC call ended with.
struct CallOutcome: Sendable {
    /// The status code.
    let code: GRPCStatusCode
    /// The status message.
    let message: String
    /// The response message bytes, when the server sent one.
    let response: [UInt8]?
    /// The `grpc-status-details-bin` trailer (a serialized `google.rpc.Status`), if any.
    let statusDetails: [UInt8]?
    /// The `google.rpc.retryinfo-bin` trailer (a serialized `google.rpc.RetryInfo`), if any.
    let retryInfo: [UInt8]?
}
