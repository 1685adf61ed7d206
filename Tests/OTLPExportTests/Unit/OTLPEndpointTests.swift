import XCTest
@testable import OTLPExport

/// How `OTEL_EXPORTER_OTLP_*ENDPOINT` values become gRPC targets.
final class OTLPEndpointTests: XCTestCase {
    private func parse(_ text: String, insecure: Bool = false,
                       file: StaticString = #filePath, line: UInt = #line) -> OTLPEndpoint? {
        do {
            return try OTLPEndpoint.parse(text, insecure: insecure)
        } catch {
            XCTFail("'\(text)' was rejected: expected \(error.expected)", file: file, line: line)
            return nil
        }
    }

    private func assertRejected(_ text: String, insecure: Bool = false,
                                file: StaticString = #filePath, line: UInt = #line) {
        do {
            let endpoint = try OTLPEndpoint.parse(text, insecure: insecure)
            XCTFail("'\(text)' was accepted as \(endpoint.target)", file: file, line: line)
        } catch {
            XCTAssertFalse(error.expected.isEmpty, "a rejection says what was expected", file: file, line: line)
        }
    }

    // MARK: - http:// and https://

    func testHTTPURLIsPlaintextHostPort() {
        let endpoint = parse("http://host:4317")
        XCTAssertEqual(endpoint, OTLPEndpoint(target: "host:4317", usesTLS: false, isTargetURI: false))
    }

    func testHTTPSURLUsesTLS() {
        let endpoint = parse("https://h:443")
        XCTAssertEqual(endpoint?.target, "h:443")
        XCTAssertEqual(endpoint?.usesTLS, true)
        XCTAssertEqual(endpoint?.isTargetURI, false)
    }

    func testMissingPortDefaultsTo4317() {
        XCTAssertEqual(parse("http://h")?.target, "h:4317")
    }

    func testTrailingSlashIsAccepted() {
        XCTAssertEqual(parse("http://h:4317/"), OTLPEndpoint(target: "h:4317", usesTLS: false))
    }

    func testURLPathIsRejected() {
        assertRejected("http://h:4317/v1/traces")
    }

    func testUppercaseSchemeIsRecognised() {
        XCTAssertEqual(parse("HTTPS://h:4317"), OTLPEndpoint(target: "h:4317", usesTLS: true))
    }

    // MARK: - Scheme versus insecure

    func testHostPortWithoutSchemeUsesTLSWhenNotInsecure() {
        XCTAssertEqual(parse("h:4317", insecure: false), OTLPEndpoint(target: "h:4317", usesTLS: true))
    }

    func testHostPortWithoutSchemeIsPlaintextWhenInsecure() {
        XCTAssertEqual(parse("h:4317", insecure: true), OTLPEndpoint(target: "h:4317", usesTLS: false))
    }

    func testHostWithoutSchemeOrPortGetsPort4317() {
        XCTAssertEqual(parse("collector", insecure: true)?.target, "collector:4317")
    }

    func testHTTPSchemeWinsOverInsecureFalse() {
        XCTAssertEqual(parse("http://h:4317", insecure: false)?.usesTLS, false)
    }

    func testHTTPSSchemeWinsOverInsecureTrue() {
        XCTAssertEqual(parse("https://h:4317", insecure: true)?.usesTLS, true)
    }

    // MARK: - gRPC target URIs

    func testDNSTargetPassesThroughUnchanged() {
        let endpoint = parse("dns:///collector:4317", insecure: true)
        XCTAssertEqual(endpoint?.target, "dns:///collector:4317")
        XCTAssertEqual(endpoint?.isTargetURI, true)
        XCTAssertEqual(endpoint?.usesTLS, false)
    }

    func testIPv4ListTargetPassesThroughUnchanged() {
        let endpoint = parse("ipv4:127.0.0.1:1,127.0.0.1:2", insecure: true)
        XCTAssertEqual(endpoint?.target, "ipv4:127.0.0.1:1,127.0.0.1:2")
        XCTAssertEqual(endpoint?.isTargetURI, true)
    }

    func testTargetURIUsesTLSUnlessInsecure() {
        XCTAssertEqual(parse("dns:///collector:4317", insecure: false)?.usesTLS, true)
        XCTAssertEqual(parse("unix:/tmp/otlp.sock", insecure: true)?.usesTLS, false)
    }

    func testUnixTargetPassesThroughUnchanged() {
        let endpoint = parse("unix:/tmp/otlp.sock", insecure: true)
        XCTAssertEqual(endpoint?.target, "unix:/tmp/otlp.sock")
        XCTAssertEqual(endpoint?.isTargetURI, true)
    }

    // MARK: - IPv6

    func testBracketedIPv6WithPortIsKept() {
        XCTAssertEqual(parse("[::1]:4317", insecure: true), OTLPEndpoint(target: "[::1]:4317", usesTLS: false))
    }

    func testBracketedIPv6URLWithoutPortGetsPort4317() {
        XCTAssertEqual(parse("http://[::1]")?.target, "[::1]:4317")
    }

    func testUnclosedIPv6BracketIsRejected() {
        assertRejected("http://[::1:4317")
    }

    // MARK: - Invalid

    func testFTPSchemeIsRejected() {
        assertRejected("ftp://x")
    }

    func testEmptyHostIsRejected() {
        assertRejected("http://:4317")
    }

    func testPortAbove65535IsRejected() {
        assertRejected("http://h:99999")
    }

    func testPortZeroIsRejected() {
        assertRejected("http://h:0")
    }

    func testNonNumericPortIsRejected() {
        assertRejected("http://h:grpc")
    }

    func testUserInformationIsRejected() {
        assertRejected("http://user@h:1")
    }

    func testRejectionIsAParseError() {
        XCTAssertThrowsError(try OTLPEndpoint.parse("ftp://x", insecure: false)) { error in
            XCTAssertTrue(error is OTLPEndpoint.ParseError, "\(error)")
        }
    }

    // MARK: - Default

    func testDefaultIsPlaintextLocalhost4317() {
        XCTAssertEqual(OTLPEndpoint.default, OTLPEndpoint(target: "localhost:4317", usesTLS: false, isTargetURI: false))
    }
}
