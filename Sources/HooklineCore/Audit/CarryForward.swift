/// What a rotation carries into the new file, so that recovery never needs an archived one:
/// message ids inside the dedup window (`seen`), learned ids (`created`), paused targets (`paused`), and each owed event's
/// opening line naming only the targets it still owes. A pure function of the journal: the
/// writer reads the opening lines for it and carries out the file operations.
package struct CarryForward: Sendable {
    /// An owed event that could not be carried: its opening line did not read back.
    package struct Uncarried: Sendable, Hashable {
        package var event: String
        package var targets: [String]
        package var error: JournalReadError
    }

    /// The new file's first lines.
    package var lines: [UInt8] = []
    /// The new file's journal (offsets into `lines`).
    package var journal = AuditLogIndex()
    /// Events the new file no longer owes because their line could not be read back; each is
    /// logged and counted by the writer.
    package var uncarried: [Uncarried] = []

    /// The carry-forward of `journal` at `now`, keeping message ids within the dedup window's
    /// bounds. `opening` reads an owed event's opening line back.
    package static func plan(
        _ journal: AuditLogIndex,
        now: UnixTime,
        dedupMaxAge: Duration,
        dedupMaxEntries: Int,
        opening: (AuditLogIndex.PendingEvent) -> Result<AuditRecord, JournalReadError>
    ) -> CarryForward {
        var source = journal
        source.trimSeen(olderThan: now - dedupMaxAge, keeping: dedupMaxEntries)
        var result = CarryForward()
        var owed: [AuditRecord] = []
        for event in source.pending {
            switch opening(event) {
            case .success(var record):
                record.targets = event.remainingTargets
                record.attempt = event.attempts.values.max() ?? record.attempt
                record.reason = "carried_forward"
                owed.append(record)
            case .failure(let error):
                result.uncarried.append(Uncarried(event: event.event, targets: event.remainingTargets, error: error))
            }
        }
        // A carried opening line carries its own message id; every other id gets a `seen` line.
        let carriedIDs = Set(owed.compactMap(\.event))
        for seen in source.seenMessages where !carriedIDs.contains(seen.eventID) {
            result.add(AuditRecord(ts: seen.seenAt, outcome: .seen, event: seen.eventID, message: seen.message, source: seen.source, reason: "carried_forward"))
        }
        for reference in source.references {
            result.add(AuditRecord(ts: now, outcome: .created, target: reference.target, ref: reference.id, refKey: reference.key, reason: "carried_forward"))
        }
        for pause in source.paused.values.sorted(by: { $0.target < $1.target }) {
            result.add(AuditRecord(ts: pause.since, outcome: .paused, target: pause.target, reason: "carried_forward", by: pause.by))
        }
        for record in owed { result.add(record) }
        return result
    }

    private mutating func add(_ record: AuditRecord) {
        journal.apply(AuditLineSummary(record), offset: Int64(lines.count))
        record.appendJSONLine(to: &lines)
    }
}
