import CoreMetrics
import HooklineCore
import Metrics
import Prometheus
import Synchronization

/// Hookline's metrics, in Prometheus text at `GET /metrics`: swift-metrics types backed by a
/// per-runtime swift-prometheus registry (several runtimes in one process — the tests — each
/// count only their own).
package final class HooklineMetrics: Sendable, AuditWriteObserver {
    package let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let counters = Mutex<[String: CoreMetrics.Counter]>([:])
    /// The per-request metrics, by source and status without building a string key.
    private struct Answer: Hashable {
        var source: String
        var status: Int
    }
    private let answers = Mutex<[Answer: (CoreMetrics.Counter, Metrics.Timer)]>([:])
    private let gauges = Mutex<[String: CoreMetrics.Gauge]>([:])
    /// Each target's attempts in a row that did not succeed.
    private let failureStreaks = Mutex<[String: Int]>([:])
    private let timers = Mutex<[String: Metrics.Timer]>([:])
    private let loadedConfiguration = Mutex<String?>(nil)
    /// The audit writer's metrics, made once: they are touched on every batch.
    private let auditWrite: Metrics.Timer
    private let auditBytes: CoreMetrics.Counter
    private let auditSync: Metrics.Timer

    /// Sub-millisecond buckets: the ingest path answers in microseconds.
    static let ingestBuckets: [Duration] = [
        .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .microseconds(2500),
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1),
    ]

    package init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = [
            "hookline_ingest_duration_seconds": Self.ingestBuckets,
            "hookline_audit_write_duration_seconds": Self.ingestBuckets,
            "hookline_audit_fsync_duration_seconds": Self.ingestBuckets,
        ]
        self.factory = factory
        auditWrite = Self.cached(in: timers, "hookline_audit_write_duration_seconds", []) {
            Metrics.Timer(label: "hookline_audit_write_duration_seconds", dimensions: [], factory: factory)
        }
        auditBytes = Self.cached(in: counters, "hookline_audit_bytes_total", []) {
            CoreMetrics.Counter(label: "hookline_audit_bytes_total", dimensions: [], factory: factory)
        }
        auditSync = Self.cached(in: timers, "hookline_audit_fsync_duration_seconds", []) {
            Metrics.Timer(label: "hookline_audit_fsync_duration_seconds", dimensions: [], factory: factory)
        }
    }

    private func counter(_ name: String, _ dimensions: [(String, String)]) -> CoreMetrics.Counter {
        Self.cached(in: counters, name, dimensions) { CoreMetrics.Counter(label: name, dimensions: dimensions, factory: factory) }
    }

    private func gauge(_ name: String, _ dimensions: [(String, String)] = []) -> CoreMetrics.Gauge {
        Self.cached(in: gauges, name, dimensions) { CoreMetrics.Gauge(label: name, dimensions: dimensions, factory: factory) }
    }

    private func timer(_ name: String, _ dimensions: [(String, String)]) -> Metrics.Timer {
        Self.cached(in: timers, name, dimensions) { Metrics.Timer(label: name, dimensions: dimensions, factory: factory) }
    }

    /// The metric for `name` and `dimensions`, made on first use: creating one registers it.
    private static func cached<Metric>(
        in store: borrowing Mutex<[String: Metric]>, _ name: String, _ dimensions: [(String, String)], make: () -> Metric
    ) -> Metric {
        let key = name + dimensions.map { "|\($0.0)=\($0.1)" }.joined()
        return store.withLock { metrics in
            if let existing = metrics[key] { return existing }
            let created = make()
            metrics[key] = created
            return created
        }
    }

    // MARK: - Ingest

    /// An answer to a webhook delivery, and how long it took from its first byte. `source` is a
    /// configured name or `unknown` (`WebhookIngest.sourceLabel`): label values come from the
    /// configuration only.
    package func answered(source: String, status: Int, duration: Duration) {
        let key = Answer(source: source, status: status)
        let (counter, timer) =
            answers.withLock { $0[key] }
            ?? {
                let made = (
                    self.counter("hookline_requests_total", [("source", source), ("status", String(status))]),
                    self.timer("hookline_ingest_duration_seconds", [("source", source)])
                )
                answers.withLock { $0[key] = made }
                return made
            }()
        counter.increment()
        timer.recordNanoseconds(duration.wholeNanoseconds)
    }

    /// A delivery refused with a 4xx, by reason (`no_matching_signature`, `invalid_message`, …).
    package func rejected(source: String, reason: String) {
        counter("hookline_rejections_total", [("source", source), ("reason", reason)]).increment()
    }

    /// A rejection whose audit line the budget left out (a summary line counts it).
    package func suppressed(source: String, reason: String) {
        counter("hookline_rejections_suppressed_total", [("source", source), ("reason", reason)]).increment()
    }

    // MARK: - Connections

    /// A connection refused because `server.max_connections` were open.
    package func connectionRefused() {
        counter("hookline_connections_refused_total", []).increment()
    }

    // MARK: - Targets

    /// One attempt at a target ended with `outcome` (`retry`, `applied`, `skipped`, `failed`, `dead`).
    package func attempt(target: String, outcome: AuditOutcome) {
        counter("hookline_attempts_total", [("target", target), ("outcome", outcome.rawValue)]).increment()
        if outcome.endsTargetJob {
            counter("hookline_jobs_total", [("target", target), ("outcome", outcome.rawValue)]).increment()
        }
        // Attempts that did not succeed since the target last applied one, on this instance; a
        // skip made no call, so it says nothing about the target.
        let streak: Int? = failureStreaks.withLock { streaks in
            switch outcome {
            case .retry, .failed, .dead: streaks[target, default: 0] += 1
            case .applied: streaks[target] = 0
            default: return nil
            }
            return streaks[target]
        }
        if let streak { gauge("hookline_target_consecutive_failures", [("target", target)]).record(streak) }
    }

    /// Each target's failures in a row on this instance (the gauge's values), for the console.
    package var consecutiveFailures: [String: Int] { failureStreaks.withLock { $0 } }

    /// One HTTP call to a target and its answer (`error` when there was none).
    package func call(target: String, status: Int?, duration: Duration) {
        timer("hookline_target_call_duration_seconds", [("target", target)]).recordNanoseconds(duration.wholeNanoseconds)
        counter("hookline_target_calls_total", [("target", target), ("status", status.map(String.init) ?? "error")]).increment()
    }

    // MARK: - Audit log

    package func wrote(bytes: Int, duration: Duration) {
        auditWrite.recordNanoseconds(duration.wholeNanoseconds)
        auditBytes.increment(by: Int64(bytes))
    }

    package func synced(duration: Duration) {
        auditSync.recordNanoseconds(duration.wholeNanoseconds)
    }

    package func rotated() {
        counter("hookline_audit_rotations_total", []).increment()
    }

    package func couldNotCarry(events: Int) {
        counter("hookline_audit_uncarried_events_total", []).increment(by: Int64(events))
    }

    // MARK: - Database (store: postgres)

    /// One round trip to the database, by what it did.
    package func database(query: String, duration: Duration, failed: Bool) {
        timer("hookline_db_query_duration_seconds", [("query", query)]).recordNanoseconds(duration.wholeNanoseconds)
        if failed { counter("hookline_db_errors_total", [("query", query)]).increment() }
    }

    /// A lane another instance held was taken over after its lease ran out.
    package func leaseTakeover() {
        counter("hookline_lease_takeovers_total", []).increment()
    }

    /// A call not started because this instance's lease on the job's lane could no longer cover it.
    package func callRefused(target: String) {
        counter("hookline_calls_refused_total", [("target", target), ("reason", "lease")]).increment()
    }

    // MARK: - Alerts

    /// An alert this instance sent (`firing`, `warning` or `recovered`).
    /// The configuration now in use, by the SHA-256 of its file: `hookline_config_info{sha256}`
    /// is 1 for it (and 0 for the one it replaced).
    package func configuration(loaded hash: String) {
        let previous = loadedConfiguration.withLock { loaded in
            defer { loaded = hash }
            return loaded
        }
        if let previous, previous != hash { gauge("hookline_config_info", [("sha256", previous)]).record(0) }
        gauge("hookline_config_info", [("sha256", hash)]).record(1)
        gauge("hookline_config_loaded_timestamp_seconds").record(Double(UnixTime.now().milliseconds) / 1000)
    }

    /// A reload's result: `applied`, `unchanged`, `refused` (it needed a restart) or `invalid`.
    package func configReload(result: String) {
        counter("hookline_config_reloads_total", [("result", result)]).increment()
    }

    package func alert(rule: String, state: String) {
        counter("hookline_alerts_total", [("rule", rule), ("state", state)]).increment()
    }

    /// An alert this instance made that another instance of the fleet had sent already.
    package func alertSentElsewhere(rule: String, state: String) {
        counter("hookline_alerts_sent_elsewhere_total", [("rule", rule), ("state", state)]).increment()
    }

    /// An alert's delivery to a channel ended: `sent`, or `failed` once its retries ran out.
    package func alertDelivery(channel: String, result: String) {
        counter("hookline_alert_deliveries_total", [("channel", channel), ("result", result)]).increment()
    }

    /// An attempt's outcome came back fenced: another claim held the lane by then.
    package func fenced(target: String) {
        counter("hookline_fenced_total", [("target", target)]).increment()
    }

    /// A call whose request was written after its lease stopped covering it (a stall between the
    /// last lease check and the write).
    package func lateCall(target: String) {
        counter("hookline_late_calls_total", [("target", target)]).increment()
    }

    /// What was done about late calls of an attempt whose lane changed hands: the lane's newest
    /// event `queued` again, `failed` to be, or `none` needed (the late call was the newest).
    package func lateCallRepair(target: String, queued: Bool?) {
        let result = queued.map { $0 ? "queued" : "failed" } ?? "none"
        counter("hookline_late_call_repairs_total", [("target", target), ("result", result)]).increment()
    }

    /// A lease renewal: whether it failed, and how many claims it found lost.
    package func leaseRenewal(failed: Bool, lost: Int) {
        if failed { counter("hookline_lease_renewals_failed_total", []).increment() }
        if lost > 0 { counter("hookline_leases_lost_total", []).increment(by: Int64(lost)) }
    }

    /// Lanes waiting for a route this instance is not configured with (another instance applies them).
    package func unclaimable(route: String, lanes: Int) {
        gauge("hookline_lanes_unclaimable", [("route", route)]).record(lanes)
    }

    /// Finished events deleted past `store.retention`.
    package func pruned(events: Int) {
        counter("hookline_pruned_events_total", []).increment(by: Int64(events))
    }

    // MARK: - Exposition

    /// The Prometheus text, with the gauges read from `state` at this moment.
    package func render(_ state: GaugeReadings) -> String {
        gauge("hookline_queue_depth").record(state.queueDepth)
        gauge("hookline_queue_jobs").record(state.queueJobs)
        gauge("hookline_queue_capacity").record(state.queueCapacity)
        for (target, calls) in state.inFlightCalls {
            gauge("hookline_target_calls_in_flight", [("target", target)]).record(calls)
            // Every configured target, 0 or 1: an alert can say `== 1`, and a resume shows as 0.
            gauge("hookline_target_paused", [("target", target)]).record(state.paused.contains(target) ? 1 : 0)
        }
        gauge("hookline_ready").record(state.ready ? 1 : 0)
        gauge("hookline_connections").record(state.connections)
        if let pool = state.databasePool {
            gauge("hookline_db_pool_connections").record(pool.size)
            gauge("hookline_db_pool_in_use").record(pool.inUse)
        }
        return registry.emitToString()
    }

    /// Values read at scrape time.
    package struct GaugeReadings: Sendable {
        package var queueDepth: Int
        package var queueJobs: Int
        package var queueCapacity: Int
        package var inFlightCalls: [String: Int]
        package var ready: Bool
        /// Open connections admitted by the listener.
        package var connections: Int
        /// The database pool's size and the queries running on it (store: postgres).
        package var databasePool: DatabasePoolReading?
        /// Targets paused now.
        package var paused: Set<String> = []
    }
}

/// What the audit writer reports about its I/O.
package protocol AuditWriteObserver: Sendable {
    func wrote(bytes: Int, duration: Duration)
    func synced(duration: Duration)
    func rotated()
    /// Owed events a rotation could not carry into the new file (their line did not read back).
    func couldNotCarry(events: Int)
}
