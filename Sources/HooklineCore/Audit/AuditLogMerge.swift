/// Several instances' audit logs as one, in time order: what `hookline tail` prints for several
/// files, and what the promise of a fleet is checked over. Each log is in order already, so a
/// merge keeps each one's order among lines of the same millisecond.
package enum AuditLogMerge {
    package static func merged(_ logs: [[AuditRecord]]) -> [AuditRecord] {
        var positions = Array(repeating: 0, count: logs.count)
        var output: [AuditRecord] = []
        output.reserveCapacity(logs.reduce(0) { $0 + $1.count })
        while true {
            var next: Int?
            for (index, log) in logs.enumerated() where positions[index] < log.count {
                if let best = next, logs[best][positions[best]].ts <= log[positions[index]].ts { continue }
                next = index
            }
            guard let chosen = next else { return output }
            output.append(logs[chosen][positions[chosen]])
            positions[chosen] += 1
        }
    }
}
