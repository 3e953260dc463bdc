import HooklineCore

/// Where ingest puts jobs and workers take them: the in-memory `JobQueue` of a single Hookline,
/// or the jobs table that several share (`PostgresJobBoard`).
package protocol JobBoard: Sendable {
    /// Jobs held at most; past it, deliveries are answered 503.
    var capacity: Int { get }
    /// Jobs admitted and not finished, reservations included.
    var count: Int { get }
    /// Jobs waiting (not in flight).
    var depth: Int { get }

    /// Claims room for `jobs` jobs, all or nothing, before anything is journaled.
    func reserve(_ jobs: Int) -> Bool
    func cancelReservation(_ jobs: Int)
    /// The event whose thin fetch with this key has not started yet, if one is waiting here.
    func waitingFetch(for key: String) -> String?
    /// The jobs of an event just journaled, into room reserved for them.
    func enqueue(reserved jobs: [Job])
    /// Jobs recovered at start-up, whatever the capacity (nothing accepted may be dropped).
    func enqueue(overCapacity jobs: [Job])

    /// The next runnable job; waits for one. Nil once the board is closed.
    func next() async -> Job?
    /// The job reached a terminal outcome: `line` is written to `journal` and its lane moves
    /// on. False when this instance no longer held the job (another took its lane over):
    /// nothing is written then, and the other instance ends it.
    func finish(_ job: Job, line: AuditRecord, in journal: any Journal) async -> Bool
    /// Holds the job, and its lane, until `until`, writing `line` (a `retry`) when given.
    /// False, writing nothing, when this instance no longer held it.
    func park(_ job: Job, until: MonotonicTime, line: AuditRecord?, in journal: any Journal) async -> Bool
    /// Wakes every waiting worker with nil; later `next()` calls return nil at once.
    func close()
}

extension JobQueue: JobBoard {
    package func finish(_ job: Job, line: AuditRecord, in journal: any Journal) async -> Bool {
        // The line first: the lane's next job must not be logged before this one's end.
        journal.append(line)
        finish(job)
        return true
    }

    package func park(_ job: Job, until: MonotonicTime, line: AuditRecord?, in journal: any Journal) async -> Bool {
        if let line { journal.append(line) }
        park(job, until: until)
        return true
    }
}
