/// What `hookline erase` removes from one audit line: a contact's personal data, keeping the
/// facts an audit needs.
///
/// A line is the contact's when it is about an event (`event`) of that contact (`contact`, and
/// `source` when one is named) — every line of an event carries its contact id. Such a line
/// loses its payload (the body as received), its prose (`error`, which may quote a target's
/// answer about the contact's values) and `payload_kept`, and gains `erased` (when) and
/// `erased_reason` (why). Its ids, times, outcome, targets, attempts, status codes and calls
/// stay. Every other line is left byte for byte.
package struct ContactErasure: Sendable, Hashable {
    package var contact: String
    package var source: String?
    package var reason: String
    package var at: UnixTime

    package init(contact: String, source: String?, reason: String, at: UnixTime) {
        self.contact = contact
        self.source = source
        self.reason = reason
        self.at = at
        var needle = Array(#""contact":"#.utf8)
        JSONWriter.writeString(contact, into: &needle)
        self.needle = needle
    }

    /// `"contact":"<id>"` as the writer writes it: a line without it is not the contact's, and
    /// is not parsed.
    private let needle: [UInt8]

    /// What became of one line.
    package enum LineChange: Sendable, Hashable {
        /// Not the contact's.
        case untouched
        /// The contact's, erased by an earlier run.
        case alreadyErased(event: String)
        /// The contact's: the line to write instead (newline included).
        case erased(event: String, line: [UInt8])
    }

    /// Whether `record` is one of the contact's event lines.
    package func matches(_ record: AuditRecord) -> Bool {
        record.event != nil && record.contact == contact && (source == nil || record.source == source)
    }

    /// The change to one line (without its newline). An unreadable line is left as it is.
    package func change(_ line: some Collection<UInt8>) -> LineChange {
        guard line.containsBytes(needle) else { return .untouched }
        guard let record = try? AuditRecord(jsonLine: line), matches(record), let event = record.event else { return .untouched }
        if record.erased != nil { return .alreadyErased(event: event) }
        return .erased(event: event, line: erasing(record).jsonLine)
    }

    /// `record` with its personal data removed.
    package func erasing(_ record: AuditRecord) -> AuditRecord {
        var erased = record
        erased.payload = nil
        erased.payloadKept = nil
        erased.error = nil
        erased.erased = at
        erased.erasedReason = reason
        return erased
    }

    /// The `erased` line itself: the contact, the source named, how many events, why and by whom.
    package func line(events: Int, by: String) -> AuditRecord {
        AuditRecord(ts: at, outcome: .erased, source: source, contact: contact, count: events, reason: reason, by: by)
    }
}
