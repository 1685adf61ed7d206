import Foundation
import XCTest
@testable import OTLPExport

/// `OTEL_EXPORTER_OTLP_*` and `OTEL_EXPORTER_OTLP_TRACES_*` read into an exporter configuration.
final class OTLPExporterConfigurationTests: XCTestCase {
    private func configuration(_ variables: [String: String]) -> (OTLPExporterConfiguration, [DiagnosticMessage]) {
        let recorder = RecordingDiagnostics()
        let config = OTLPExporterConfiguration.fromEnvironment(
            EnvironmentReader(variables, diagnostics: recorder.diagnostics))
        return (config, recorder.messages)
    }

    private func headerKeys(_ config: OTLPExporterConfiguration) -> [String] { config.headers.map { $0.key } }
    private func headerValues(_ config: OTLPExporterConfiguration) -> [String] { config.headers.map { $0.value } }

    /// A fresh directory under the temporary directory; the caller removes it.
    private func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("otlp-config-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    private static let pem = TestPEM.certificate

    // MARK: - Defaults

    func testEmptyEnvironmentGivesTheDefaults() {
        let (config, messages) = configuration([:])
        XCTAssertEqual(config.endpoint, OTLPEndpoint(target: "localhost:4317", usesTLS: false))
        XCTAssertTrue(config.headers.isEmpty)
        XCTAssertEqual(config.compression, OTLPExporterConfiguration.Compression.none)
        XCTAssertEqual(config.timeout, .seconds(10))
        XCTAssertNil(config.trustedCertificatesPEM)
        XCTAssertNil(config.clientKeyPEM)
        XCTAssertNil(config.clientCertificatePEM)
        XCTAssertEqual(config.maxRequestBytes, 4 * 1024 * 1024)
        XCTAssertEqual(config.retry, .default)
        XCTAssertTrue(messages.isEmpty, "\(messages)")
    }

    func testUnrelatedVariablesAreIgnored() {
        let (config, messages) = configuration(["OTEL_SERVICE_NAME": "svc", "PATH": "/usr/bin"])
        XCTAssertEqual(config.endpoint, .default)
        XCTAssertTrue(messages.isEmpty)
    }

    // MARK: - Endpoint

    func testGenericEndpointIsUsed() {
        let (config, messages) = configuration(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://generic:1111"])
        XCTAssertEqual(config.endpoint, OTLPEndpoint(target: "generic:1111", usesTLS: false))
        XCTAssertTrue(messages.isEmpty)
    }

    func testTracesEndpointWinsOverGenericEndpoint() {
        let (config, _) = configuration([
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://generic:1111",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://traces:2222",
        ])
        XCTAssertEqual(config.endpoint, OTLPEndpoint(target: "traces:2222", usesTLS: true))
    }

    func testSchemeLessEndpointUsesTLSWithoutInsecure() {
        let (config, _) = configuration(["OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4317"])
        XCTAssertEqual(config.endpoint, OTLPEndpoint(target: "collector:4317", usesTLS: true))
    }

    func testInsecureMakesSchemeLessEndpointPlaintext() {
        let (config, _) = configuration([
            "OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4317",
            "OTEL_EXPORTER_OTLP_INSECURE": "true",
        ])
        XCTAssertEqual(config.endpoint, OTLPEndpoint(target: "collector:4317", usesTLS: false))
    }

    func testTracesInsecureFalseWinsOverGenericInsecureTrue() {
        let (config, messages) = configuration([
            "OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4317",
            "OTEL_EXPORTER_OTLP_INSECURE": "true",
            "OTEL_EXPORTER_OTLP_TRACES_INSECURE": "false",
        ])
        XCTAssertEqual(config.endpoint.usesTLS, true)
        XCTAssertTrue(messages.isEmpty)
    }

    func testTracesInsecureTrueWinsOverGenericInsecureFalse() {
        let (config, _) = configuration([
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "collector:4317",
            "OTEL_EXPORTER_OTLP_INSECURE": "false",
            "OTEL_EXPORTER_OTLP_TRACES_INSECURE": "true",
        ])
        XCTAssertEqual(config.endpoint.usesTLS, false)
    }

    func testInsecureDoesNotOverrideHTTPSScheme() {
        let (config, _) = configuration([
            "OTEL_EXPORTER_OTLP_ENDPOINT": "https://collector:4317",
            "OTEL_EXPORTER_OTLP_INSECURE": "true",
        ])
        XCTAssertEqual(config.endpoint.usesTLS, true)
    }

    func testInvalidEndpointWarnsWithVariableAndValueAndKeepsTheDefault() {
        let (config, messages) = configuration(["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "ftp://collector:21"])
        XCTAssertEqual(config.endpoint, .default)
        XCTAssertEqual(messages.count, 1)
        XCTAssertEqual(messages.first?.level, .warning)
        let text = messages.first?.text ?? ""
        XCTAssertTrue(text.contains("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"), text)
        XCTAssertTrue(text.contains("ftp://collector:21"), text)
    }

    func testEndpointWithURLPathWarnsAndKeepsTheDefault() {
        let (config, messages) = configuration(["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317/v1/traces"])
        XCTAssertEqual(config.endpoint, .default)
        XCTAssertEqual(messages.count, 1)
        XCTAssertTrue(messages.first?.text.contains("OTEL_EXPORTER_OTLP_ENDPOINT") ?? false)
    }

    // MARK: - Headers

    func testHeadersAreParsedWithPercentDecoding() {
        let (config, messages) = configuration(["OTEL_EXPORTER_OTLP_HEADERS": "a=b,c=d%20e"])
        XCTAssertEqual(headerKeys(config), ["a", "c"])
        XCTAssertEqual(headerValues(config), ["b", "d e"])
        XCTAssertTrue(messages.isEmpty)
    }

    func testHeaderKeysAreLowercased() {
        let (config, _) = configuration(["OTEL_EXPORTER_OTLP_HEADERS": "Api-Key=Secret"])
        XCTAssertEqual(headerKeys(config), ["api-key"])
        XCTAssertEqual(headerValues(config), ["Secret"], "values keep their case")
    }

    func testHeaderValueMayContainEqualsSigns() {
        let (config, _) = configuration(["OTEL_EXPORTER_OTLP_HEADERS": "authorization=Basic dXNlcjpwYXNz=="])
        XCTAssertEqual(headerValues(config), ["Basic dXNlcjpwYXNz=="])
    }

    func testTracesHeadersWinOverGenericHeaders() {
        let (config, _) = configuration([
            "OTEL_EXPORTER_OTLP_HEADERS": "generic=1",
            "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "traces=2",
        ])
        XCTAssertEqual(headerKeys(config), ["traces"])
    }

    func testHeaderEntryWithoutEqualsIsDroppedWithAWarningThatHidesTheSecret() {
        let (config, messages) = configuration([
            "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "authorization=Bearer tok,brokenentrysecret",
        ])
        XCTAssertEqual(headerKeys(config), ["authorization"])
        XCTAssertEqual(headerValues(config), ["Bearer tok"])
        XCTAssertEqual(messages.count, 1)
        XCTAssertEqual(messages.first?.level, .warning)
        let text = messages.first?.text ?? ""
        XCTAssertTrue(text.contains("OTEL_EXPORTER_OTLP_TRACES_HEADERS"), text)
        XCTAssertFalse(text.contains("brokenentrysecret"), text)
        XCTAssertFalse(text.contains("tok"), text)
    }

    /// A common mistake, `key:value` instead of `key=value`, puts the whole secret in the "key"
    /// when the token itself contains '=' (base64 padding). The warning must not echo it.
    func testHeaderEntryWithInvalidKeyDoesNotEchoASecretHeldInTheKey() {
        let (config, messages) = configuration([
            "OTEL_EXPORTER_OTLP_HEADERS": "authorization:Basic dXNlcjpwYXNz==",
        ])
        XCTAssertTrue(config.headers.isEmpty)
        XCTAssertEqual(messages.count, 1)
        let text = (messages.first?.text ?? "").lowercased()
        XCTAssertFalse(text.contains("dxnlcjpwyxnz"), text)
    }

    func testHeaderWithInvalidPercentEncodingIsDroppedWithAWarning() {
        let (config, messages) = configuration(["OTEL_EXPORTER_OTLP_HEADERS": "good=1,bad=%zzsecret"])
        XCTAssertEqual(headerKeys(config), ["good"])
        XCTAssertEqual(messages.count, 1)
        XCTAssertFalse(messages.first?.text.contains("secret") ?? true)
    }

    func testBinaryHeaderKeyIsRejected() {
        let (config, messages) = configuration(["OTEL_EXPORTER_OTLP_HEADERS": "trace-bin=abc"])
        XCTAssertTrue(config.headers.isEmpty)
        XCTAssertEqual(messages.count, 1)
    }

    // MARK: - Compression

    func testGzipCompression() {
        let (config, messages) = configuration(["OTEL_EXPORTER_OTLP_COMPRESSION": "gzip"])
        XCTAssertEqual(config.compression, .gzip)
        XCTAssertTrue(messages.isEmpty)
    }

    func testNoneCompression() {
        let (config, messages) = configuration(["OTEL_EXPORTER_OTLP_TRACES_COMPRESSION": "none"])
        XCTAssertEqual(config.compression, OTLPExporterConfiguration.Compression.none)
        XCTAssertTrue(messages.isEmpty)
    }

    func testUppercaseGzipCompression() {
        let (config, messages) = configuration(["OTEL_EXPORTER_OTLP_COMPRESSION": "GZIP"])
        XCTAssertEqual(config.compression, .gzip)
        XCTAssertTrue(messages.isEmpty)
    }

    func testTracesCompressionWinsOverGeneric() {
        let (config, _) = configuration([
            "OTEL_EXPORTER_OTLP_COMPRESSION": "none",
            "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION": "gzip",
        ])
        XCTAssertEqual(config.compression, .gzip)
    }

    func testInvalidCompressionWarnsAndUsesNone() {
        let (config, messages) = configuration(["OTEL_EXPORTER_OTLP_COMPRESSION": "zstd"])
        XCTAssertEqual(config.compression, OTLPExporterConfiguration.Compression.none)
        XCTAssertEqual(messages.count, 1)
        XCTAssertEqual(messages.first?.level, .warning)
        let text = messages.first?.text ?? ""
        XCTAssertTrue(text.contains("OTEL_EXPORTER_OTLP_COMPRESSION"), text)
        XCTAssertTrue(text.contains("zstd"), text)
    }

    // MARK: - Timeout

    func testTimeoutInMilliseconds() {
        let (config, messages) = configuration(["OTEL_EXPORTER_OTLP_TIMEOUT": "2500"])
        XCTAssertEqual(config.timeout, .milliseconds(2500))
        XCTAssertTrue(messages.isEmpty)
    }

    func testTracesTimeoutWinsOverGeneric() {
        let (config, _) = configuration([
            "OTEL_EXPORTER_OTLP_TIMEOUT": "2500",
            "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "700",
        ])
        XCTAssertEqual(config.timeout, .milliseconds(700))
    }

    func testInvalidTimeoutWarnsAndUsesTenSeconds() {
        let (config, messages) = configuration(["OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "10s"])
        XCTAssertEqual(config.timeout, .seconds(10))
        XCTAssertEqual(messages.count, 1)
        let text = messages.first?.text ?? ""
        XCTAssertTrue(text.contains("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"), text)
        XCTAssertTrue(text.contains("10s"), text)
    }

    func testZeroTimeoutIsInfinite() {
        let (config, messages) = configuration(["OTEL_EXPORTER_OTLP_TIMEOUT": "0"])
        XCTAssertEqual(config.timeout, .infinite)
        XCTAssertTrue(messages.isEmpty)
    }

    // MARK: - Protocol

    func testGRPCProtocolIsSilent() {
        let (_, messages) = configuration(["OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"])
        XCTAssertTrue(messages.isEmpty)
    }

    func testHTTPProtobufProtocolWarnsThatOnlyGRPCIsSupported() {
        let (_, messages) = configuration(["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/protobuf"])
        XCTAssertEqual(messages.count, 1)
        XCTAssertEqual(messages.first?.level, .warning)
        let text = messages.first?.text ?? ""
        XCTAssertTrue(text.contains("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"), text)
        XCTAssertTrue(text.contains("http/protobuf"), text)
        XCTAssertTrue(text.contains("gRPC only"), text)
    }

    func testGarbageProtocolWarns() {
        let (config, messages) = configuration(["OTEL_EXPORTER_OTLP_PROTOCOL": "carrier-pigeon"])
        XCTAssertEqual(messages.count, 1)
        let text = messages.first?.text ?? ""
        XCTAssertTrue(text.contains("OTEL_EXPORTER_OTLP_PROTOCOL"), text)
        XCTAssertTrue(text.contains("carrier-pigeon"), text)
        XCTAssertEqual(config.endpoint, .default, "the rest of the configuration is still read")
    }

    func testTracesProtocolGRPCWinsOverGenericHTTP() {
        let (_, messages) = configuration([
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc",
        ])
        XCTAssertTrue(messages.isEmpty, "\(messages)")
    }

    // MARK: - Certificates

    func testMissingCertificateFileWarnsNamingTheVariable() {
        let path = "/nonexistent-\(UUID().uuidString)/ca.pem"
        let (config, messages) = configuration(["OTEL_EXPORTER_OTLP_CERTIFICATE": path])
        XCTAssertNil(config.trustedCertificatesPEM)
        XCTAssertEqual(messages.count, 1)
        XCTAssertEqual(messages.first?.level, .warning)
        let text = messages.first?.text ?? ""
        XCTAssertTrue(text.contains("OTEL_EXPORTER_OTLP_CERTIFICATE"), text)
        XCTAssertTrue(text.contains(path), text)
    }

    func testCertificatePEMFileIsRead() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("ca.pem")
        try Self.pem.write(to: file, atomically: true, encoding: .utf8)

        let (config, messages) = configuration(["OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE": file.path])
        XCTAssertEqual(config.trustedCertificatesPEM, Self.pem)
        XCTAssertTrue(messages.isEmpty, "\(messages)")
    }

    func testCertificateFileWithoutPEMContentWarnsAndIsNotUsed() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("not-a.pem")
        try "just some text\n".write(to: file, atomically: true, encoding: .utf8)

        let (config, messages) = configuration(["OTEL_EXPORTER_OTLP_CERTIFICATE": file.path])
        XCTAssertNil(config.trustedCertificatesPEM)
        XCTAssertEqual(messages.count, 1)
        XCTAssertTrue(messages.first?.text.contains("OTEL_EXPORTER_OTLP_CERTIFICATE") ?? false)
    }

    func testClientKeyWithoutClientCertificateWarnsAndSendsNeither() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = directory.appendingPathComponent("client.key")
        try TestPEM.privateKey.write(to: key, atomically: true, encoding: .utf8)

        let (config, messages) = configuration(["OTEL_EXPORTER_OTLP_CLIENT_KEY": key.path])
        XCTAssertNil(config.clientKeyPEM)
        XCTAssertNil(config.clientCertificatePEM)
        XCTAssertEqual(messages.count, 1)
        XCTAssertEqual(messages.first?.level, .warning)
        XCTAssertTrue(messages.first?.text.contains("CLIENT_CERTIFICATE") ?? false)
    }

    func testClientKeyAndCertificateTogetherAreBothRead() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let keyText = TestPEM.privateKey
        let key = directory.appendingPathComponent("client.key")
        let certificate = directory.appendingPathComponent("client.pem")
        try keyText.write(to: key, atomically: true, encoding: .utf8)
        try Self.pem.write(to: certificate, atomically: true, encoding: .utf8)

        let (config, messages) = configuration([
            "OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY": key.path,
            "OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE": certificate.path,
        ])
        XCTAssertEqual(config.clientKeyPEM, keyText)
        XCTAssertEqual(config.clientCertificatePEM, Self.pem)
        XCTAssertTrue(messages.isEmpty, "\(messages)")
    }
}
