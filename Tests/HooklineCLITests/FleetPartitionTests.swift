import Foundation
import HooklineCore
import HooklineSandbox
import HooklineServer
import HooklineTestSupport
import HooklineTools
import Synchronization
import Testing

/// Two `hookline serve` processes on one PostgreSQL, one of them reaching the database through a
/// TCP proxy that the test cuts: a partition from the database, with the target still in reach.
@Suite("a fleet on PostgreSQL with an instance cut off from the database", .serialized, .timeLimit(.minutes(5)))
struct FleetPartitionTests {
    static let updates = 12

    @Test("cut off from the database but not from the target: it stops starting calls before its lease runs out, and overwrites nothing newer")
    func cutOff() async throws {
        // Lease 3 s, calls time out after 1 s, the margin is 1 s: the last renewal before the cut was
        // sent at most a renewal interval before it, so no call may start later than 1 s after the cut.
        let fleet = try await FleetHarness(lease: "3s", targetDelay: .zero, targetTimeout: "1s", contacts: FleetFreezeTests.contacts, proxied: [0])
        try await fleet.run {
            fleet.sandbox.clearFaults()
            fleet.sandbox.inject(SandboxFault(pathPrefix: "/omnichannel/", action: .delay(.milliseconds(150)), count: .max, chance: 0.5))
            try await fleet.start(0)
            try await fleet.start(1)
            let total = FleetFreezeTests.contacts.count * Self.updates
            let shares = [0.2, 0.55]
            // The senders wait at the second share until the first cut has ended, so there is
            // still work for instance 0 to be applying when it is cut again (on a loaded machine
            // the other instance once took everything in during the first cut's 8 s).
            let firstCutEnded = CompletionSignal()
            let sender = Task {
                try await fleet.send(updates: Self.updates) { count in
                    if count >= Int(Double(total) * shares[1]) { await firstCutEnded.wait() }
                }
            }
            var cuts: [(at: ContinuousClock.Instant, lastCall: ContinuousClock.Instant?)] = []
            for share in shares {
                try await eventuallyTrue(timeout: .seconds(90)) { fleet.acknowledged.withLock { $0.count } >= Int(Double(total) * share) }
                // Instance 0 is applying when it is cut off.
                try await eventuallyTrue { (fleet.targetProxies[0]?.lastUpstreamBytes).map { .now - $0 < .milliseconds(200) } ?? false }
                let cutAt = ContinuousClock.now
                fleet.databaseProxies[0]?.cut()
                // The fault itself: cut for more than twice the lease, its lanes taken over meanwhile.
                try await Task.sleep(for: .seconds(8))
                cuts.append((cutAt, fleet.targetProxies[0]?.lastUpstreamBytes))
                fleet.databaseProxies[0]?.restore()
                firstCutEnded.signal()
            }
            try await sender.value
            try await FleetTests.settle(fleet)
            #expect(await fleet.terminate(0) == 0)
            #expect(await fleet.terminate(1) == 0)

            for cut in cuts {
                let lastCall = try #require(cut.lastCall)
                let after = lastCall - cut.at
                print("fleet cut off: instance 0 sent its last request \(after) after the cut (lease 3 s, timeout 1 s, margin 1 s)")
                #expect(after < .milliseconds(1250), "no call starts once the lease left cannot cover it: last request \(after) after the cut")
            }
            let records = try fleet.records()
            var regressions = 0
            for contact in FleetFreezeTests.contacts {
                regressions += fleet.regressions(contact).count
                #expect(fleet.appliedNames(contact).last == Self.updates, "\(contact) ends at its last update")
            }
            #expect(regressions == 0, "no later update of another instance is overwritten")
            #expect(LogPromises.fleetProblems(records).isEmpty, "\(LogPromises.fleetProblems(records).prefix(5))")
            #expect(Set(fleet.acknowledged.withLock { $0.values }).isSubset(of: Set(records.filter { $0.outcome == .received }.compactMap(\.event))))
            #expect(records.contains { $0.reason == "lease_takeover" }, "the other instance took its lanes over")
            #expect(fleet.serveLog(0).contains("could not renew this instance's leases"))
        }
    }

    @Test("an instance cut off past store.adopt_after is adopted, its sessions ended first; when it returns, nothing is lost and it says it was adopted")
    func adoptionOfTheLiving() async throws {
        let fleet = try await FleetHarness(lease: "3s", adoptAfter: "6s", targetDelay: .zero, targetTimeout: "1s", proxied: [0])
        try await fleet.run {
            try await fleet.start(0)
            try await fleet.start(1)
            let sender = Task { try await fleet.send(updates: 20) { _ in } }
            try await eventuallyTrue(timeout: .seconds(60)) { fleet.acknowledged.withLock { $0.count } >= 40 }
            let gone = try String(contentsOfFile: fleet.auditPath(0) + ".instance", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            fleet.databaseProxies[0]?.cut()
            // Its sessions are stuck behind the cut, not closed: the adopter must end them itself.
            try await eventuallyTrue(timeout: .seconds(30)) { fleet.serveLog(1).contains("gone for store.adopt_after") }
            let sessions = try await fleet.cluster.query(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE '\(gone)#%'", database: fleet.database)
            #expect(sessions == "0\n", "the adopter ended the cut-off instance's sessions before taking its outbox")
            #expect(try await fleet.cluster.query("SELECT count(*) FROM hookline_outbox WHERE instance = '\(gone)'", database: fleet.database) == "0\n")
            fleet.databaseProxies[0]?.restore()
            try await sender.value
            try await FleetTests.settle(fleet)
            try await eventuallyTrue { fleet.serveLog(0).contains("another instance adopted this one's outbox") }
            #expect(await fleet.terminate(0) == 0)
            #expect(await fleet.terminate(1) == 0)

            let records = try fleet.records()
            #expect(LogPromises.fleetProblems(records).isEmpty, "\(LogPromises.fleetProblems(records).prefix(5))")
            #expect(Set(fleet.acknowledged.withLock { $0.values }).isSubset(of: Set(records.filter { $0.outcome == .received }.compactMap(\.event))))
            for contact in fleet.contacts { #expect(fleet.appliedNames(contact).last == 20, "\(contact) ends at its last update") }
            // Lines the cut-off instance wrote but had not deleted are in both logs, byte for byte.
            let first = Set(try String(contentsOfFile: fleet.auditPath(0), encoding: .utf8).split(separator: "\n"))
            let second = Set(try String(contentsOfFile: fleet.auditPath(1), encoding: .utf8).split(separator: "\n"))
            print("fleet adoption of a cut-off instance: \(first.intersection(second).count) lines in both logs (written, not yet deleted, at the cut)")
        }
    }
}
