import OTLPExport
import OTLPReceiver
import XCTest

/// The receiver counting what the real exporter sends, with each of its decoders.
final class ReceiverCountingTests: XCTestCase {
    func testEachDecoderCountsEverySpanExported() async throws {
        for decoder in OTLPReceiver.Decoder.allCases {
            let receiver = try OTLPReceiver(address: "127.0.0.1:0", threads: 2, decoder: decoder)
            defer { receiver.stop() }
            let exporter = try exporter(to: "http://127.0.0.1:\(receiver.port)")
            var exported = 0
            for round in 0..<5 {
                let spans = (0..<(100 * (round + 1))).map { exampleSpan(index: $0) }
                let result = await exporter.export(spans)
                XCTAssertEqual(result, .success(spans.count), "\(decoder)")
                exported += spans.count
            }
            await exporter.shutdown(timeout: .seconds(5))
            XCTAssertEqual(receiver.spans, exported, "\(decoder)")
            XCTAssertEqual(receiver.requests, 5, "\(decoder)")
            XCTAssertEqual(receiver.failures, 0, "\(decoder)")
        }
    }

    func testCountsStayReadableAfterStop() async throws {
        let receiver = try OTLPReceiver()
        let exporter = try exporter(to: "http://127.0.0.1:\(receiver.port)")
        _ = await exporter.export([exampleSpan(index: 0), exampleSpan(index: 1)])
        await exporter.shutdown(timeout: .seconds(5))
        receiver.stop()
        XCTAssertEqual(receiver.counts.spans, 2)
        XCTAssertEqual(receiver.counts.requests, 1)
        XCTAssertGreaterThan(receiver.counts.bytes, 0)
    }

    func testATakenPortIsAnErrorNamingTheAddress() throws {
        let first = try OTLPReceiver()
        defer { first.stop() }
        XCTAssertThrowsError(try OTLPReceiver(address: "127.0.0.1:\(first.port)")) { error in
            XCTAssertTrue(String(describing: error).contains("127.0.0.1:\(first.port)"), "\(error)")
        }
    }
}
