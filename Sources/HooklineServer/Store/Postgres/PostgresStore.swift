import HooklineCore
import Logging

#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import Synchronization

/// One Hookline's connection to the PostgreSQL that a fleet shares: the pool, the schema, and
/// the background work a member of the fleet does — renewing its leases, listening for new
/// jobs, counting unfinished ones, pruning what retention allows.
package final class PostgresStore: Sendable {
    package let settings: PostgresSettings
    /// This process among the fleet's: what its leases carry.
    package let instance: String
    /// This run of the instance, as its connections name themselves (`application_name`): a
    /// restart ends the sessions an earlier run left behind before it reads its outbox.
    let incarnation: String
    let client: PostgresClient
    let logger: Logger
    let metrics: HooklineMetrics?
    /// The last time the database could not be reached, and why (`/readyz`).
    private let health = Mutex<JournalFailure?>(nil)
    /// Woken when jobs may be runnable (a notification, a local enqueue, a park's deadline).
    let wake = WakeSignal()
    private let inFlight = Atomic<Int>(0)

    /// Queries running on the pool right now.
    package var queriesInFlight: Int { inFlight.load(ordering: .relaxed) }

    /// `instance` is this process's name in the fleet (`InstanceIdentity`, beside its audit log).
    package init(settings: PostgresSettings, instance: String, metrics: HooklineMetrics?, logger: Logger) {
        self.settings = settings
        self.metrics = metrics
        self.logger = logger
        self.instance = instance
        var generator = SystemRandomNumberGenerator()
        self.incarnation = "\(instance)#\(String(UInt32.random(in: .min ... .max, using: &generator), radix: 36))"
        let url = settings.url
        let tls: PostgresClient.Configuration.TLS =
            switch url.tls {
            case .disable: .disable
            case .prefer: .prefer(.makeClientConfiguration())
            case .require: .require(.makeClientConfiguration())
            }
        var configuration = PostgresClient.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password, database: url.database, tls: tls)
        configuration.options.maximumConnections = settings.poolSize
        configuration.options.minimumConnections = min(2, settings.poolSize)
        // Fail fast when the database is away: the sender is answered 503 and retries.
        configuration.options.connectTimeout = .seconds(2)
        configuration.options.additionalStartupParameters = [("application_name", incarnation)]
        client = PostgresClient(configuration: configuration, backgroundLogger: Logger(label: "hookline.postgres", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    /// Runs the pool; returns when cancelled. A graceful shutdown does not stop it (the client
    /// would close its pool at once): draining still commits what the workers finish and gives
    /// the leases back, and the runtime cancels the pool after that.
    package func runPool() async {
        let pool = Task.detached { [client] in await client.run() }
        await withTaskCancellationHandler { await pool.value } onCancel: { pool.cancel() }
    }

    /// Connects once, outside the pool, and runs `SELECT 1`: the pool retries a refused or
    /// failed connection quietly for as long as it is asked to wait, so at start this is what
    /// tells the operator why the database cannot be used (refused, no such database, a wrong
    /// password) in the server's words.
    package func probe(timeout: Duration = .seconds(10)) async throws(JournalFailure) {
        let url = settings.url
        let tls: PostgresConnection.Configuration.TLS
        do {
            switch url.tls {
            case .disable: tls = .disable
            case .prefer: tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
            case .require: tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            }
        } catch {
            throw JournalFailure("cannot set up TLS for the database at \(url): \(error)")
        }
        var configuration = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password, database: url.database, tls: tls)
        configuration.options.connectTimeout = .seconds(Int64(timeout.secondsValue))
        configuration.options.additionalStartupParameters = [("application_name", incarnation)]
        let logger = self.logger
        let configured = configuration
        do {
            try await withDeadline(timeout) {
                let connection = try await PostgresConnection.connect(configuration: configured, id: 0, logger: logger)
                do {
                    try await connection.query("SELECT 1", logger: logger)
                } catch {
                    try? await connection.close()
                    throw error
                }
                try await connection.close()
            }
        } catch {
            let failure = Self.describe(error)
            let reason = failure.description.hasPrefix("PostgreSQL: ") ? String(failure.description.dropFirst(12)) : failure.description
            throw JournalFailure("cannot use the database at \(url): \(reason)", unreachable: failure.unreachable)
        }
    }

    /// Why the database cannot be used right now, or nil.
    package var failure: JournalFailure? { health.withLock { $0 } }

    /// How long a query may take, waiting for a connection included; then the caller is told
    /// the database is unavailable (a sender is answered 503).
    static let queryTimeout: Duration = .seconds(5)

    /// Whether the last failure says the database cannot be reached (not a statement's error):
    /// deliveries are answered 503 at once until a query gets through again.
    package var unreachable: Bool { health.withLock { $0?.unreachable ?? false } }

    /// Runs `query`, timing it and keeping the database's health current.
    @discardableResult
    func query(_ query: PostgresQuery, _ name: String) async throws(JournalFailure) -> [PostgresRow] {
        let started = ContinuousClock.now
        inFlight.add(1, ordering: .relaxed)
        defer { inFlight.subtract(1, ordering: .relaxed) }
        do {
            let rows = try await withDeadline(Self.queryTimeout) { [client, logger] in try await client.query(query, logger: logger).collect() }
            metrics?.database(query: name, duration: .now - started, failed: false)
            recovered()
            return rows
        } catch {
            metrics?.database(query: name, duration: .now - started, failed: true)
            let failure = Self.describe(error)
            failed(failure)
            throw failure
        }
    }

    private func failed(_ failure: JournalFailure) {
        let first = health.withLock { health -> Bool in
            defer { health = failure }
            return health == nil
        }
        if first { logger.error("the database cannot be used; deliveries are answered 503", metadata: ["error": "\(failure)"]) }
    }

    private func recovered() {
        let was = health.withLock { health -> JournalFailure? in
            defer { health = nil }
            return health
        }
        if let was { logger.notice("the database is reachable again", metadata: ["was": "\(was)"]) }
    }

    /// A sentence for an error from the database or the pool: the server's message when it
    /// sent one (never the connection's password).
    static func describe(_ error: any Error) -> JournalFailure {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                let code = error.serverInfo?[.sqlState]
                let state = code.map { " (SQLSTATE \($0))" } ?? ""
                // Class 08 is a connection exception; 57P01–57P03 a server shutting down or starting.
                let away = code.map { $0.hasPrefix("08") || $0.hasPrefix("57P") } ?? false
                return JournalFailure("PostgreSQL: \(message)\(state)", unreachable: away)
            }
            // No answer from the server: what the connection ran into (refused, reset, TLS).
            let underlying = error.underlying.map(connectionProblem) ?? error.code.description
            return JournalFailure("PostgreSQL: \(underlying)", unreachable: true)
        }
        if let error = error as? DeadlinePassed { return JournalFailure("PostgreSQL: \(error)", unreachable: true) }
        // The pool's own errors (shut down, no connection to be had).
        return JournalFailure("PostgreSQL: \(error)", unreachable: true)
    }

    // MARK: - Schema

    /// Runs the migrations not yet applied, under an advisory lock so instances starting
    /// together do not race; returns the versions applied now.
    @discardableResult
    package func migrate() async throws(JournalFailure) -> [Int] {
        do {
            return try await client.withConnection { connection in
                try await connection.query("SELECT pg_advisory_lock(\(PostgresSchema.migrationLock))", logger: logger)
                do {
                    try await connection.query(
                        "CREATE TABLE IF NOT EXISTS hookline_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                        logger: logger)
                    var applied: Set<Int> = []
                    for try await version in try await connection.query("SELECT version FROM hookline_migrations", logger: logger).decode(Int.self) {
                        applied.insert(version)
                    }
                    if let newest = applied.max(), newest > Self.schemaVersion {
                        throw JournalFailure(
                            "the database's schema is at version \(newest), newer than this Hookline's \(Self.schemaVersion): run the Hookline that migrated it, or a later one")
                    }
                    var now: [Int] = []
                    for migration in PostgresSchema.migrations where !applied.contains(migration.version) {
                        try await connection.query("BEGIN", logger: logger)
                        do {
                            for statement in migration.statements {
                                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                            }
                            try await connection.query("INSERT INTO hookline_migrations (version) VALUES (\(migration.version))", logger: logger)
                            try await connection.query("COMMIT", logger: logger)
                        } catch {
                            await Self.bestEffort("roll back a failed migration", logger: logger) { try await connection.query("ROLLBACK", logger: logger) }
                            throw error
                        }
                        now.append(migration.version)
                    }
                    try await connection.query("SELECT pg_advisory_unlock(\(PostgresSchema.migrationLock))", logger: logger)
                    return now
                } catch {
                    // The lock goes with the connection too; unlocking is a courtesy.
                    await Self.bestEffort("release the migration lock", logger: logger) {
                        try await connection.query("SELECT pg_advisory_unlock(\(PostgresSchema.migrationLock))", logger: logger)
                    }
                    throw error
                }
            }
        } catch let failure as JournalFailure {
            throw failure
        } catch {
            throw Self.describe(error)
        }
    }
}

extension PostgresStore {
    /// The schema version this Hookline needs.
    package static var schemaVersion: Int { PostgresSchema.migrations.last?.version ?? 0 }

    /// `hookline migrate`: connects, applies the migrations not yet applied (under the same
    /// advisory lock as a starting instance), and disconnects. The versions applied now.
    package static func migrate(settings: PostgresSettings, logger: Logger, timeout: Duration = .seconds(30)) async throws(JournalFailure) -> [Int] {
        let store = PostgresStore(settings: settings, instance: "hookline-migrate", metrics: nil, logger: logger)
        do {
            return try await withThrowingTaskGroup(of: [Int]?.self) { group in
                group.addTask {
                    await store.runPool()
                    return nil
                }
                defer { group.cancelAll() }
                try await store.probe()
                return try await withDeadline(timeout) { try await store.migrate() }
            }
        } catch let failure as JournalFailure {
            throw failure
        } catch {
            throw describe(error)
        }
    }

    /// A connection's failure in a few words: "connection refused by 10.0.0.5:5432".
    static func connectionProblem(_ error: any Error) -> String {
        if let error = error as? NIOConnectionError {
            if let failure = error.connectionErrors.first {
                return "\(connectionProblem(failure.error)) (\(error.host):\(error.port))"
            }
            if let dns = error.dnsAError ?? error.dnsAAAAError { return "cannot resolve \(error.host): \(dns)" }
        }
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)).lowercased() }
        return "\(error)"
    }

    /// Runs a clean-up after a failure already being reported; its own failure is logged.
    static func bestEffort(_ what: String, logger: Logger, _ body: () async throws -> Void) async {
        do {
            try await body()
        } catch {
            logger.warning("could not \(what)", metadata: ["error": "\(describe(error))"])
        }
    }
}

/// The host name, for the instance's name in leases.
enum ProcessInfoLite {
    static var hostname: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "host" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return String(name.filter { $0.isLetter || $0.isNumber || $0 == "-" }.prefix(40))
    }
}

extension PostgresStore {
    /// The store for an instance whose audit log is at `auditPath`, named as before if it ran before.
    package convenience init(settings: PostgresSettings, auditPath: String, metrics: HooklineMetrics?, logger: Logger) throws(JournalFailure) {
        self.init(settings: settings, instance: try InstanceIdentity.load(auditPath: auditPath), metrics: metrics, logger: logger)
    }

    /// Opens the store for a runtime: the schema migrated, this instance's leases from before a
    /// crash released, what its outbox still held copied into its log.
    package func open(configuration: HooklineConfiguration, events: EventJobs) async throws(JournalFailure) -> (PostgresJournal, PostgresJobBoard) {
        try await probe()
        try await migrate()
        let path = configuration.audit.path
        let log: AuditLogWriter
        do {
            let file = try AuditFile.openLocked(path)
            let summary = try AuditLogReader.forEachLine(of: file.descriptor, path: path) { _, _ in }
            if summary.partialTail > 0 { try file.truncate(to: summary.completeBytes) }
            log = try AuditLogWriter(
                file: file,
                options: AuditLogWriter.Options(fsync: configuration.audit.fsync, rotateBytes: configuration.audit.rotateBytes, keepsJournal: false),
                observer: metrics, logger: logger)
        } catch let error as FileError {
            throw JournalFailure(error)
        } catch {
            throw JournalFailure("cannot open the audit log \(path): \(error)")
        }
        let journal = PostgresJournal(store: self, log: log)
        try await endEarlierSessions()
        // Seen before the outbox is read: no other instance adopts it from here on.
        try await heartbeat()
        try await query("UPDATE hookline_lanes SET holder = NULL, lease_until = NULL WHERE holder = \(instance)", "release_own")
        let copied = try await journal.outbox.recover(logPath: path)
        if copied > 0 { logger.notice("copied lines committed before a stop into the audit log", metadata: ["lines": "\(copied)"]) }
        let board = PostgresJobBoard(store: self, events: events, capacity: configuration.queue.capacity, prefetch: configuration.queue.workers)
        await board.recount()
        return (journal, board)
    }

    /// Ends the sessions an earlier run of this instance left (a SIGKILL leaves them until the
    /// server notices): a statement still running in one could commit an outbox line after this
    /// run copied the outbox, and the line would wait for the next restart.
    private func endEarlierSessions() async throws(JournalFailure) {
        let pattern = instance.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "#%"
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            let rows = try await query(
                """
                SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                WHERE application_name LIKE \(pattern) AND application_name <> \(incarnation)
                """, "end_sessions")
            let remaining = try PostgresJournal.decodeAll(rows) { try $0[0].decode(Int.self) }.first ?? 0
            if remaining == 0 { return }
            guard ContinuousClock.now < deadline else {
                throw JournalFailure("\(remaining) sessions of an earlier run of \(instance) would not end")
            }
            _ = await HooklineRuntime.sleep(for: .milliseconds(50))
        }
    }

    /// The work a member of the fleet does while it runs: committing batches, claiming lanes,
    /// renewing its leases, listening for new jobs, recounting, copying and pruning. Returns
    /// when cancelled.
    package func work(journal: PostgresJournal, board: PostgresJobBoard, retention: Duration) async {
        await withDiscardingTaskGroup { group in
            for _ in 0..<2 { group.addTask { await journal.batcher.run() } }
            group.addTask { await board.claimLoop(journal: journal) }
            group.addTask { await self.every(.milliseconds(Int64(self.settings.lease.secondsValue * 1000 / 3))) { await self.renewLeases() } }
            group.addTask { await self.every(min(self.settings.adoptAfter / 4, .seconds(60))) { await self.adopt(journal: journal) } }
            group.addTask { await self.every(.seconds(10)) { await self.sweep(journal: journal) } }
            group.addTask { await self.every(.seconds(1)) { await board.recount() } }
            group.addTask { await self.every(.milliseconds(200)) { await journal.outbox.prune() } }
            group.addTask { await self.every(.seconds(60)) { await self.prune(retention: retention) } }
            group.addTask { await self.listen() }
        }
    }

    /// Looks for work again at `time` (a lane parked here becomes runnable then).
    func wakeAt(_ time: MonotonicTime) {
        let delay = max(.zero, time.since(.now()))
        Task { [wake] in
            if await HooklineRuntime.sleep(for: delay) { wake.signal() }
        }
    }

    private func every(_ interval: Duration, _ body: () async -> Void) async {
        while await HooklineRuntime.sleep(for: interval) { await body() }
    }

    /// Renews the leases this instance holds and says it is still here, in one round trip.
    private func renewLeases() async {
        do {
            try await query(
                """
                WITH seen AS (
                    INSERT INTO hookline_instances (name, seen_at) VALUES (\(instance), now())
                    ON CONFLICT (name) DO UPDATE SET seen_at = excluded.seen_at
                )
                UPDATE hookline_lanes SET lease_until = now() + make_interval(secs => \(settings.lease.secondsValue)) WHERE holder = \(instance)
                """, "renew_leases")
        } catch {
            logger.warning("could not renew this instance's leases", metadata: ["error": "\(error)"])
        }
    }

    private func heartbeat() async throws(JournalFailure) {
        try await query(
            "INSERT INTO hookline_instances (name, seen_at) VALUES (\(instance), now()) ON CONFLICT (name) DO UPDATE SET seen_at = excluded.seen_at",
            "heartbeat")
    }

    /// Writes the lines of commits whose answer was lost.
    private func sweep(journal: PostgresJournal) async {
        do {
            let copied = try await journal.outbox.sweep()
            guard copied > 0 else { return }
            logger.notice("wrote audit lines committed earlier whose commit's answer was lost", metadata: ["lines": "\(copied)"])
        } catch {
            logger.warning("could not look for committed lines not yet written", metadata: ["error": "\(error)"])
        }
    }

    /// Copies into this log what instances gone for `store.adopt_after` committed and never wrote.
    private func adopt(journal: PostgresJournal) async {
        do {
            let adopted = try await journal.outbox.adopt(after: settings.adoptAfter)
            guard adopted.lines > 0 else { return }
            logger.notice(
                "copied into this audit log the lines instances gone for store.adopt_after had committed but not written",
                metadata: ["lines": "\(adopted.lines)", "instances": "\(adopted.from.sorted().joined(separator: ","))"])
        } catch {
            logger.warning("could not look for lines left by instances that are gone", metadata: ["error": "\(error)"])
        }
    }

    /// Gives the lanes this instance holds back to the fleet (at shutdown).
    func releaseLeases() async {
        do {
            try await query("UPDATE hookline_lanes SET holder = NULL, lease_until = NULL WHERE holder = \(instance)", "release_leases")
        } catch {
            logger.warning("could not release this instance's leases; they run out after their lease", metadata: ["error": "\(error)"])
        }
    }

    /// Deletes finished events older than `retention`, a batch at a time, with their jobs.
    private func prune(retention: Duration) async {
        do {
            try await query(
                """
                WITH old AS (
                    SELECT e.id FROM hookline_events e
                    WHERE e.received_at < now() - make_interval(secs => \(retention.secondsValue))
                      AND NOT EXISTS (SELECT 1 FROM hookline_jobs j WHERE j.event_id = e.id AND NOT j.done)
                    LIMIT 1000
                ), gone AS (DELETE FROM hookline_jobs j USING old WHERE j.event_id = old.id)
                DELETE FROM hookline_events e USING old WHERE e.id = old.id
                """, "prune")
        } catch {
            logger.warning("could not prune finished events", metadata: ["error": "\(error)"])
        }
    }

    /// Wakes idle workers on every new job anywhere in the fleet; reconnects with backoff.
    private func listen() async {
        var delay = Duration.milliseconds(200)
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: "hookline_jobs") { notifications in
                        delay = .milliseconds(200)
                        wake.signal()
                        for try await _ in notifications { wake.signal() }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.debug("listening for new jobs stopped; listening again", metadata: ["error": "\(error)", "in_ms": "\(delay.wholeMilliseconds)"])
            }
            guard await HooklineRuntime.sleep(for: delay) else { return }
            delay = min(delay * 2, .seconds(5))
        }
    }
}
