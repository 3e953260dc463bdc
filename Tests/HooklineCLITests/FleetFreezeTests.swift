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

    @Test("SIGSTOP past the lease, three times under load: no older update is applied after a newer one, every contact ends at its last update")
    func freezes() async throws {
        // Lease 3 s, calls time out after 1 s: a call may start with more than 2 s of lease left.
        let fleet = try await FleetHarness(lease: "3s", targetDelay: .zero, targetTimeout: "1s", contacts: Self.contacts)
        do {
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
            #expect(regressionCount == 0, "older updates applied after newer ones: \(regressions.mapValues { $0.prefix(5).map { "\($0.applied) after \($0.after)" } })")
            for contact in Set(regressions.keys).union(wrongFinal.keys).sorted() { print(try fleet.history(of: contact)) }
            #expect(wrongFinal.isEmpty, "contacts not at their last acknowledged update: \(wrongFinal)")
            let acknowledged = fleet.acknowledged.withLock { $0 }
            let received = records.filter { $0.outcome == .received }.compactMap(\.event)
            #expect(Set(acknowledged.values).isSubset(of: Set(received)), "every acknowledged event is in a log")
            #expect(received.count == Set(received).count, "each message received once, over the fleet")
            let problems = LogPromises.fleetProblems(records)
            #expect(problems.isEmpty, "every acknowledged event ends once per target: \(problems.prefix(5))")
        } catch {
            await fleet.cleanUp()
            throw error
        }
        await fleet.cleanUp()
    }
}
