import HooklineCore

/// A target's call rate kept in the database (GCRA on the database's clock), so its limit
/// holds for the whole fleet: Buildr's 10 calls per 10 s stay 10, however many instances call.
final class PostgresRateLimiter: TargetRateLimiter {
    private let store: PostgresDatabase
    private let target: String
    private let interval: Double
    private let tolerance: Double

    init(store: PostgresDatabase, target: String, settings: RateLimitSettings) {
        self.store = store
        self.target = target
        let limit = max(1, settings.requests)
        interval = settings.period.secondsValue / Double(limit)
        tolerance = interval * Double(min(max(1, settings.burst), limit) - 1)
    }

    func reserve(_ count: Int, now: MonotonicTime) async throws(JournalFailure) -> [MonotonicTime] {
        let rows = try await store.query("SELECT hookline_reserve(\(target), \(Int32(count)), \(interval), \(tolerance))", "rate_reserve")
        let delays = try PostgresJournal.decodeAll(rows) { try $0[0].decode([Double].self) }.first ?? []
        return delays.map { now + .milliseconds(Int64(($0 * 1000).rounded(.up))) }
    }

    func pausedUntil(now: MonotonicTime) async throws(JournalFailure) -> MonotonicTime? {
        let rows = try await store.query(
            "SELECT extract(epoch FROM paused_until - clock_timestamp())::float8 FROM hookline_rate_limits WHERE target = \(target)", "rate_paused")
        guard let seconds = try PostgresJournal.decodeAll(rows, { try $0[0].decode(Double?.self) }).first ?? nil else { return nil }
        return now + .milliseconds(Int64((seconds * 1000).rounded(.up)))
    }

    func pause(until: MonotonicTime, now: MonotonicTime) async {
        do {
            try await store.query("SELECT hookline_pause(\(target), \(max(0, until.since(now).secondsValue)), \(tolerance))", "rate_pause")
        } catch {
            // The retry of the call that was refused waits its own delay either way.
            store.logger.warning("could not pause the shared rate limit", metadata: ["target": .string(target), "error": "\(error)"])
        }
    }
}
