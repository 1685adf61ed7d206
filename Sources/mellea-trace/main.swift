// mellea-trace: exports a sample GenAI trace (session > action > chat) through the export
// pipeline the environment configures; prints it to the console when no OTLP endpoint is set.
import Foundation
import OTLPExport

let diagnostics = Diagnostics.standardError
let env = EnvironmentReader(diagnostics: diagnostics)
let pipeline = ExportPipeline.fromEnvironment(env, resource: .fromEnvironment(env, defaultServiceName: "mellea-trace"),
                                              preferConsoleWithoutEndpoint: true)

func now() -> UInt64 { UInt64(Date().timeIntervalSince1970 * 1_000_000_000) }

let scope = InstrumentationScope(name: "mellea.application", version: Resource.sdkVersion)
let backendScope = InstrumentationScope(name: "mellea.backend", version: Resource.sdkVersion)
let trace = TraceID.random()
let session = SpanID.random(), action = SpanID.random(), chat = SpanID.random()
let conversation = UUID().uuidString.lowercased()
let start = now()

let spans = [
    SpanRecord(traceID: trace, spanID: chat, parentSpanID: action, name: "chat granite-3.3-8b", kind: .client,
               startTimeUnixNano: start + 2_000_000, endTimeUnixNano: start + 42_000_000,
               attributes: [
                   Attribute("gen_ai.operation.name", "chat"),
                   Attribute("gen_ai.provider.name", "openai"),
                   Attribute("gen_ai.request.model", "granite-3.3-8b"),
                   Attribute("gen_ai.request.temperature", .double(0.7)),
                   Attribute("gen_ai.request.max_tokens", .int(512)),
                   Attribute("gen_ai.response.id", "chatcmpl-1"),
                   Attribute("gen_ai.response.finish_reasons", .stringArray(["stop"])),
                   Attribute("gen_ai.usage.input_tokens", .int(123)),
                   Attribute("gen_ai.usage.output_tokens", .int(456)),
                   Attribute("gen_ai.conversation.id", .string(conversation)),
               ],
               events: [SpanEvent(name: "gen_ai.content.first_token", timeUnixNano: start + 10_000_000,
                                  attributes: [Attribute("gen_ai.server.time_to_first_token", .double(0.008))])],
               scope: backendScope),
    SpanRecord(traceID: trace, spanID: action, parentSpanID: session, name: "action",
               startTimeUnixNano: start + 1_000_000, endTimeUnixNano: start + 43_000_000,
               attributes: [Attribute("mellea.component.type", "Instruction")], scope: scope),
    SpanRecord(traceID: trace, spanID: session, name: "session", startTimeUnixNano: start,
               endTimeUnixNano: start + 44_000_000,
               attributes: [Attribute("mellea.session.id", .string(conversation))], scope: scope),
]

if pipeline.processors.isEmpty {
    print("tracing is disabled (OTEL_SDK_DISABLED or OTEL_TRACES_EXPORTER=none): nothing exported")
    exit(0)
}
for span in spans { pipeline.onEnd(span) }
let clean = pipeline.shutdown(timeout: .seconds(10))
for (index, processor) in pipeline.processors.enumerated() {
    print("exporter \(index + 1): \(processor.statistics)")
}
let delivered = clean && pipeline.processors.allSatisfy { $0.statistics.dropped == 0 }
print("trace \(trace): \(delivered ? "delivered" : "NOT delivered (see the counts above)")")
exit(delivered ? 0 : 1)
