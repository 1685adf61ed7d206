import Foundation
@testable import MelleaTracing
import XCTest
@testable import OTLPExport

/// Table-driven checks of endpoint parsing: secrets never shown, targets gRPC cannot use refused,
/// the generic endpoint as the fallback, and exporter selections never changed without a word.
final class EndpointConfigurationTests: XCTestCase {
    // MARK: - Item 4: secrets in an endpoint are never shown

    func testAnInvalidEndpointIsShownWithItsSecretsRedacted() {
        let cases: [(value: String, shown: String)] = [
            ("http://h:4317/;token=SECRET", "http://h:4317/;<redacted>"),
            ("http://h:4317/path;jsessionid=SECRET", "http://h:4317/path;<redacted>"),
            ("http://user:SECRET@h:4317", "http://<redacted>@h:4317"),
            ("https://h:4317/?api_key=SECRET", "https://h:4317/?<redacted>"),
            ("dns:///user:SECRET@h:4317", "dns:///<redacted>@h:4317"),
            ("dns:user:SECRET@h:4317", "dns:<redacted>@h:4317"),
            ("user:SECRET@h:4317", "<redacted>@h:4317"),
            ("h:4317#SECRET", "h:4317#<redacted>"),
        ]
        for c in cases {
            let (config, messages) = exporterConfiguration(["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": c.value])
            XCTAssertEqual(config.endpoint, .default, c.value)
            assertOneWarning(messages, contains: ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT='\(c.shown)'", "expected"],
                             never: ["SECRET"], c.value)
            XCTAssertEqual(SecretRedaction(endpoint: c.value).shown, c.shown)
            XCTAssertEqual(SecretRedaction(endpoint: c.value).scrub("failed for \(c.value) and again \(c.value)"),
                           "failed for \(c.shown) and again \(c.shown)")
        }
    }

    func testAnEndpointWithoutSecretsIsShownUnchanged() {
        for value in ["http://collector:4317", "dns:///collector:4317", "ipv4:10.0.0.1:4317,10.0.0.2:4317", "[::1]:4317"] {
            let redaction = SecretRedaction(endpoint: value)
            XCTAssertEqual(redaction.shown, value)
            XCTAssertFalse(redaction.hidesSomething, value)
        }
    }

    // MARK: - Item 8: endpoints gRPC cannot use are refused, and the generic endpoint is the fallback

    func testGRPCTargetURIsAreChecked() {
        let cases: [(value: String, valid: Bool)] = [
            ("dns:", false), ("dns:///", false), ("dns://8.8.8.8", false), ("dns:///:4317", false),
            ("dns:///collector:4317", true), ("dns:collector", true), ("dns://8.8.8.8/collector:4317", true),
            ("ipv4:garbage", false), ("ipv4:", false), ("ipv4:300.0.0.1:4317", false), ("ipv4:127.0.0.1", false),
            ("ipv4:127.0.0.1:4317,", false), ("ipv4:127.0.0.1:4317,10.0.0.2:4317", true),
            ("ipv6:::1", false), ("ipv6:[::1]:4317", true), ("ipv6:[fe80::1]:4317,[::1]:4318", true),
            ("unix:", false), ("unix:/tmp/otlp.sock", true), ("unix-abstract:", false), ("unix-abstract:otlp", true),
        ]
        for c in cases {
            let (config, messages) = exporterConfiguration(["OTEL_EXPORTER_OTLP_ENDPOINT": c.value, "OTEL_EXPORTER_OTLP_INSECURE": "true"])
            if c.valid {
                XCTAssertEqual(config.endpoint, OTLPEndpoint(target: c.value, usesTLS: false, isTargetURI: true), c.value)
                XCTAssertEqual(messages, [], c.value)
            } else {
                XCTAssertEqual(config.endpoint, .default, c.value)
                assertOneWarning(messages, contains: ["OTEL_EXPORTER_OTLP_ENDPOINT='\(c.value)'", "expected"], c.value)
            }
        }
    }

    func testAnInvalidTracesEndpointFallsBackToAValidGenericOne() {
        let cases: [(traces: String, generic: String?, endpoint: OTLPEndpoint, fallback: String)] = [
            ("http://h:4317/v1/traces", "http://generic:1111", OTLPEndpoint(target: "generic:1111", usesTLS: false),
             "using OTEL_EXPORTER_OTLP_ENDPOINT if valid"),
            ("ipv4:garbage", "https://generic:2222", OTLPEndpoint(target: "generic:2222", usesTLS: true),
             "using OTEL_EXPORTER_OTLP_ENDPOINT if valid"),
            ("ipv4:garbage", nil, .default, "using http://localhost:4317"),
        ]
        for c in cases {
            var variables = ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": c.traces]
            variables["OTEL_EXPORTER_OTLP_ENDPOINT"] = c.generic
            let (config, messages) = exporterConfiguration(variables)
            XCTAssertEqual(config.endpoint, c.endpoint, c.traces)
            assertOneWarning(messages, contains: ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT='\(c.traces)'", c.fallback], c.traces)
        }
        // Both invalid: both named, and the default is used.
        let (config, messages) = exporterConfiguration(["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "dns:", "OTEL_EXPORTER_OTLP_ENDPOINT": "ipv4:x"])
        XCTAssertEqual(config.endpoint, .default)
        XCTAssertEqual(messages.count, 2, "\(messages)")
        XCTAssertTrue(messages.last?.contains("OTEL_EXPORTER_OTLP_ENDPOINT='ipv4:x'") == true, "\(messages)")
    }

    func testTheProtocolIgnoresCase() {
        let cases: [(value: String, warns: Bool)] = [
            ("grpc", false), ("GRPC", false), ("gRPC", false), ("HTTP/PROTOBUF", true), ("grpc-web", true),
        ]
        for c in cases {
            let (_, messages) = exporterConfiguration(["OTEL_EXPORTER_OTLP_PROTOCOL": c.value])
            if c.warns {
                assertOneWarning(messages, contains: ["OTEL_EXPORTER_OTLP_PROTOCOL='\(c.value)'", "expected grpc"], c.value)
            } else {
                XCTAssertEqual(messages, [], c.value)
            }
        }
    }

    func testTracesExporterSelectionNeverEndsEmptyWithoutAWord() {
        typealias Kind = TracesExporterSelection.Kind
        let cases: [(value: String, kinds: [Kind], warning: [String])] = [
            ("otlp", [.otlp], []),
            ("none", [], []),
            ("console, otlp", [.console, .otlp], []),
            (" , ", [.otlp], ["OTEL_TRACES_EXPORTER=',", "expected a comma list", "using otlp"]),
            (",,", [.otlp], ["OTEL_TRACES_EXPORTER=',,'", "using otlp"]),
            ("zipkin", [], ["OTEL_TRACES_EXPORTER='zipkin'", "'zipkin' not supported", "no exporter"]),
            ("otlp,jaeger", [.otlp], ["OTEL_TRACES_EXPORTER='otlp,jaeger'", "'jaeger' not supported", "using otlp"]),
        ]
        for c in cases {
            let recorder = RecordingDiagnostics()
            let selection = TracesExporterSelection.fromEnvironment(
                EnvironmentReader(["OTEL_TRACES_EXPORTER": c.value], diagnostics: recorder.diagnostics))
            XCTAssertEqual(selection.kinds, c.kinds, c.value)
            let messages = recorder.messages.map(\.text)
            if c.warning.isEmpty { XCTAssertEqual(messages, [], c.value) } else { assertOneWarning(messages, contains: c.warning, c.value) }
        }
    }

    func testMelleaSwitchesOverridingTracesExporterSayWhat() {
        let cases: [(switches: [String], exporter: String, warns: Bool)] = [
            (["otlp"], "none", true),
            (["console"], "otlp", true),
            (["otlp"], "otlp", false),
            (["otlp", "console"], "console,otlp", false),
            (["otlp", "console"], "otlp", true),
        ]
        for c in cases {
            let recorder = RecordingDiagnostics()
            TracingSystem.warnIfOverridden(EnvironmentReader(["OTEL_TRACES_EXPORTER": c.exporter], diagnostics: recorder.diagnostics),
                                           by: c.switches)
            let messages = recorder.messages.map(\.text)
            if c.warns {
                assertOneWarning(messages, contains: ["OTEL_TRACES_EXPORTER='\(c.exporter)' is ignored", "MELLEA_TRACES_", "expected"],
                                 "\(c)")
            } else {
                XCTAssertEqual(messages, [], "\(c)")
            }
        }
    }

    func testExportFailuresNeverShowTheEndpointsSecrets() async throws {
        let port = unusedPort()
        for target in ["dns:///user:SECRET@127.0.0.1:\(port)", "127.0.0.1:\(port);token=SECRET", "ipv4:127.0.0.1:\(port)?key=SECRET"] {
            let recorder = RecordingDiagnostics()
            var configuration = OTLPExporterConfiguration()
            configuration.endpoint = OTLPEndpoint(target: target, usesTLS: false, isTargetURI: target.hasPrefix("dns") || target.hasPrefix("ipv4"))
            configuration.timeout = .milliseconds(600)
            let exporter = try OTLPTraceExporter(configuration: configuration, resource: Resource(attributes: []),
                                                 diagnostics: recorder.diagnostics)
            let result = await exporter.export([sampleSpan()])
            await exporter.shutdown(timeout: .seconds(5))
            XCTAssertEqual(result.failed, 1, target)
            let shown = recorder.messages.map(\.text) + [String(describing: result.failure)]
            XCTAssertFalse(shown.joined().contains("SECRET"), "\(target): \(shown)")
            XCTAssertTrue(recorder.messages.contains { $0.text.contains("export to \(SecretRedaction(endpoint: target).shown) failed") },
                          "\(target): \(shown)")
        }
    }
}
