import HooklineCore
import Logging
import PostgresNIO

/// Renews this instance's leases every quarter lease, on a connection of its own: a pool busy
/// with the workers' queries must not make a live instance's leases run out. Each renewal names
/// the claims it renews (lane and token) and the database answers with those it still holds, so
/// the instance learns of a lane taken over; a renewal that fails (no answer within the interval)
/// drops the lanes claimed ahead, and the `LeaseBook` stops calls before the leases can run out.
final class LeaseKeeper: Sendable {
    let store: PostgresDatabase
    let board: PostgresJobBoard

    init(store: PostgresDatabase, board: PostgresJobBoard) {
        self.store = store
        self.board = board
    }

    /// Renews until cancelled.
    func run() async {
        let interval = store.settings.leaseTerms.renewalInterval
        var connection: PostgresConnection?
        var failing = false
        while await HooklineRuntime.sleep(for: interval) {
            let asked = board.claimsToRenew()
            let sentAt = LeaseClock.now()
            do {
                if connection == nil { connection = try await store.connect(timeout: min(interval, .seconds(5))) }
                guard let open = connection else { continue }
                let rows = try await store.query(
                    """
                    SELECT lane, token, adopted FROM hookline_renew(
                        \(store.instance), \(asked.map(\.lane)), \(asked.map(\.token)), make_interval(secs => \(store.settings.lease.secondsValue)))
                    """, "renew_leases", timeout: interval, on: open)
                var confirmed: Set<LaneClaim> = []
                var adopted = false
                for row in rows {
                    let cells = row.makeRandomAccess()
                    adopted = try cells["adopted"].decode(Bool.self)
                    if let lane = try cells["lane"].decode(String?.self), let token = try cells["token"].decode(Int64?.self) {
                        confirmed.insert(LaneClaim(lane: lane, token: token))
                    }
                }
                let renewal = board.renewed(asked: asked, confirmed: confirmed, sentAt: sentAt)
                store.metrics?.leaseRenewal(failed: false, lost: renewal.lost.count)
                if !renewal.lost.isEmpty {
                    store.logger.warning(
                        "lanes this instance held were taken over by another (it stalled, or could not reach the database); calls under them stop",
                        metadata: ["lanes": "\(renewal.lost.count)", "claimed_ahead": "\(renewal.lostAhead.count)"])
                }
                if adopted {
                    store.logger.warning(
                        "another instance adopted this one's outbox after store.adopt_after without a word from it: lines this instance wrote but had not yet deleted may be in both logs (byte for byte; `hookline tail` shows them once)")
                }
                if failing {
                    failing = false
                    store.logger.notice("leases are renewed again", metadata: ["lanes": "\(confirmed.count)"])
                }
            } catch {
                let dropped = board.renewalFailed()
                store.metrics?.leaseRenewal(failed: true, lost: 0)
                if !failing {
                    failing = true
                    store.logger.error(
                        "could not renew this instance's leases: lanes claimed ahead are dropped, and no call starts that its lease cannot cover",
                        metadata: ["error": "\(error)", "dropped": "\(dropped)"])
                }
                if let open = connection {
                    connection = nil
                    try? await open.close()
                }
            }
        }
        try? await connection?.close()
    }
}
