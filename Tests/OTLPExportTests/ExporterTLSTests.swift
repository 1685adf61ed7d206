import Foundation
import XCTest
@testable import OTLPExport

/// TLS and mutual TLS with certificates the test makes itself.
final class ExporterTLSTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try makeCertificate(name: "server", subject: "/CN=localhost", san: "DNS:localhost,IP:127.0.0.1")
        try makeCertificate(name: "client", subject: "/CN=mellea-client", san: "DNS:mellea-client")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    private func makeCertificate(name: String, subject: String, san: String) throws {
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                             "-keyout", path("\(name).key"), "-out", path("\(name).pem"),
                             "-subj", subject, "-addext", "subjectAltName=\(san)"]
        openssl.standardOutput = FileHandle.nullDevice
        openssl.standardError = FileHandle.nullDevice
        try openssl.run()
        openssl.waitUntilExit()
        XCTAssertEqual(openssl.terminationStatus, 0, "openssl failed to make the \(name) certificate")
    }

    private func exporter(port: Int, trust: Bool, clientCertificate: Bool = false) throws -> OTLPTraceExporter {
        let env = EnvironmentReader([
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://127.0.0.1:\(port)",
            "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "2000",
            "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE": trust ? path("server.pem") : "",
            "OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY": clientCertificate ? path("client.key") : "",
            "OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE": clientCertificate ? path("client.pem") : "",
        ], diagnostics: RecordingDiagnostics().diagnostics)
        let configuration = OTLPExporterConfiguration.fromEnvironment(env)
        XCTAssertTrue(configuration.endpoint.usesTLS)
        return try OTLPTraceExporter(configuration: configuration, resource: Resource(attributes: []),
                                     diagnostics: RecordingDiagnostics().diagnostics)
    }

    func testTLSWithTrustedSelfSignedCertificateDelivers() async throws {
        let receiver = try Receiver(["--tls-cert", path("server.pem"), "--tls-key", path("server.key")])
        let exporter = try exporter(port: receiver.port, trust: true)
        let result = await exporter.export([sampleSpan()])
        await exporter.shutdown(timeout: .seconds(5))
        XCTAssertEqual(result, .success(1))
        XCTAssertEqual(receiver.acceptedSpans().first?["name"] as? String, "chat granite-0")
    }

    func testTLSRefusesAnUntrustedCertificate() async throws {
        let receiver = try Receiver(["--tls-cert", path("server.pem"), "--tls-key", path("server.key")])
        let exporter = try exporter(port: receiver.port, trust: false)
        let result = await exporter.export([sampleSpan()])
        await exporter.shutdown(timeout: .seconds(5))
        XCTAssertEqual(result.failed, 1)
        XCTAssertTrue(receiver.acceptedRequests().isEmpty)
    }

    func testMutualTLSPresentsTheClientCertificate() async throws {
        let receiver = try Receiver(["--tls-cert", path("server.pem"), "--tls-key", path("server.key"),
                                     "--client-ca", path("client.pem")])
        let exporter = try exporter(port: receiver.port, trust: true, clientCertificate: true)
        let result = await exporter.export([sampleSpan()])
        await exporter.shutdown(timeout: .seconds(5))
        XCTAssertEqual(result, .success(1))
        XCTAssertEqual(receiver.acceptedRequests().first?["client_cert"] as? Bool, true)
    }

    func testMutualTLSReceiverRefusesAClientWithoutCertificate() async throws {
        let receiver = try Receiver(["--tls-cert", path("server.pem"), "--tls-key", path("server.key"),
                                     "--client-ca", path("client.pem")])
        let exporter = try exporter(port: receiver.port, trust: true, clientCertificate: false)
        let result = await exporter.export([sampleSpan()])
        await exporter.shutdown(timeout: .seconds(5))
        XCTAssertEqual(result.failed, 1)
    }
}
