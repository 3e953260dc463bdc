import Foundation
import HooklineCore
import HooklineSandbox
import HooklineServer
import HooklineTestSupport
import HooklineTools
import Synchronization
import Testing

/// Two `hookline serve` processes on one PostgreSQL, broken on purpose: the promise holds over
/// the union of their logs.
@Suite("a fleet on PostgreSQL, as processes", .serialized, .timeLimit(.minutes(5)))
struct FleetTests {
    static let updates = 25

    /// Checks what must hold once everything settled.
    static func checkPromises(_ fleet: FleetHarness) throws {
        let records = try fleet.records()
        let received = records.filter { $0.outcome == .received }.compactMap(\.event)
        let acknowledged = fleet.acknowledged.withLock { $0 }
        #expect(acknowledged.count == FleetHarness.contacts.count * updates)
        let missing = acknowledged.filter { !Set(received).contains($0.value) }
        #expect(missing.isEmpty, "acknowledged but in no instance's log: \(missing.keys.sorted().prefix(5))")
        #expect(received.count == Set(received).count && received.count == acknowledged.count, "each message received once, over the fleet")
        let problems = LogPromises.fleetProblems(records)
        #expect(problems.isEmpty, "\(problems.prefix(5))")
        for contact in FleetHarness.contacts {
            let names = fleet.appliedNames(contact)
            #expect(names.last == updates, "\(contact) ends at its last update (\(names.suffix(3)))")
            #expect(zip(names, names.dropFirst()).allSatisfy { $0 <= $1 }, "\(contact) was applied in order: \(names)")
        }
    }

    /// Waits until every opening over the fleet's logs has its terminal line; on a timeout,
    /// says what was left and what the database and the instances said about it.
    static func settle(_ fleet: FleetHarness, timeout: Duration = .seconds(90)) async throws {
        do {
            try await eventuallyTrue(timeout: timeout) { LogPromises.fleetProblems((try? fleet.records()) ?? []).isEmpty }
        } catch {
            let problems = LogPromises.fleetProblems((try? fleet.records()) ?? [])
            let outbox = (try? await fleet.cluster.query("SELECT instance, count(*) FROM hookline_outbox GROUP BY instance", database: fleet.database)) ?? "?"
            let lanes = (try? await fleet.cluster.query("SELECT lane, holder, lease_until > now() FROM hookline_lanes", database: fleet.database)) ?? "?"
            let logs = fleet.ports.indices.map { "serve \($0):\n" + fleet.serveLog($0).split(separator: "\n").suffix(8).joined(separator: "\n") }
            // Every line about the first problems' events, in each instance's log and process log.
            let events = problems.prefix(2).compactMap { $0.split(separator: "→").first.map(String.init) }
            let lines = events.flatMap { event in
                fleet.ports.indices.flatMap { instance in
                    fleet.linesMentioning(event, instance: instance).map { "audit \(instance): \($0.prefix(400))" }
                        + fleet.serveLog(instance).split(separator: "\n").filter { $0.contains(event) }.map { "serve \(instance): \($0.prefix(400))" }
                }
            }
            // The database's side of them: their jobs, each with the claim that finished it.
            let quoted = events.map { "'\($0)'" }.joined(separator: ",")
            let jobs =
                events.isEmpty
                ? ""
                : (try? await fleet.cluster.query(
                    "SELECT id, event_id, target, lane, attempt, done, outcome, finished_token, finished_at FROM hookline_jobs WHERE event_id IN (\(quoted)) ORDER BY id",
                    database: fleet.database)) ?? "?"
            // What each instance said while they were being worked: its warnings and notices.
            let said = fleet.ports.indices.map { instance in
                "serve \(instance), warnings and notices:\n"
                    + fleet.serveLog(instance).split(separator: "\n").filter { !$0.contains(#""level":"info""#) && !$0.contains(#""level":"debug""#) }
                    .suffix(80).map { $0.prefix(300) }.joined(separator: "\n")
            }
            throw ProcessTestError(
                """
                the fleet did not settle (\(problems.count) problems): \(problems.prefix(3))
                outbox rows by instance: \(outbox)
                lanes with work: \(lanes.prefix(1000))
                \(logs.joined(separator: "\n"))
                the lines of \(events.joined(separator: ", ")):
                \(lines.joined(separator: "\n"))
                their jobs:
                \(jobs)
                \(said.joined(separator: "\n"))
                """)
        }
    }

    @Test("SIGKILLs of random instances under load: every 2xx ends once per target over both logs, in order, at its last update")
    func sigkills() async throws {
        let fleet = try await FleetHarness()
        try await fleet.run {
            try await fleet.start(0)
            try await fleet.start(1)
            let sender = Task { try await fleet.send(updates: Self.updates) { _ in } }
            // One kill at a time, each once the fleet acknowledged so many more deliveries.
            for threshold in [30, 70, 110, 150] {
                try await eventuallyTrue(timeout: .seconds(60)) { fleet.acknowledged.withLock { $0.count } >= threshold }
                let victim = Int.random(in: 0...1)
                await fleet.kill(victim)
                try await fleet.start(victim)
            }
            try await sender.value
            try await Self.settle(fleet)
            #expect(await fleet.terminate(0) == 0)
            #expect(await fleet.terminate(1) == 0)
            try Self.checkPromises(fleet)
            let takeovers = try fleet.records().filter { $0.reason == "lease_takeover" }.count
            print("fleet: 4 SIGKILLs, \(takeovers) lanes taken over after their lease ran out")
        }
    }

    @Test("after a SIGKILL the other instance applies the dead one's lanes within the lease and 2 s")
    func takeover() async throws {
        // A slow target keeps lanes held; a 3 s lease.
        let fleet = try await FleetHarness(lease: "3s", targetDelay: .seconds(3))
        try await fleet.run {
            try await fleet.start(0)
            try await fleet.start(1)
            let deliverer = WebhookDeliverer()
            // Instance 0 accepts and claims; instance 1 waits.
            for contact in FleetHarness.contacts {
                _ = try await deliverer.deliver(
                    LoadHarness.body(contact, 1), to: "http://127.0.0.1:\(fleet.ports[0])/webhooks/standard", source: fleet.source)
            }
            try await eventuallyTrue { !fleet.sandbox.requests(pathPrefix: "/omnichannel").isEmpty }
            // Killed at once, while its first calls are still inside the target's 3 s: anything
            // slow before the kill (a psql under CI's load) could let it finish every lane first,
            // leaving nothing to take over.
            let killed = ContinuousClock.now
            await fleet.kill(0)
            fleet.sandbox.clearFaults()
            let before = fleet.sandbox.requests(pathPrefix: "/omnichannel").count
            // A dead instance keeps its leases until they run out: this is what it held.
            let held = try await fleet.cluster.query("SELECT count(*) FROM hookline_lanes WHERE holder IS NOT NULL", database: fleet.database)
            // The SIGKILL may come between committing an opening and writing it to the dead
            // instance's log (the sender had its 202 at the commit): the line waits in the outbox
            // for that instance's restart, or its adoption. The ledger counts it there.
            let unwritten = try await fleet.outboxRecords(of: 0)
            do {
                try await eventuallyTrue(timeout: .seconds(15)) {
                    LogPromises.fleetProblems((try? fleet.records(also: [unwritten])) ?? []).isEmpty
                        && fleet.sandbox.requests(pathPrefix: "/omnichannel").count > before
                }
            } catch {
                let problems = LogPromises.fleetProblems((try? fleet.records(also: [unwritten])) ?? [])
                let unfinished = try? await fleet.cluster.query("SELECT lane, holder, lease_until, run_after FROM hookline_lanes", database: fleet.database)
                Issue.record("\(error): \(problems.prefix(5)); lanes: \(unfinished ?? "?"); calls \(before) → \(fleet.sandbox.requests(pathPrefix: "/omnichannel").count)")
                throw error
            }
            let takeover = ContinuousClock.now - killed
            print(
                "fleet: \(held.trimmingCharacters(in: .whitespacesAndNewlines)) lanes held at the SIGKILL; all applied by the other instance \(takeover) later (lease 3 s); \(unwritten.count) committed lines not yet in the dead one's log")
            #expect(takeover < .seconds(5), "taken over within the lease and 2 s")
            #expect(try fleet.records().contains { $0.reason == "lease_takeover" })

            // The survivor's /metrics shows the takeover, its pool and the database round trips.
            let metrics = try await HTTPGet.fetch("http://127.0.0.1:\(fleet.ports[1])/metrics").body
            func value(_ series: String) -> Double? {
                metrics.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
            }
            #expect((value("hookline_lease_takeovers_total") ?? 0) >= 1, "\(metrics)")
            #expect((value("hookline_db_pool_connections") ?? 0) >= 1)
            #expect(value("hookline_db_pool_in_use") != nil)
            #expect((value(#"hookline_db_query_duration_seconds_count{query="claim"}"#) ?? 0) >= 1)
            #expect(await fleet.terminate(1) == 0)
        }
    }

    @Test("an instance gone for good: what it committed but never wrote is copied into another instance's log")
    func adoption() async throws {
        let fleet = try await FleetHarness(lease: "3s", adoptAfter: "6s")
        try await fleet.run {
            try await fleet.start(0)
            try await fleet.start(1)
            let sender = Task { try await fleet.send(updates: 20) { _ in } }
            try await eventuallyTrue(timeout: .seconds(60)) { fleet.acknowledged.withLock { $0.count } >= 40 }
            await fleet.kill(0)
            let gone = try String(contentsOfFile: fleet.auditPath(0) + ".instance", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            // Its sessions end once the server sees the connections close; then nothing more of it commits.
            try await eventuallyTrue {
                try await fleet.cluster.query("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE '\(gone)#%'", database: fleet.database) == "0\n"
            }
            let left = try await fleet.cluster.query(
                "SELECT convert_from(line, 'UTF8') FROM hookline_outbox WHERE instance = '\(gone)' ORDER BY seq", database: fleet.database
            ).split(separator: "\n").map(String.init)
            try await sender.value
            try await eventuallyTrue(timeout: .seconds(30)) {
                try await fleet.cluster.query("SELECT count(*) FROM hookline_outbox", database: fleet.database) == "0\n"
            }
            try await Self.settle(fleet, timeout: .seconds(30))
            let adopter = try String(contentsOfFile: fleet.auditPath(1), encoding: .utf8).split(separator: "\n").map(String.init)
            let missing = left.filter { !adopter.contains($0) }
            #expect(missing.isEmpty, "\(missing.count) of the \(left.count) lines the dead instance left are in no log")
            // Adopted once silent for adopt_after, and said so, whether or not it left lines.
            try await eventuallyTrue(timeout: .seconds(20)) {
                try await fleet.cluster.query("SELECT count(*) FROM hookline_instances WHERE name = '\(gone)'", database: fleet.database) == "0\n"
            }
            try await eventuallyTrue { fleet.serveLog(1).split(separator: "\n").contains { $0.contains("gone for store.adopt_after") && $0.contains(gone) } }
            // Over both logs, every acknowledged delivery was received.
            let received = Set(try fleet.records().filter { $0.outcome == .received }.compactMap(\.event))
            let acknowledged = fleet.acknowledged.withLock { Set($0.values) }
            #expect(acknowledged.isSubset(of: received), "\(acknowledged.subtracting(received).prefix(3))")
            print("fleet: the gone instance left \(left.count) lines in the outbox; all are in the other's log")
            #expect(await fleet.terminate(1) == 0)
        }
    }

    @Test("the database goes down mid-load: 503 while it is down, nothing acknowledged is lost, service resumes")
    func databaseDown() async throws {
        // Its own cluster: the test crashes the server, and the shared one serves every other test.
        let fleet = try await FleetHarness(instances: 1, ownCluster: true)
        try await fleet.run {
            try await fleet.start(0)
            let crashed = Atomic<Bool>(false)
            let saw503 = Atomic<Bool>(false)
            let url = "http://127.0.0.1:\(fleet.ports[0])"
            let sender = Task {
                try await fleet.send(updates: 15) { count in
                    guard count == 40, !crashed.exchange(true, ordering: .relaxed) else { return }
                    try? await fleet.cluster.crashServer()
                    let probe = try? await WebhookDeliverer().deliver(LoadHarness.body("144", 999), to: "\(url)/webhooks/standard", source: fleet.source, messageID: "msg_probe")
                    if probe?.status == 503, probe?.headers.contains(where: { $0.name.lowercased() == "retry-after" }) == true {
                        saw503.store(true, ordering: .relaxed)
                    }
                    let ready = try? await HTTPGet.status("\(url)/readyz")
                    #expect(ready == 503, "unready while the database is down")
                    try? await Task.sleep(for: .seconds(2))
                    try? await fleet.cluster.restartServer()
                }
            }
            try await sender.value
            let answered503 = saw503.load(ordering: .relaxed)
            #expect(answered503, "a delivery while the database was down was answered 503 with Retry-After")
            try await eventuallyTrue(timeout: .seconds(60)) {
                let records = (try? fleet.records()) ?? []
                let acknowledged = fleet.acknowledged.withLock { Set($0.values) }
                let received = Set(records.filter { $0.outcome == .received }.compactMap(\.event))
                return acknowledged.isSubset(of: received) && LogPromises.fleetProblems(records).isEmpty
            }
            #expect(try await HTTPGet.status("\(url)/readyz") == 200, "ready again")
            #expect(await fleet.terminate(0) == 0)
            let records = try fleet.records()
            #expect(LogPromises.fleetProblems(records).isEmpty)
            for contact in FleetHarness.contacts { #expect(fleet.appliedNames(contact).last == 15, "\(contact) ends at its last update") }
        }
    }
}
