import XCTest
@testable import OTLPExport

/// Span records point at one shared copy of their scope.
final class InternedScopeTests: XCTestCase {
    func testEqualScopesShareOneCopyAndDifferentOnesDoNot() {
        let a = InternedScope.intern(InstrumentationScope(name: "interned.a", version: "1"))
        let again = InternedScope.intern(InstrumentationScope(name: "interned.\("a")", version: "1"))
        let otherVersion = InternedScope.intern(InstrumentationScope(name: "interned.a", version: "2"))
        XCTAssertEqual(a.toOpaque(), again.toOpaque())
        XCTAssertNotEqual(a.toOpaque(), otherVersion.toOpaque())
        let record = SpanRecord(traceID: TraceID(high: 1, low: 2), spanID: SpanID(3), name: "s", startTimeUnixNano: 1,
                                endTimeUnixNano: 2, scope: InstrumentationScope(name: "interned.a", version: "2"))
        XCTAssertEqual(record.internedScope.toOpaque(), otherVersion.toOpaque())
        XCTAssertEqual(record.scope, InstrumentationScope(name: "interned.a", version: "2"))
    }

    func testCanonicallyEquivalentSpellingsStayApart() {
        let composed = InternedScope.intern(InstrumentationScope(name: "caf\u{E9}"))
        let decomposed = InternedScope.intern(InstrumentationScope(name: "cafe\u{301}"))
        XCTAssertNotEqual(composed.toOpaque(), decomposed.toOpaque())
        XCTAssertEqual(Array(decomposed.takeUnretainedValue().scope.name.utf8), Array("cafe\u{301}".utf8),
                       "each keeps its own bytes")
    }
}
