import OTLPExport

/// A span with every attribute type, an event, a link and an error status.
func sampleSpan(index: Int = 0, scope: InstrumentationScope = InstrumentationScope(name: "test.scope", version: "1.2.3")) -> SpanRecord {
    SpanRecord(
        traceID: TraceID(high: 0x0102_0304_0506_0708, low: 0x090a_0b0c_0d0e_0f10),
        spanID: SpanID(0x1112_1314_1516_1700 + UInt64(index)),
        parentSpanID: SpanID(0xabcd_ef00_0102_03ff),
        traceFlags: 1, traceState: "vendor=value", parentIsRemote: false,
        name: "chat granite-\(index)", kind: .client,
        startTimeUnixNano: 1_700_000_000_123_456_789, endTimeUnixNano: 1_700_000_000_124_956_789,
        attributes: [
            Attribute("s", .string("héllo \"quoted\"")),
            Attribute("b", .bool(true)),
            Attribute("i", .int(-9_223_372_036_854_775_807)),
            Attribute("d", .double(0.7)),
            Attribute("sa", .stringArray(["stop", "length"])),
            Attribute("ba", .boolArray([true, false])),
            Attribute("ia", .intArray([1, 2, 3])),
            Attribute("da", .doubleArray([0.5, 1.5])),
            Attribute("by", .bytes([0, 1, 0xfe, 0xff])),
        ],
        events: [SpanEvent(name: "gen_ai.content.first_token", timeUnixNano: 1_700_000_000_124_000_000,
                           attributes: [Attribute("gen_ai.server.time_to_first_token", .double(0.042))],
                           droppedAttributesCount: 1)],
        links: [SpanLink(traceID: TraceID(high: 0xfefe_fefe_fefe_fefe, low: 0xfefe_fefe_fefe_fefe),
                         spanID: SpanID(0x0a0a_0a0a_0a0a_0a0a), traceFlags: 1, traceState: "lk=lv",
                         attributes: [Attribute("link.i", .int(7))])],
        status: .error(description: "boom"), scope: scope,
        droppedAttributesCount: 2, droppedEventsCount: 3, droppedLinksCount: 4)
}
