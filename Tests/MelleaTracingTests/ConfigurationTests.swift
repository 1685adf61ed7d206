import Foundation
import MelleaTracing
import OTLPExport
import XCTest

final class ConfigurationTests: XCTestCase {
    private func read(_ variables: [String: String]) -> (TracesConfiguration, [String]) {
        let recorder = RecordingDiagnostics()
        let config = TracesConfiguration.fromEnvironment(EnvironmentReader(variables, diagnostics: recorder.diagnostics))
        return (config, recorder.messages.map(\.text))
    }

    func testEverythingIsOffByDefault() {
        let (config, warnings) = read([:])
        XCTAssertEqual(config, TracesConfiguration())
        XCTAssertFalse(config.enabled || config.otlp || config.console || config.captureContent)
        XCTAssertTrue(warnings.isEmpty)
    }

    func testPluralSwitchesAreRead() {
        let (config, _) = read(["MELLEA_TRACES_ENABLED": "true", "MELLEA_TRACES_OTLP": "TRUE", "MELLEA_TRACES_CONSOLE": "true",
                                "MELLEA_TRACES_CONTENT": "true", "MELLEA_TRACES_CONTENT_MAX_LENGTH": "100"])
        XCTAssertTrue(config.enabled && config.otlp && config.console && config.captureContent)
        XCTAssertEqual(config.contentMaxLength, 100)
    }

    func testDeprecatedSingularNamesStillWorkAndWarnNamingTheNewVariable() {
        let (config, warnings) = read(["MELLEA_TRACE_ENABLED": "true", "MELLEA_TRACE_CONSOLE": "true"])
        XCTAssertTrue(config.enabled)
        XCTAssertTrue(config.console)
        XCTAssertTrue(warnings.contains { $0.contains("MELLEA_TRACE_ENABLED") && $0.contains("MELLEA_TRACES_ENABLED") })
        XCTAssertTrue(warnings.contains { $0.contains("MELLEA_TRACE_CONSOLE") && $0.contains("MELLEA_TRACES_CONSOLE") })
    }

    func testTheNewNameWinsOverTheDeprecatedOne() {
        let (config, warnings) = read(["MELLEA_TRACES_ENABLED": "false", "MELLEA_TRACE_ENABLED": "true"])
        XCTAssertFalse(config.enabled)
        XCTAssertTrue(warnings.isEmpty)
    }

    func testGenAIContentVariableOptsInWithTrueOrASpanMode() {
        XCTAssertTrue(read(["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "true"]).0.captureContent)
        XCTAssertTrue(read(["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "SPAN_ONLY"]).0.captureContent)
        XCTAssertFalse(read(["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "NO_CONTENT"]).0.captureContent)
        let (config, warnings) = read(["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "yes please"])
        XCTAssertFalse(config.captureContent)
        XCTAssertTrue(warnings.first?.contains("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT='yes please'") ?? false)
    }

    func testEnabledWithoutAnExporterIsReportedNotSilent() {
        let recorder = RecordingDiagnostics()
        let registry = HookRegistry()
        let setup = TracingSystem.bootstrap(environment: EnvironmentReader(["MELLEA_TRACES_ENABLED": "true"],
                                                                           diagnostics: recorder.diagnostics),
                                            registry: registry)
        defer { TracingSystem.resetForTesting() }
        XCTAssertTrue(setup.isEnabled)
        XCTAssertTrue(setup.pipeline.processors.isEmpty)
        XCTAssertTrue(recorder.messages.contains { $0.text.contains("no exporter is selected") && $0.text.contains("MELLEA_TRACES_OTLP") })
    }

    func testSwitchesWithoutTheUmbrellaAreReported() {
        let recorder = RecordingDiagnostics()
        let registry = HookRegistry()
        let setup = TracingSystem.bootstrap(environment: EnvironmentReader(["MELLEA_TRACES_CONSOLE": "true"],
                                                                           diagnostics: recorder.diagnostics),
                                            registry: registry)
        defer { TracingSystem.resetForTesting() }
        XCTAssertFalse(setup.isEnabled)
        XCTAssertFalse(registry.isListening(.generationPreCall))
        XCTAssertTrue(recorder.messages.contains { $0.text.contains("MELLEA_TRACES_ENABLED") })
    }

    func testOTelSDKDisabledWinsAndSaysSo() {
        let recorder = RecordingDiagnostics()
        let registry = HookRegistry()
        let setup = TracingSystem.bootstrap(environment: EnvironmentReader(
            ["MELLEA_TRACES_ENABLED": "true", "MELLEA_TRACES_CONSOLE": "true", "OTEL_SDK_DISABLED": "true"],
            diagnostics: recorder.diagnostics), registry: registry)
        defer { TracingSystem.resetForTesting() }
        XCTAssertFalse(setup.isEnabled)
        XCTAssertTrue(recorder.messages.contains { $0.text.contains("OTEL_SDK_DISABLED") })
    }

    func testConsoleSwitchBuildsAConsolePipelineAndSubscribesThePlugins() {
        let registry = HookRegistry()
        let setup = TracingSystem.bootstrap(environment: EnvironmentReader(
            ["MELLEA_TRACES_ENABLED": "true", "MELLEA_TRACES_CONSOLE": "true"], diagnostics: RecordingDiagnostics().diagnostics),
            registry: registry)
        defer { TracingSystem.resetForTesting() }
        XCTAssertEqual(setup.pipeline.processors.count, 1)
        XCTAssertTrue(registry.isListening(.generationPreCall))
        XCTAssertTrue(registry.isListening(.componentPreExecute))
    }

    func testResetThenBootstrapAgainKeepsTracing() async throws {
        for round in 0..<3 {
            let harness = TracingHarness()
            XCTAssertTrue(harness.registry.isListening(.generationPreCall), "round \(round): plugins must be subscribed")
            let session = try Session.start(backend: ScriptedBackend(), registry: harness.registry)
            _ = try await session.chat("hi")
            session.close()
            XCTAssertEqual(harness.spans().filter { $0.name.hasPrefix("chat ") }.count, 1, "round \(round)")
            TracingSystem.resetForTesting()
            XCTAssertFalse(harness.registry.isListening(.generationPreCall), "round \(round): reset must unsubscribe")
        }
    }

    func testSamplerFromEnvironment() {
        func sampler(_ vars: [String: String]) -> Sampler {
            Sampler.fromEnvironment(EnvironmentReader(vars, diagnostics: RecordingDiagnostics().diagnostics))
        }
        XCTAssertEqual(sampler([:]), .parentBased(root: .alwaysOn))
        XCTAssertEqual(sampler(["OTEL_TRACES_SAMPLER": "always_off"]), .alwaysOff)
        XCTAssertEqual(sampler(["OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.25"]), .traceIDRatio(0.25))
        XCTAssertEqual(sampler(["OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "2"]),
                       .parentBased(root: .traceIDRatio(1)))
        XCTAssertEqual(sampler(["OTEL_TRACES_SAMPLER": "bogus"]), .parentBased(root: .alwaysOn))
    }

    func testTraceIDRatioSamplesAboutTheRatioAndAgreesWithinATrace() {
        let sampler = Sampler.traceIDRatio(0.25)
        var sampled = 0
        for _ in 0..<20_000 where sampler.shouldSample(traceID: IDGenerator.traceID(), parent: nil) { sampled += 1 }
        XCTAssertEqual(Double(sampled) / 20_000, 0.25, accuracy: 0.02)
        let id = IDGenerator.traceID()
        XCTAssertEqual(sampler.shouldSample(traceID: id, parent: nil), sampler.shouldSample(traceID: id, parent: nil))
    }
}
