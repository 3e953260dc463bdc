import HooklineCore
import Logging
import NIOCore

/// The parts of a Hookline while it runs: what `HooklineRuntime.run()` hands to its `onRunning`
/// callback, and what tests and in-process commands (replay, redrive, demo) talk to.
package struct RunningHookline: Sendable {
    /// The configuration in use now (a reload replaces it).
    package var configuration: HooklineConfiguration { reloader.configuration }
    /// Reads the configuration again and applies it (`SIGHUP`, `hookline reload`).
    package let reloader: Reloader
    /// Everything kept: the audit log and the in-memory queue, or the shared database.
    package let store: any Store
    package let ingest: WebhookIngest
    package let listener: WebhookListener
    package let metrics: HooklineMetrics
    /// The alert rules at work, when `alerts:` has rules.
    package let alerts: AlertMonitor?
    let redriver: Redriver
    /// Signalled when the workers may start taking jobs.
    let workersReleased = CompletionSignal()

    /// What start-up found in the store and queued again.
    package var recovery: RecoveryReport { store.recovery }

    /// Lets the workers start (when the runtime was run with `workers: false`).
    package func startWorkers() { workersReleased.signal() }

    /// The port the listener is bound to.
    package var port: Int { listener.port }

    /// `http://127.0.0.1:<port>` (or the configured host).
    package var baseURL: String {
        let host = configuration.server.host == "0.0.0.0" ? "127.0.0.1" : configuration.server.host
        return "http://\(host):\(port)"
    }

    /// Queues `redriven` records again (what `hookline redrive` sends).
    package func redrive(_ records: [AuditRecord]) async -> [RedriveResult] {
        await redriver.redrive(records)
    }

    /// Queues again what the journal selects.
    package func redrive(_ request: RedriveRequest) async throws(JournalFailure) -> [RedriveResult] {
        try await redriver.redrive(request)
    }
}

/// What start-up recovery found and did, for the start-up log line and the operator.
package struct RecoveryReport: Sendable {
    package var lines = 0
    package var unreadableLines = 0
    package var truncatedBytes = 0
    package var recoveredEvents = 0
    package var recoveredJobs = 0
    package var seconds = 0.0
}
