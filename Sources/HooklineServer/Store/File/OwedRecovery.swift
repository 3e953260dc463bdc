import HooklineCore

/// Start-up recovery: every event the journal owes becomes jobs again through the one path
/// (`EventJobs.restore`), announced with a `recovered` line — or, when it can no longer be
/// applied, ended with a `failed` line per target that says why.
enum OwedRecovery {
    static func jobs(
        owedBy journal: FileJournal, events: EventJobs, now: MonotonicTime = .now(), wallNow: UnixTime = .now()
    ) -> (jobs: [Job], events: Int) {
        var jobs: [Job] = []
        var recovered = 0
        journal.forEachOwed { owed in
            let record: AuditRecord? = if case .success(let line) = owed.opening { line } else { nil }
            func fail(_ targets: [String], _ reason: String) {
                for target in targets {
                    journal.append(
                        AuditRecord(
                            ts: .now(), outcome: .failed, event: owed.event, source: record?.source, type: record?.type, contact: record?.contact,
                            target: target, error: "recovered at start-up, but \(reason)"))
                }
            }
            let opening: AuditRecord
            switch owed.opening {
            case .success(let line): opening = line
            case .failure(let error):
                fail(owed.owed, error.description)
                return
            }
            var progress: [String: TargetProgress] = [:]
            for (target, attempts) in owed.attempts {
                progress[target] = TargetProgress(
                    attempts: attempts,
                    firstAttemptAt: owed.firstAttemptAt[target].map { MonotonicTime.instant(of: $0, now: now, wallNow: wallNow) })
            }
            switch events.restore(opening, owed: owed.owed, progress: progress) {
            case .failure(let failure):
                fail(owed.owed, failure.description)
            case .success(let restored):
                let source = restored.event.source
                for target in restored.unroutable {
                    fail([target], "the route from \(source) to \(target) is no longer configured")
                }
                guard !restored.jobs.isEmpty else { return }
                jobs += restored.jobs
                recovered += 1
                journal.append(
                    AuditRecord(
                        ts: .now(), outcome: .recovered, event: owed.event, message: opening.message, source: source,
                        type: restored.event.type, contact: restored.event.contactID, targets: restored.jobs.map(\.target)))
            }
        }
        return (jobs, recovered)
    }
}
