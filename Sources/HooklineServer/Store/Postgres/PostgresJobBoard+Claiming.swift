import DequeModule
import HooklineCore
import Logging
import PostgresNIO
import Synchronization

/// Claiming lanes for the workers: one round trip claims up to `claimLimit` heads, each turned
/// into a job for a waiting worker or kept ahead; idle, the loop sleeps until work may be due.
extension PostgresJobBoard {
    /// Lanes to claim: for the workers waiting beyond the jobs already claimed for them, and to
    /// keep `prefetch` claimed ahead. None while nobody waits and half the prefetch is left.
    private var demand: (lanes: Int, waiting: Bool) {
        state.withLock { state in
            let waiting = !state.waiters.isEmpty
            guard waiting || state.claimed.count < (prefetch + 1) / 2 else { return (0, waiting) }
            return (max(0, state.waiters.count + prefetch - state.claimed.count), waiting)
        }
    }

    /// Lanes one claim takes at most.
    static let claimLimit = 64

    /// Claims lanes while workers wait; sleeps on notifications and deadlines otherwise.
    func claimLoop() async {
        while !Task.isCancelled && !isClosed {
            await giveBackDropped()
            let (want, waiting) = demand
            guard want > 0 else {
                await store.wake.wait(timeout: .seconds(5))
                continue
            }
            let rows: [PostgresRow]
            let asked = min(want, Self.claimLimit)
            let sentAt = LeaseClock.now()
            do {
                rows = try await store.query(
                    """
                    SELECT * FROM hookline_claim(\(store.instance), make_interval(secs => \(store.settings.lease.secondsValue)),
                                                 \(Int32(asked)), \(pausing.claimable), \(waiting))
                    """, "claim")
            } catch {
                _ = await HooklineRuntime.sleep(for: .seconds(1))
                continue
            }
            for row in rows { await hand(row, claimedAt: sentAt) }
            // Fewer than asked: nothing more is runnable now.
            if rows.count < asked { await sleepUntilWork(idle: waiting && rows.isEmpty) }
        }
    }

    /// Turns a head handed over — by a claim sent at `claimedAt`, or by a finish that kept its lane
    /// (already in the book) — into a job for a waiting worker, or ends it when it cannot be applied.
    func hand(_ row: PostgresRow, claimedAt: MonotonicTime? = nil) async {
        let claimed: ClaimedRow
        do {
            claimed = try ClaimedRow.read(row, events: events, now: .now())
        } catch {
            store.logger.error("a claimed job's row cannot be read; its lane is claimed again once its lease runs out", metadata: ["error": "\(error)"])
            return
        }
        if let claimedAt { state.withLock { $0.book.claimed(claimed.ticket.claim, sentAt: claimedAt) } }
        if let previous = claimed.previous {
            store.metrics?.leaseTakeover()
            journal.append(
                AuditRecord(
                    ts: .now(), outcome: .recovered, event: claimed.event, message: claimed.record?.message, source: claimed.record?.source,
                    type: claimed.record?.type, contact: claimed.record?.contact, targets: [claimed.target], reason: "lease_takeover",
                    error: "\(previous) held this lane; its lease ran out"))
        }
        switch claimed.job {
        case .failure(let problem):
            // It can never be applied: it ends here, failed, saying why, and the lane moves on.
            state.withLock { $0.inFlight += 1 }
            _ = await finish(
                claimed.standIn(),
                line: AuditRecord(
                    ts: .now(), outcome: .failed, event: claimed.event, source: claimed.record?.source, type: claimed.record?.type,
                    contact: claimed.record?.contact, target: claimed.target, error: "claimed, but \(problem)"))
        case .success(let job):
            let now = LeaseClock.now()
            let waiter = state.withLock { state -> CheckedContinuation<Job?, Never>? in
                guard !state.waiters.isEmpty else {
                    state.claimed.append(job)
                    return nil
                }
                guard Self.handOut(job, timeout: timeout(of: job), paused: pausing.isPaused(job.target), now: now, state: &state) else { return nil }
                state.inFlight += 1
                return state.waiters.popFirst()
            }
            waiter?.resume(returning: job)
        }
    }

    /// Sleeps until something may be runnable: a notification or local enqueue, a parked lane's
    /// turn, or a lease running out — whichever comes first, at most 5 s. While this instance's
    /// workers are idle, at most 1 s: a notification can be skipped when an accept elsewhere
    /// looked for idle instances just before this one said it was idle.
    private func sleepUntilWork(idle: Bool) async {
        var wait = Duration.seconds(idle ? 1 : 5)
        do {
            let rows = try await store.query(
                """
                SELECT extract(epoch FROM least(
                    (SELECT min(run_after) FROM hookline_lanes WHERE holder IS NULL AND (route IS NULL OR route = ANY (\(pausing.claimable)))),
                    (SELECT min(lease_until) FROM hookline_lanes WHERE holder IS NOT NULL)) - now())::float8
                """, "next_wake")
            if let seconds = try rows.first?.makeRandomAccess()[0].decode(Double?.self) {
                wait = min(wait, .milliseconds(Int64(max(0, seconds) * 1000) + 5))
            }
        } catch {
            // Counted with the query's other errors (hookline_db_errors_total); the wait stands.
            store.logger.debug("could not read when work is next due", metadata: ["error": "\(error)"])
        }
        await store.wake.wait(timeout: wait)
    }
}
