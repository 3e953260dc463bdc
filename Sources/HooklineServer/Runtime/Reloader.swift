import HooklineCore
import Logging
import NIOConcurrencyHelpers
import Synchronization

/// Where a running Hookline's configuration comes from, so it can be read again (`serve`
/// reads its file; an in-process Hookline has none).
package struct ConfigurationSource: Sendable {
    /// The SHA-256 (hex) of what the running configuration was read from.
    package var hash: String
    /// Reads it again: the configuration and its hash, or an error naming the file, line and key.
    package var read: @Sendable () throws -> (HooklineConfiguration, hash: String)

    package init(hash: String, read: @escaping @Sendable () throws -> (HooklineConfiguration, hash: String)) {
        self.hash = hash
        self.read = read
    }
}

/// A value a reload replaces, shared by whoever holds the box.
final class LiveValue<Value: Sendable>: Sendable {
    private let value: Mutex<Value>

    init(_ value: Value) { self.value = Mutex(value) }

    var current: Value { value.withLock { $0 } }

    func replace(with next: Value) { value.withLock { $0 = next } }
}

/// Reloads the configuration without a restart (SIGHUP, or `hookline reload` through the control
/// socket). The file is read again; if it is invalid, or changes what needs a restart (the
/// listener, the store, the audit log, the queue, tracing, the console's listener, alert
/// channels), nothing changes and the reason is logged and returned. Otherwise the new sources
/// and secrets, routes, targets (and their rate limits), retry policy, alert rules and console
/// tokens apply to every delivery and attempt that starts from then on; those under way finish
/// with what they started with. A target that is unchanged keeps its endpoint (its connections,
/// token and pause). Each reload is logged with what changed, and counted
/// (`hookline_config_reloads_total{result}`, `hookline_config_info{sha256}`).
package final class Reloader: Sendable {
    /// What became of a reload.
    package enum Outcome: Sendable, Hashable {
        /// Applied: what changed, one line each.
        case applied([String])
        /// The file reads the same as the running configuration.
        case unchanged
        /// It changes what needs a restart: nothing was changed.
        case refused([String])
        /// It could not be read: nothing was changed.
        case invalid(String)

        package var result: String {
            switch self {
            case .applied: "applied"
            case .unchanged: "unchanged"
            case .refused: "refused"
            case .invalid: "invalid"
            }
        }
    }

    /// The configuration in use now: what the parts that read it per request, per attempt or
    /// per page (the console, the control socket, the alert rules) see.
    private let live: LiveValue<HooklineConfiguration>
    private let source: ConfigurationSource?
    private let parts: Parts
    private let metrics: HooklineMetrics
    private let logger: Logger
    /// One reload at a time.
    private let serial = NIOLock()

    /// What a reload updates.
    struct Parts: Sendable {
        let ingest: WebhookIngest
        let runner: JobRunner
        let redriver: Redriver
        let alerts: AlertMonitor?
        let store: any Store
        let transport: TargetTransport
    }

    init(configuration: HooklineConfiguration, source: ConfigurationSource?, parts: Parts, metrics: HooklineMetrics, logger: Logger) {
        self.live = LiveValue(configuration)
        self.source = source
        self.parts = parts
        self.metrics = metrics
        self.logger = logger
        if let source { metrics.configuration(loaded: source.hash) }
    }

    package var configuration: HooklineConfiguration { live.current }

    /// Reads the configuration again and applies it, or says why not. `trigger` names what asked
    /// (`SIGHUP`, `hookline reload`), for the log.
    package func reload(trigger: String) -> Outcome {
        serial.withLock {
            let outcome = attempt()
            metrics.configReload(result: outcome.result)
            switch outcome {
            case .applied(let changes):
                logger.notice("reloaded the configuration", metadata: ["by": .string(trigger), "changes": .array(changes.map { .string($0) })])
            case .unchanged:
                logger.info("reloaded the configuration: nothing changed", metadata: ["by": .string(trigger)])
            case .refused(let reasons):
                logger.error(
                    "did not reload the configuration: it changes what needs a restart; nothing was changed",
                    metadata: ["by": .string(trigger), "needs_restart": .array(reasons.map { .string($0) })])
            case .invalid(let problem):
                logger.error(
                    "did not reload the configuration: it is not valid; nothing was changed",
                    metadata: ["by": .string(trigger), "error": .string(problem)])
            }
            return outcome
        }
    }

    private func attempt() -> Outcome {
        guard let source else { return .invalid("this Hookline was not started from a configuration file") }
        let next: HooklineConfiguration
        let hash: String
        do {
            (next, hash) = try source.read()
        } catch {
            return .invalid("\(error)")
        }
        let changes = ConfigurationChanges.between(live.current, next)
        guard changes.needingRestart.isEmpty else { return .refused(changes.needingRestart) }
        metrics.configuration(loaded: hash)
        guard !changes.applied.isEmpty else { return .unchanged }
        apply(next)
        return .applied(changes.applied)
    }

    /// Targets first (a new route's target is there before a delivery can be routed to it),
    /// then sources and routes, then what reads the configuration per use.
    private func apply(_ next: HooklineConfiguration) {
        let events = EventJobs(next)
        let existing = parts.runner.endpoints
        let endpoints = next.targets.map { target in
            if let endpoint = existing[target.name], endpoint.client.settings == target { return endpoint }
            return TargetEndpoint(client: target.client, limiter: parts.store.rateLimiter(for: target), transport: parts.transport, metrics: metrics)
        }
        parts.store.configurationChanged(next, events: events)
        parts.runner.update(endpoints: endpoints, events: events, retryPolicy: next.retry)
        parts.ingest.update(sources: next.sources, events: events)
        parts.redriver.update(events: events)
        parts.alerts?.update(rules: next.alerts.rules)
        live.replace(with: next)
    }
}
