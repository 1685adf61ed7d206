import XCTest
@testable import OTLPExport

/// Reading configuration with every diagnostic kept, and checking the one warning expected.
extension XCTestCase {
    func exporterConfiguration(_ variables: [String: String]) -> (OTLPExporterConfiguration, [String]) {
        let recorder = RecordingDiagnostics()
        let config = OTLPExporterConfiguration.fromEnvironment(EnvironmentReader(variables, diagnostics: recorder.diagnostics))
        return (config, recorder.messages.map(\.text))
    }

    func assertOneWarning(_ messages: [String], contains parts: [String], never hidden: [String] = [],
                          _ context: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(messages.count, 1, "\(context): \(messages)", file: file, line: line)
        for part in parts {
            XCTAssertTrue(messages.first?.contains(part) == true, "\(context): '\(part)' not in \(messages)", file: file, line: line)
        }
        for secret in hidden {
            XCTAssertFalse(messages.joined().contains(secret), "\(context): '\(secret)' shown in \(messages)", file: file, line: line)
        }
    }
}
