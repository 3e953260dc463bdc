import HooklineCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// `store: {kind: file}`, the default: one process keeps everything in its JSONL audit log
/// (`FileJournal`) and queues jobs in memory (`JobQueue`). Start-up reads the log and queues
/// what it owes again.
package final class FileStore: Store, ThinFetchCoalescing {
    package let journal: FileJournal
    private let queue: JobQueue
    package let recovery: RecoveryReport
    private let logger: Logger
    /// Each limited target's limiter, made on first use: every caller shares it. Kept with the
    /// settings it was made for: a reload that changes them gets a new one.
    private let limiters = Mutex<[String: (RateLimitSettings, LocalRateLimiter)]>([:])
    /// The alerts sent, oldest first (`sentAlertsKept` at most).
    private let sent = Mutex<[SentAlert]>([])
    /// The audit log's line index, for the console's lookups.
    package let indexer: AuditIndexer
    /// Each target's job ends over the last day.
    private let health = Mutex(TargetHealthBook())

    private init(journal: FileJournal, queue: JobQueue, recovery: RecoveryReport, logger: Logger) {
        self.indexer = AuditIndexer(logPath: journal.path, logger: logger)
        self.journal = journal
        self.queue = queue
        self.recovery = recovery
        self.logger = logger
    }

    /// Opens the log at `path` under its lock, replays it and queues every job it owes —
    /// whatever `capacity` (nothing accepted may be dropped). `timers` wakes parked jobs.
    package static func open(
        path: String, options: AuditLogWriter.Options, capacity: Int, events: EventJobs, timers: any EventLoop,
        observer: (any AuditWriteObserver)? = nil,
        logger: Logger = Logger(label: "hookline", factory: { _ in SwiftLogNoOpLogHandler() })
    ) throws(JournalFailure) -> FileStore {
        let started = ContinuousClock.now
        let queue = JobQueue(capacity: capacity, timers: timers)
        let journal = try FileJournal.open(path: path, options: options, queue: queue, observer: observer, logger: logger)
        let recovered = OwedRecovery.jobs(owedBy: journal, events: events)
        for target in journal.writer.withJournal({ $0.paused.keys }) { _ = queue.pause(target) }
        queue.enqueue(overCapacity: recovered.jobs)
        let report = RecoveryReport(
            lines: journal.report.lines, unreadableLines: journal.report.unreadableLines, truncatedBytes: journal.report.truncatedBytes,
            recoveredEvents: recovered.events, recoveredJobs: recovered.jobs.count, seconds: (ContinuousClock.now - started).secondsValue)
        let store = FileStore(journal: journal, queue: queue, recovery: report, logger: logger)
        store.warmUpHealth()
        return store
    }

    // MARK: Accepting a delivery

    package func claim(message key: MessageKey, eventID: String, now: UnixTime) -> DedupClaim {
        journal.claim(message: key, eventID: eventID, now: now)
    }

    package func release(message key: MessageKey) { journal.release(message: key) }

    package var thinFetches: (any ThinFetchCoalescing)? { self }

    package func waitingFetch(for key: String) -> String? { queue.waitingFetch(for: key) }

    package func confirm(message key: MessageKey) { journal.confirm(message: key) }

    package func reserve(_ jobs: Int) -> Bool { queue.reserve(jobs) }

    package func cancelReservation(_ jobs: Int) { queue.cancelReservation(jobs) }

    package func accept(
        _ record: AuditRecord, jobs: [Job], claim: MessageKey?, on executor: (any CompletionExecutor)?,
        completion: @escaping @Sendable (OpeningOutcome) -> Void
    ) {
        // The writer queues the jobs (or gives their room back) with its batch, before completions run.
        journal.appendOpening(record, jobs: jobs, claim: claim, on: executor, completion: completion)
    }

    package func append(_ record: AuditRecord) { journal.append(record) }

    package var occupancy: StoreOccupancy { queue.occupancy }

    // MARK: Running jobs

    package func next() async -> Job? { await queue.next() }

    /// One process owns its queue: no lease to run out.
    package func permit(_ job: Job, callTimeout: Duration) -> CallPermission { .granted }

    package func covers(_ job: Job, callTimeout: Duration) -> Bool { true }

    package func newestOpening(inLaneOf job: Job) async throws(JournalFailure) -> AuditRecord? { nil }

    package func abandon(_ job: Job) async { queue.park(job, until: .now()) }

    package func finish(_ job: Job, line: AuditRecord) async -> JobWrite {
        // The line first: the lane's next job must not be logged before this one's end.
        journal.append(line)
        queue.finish(job)
        health.withLock { $0.record(target: job.target, outcome: line.outcome, at: line.ts) }
        return .written
    }

    package func park(_ job: Job, until: MonotonicTime, line: AuditRecord?) async -> JobWrite {
        if let line { journal.append(line) }
        queue.park(job, until: until)
        return .written
    }

    package func opening(of event: String) async -> Result<AuditRecord, JournalReadError> { journal.opening(of: event) }

    package func references(at target: String, prefixes: [String]) async throws(JournalFailure) -> any ReferenceLookup { journal.references }

    /// One process owns the log: no claim can be lost, so `fence` is not checked.
    package func remember(_ reference: LearnedReference, at target: String, line: AuditRecord, fence: LaneClaim?) async throws(JournalFailure) -> Bool {
        journal.remember(reference, at: target, line: line)
        return true
    }

    package func rateLimiter(for target: TargetSettings) -> (any TargetRateLimiter)? {
        guard let settings = target.rateLimit else { return nil }
        return limiters.withLock { limiters in
            if let (made, limiter) = limiters[target.name], made == settings { return limiter }
            let limiter = LocalRateLimiter(settings)
            limiters[target.name] = (settings, limiter)
            return limiter
        }
    }

    // MARK: Pausing a target

    package func pause(_ target: String, by: String) async throws(JournalFailure) -> Bool {
        // Held at once, then written: a failed write leaves it held (the safe side) and says so.
        guard queue.pause(target) else { return false }
        try await appendDurably(AuditRecord(ts: .now(), outcome: .paused, target: target, by: by))
        return true
    }

    package func resume(_ target: String, by: String) async throws(JournalFailure) -> Bool {
        // The queue holds every pause the log has (it is paused from the log when the store
        // opens), and one whose line could not be written.
        guard queue.isPaused(target) else { return false }
        // Written first: once the jobs run, the log must already say why they could.
        try await appendDurably(AuditRecord(ts: .now(), outcome: .resumed, target: target, by: by))
        return queue.resume(target)
    }

    /// As written in the log (a pause whose line is still on its way shows once it is written).
    package var paused: [String: PausedTarget] { journal.writer.withJournal { $0.paused } }

    // MARK: Alerts

    package func oldestWaiting() async throws(JournalFailure) -> [String: UnixTime] { queue.waiting().mapValues(\.oldest) }

    package func targetHealth() async throws -> [String: TargetHealth] {
        let now = UnixTime.now()
        let waiting = queue.waiting()
        let book = health.withLock { $0 }
        var all: [String: TargetHealth] = [:]
        for target in Set(book.targets).union(waiting.keys) {
            var figures = book.health(of: target, now: now)
            figures.waiting = waiting[target]?.jobs ?? 0
            figures.oldestWaiting = waiting[target]?.oldest
            all[target] = figures
        }
        return all
    }

    /// How much of the log's end is read back at start for the targets' last day.
    static let healthWarmUpBytes: Int64 = 256 << 20

    /// Counts the last day's job ends already in the log (read back from its end as it was at
    /// open, so nothing written since is counted twice), on a thread of its own.
    private func warmUpHealth() {
        let path = journal.path
        let end = (try? FileSize.of(path)) ?? 0
        let since = UnixTime.now() - .seconds(86_400)
        NIOThreadPool.singleton.submit { [self] state in
            guard state == .active else { return }
            var read: Int64 = 0
            var book = TargetHealthBook()
            try? AuditLogHistory.forEachLineBackward(in: path, before: end) { line, _ in
                read += Int64(line.count + 1)
                guard let summary = AuditLineScanner.scan(line) else { return read < Self.healthWarmUpBytes }
                if summary.ts < since { return false }
                if let target = summary.target { book.record(target: target, outcome: summary.outcome, at: summary.ts) }
                return read < Self.healthWarmUpBytes
            }
            self.health.withLock { $0.merge(book) }
        }
    }

    /// One process sends every alert it makes. The last thousand are kept in memory.
    package func record(alert message: AlertMessage, repeatEvery: Duration?) async throws(JournalFailure) -> Bool {
        sent.withLock { sent in
            sent.append(SentAlert(message))
            if sent.count > Self.sentAlertsKept { sent.removeFirst(sent.count - Self.sentAlertsKept) }
        }
        return true
    }

    package func sentAlerts(limit: Int) async throws(JournalFailure) -> [SentAlert] {
        sent.withLock { Array($0.suffix(max(0, limit)).reversed()) }
    }

    package var instanceName: String { ProcessInfoLite.hostname }

    static let sentAlertsKept = 1000

    // MARK: History (the console)

    /// Read on a thread of its own: a page reads up to `AuditLogHistory.budget` bytes.
    package func events(_ query: EventQuery, limit: Int) async throws -> EventPage {
        let history = AuditLogHistory(path: journal.path, indexer: indexer)
        return try await NIOThreadPool.singleton.runIfActive { try history.events(query, limit: limit) }
    }

    package func event(_ id: String) async throws -> EventDetail? {
        let history = AuditLogHistory(path: journal.path, indexer: indexer)
        return try await NIOThreadPool.singleton.runIfActive { try history.event(id) }
    }

    // MARK: Redrive

    package func owedTargets(of event: String) async throws(JournalFailure) -> [String]? { journal.owedTargets(of: event) }

    /// Reads the whole log: on a thread of its own, not the workers'.
    package func redriveCandidates(outcomes: Set<AuditOutcome>, event: String?, since: UnixTime?, now: UnixTime) async throws(JournalFailure) -> [AuditRecord] {
        let journal = self.journal
        do {
            return try await NIOThreadPool.singleton.runIfActive {
                try journal.redriveCandidates(outcomes: outcomes, event: event, since: since, now: now)
            }
        } catch let failure as JournalFailure {
            throw failure
        } catch {
            throw JournalFailure("the audit log could not be read: \(error)")
        }
    }

    // MARK: Personal data

    package func erase(_ erasure: ContactErasure, by: String, dryRun: Bool) async throws -> ErasureReport {
        var report = ErasureReport(contact: erasure.contact, source: erasure.source, dryRun: dryRun)
        let journal = self.journal
        // Each owed event's opening is read back to learn its contact: file reads, off the pool.
        report.owed = try await NIOThreadPool.singleton.runIfActive {
            journal.writer.withJournal { $0.pending.map { ($0.event, $0.remainingTargets) } }.compactMap { event, targets in
                guard case .success(let opening) = journal.opening(of: event), erasure.matches(opening) else { return nil }
                return ErasureReport.Owed(event: event, targets: targets)
            }
        }
        guard report.owed.isEmpty else { return report }
        try await journal.writer.erase(erasure, by: by, dryRun: dryRun, indexer: indexer, into: &report)
        return report
    }

    // MARK: Life

    package var failure: JournalFailure? { journal.failure }

    /// Jobs carry their route, and the queue holds what was accepted: nothing to change.
    package func configurationChanged(_ configuration: HooklineConfiguration, events: EventJobs) {}

    package var databasePool: DatabasePoolReading? { nil }

    /// The writer has its own thread; nothing else runs.
    /// The line index follows the log.
    package var background: [any Service] {
        [AuditIndexService(indexer: indexer, keeping: journal.writer.options.payloads, archiveWork: journal.writer.archiveWork, logger: logger)]
    }

    package func flush() async -> JournalFailure? { await journal.flush() }

    package func stopHandingOut() { queue.close() }

    /// A `pending` line for each event still owed (the next start picks it up), then the log
    /// written, synced and closed.
    package func close() async {
        let now = UnixTime.now()
        for owed in journal.owedTargets() {
            journal.append(
                AuditRecord(
                    ts: now, outcome: .pending, event: owed.event, targets: owed.targets,
                    error: "Hookline stopped before these targets were done; the next start picks them up"))
        }
        if let failure = await journal.flush() {
            logger.error("the audit log could not be flushed at shutdown", metadata: ["error": "\(failure)"])
        }
        await journal.close()
    }
}
