// mellea-trace [demo]: runs a small scripted GenAI session (start_session, session > action > chat,
// a tool call, a streamed reply) through the tracing layer and the export pipeline the
// environment configures. Without MELLEA_TRACES_* set, it traces to the OTLP endpoint when
// OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT is set, and prints the spans otherwise.
//
// mellea-trace receive [--port P]: a native OTLP/gRPC receiver on 127.0.0.1 that decodes every
// request and prints the span count each second (for trying the exporter without a collector).
import Foundation
import MelleaTracing
import OTLPExport

if CommandLine.arguments.dropFirst().first == "receive" {
    runReceiver(CommandLine.arguments.dropFirst(2))
}

nonisolated(unsafe) var variables = ProcessInfo.processInfo.environment  // main thread only
func isSet(_ name: String) -> Bool { !(variables[name] ?? "").isEmpty }
if !isSet("MELLEA_TRACES_ENABLED") && !isSet("MELLEA_TRACE_ENABLED") { variables["MELLEA_TRACES_ENABLED"] = "true" }
if !isSet("MELLEA_TRACES_OTLP") && !isSet("MELLEA_TRACES_CONSOLE") && !isSet("OTEL_TRACES_EXPORTER") {
    let endpoint = isSet("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") || isSet("OTEL_EXPORTER_OTLP_ENDPOINT")
    variables[endpoint ? "MELLEA_TRACES_OTLP" : "MELLEA_TRACES_CONSOLE"] = "true"
}
if !isSet("OTEL_SERVICE_NAME") { variables["OTEL_SERVICE_NAME"] = "mellea-trace" }

let setup = TracingSystem.bootstrap(environment: EnvironmentReader(variables))
guard setup.isEnabled else {
    print("tracing is off (see the message above): nothing exported")
    exit(0)
}

let backend = ScriptedBackend(model: "granite-3.3-8b", provider: "openai", serverAddress: "127.0.0.1", serverPort: 8000, replies: [
    .text("Paris is the capital of France.", GenerationMetadata(
        responseID: "chatcmpl-1", responseModel: "granite-3.3-8b", finishReasons: ["stop"],
        usage: TokenUsage(inputTokens: 24, outputTokens: 8, cacheReadInputTokens: 16))),
    .text("It is sunny in Paris today.", GenerationMetadata(responseID: "chatcmpl-2", finishReasons: ["stop"],
                                                            usage: TokenUsage(inputTokens: 40, outputTokens: 9))),
])
do {
    let session = try Session.start(backend: backend, systemPrompt: "Answer in one sentence.")
    _ = try session.instructBlocking("What is the capital of France?", options: ModelOptions(temperature: 0.2, maxTokens: 64))
    let done = DispatchSemaphore(value: 0)
    Task.detached {
        _ = try? await session.invokeTool(ToolCall(id: "call_1", name: "get_weather", argumentsJSON: "{\"city\":\"Paris\"}"),
                                          description: "Current weather by city") { _ in "sunny, 21 °C" }
        for try await _ in session.stream("And the weather?") {}
        done.signal()
    }
    done.wait()
    session.close()
    print("session \(session.id) traced")
} catch {
    print("the demo session failed: \(error)")
}
// `--exit-without-shutdown` behaves like a program that forgets to shut tracing down: the
// process must still exit at once, with exports possibly in flight.
if CommandLine.arguments.contains("--exit-without-shutdown") {
    print("exiting without shutdown")
    exit(0)
}
let pipeline = setup.pipeline
let clean = TracingSystem.shutdown(timeout: .seconds(10))
var delivered = clean
var exported = 0
for (index, processor) in pipeline.processors.enumerated() {
    let stats = processor.statistics
    print("exporter \(index + 1): \(stats)")
    delivered = delivered && stats.dropped == 0 && stats.exported == stats.produced
    exported += stats.exported
}
// No exporter, or no span sampled: nothing reached anyone, which is not a success.
if exported == 0 {
    print(pipeline.processors.isEmpty ? "NOTHING was exported: no exporter is configured"
                                      : "NOTHING was exported: no span reached an exporter")
    exit(1)
}
print(delivered ? "every span delivered" : "NOT every span was delivered (see the counts above)")
exit(delivered ? 0 : 1)
