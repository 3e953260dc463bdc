import DequeModule
import HooklineCore
import Logging
import PostgresNIO
import Synchronization

/// The leases a board holds: renewals' results, claims dropped unstarted and given back, and
/// what the fleet's tables say about work this instance cannot take.
extension PostgresJobBoard {
    /// The claims to renew, in lane order.
    func claimsToRenew() -> [LaneClaim] { state.withLock { $0.book.claims } }

    /// A renewal of `asked`, sent at `sentAt`, confirmed these claims: the others are lost, and
    /// their jobs claimed ahead are dropped unstarted.
    func renewed(asked: [LaneClaim], confirmed: Set<LaneClaim>, sentAt: MonotonicTime) -> LeaseRenewal {
        state.withLock { state in
            let renewal = state.book.renewed(asked: asked, confirmed: confirmed, sentAt: sentAt)
            state.dropClaimedAhead(renewal.lostAhead)
            return renewal
        }
    }

    /// A renewal failed: the jobs claimed ahead are dropped unstarted and their lanes given back
    /// (if the database can be reached; else their leases run out). Calls in hand go on only while
    /// their lease covers them. How many were dropped.
    func renewalFailed() -> Int {
        state.withLock { state in
            let ahead = state.book.renewalFailed()
            state.dropClaimedAhead(ahead)
            state.giveBack += ahead
            return ahead.count
        }
    }

    /// Gives back every claim this instance holds (at shutdown, once the workers are done), and
    /// stops calling itself idle: nobody need wake it.
    func releaseAll() async {
        let claims = state.withLock { state -> [LaneClaim] in
            let claims = state.book.claims + state.giveBack
            for claim in state.book.claims { state.book.ended(claim) }
            state.claimed.removeAll()
            state.giveBack.removeAll()
            return claims
        }
        await release(claims)
        do {
            try await store.query("UPDATE hookline_instances SET idle = false WHERE name = \(store.instance) AND idle", "not_idle")
        } catch {
            store.logger.debug("could not say this instance is no longer idle", metadata: ["error": "\(error)"])
        }
    }

    /// Gives back the claims dropped unstarted.
    func giveBackDropped() async {
        let claims = state.withLock { state -> [LaneClaim] in
            defer { state.giveBack.removeAll() }
            return state.giveBack
        }
        await release(claims)
    }

    private func release(_ claims: [LaneClaim]) async {
        guard !claims.isEmpty else { return }
        let sorted = claims.sorted { $0.lane < $1.lane }
        do {
            try await store.query(
                "SELECT hookline_release(\(store.instance), \(sorted.map(\.lane)), \(sorted.map(\.token)))", "release")
        } catch {
            store.logger.debug("could not give lanes back; their leases run out", metadata: ["lanes": "\(claims.count)", "error": "\(error)"])
        }
    }

    /// Re-reads the targets paused fleet-wide. Jobs claimed ahead for a target just paused are
    /// given back unstarted; a target paused or resumed wakes the claim loop.
    func refreshPaused() async {
        do {
            let rows = try await store.query(
                "SELECT target, paused_by, (extract(epoch FROM paused_at) * 1000)::bigint FROM hookline_paused", "paused")
            let read = try PostgresJournal.decodeAll(rows) { cells in
                PausedTarget(
                    target: try cells[0].decode(String.self), by: try cells[1].decode(String.self),
                    since: UnixTime(milliseconds: try cells[2].decode(Int64.self)))
            }
            let change = pausing.set(Dictionary(read.map { ($0.target, $0) }, uniquingKeysWith: { first, _ in first }))
            if !change.paused.isEmpty {
                state.withLock { state in
                    for job in state.claimed where change.paused.contains(job.target) {
                        guard let claim = job.ticket?.claim else { continue }
                        state.book.ended(claim)
                        state.giveBack.append(claim)
                    }
                    state.claimed.removeAll { change.paused.contains($0.target) }
                }
            }
            if !change.paused.isEmpty || !change.resumed.isEmpty { store.wake.signal() }
        } catch {
            store.logger.debug("could not read the paused targets", metadata: ["error": "\(error)"])
        }
    }

    /// Re-reads how many jobs are unfinished in the database (`queue.capacity` counts them all).
    func recount() async {
        do {
            let rows = try await store.query("SELECT count(*) FROM hookline_jobs WHERE NOT done", "count")
            let count = try rows.first?.makeRandomAccess()[0].decode(Int.self) ?? 0
            state.withLock { $0.unfinished = count }
        } catch {
            store.logger.debug("could not count the unfinished jobs", metadata: ["error": "\(error)"])
        }
    }

    /// Counts the lanes waiting for a route this instance is not configured with (during a rolling
    /// update that adds one, say): they wait for an instance that has it. `/metrics` shows them,
    /// and the log says so once per route.
    func countUnclaimable(reported: inout Set<String>) async {
        do {
            let rows = try await store.query(
                "SELECT route, count(*) FROM hookline_lanes WHERE route IS NOT NULL AND NOT (route = ANY (\(routes))) GROUP BY route", "unclaimable")
            let counts = try PostgresJournal.decodeAll(rows) { (try $0[0].decode(String.self), try $0[1].decode(Int.self)) }
            let now = Dictionary(counts, uniquingKeysWith: +)
            for route in reported.union(now.keys) {
                let readable = Route.readable(storeKey: route)
                store.metrics?.unclaimable(route: readable, lanes: now[route] ?? 0)
                if let lanes = now[route], !reported.contains(route) {
                    store.logger.warning(
                        "lanes wait for a route this instance is not configured with; an instance that has it applies them",
                        metadata: ["route": .string(readable), "lanes": "\(lanes)"])
                }
            }
            reported = Set(now.keys)
        } catch {
            store.logger.debug("could not count the lanes of routes configured elsewhere", metadata: ["error": "\(error)"])
        }
    }
}
