import CGRPC

/// Reads the server's requested retry delay (`google.rpc.RetryInfo`) from a failed call.
///
/// Collectors send it two ways: inside the `google.rpc.Status` of the `grpc-status-details-bin`
/// trailer (the gRPC rich-error model), or as a bare `google.rpc.retryinfo-bin` trailer. Both are read.
enum RetryInfoDecoder {
    static let retryInfoTypeURL = "type.googleapis.com/google.rpc.RetryInfo"

    /// The delay, or `nil` when the call carries no RetryInfo.
    static func delay(statusDetails: [UInt8]?, retryInfo: [UInt8]?) -> Duration? {
        if let statusDetails, let delay = delayFromStatus(statusDetails) { return delay }
        if let retryInfo { return delayFromRetryInfo(retryInfo) }
        return nil
    }

    static func delayFromStatus(_ bytes: [UInt8]) -> Duration? {
        bytes.withUnsafeBufferPointer { buffer -> Duration? in
            guard let status = google__rpc__status__unpack(nil, buffer.count, buffer.baseAddress) else { return nil }
            defer { google__rpc__status__free_unpacked(status, nil) }
            for index in 0..<status.pointee.n_details {
                guard let any = status.pointee.details[index],
                      let url = any.pointee.type_url, String(cString: url) == retryInfoTypeURL
                else { continue }
                let value = any.pointee.value
                return delayFromRetryInfo(Array(UnsafeBufferPointer(start: value.data, count: value.len)))
            }
            return nil
        }
    }

    static func delayFromRetryInfo(_ bytes: [UInt8]) -> Duration? {
        bytes.withUnsafeBufferPointer { buffer -> Duration? in
            guard let info = google__rpc__retry_info__unpack(nil, buffer.count, buffer.baseAddress) else { return nil }
            defer { google__rpc__retry_info__free_unpacked(info, nil) }
            guard let delay = info.pointee.retry_delay else { return .zero }
            let seconds = max(0, delay.pointee.seconds)
            let nanos = max(0, Int64(delay.pointee.nanos))
            return .seconds(seconds) + .nanoseconds(nanos)
        }
    }
}

/// Reads `partial_success` from an `ExportTraceServiceResponse`.
enum ExportResponseDecoder {
    /// Rejected span count and message; `nil` when the response reports full success.
    static func partialSuccess(_ bytes: [UInt8]) -> (rejected: Int, message: String)? {
        bytes.withUnsafeBufferPointer { buffer -> (Int, String)? in
            guard let response = opentelemetry__proto__collector__trace__v1__export_trace_service_response__unpack(
                nil, buffer.count, buffer.baseAddress) else { return nil }
            defer { opentelemetry__proto__collector__trace__v1__export_trace_service_response__free_unpacked(response, nil) }
            guard let partial = response.pointee.partial_success else { return nil }
            let message = partial.pointee.error_message.map { String(cString: $0) } ?? ""
            // An empty partial_success (some collectors always send one) means full success.
            if partial.pointee.rejected_spans == 0 && message.isEmpty { return nil }
            return (Int(partial.pointee.rejected_spans), message)
        }
    }
}
