import Synchronization

/// The operations a running span's builder performs on its record. Each does nothing once the
/// span has ended (from then on the record belongs to the export pipeline and never changes), or
/// when the span is not sampled.
///
/// They live in this module because the record's storage opts out of run-time exclusivity checks
/// (its single owner guarantees exclusivity) and that opt-out only holds for accesses compiled here.
/// The attribute append is `@inlinable`: its body is compiled here too, and inlined into callers
/// (the builder's own append, then the application's call site) it costs no call at all.
extension SpanRecord {
    /// Whether the span is sampled and still running.
    @inlinable @inline(__always)
    package var acceptsChanges: Bool { traceFlags & 1 != 0 && !isFinished }

    /// Appends an attribute without looking for an earlier one with the same key, or counts it as
    /// dropped when `limit` attributes (or the storage's maximum, 65,535) are already set.
    @inlinable @inline(__always)
    package func appendAttribute(_ key: consuming String, _ value: consuming AttributeValue, limit: Int) {
        guard acceptsChanges else { return }
        if attributeStorage.count < Swift.min(limit, AttributeStorage.maximumCount) {
            attributeStorage.append(key, value)
        } else {
            countDroppedAttribute()
        }
    }

    @usableFromInline
    package func countDroppedAttribute() { droppedAttributesCount &+= 1 }

    @usableFromInline
    package func countDroppedEvent() { droppedEventsCount &+= 1 }

    /// Sets an attribute, replacing one with the same key, within `limit`.
    package func setAttribute(_ attribute: consuming Attribute, limit: Int) {
        guard acceptsChanges else { return }
        if let index = attributeStorage.firstIndex(of: attribute.key) {
            attributeStorage[index] = attribute
        } else {
            appendAttribute(attribute.key, attribute.value, limit: limit)
        }
    }

    /// Removes every attribute, keeping their storage.
    package func removeAllAttributes() {
        guard acceptsChanges else { return }
        attributeStorage.removeAll()
    }

    /// The value of attribute `key`, if set.
    package func attributeValue(_ key: String) -> AttributeValue? {
        attributeStorage.firstIndex(of: key).map { attributeStorage[$0].value }
    }


    /// Appends an event, or counts it as dropped when `limit` events are already recorded.
    @inlinable @inline(__always)
    package func appendEvent(_ event: consuming SpanEvent, limit: Int) {
        guard acceptsChanges else { return }
        if eventList.count < limit {
            eventList.append(event)
        } else {
            countDroppedEvent()
        }
    }

    /// Appends a link, or counts it as dropped when `limit` links are already recorded.
    package func appendLink(_ link: consuming SpanLink, limit: Int) {
        guard acceptsChanges else { return }
        if links.count < limit {
            links.append(link)
        } else {
            droppedLinksCount &+= 1
        }
    }

    /// Renames the running span.
    package func rename(_ newName: String) {
        guard acceptsChanges else { return }
        name = newName
    }


    /// Sets the status of the running span.
    package func setRunningStatus(_ newStatus: SpanStatus) {
        guard acceptsChanges else { return }
        status = newStatus
    }

    /// Ends the span at `time`, or at its start if `time` is earlier (a wall clock may step back);
    /// `false` if it had already ended. Of calls racing from several threads exactly one returns
    /// `true` (one compare-and-swap, no lock), and only that one writes the end time.
    @usableFromInline
    package func finish(at time: UInt64) -> Bool {
        guard ended.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            return false
        }
        endTimeUnixNano = max(time, startTimeUnixNano)
        return true
    }

    /// Whether the span has ended: one relaxed load (the end itself is decided by `finish`'s
    /// compare-and-swap; a running span's other changes come from its one owner).
    @inlinable
    package var isFinished: Bool { ended.load(ordering: .relaxed) }
}
