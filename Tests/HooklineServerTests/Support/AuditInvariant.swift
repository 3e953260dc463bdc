import HooklineCore

/// The audit log's promise: every received event ends, for each of its targets, in exactly
/// one terminal line.
enum AuditInvariant {
    /// (event, target) pairs still without a terminal line.
    static func unfinished(_ records: [AuditRecord]) -> [String] {
        var open: Set<String> = []
        for record in records {
            if record.outcome == .received, let event = record.event {
                for target in record.targets ?? [] { open.insert("\(event)→\(target)") }
            } else if record.outcome.endsTargetJob, let event = record.event, let target = record.target {
                open.remove("\(event)→\(target)")
            }
        }
        return open.sorted()
    }

    /// (event, target) pairs with more than one terminal line, or a terminal line for a target
    /// the event was not routed to.
    static func violations(_ records: [AuditRecord]) -> [String] {
        var routed: [String: Set<String>] = [:]
        var terminal: [String: Int] = [:]
        for record in records {
            if record.outcome == .received, let event = record.event {
                routed[event] = Set(record.targets ?? [])
            } else if record.outcome.endsTargetJob, let event = record.event, let target = record.target {
                terminal["\(event)→\(target)", default: 0] += 1
            }
        }
        var problems: [String] = []
        for (key, count) in terminal.sorted(by: { $0.key < $1.key }) {
            let parts = key.split(separator: "→").map(String.init)
            if count > 1 { problems.append("\(key) has \(count) terminal lines") }
            if routed[parts[0]]?.contains(parts[1]) != true { problems.append("\(key) ends an event not routed there") }
        }
        return problems
    }

    /// Terminal outcomes by target for one event.
    static func outcomes(of event: String?, in records: [AuditRecord]) -> [String: AuditOutcome] {
        var outcomes: [String: AuditOutcome] = [:]
        for record in records where record.event == event && record.outcome.endsTargetJob {
            if let target = record.target { outcomes[target] = record.outcome }
        }
        return outcomes
    }
}
