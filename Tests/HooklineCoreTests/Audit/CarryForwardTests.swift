import HooklineCore
import Testing

@Suite("what a rotation carries into the new file")
struct CarryForwardTests {
    static let t0 = UnixTime(milliseconds: 1_795_330_000_000)

    static func received(_ event: String, message: String, targets: [String], at offset: Int64 = 0) -> AuditRecord {
        AuditRecord(
            ts: t0, outcome: .received, event: event, message: message, source: "standard", type: "contact.updated", contact: "c_\(event)",
            targets: targets, payload: Array(#"{"type":"contact.updated","data":{"id":"c"}}"#.utf8))
    }

    /// A journal of: e1 owed at plannr after a retry, e2 finished, e3 owed (its line unreadable), a learned id.
    static func journal() -> (AuditLogIndex, [String: AuditRecord]) {
        var journal = AuditLogIndex()
        let lines = [
            received("e1", message: "m1", targets: ["buildr", "plannr"]),
            AuditRecord(ts: t0 + .seconds(1), outcome: .applied, event: "e1", target: "buildr"),
            AuditRecord(ts: t0 + .seconds(1), outcome: .retry, event: "e1", target: "plannr", attempt: 2),
            received("e2", message: "m2", targets: ["buildr"]),
            AuditRecord(ts: t0 + .seconds(2), outcome: .applied, event: "e2", target: "buildr"),
            received("e3", message: "m3", targets: ["omnichannel"]),
            AuditRecord(ts: t0 + .seconds(3), outcome: .created, target: "plannr", ref: "uuid-1", refKey: "acct/email"),
            AuditRecord(ts: t0 + .seconds(4), outcome: .paused, target: "plannr", by: "on-call"),
            AuditRecord(ts: t0 + .seconds(5), outcome: .paused, target: "buildr", by: "on-call"),
            AuditRecord(ts: t0 + .seconds(6), outcome: .resumed, target: "buildr", by: "on-call"),
        ]
        for (index, line) in lines.enumerated() { journal.apply(AuditLineSummary(line), offset: Int64(index * 1000)) }
        return (journal, ["e1": lines[0]])
    }

    static func plan(now: UnixTime = t0 + .seconds(10), maxAge: Duration = .seconds(3600)) -> CarryForward {
        let (journal, openings) = journal()
        return CarryForward.plan(journal, now: now, dedupMaxAge: maxAge, dedupMaxEntries: 100) { pending in
            openings[pending.event].map { .success($0) } ?? .failure(JournalReadError(event: pending.event, .missing("gone")))
        }
    }

    @Test("owed events are carried with only the targets they still owe; finished ones are not")
    func owed() throws {
        let carried = Self.plan()
        let records = try carried.lines.split(separator: UInt8(ascii: "\n")).map { try AuditRecord(jsonLine: $0) }
        let e1 = try #require(records.first { $0.outcome == .received && $0.event == "e1" })
        #expect(e1.targets == ["plannr"])
        #expect(e1.attempt == 2)
        #expect(e1.reason == "carried_forward")
        #expect(e1.payload != nil)
        #expect(!records.contains { $0.event == "e2" && $0.outcome == .received })
        #expect(carried.journal.pending.map(\.event) == ["e1"])
        #expect(carried.journal.pendingEvent("e1")?.remainingTargets == ["plannr"])
    }

    @Test("message ids inside the window and learned ids are carried; the new journal reads them back")
    func seenAndLearned() throws {
        let carried = Self.plan()
        let records = try carried.lines.split(separator: UInt8(ascii: "\n")).map { try AuditRecord(jsonLine: $0) }
        #expect(Set(records.filter { $0.outcome == .seen }.compactMap(\.message)) == ["m2", "m3"], "m1 rides on its own carried line; m3 does not, its line is lost")
        #expect(records.contains { $0.outcome == .created && $0.ref == "uuid-1" && $0.refKey == "acct/email" })
        #expect(Set(carried.journal.seenMessages.map(\.message)) == ["m1", "m2", "m3"])
        #expect(carried.journal.references == [AuditLogIndex.Reference(target: "plannr", key: "acct/email", id: "uuid-1")])
        // Offsets point at the lines as written.
        var replayed = AuditLogIndex()
        var offset: Int64 = 0
        for line in carried.lines.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) where !line.isEmpty {
            replayed.apply(try #require(AuditLineScanner.scan(Array(line))), offset: offset)
            offset += Int64(line.count + 1)
        }
        #expect(replayed.pendingEvent("e1")?.offset == carried.journal.pendingEvent("e1")?.offset)
    }

    @Test("message ids past the dedup window are not carried")
    func window() throws {
        let carried = Self.plan(now: Self.t0 + .seconds(7200), maxAge: .seconds(3600))
        let records = try carried.lines.split(separator: UInt8(ascii: "\n")).map { try AuditRecord(jsonLine: $0) }
        #expect(records.filter { $0.outcome == .seen }.isEmpty)
    }

    @Test("an owed event whose line does not read back is reported, not silently dropped")
    func uncarried() {
        let carried = Self.plan()
        #expect(carried.uncarried.map(\.event) == ["e3"])
        #expect(carried.uncarried.first?.targets == ["omnichannel"])
        #expect(carried.uncarried.first?.error.description == "the opening line of event e3 could not be read back: gone")
    }

    @Test("a target paused and not resumed is carried as paused, by whom and since when; one resumed since is not")
    func paused() throws {
        let carried = Self.plan()
        let records = try carried.lines.split(separator: UInt8(ascii: "\n")).map { try AuditRecord(jsonLine: $0) }
        let pauses = records.filter { $0.outcome == .paused }
        #expect(pauses.map(\.target) == ["plannr"])
        #expect(pauses.first?.by == "on-call" && pauses.first?.ts == Self.t0 + .seconds(4))
        #expect(carried.journal.paused == ["plannr": PausedTarget(target: "plannr", by: "on-call", since: Self.t0 + .seconds(4))])
    }
}
