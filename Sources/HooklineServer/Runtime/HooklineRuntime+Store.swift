import HooklineCore
import Logging
import NIOCore

extension HooklineRuntime {
    /// What the configured store gives a runtime: its journal, where jobs wait, each target's
    /// rate limiter, what start-up found — and, for the shared store, the work it does while the
    /// runtime runs and the lanes it gives back at shutdown.
    struct StoreParts: Sendable {
        let journal: any Journal
        let board: any JobBoard
        let limiter: @Sendable (TargetSettings) -> (any TargetRateLimiter)?
        let report: RecoveryReport
        let work: (@Sendable () async -> Void)?
        let release: (@Sendable () async -> Void)?

        /// `store: {kind: file}`: the audit log is the journal; what it owes is queued in memory again.
        static func file(
            configuration: HooklineConfiguration, events: EventJobs, group: any EventLoopGroup, metrics: HooklineMetrics, logger: Logger
        ) async throws -> StoreParts {
            let started = ContinuousClock.now
            let journal = try FileJournal.open(
                path: configuration.audit.path,
                options: AuditLogWriter.Options(
                    fsync: configuration.audit.fsync, rotateBytes: configuration.audit.rotateBytes,
                    dedupMaxAge: configuration.queue.dedupMaxAge, dedupMaxEntries: configuration.queue.dedupMaxEntries),
                observer: metrics, logger: logger)
            let queue = JobQueue(capacity: configuration.queue.capacity, timers: group.next(), journal: journal)
            let recovered: (jobs: [Job], events: Int)
            do {
                recovered = try await OwedRecovery.jobs(owedBy: journal, events: events)
            } catch {
                await journal.close()
                throw error
            }
            queue.enqueue(overCapacity: recovered.jobs)
            let report = RecoveryReport(
                lines: journal.report.lines, unreadableLines: journal.report.unreadableLines, truncatedBytes: journal.report.truncatedBytes,
                recoveredEvents: recovered.events, recoveredJobs: recovered.jobs.count, seconds: (ContinuousClock.now - started).secondsValue)
            return StoreParts(
                journal: journal, board: queue, limiter: { settings in settings.rateLimit.map(LocalRateLimiter.init) }, report: report,
                work: nil, release: nil)
        }

        /// `store: {kind: postgres}`: the shared database; `store`'s pool is already running.
        static func postgres(_ store: PostgresStore, configuration: HooklineConfiguration, events: EventJobs) async throws -> StoreParts {
            let started = ContinuousClock.now
            let (journal, board) = try await store.open(configuration: configuration, events: events)
            var report = RecoveryReport()
            report.seconds = (ContinuousClock.now - started).secondsValue
            let retention = store.settings.retention
            return StoreParts(
                journal: journal, board: board,
                limiter: { settings in settings.rateLimit.map { PostgresRateLimiter(store: store, target: settings.name, settings: $0) } },
                report: report,
                work: { await store.work(journal: journal, board: board, retention: retention) },
                release: { await board.releaseAll() })
        }
    }
}
