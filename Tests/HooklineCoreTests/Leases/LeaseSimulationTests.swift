import Foundation
import HooklineCore
import Testing

/// A seeded simulation of a fleet holding leases on one database: several instances with clocks
/// that run at slightly different rates, requests and answers that are slow or lost, freezes of
/// any length, partitions from the database (the target still reachable), slow calls. Each instance follows `LeaseBook`; the database follows the store's
/// rules (a claim or takeover only after the lease ran out by its own clock, a new token each time,
/// renewals and finishes matched by token). It checks, on every schedule:
/// - no two instances ever both hold a call permission for one lane at the same instant;
/// - a call under an older claim never overlaps or follows a call under a newer one.
///
/// The one thing the rules cannot prevent is also simulated and measured: an instance stopped
/// between the permission check and the write of the request. Every violation found then must
/// be one where that stop outlasted the slack the check saw (lease left minus timeout and margin).
@Suite("a fleet's leases, simulated over many random schedules")
struct LeaseSimulationTests {
    /// Runs the simulations on a thread of their own: seconds of pure computation on the shared
    /// concurrency pool (two threads on two cores) would stall every other test in the process.
    static func simulate(seeds: Range<UInt64>, stallBetweenCheckAndSend: Bool) async -> [FleetSimulation] {
        await withCheckedContinuation { continuation in
            Thread {
                continuation.resume(
                    returning: seeds.map { seed in
                        var simulation = FleetSimulation(seed: seed, stallBetweenCheckAndSend: stallBetweenCheckAndSend)
                        simulation.run()
                        return simulation
                    })
            }.start()
        }
    }

    @Test("no two holders may call at once, and no older claim calls after a newer one, over 80 random schedules")
    func schedules() async {
        var calls = 0, freezes = 0, refused = 0
        for (seed, simulation) in zip(UInt64(0)..<UInt64(80), await Self.simulate(seeds: 0..<80, stallBetweenCheckAndSend: false)) {
            #expect(simulation.doubleBelief == nil, "seed \(seed): \(simulation.doubleBelief ?? "")")
            #expect(simulation.orderViolations.isEmpty, "seed \(seed): \(simulation.orderViolations.prefix(3))")
            calls += simulation.calls
            freezes += simulation.freezes
            refused += simulation.lostClaims + simulation.expiredChecks
        }
        #expect(calls > 80 * 40, "the schedules made calls (\(calls))")
        #expect(freezes > 80 && refused > 80, "freezes and partitions (\(freezes)) cost leases, and the rules refused calls (\(refused))")
        print("lease simulation: 80 schedules, \(calls) calls, \(freezes) freezes and partitions, \(refused) calls refused or claims lost; no overlap")
    }

    @Test("a stop between the check and the send is the one way through, and only when it outlasts the slack the check saw")
    func theStatedBound() async {
        var overlapping = 0
        var stalls = 0
        for (seed, simulation) in zip(UInt64(1000)..<UInt64(1040), await Self.simulate(seeds: 1000..<1040, stallBetweenCheckAndSend: true)) {
            stalls += simulation.stalledSends
            overlapping += Set(simulation.orderViolations.map { "\($0.older.lane)#\($0.older.token)@\($0.older.start)" }).count
            for violation in simulation.orderViolations {
                #expect(violation.stalledBeyondSlack, "seed \(seed): \(violation)")
            }
        }
        #expect(stalls > 0, "the simulation stopped instances between check and send")
        print("lease simulation: \(stalls) sends stalled after their check; \(overlapping) of them overlapped a newer holder's calls, each stalled beyond its slack")
    }
}

/// One simulated fleet. Times are nanoseconds of true time; the database's clock is true time;
/// each instance's clock runs at its own rate.
struct FleetSimulation {
    struct Call {
        var lane: String, token: Int64, instance: Int, start: Int64, end: Int64
        /// When the send was stopped after its check: how long, and the slack the check saw.
        var stall: (duration: Int64, slack: Int64)?
    }

    struct Violation: CustomStringConvertible {
        var older: Call, newer: Call
        var stalledBeyondSlack: Bool { older.stall.map { $0.duration > $0.slack } ?? false }
        var description: String {
            "lane \(older.lane): #\(older.token) (instance \(older.instance)) called \(older.start)–\(older.end), #\(newer.token) (instance \(newer.instance)) from \(newer.start); stall \(String(describing: older.stall))"
        }
    }

    private struct Lane { var token: Int64 = 0, holder: Int?, leaseUntil: Int64 = 0 }

    private enum Request {
        case claim(lane: String, sentAt: MonotonicTime)
        case renew(asked: [LaneClaim], sentAt: MonotonicTime, id: Int)
        case finish(LaneClaim, keep: Bool, sentAt: MonotonicTime)
    }

    private enum Answer {
        case claimed(LaneClaim?, sentAt: MonotonicTime)
        case renewed(asked: [LaneClaim], confirmed: Set<LaneClaim>, sentAt: MonotonicTime, id: Int)
        case finished(LaneClaim, kept: Bool, sentAt: MonotonicTime)
    }

    private struct Message<Body> { var at: Int64, instance: Int, body: Body }

    private struct Instance {
        var book: LeaseBook
        var rate: Double
        var offset: Int64
        var frozenUntil: Int64 = 0
        /// Cut off from the database (not from the target) until then: what it sends or is sent is lost.
        var partitionedUntil: Int64 = 0
        var renewal: (id: Int, sentAt: MonotonicTime)?
        var lastRenewal = MonotonicTime(nanoseconds: 0)
        var calling: [String: (claim: LaneClaim, end: Int64)] = [:]
        var pendingSend: (claim: LaneClaim, slack: Int64, checkedAt: Int64)?
        /// Claims whose job's finish is on its way: no call starts under them (their job is done).
        var finishing: Set<LaneClaim> = []
        func clock(_ t: Int64) -> MonotonicTime { MonotonicTime(nanoseconds: offset + Int64(Double(t) * rate)) }
    }

    let stallBetweenCheckAndSend: Bool
    private var random: SeededGenerator
    private let terms: LeaseTerms
    private let callTimeout: Duration
    private let lanes: [String]
    private var database: [String: Lane] = [:]
    private var nextToken: Int64 = 1
    private var instances: [Instance] = []
    private var requests: [Message<Request>] = []
    private var answers: [[Message<Answer>]] = []
    private var renewalIDs = 0
    private var callLog: [Call] = []

    private(set) var doubleBelief: String?
    private(set) var orderViolations: [Violation] = []
    private(set) var calls = 0, lostClaims = 0, expiredChecks = 0, freezes = 0, stalledSends = 0

    static let tick: Int64 = 10_000_000
    static let duration: Int64 = 30_000_000_000

    init(seed: UInt64, stallBetweenCheckAndSend: Bool) {
        self.stallBetweenCheckAndSend = stallBetweenCheckAndSend
        random = SeededGenerator(seed: seed &* 0x9E37_79B9 &+ 17)
        // A call timeout, and a lease between the shortest that covers it and three times that.
        callTimeout = .milliseconds(Int64.random(in: 200...1500, using: &random))
        let shortest = LeaseTerms.shortestLease(covering: callTimeout)
        terms = LeaseTerms(lease: shortest + .milliseconds(Int64.random(in: 0...(2 * shortest.wholeMilliseconds), using: &random)))
        lanes = (0..<Int.random(in: 2...5, using: &random)).map { "lane-\($0)" }
        for _ in 0..<Int.random(in: 2...4, using: &random) {
            // Clock rates within ±0.1 % of true time: far worse than real clocks.
            instances.append(
                Instance(
                    book: LeaseBook(terms: terms), rate: 1 + Double.random(in: -0.001...0.001, using: &random),
                    offset: Int64.random(in: 0...1_000_000_000_000, using: &random)))
        }
        answers = Array(repeating: [], count: instances.count)
    }

    private mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &random) < p }

    /// A delay on the network, or nil when the message is lost.
    private mutating func delay() -> Int64? {
        if chance(0.03) { return nil }
        return chance(0.05) ? Int64.random(in: 0...3_000_000_000, using: &random) : Int64.random(in: 100_000...30_000_000, using: &random)
    }

    mutating func run() {
        var t: Int64 = 0
        while t < Self.duration {
            deliverRequests(at: t)
            for index in instances.indices { step(index, at: t) }
            checkBeliefs(at: t)
            t += Self.tick
        }
        checkOrder()
    }

    // MARK: The database

    private mutating func deliverRequests(at t: Int64) {
        let due = requests.filter { $0.at <= t }
        requests.removeAll { $0.at <= t }
        for message in due.sorted(by: { $0.at < $1.at }) {
            let answer: Answer
            let lease = terms.lease.wholeNanoseconds
            switch message.body {
            case .claim(let lane, let sentAt):
                var row = database[lane] ?? Lane()
                if row.holder == nil || row.leaseUntil < message.at {
                    row.token = nextToken
                    nextToken += 1
                    row.holder = message.instance
                    row.leaseUntil = message.at + lease
                    database[lane] = row
                    answer = .claimed(LaneClaim(lane: lane, token: row.token), sentAt: sentAt)
                } else {
                    answer = .claimed(nil, sentAt: sentAt)
                }
            case .renew(let asked, let sentAt, let id):
                var confirmed: Set<LaneClaim> = []
                for claim in asked {
                    guard var row = database[claim.lane], row.token == claim.token, row.holder == message.instance else { continue }
                    row.leaseUntil = max(row.leaseUntil, message.at + lease)
                    database[claim.lane] = row
                    confirmed.insert(claim)
                }
                answer = .renewed(asked: asked, confirmed: confirmed, sentAt: sentAt, id: id)
            case .finish(let claim, let keep, let sentAt):
                var kept = false
                if var row = database[claim.lane], row.token == claim.token, row.holder == message.instance {
                    if keep {
                        row.leaseUntil = max(row.leaseUntil, message.at + lease)
                        kept = true
                    } else {
                        row.holder = nil
                    }
                    database[claim.lane] = row
                }
                answer = .finished(claim, kept: kept, sentAt: sentAt)
            }
            if let back = delay(), message.at + back >= instances[message.instance].partitionedUntil {
                answers[message.instance].append(Message(at: message.at + back, instance: message.instance, body: answer))
            }
        }
    }

    private mutating func send(_ request: Request, from instance: Int, at t: Int64) {
        guard t >= instances[instance].partitionedUntil else { return }
        if let delay = delay() { requests.append(Message(at: t + delay, instance: instance, body: request)) }
    }

    // MARK: An instance

    private mutating func step(_ index: Int, at t: Int64) {
        guard t >= instances[index].frozenUntil else { return }
        let now = instances[index].clock(t)
        let callNanos = callTimeout.wholeNanoseconds

        // A send stopped after its check goes out now, on the word of a check made before the stop.
        if let pending = instances[index].pendingSend {
            instances[index].pendingSend = nil
            startCall(pending.claim, instance: index, at: t, stall: (t - pending.checkedAt, pending.slack))
        }
        // Answers that arrived (while it was stopped, too).
        let due = answers[index].filter { $0.at <= t }
        answers[index].removeAll { $0.at <= t }
        for answer in due {
            switch answer.body {
            case .claimed(let claim, let sentAt):
                if let claim { instances[index].book.claimed(claim, sentAt: sentAt) }
            case .renewed(let asked, let confirmed, let sentAt, let id):
                guard instances[index].renewal?.id == id else { continue }
                instances[index].renewal = nil
                lostClaims += instances[index].book.renewed(asked: asked, confirmed: confirmed, sentAt: sentAt).lost.count
            case .finished(let claim, let kept, let sentAt):
                instances[index].finishing.remove(claim)
                if kept { instances[index].book.claimed(claim, sentAt: sentAt) } else { instances[index].book.ended(claim) }
            }
        }
        // A renewal unanswered for a renewal interval has failed.
        if let renewal = instances[index].renewal, now.since(renewal.sentAt) > terms.renewalInterval {
            instances[index].renewal = nil
            _ = instances[index].book.renewalFailed()
        }
        if instances[index].renewal == nil, now.since(instances[index].lastRenewal) >= terms.renewalInterval {
            renewalIDs += 1
            instances[index].renewal = (renewalIDs, now)
            instances[index].lastRenewal = now
            send(.renew(asked: instances[index].book.claims, sentAt: now, id: renewalIDs), from: index, at: t)
        }
        // Calls that ended: their finish goes to the database.
        for (lane, call) in instances[index].calling where call.end <= t {
            instances[index].calling[lane] = nil
            instances[index].finishing.insert(call.claim)
            send(.finish(call.claim, keep: chance(0.5), sentAt: now), from: index, at: t)
        }
        // New claims, now and then.
        if chance(0.2), let lane = lanes.randomElement(using: &random), instances[index].book.claim(of: lane) == nil {
            send(.claim(lane: lane, sentAt: now), from: index, at: t)
        }
        // Calls under claims held: only with the book's permission.
        for claim in instances[index].book.claims
        where instances[index].calling[claim.lane] == nil && !instances[index].finishing.contains(claim) && chance(0.1) {
            let permission = instances[index].book.handOut(claim, callTimeout: callTimeout, now: now)
            guard case .granted = permission else {
                expiredChecks += 1
                continue
            }
            if stallBetweenCheckAndSend && chance(0.02) {
                // Stopped right after the check, before the request is written.
                let left = instances[index].book.left(claim, now: now)?.wholeNanoseconds ?? 0
                let slack = max(0, left - callNanos - terms.margin.wholeNanoseconds)
                instances[index].pendingSend = (claim, slack, t)
                instances[index].calling[claim.lane] = (claim, .max)
                instances[index].frozenUntil = t + Int64.random(in: 0...(3 * terms.lease.wholeNanoseconds), using: &random)
                stalledSends += 1
                return
            }
            startCall(claim, instance: index, at: t, stall: nil)
        }
        // Freezes of any length, up to three leases: a paused VM, a debugger, a stalled kernel.
        if chance(0.0008) {
            freezes += 1
            instances[index].frozenUntil = t + Int64.random(in: 0...(3 * terms.lease.wholeNanoseconds), using: &random)
        }
        // Partitions from the database, the target still reachable: a cut link, a proxy gone.
        if chance(0.002) {
            freezes += 1
            instances[index].partitionedUntil = t + Int64.random(in: 0...(3 * terms.lease.wholeNanoseconds), using: &random)
        }
    }

    /// A call goes out under `claim`; the target may apply it at any moment until its timeout
    /// (by the instance's clock) is up, whatever becomes of the instance meanwhile.
    private mutating func startCall(_ claim: LaneClaim, instance index: Int, at t: Int64, stall: (duration: Int64, slack: Int64)?) {
        let timeout = callTimeout.wholeNanoseconds
        let taken = chance(0.3) ? timeout : Int64.random(in: 0...timeout, using: &random)
        let length = Int64(Double(taken) / instances[index].rate)
        instances[index].calling[claim.lane] = (claim, t + max(length, Self.tick))
        callLog.append(Call(lane: claim.lane, token: claim.token, instance: index, start: t, end: t + length, stall: stall))
        calls += 1
    }

    private mutating func checkBeliefs(at t: Int64) {
        guard doubleBelief == nil else { return }
        for lane in lanes {
            let believers = instances.indices.filter { index in
                let instance = instances[index]
                guard let claim = instance.book.claim(of: lane), !instance.finishing.contains(claim) else { return false }
                return instance.book.permission(claim, callTimeout: callTimeout, now: instance.clock(t)).isGranted
            }
            if believers.count > 1 { doubleBelief = "at \(t) ns instances \(believers) all may call on \(lane)" }
        }
    }

    private mutating func checkOrder() {
        for lane in lanes {
            let lanesCalls = callLog.filter { $0.lane == lane }
            for older in lanesCalls {
                for newer in lanesCalls where newer.token > older.token && older.end > newer.start {
                    orderViolations.append(Violation(older: older, newer: newer))
                }
            }
        }
    }
}
