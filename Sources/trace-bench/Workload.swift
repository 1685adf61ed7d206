import Foundation
import OTLPExport

/// The chat span of WORKLOAD.md: 10 attributes, one event, child of a long-lived "action" span.
struct ChatSpanWorkload: Sendable {
    let scope = InstrumentationScope(name: "mellea.backend", version: Resource.sdkVersion)
    let conversationID = "5f0c6e52-3f0e-4c8e-9a51-0d2c1b7a9e11"

    struct Parent: Sendable {
        let traceID: TraceID
        let spanID: SpanID
    }

    func parent() -> Parent { Parent(traceID: .random(), spanID: .random()) }

    @inline(__always)
    func chatSpan(_ index: Int, parent: Parent) -> SpanRecord {
        let start = wallClockNanoseconds()
        let attributes: [Attribute] = [
            Attribute("gen_ai.operation.name", "chat"),
            Attribute("gen_ai.provider.name", "openai"),
            Attribute("gen_ai.request.model", "granite-3.3-8b"),
            Attribute("gen_ai.request.temperature", .double(0.7)),
            Attribute("gen_ai.request.max_tokens", .int(512)),
            Attribute("gen_ai.response.id", .string("chatcmpl-\(index)")),
            Attribute("gen_ai.response.finish_reasons", .stringArray(["stop"])),
            Attribute("gen_ai.usage.input_tokens", .int(123)),
            Attribute("gen_ai.usage.output_tokens", .int(456)),
            Attribute("gen_ai.conversation.id", .string(conversationID)),
        ]
        let event = SpanEvent(name: "gen_ai.content.first_token", timeUnixNano: wallClockNanoseconds(),
                              attributes: [Attribute("gen_ai.server.time_to_first_token", .double(0.042))])
        return SpanRecord(traceID: parent.traceID, spanID: IDGenerator.spanID(), parentSpanID: parent.spanID,
                          name: "chat granite-3.3-8b", kind: .client,
                          startTimeUnixNano: start, endTimeUnixNano: wallClockNanoseconds(),
                          attributes: attributes, events: [event], scope: scope)
    }
}

@inline(__always)
func wallClockNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
}

func peakRSSMegabytes() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Int(usage.ru_maxrss / 1024)
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
