import HooklineCore
import Testing

@Suite("reading the journal back")
struct AuditJournalTests {
    static let t0 = UnixTime(milliseconds: 1_795_330_000_123)

    static func records() -> [AuditRecord] {
        [
            AuditRecord(ts: t0, outcome: .received, event: "e1", message: "m1", source: "standard", type: "contact.updated", contact: "c1", targets: ["buildr", "plannr"], payload: Array(#"{"a":"quote \" backslash \\ newline \n","b":[1,{"c":null}]}"#.utf8)),
            AuditRecord(ts: t0 + .seconds(1), outcome: .retry, event: "e1", source: "standard", contact: "c1", target: "plannr", attempt: 1, status: 503, retryInMs: 500, request: "PUT /x", error: "HTTP 503: \"busy\""),
            AuditRecord(ts: t0 + .seconds(2), outcome: .created, event: "e1", source: "standard", contact: "c1", target: "plannr", attempt: 2, status: 201, request: "POST /contact-details", ref: "uuid-1", refKey: "acct/email"),
            AuditRecord(ts: t0 + .seconds(3), outcome: .applied, event: "e1", source: "standard", contact: "c1", target: "buildr", attempt: 1, status: 200),
            AuditRecord(ts: t0 + .seconds(4), outcome: .rejected, source: "standard", status: 401, reason: "no_matching_signature", error: "é ✓ unicode", remote: "10.0.0.1"),
            AuditRecord(ts: t0 + .seconds(5), outcome: .received, event: "e2", message: "m2", source: "plannr", type: "account.updated", contact: "u1", targets: ["omnichannel"], payload: Array("{}".utf8)),
            AuditRecord(ts: t0 + .seconds(6), outcome: .dead, event: "e2", source: "plannr", target: "omnichannel", attempt: 10, error: "gave up"),
            AuditRecord(ts: t0 + .seconds(7), outcome: .redriven, event: "e2", message: "m2", source: "plannr", targets: ["omnichannel"], attempt: 10, payload: Array("{}".utf8)),
            AuditRecord(ts: t0 + .seconds(8), outcome: .seen, event: "e0", message: "m0", source: "standard", reason: "carried_forward"),
        ]
    }

    @Test("the fast scanner reads every line exactly as the full parser does")
    func scannerAgrees() throws {
        for record in Self.records() {
            let line = Array(record.jsonLine.dropLast())
            let summary = try #require(AuditLineScanner.scan(line), "\(record.outcome)")
            #expect(summary == AuditLineSummary(try AuditRecord(jsonLine: line)))
        }
    }

    @Test("the scanner accepts lines from other writers: any key order, spaces, escaped ids, other time forms")
    func scannerTolerates() throws {
        let line = #" { "outcome" : "applied", "extra": {"deep": [1, 2, {"x": "y"}]}, "target":"o\u006dni", "ts": "2026-11-22T08:00:00+01:00", "event":"e\"9" } "#
        let summary = try #require(AuditLineScanner.scan(Array(line.utf8)))
        #expect(summary.outcome == .applied)
        #expect(summary.target == "omni")
        #expect(summary.event == "e\"9")
        #expect(summary.ts == UnixTime(rfc3339: "2026-11-22T07:00:00Z"))
    }

    @Test("unreadable lines are nil, not a crash", arguments: ["", "{", "{}", "[1]", #"{"ts":"x","outcome":"applied"}"#, #"{"ts":"2026-11-22T08:00:00.000Z","outcome":"bogus"}"#, #"{"ts":"2026-11-22T08:00:00.000Z","outcome":"applied","error":"unterminated}"#])
    func scannerRejects(line: String) {
        #expect(AuditLineScanner.scan(Array(line.utf8)) == nil)
    }

    @Test("an event is owed until every target has a terminal line; a redrive opens it again")
    func pending() {
        var journal = AuditLogIndex()
        var offset: Int64 = 0
        for record in Self.records() {
            journal.apply(AuditLineSummary(record), offset: offset)
            offset += Int64(record.jsonLine.count)
        }
        #expect(journal.pending.map(\.event) == ["e1", "e2"])
        #expect(journal.pendingEvent("e1")?.remainingTargets == ["plannr"])
        #expect(journal.pendingEvent("e1")?.attempts == ["plannr": 1])
        #expect(journal.pendingEvent("e1")?.offset == 0)
        #expect(journal.pendingEvent("e2")?.attempts == ["omnichannel": 10], "the redriven line's attempt is the base")
        #expect(journal.references == [AuditLogIndex.Reference(target: "plannr", key: "acct/email", id: "uuid-1")])
        #expect(journal.seenMessages.map(\.key) == [MessageKey(source: "standard", messageID: "m1"), MessageKey(source: "plannr", messageID: "m2"), MessageKey(source: "standard", messageID: "m0")])
        #expect(journal.lines == 9)
    }

    @Test("pending events come back in receive order; a redrive of a still-pending event keeps its place, of a finished one goes last")
    func pendingOrder() {
        var journal = AuditLogIndex()
        func apply(_ record: AuditRecord) { journal.apply(AuditLineSummary(record), offset: Int64(journal.lines)) }
        let t0 = Self.t0
        for (index, event) in ["a", "b", "c", "d"].enumerated() {
            apply(AuditRecord(ts: t0 + .seconds(index), outcome: .received, event: event, message: "m-\(event)", source: "s", targets: ["t"], payload: []))
        }
        apply(AuditRecord(ts: t0 + .seconds(5), outcome: .redriven, event: "b", source: "s", targets: ["t"], attempt: 2, payload: []))
        apply(AuditRecord(ts: t0 + .seconds(6), outcome: .dead, event: "a", target: "t", attempt: 3))
        apply(AuditRecord(ts: t0 + .seconds(7), outcome: .redriven, event: "a", source: "s", targets: ["t"], attempt: 3, payload: []))
        apply(AuditRecord(ts: t0 + .seconds(8), outcome: .applied, event: "c", target: "t", attempt: 1))
        #expect(journal.pending.map(\.event) == ["b", "d", "a"])
        #expect(journal.pendingEvent("b")?.offset == 4, "the redriven line is the one re-read")
        #expect(journal.seenMessages.map(\.message) == ["m-a", "m-b", "m-c", "m-d"])
    }

    @Test("message ids leave the journal oldest first: past the horizon, then beyond the count")
    func trimSeen() {
        var journal = AuditLogIndex()
        let t0 = Self.t0
        for index in 0..<10 {
            let record = AuditRecord(
                ts: t0 + .seconds(index), outcome: .received, event: "e\(index)", message: "m\(index)", source: "s", targets: ["t"], payload: [])
            journal.apply(AuditLineSummary(record), offset: Int64(index))
        }
        journal.trimSeen(olderThan: t0 + .seconds(3), keeping: 100)
        #expect(journal.seenMessages.map(\.message) == ["m3", "m4", "m5", "m6", "m7", "m8", "m9"])
        journal.trimSeen(olderThan: t0, keeping: 2)
        #expect(journal.seenMessages.map(\.message) == ["m8", "m9"])
        #expect(journal.pendingCount == 10, "owed events are not message ids")
    }

    @Test("the audit log's own timestamps parse without allocating, and only that form")
    func compactTimestamps() {
        let text = Array("2026-11-22T07:19:05.123Z".utf8)
        #expect(text.withUnsafeBytes { UnixTime(compactRFC3339: $0) } == UnixTime(rfc3339: "2026-11-22T07:19:05.123Z"))
        let other = Array("2026-11-22T07:19:05Z".utf8)
        #expect(other.withUnsafeBytes { UnixTime(compactRFC3339: $0) } == nil)
    }
}
