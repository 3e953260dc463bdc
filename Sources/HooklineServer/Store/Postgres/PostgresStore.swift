import HooklineCore
import ServiceLifecycle
import Synchronization

/// `store: {kind: postgres}`: the events, jobs, leases, learned ids and rate limits a fleet of
/// Hooklines shares in one PostgreSQL (`PostgresDatabase`), kept through `PostgresJournal`
/// (events, dedup, this instance's audit log through the outbox) and `PostgresJobBoard` (lanes
/// claimed under leases, finishes fenced by their claim).
package final class PostgresStore: Store {
    package let database: PostgresDatabase
    package let journal: PostgresJournal
    let board: PostgresJobBoard
    package let recovery: RecoveryReport
    /// The targets' job ends over the last hour and day, counted at most every
    /// `healthCountsFor` (a count over a day of the fleet's jobs is the costly part).
    let healthCounts = Mutex<(at: ContinuousClock.Instant, counts: [String: TargetHealth])?>(nil)
    static let healthCountsFor: Duration = .seconds(10)
    /// What a finished event's row keeps of its payload, and the targets whose job ends are
    /// watched for it (`audit.payloads`).
    let payloads: PayloadKeeping
    let targets: [String]

    /// Opens the store for a runtime on `database`, whose pool is already running: the schema
    /// migrated, this instance's leases from before a crash released, what its outbox still held
    /// copied into its log. What is owed stays in the database: nothing is read back.
    package static func open(on database: PostgresDatabase, configuration: HooklineConfiguration, events: EventJobs) async throws(JournalFailure) -> PostgresStore {
        let started = ContinuousClock.now
        let (journal, board) = try await database.open(configuration: configuration, events: events)
        var report = RecoveryReport()
        report.seconds = (ContinuousClock.now - started).secondsValue
        return PostgresStore(
            database: database, journal: journal, board: board, recovery: report, payloads: configuration.audit.payloads,
            targets: configuration.targets.map(\.name))
    }

    private init(
        database: PostgresDatabase, journal: PostgresJournal, board: PostgresJobBoard, recovery: RecoveryReport, payloads: PayloadKeeping,
        targets: [String]
    ) {
        self.database = database
        self.journal = journal
        self.board = board
        self.recovery = recovery
        self.payloads = payloads
        self.targets = targets
    }

    // MARK: Accepting a delivery

    package func claim(message key: MessageKey, eventID: String, now: UnixTime) -> DedupClaim {
        journal.claim(message: key, eventID: eventID, now: now)
    }

    package func release(message key: MessageKey) { journal.release(message: key) }

    /// Thin deliveries are not coalesced across a fleet: each instance fetches the contact.
    package var thinFetches: (any ThinFetchCoalescing)? { nil }

    package func reserve(_ jobs: Int) -> Bool { board.reserve(jobs) }

    package func cancelReservation(_ jobs: Int) { board.cancelReservation(jobs) }

    package func accept(
        _ record: AuditRecord, jobs: [Job], claim: MessageKey?, on executor: (any CompletionExecutor)?,
        completion: @escaping @Sendable (OpeningOutcome) -> Void
    ) {
        journal.appendOpening(record, jobs: jobs, claim: claim, on: executor) { [board] outcome in
            if outcome == .durable { board.enqueue(reserved: jobs) } else { board.cancelReservation(jobs.count) }
            completion(outcome)
        }
    }

    package func append(_ record: AuditRecord) { journal.append(record) }

    package var occupancy: StoreOccupancy { board.occupancy }

    // MARK: Running jobs

    package func next() async -> Job? { await board.next() }

    package func permit(_ job: Job, callTimeout: Duration) -> CallPermission { board.permit(job, callTimeout: callTimeout) }

    package func covers(_ job: Job, callTimeout: Duration) -> Bool { board.covers(job, callTimeout: callTimeout) }

    package func newestOpening(inLaneOf job: Job) async throws(JournalFailure) -> AuditRecord? {
        guard let lane = job.ticket?.lane else { return nil }
        return try await journal.newestOpening(inLane: lane)
    }

    package func abandon(_ job: Job) async { await board.abandon(job) }

    package func finish(_ job: Job, line: AuditRecord) async -> JobWrite { await board.finish(job, line: line) }

    package func park(_ job: Job, until: MonotonicTime, line: AuditRecord?) async -> JobWrite {
        await board.park(job, until: until, line: line)
    }

    package func opening(of event: String) async -> Result<AuditRecord, JournalReadError> { await journal.opening(of: event) }

    package func references(at target: String, prefixes: [String]) async throws(JournalFailure) -> any ReferenceLookup {
        try await journal.references(at: target, prefixes: prefixes)
    }

    package func remember(_ reference: LearnedReference, at target: String, line: AuditRecord, fence: LaneClaim?) async throws(JournalFailure) -> Bool {
        try await journal.remember(reference, at: target, line: line, fence: fence)
    }

    /// Kept in the database, on its clock: the limit holds for the whole fleet.
    package func rateLimiter(for target: TargetSettings) -> (any TargetRateLimiter)? {
        target.rateLimit.map { PostgresRateLimiter(store: database, target: target.name, settings: $0) }
    }

    // MARK: Pausing a target

    package func pause(_ target: String, by: String) async throws(JournalFailure) -> Bool {
        let rows = try await database.query(
            "INSERT INTO hookline_paused (target, paused_by) VALUES (\(target), \(by)) ON CONFLICT DO NOTHING RETURNING target", "pause")
        guard !rows.isEmpty else { return false }
        // Held here at once; the rest of the fleet reads it within a second.
        await board.refreshPaused()
        try await appendDurably(AuditRecord(ts: .now(), outcome: .paused, target: target, by: by))
        return true
    }

    package func resume(_ target: String, by: String) async throws(JournalFailure) -> Bool {
        let rows = try await database.query("DELETE FROM hookline_paused WHERE target = \(target) RETURNING target", "resume")
        guard !rows.isEmpty else { return false }
        await board.refreshPaused()
        try await appendDurably(AuditRecord(ts: .now(), outcome: .resumed, target: target, by: by))
        // Idle instances claim at once rather than at their next look.
        _ = try? await database.query("SELECT pg_notify('hookline_jobs', '')", "notify")
        return true
    }

    package var paused: [String: PausedTarget] { board.pausing.paused }

    // MARK: Redrive

    package func owedTargets(of event: String) async throws(JournalFailure) -> [String]? { try await journal.owedTargets(of: event) }

    package func redriveCandidates(outcomes: Set<AuditOutcome>, event: String?, since: UnixTime?, now: UnixTime) async throws(JournalFailure) -> [AuditRecord] {
        try await journal.redriveCandidates(outcomes: outcomes, event: event, since: since, now: now)
    }

    // MARK: Life

    package var failure: JournalFailure? { journal.failure }

    package func configurationChanged(_ configuration: HooklineConfiguration, events: EventJobs) {
        board.update(configuration, events: events)
    }

    package var databasePool: DatabasePoolReading? { DatabasePoolReading(size: database.settings.poolSize, inUse: database.queriesInFlight) }

    package var background: [any Service] { database.services(journal: journal, board: board, retention: database.settings.retention, payloads: payloads, targets: targets) }

    package func flush() async -> JournalFailure? { await journal.flush() }

    package func stopHandingOut() { board.close() }

    /// This instance's lanes go back to the fleet at once; the log is written and closed.
    package func close() async {
        await board.releaseAll()
        await journal.close()
    }
}
