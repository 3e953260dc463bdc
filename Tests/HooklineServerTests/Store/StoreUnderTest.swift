import Foundation
import HooklineCore
import HooklineServer
import HooklineTestSupport
import Logging
import NIOPosix

/// A store the conformance suite runs against, opened through `StoreFactory` (as a runtime opens
/// it) at a place for the length of a body, and opened again at the same place to read back what
/// it kept. A third store is one more value in `all`.
struct StoreUnderTest: Sendable, CustomStringConvertible {
    let name: String
    /// Whether the store coalesces thin messages (`thinFetches` is not nil).
    let coalesces: Bool
    /// Whether jobs are held under leases that run out (`permit` can refuse).
    let holdsLeases: Bool
    /// The `store:` line of the configuration kept under `place`.
    let storeLine: @Sendable (_ place: TemporaryDirectory) async throws -> String?

    var description: String { name }

    /// The rate limit every limited target gets in the suite: 2 calls per 10 s, both at once.
    static let rateLimit = "{requests: 2, per: 10s, burst: 2}"

    /// The suite's configuration for a store kept under `place`.
    func configuration(_ place: TemporaryDirectory, capacity: Int) async throws -> HooklineConfiguration {
        try TestConfiguration.make(
            TestConfiguration.yaml(
                auditPath: place.file("audit.jsonl"), capacity: capacity, rateLimits: Self.rateLimit, store: try await storeLine(place)))
    }

    /// Opens the store kept under `place` (a fresh directory per test) with room for `capacity`
    /// jobs, runs its background work while `body` runs, then stops and closes it as a runtime does.
    func with(_ place: TemporaryDirectory, capacity: Int = 1000, _ body: (any Store) async throws -> Void) async throws {
        let configuration = try await configuration(place, capacity: capacity)
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        try await withThrowingTaskGroup(of: Void.self) { group in
            let store = try await StoreFactory.open(
                configuration: configuration, events: EventJobs(configuration), group: MultiThreadedEventLoopGroup.singleton,
                metrics: HooklineMetrics(), logger: logger, background: { work in group.addTask { await work() } })
            for service in store.background { group.addTask { try await service.run() } }
            let result = await Result { try await body(store) }
            store.stopHandingOut()
            await store.close()
            group.cancelAll()
            try result.get()
        }
    }

    static let file = StoreUnderTest(name: "file", coalesces: true, holdsLeases: false) { _ in nil }

    /// PostgreSQL in the throwaway cluster: one database per place, the place's audit log beside it.
    static let postgres = StoreUnderTest(name: "postgres", coalesces: false, holdsLeases: true) { place in
        let cluster = try await PostgresCluster.shared()
        let database = try await place.database(in: cluster)
        return "{kind: postgres, url: \"\(cluster.url(database))\"}"
    }

    static let all: [StoreUnderTest] = [.file, .postgres]

    /// Two PostgreSQL stores on one database, as two instances of a fleet, each with its own place.
    static func twoOnOneDatabase(_ body: (_ first: any Store, _ second: any Store) async throws -> Void) async throws {
        let one = try TemporaryDirectory()
        let two = try TemporaryDirectory()
        let database = try await one.database(in: try await PostgresCluster.shared())
        try database.write(toFile: two.file("database"), atomically: true, encoding: .utf8)
        try await postgres.with(one) { first in
            try await postgres.with(two) { second in try await body(first, second) }
        }
    }
}

extension TemporaryDirectory {
    /// The database this place keeps its PostgreSQL store in, made on first use.
    func database(in cluster: PostgresCluster) async throws -> String {
        let path = file("database")
        if let name = try? String(contentsOfFile: path, encoding: .utf8) { return name }
        let name = try await cluster.createDatabase()
        try name.write(toFile: path, atomically: true, encoding: .utf8)
        return name
    }
}

extension Result where Failure == any Error {
    /// Runs an async throwing body into a result.
    init(_ body: () async throws -> Success) async {
        do {
            self = .success(try await body())
        } catch {
            self = .failure(error)
        }
    }
}
