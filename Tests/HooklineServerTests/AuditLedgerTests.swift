import HooklineCore
import HooklineTestSupport
import HooklineTools
import Testing

@Suite("the audit log's promise, checked")
struct AuditLedgerTests {
    static let t0 = UnixTime(milliseconds: 1_795_330_000_123)

    static func received(_ event: String, _ targets: [String], reason: String? = nil) -> AuditRecord {
        AuditRecord(ts: t0, outcome: .received, event: event, source: "standard", targets: targets, reason: reason, payload: [])
    }

    static func end(_ event: String, _ target: String, _ outcome: AuditOutcome) -> AuditRecord {
        AuditRecord(ts: t0, outcome: outcome, event: event, target: target, attempt: 1)
    }

    @Test("each opening ended once keeps the promise; a redrive opens again and needs one more end")
    func kept() {
        let records = [
            Self.received("e1", ["buildr", "plannr"]),
            AuditRecord(ts: Self.t0, outcome: .retry, event: "e1", target: "plannr", attempt: 1),
            Self.end("e1", "buildr", .applied),
            Self.end("e1", "plannr", .dead),
            AuditRecord(ts: Self.t0, outcome: .redriven, event: "e1", source: "standard", targets: ["plannr"], attempt: 1, payload: []),
            Self.end("e1", "plannr", .applied),
            Self.received("e1", ["plannr"], reason: "carried_forward"),
        ]
        let ledger = AuditLedger(records)
        #expect(ledger.isKept)
    }

    @Test("a missing end is unfinished; a second end, or an end for a target never named, is unopened")
    func broken() {
        let records = [
            Self.received("e1", ["buildr", "plannr"]),
            Self.end("e1", "buildr", .applied),
            Self.end("e1", "buildr", .failed),
            Self.end("e2", "omnichannel", .skipped),
        ]
        let ledger = AuditLedger(records)
        #expect(!ledger.isKept)
        #expect(ledger.unfinished == ["e1→plannr"])
        #expect(
            ledger.unopenedEnds == [
                AuditLedger.UnopenedEnd(key: "e1→buildr", outcome: .failed), AuditLedger.UnopenedEnd(key: "e2→omnichannel", outcome: .skipped),
            ])
    }
}
