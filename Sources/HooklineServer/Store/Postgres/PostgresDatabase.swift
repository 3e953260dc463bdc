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
package final class PostgresDatabase: Sendable {
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
        // Detached so that the graceful shutdown the runtime's task sees does not reach the pool.
        let pool = Task.detached { [client] in await client.run() }
        await withTaskCancellationHandler { await pool.value } onCancel: { pool.cancel() }
    }

    /// Connects once, outside the pool, and runs `SELECT 1`: the pool retries a refused or
    /// failed connection quietly for as long as it is asked to wait, so at start this is what
    /// tells the operator why the database cannot be used (refused, no such database, a wrong
    /// password) in the server's words.
    package func probe(timeout: Duration = .seconds(10)) async throws(JournalFailure) {
        let url = settings.url
        do {
            try await withDeadline(timeout) { [self] in
                let connection = try await connect(timeout: timeout)
                do {
                    try await connection.query("SELECT 1", logger: logger)
                } catch {
                    try? await connection.close()
                    throw error
                }
                try await connection.close()
            }
        } catch let failure as JournalFailure {
            throw failure
        } catch {
            let failure = Self.describe(error)
            let reason = failure.description.hasPrefix("PostgreSQL: ") ? String(failure.description.dropFirst(12)) : failure.description
            throw JournalFailure("cannot use the database at \(url): \(reason)", unreachable: failure.unreachable)
        }
    }

    /// A connection of its own, outside the pool, named like this run's others (`application_name`).
    func connect(timeout: Duration) async throws -> PostgresConnection {
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
        configuration.options.connectTimeout = .milliseconds(max(1, timeout.wholeMilliseconds))
        configuration.options.additionalStartupParameters = [("application_name", incarnation)]
        return try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
    }

    /// Why the database cannot be used right now, or nil.
    package var failure: JournalFailure? { health.withLock { $0 } }

    /// How long a query may take, waiting for a connection included; then the caller is told
    /// the database is unavailable (a sender is answered 503).
    static let queryTimeout: Duration = .seconds(5)

    /// Whether the last failure says the database cannot be reached (not a statement's error):
    /// deliveries are answered 503 at once until a query gets through again.
    package var unreachable: Bool { health.withLock { $0?.unreachable ?? false } }

    /// Runs `query` on the pool (or on `connection`), timing it and keeping the database's health
    /// current; it fails after `timeout`.
    @discardableResult
    func query(
        _ query: PostgresQuery, _ name: String, timeout: Duration = queryTimeout, on connection: PostgresConnection? = nil
    ) async throws(JournalFailure) -> [PostgresRow] {
        let started = ContinuousClock.now
        inFlight.add(1, ordering: .relaxed)
        defer { inFlight.subtract(1, ordering: .relaxed) }
        do {
            let rows = try await withDeadline(timeout) { [client, logger] in
                if let connection { return try await connection.query(query, logger: logger).collect() }
                return try await client.query(query, logger: logger).collect()
            }
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
}
