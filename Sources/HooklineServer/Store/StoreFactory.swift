import HooklineCore
import Logging
import NIOCore

/// The one place that turns `store:` into a `Store`.
package enum StoreFactory {
    /// Opens the configured store, recovering what it owes. A shared store's connection pool
    /// runs from here on, through `background` (the runtime's task group), start-up included.
    package static func open(
        configuration: HooklineConfiguration, events: EventJobs, group: any EventLoopGroup, metrics: HooklineMetrics, logger: Logger,
        background: (@escaping @Sendable () async -> Void) -> Void
    ) async throws -> any Store {
        switch configuration.store {
        case .file:
            return try FileStore.open(
                path: configuration.audit.path,
                options: AuditLogWriter.Options(
                    fsync: configuration.audit.fsync, rotateBytes: configuration.audit.rotateBytes,
                    dedupMaxAge: configuration.queue.dedupMaxAge, dedupMaxEntries: configuration.queue.dedupMaxEntries,
                    payloads: configuration.audit.payloads),
                capacity: configuration.queue.capacity, events: events, timers: group.next(), observer: metrics, logger: logger)
        case .postgres(let settings):
            let database = try PostgresDatabase(settings: settings, auditPath: configuration.audit.path, metrics: metrics, logger: logger)
            background { await database.runPool() }
            return try await PostgresStore.open(on: database, configuration: configuration, events: events)
        }
    }
}
