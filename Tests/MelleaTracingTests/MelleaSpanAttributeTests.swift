import MelleaTracing
import OTLPExport
import Tracing
import XCTest

/// Attributes set through swift-distributed-tracing's `Span` reach the record when the span ends:
/// every supported kind converted, the last value of a key kept, kinds OTLP cannot carry left out.
final class MelleaSpanAttributeTests: XCTestCase {
    func testEveryAttributeKindArrivesOnceWithItsLastValue() throws {
        let collector = CollectingProcessor()
        let tracer = MelleaTracer(core: TracerCore(processor: collector))
        let span = tracer.startSpan("chat m", context: InstrumentationContext.topLevel, ofKind: .client)
        span.updateAttributes { attributes in
            attributes["s"] = "first"
            attributes["i"] = 7
            attributes["d"] = 0.5
            attributes["b"] = true
            attributes["sa"] = ["stop"]
            attributes["ia"] = [Int64(1), 2]
            attributes["s"] = "last"
        }
        span.attributes["late"] = "set outside updateAttributes"
        span.end()

        let record = try XCTUnwrap(collector.spans.withLock { $0 }.first)
        let byKey = Dictionary(uniqueKeysWithValues: record.attributes.map { ($0.key, $0.value) })
        XCTAssertEqual(record.attributes.count, 7, "one attribute per key")
        XCTAssertEqual(byKey["s"], .string("last"))
        XCTAssertEqual(byKey["i"], .int(7))
        XCTAssertEqual(byKey["d"], .double(0.5))
        XCTAssertEqual(byKey["b"], .bool(true))
        XCTAssertEqual(byKey["sa"], .stringArray(["stop"]))
        XCTAssertEqual(byKey["ia"], .intArray([1, 2]))
        XCTAssertEqual(byKey["late"], .string("set outside updateAttributes"))
    }

    func testAnUpdateMayUseTheSpanAndWhatItSetsMeanwhileWins() throws {
        let collector = CollectingProcessor()
        let tracer = MelleaTracer(core: TracerCore(processor: collector))
        let span = tracer.startSpan("chat m", context: InstrumentationContext.topLevel, ofKind: .client)
        span.attributes["kept"] = "from before"
        span.updateAttributes { attributes in
            attributes["name"] = span.operationName  // no deadlock: the lock is not held
            attributes["both"] = "from the update"
            span.attributes["both"] = "set on the span meanwhile"
        }
        span.end()
        let record = try XCTUnwrap(collector.spans.withLock { $0 }.first)
        let byKey = Dictionary(uniqueKeysWithValues: record.attributes.map { ($0.key, $0.value) })
        XCTAssertEqual(byKey, ["kept": .string("from before"), "name": .string("chat m"),
                               "both": .string("set on the span meanwhile")])
    }

    func testAttributesArriveThroughTheGenericSpanProtocolToo() throws {
        let collector = CollectingProcessor()
        let tracer = MelleaTracer(core: TracerCore(processor: collector))
        let span: any Tracing.Span = tracer.startSpan("generic", context: InstrumentationContext.topLevel, ofKind: .internal)
        span.updateAttributes { attributes in
            attributes["s"] = "v"
            attributes["i"] = 3
        }
        span.end()
        let record = try XCTUnwrap(collector.spans.withLock { $0 }.first)
        XCTAssertEqual(Set(record.attributes.map(\.key)), ["s", "i"])
    }
}
