import OTLPExport

/// W3C Trace Context: the `traceparent` and `tracestate` headers.
public enum W3CTraceContext {
    /// The `traceparent` header name.
    public static let traceparent = "traceparent"
    /// The `tracestate` header name.
    public static let tracestate = "tracestate"

    /// `00-<trace id>-<span id>-<flags>`.
    public static func traceparent(for context: SpanContext) -> String {
        let flags = String(context.traceFlags, radix: 16)
        return "00-\(context.traceID)-\(context.spanID)-\(flags.count == 1 ? "0" + flags : flags)"
    }

    /// Parses a `traceparent` (and optional `tracestate`); `nil` when invalid, as the spec asks.
    public static func parse(traceparent header: String, tracestate: String? = nil) -> SpanContext? {
        let parts = header.trimmingCharacters(in: .whitespaces).split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 4, parts[0].count == 2, parts[0].allSatisfy(\.isHexDigit), parts[0].lowercased() != "ff",
              parts[0] != "00" || parts.count == 4,
              parts[1] == parts[1].lowercased(), parts[2] == parts[2].lowercased(),
              let traceID = TraceID(hex: parts[1]), traceID.isValid,
              let spanID = SpanID(hex: parts[2]), spanID.isValid,
              parts[3].count == 2, let flags = UInt8(parts[3], radix: 16)
        else { return nil }
        return SpanContext(traceID: traceID, spanID: spanID, traceFlags: flags & 1,
                           traceState: tracestate?.trimmingCharacters(in: .whitespaces) ?? "", isRemote: true)
    }
}

import Foundation
