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
    /// Whether a call with `callTimeout` may start for `job` now. Asked right before each call is
    /// sent: a shared store grants it only while this instance's lease on the job's lane covers
    /// the call and a margin (`LeaseBook`).
    func permit(_ job: Job, callTimeout: Duration) -> CallPermission
    /// Gives back a job whose next call was not permitted, unfinished and without a line: the
    /// lane's next holder — another instance, or this one later — runs it.
    func abandon(_ job: Job) async
    /// The job reached a terminal outcome: `line` is written to the board's journal and its lane
    /// moves on — unless the answer is `fenced` or `unwritten`, when nothing is written.
    func finish(_ job: Job, line: AuditRecord) async -> JobWrite
    /// Holds the job, and its lane, until `until`, writing `line` (a `retry`) when given — unless
    /// the answer is `fenced` or `unwritten`, when nothing is written.
    func park(_ job: Job, until: MonotonicTime, line: AuditRecord?) async -> JobWrite
    /// Wakes every waiting worker with nil; later `next()` calls return nil at once.
    func close()
}

/// What became of a job's finish or park.
package enum JobWrite: Sendable, Hashable {
    /// Written: the job ended, or waits for its next attempt.
    case written
    /// Not written: another claim holds the job's lane now (this instance stalled, or was cut off
    /// from the store), and ends the job.
    case fenced
    /// Not written: Hookline is stopping and its drain deadline passed first. The job stays owed.
    case unwritten
}

extension JobQueue: JobBoard {
    /// One process owns its queue: no lease to run out.
    package func permit(_ job: Job, callTimeout: Duration) -> CallPermission { .granted }

    package func abandon(_ job: Job) async { park(job, until: .now()) }

    package func finish(_ job: Job, line: AuditRecord) async -> JobWrite {
        // The line first: the lane's next job must not be logged before this one's end.
        journal.append(line)
        finish(job)
        return .written
    }

    package func park(_ job: Job, until: MonotonicTime, line: AuditRecord?) async -> JobWrite {
        if let line { journal.append(line) }
        park(job, until: until)
        return .written
    }
}
