import Foundation
import HooklineCore
import HooklineSandbox
import HooklineServer
import Synchronization
import HooklineTestSupport
import HooklineTools
import Testing

/// A 2xx is a promise: these tests break the process and check the promise was kept.
@Suite("crash and restart, as processes", .serialized, .timeLimit(.minutes(3)))
struct CrashTests {
    static let updates = 25

    /// Checks what must hold once everything settled after the restart.
    static func checkPromises(_ harness: LoadHarness) throws {
        let records = try harness.records()
        let received = Set(records.filter { $0.outcome == .received }.compactMap(\.event))
        let acknowledged = harness.acknowledged.withLock { $0 }
        #expect(acknowledged.count == LoadHarness.contacts.count * updates)
        let missing = acknowledged.filter { !received.contains($0.value) }
        #expect(missing.isEmpty, "acknowledged but never journaled: \(missing.keys.sorted().prefix(5))")
        #expect(received.count == acknowledged.count, "each message journaled once")
        let problems = LogPromises.problems(records)
        #expect(problems.isEmpty, "\(problems.prefix(5))")
        for contact in LoadHarness.contacts {
            #expect(harness.sandbox.omnichannelContact(contact)?["first_name"] == .string("v\(updates)"), "\(contact) ends at its last update")
        }
    }

    /// Waits until every received event has a terminal line for each target.
    static func settle(_ harness: LoadHarness) async throws {
        try await eventuallyTrue(timeout: .seconds(60)) { LogPromises.problems((try? harness.records()) ?? []).isEmpty }
    }

    @Test("SIGKILL under load: every 2xx was journaled, every event ends once per target, each contact ends at its last update", arguments: [20, 70, 140])
    func sigkill(killAfter: Int) async throws {
        let harness = try await LoadHarness()
        do {
            try await harness.startServer()
            let killed = Atomic<Bool>(false)
            let sender = Task {
                try await harness.send(updates: Self.updates) { count in
                    if count >= killAfter, !killed.exchange(true, ordering: .relaxed) {
                        await harness.kill()
                        try? await harness.startServer()
                    }
                }
            }
            try await sender.value
            let wasKilled = killed.load(ordering: .relaxed)
            #expect(wasKilled)
            try await Self.settle(harness)
            let stopped = await harness.terminate()
            #expect(stopped.status == 0)
            try Self.checkPromises(harness)
            let recovered = try harness.records().filter { $0.outcome == .recovered }.count
            print("kill after \(killAfter) acknowledged: \(recovered) events recovered at restart")
        } catch {
            await harness.cleanUp()
            throw error
        }
        await harness.cleanUp()
    }

    @Test("SIGTERM mid-load drains cleanly; after a restart no line is lost or duplicated")
    func sigterm() async throws {
        let harness = try await LoadHarness(drainTimeout: "5s", targetDelay: .milliseconds(60))
        do {
            try await harness.startServer()
            let stopped = Mutex<(status: Int32, seconds: Double)?>(nil)
            let sender = Task {
                try await harness.send(updates: Self.updates) { count in
                    if count == 60 {
                        let result = await harness.terminate()
                        stopped.withLock { $0 = result }
                        let afterStop = (try? harness.records()) ?? []
                        // Everything journaled is either finished or named in a pending line.
                        let pending = Set(afterStop.filter { $0.outcome == .pending }.compactMap(\.event))
                        let unfinished = Set(LogPromises.problems(afterStop).compactMap { $0.split(separator: "→").first.map(String.init) })
                        #expect(unfinished.isSubset(of: pending), "owed events without a pending line: \(unfinished.subtracting(pending).prefix(3))")
                        #expect(LogPromises.problems(afterStop).allSatisfy { $0.hasSuffix("no terminal line") }, "no duplicated terminal line at shutdown")
                        try? await harness.startServer()
                    }
                }
            }
            try await sender.value
            let result = try #require(stopped.withLock { $0 })
            #expect(result.status == 0, "SIGTERM exits 0")
            #expect(result.seconds < 6, "drained within drain_timeout (took \(result.seconds) s)")
            try await Self.settle(harness)
            _ = await harness.terminate()
            try Self.checkPromises(harness)
        } catch {
            await harness.cleanUp()
            throw error
        }
        await harness.cleanUp()
    }
}
