import HooklineCore
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// One Hookline as a swift-service-lifecycle `Service`: `run()` owns its whole life — start
/// (recover the journal, bind the listener), serve (workers apply what is queued) until graceful
/// shutdown or cancellation, then drain: new deliveries are answered 503, calls in flight get
/// `server.drain_timeout`, a `pending` line is written for what is still owed (the next start
/// picks it up), and the journal is flushed and closed.
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

        package init(workers: Bool = true, inlinePatchDepth: Int = WebhookIngest.defaultInlinePatchDepth, eventLoops: (any EventLoopGroup)? = nil) {
            self.workers = workers
            self.inlinePatchDepth = inlinePatchDepth
            self.eventLoops = eventLoops
        }
    }

    private enum State: Sendable {
        case initial
        case starting
        case running(RunningHookline)
        case draining
        case stopped
    }

    package let configuration: HooklineConfiguration
    private let options: Options
    private let logger: Logger
    private let onRunning: @Sendable (RunningHookline) async -> Void
    private let state = Mutex(State.initial)

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
        let fresh = state.withLock { state -> Bool in
            guard case .initial = state else { return false }
            state = .starting
            return true
        }
        guard fresh else { throw AlreadyRun() }
        let ownGroup = options.eventLoops == nil ? MultiThreadedEventLoopGroup(numberOfThreads: configuration.server.eventLoops ?? System.coreCount) : nil
        let group: any EventLoopGroup = options.eventLoops ?? ownGroup ?? MultiThreadedEventLoopGroup.singleton
        defer { state.withLock { $0 = .stopped } }
        let metrics = HooklineMetrics()
        do {
            try await withThrowingTaskGroup(of: Void.self) { background in
                // What the store runs for the whole life of the runtime (a shared store's pool), start-up included.
                let parts = try await Parts.start(
                    configuration: configuration, options: options, group: group, metrics: metrics, logger: logger,
                    background: { work in background.addTask { await work() } })
                background.addTask { await parts.store.run() }
                await serve(parts)
                background.cancelAll()
            }
        } catch {
            await shutDown(ownGroup)
            throw error
        }
        await shutDown(ownGroup)
    }

    private func serve(_ parts: Parts) async {
        state.withLock { $0 = .running(parts.running) }
        await onRunning(parts.running)
        let shutdown = CompletionSignal()
        if options.workers { parts.running.startWorkers() }
        await withTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                await parts.running.workersReleased.wait()
                await parts.workers.run()
            }
            await withTaskCancellationOrGracefulShutdownHandler {
                await shutdown.wait()
            } onCancelOrGracefulShutdown: {
                shutdown.signal()
            }
            state.withLock { $0 = .draining }
            logger.info("shutting down")
            parts.running.ingest.stopAccepting()
            parts.running.store.stopHandingOut()
            // Workers never started see the closed queue and return at once.
            parts.running.startWorkers()
            // The workers finish the job in hand; past the deadline, what is left stays owed.
            let drain = configuration.server.drainTimeout
            tasks.addTask { _ = await Self.sleep(for: drain) }
            await tasks.next()
            tasks.cancelAll()
        }
        await parts.close(logger: logger)
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
