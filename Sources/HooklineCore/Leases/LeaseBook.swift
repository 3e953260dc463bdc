/// One claim on a lane: the lane, and the token the store gave this claim. Tokens grow with
/// every claim and takeover, so two claims of one lane — even both by this instance, before and
/// after an outage — are never confused.
package struct LaneClaim: Sendable, Hashable, CustomStringConvertible {
    package var lane: String
    package var token: Int64

    package init(lane: String, token: Int64) {
        self.lane = lane
        self.token = token
    }

    package var description: String { "\(lane)#\(token)" }
}

/// Whether a call may start under a claim.
package enum CallPermission: Sendable, Hashable {
    case granted
    /// The claim is no longer this instance's: its lane was taken over, given back, or claimed
    /// again under a newer token.
    case lost
    /// Still held, with too little lease left for the call: `left`, where it needs `needed`.
    case expiring(left: Duration, needed: Duration)

    package var isGranted: Bool { self == .granted }
}

/// What a renewal's answer means.
package struct LeaseRenewal: Sendable, Hashable {
    /// Claims the store no longer holds for this instance. Calls under them are refused from now
    /// on; a job in a worker's hands finds out at its next call or when it finishes.
    package var lost: [LaneClaim] = []
    /// Of those, the ones claimed ahead of the workers: to be dropped from the queue unstarted.
    package var lostAhead: [LaneClaim] = []

    package init(lost: [LaneClaim] = [], lostAhead: [LaneClaim] = []) {
        self.lost = lost
        self.lostAhead = lostAhead
    }
}

/// The leases one instance holds, as it knows them: the rules a worker follows before it calls a
/// target, as a value. Every decision is a pure function of the book and the instant it is given,
/// on a monotonic clock that keeps counting while the process is stopped, so the rules are
/// tested at fixed instants and in a seeded simulation of a whole fleet (`LeaseSimulationTests`).
///
/// The book only ever believes in less lease than the store granted: a claim or renewal counts
/// from when its request was *sent*, and the store sets the lease's end when it runs the request,
/// which is later. What remains possible is stated in `docs/fleet.md` ("What a lease
/// guarantees"): a stall that falls between the check and the write of the request to the socket,
/// which `covers` finds out right after the write.
package struct LeaseBook: Sendable {
    private struct Entry: Sendable, Hashable {
        var token: Int64
        /// The lease's end by this instance's clock.
        var validUntil: MonotonicTime
        /// In a worker's hands (else claimed ahead, waiting in the queue).
        var inHand: Bool
        /// Its job's finish or park is being committed, which may end the claim in the store.
        var ending = false
    }

    package let terms: LeaseTerms
    private var entries: [String: Entry] = [:]

    package init(terms: LeaseTerms) {
        self.terms = terms
    }

    /// Claims held, in lane order: the order a renewal locks them in.
    package var claims: [LaneClaim] {
        entries.map { LaneClaim(lane: $0.key, token: $0.value.token) }.sorted { $0.lane < $1.lane }
    }

    package var count: Int { entries.count }

    /// The claim this instance holds `lane` under, if any.
    package func claim(of lane: String) -> LaneClaim? {
        entries[lane].map { LaneClaim(lane: lane, token: $0.token) }
    }

    /// Whether `claim` is the one this instance holds its lane under.
    package func holds(_ claim: LaneClaim) -> Bool { entries[claim.lane]?.token == claim.token }

    /// The lease left under `claim` at `now` by this instance's clock (negative once it ran out),
    /// or nil when the claim is not held here.
    package func left(_ claim: LaneClaim, now: MonotonicTime) -> Duration? {
        guard let entry = entries[claim.lane], entry.token == claim.token else { return nil }
        return entry.validUntil.since(now)
    }

    /// The store granted `claim` to a request sent at `sentAt` — a claim, or a finish that handed
    /// back the lane's next job and extended the lease. Its job waits ahead of the workers. Tokens
    /// only grow, so an answer about an older claim of the lane than the one held is ignored.
    package mutating func claimed(_ claim: LaneClaim, sentAt: MonotonicTime) {
        let validUntil = sentAt + terms.lease
        if var entry = entries[claim.lane], entry.token >= claim.token {
            // The same claim extended; an older claim's late answer changes nothing.
            guard entry.token == claim.token else { return }
            entry.validUntil = max(entry.validUntil, validUntil)
            entry.inHand = false
            entry.ending = false
            entries[claim.lane] = entry
        } else {
            entries[claim.lane] = Entry(token: claim.token, validUntil: validUntil, inHand: false)
        }
    }

    /// Whether a call with `callTimeout` may start under `claim` at `now`: only while the lease
    /// has more than the timeout and the margin left.
    package func permission(_ claim: LaneClaim, callTimeout: Duration, now: MonotonicTime) -> CallPermission {
        guard let left = left(claim, now: now) else { return .lost }
        let needed = terms.needed(forCallOf: callTimeout)
        return left > needed ? .granted : .expiring(left: left, needed: needed)
    }

    /// Whether a call with `callTimeout` whose request was written at `now` went out under its
    /// lease: the lease must still cover the call's timeout, so the call is answered or abandoned
    /// before another instance can take the lane. `permission` granted it with the timeout and the
    /// margin left, a few microseconds earlier; a write this misses comes after a stall between
    /// the check and the write (a SIGSTOP, a paused VM) that ate the margin and the slack, and may
    /// have reached the target after the lane's new holder applied newer updates.
    package func covers(_ claim: LaneClaim, callTimeout: Duration, writtenAt now: MonotonicTime) -> Bool {
        guard let left = left(claim, now: now) else { return false }
        return left >= callTimeout
    }

    /// A worker asks for the job claimed ahead under `claim`. Granted, it is in the worker's hands;
    /// refused, the claim is forgotten here and its lane is to be given back unstarted.
    package mutating func handOut(_ claim: LaneClaim, callTimeout: Duration, now: MonotonicTime) -> CallPermission {
        let permission = permission(claim, callTimeout: callTimeout, now: now)
        if permission.isGranted {
            entries[claim.lane]?.inHand = true
        } else {
            ended(claim)
        }
        return permission
    }

    /// A worker is committing the end of `claim`'s job (a finish or a park). That commit can end
    /// the claim in the store a moment before its answer arrives here, so a renewal in between
    /// that does not confirm the claim says nothing about a takeover.
    package mutating func ending(_ claim: LaneClaim) {
        if holds(claim) { entries[claim.lane]?.ending = true }
    }

    /// The claim ended here — its job finished or parked, its lane given back, or its finish
    /// fenced: its lane is no longer renewed. A newer claim of the same lane is left alone.
    package mutating func ended(_ claim: LaneClaim) {
        if holds(claim) { entries[claim.lane] = nil }
    }

    /// A renewal of `asked`, sent at `sentAt`, came back with the claims the store still holds for
    /// this instance, each extended to a lease from when the renewal was sent. Asked claims it did
    /// not confirm are lost, unless their job's finish or park was being committed (`ending`).
    package mutating func renewed(asked: [LaneClaim], confirmed: Set<LaneClaim>, sentAt: MonotonicTime) -> LeaseRenewal {
        var outcome = LeaseRenewal()
        for claim in asked {
            guard let entry = entries[claim.lane], entry.token == claim.token else { continue }
            if confirmed.contains(claim) {
                entries[claim.lane]?.validUntil = max(entry.validUntil, sentAt + terms.lease)
            } else {
                entries[claim.lane] = nil
                // A claim whose finish or park was being committed ended by that commit (a
                // takeover, if it was one, comes back to the worker as `fenced`): not lost.
                guard !entry.ending else { continue }
                outcome.lost.append(claim)
                if !entry.inHand { outcome.lostAhead.append(claim) }
            }
        }
        return outcome
    }

    /// A renewal got no answer: nothing was extended, and the store may be out of reach. The claims
    /// ahead of the workers are dropped (returned, to be given back if the store can be reached):
    /// nobody starts them on a lease that may not be renewed. Calls in hand go on only while their
    /// lease covers them.
    package mutating func renewalFailed() -> [LaneClaim] {
        let ahead = entries.filter { !$0.value.inHand }.map { LaneClaim(lane: $0.key, token: $0.value.token) }.sorted { $0.lane < $1.lane }
        for claim in ahead { entries[claim.lane] = nil }
        return ahead
    }
}
