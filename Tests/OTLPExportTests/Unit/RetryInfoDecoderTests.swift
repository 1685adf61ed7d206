import XCTest
@testable import OTLPExport

/// Decoding `google.rpc.RetryInfo` and `ExportTraceServiceResponse.partial_success` from golden
/// bytes serialized by the official Python classes.
///
/// Every golden below was produced with the project venv (protobuf 7.36.2 (upb),
/// googleapis-common-protos 1.76.0, opentelemetry-proto 1.45.2):
///
///     from google.rpc import status_pb2, error_details_pb2
///     from google.protobuf import any_pb2, duration_pb2
///     from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as ts
///
///     # statusWithRetryInfo
///     a = any_pb2.Any(); a.Pack(error_details_pb2.RetryInfo(
///         retry_delay=duration_pb2.Duration(seconds=1, nanos=500000000)))
///     status_pb2.Status(code=8, message="slow down", details=[a]).SerializeToString(deterministic=True)
///     # bareRetryInfo
///     error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=2, nanos=250000000)) \
///         .SerializeToString(deterministic=True)
///     # statusWithDebugInfoOnly
///     d = any_pb2.Any(); d.Pack(error_details_pb2.DebugInfo(detail="collector busy", stack_entries=["a", "b"]))
///     status_pb2.Status(code=8, message="slow down", details=[d]).SerializeToString(deterministic=True)
///     # statusWithDebugInfoThenRetryInfo
///     d = any_pb2.Any(); d.Pack(error_details_pb2.DebugInfo(detail="collector busy"))
///     a = any_pb2.Any(); a.Pack(error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=3)))
///     status_pb2.Status(code=14, message="later", details=[d, a]).SerializeToString(deterministic=True)
///     # partialSuccess
///     ts.ExportTraceServiceResponse(partial_success=ts.ExportTracePartialSuccess(
///         rejected_spans=3, error_message="bad attr")).SerializeToString(deterministic=True)
///     # emptyPartialSuccess (the field present but holding only defaults)
///     r = ts.ExportTraceServiceResponse(); r.partial_success.SetInParent()
///     r.SerializeToString(deterministic=True)
///     # partialSuccessWarningOnly
///     ts.ExportTraceServiceResponse(partial_success=ts.ExportTracePartialSuccess(
///         rejected_spans=0, error_message="use gzip")).SerializeToString(deterministic=True)
///     # empty response: ts.ExportTraceServiceResponse().SerializeToString() == b""
final class RetryInfoDecoderTests: XCTestCase {
    /// google.rpc.Status(code=8, message="slow down", details=[Any(RetryInfo(1.5 s))]).
    private static let statusWithRetryInfo: [UInt8] = [
        0x08, 0x08, 0x12, 0x09, 0x73, 0x6c, 0x6f, 0x77, 0x20, 0x64, 0x6f, 0x77, 0x6e, 0x1a, 0x36, 0x0a,
        0x28, 0x74, 0x79, 0x70, 0x65, 0x2e, 0x67, 0x6f, 0x6f, 0x67, 0x6c, 0x65, 0x61, 0x70, 0x69, 0x73,
        0x2e, 0x63, 0x6f, 0x6d, 0x2f, 0x67, 0x6f, 0x6f, 0x67, 0x6c, 0x65, 0x2e, 0x72, 0x70, 0x63, 0x2e,
        0x52, 0x65, 0x74, 0x72, 0x79, 0x49, 0x6e, 0x66, 0x6f, 0x12, 0x0a, 0x0a, 0x08, 0x08, 0x01, 0x10,
        0x80, 0xca, 0xb5, 0xee, 0x01,
    ]

    /// google.rpc.RetryInfo(retry_delay=2.25 s).
    private static let bareRetryInfo: [UInt8] = [
        0x0a, 0x07, 0x08, 0x02, 0x10, 0x80, 0xe5, 0x9a, 0x77,
    ]

    /// google.rpc.Status(code=8, message="slow down", details=[Any(DebugInfo)]): no RetryInfo.
    private static let statusWithDebugInfoOnly: [UInt8] = [
        0x08, 0x08, 0x12, 0x09, 0x73, 0x6c, 0x6f, 0x77, 0x20, 0x64, 0x6f, 0x77, 0x6e, 0x1a, 0x42, 0x0a,
        0x28, 0x74, 0x79, 0x70, 0x65, 0x2e, 0x67, 0x6f, 0x6f, 0x67, 0x6c, 0x65, 0x61, 0x70, 0x69, 0x73,
        0x2e, 0x63, 0x6f, 0x6d, 0x2f, 0x67, 0x6f, 0x6f, 0x67, 0x6c, 0x65, 0x2e, 0x72, 0x70, 0x63, 0x2e,
        0x44, 0x65, 0x62, 0x75, 0x67, 0x49, 0x6e, 0x66, 0x6f, 0x12, 0x16, 0x0a, 0x01, 0x61, 0x0a, 0x01,
        0x62, 0x12, 0x0e, 0x63, 0x6f, 0x6c, 0x6c, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20, 0x62, 0x75, 0x73,
        0x79,
    ]

    /// google.rpc.Status(code=14, message="later", details=[Any(DebugInfo), Any(RetryInfo(3 s))]).
    private static let statusWithDebugInfoThenRetryInfo: [UInt8] = [
        0x08, 0x0e, 0x12, 0x05, 0x6c, 0x61, 0x74, 0x65, 0x72, 0x1a, 0x3c, 0x0a, 0x28, 0x74, 0x79, 0x70,
        0x65, 0x2e, 0x67, 0x6f, 0x6f, 0x67, 0x6c, 0x65, 0x61, 0x70, 0x69, 0x73, 0x2e, 0x63, 0x6f, 0x6d,
        0x2f, 0x67, 0x6f, 0x6f, 0x67, 0x6c, 0x65, 0x2e, 0x72, 0x70, 0x63, 0x2e, 0x44, 0x65, 0x62, 0x75,
        0x67, 0x49, 0x6e, 0x66, 0x6f, 0x12, 0x10, 0x12, 0x0e, 0x63, 0x6f, 0x6c, 0x6c, 0x65, 0x63, 0x74,
        0x6f, 0x72, 0x20, 0x62, 0x75, 0x73, 0x79, 0x1a, 0x30, 0x0a, 0x28, 0x74, 0x79, 0x70, 0x65, 0x2e,
        0x67, 0x6f, 0x6f, 0x67, 0x6c, 0x65, 0x61, 0x70, 0x69, 0x73, 0x2e, 0x63, 0x6f, 0x6d, 0x2f, 0x67,
        0x6f, 0x6f, 0x67, 0x6c, 0x65, 0x2e, 0x72, 0x70, 0x63, 0x2e, 0x52, 0x65, 0x74, 0x72, 0x79, 0x49,
        0x6e, 0x66, 0x6f, 0x12, 0x04, 0x0a, 0x02, 0x08, 0x03,
    ]

    /// ExportTraceServiceResponse(partial_success=ExportTracePartialSuccess(rejected_spans=3, error_message="bad attr")).
    private static let partialSuccess: [UInt8] = [
        0x0a, 0x0c, 0x08, 0x03, 0x12, 0x08, 0x62, 0x61, 0x64, 0x20, 0x61, 0x74, 0x74, 0x72,
    ]

    /// ExportTraceServiceResponse with partial_success present but empty (rejected 0, no message).
    private static let emptyPartialSuccess: [UInt8] = [0x0a, 0x00]

    /// ExportTraceServiceResponse(partial_success=(rejected_spans=0, error_message="use gzip")): a warning.
    private static let partialSuccessWarningOnly: [UInt8] = [
        0x0a, 0x0a, 0x12, 0x08, 0x75, 0x73, 0x65, 0x20, 0x67, 0x7a, 0x69, 0x70,
    ]

    /// Not a valid message: field 2 (length-delimited) claims 16 bytes, one follows.
    private static let truncatedLengthDelimited: [UInt8] = [0x12, 0x10, 0x41]
    /// Not a valid message: field 1 claims 16 bytes, one follows.
    private static let truncatedField1: [UInt8] = [0x0a, 0x10, 0x01]
    /// Not a valid message: an unterminated tag varint.
    private static let unterminatedVarint: [UInt8] = [0xff, 0xff, 0xff, 0xff]

    // MARK: - RetryInfo

    func testStatusDetailsWithRetryInfoGiveItsDelay() {
        XCTAssertEqual(RetryInfoDecoder.delay(statusDetails: Self.statusWithRetryInfo, retryInfo: nil),
                       .milliseconds(1500))
    }

    func testBareRetryInfoGivesItsDelay() {
        XCTAssertEqual(RetryInfoDecoder.delay(statusDetails: nil, retryInfo: Self.bareRetryInfo),
                       .milliseconds(2250))
    }

    func testStatusDetailsWithoutRetryInfoGiveNil() {
        XCTAssertNil(RetryInfoDecoder.delay(statusDetails: Self.statusWithDebugInfoOnly, retryInfo: nil))
    }

    func testRetryInfoAfterAnotherDetailIsFound() {
        XCTAssertEqual(RetryInfoDecoder.delay(statusDetails: Self.statusWithDebugInfoThenRetryInfo, retryInfo: nil),
                       .seconds(3))
    }

    func testStatusFormIsPreferredWhenBothAreGiven() {
        XCTAssertEqual(RetryInfoDecoder.delay(statusDetails: Self.statusWithRetryInfo, retryInfo: Self.bareRetryInfo),
                       .milliseconds(1500))
    }

    func testBareRetryInfoIsUsedWhenStatusHasNone() {
        XCTAssertEqual(RetryInfoDecoder.delay(statusDetails: Self.statusWithDebugInfoOnly, retryInfo: Self.bareRetryInfo),
                       .milliseconds(2250))
    }

    func testNoTrailersGiveNil() {
        XCTAssertNil(RetryInfoDecoder.delay(statusDetails: nil, retryInfo: nil))
    }

    func testGarbageStatusDetailsGiveNil() {
        XCTAssertNil(RetryInfoDecoder.delay(statusDetails: Self.truncatedLengthDelimited, retryInfo: nil))
        XCTAssertNil(RetryInfoDecoder.delay(statusDetails: Self.unterminatedVarint, retryInfo: nil))
    }

    func testGarbageBareRetryInfoGivesNil() {
        XCTAssertNil(RetryInfoDecoder.delay(statusDetails: nil, retryInfo: Self.truncatedField1))
        XCTAssertNil(RetryInfoDecoder.delay(statusDetails: nil, retryInfo: Self.unterminatedVarint))
    }

    func testGarbageStatusDetailsFallBackToBareRetryInfo() {
        XCTAssertEqual(RetryInfoDecoder.delay(statusDetails: Self.truncatedLengthDelimited, retryInfo: Self.bareRetryInfo),
                       .milliseconds(2250))
    }

    func testRetryInfoTypeURLIsTheGoogleAPIsOne() {
        XCTAssertEqual(RetryInfoDecoder.retryInfoTypeURL, "type.googleapis.com/google.rpc.RetryInfo")
    }

    // MARK: - Partial success

    func testPartialSuccessGivesRejectedCountAndMessage() {
        let partial = ExportResponseDecoder.partialSuccess(Self.partialSuccess)
        XCTAssertEqual(partial?.rejected, 3)
        XCTAssertEqual(partial?.message, "bad attr")
    }

    func testEmptyResponseIsFullSuccess() {
        XCTAssertNil(ExportResponseDecoder.partialSuccess([]))
    }

    /// The OTLP specification: a warning-only partial success has rejected 0 and a non-empty message;
    /// it is still reported.
    func testWarningOnlyPartialSuccessIsReported() {
        let partial = ExportResponseDecoder.partialSuccess(Self.partialSuccessWarningOnly)
        XCTAssertEqual(partial?.rejected, 0)
        XCTAssertEqual(partial?.message, "use gzip")
    }

    /// A `partial_success` field holding only defaults (0 rejected, empty message) rejects nothing and
    /// says nothing: it is full success, not a partial one.
    func testEmptyPartialSuccessFieldIsFullSuccess() {
        let partial = ExportResponseDecoder.partialSuccess(Self.emptyPartialSuccess)
        XCTAssertNil(partial, "got \(String(describing: partial))")
    }

    func testGarbageResponseIsNotAPartialSuccess() {
        XCTAssertNil(ExportResponseDecoder.partialSuccess(Self.truncatedField1))
    }
}
