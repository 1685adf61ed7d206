import XCTest
@testable import OTLPExport

/// The OpenTelemetry specification's rules for reading configuration variables.
final class EnvironmentReaderTests: XCTestCase {
    private func reader(_ variables: [String: String]) -> (EnvironmentReader, RecordingDiagnostics) {
        let recorder = RecordingDiagnostics()
        return (EnvironmentReader(variables, diagnostics: recorder.diagnostics), recorder)
    }

    // MARK: - Empty is unset

    func testEmptyStringIsTheSameAsUnset() {
        let (env, recorder) = reader(["X": ""])
        XCTAssertNil(env.string("X"))
        XCTAssertNil(env.string("NOT_SET"))
        XCTAssertTrue(recorder.messages.isEmpty)
    }

    func testWhitespaceOnlyValueIsTheSameAsUnset() {
        let (env, _) = reader(["X": "   "])
        XCTAssertNil(env.string("X"))
    }

    func testSetValueIsReturned() {
        let (env, _) = reader(["X": "value"])
        XCTAssertEqual(env.string("X"), "value")
    }

    func testEmptyBooleanGivesTheDefaultWithoutWarning() {
        let (env, recorder) = reader(["B": ""])
        XCTAssertTrue(env.bool("B", default: true))
        XCTAssertFalse(env.bool("B", default: false))
        XCTAssertTrue(recorder.messages.isEmpty)
    }

    func testEmptyIntegerGivesTheDefaultWithoutWarning() {
        let (env, recorder) = reader(["N": ""])
        XCTAssertEqual(env.integer("N", default: 42), 42)
        XCTAssertTrue(recorder.messages.isEmpty)
    }

    func testEmptyMillisecondsGiveTheDefaultWithoutWarning() {
        let (env, recorder) = reader(["T": ""])
        XCTAssertEqual(env.milliseconds("T", default: .seconds(7)), .seconds(7))
        XCTAssertTrue(recorder.messages.isEmpty)
    }

    // MARK: - Booleans

    func testUnsetBooleanIsFalseByDefault() {
        let (env, recorder) = reader([:])
        XCTAssertFalse(env.bool("B"))
        XCTAssertTrue(recorder.messages.isEmpty)
    }

    func testTrueInAnyCaseIsTrue() {
        let (env, recorder) = reader(["A": "true", "B": "TRUE", "C": "True"])
        XCTAssertTrue(env.bool("A"))
        XCTAssertTrue(env.bool("B"))
        XCTAssertTrue(env.bool("C"))
        XCTAssertTrue(recorder.messages.isEmpty)
    }

    func testFalseIsFalseWithoutWarning() {
        let (env, recorder) = reader(["A": "false", "B": "FALSE"])
        XCTAssertFalse(env.bool("A"))
        XCTAssertFalse(env.bool("B"))
        XCTAssertTrue(recorder.messages.isEmpty)
    }

    func testOneIsFalseWithOneWarningNamingVariableValueAndExpectation() {
        let (env, recorder) = reader(["OTEL_FLAG": "1"])
        XCTAssertFalse(env.bool("OTEL_FLAG"))
        XCTAssertEqual(recorder.messages.count, 1)
        XCTAssertEqual(recorder.messages.first?.level, .warning)
        let text = recorder.messages.first?.text ?? ""
        XCTAssertTrue(text.contains("OTEL_FLAG"), text)
        XCTAssertTrue(text.contains("'1'"), text)
        XCTAssertTrue(text.contains("expected true or false"), text)
    }

    func testYesIsFalseWithOneWarningNamingVariableAndValue() {
        let (env, recorder) = reader(["OTEL_FLAG": "yes"])
        XCTAssertFalse(env.bool("OTEL_FLAG"))
        XCTAssertEqual(recorder.messages.count, 1)
        let text = recorder.messages.first?.text ?? ""
        XCTAssertEqual(recorder.messages.first?.level, .warning)
        XCTAssertTrue(text.contains("OTEL_FLAG"), text)
        XCTAssertTrue(text.contains("'yes'"), text)
        XCTAssertTrue(text.contains("expected"), text)
    }

    // MARK: - Integers

    func testValidIntegerIsParsed() {
        let (env, recorder) = reader(["N": "512"])
        XCTAssertEqual(env.integer("N", default: 1), 512)
        XCTAssertTrue(recorder.messages.isEmpty)
    }

    func testUnsetIntegerGivesTheDefault() {
        let (env, recorder) = reader([:])
        XCTAssertEqual(env.integer("N", default: 9), 9)
        XCTAssertTrue(recorder.messages.isEmpty)
    }

    func testNonNumericIntegerGivesTheDefaultAndWarnsWithVariableAndValue() {
        let (env, recorder) = reader(["OTEL_N": "abc"])
        XCTAssertEqual(env.integer("OTEL_N", default: 9), 9)
        XCTAssertEqual(recorder.messages.count, 1)
        XCTAssertEqual(recorder.messages.first?.level, .warning)
        let text = recorder.messages.first?.text ?? ""
        XCTAssertTrue(text.contains("OTEL_N"), text)
        XCTAssertTrue(text.contains("'abc'"), text)
        XCTAssertTrue(text.contains("expected"), text)
    }

    func testNegativeIntegerGivesTheDefaultAndWarns() {
        let (env, recorder) = reader(["OTEL_N": "-1"])
        XCTAssertEqual(env.integer("OTEL_N", default: 9), 9)
        XCTAssertEqual(recorder.messages.count, 1)
        let text = recorder.messages.first?.text ?? ""
        XCTAssertTrue(text.contains("OTEL_N"), text)
        XCTAssertTrue(text.contains("'-1'"), text)
    }

    func testIntegerAboveInt32MaxGivesTheDefaultAndWarns() {
        let (env, recorder) = reader(["OTEL_N": "2147483648"])
        XCTAssertEqual(env.integer("OTEL_N", default: 9), 9)
        XCTAssertEqual(recorder.messages.count, 1)
        let text = recorder.messages.first?.text ?? ""
        XCTAssertTrue(text.contains("OTEL_N"), text)
        XCTAssertTrue(text.contains("'2147483648'"), text)
    }

    func testIntegerOutsideCustomRangeGivesTheDefaultAndWarns() {
        let (env, recorder) = reader(["OTEL_N": "11"])
        XCTAssertEqual(env.integer("OTEL_N", default: 5, range: 1...10), 5)
        XCTAssertEqual(recorder.messages.count, 1)
        let text = recorder.messages.first?.text ?? ""
        XCTAssertTrue(text.contains("OTEL_N"), text)
        XCTAssertTrue(text.contains("'11'"), text)
        XCTAssertTrue(text.contains("1...10"), text)
    }

    func testIntegerAtTheRangeBoundsIsAccepted() {
        let (env, recorder) = reader(["LOW": "1", "HIGH": "10"])
        XCTAssertEqual(env.integer("LOW", default: 5, range: 1...10), 1)
        XCTAssertEqual(env.integer("HIGH", default: 5, range: 1...10), 10)
        XCTAssertTrue(recorder.messages.isEmpty)
    }

    func testIntegerFromNamesReadsTheFirstSetName() {
        let (env, recorder) = reader(["SPECIFIC": "3", "GENERIC": "4"])
        XCTAssertEqual(env.integer(["SPECIFIC", "GENERIC"], default: 1), 3)
        XCTAssertEqual(env.integer(["MISSING", "GENERIC"], default: 1), 4)
        XCTAssertTrue(recorder.messages.isEmpty)
    }

    func testIntegerFromNamesWarnsWithTheNameThatWasRead() {
        let (env, recorder) = reader(["SPECIFIC": "x", "GENERIC": "4"])
        XCTAssertEqual(env.integer(["SPECIFIC", "GENERIC"], default: 1), 1)
        XCTAssertEqual(recorder.messages.count, 1)
        XCTAssertTrue(recorder.messages.first?.text.contains("SPECIFIC='x'") ?? false)
    }

    // MARK: - Milliseconds

    func testMillisecondsAreParsed() {
        let (env, recorder) = reader(["T": "1500"])
        XCTAssertEqual(env.milliseconds("T", default: .seconds(10)), .milliseconds(1500))
        XCTAssertTrue(recorder.messages.isEmpty)
    }

    func testZeroMillisecondsWithZeroMeansInfiniteIsInfinite() {
        let (env, recorder) = reader(["T": "0"])
        XCTAssertEqual(env.milliseconds("T", default: .seconds(10), zeroMeansInfinite: true), .infinite)
        XCTAssertTrue(recorder.messages.isEmpty)
    }

    func testZeroMillisecondsWithoutZeroMeansInfiniteIsZero() {
        let (env, recorder) = reader(["T": "0"])
        XCTAssertEqual(env.milliseconds("T", default: .seconds(10)), .zero)
        XCTAssertTrue(recorder.messages.isEmpty)
    }

    func testNegativeMillisecondsGiveTheDefaultAndWarn() {
        let (env, recorder) = reader(["OTEL_T": "-5"])
        XCTAssertEqual(env.milliseconds("OTEL_T", default: .seconds(10)), .seconds(10))
        XCTAssertEqual(recorder.messages.count, 1)
        XCTAssertEqual(recorder.messages.first?.level, .warning)
        let text = recorder.messages.first?.text ?? ""
        XCTAssertTrue(text.contains("OTEL_T"), text)
        XCTAssertTrue(text.contains("'-5'"), text)
        XCTAssertTrue(text.contains("milliseconds"), text)
    }

    func testFractionalMillisecondsGiveTheDefaultAndWarn() {
        let (env, recorder) = reader(["OTEL_T": "1.5"])
        XCTAssertEqual(env.milliseconds("OTEL_T", default: .seconds(10)), .seconds(10))
        XCTAssertEqual(recorder.messages.count, 1)
        XCTAssertTrue(recorder.messages.first?.text.contains("OTEL_T='1.5'") ?? false)
    }

    func testMillisecondsBelowMinimumGiveTheDefaultAndWarn() {
        let (env, recorder) = reader(["OTEL_T": "5"])
        XCTAssertEqual(env.milliseconds("OTEL_T", default: .seconds(1), minimum: 10), .seconds(1))
        XCTAssertEqual(recorder.messages.count, 1)
        XCTAssertTrue(recorder.messages.first?.text.contains("OTEL_T='5'") ?? false)
    }

    // MARK: - firstString

    func testFirstStringPrefersTheSignalSpecificName() {
        let (env, _) = reader(["OTEL_EXPORTER_OTLP_TRACES_X": "specific", "OTEL_EXPORTER_OTLP_X": "generic"])
        let found = env.firstString(["OTEL_EXPORTER_OTLP_TRACES_X", "OTEL_EXPORTER_OTLP_X"])
        XCTAssertEqual(found?.name, "OTEL_EXPORTER_OTLP_TRACES_X")
        XCTAssertEqual(found?.value, "specific")
    }

    func testFirstStringFallsBackToTheGenericName() {
        let (env, _) = reader(["OTEL_EXPORTER_OTLP_X": "generic"])
        let found = env.firstString(["OTEL_EXPORTER_OTLP_TRACES_X", "OTEL_EXPORTER_OTLP_X"])
        XCTAssertEqual(found?.name, "OTEL_EXPORTER_OTLP_X")
        XCTAssertEqual(found?.value, "generic")
    }

    func testFirstStringSkipsAnEmptySignalSpecificValue() {
        let (env, _) = reader(["OTEL_EXPORTER_OTLP_TRACES_X": "", "OTEL_EXPORTER_OTLP_X": "generic"])
        let found = env.firstString(["OTEL_EXPORTER_OTLP_TRACES_X", "OTEL_EXPORTER_OTLP_X"])
        XCTAssertEqual(found?.name, "OTEL_EXPORTER_OTLP_X")
        XCTAssertEqual(found?.value, "generic")
    }

    func testFirstStringIsNilWhenNoneIsSet() {
        let (env, _) = reader(["OTHER": "v"])
        XCTAssertNil(env.firstString(["A", "B"]))
    }

    // MARK: - Duration helpers

    func testInfiniteIsOneYear() {
        XCTAssertEqual(Duration.infinite, .seconds(365 * 24 * 3600))
    }

    func testWholeMillisecondsRoundsDown() {
        XCTAssertEqual((Duration.milliseconds(1500) + .nanoseconds(999_999)).wholeMilliseconds, 1500)
        XCTAssertEqual(Duration.seconds(2).wholeMilliseconds, 2000)
    }
}
