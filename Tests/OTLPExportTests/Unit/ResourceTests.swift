import Foundation
import XCTest
@testable import OTLPExport

/// The resource from `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES`.
final class ResourceTests: XCTestCase {
    private func fromEnvironment(_ variables: [String: String],
                          defaultServiceName: String? = nil) -> (Resource, [DiagnosticMessage]) {
        let recorder = RecordingDiagnostics()
        let resource = Resource.fromEnvironment(EnvironmentReader(variables, diagnostics: recorder.diagnostics),
                                                defaultServiceName: defaultServiceName)
        return (resource, recorder.messages)
    }

    private func keys(_ resource: Resource) -> [String] { resource.attributes.map { $0.key } }

    // MARK: - service.name

    func testDefaultServiceNameIsUnknownServiceWithProcessName() {
        let (resource, messages) = fromEnvironment([:])
        XCTAssertEqual(resource["service.name"], .string("unknown_service:\(ProcessInfo.processInfo.processName)"))
        XCTAssertTrue(messages.isEmpty)
    }

    func testDefaultServiceNameArgumentReplacesUnknownService() {
        let (resource, _) = fromEnvironment([:], defaultServiceName: "mellea")
        XCTAssertEqual(resource["service.name"], .string("mellea"))
    }

    func testServiceNameFromResourceAttributesIsUsed() {
        let (resource, _) = fromEnvironment(["OTEL_RESOURCE_ATTRIBUTES": "service.name=from-attributes"])
        XCTAssertEqual(resource["service.name"], .string("from-attributes"))
    }

    func testOTELServiceNameWinsOverServiceNameInResourceAttributes() {
        let (resource, messages) = fromEnvironment([
            "OTEL_RESOURCE_ATTRIBUTES": "service.name=from-attributes",
            "OTEL_SERVICE_NAME": "from-service-name",
        ])
        XCTAssertEqual(resource["service.name"], .string("from-service-name"))
        XCTAssertEqual(keys(resource).filter { $0 == "service.name" }.count, 1)
        XCTAssertTrue(messages.isEmpty)
    }

    func testOTELServiceNameWinsOverDefaultServiceNameArgument() {
        let (resource, _) = fromEnvironment(["OTEL_SERVICE_NAME": "svc"], defaultServiceName: "fallback")
        XCTAssertEqual(resource["service.name"], .string("svc"))
    }

    func testEmptyOTELServiceNameIsIgnored() {
        let (resource, _) = fromEnvironment(["OTEL_SERVICE_NAME": ""], defaultServiceName: "fallback")
        XCTAssertEqual(resource["service.name"], .string("fallback"))
    }

    // MARK: - OTEL_RESOURCE_ATTRIBUTES

    func testResourceAttributesAreAddedAsStrings() {
        let (resource, messages) = fromEnvironment(["OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=prod,team=ai"])
        XCTAssertEqual(resource["deployment.environment"], .string("prod"))
        XCTAssertEqual(resource["team"], .string("ai"))
        XCTAssertTrue(messages.isEmpty)
    }

    func testKeysAndValuesArePercentDecoded() {
        let (resource, messages) = fromEnvironment(["OTEL_RESOURCE_ATTRIBUTES": "k%2Cx=v%3Dy"])
        XCTAssertEqual(resource["k,x"], .string("v=y"))
        XCTAssertNil(resource["k%2Cx"])
        XCTAssertTrue(messages.isEmpty)
    }

    func testWhitespaceAroundEntriesIsTrimmed() {
        let (resource, _) = fromEnvironment(["OTEL_RESOURCE_ATTRIBUTES": " a = 1 , b=2 "])
        XCTAssertEqual(resource["a"], .string("1"))
        XCTAssertEqual(resource["b"], .string("2"))
    }

    func testEntryWithoutEqualsDiscardsTheWholeVariableWithOneWarning() {
        let (resource, messages) = fromEnvironment(["OTEL_RESOURCE_ATTRIBUTES": "good=1,broken,later=2"])
        XCTAssertNil(resource["good"])
        XCTAssertNil(resource["later"])
        XCTAssertNil(resource["broken"])
        XCTAssertEqual(messages.count, 1)
        XCTAssertEqual(messages.first?.level, .warning)
        XCTAssertTrue(messages.first?.text.contains("OTEL_RESOURCE_ATTRIBUTES") ?? false)
    }

    func testBadPercentEscapeDiscardsTheWholeVariableWithOneWarning() {
        let (resource, messages) = fromEnvironment(["OTEL_RESOURCE_ATTRIBUTES": "good=1,a=%zz"])
        XCTAssertNil(resource["good"])
        XCTAssertNil(resource["a"])
        XCTAssertEqual(messages.count, 1)
        XCTAssertEqual(messages.first?.level, .warning)
        XCTAssertTrue(messages.first?.text.contains("OTEL_RESOURCE_ATTRIBUTES") ?? false)
    }

    func testDiscardedVariableDoesNotOverrideServiceName() {
        let (resource, _) = fromEnvironment(["OTEL_RESOURCE_ATTRIBUTES": "service.name=x,broken"],
                                     defaultServiceName: "fallback")
        XCTAssertEqual(resource["service.name"], .string("fallback"))
    }

    func testEmptyEntriesAreSkipped() {
        let (resource, messages) = fromEnvironment(["OTEL_RESOURCE_ATTRIBUTES": "a=1,,b=2,"])
        XCTAssertEqual(resource["a"], .string("1"))
        XCTAssertEqual(resource["b"], .string("2"))
        XCTAssertTrue(messages.isEmpty)
    }

    // MARK: - SDK identity

    func testTelemetrySDKAttributesArePresent() {
        let (resource, _) = fromEnvironment([:])
        XCTAssertEqual(resource["telemetry.sdk.name"], .string("mellea-tracing"))
        XCTAssertEqual(resource["telemetry.sdk.language"], .string("swift"))
        XCTAssertEqual(resource["telemetry.sdk.version"], .string(Resource.sdkVersion))
        XCTAssertFalse(Resource.sdkVersion.isEmpty)
    }

    func testUserAttributesFollowTheSDKAttributes() {
        let (resource, _) = fromEnvironment(["OTEL_RESOURCE_ATTRIBUTES": "z=1"])
        XCTAssertEqual(keys(resource), [
            "service.name", "telemetry.sdk.name", "telemetry.sdk.language", "telemetry.sdk.version", "z",
        ])
    }

    // MARK: - Duplicates

    func testLaterDuplicateWinsAndFirstPositionIsKept() {
        let resource = Resource(attributes: [
            Attribute("a", .int(1)), Attribute("b", .int(2)), Attribute("a", .int(3)), Attribute("c", .int(4)),
        ])
        XCTAssertEqual(resource.attributes, [Attribute("a", .int(3)), Attribute("b", .int(2)), Attribute("c", .int(4))])
    }

    func testDuplicateKeysInResourceAttributesKeepTheLaterValue() {
        let (resource, _) = fromEnvironment(["OTEL_RESOURCE_ATTRIBUTES": "a=1,b=2,a=3"])
        XCTAssertEqual(resource["a"], .string("3"))
        XCTAssertEqual(Array(keys(resource).suffix(2)), ["a", "b"])
    }

    func testSubscriptOfMissingKeyIsNil() {
        XCTAssertNil(Resource(attributes: [Attribute("a", .int(1))])["b"])
    }
}
