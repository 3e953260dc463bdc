import HooklineCore

/// The audit log's promise, checked over its records: each opening of an (event, target) — a
/// `received` or `redriven` line naming the target — ends in exactly one terminal line
/// (`applied`, `skipped`, `failed`, `dead`). Lines carried forward at rotation restate an
/// opening rather than make a new one.
package struct AuditLedger: Sendable {
    /// A terminal line with no opening left for it to end.
    package struct UnopenedEnd: Sendable, Hashable {
        /// `event→target`.
        package let key: String
        package let outcome: AuditOutcome

        package init(key: String, outcome: AuditOutcome) {
            self.key = key
            self.outcome = outcome
        }
    }

    /// Openings not yet ended, as `event→target`, sorted.
    package let unfinished: [String]
    /// Terminal lines that end nothing open — a second end for one opening, or an end for a
    /// target the event was never routed to — in log order.
    package let unopenedEnds: [UnopenedEnd]

    package init(_ records: some Sequence<AuditRecord>) {
        var open: [String: Int] = [:]
        var unopened: [UnopenedEnd] = []
        for record in records {
            if record.outcome == .received || record.outcome == .redriven, let event = record.event {
                for target in record.targets ?? [] where record.reason != "carried_forward" { open["\(event)→\(target)", default: 0] += 1 }
            } else if record.outcome.endsTargetJob, let event = record.event, let target = record.target {
                let key = "\(event)→\(target)"
                if (open[key] ?? 0) <= 0 { unopened.append(UnopenedEnd(key: key, outcome: record.outcome)) }
                open[key, default: 0] -= 1
            }
        }
        unfinished = open.filter { $0.value > 0 }.keys.sorted()
        unopenedEnds = unopened
    }

    /// The promise over several instances' logs, whose clocks need not agree: per (event,
    /// target), as many terminal lines as openings, whatever order the lines came in.
    package init(counting records: some Sequence<AuditRecord>) {
        var balance: [String: Int] = [:]
        for record in records {
            if record.outcome == .received || record.outcome == .redriven, let event = record.event, record.reason != "carried_forward" {
                for target in record.targets ?? [] { balance["\(event)→\(target)", default: 0] += 1 }
            } else if record.outcome.endsTargetJob, let event = record.event, let target = record.target {
                balance["\(event)→\(target)", default: 0] -= 1
            }
        }
        unfinished = balance.filter { $0.value > 0 }.keys.sorted()
        unopenedEnds = balance.filter { $0.value < 0 }.keys.sorted().map { UnopenedEnd(key: $0, outcome: .applied) }
    }

    /// Whether every opening has ended exactly once.
    package var isKept: Bool { unfinished.isEmpty && unopenedEnds.isEmpty }
}
