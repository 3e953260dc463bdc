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
        order(logs).map { logs[$0.log][$0.index] }
    }

    /// Where each line of the merge comes from: its log and its index in that log.
    package static func order(_ logs: [[AuditRecord]]) -> [(log: Int, index: Int)] {
        var numbered: [(log: Int, index: Int, order: Int)] = []
        numbered.reserveCapacity(logs.reduce(0) { $0 + $1.count })
        for (log, records) in logs.enumerated() {
            for index in records.indices { numbered.append((log, index, numbered.count)) }
        }
        numbered.sort {
            let left = logs[$0.log][$0.index].ts, right = logs[$1.log][$1.index].ts
            return left < right || (left == right && $0.order < $1.order)
        }
        guard logs.count > 1 else { return numbered.map { ($0.log, $0.index) } }
        var duplicates = CommittedLineSet(capacity: .max)
        var merged: [(log: Int, index: Int)] = []
        merged.reserveCapacity(numbered.count)
        for entry in numbered where duplicates.admit(logs[entry.log][entry.index], from: entry.log) {
            merged.append((entry.log, entry.index))
        }
        return merged
    }

    /// The lines a shared store commits with what they record, which are the ones adopted.
    static func isCommittedLine(_ outcome: AuditOutcome) -> Bool {
        outcome == .received || outcome == .redriven || outcome.endsTargetJob
    }
}

/// Which committed lines have been seen, and in which log, so that a copy of one in another log
/// is shown once. `tail -f` over several files keeps the most recent `capacity` lines.
package struct CommittedLineSet {
    private var firstLog: [AuditRecord: Int] = [:]
    private var arrival: [AuditRecord] = []
    private var oldest = 0
    private let capacity: Int

    package init(capacity: Int) {
        self.capacity = capacity
    }

    /// Whether `record`, read from log number `log`, is to be shown.
    package mutating func admit(_ record: AuditRecord, from log: Int) -> Bool {
        guard AuditLogMerge.isCommittedLine(record.outcome) else { return true }
        if let first = firstLog[record] { return first == log }
        firstLog[record] = log
        guard capacity < .max else { return true }
        arrival.append(record)
        if arrival.count - oldest > capacity {
            firstLog[arrival[oldest]] = nil
            oldest += 1
            if oldest > capacity {
                arrival.removeFirst(oldest)
                oldest = 0
            }
        }
        return true
    }
}
