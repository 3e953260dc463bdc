import HooklineCore

/// The audit log's promise: every received event ends, for each of its targets, in exactly
/// one terminal line — and a redrive, which reopens targets, in exactly one more.
package enum AuditInvariant {
    /// (event, target) pairs opened (received or redriven) but not yet ended.
    package static func unfinished(_ records: [AuditRecord]) -> [String] {
        AuditLedger(records).unfinished
    }

    /// Terminal lines that end nothing open: a second end for one opening, or an end for a
    /// target the event was never routed to.
    package static func violations(_ records: [AuditRecord]) -> [String] {
        AuditLedger(records).unopenedEnds.map { "\($0.key) ends with \($0.outcome.rawValue) but was not open" }
    }

    /// The last terminal outcome by target for one event.
    package static func outcomes(of event: String?, in records: [AuditRecord]) -> [String: AuditOutcome] {
        var outcomes: [String: AuditOutcome] = [:]
        for record in records where record.event == event && record.outcome.endsTargetJob {
            if let target = record.target { outcomes[target] = record.outcome }
        }
        return outcomes
    }
}
