import HooklineCore
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

// A running Hookline is these services in one `ServiceGroup`, listed in the order they depend on
// each other. A graceful shutdown (SIGTERM, or the end of a scoped run) stops them in reverse:
// the door closes first (new deliveries are answered 503), the workers drain, the listener and
// the control socket close, outbound calls end, the alerts made meanwhile are sent, the store's
// background loops stop, and the store closes last.

extension HooklineRuntime.Parts {
    /// The services, first to start and last to stop first.
    func services(logger: Logger, extra: [any Service] = []) -> [any Service] {
        let alerting: [any Service] = alerts.map { alerts in
            [
                AlertService(
                    monitor: alerts.monitor, store: store, delivery: alerts.delivery, targets: { [running] in running.configuration.targets.map(\.name) },
                    metrics: running.metrics, logger: logger, consoleURL: running.configuration.console?.publicURL)
            ]
        } ?? []
        return [StoreService(store: store)] + store.background + alerting + [
            CallsService(transport: transport, applyThreads: applyThreads, logger: logger),
            ControlService(control: control, redriver: running.redriver, reloader: running.reloader, logger: logger),
            ReloadSignalService(reloader: running.reloader, logger: logger),
            ListenerService(
                listener: running.listener, ingest: running.ingest, rejectionWindows: rejectionWindows,
                window: running.configuration.audit.rejectedLines.window, logger: logger),
            WorkerService(workers: workers, store: store, released: running.workersReleased, drain: running.configuration.server.drainTimeout),
        ] + extra + [IngestGate(ingest: running.ingest, logger: logger)]
    }
}

/// The store, stopped last (after its background services): what is still owed is left for the
/// next start, and the store closes.
struct StoreService: Service {
    let store: any Store

    func run() async {
        try? await gracefulShutdown()
        await store.close()
    }
}

/// The clients that call the targets, and the threads the workers run on.
struct CallsService: Service {
    let transport: TargetTransport
    let applyThreads: ApplyThreads
    let logger: Logger

    func run() async {
        try? await gracefulShutdown()
        await stop()
    }

    /// Also what a start that failed after making them does.
    func stop() async {
        do {
            try await transport.shutdown()
        } catch {
            logger.warning("the target transport did not shut down cleanly", metadata: ["error": "\(error)"])
        }
        await applyThreads.shutdown()
    }
}

/// The control socket (`hookline redrive` talks to it), when there is one, and the redrives it
/// is asked for. At shutdown it takes no more; those already asked for are finished.
struct ControlService: Service {
    let control: ControlServer?
    let redriver: Redriver
    let reloader: Reloader
    let logger: Logger

    func run() async {
        guard let control else {
            try? await gracefulShutdown()
            return
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await control.serve(with: redriver, reloader: reloader, logger: logger) }
            try? await gracefulShutdown()
            await control.stop(logger: logger)
        }
    }
}

/// The listener. It stays open while the workers drain, so a sender meanwhile gets a 503 to
/// retry rather than a refused connection; then it closes and the last rejection window ends.
struct ListenerService: Service {
    let listener: WebhookListener
    let ingest: WebhookIngest
    let rejectionWindows: RepeatedTask
    let window: Duration
    let logger: Logger

    func run() async {
        try? await gracefulShutdown()
        do {
            try await listener.close()
        } catch {
            logger.warning("the listener did not close cleanly", metadata: ["error": "\(error)"])
        }
        rejectionWindows.cancel()
        ingest.endRejectionWindow(now: .now + window)
    }
}

/// The workers: they start once released (at once unless a test holds them) and, at shutdown,
/// finish the job in hand within `server.drain_timeout`; past it, what is left stays owed.
struct WorkerService: Service {
    let workers: WorkerPool
    let store: any Store
    let released: CompletionSignal
    let drain: Duration

    func run() async {
        await withTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                await released.wait()
                await workers.run()
            }
            try? await gracefulShutdown()
            store.stopHandingOut()
            // Workers never released see the store stopped and return at once.
            released.signal()
            tasks.addTask { _ = await HooklineRuntime.sleep(for: drain) }
            await tasks.next()
            tasks.cancelAll()
        }
    }
}

/// The door, first to stop: from the first moment of a shutdown, new deliveries are answered
/// 503 and `/readyz` fails.
struct IngestGate: Service {
    let ingest: WebhookIngest
    let logger: Logger

    func run() async {
        try? await gracefulShutdown()
        logger.info("shutting down")
        ingest.stopAccepting()
    }
}

/// SIGHUP reloads the configuration (`Reloader`), until shutdown.
struct ReloadSignalService: Service {
    let reloader: Reloader
    let logger: Logger

    func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in await UnixSignalsSequence(trapping: .sighup) { _ = reloader.reload(trigger: "SIGHUP") }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
    }
}
