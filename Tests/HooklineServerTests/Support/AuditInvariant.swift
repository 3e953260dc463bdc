import HooklineCore

/// The audit log's promise: every received event ends, for each of its targets, in exactly
/// one terminal line — and a redrive, which reopens targets, in exactly one more.
enum AuditInvariant {
    /// (event, target) pairs opened (received or redriven) but not yet ended.
    static func unfinished(_ records: [AuditRecord]) -> [String] {
        var open: [String: Int] = [:]
        for record in records {
            if record.outcome == .received || record.outcome == .redriven, let event = record.event {
                for target in record.targets ?? [] where record.reason != "carried_forward" { open["\(event)→\(target)", default: 0] += 1 }
            } else if record.outcome.endsTargetJob, let event = record.event, let target = record.target {
                open["\(event)→\(target)", default: 0] -= 1
            }
        }
        return open.filter { $0.value > 0 }.keys.sorted()
    }

    /// Terminal lines that end nothing open: a second end for one opening, or an end for a
    /// target the event was never routed to.
    static func violations(_ records: [AuditRecord]) -> [String] {
        var open: [String: Int] = [:]
        var problems: [String] = []
        for record in records {
            if record.outcome == .received || record.outcome == .redriven, let event = record.event {
                for target in record.targets ?? [] where record.reason != "carried_forward" { open["\(event)→\(target)", default: 0] += 1 }
            } else if record.outcome.endsTargetJob, let event = record.event, let target = record.target {
                let key = "\(event)→\(target)"
                if (open[key] ?? 0) <= 0 { problems.append("\(key) ends with \(record.outcome.rawValue) but was not open") }
                open[key, default: 0] -= 1
            }
        }
        return problems
    }

    /// The last terminal outcome by target for one event.
    static func outcomes(of event: String?, in records: [AuditRecord]) -> [String: AuditOutcome] {
        var outcomes: [String: AuditOutcome] = [:]
        for record in records where record.event == event && record.outcome.endsTargetJob {
            if let target = record.target { outcomes[target] = record.outcome }
        }
        return outcomes
    }
}
