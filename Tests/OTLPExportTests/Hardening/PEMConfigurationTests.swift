import Foundation
import XCTest
@testable import OTLPExport

/// Table-driven checks of the TLS variables: a PEM file that cannot work is refused with a warning
/// naming the variable, the path and what is wrong with it.
final class PEMConfigurationTests: XCTestCase {
    // MARK: - Item 3: PEM files that cannot work are refused, naming the variable

    func testInvalidPEMFilesAreRefusedWithAWarning() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pem-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let certificateLines = TestPEM.certificate.split(separator: "\n")
        let garbage = "-----BEGIN CERTIFICATE-----\nthis is not base64 at all!\n-----END CERTIFICATE-----\n"
        let truncated = certificateLines.prefix(4).joined(separator: "\n") + "\n-----END CERTIFICATE-----\n"
        let badKey = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
        let encrypted = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n"
        let unterminated = String(TestPEM.certificate.prefix(200))
        let cases: [(variable: String, content: String, accepted: Bool, problem: String)] = [
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", TestPEM.certificate, true, ""),
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", TestPEM.certificate + "\n# comment\n" + TestPEM.certificate, true, ""),
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", garbage, false, "is not base64"),
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", truncated, false, "does not hold one DER structure"),
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", TestPEM.privateKey, false, "it holds a private key"),
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", unterminated, false, "has no END line"),
            ("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", "no pem here\n", false, "no PEM block found"),
            ("OTEL_EXPORTER_OTLP_CLIENT_KEY", badKey, false, "does not hold one DER structure"),
            ("OTEL_EXPORTER_OTLP_CLIENT_KEY", TestPEM.certificate, false, "it holds a certificate"),
            ("OTEL_EXPORTER_OTLP_CLIENT_KEY", encrypted, false, "the key is encrypted"),
            ("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", TestPEM.privateKey, false, "it holds a private key"),
        ]
        for (number, c) in cases.enumerated() {
            let file = directory.appendingPathComponent("\(number).pem")
            try c.content.write(to: file, atomically: true, encoding: .utf8)
            // The other half of the mTLS pair is valid, so only the file under test can warn.
            var variables = [c.variable: file.path]
            let partner = directory.appendingPathComponent("partner-\(number).pem")
            if c.variable.hasSuffix("CLIENT_KEY") {
                try TestPEM.certificate.write(to: partner, atomically: true, encoding: .utf8)
                variables["OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE"] = partner.path
            } else if c.variable.hasSuffix("CLIENT_CERTIFICATE") {
                try TestPEM.privateKey.write(to: partner, atomically: true, encoding: .utf8)
                variables["OTEL_EXPORTER_OTLP_CLIENT_KEY"] = partner.path
            }
            let (config, messages) = exporterConfiguration(variables)
            let context = "case \(number) (\(c.variable))"
            if c.accepted {
                XCTAssertEqual(config.trustedCertificatesPEM, c.content, context)
                XCTAssertEqual(messages, [], context)
                continue
            }
            XCTAssertNil(config.trustedCertificatesPEM, context)
            XCTAssertNil(config.clientKeyPEM, context)
            XCTAssertNil(config.clientCertificatePEM, context)
            // The invalid file's warning, plus (for half an mTLS pair) the one saying neither is sent.
            let own = messages.filter { $0.contains("\(c.variable)='\(file.path)' is invalid") }
            XCTAssertEqual(own.count, 1, "\(context): \(messages)")
            XCTAssertTrue(own.first?.contains(c.problem) == true, "\(context): '\(c.problem)' not in \(messages)")
            XCTAssertTrue(own.first?.contains("expected a PEM file") == true, "\(context): \(messages)")
        }
    }
}
