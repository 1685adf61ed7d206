import Foundation
import XCTest
@testable import OTLPExport

/// The batch processor and the OTLP exporter together, with the real receiver really stopped,
/// killed and restarted.
final class PipelineFaultTests: XCTestCase {
    private func pipeline(port: Int, exportTimeout: Duration = .seconds(5), delay: Duration = .milliseconds(100),
                          queue: Int = 2048, diagnostics: Diagnostics = RecordingDiagnostics().diagnostics) throws -> BatchSpanProcessor {
        var exporterConfiguration = OTLPExporterConfiguration()
        exporterConfiguration.endpoint = OTLPEndpoint(target: "127.0.0.1:\(port)", usesTLS: false)
        exporterConfiguration.timeout = exportTimeout
        let exporter = try OTLPTraceExporter(configuration: exporterConfiguration,
                                             resource: Resource(attributes: [Attribute("service.name", "faults")]),
                                             diagnostics: diagnostics)
        return BatchSpanProcessor(exporter: exporter, configuration: processorConfiguration(delay: delay, queue: queue, batch: 64),
                                  diagnostics: diagnostics)
    }

    private func receivedNames(_ receiver: Receiver) -> Set<String> {
        Set(receiver.acceptedSpans().compactMap { $0["name"] as? String })
    }

    func testSpansEndedBeforeTheReceiverStartsAllArrive() throws {
        let port = unusedPort()
        let processor = try pipeline(port: port)
        for i in 0..<300 { processor.onEnd(tinySpan(i)) }
        Thread.sleep(forTimeInterval: 1.0)
        let receiver = try Receiver(port: port)
        for i in 300..<400 { processor.onEnd(tinySpan(i)) }
        XCTAssertTrue(processor.shutdown(timeout: .seconds(15)))
        let stats = processor.statistics
        XCTAssertEqual(stats.exported, 400, "\(stats)")
        XCTAssertEqual(receivedNames(receiver), Set((0..<400).map { "s\($0)" }))
        print("absent-at-start: produced=\(stats.produced) delivered=\(stats.exported) retries=\(stats.retries)")
    }

    func testReceiverKilledAndRestartedLosesNothingWithinQueueCapacity() throws {
        var receiver = try Receiver()
        let port = receiver.port
        let processor = try pipeline(port: port, exportTimeout: .seconds(10))
        var produced = 0
        for step in 0..<60 {
            if step == 20 { receiver.kill() }
            if step == 40 { receiver = try Receiver(port: port) }
            for _ in 0..<20 { processor.onEnd(tinySpan(produced)); produced += 1 }
            Thread.sleep(forTimeInterval: 0.05)
        }
        XCTAssertTrue(processor.shutdown(timeout: .seconds(20)))
        let stats = processor.statistics
        XCTAssertEqual(stats.produced, produced)
        XCTAssertEqual(stats.exported, produced, "\(stats)")
        XCTAssertEqual(stats.dropped, 0)
        print("kill-restart: produced=\(produced) delivered=\(stats.exported) retries=\(stats.retries)")
    }

    func testShutdownWithoutReceiverReturnsWithinItsTimeout() throws {
        let processor = try pipeline(port: unusedPort(), exportTimeout: .seconds(30))
        for i in 0..<1000 { processor.onEnd(tinySpan(i)) }
        Thread.sleep(forTimeInterval: 0.3)
        let start = ContinuousClock.now
        let clean = processor.shutdown(timeout: .seconds(1))
        let elapsed = ContinuousClock.now - start
        XCTAssertLessThan(elapsed, .milliseconds(1200))
        XCTAssertTrue(eventually(5) {
            let s = processor.statistics
            return s.dropped == 1000 && s.queued == 0 && s.inFlight == 0
        }, "\(processor.statistics)")
        print("shutdown-no-receiver: clean=\(clean) elapsed=\(elapsed) \(processor.statistics)")
    }

    /// A 60 s outage under steady load: memory stays bounded and every drop is counted by reason.
    func testSixtySecondOutageKeepsMemoryBoundedAndCountsDrops() throws {
        let seconds = Int(ProcessInfo.processInfo.environment["MELLEA_OUTAGE_SECONDS"] ?? "") ?? 60
        var receiver = try Receiver()
        let port = receiver.port
        let processor = try pipeline(port: port, exportTimeout: .seconds(2), queue: 2048)
        var produced = 0
        func produce(for duration: TimeInterval) {
            let end = Date().addingTimeInterval(duration)
            while Date() < end {
                for _ in 0..<100 { processor.onEnd(sampleSpan(index: produced)); produced += 1 }
                Thread.sleep(forTimeInterval: 0.01)
            }
        }
        produce(for: 2)
        receiver.kill()
        let rssAtOutage = residentMegabytes()
        var peakRSS = rssAtOutage
        for _ in 0..<seconds {
            produce(for: 1)
            peakRSS = max(peakRSS, residentMegabytes())
        }
        let duringOutage = processor.statistics
        receiver = try Receiver(port: port)
        produce(for: 3)
        XCTAssertTrue(processor.shutdown(timeout: .seconds(10)))
        let stats = processor.statistics
        XCTAssertEqual(stats.produced, produced)
        XCTAssertEqual(stats.exported + stats.dropped, produced, "\(stats)")
        XCTAssertGreaterThan(duringOutage.droppedQueueFull, 0, "a long outage must overflow the queue")
        XCTAssertGreaterThan(duringOutage.droppedExportFailed, 0, "exports during the outage must fail and be counted")
        XCTAssertLessThan(peakRSS - rssAtOutage, 64, "memory grew by \(peakRSS - rssAtOutage) MB during the outage")
        XCTAssertGreaterThan(receiver.acceptedSpans().count, 0, "nothing arrived after the receiver came back")
        print("outage-\(seconds)s: produced=\(produced) delivered=\(stats.exported) dropped_queue_full=\(stats.droppedQueueFull) "
              + "dropped_export_failed=\(stats.droppedExportFailed) rss_at_outage=\(rssAtOutage)MB peak_rss=\(peakRSS)MB")
    }
}

/// Current resident set size of this process, in MiB.
func residentMegabytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE))) / (1024 * 1024)
}
