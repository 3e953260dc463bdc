import Foundation
import HooklineCore
import HooklineSandbox
import HooklineServer
import HooklineTestSupport
import HooklineTools
import Synchronization
import Testing

/// A fleet whose instances differ for a while (a rolling update), and one that must take a dead
/// instance's lanes over while a backlog of free ones waits.
@Suite("a fleet on PostgreSQL during a rollout and under a backlog", .serialized, .timeLimit(.minutes(5)))
struct FleetRolloutTests {
    @Test("a rolling update that adds a target: the older instance leaves the new target's lanes waiting, visible in /metrics and its log, and fails none")
    func rollingUpdate() async throws {
        // Instance 1 runs the newer configuration, with a second target; instance 0 the older.
        let fleet = try await FleetHarness(targetDelay: .milliseconds(200), targetTimeout: "1s", secondTarget: [1])
        try await fleet.run {
            try await fleet.start(0)
            try await fleet.start(1)
            // The new target does not answer while the newer instance first runs, so its lanes are
            // still owed when that instance stops, however fast a quiet machine would have applied
            // them (a loaded suite once applied them all before the stop, and nothing waited).
            fleet.sandbox.inject(SandboxFault(pathPrefix: "/omnichannel-b/", action: .delay(.seconds(60)), count: .max))
            let deliverer = WebhookDeliverer()
            for sequence in 1...5 {
                for contact in fleet.contacts {
                    let answer = try await deliverer.deliver(
                        LoadHarness.body(contact, sequence), to: "http://127.0.0.1:\(fleet.ports[1])/webhooks/standard", source: fleet.source,
                        messageID: "msg_\(contact)_\(sequence)")
                    #expect(answer.status == 202)
                }
            }
            // The newer instance stops (its turn in the rollout) with the new target's lanes unfinished.
            #expect(await fleet.terminate(1) == 0)
            let route = #"hookline_lanes_unclaimable{route="standard → omnichannel_b"}"#
            try await eventuallyTrue(timeout: .seconds(20)) { (try await fleet.metric(0, route) ?? 0) > 0 }
            #expect(fleet.serveLog(0).contains("lanes wait for a route this instance is not configured with"))
            // The older instance applies what it can: every omnichannel lane.
            try await eventuallyTrue(timeout: .seconds(30)) {
                let records = try fleet.records()
                return Set(records.filter { $0.outcome == .applied && $0.target == "omnichannel" }.compactMap(\.event)).count == 5 * fleet.contacts.count
            }
            // The newer instance comes back, the new target answers again, and the rest is applied.
            fleet.sandbox.clearFaults()
            try await fleet.start(1)
            try await FleetTests.settle(fleet)
            try await eventuallyTrue(timeout: .seconds(20)) { (try await fleet.metric(0, route) ?? 0) == 0 }
            #expect(await fleet.terminate(0) == 0)
            #expect(await fleet.terminate(1) == 0)
            let records = try fleet.records()
            #expect(records.filter { $0.outcome == .failed }.isEmpty, "\(records.filter { $0.outcome == .failed }.prefix(3).map { $0.error ?? "" })")
            #expect(LogPromises.fleetProblems(records).isEmpty)
            #expect(records.filter { $0.outcome == .applied && $0.target == "omnichannel_b" }.count == 5 * fleet.contacts.count)
        }
    }

    @Test("a dead instance's lanes are taken over within the lease and 2 s, while hundreds of free lanes wait")
    func takeoverUnderBacklog() async throws {
        let contacts = (1...240).map { "c_backlog_\($0)" }
        let fleet = try await FleetHarness(targetDelay: .milliseconds(600), targetTimeout: "1s", contacts: contacts)
        try await fleet.run {
            try await fleet.start(0)
            try await fleet.start(1)
            try await fleet.send(updates: 1) { _ in }
            let dead = try fleet.instanceName(0)
            func held() async throws -> Int {
                Int(try await fleet.cluster.query("SELECT count(*) FROM hookline_lanes WHERE holder = '\(dead)'", database: fleet.database).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
            }
            try await eventuallyTrue { try await held() > 0 }
            await fleet.kill(0)
            let killed = ContinuousClock.now
            let heldAtKill = try await held()
            try await eventuallyTrue(timeout: .seconds(20)) { try await held() == 0 }
            let took = ContinuousClock.now - killed
            let backlog = try await fleet.cluster.query("SELECT count(*) FROM hookline_lanes WHERE holder IS NULL", database: fleet.database)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            print("fleet backlog: \(heldAtKill) lanes of the dead instance taken over \(took) after the SIGKILL, with \(backlog) free lanes still waiting (lease 3 s)")
            #expect(took < .seconds(5), "taken over within the lease and 2 s")
            #expect((Int(backlog) ?? 0) > 50, "while the backlog was still there")
            // Back again, it copies what it had committed and not yet written into its log.
            try await fleet.start(0)
            try await FleetTests.settle(fleet, timeout: .seconds(120))
            #expect(await fleet.terminate(0) == 0)
            #expect(await fleet.terminate(1) == 0)
            #expect(LogPromises.fleetProblems(try fleet.records()).isEmpty)
        }
    }
}
