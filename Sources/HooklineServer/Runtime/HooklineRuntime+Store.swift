import HooklineCore
import Logging
import NIOCore

extension HooklineRuntime {
    /// What the configured store gives a runtime: its journal, where jobs wait, each target's
    /// rate limiter, what start-up found, what it does with unfinished work once the workers have
    /// stopped — and, for the shared store, the work it does while the runtime runs.
    struct StoreParts: Sendable {
        let journal: any Journal
        let board: any JobBoard
        let limiter: @Sendable (TargetSettings) -> (any TargetRateLimiter)?
        let report: RecoveryReport
        let work: (@Sendable () async -> Void)?
        /// Once the workers stopped: the file store writes a `pending` line for each event still
        /// owed (the next start picks it up); a shared store gives this instance's lanes back to
        /// the fleet at once.
        let release: @Sendable () async -> Void
        /// The database pool's size and the queries in it now, for `/metrics`; nil without one.
        let pool: (@Sendable () -> (size: Int, inUse: Int))?

        /// The one place that turns `store:` into a store. A shared store's connection pool runs
        /// from here on, through `background` (the runtime's task group), start-up included.
        static func open(
            configuration: HooklineConfiguration, events: EventJobs, group: any EventLoopGroup, metrics: HooklineMetrics, logger: Logger,
            background: (@escaping @Sendable () async -> Void) -> Void
        ) async throws -> StoreParts {
            switch configuration.store {
            case .file:
                return try await .file(configuration: configuration, events: events, group: group, metrics: metrics, logger: logger)
            case .postgres(let settings):
                let store = try PostgresStore(settings: settings, auditPath: configuration.audit.path, metrics: metrics, logger: logger)
                background { await store.runPool() }
                return try await .postgres(store, configuration: configuration, events: events)
            }
        }

        /// `store: {kind: file}`: the audit log is the journal; what it owes is queued in memory again.
        private static func file(
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
                work: nil, release: { await writePending(journal: journal, logger: logger) }, pool: nil)
        }

        /// `store: {kind: postgres}`: the shared database; `store`'s pool is already running.
        private static func postgres(_ store: PostgresStore, configuration: HooklineConfiguration, events: EventJobs) async throws -> StoreParts {
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
                release: { await board.releaseAll() },
                pool: { (store.settings.poolSize, store.queriesInFlight) })
        }

        /// A `pending` line for each event the file journal still owes.
        private static func writePending(journal: any Journal, logger: Logger) async {
            let now = UnixTime.now()
            do {
                for owed in try await journal.owedTargets() {
                    journal.append(
                        AuditRecord(
                            ts: now, outcome: .pending, event: owed.event, targets: owed.targets,
                            error: "Hookline stopped before these targets were done; the next start picks them up"))
                }
            } catch {
                logger.error("could not list what is still owed at shutdown", metadata: ["error": "\(error)"])
            }
        }
    }
}
