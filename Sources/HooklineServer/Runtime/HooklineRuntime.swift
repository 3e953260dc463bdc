import HooklineCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// One Hookline as a swift-service-lifecycle `Service`: `run()` owns its whole life — start
/// (open the store and recover what it owes, bind the listener), then run its parts as services
/// in one `ServiceGroup` (`RuntimeServices.swift`) until graceful shutdown, which stops them in
/// order: new deliveries are answered 503, calls in flight get `server.drain_timeout`, the
/// listener closes, and the store leaves what is still owed for the next start and closes.
/// Cancellation instead stops every part at once, as a crash would (nothing accepted is lost).
package final class HooklineRuntime: Service, Sendable {
    /// How a runtime is run beyond its configuration.
    package struct Options: Sendable {
        /// Whether workers apply what is queued from the start; when false they wait for
        /// `RunningHookline.startWorkers()` (tests read the queue without them).
        package var workers = true
        /// Queue depth up to which queued jobs keep their patch in memory.
        package var inlinePatchDepth = WebhookIngest.defaultInlinePatchDepth
        /// The listener's event loops; nil makes `server.event_loops` of its own.
        package var eventLoops: (any EventLoopGroup)?
        /// More services of the running Hookline (the web console), made once it runs — a
        /// failure fails the start — and stopped before the workers drain.
        package var services: @Sendable (RunningHookline) async throws -> [any Service] = { _ in [] }
        /// The spans' tracer when a test brings its own (`InMemoryTracer`); nil makes OpenTelemetry's
        /// from `tracing:` when it is enabled.
        package var tracing: HooklineTracing?
        /// Where the configuration was read from, so SIGHUP and `hookline reload` can read it
        /// again; nil: it cannot be reloaded.
        package var configurationSource: ConfigurationSource?

        package init(workers: Bool = true, inlinePatchDepth: Int = WebhookIngest.defaultInlinePatchDepth, eventLoops: (any EventLoopGroup)? = nil) {
            self.workers = workers
            self.inlinePatchDepth = inlinePatchDepth
            self.eventLoops = eventLoops
        }
    }

    package let configuration: HooklineConfiguration
    private let options: Options
    private let logger: Logger
    private let onRunning: @Sendable (RunningHookline) async -> Void
    private let started = Atomic<Bool>(false)

    /// `onRunning` is called once the listener is bound and recovery is done, before serving.
    package init(
        configuration: HooklineConfiguration,
        options: Options = Options(),
        logger: Logger = Logger(label: "hookline", factory: { _ in SwiftLogNoOpLogHandler() }),
        onRunning: @escaping @Sendable (RunningHookline) async -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.options = options
        self.logger = logger
        self.onRunning = onRunning
    }

    /// Why `run()` did not start.
    package struct AlreadyRun: Error, CustomStringConvertible {
        package var description: String { "this Hookline has already been run; make a new one" }
    }

    package func run() async throws {
        guard started.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { throw AlreadyRun() }
        let ownGroup = options.eventLoops == nil ? MultiThreadedEventLoopGroup(numberOfThreads: configuration.server.eventLoops ?? System.coreCount) : nil
        let group: any EventLoopGroup = options.eventLoops ?? ownGroup ?? MultiThreadedEventLoopGroup.singleton
        let metrics = HooklineMetrics()
        // Spans, when tracing is on: the exporter's service runs first, so it stops last. The
        // tracer is held here to the very end: its exporter's client must not be released on an
        // event loop (the listener's handlers are the last to let go of the ingest otherwise).
        var tracing = options.tracing
        defer { withExtendedLifetime(tracing) {} }
        do {
            var tracingServices: [any Service] = []
            if tracing == nil, let plan = configuration.tracing.plan, plan.enabled {
                let backend = try TracingBackend.make(plan: plan, logger: logger)
                tracing = backend.tracing
                tracingServices = [backend.service]
            }
            try await withThrowingTaskGroup(of: Void.self) { background in
                // A shared store's connection pool, for the whole life of the runtime, start-up
                // and the store's own shutdown included: it is cancelled after everything else.
                let parts = try await Parts.start(
                    configuration: configuration, options: options, group: group, metrics: metrics, tracing: tracing, logger: logger,
                    background: { work in background.addTask { await work() } })
                let extra: [any Service]
                do {
                    extra = try await options.services(parts.running)
                } catch {
                    await parts.abandon(logger: logger)
                    throw error
                }
                await onRunning(parts.running)
                if options.workers { parts.running.startWorkers() }
                let services = ServiceGroup(
                    configuration: ServiceGroupConfiguration(
                        services: tracingServices + parts.services(logger: logger, extra: extra), gracefulShutdownSignals: [], logger: logger))
                try await services.run()
                background.cancelAll()
            }
        } catch {
            await shutDown(ownGroup)
            throw error
        }
        await shutDown(ownGroup)
    }

    private func shutDown(_ group: MultiThreadedEventLoopGroup?) async {
        guard let group else { return }
        do {
            try await group.shutdownGracefully()
        } catch {
            logger.warning("the listener's event loops did not shut down cleanly", metadata: ["error": "\(error)"])
        }
    }

    /// Sleeps unless cancelled first: false when cancelled.
    static func sleep(for duration: Duration) async -> Bool {
        do {
            try await Task.sleep(for: duration)
            return true
        } catch {
            return false
        }
    }
}
