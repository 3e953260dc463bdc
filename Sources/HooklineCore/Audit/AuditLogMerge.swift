/// Several instances' audit logs as one, in time order: what `hookline tail` prints for several
/// files. A line copied into a log after a restart (from the outbox) sits after later lines of
/// its file, so this sorts by time rather than merging; lines of the same millisecond keep
/// their file order, and the files' order.
///
/// The union is of lines, not of files: an opening or a terminal line that appears in two logs
/// is one line. It happens when an instance stops for good between writing a committed line and
/// deleting it from the outbox, and another instance adopts the line (`store.adopt_after`): the
/// copy is byte for byte the same, and an opening or a terminal line never legitimately repeats
/// (its event, target and attempt make it unique).
package enum AuditLogMerge {
    package static func merged(_ logs: [[AuditRecord]]) -> [AuditRecord] {
        var numbered: [(record: AuditRecord, log: Int, order: Int)] = []
        numbered.reserveCapacity(logs.reduce(0) { $0 + $1.count })
        for (index, log) in logs.enumerated() {
            for record in log { numbered.append((record, index, numbered.count)) }
        }
        numbered.sort { $0.record.ts < $1.record.ts || ($0.record.ts == $1.record.ts && $0.order < $1.order) }
        guard logs.count > 1 else { return numbered.map(\.record) }
        var firstLog: [AuditRecord: Int] = [:]
        var merged: [AuditRecord] = []
        merged.reserveCapacity(numbered.count)
        for entry in numbered {
            if isCommittedLine(entry.record.outcome) {
                if let log = firstLog[entry.record], log != entry.log { continue }
                firstLog[entry.record] = entry.log
            }
            merged.append(entry.record)
        }
        return merged
    }

    /// The lines a shared store commits with what they record, which are the ones adopted.
    static func isCommittedLine(_ outcome: AuditOutcome) -> Bool {
        outcome == .received || outcome == .redriven || outcome.endsTargetJob
    }
}
