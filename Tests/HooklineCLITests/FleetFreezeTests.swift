import Foundation
import HooklineCore
import HooklineSandbox
import HooklineServer
import HooklineTestSupport
import HooklineTools
import Synchronization
import Testing

/// Two `hookline serve` processes on one PostgreSQL, one of them stalled on purpose: a stall is
/// worse than a death, as the stalled instance wakes up still believing it holds its lanes.
@Suite("a fleet on PostgreSQL whose instances stall", .serialized, .timeLimit(.minutes(5)))
struct FleetFreezeTests {
    static let updates = 15
    /// Many lanes: more than the workers, so instances hold lanes claimed ahead of them.
    static let contacts = (1...48).map { "c_freeze_\($0)" }

    /// A target that applies what it is sent in arrival order and records it, and now and then
    /// fails (500), asks to slow down (429), answers slowly, or too slowly for the call's timeout.
    static func flakyTarget(_ sandbox: SandboxCRM) {
        sandbox.inject(.status(500, on: "/omnichannel/", count: .max, chance: 0.08))
        sandbox.inject(.status(429, on: "/omnichannel/", count: .max, headers: [HeaderField(name: "Retry-After", value: "1")], chance: 0.03))
        sandbox.inject(SandboxFault(pathPrefix: "/omnichannel/", action: .delay(.milliseconds(1500)), count: .max, chance: 0.03))
        sandbox.inject(SandboxFault(pathPrefix: "/omnichannel/", action: .delay(.milliseconds(250)), count: .max, chance: 0.3))
    }

    @Test("SIGSTOP past the lease, three times under load: no older update is applied after a newer one unless a late call says so, every contact ends at its last update")
    func freezes() async throws {
        // Lease 3 s, calls time out after 1 s: a call may start with more than 2 s of lease left.
        let fleet = try await FleetHarness(lease: "3s", targetDelay: .zero, targetTimeout: "1s", contacts: Self.contacts)
        try await fleet.run {
            fleet.sandbox.clearFaults()
            Self.flakyTarget(fleet.sandbox)
            try await fleet.start(0)
            try await fleet.start(1)
            let sender = Task { try await fleet.send(updates: Self.updates) { _ in } }
            let total = Self.contacts.count * Self.updates
            for share in [0.15, 0.4, 0.65] {
                try await eventuallyTrue(timeout: .seconds(90)) { fleet.acknowledged.withLock { $0.count } >= Int(Double(total) * share) }
                let victim = Int.random(in: 0...1)
                fleet.freeze(victim)
                // The fault itself: stopped for more than twice the lease, so its lanes are taken over.
                try await Task.sleep(for: .seconds(7))
                fleet.thaw(victim)
            }
            try await sender.value
            fleet.sandbox.clearFaults()
            try await FleetTests.settle(fleet)
            #expect(await fleet.terminate(0) == 0)
            #expect(await fleet.terminate(1) == 0)

            var regressions: [String: [(applied: Int, after: Int)]] = [:]
            var wrongFinal: [String: Int?] = [:]
            for contact in Self.contacts {
                let found = fleet.regressions(contact)
                if !found.isEmpty { regressions[contact] = found }
                let last = fleet.appliedNames(contact).last
                if last != Self.updates { wrongFinal[contact] = last }
            }
            let regressionCount = regressions.values.reduce(0) { $0 + $1.count }
            let records = try fleet.records()
            let fenced = records.filter { $0.outcome == .fenced }.count
            let takeovers = records.filter { $0.reason == "lease_takeover" }.count
            print(
                "fleet freezes: 3 SIGSTOPs of 7 s (lease 3 s); \(regressionCount) older updates applied after newer ones; "
                    + "\(wrongFinal.count) contacts not at their last update; \(fenced) fenced lines; \(takeovers) lanes taken over")
            // A stop between a call's last lease check and its write (microseconds, but a thread
            // preempted there can sit in it for milliseconds) lets that call out late: allowed only
            // as the stalled instance says so and has the lane's newest update applied again.
            let lateLines = records.filter { $0.outcome == .fenced && ($0.error ?? "").contains(JobRunner.lateMark) }
            let unexplained = regressions.filter { contact, _ in !lateLines.contains { $0.contact == contact } }
            print("fleet freezes: \(lateLines.count) calls went out late and were repaired: \(lateLines.compactMap(\.contact))")
            #expect(unexplained.isEmpty, "older updates applied after newer ones, no late call said: \(unexplained.mapValues { $0.prefix(5).map { "\($0.applied) after \($0.after)" } })")
            for contact in Set(regressions.keys).union(wrongFinal.keys).sorted() { print(try fleet.history(of: contact)) }
            #expect(wrongFinal.isEmpty, "contacts not at their last acknowledged update: \(wrongFinal)")
            let acknowledged = fleet.acknowledged.withLock { $0 }
            let received = records.filter { $0.outcome == .received }.compactMap(\.event)
            #expect(Set(acknowledged.values).isSubset(of: Set(received)), "every acknowledged event is in a log")
            #expect(received.count == Set(received).count, "each message received once, over the fleet")
            let problems = LogPromises.fleetProblems(records)
            #expect(problems.isEmpty, "every acknowledged event ends once per target: \(problems.prefix(5))")
        }
    }

    @Test("stopped between a call's last lease check and its write: the call goes out late, the instance says so, and the lane's newest update is applied after it")
    func stopInTheLastWindow() async throws {
        let contact = "c_late_1"
        let fleet = try await FleetHarness(lease: "3s", targetDelay: .zero, targetTimeout: "1s", contacts: [contact])
        try await fleet.run {
            // v1 reaches instance 0, alone; its call of v1 is permitted, then the process stops
            // itself before the body is written — the window no lease check can close.
            try await fleet.start(0, environment: ["HOOKLINE_STALL_AT": "call.before-write"])
            let first = Task { try await fleet.send(updates: 1) { _ in } }
            try await eventuallyTrue(timeout: .seconds(30)) { fleet.isStopped(0) }
            // Instance 1 takes the lane over once instance 0's lease has run out and applies v1…v5.
            try await fleet.start(1)
            try await first.value
            try await fleet.send(updates: 5) { _ in }
            try await eventuallyTrue(timeout: .seconds(60)) { fleet.appliedNames(contact).last == 5 }
            // In order (a call that timed out on a busy machine may be repeated).
            #expect(fleet.regressions(contact).isEmpty && Set(fleet.appliedNames(contact)) == [1, 2, 3, 4, 5], "\(fleet.appliedNames(contact))")
            // Instance 0 carries on with its write: v1 reaches the target after v5. It says so, and
            // has v5 queued again, which is applied after it.
            let before = fleet.appliedNames(contact).count
            fleet.thaw(0)
            do {
                try await eventuallyTrue(timeout: .seconds(60)) {
                    let applied = fleet.appliedNames(contact)
                    guard let late = applied.lastIndex(of: 1), late >= before else { return false }
                    return applied.last == 5 && applied.count > late + 1
                }
            } catch {
                print(try fleet.history(of: contact))
                throw error
            }
            try await FleetTests.settle(fleet)
            let metric = try await fleet.metric(0, #"hookline_late_calls_total{target="omnichannel"}"#)
            #expect(metric == 1, "instance 0 counted the late call")
            #expect(await fleet.terminate(0) == 0)
            #expect(await fleet.terminate(1) == 0)

            let applied = fleet.appliedNames(contact)
            let afterLate = applied[(applied.lastIndex(of: 1) ?? 0)...].dropFirst()
            #expect(!afterLate.isEmpty && afterLate.allSatisfy { $0 == 5 }, "v1 late, then v5 again: \(applied)")
            let records = try fleet.records()
            let acknowledged = fleet.acknowledged.withLock { $0 }
            let late = records.filter { $0.outcome == .fenced && $0.event == acknowledged["msg_\(contact)_1"] }
            #expect(late.count == 1, "one fenced line for v1's late call: \(late)")
            let queued = acknowledged["msg_\(contact)_5"] ?? "?"
            #expect(late.first?.error?.contains(JobRunner.lateMark) == true, "\(late.first?.error ?? "no line")")
            #expect(late.first?.error?.contains("the lane's newest event, \(queued), is queued again for omnichannel") == true)
            let repairs = records.filter { $0.outcome == .redriven && $0.event == queued }
            #expect(repairs.count == 1 && repairs.first?.by?.hasPrefix("hookline, after a late call of ") == true, "\(repairs)")
            #expect(fleet.serveLog(0).contains("a call went out after this instance's lease on the lane stopped covering it"))
            let problems = LogPromises.fleetProblems(records)
            #expect(problems.isEmpty, "every acknowledged event ends once per target, the repair too: \(problems.prefix(5))")
        }
    }
}
