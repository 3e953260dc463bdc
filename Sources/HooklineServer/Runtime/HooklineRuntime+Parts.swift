import HooklineCore
import Logging
import NIOCore
import NIOPosix
import Synchronization

extension HooklineRuntime {
    /// Everything a running Hookline is made of, built in order at start and closed in reverse.
    struct Parts: Sendable {
        let running: RunningHookline
        let workers: WorkerPool
        let applyThreads: ApplyThreads
        let transport: TargetTransport
        let control: ControlServer?
        /// Ends each window of the rejected-lines budget, writing its summary lines.
        let rejectionWindows: RepeatedTask
        /// The alert rules and where they send, when `alerts:` has rules.
        let alerts: (monitor: AlertMonitor, delivery: AlertDelivery)?

        let store: any Store

        /// Opens the store (recovering what it owes), then binds the listener and the control socket.
        static func start(
            configuration: HooklineConfiguration, options: Options, group: any EventLoopGroup, metrics: HooklineMetrics,
            tracing: HooklineTracing?, logger: Logger, background: (@escaping @Sendable () async -> Void) -> Void
        ) async throws -> Parts {
            let events = EventJobs(configuration)
            let store = try await StoreFactory.open(
                configuration: configuration, events: events, group: group, metrics: metrics, logger: logger, background: background)

            let alerts = configuration.alerts.rules.isEmpty ? nil : AlertMonitor(settings: configuration.alerts)
            let applyThreads = ApplyThreads(threads: System.coreCount)
            let transport = TargetTransport(connectionsPerHost: configuration.queue.workers, group: applyThreads.group)
            let endpoints = configuration.targets.map {
                TargetEndpoint(client: $0.client, limiter: store.rateLimiter(for: $0), transport: transport, metrics: metrics)
            }
            let redriver = Redriver(events: events, store: store, tracing: tracing)
            let runner = JobRunner(
                endpoints: endpoints, events: events, store: store, retryPolicy: configuration.retry, metrics: metrics, alerts: alerts,
                tracing: tracing, repairs: redriver, logger: logger)
            let workers = WorkerPool(store: store, runner: runner, count: configuration.queue.workers, threads: applyThreads)
            let ingest = WebhookIngest(
                events: events, sources: configuration.sources, store: store, retryAfter: configuration.queue.retryAfter,
                inlinePatchDepth: options.inlinePatchDepth, rejectedLines: configuration.audit.rejectedLines, metrics: metrics,
                alerts: alerts, tracing: tracing, logger: logger)
            let reloader = Reloader(
                configuration: configuration, source: options.configurationSource,
                parts: Reloader.Parts(ingest: ingest, runner: runner, redriver: redriver, alerts: alerts, store: store, transport: transport),
                metrics: metrics, logger: logger)

            let listener: WebhookListener
            let control: ControlServer?
            // The listener is bound after the surface is made; the gauge reads it through this box.
            // It holds the listener, not a closure: a function value behind Mutex's generic inout
            // is re-wrapped in a reabstraction thunk on every access, so each scrape made the next
            // one slower and, past ~100,000 scrapes, releasing the chain overflowed the stack.
            let bound = Mutex<WebhookListener?>(nil)
            do {
                let highWatermark = Int(Double(configuration.queue.capacity) * configuration.queue.highWatermark)
                let readiness: @Sendable () -> String? = {
                    if !ingest.isAccepting { return "shutting down" }
                    if let failure = store.failure { return failure.description }
                    let occupancy = store.occupancy
                    if occupancy.jobs >= highWatermark { return "queue above its high watermark (\(occupancy.jobs) of \(occupancy.capacity))" }
                    return nil
                }
                let surface = HTTPSurface(
                    readiness: readiness,
                    metrics: {
                        let occupancy = store.occupancy
                        return metrics.render(
                            HooklineMetrics.GaugeReadings(
                                queueDepth: occupancy.waiting, queueJobs: occupancy.jobs, queueCapacity: occupancy.capacity,
                                inFlightCalls: runner.endpoints.mapValues(\.callsInFlight),
                                ready: readiness() == nil, connections: bound.withLock { $0?.openConnections } ?? 0,
                                databasePool: store.databasePool, paused: Set(store.paused.keys)))
                    })
                listener = try await WebhookListener.bind(
                    settings: configuration.server, ingest: ingest, surface: surface, metrics: metrics, group: group)
                bound.withLock { [listener] in $0 = listener }
                control = try await ControlServer.socketPath(forAuditLog: configuration.audit.path).asyncMap { path in
                    try await ControlServer.start(path: path, group: group)
                }
            } catch {
                // A start that fails after binding (the control socket cannot be made) leaves no
                // port open behind it.
                if let opened = bound.withLock({ $0 }) {
                    do {
                        try await opened.close()
                    } catch {
                        logger.warning("the listener did not close cleanly", metadata: ["error": "\(error)"])
                    }
                }
                await store.close()
                await CallsService(transport: transport, applyThreads: applyThreads, logger: logger).stop()
                throw error
            }
            let window = TimeAmount.nanoseconds(configuration.audit.rejectedLines.window.wholeNanoseconds)
            let rejectionWindows = group.next().scheduleRepeatedTask(initialDelay: window, delay: window) { _ in
                ingest.endRejectionWindow()
            }
            let running = RunningHookline(
                reloader: reloader, store: store, ingest: ingest, listener: listener, metrics: metrics, alerts: alerts,
                redriver: redriver)
            return Parts(
                running: running, workers: workers, applyThreads: applyThreads, transport: transport, control: control,
                rejectionWindows: rejectionWindows, alerts: alerts.map { ($0, AlertDelivery(group: group)) }, store: store)
        }
    }
}

extension HooklineRuntime.Parts {
    /// Undoes a start that failed after it was made (an extra service could not start): the
    /// listener and the control socket close, the store closes, nothing else runs.
    func abandon(logger: Logger) async {
        rejectionWindows.cancel()
        do {
            try await running.listener.close()
        } catch {
            logger.warning("the listener did not close cleanly", metadata: ["error": "\(error)"])
        }
        await control?.stop(logger: logger)
        await store.close()
        await alerts?.delivery.shutdown()
        await CallsService(transport: transport, applyThreads: applyThreads, logger: logger).stop()
    }
}

extension Optional {
    /// `map` for an async transform.
    func asyncMap<Result>(_ transform: (Wrapped) async throws -> Result) async rethrows -> Result? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
