import HooklineCore
import Testing

@Suite("event queries and summaries")
struct EventQueryTests {
    static let now = UnixTime(milliseconds: 1_796_000_000_000)

    @Test("a query reads from URL items and writes back the same items; empty values are absent")
    func roundTrip() throws {
        let query = try EventQuery(
            items: [("source", "plannr"), ("outcome", "dead"), ("contact", " c_1 "), ("type", ""), ("since", "2h"), ("before", "-@123")], now: Self.now)
        #expect(query.source == "plannr" && query.outcome == .dead && query.contact == "c_1" && query.type == nil)
        #expect(query.since == Self.now - .seconds(7200))
        #expect(query.items().map(\.0) == ["source", "outcome", "contact", "since"])
        #expect(query.items(cursor: true).last?.1 == "-@123")
        #expect(try EventQuery(items: query.items(cursor: true), now: Self.now) == query)
    }

    @Test(
        "a bad filter is an error that names it",
        arguments: [
            ([("outcome", "exploded")], "outcome: expected one of applied, skipped, failed, dead, retry, pending, got 'exploded'"),
            ([("since", "yesterday")], "since: expected a duration such as 10m or 2h, or a time such as 2026-11-22T07:00:00Z, got 'yesterday'"),
            ([("colour", "red")], "unknown filter 'colour' (filters: source, type, target, outcome, contact, message, event, since, until, before)"),
            ([("contact", String(repeating: "x", count: 300))], "contact: at most 256 characters"),
        ])
    func refused(items: [(String, String)], message: String) {
        #expect(throws: EventQueryError(message)) { try EventQuery(items: items, now: Self.now) }
    }

    @Test("lines read newest first make summaries: each target's latest line, pending where none, a redrive's newest opening only")
    func summaries() {
        let opening = AuditRecord(
            ts: Self.now, outcome: .received, event: "evt_1", message: "m1", source: "standard", type: "contact.updated", contact: "c_1",
            targets: ["omnichannel", "buildr", "plannr"])
        var redriven = opening
        redriven.outcome = .redriven
        redriven.ts = Self.now + .seconds(60)
        let newestFirst = [
            AuditRecord(ts: Self.now + .seconds(61), outcome: .applied, event: "evt_1", target: "buildr", attempt: 1),
            redriven,
            AuditRecord(ts: Self.now + .seconds(3), outcome: .dead, event: "evt_1", target: "buildr", attempt: 3, status: 500),
            AuditRecord(ts: Self.now + .seconds(2), outcome: .fenced, event: "evt_1", target: "omnichannel", attempt: 1),
            AuditRecord(ts: Self.now + .seconds(1), outcome: .retry, event: "evt_1", target: "buildr", attempt: 1, status: 503),
            AuditRecord(ts: Self.now + .seconds(1), outcome: .applied, event: "evt_1", target: "omnichannel", attempt: 1, status: 200),
            opening,
        ]
        var builder = EventSummaryBuilder()
        let summaries = newestFirst.compactMap { builder.add(newestFirst: $0) }
        #expect(summaries.count == 1, "the first receipt of a redriven event is not listed again")
        #expect(builder.pending == 0, "nothing is held for an event already listed")
        let summary = summaries[0]
        #expect(summary.redriven && summary.ts == Self.now + .seconds(60))
        #expect(summary.targets.map { "\($0.target)=\($0.state.rawValue)" } == ["omnichannel=pending", "buildr=applied", "plannr=pending"])
        #expect(EventQuery(outcome: .applied).matches(summary))
        #expect(!EventQuery(target: "plannr", outcome: .applied).matches(summary))
        #expect(!EventQuery(target: "nowhere").matches(summary))
        #expect(EventQuery(until: Self.now + .seconds(61)).matches(summary) && !EventQuery(until: Self.now + .seconds(60)).matches(summary))
    }
}

@Suite("index keys")
struct IndexKeyTests {
    @Test("keys hashed straight from a line's bytes are the keys of its parsed fields, escaped ids included")
    func rawAgreesWithParsed() throws {
        let ids = ["evt_01M8", "c_7f3a21", "c \"quoted\"", "ümlaut-ß", "tab\there", "slash/\\back"]
        var records: [AuditRecord] = []
        for id in ids {
            records.append(AuditRecord(ts: UnixTime(milliseconds: 1), outcome: .received, event: id, message: "m_" + id, source: "s", type: "t", contact: id, targets: ["x"], payload: Array(#"{"a":"\"}"}"#.utf8)))
            records.append(AuditRecord(ts: UnixTime(milliseconds: 2), outcome: .applied, event: id, contact: id, target: "x", attempt: 1))
            records.append(AuditRecord(ts: UnixTime(milliseconds: 3), outcome: .duplicate, message: "m_" + id, source: "s", contact: id, into: id))
        }
        for record in records {
            let line = record.jsonLine
            let parsed = try #require(AuditLineScanner.scan(line))
            var raw: [UInt64] = []
            let read = line.withUnsafeBytes { AuditLineScanner.indexKeys(UnsafeRawBufferPointer(rebasing: $0[..<($0.count - 1)]), into: &raw) }
            #expect(read)
            #expect(Set(raw) == Set(IndexKey.keys(of: parsed)), "\(String(decoding: line, as: UTF8.self))")
        }
        var none: [UInt64] = []
        #expect(!Array("not json".utf8).withUnsafeBytes { AuditLineScanner.indexKeys($0, into: &none) })
    }
}
