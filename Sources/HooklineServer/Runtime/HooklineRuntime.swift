import HooklineCore
import NIOCore
import NIOPosix

/// One running Hookline: the audit log, the queue, the dedup window, the ingest pipeline and
/// the listener, built from a configuration.
public final class HooklineRuntime: Sendable {
    public let configuration: HooklineConfiguration
    public let audit: AuditLogWriter
    public let queue: WorkQueue
    public let dedup: any DedupStore
    public let ingest: WebhookIngest
    public let listener: WebhookListener
    public let group: any EventLoopGroup

    /// The port the listener is bound to.
    public var port: Int { listener.port }

    /// Opens the audit log and starts listening.
    public static func start(
        configuration: HooklineConfiguration,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> HooklineRuntime {
        let audit = try AuditLogWriter(path: configuration.audit.path, fsync: configuration.audit.fsync)
        let queue = WorkQueue(capacity: configuration.queue.capacity, timers: group.next())
        let dedup = InMemoryDedupStore(
            maximumEntries: configuration.queue.dedupMaxEntries, maximumAge: configuration.queue.dedupMaxAge)
        let ingest = WebhookIngest(
            sources: configuration.sources, routes: RouteTable(configuration.routes), queue: queue, dedup: dedup,
            audit: audit, retryAfter: configuration.queue.retryAfter)
        let highWatermark = Int(Double(configuration.queue.capacity) * configuration.queue.highWatermark)
        let surface = HTTPSurface(
            readiness: {
                if !ingest.isAccepting { return "shutting down" }
                if let error = audit.lastError { return error.description }
                if queue.count >= highWatermark { return "queue above its high watermark (\(queue.count) of \(queue.capacity))" }
                return nil
            },
            metrics: { "" })
        let listener: WebhookListener
        do {
            listener = try await WebhookListener.bind(settings: configuration.server, ingest: ingest, surface: surface, group: group)
        } catch {
            audit.close()
            throw error
        }
        return HooklineRuntime(
            configuration: configuration, audit: audit, queue: queue, dedup: dedup, ingest: ingest, listener: listener, group: group)
    }

    private init(
        configuration: HooklineConfiguration,
        audit: AuditLogWriter,
        queue: WorkQueue,
        dedup: any DedupStore,
        ingest: WebhookIngest,
        listener: WebhookListener,
        group: any EventLoopGroup
    ) {
        self.configuration = configuration
        self.audit = audit
        self.queue = queue
        self.dedup = dedup
        self.ingest = ingest
        self.listener = listener
        self.group = group
    }

    /// Stops listening, closes the queue and flushes the audit log.
    public func stop() async {
        ingest.stopAccepting()
        await listener.close()
        queue.close()
        audit.close()
    }
}
