import HooklineCore
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// One running Hookline: recovery from the audit log, the queue, the dedup window, the ingest
/// pipeline, the listener, the target executors and the workers, built from a configuration.
public final class HooklineRuntime: Sendable {
    public let configuration: HooklineConfiguration
    public let audit: AuditLogWriter
    public let queue: WorkQueue
    public let dedup: any DedupStore
    public let references: any ReferenceStore
    public let ingest: WebhookIngest
    public let listener: WebhookListener
    public let group: any EventLoopGroup
    public let recovery: JournalRecovery.Report
    public let metrics: HooklineMetrics
    private let transport: TargetTransport
    private let workers: WorkerPool
    private let control: ControlServer?
    /// Ends each window of the rejected-lines budget, writing its summary lines.
    private let rejectionWindows: RepeatedTask
    private let workersStarted = Atomic<Bool>(false)
    /// The workers returned on their own (the queue closed and each finished its job).
    private let workersDone = CompletionSignal()
    /// The drain deadline passed (or the drain is over): in-flight calls are cancelled.
    private let drainOver = CompletionSignal()
    private let workersFinished = CompletionSignal()

    /// The port the listener is bound to.
    public var port: Int { listener.port }

    /// Recovers from the audit log, opens it for appending, and starts listening. Call `run()`
    /// to start the workers.
    public static func start(
        configuration: HooklineConfiguration,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "hookline", factory: { _ in SwiftLogNoOpLogHandler() }),
        inlinePatchDepth: Int = WebhookIngest.defaultInlinePatchDepth
    ) async throws -> HooklineRuntime {
        let started = ContinuousClock.now
        let metrics = HooklineMetrics()
        let (journal, summary) = try JournalRecovery.replay(path: configuration.audit.path)
        let audit = try AuditLogWriter(
            path: configuration.audit.path,
            options: AuditLogWriter.Options(
                fsync: configuration.audit.fsync, rotateBytes: configuration.audit.rotateBytes,
                dedupMaxAge: configuration.queue.dedupMaxAge, dedupMaxEntries: configuration.queue.dedupMaxEntries),
            journal: journal, observer: metrics, logger: logger)

        let dedup = InMemoryDedupStore(maximumEntries: configuration.queue.dedupMaxEntries, maximumAge: configuration.queue.dedupMaxAge)
        let horizon = UnixTime.now() - configuration.queue.dedupMaxAge
        for seen in journal.seenMessages where seen.seenAt >= horizon {
            dedup.restore(seen.key, eventID: seen.eventID, seenAt: seen.seenAt)
        }
        let references = InMemoryReferenceStore()
        for reference in journal.references {
            references.remember(target: reference.target, key: reference.key, id: reference.id)
        }

        let queue = WorkQueue(capacity: configuration.queue.capacity, timers: group.next())
        let recoveredJobs = JournalRecovery.jobs(for: journal, path: configuration.audit.path, configuration: configuration, audit: audit)
        queue.enqueue(overCapacity: recoveredJobs)
        let report = JournalRecovery.Report(
            lines: summary.lines, unreadableLines: summary.unreadable, truncatedBytes: summary.partialTail,
            recoveredEvents: Set(recoveredJobs.map(\.event.id)).count, recoveredJobs: recoveredJobs.count,
            references: journal.references.count, seconds: (ContinuousClock.now - started).secondsValue)

        let transport = TargetTransport(connectionsPerHost: configuration.queue.workers)
        let executors = configuration.targets.compactMap { settings in
            TargetKinds.client(for: settings).map { TargetExecutor(client: $0, transport: transport, metrics: metrics) }
        }
        let runner = JobRunner(
            executors: executors, sources: configuration.sources, references: references, queue: queue, audit: audit,
            retryPolicy: configuration.retry, metrics: metrics, logger: logger)
        let workers = WorkerPool(queue: queue, runner: runner, count: configuration.queue.workers)

        let ingest = WebhookIngest(
            sources: configuration.sources, routes: RouteTable(configuration.routes), queue: queue, dedup: dedup,
            audit: audit, retryAfter: configuration.queue.retryAfter, inlinePatchDepth: inlinePatchDepth,
            rejectedLines: configuration.audit.rejectedLines, metrics: metrics, logger: logger)
        let highWatermark = Int(Double(configuration.queue.capacity) * configuration.queue.highWatermark)
        let readiness: @Sendable () -> String? = {
            if !ingest.isAccepting { return "shutting down" }
            if let error = audit.lastError { return error.description }
            if queue.count >= highWatermark { return "queue above its high watermark (\(queue.count) of \(queue.capacity))" }
            return nil
        }
        // The listener is bound after the surface is made; the gauge reads it through this box.
        let openConnections = Mutex<(@Sendable () -> Int)?>(nil)
        let surface = HTTPSurface(
            readiness: readiness,
            metrics: {
                metrics.render(
                    HooklineMetrics.GaugeReadings(
                        queueDepth: queue.depth, queueJobs: queue.count, queueCapacity: queue.capacity,
                        inFlightCalls: Dictionary(uniqueKeysWithValues: executors.map { ($0.name, $0.callsInFlight) }),
                        ready: readiness() == nil, connections: openConnections.withLock { $0?() } ?? 0))
            })
        let listener: WebhookListener
        var control: ControlServer?
        do {
            listener = try await WebhookListener.bind(
                settings: configuration.server, ingest: ingest, surface: surface, metrics: metrics, group: group)
            openConnections.withLock { [listener] in $0 = { listener.openConnections } }
            if let path = ControlServer.socketPath(forAuditLog: configuration.audit.path) {
                control = try await ControlServer.start(
                    path: path, redriver: Redriver(configuration: configuration, audit: audit, queue: queue), group: group)
            }
        } catch {
            await transport.shutdown()
            audit.close()
            throw error
        }
        let window = TimeAmount.milliseconds(configuration.audit.rejectedLines.window.wholeMilliseconds)
        let rejectionWindows = group.next().scheduleRepeatedTask(initialDelay: window, delay: window) { _ in
            ingest.endRejectionWindow()
        }
        return HooklineRuntime(
            configuration: configuration, audit: audit, queue: queue, dedup: dedup, references: references, ingest: ingest,
            listener: listener, group: group, recovery: report, metrics: metrics, transport: transport, workers: workers, control: control,
            rejectionWindows: rejectionWindows)
    }

    private init(
        configuration: HooklineConfiguration,
        audit: AuditLogWriter,
        queue: WorkQueue,
        dedup: any DedupStore,
        references: any ReferenceStore,
        ingest: WebhookIngest,
        listener: WebhookListener,
        group: any EventLoopGroup,
        recovery: JournalRecovery.Report,
        metrics: HooklineMetrics,
        transport: TargetTransport,
        workers: WorkerPool,
        control: ControlServer?,
        rejectionWindows: RepeatedTask
    ) {
        self.configuration = configuration
        self.audit = audit
        self.queue = queue
        self.dedup = dedup
        self.references = references
        self.ingest = ingest
        self.listener = listener
        self.group = group
        self.recovery = recovery
        self.metrics = metrics
        self.transport = transport
        self.workers = workers
        self.control = control
        self.rejectionWindows = rejectionWindows
    }

    /// Queues `redriven` records again (what `hookline redrive` sends).
    public func redrive(_ records: [AuditRecord]) async -> [RedriveResult] {
        await Redriver(configuration: configuration, audit: audit, queue: queue).redrive(records)
    }

    /// The control socket `hookline redrive` talks to, if one is open.
    public var controlSocket: String? { control?.path }

    /// Runs the workers until `stop()`; returns once each has finished the job in hand (or, past
    /// the drain deadline, abandoned it).
    public func run() async {
        guard !workersStarted.exchange(true, ordering: .relaxed) else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [workers, workersDone] in
                await workers.run()
                workersDone.signal()
            }
            group.addTask { [drainOver] in await drainOver.wait() }
            // The first to end decides: workers done, or the drain deadline cancels them.
            await group.next()
            group.cancelAll()
        }
        workersFinished.signal()
    }

    /// Graceful shutdown: new deliveries are answered 503, the workers take no new jobs, calls
    /// in flight get `server.drain_timeout` to finish; then a `pending` line is written for every
    /// event still owed (the next start picks them up) and the log is flushed and closed.
    public func stop() async {
        ingest.stopAccepting()
        queue.close()
        if workersStarted.load(ordering: .relaxed) {
            let drain = configuration.server.drainTimeout
            await withTaskGroup(of: Void.self) { group in
                group.addTask { [workersDone] in await workersDone.wait() }
                group.addTask { try? await Task.sleep(for: drain) }
                await group.next()
                group.cancelAll()
            }
            drainOver.signal()
            await workersFinished.wait()
        }
        _ = await audit.flush()
        let now = UnixTime.now()
        for event in audit.journal.pending {
            audit.append(
                AuditRecord(
                    ts: now, outcome: .pending, event: event.event, targets: event.remainingTargets,
                    error: "Hookline stopped before these targets were done; the next start picks them up"))
        }
        await listener.close()
        rejectionWindows.cancel()
        ingest.endRejectionWindow(now: .now + configuration.audit.rejectedLines.window)
        await control?.stop()
        await transport.shutdown()
        audit.close()
    }
}
