import Foundation
import HooklineCore
import HooklineServer
import HooklineTestSupport
import Logging
import Synchronization
import Testing

/// The parts of the shared store that keep a fleet's promise when things go wrong: an instance's
/// name across restarts, lines whose commit's answer was lost, a database that does not answer.
@Suite("the PostgreSQL store's safety nets", .serialized, .timeLimit(.minutes(2)))
struct PostgresStoreTests {
    @Test("an instance's name is made once, kept beside its audit log and read back exactly")
    func instanceName() throws {
        let place = try TemporaryDirectory()
        let audit = place.file("audit.jsonl")
        let first = try InstanceIdentity.load(auditPath: audit)
        #expect(InstanceIdentity.validName(Array(first.utf8)) == first)
        #expect(first.count <= 40)
        #expect(try InstanceIdentity.load(auditPath: audit) == first, "a restart is the same instance")
        let stored = try String(contentsOfFile: audit + ".instance", encoding: .utf8)
        #expect(stored == first + "\n")

        // An operator's edit: a name with a CRLF and spaces around it is the name.
        try " hl-east-1 \r\n".write(toFile: audit + ".instance", atomically: true, encoding: .utf8)
        #expect(try InstanceIdentity.load(auditPath: audit) == "hl-east-1")
    }

    @Test("a name that cannot go in a lease or a connection's application_name is refused with a clear error")
    func badInstanceNames() throws {
        let place = try TemporaryDirectory()
        let audit = place.file("audit.jsonl")
        for bad in ["", "\n", "two words\n", String(repeating: "x", count: 41), "naïve\n", "a#b\n", "50%\n"] {
            try bad.write(toFile: audit + ".instance", atomically: true, encoding: .utf8)
            #expect {
                _ = try InstanceIdentity.load(auditPath: audit)
            } throws: { error in
                "\(error)".contains("the instance's name") && "\(error)".contains(".instance")
            }
        }
        #expect(InstanceIdentity.validName(Array("hl-vm-3f4zdbsh0g7fz".utf8)) == "hl-vm-3f4zdbsh0g7fz")
        #expect(InstanceIdentity.validName(Array("a.b_c-D9".utf8)) == "a.b_c-D9")
    }

    @Test("a committed line whose answer was lost is written by the sweep, once, and only once it is old")
    func sweep() async throws {
        let cluster = try await PostgresCluster.shared()
        let place = try TemporaryDirectory()
        let database = try await cluster.createDatabase()
        let audit = place.file("audit.jsonl")
        let configuration = try TestConfiguration.make(
            TestConfiguration.yaml(auditPath: audit, store: "{kind: postgres, url: \"\(cluster.url(database))\"}"))
        guard case .postgres(let settings) = configuration.store else { throw TestFailure("the test store is not postgres") }
        let store = try PostgresDatabase(settings: settings, auditPath: audit, metrics: nil, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await store.runPool() }
            let shared = try await PostgresStore.open(on: store, configuration: configuration, events: EventJobs(configuration))
            let journal = shared.journal
            for service in shared.background { group.addTask { try await service.run() } }
            let result = await Result {
                // What a commit leaves when its answer never arrives: the row, and nothing in the log.
                let lost = #"{"ts":"2026-12-01T10:00:00.000Z","outcome":"applied","event":"evt_lost","source":"standard","target":"omnichannel","attempt":1}"#
                let fresh = #"{"ts":"2026-12-01T10:00:01.000Z","outcome":"applied","event":"evt_fresh","source":"standard","target":"omnichannel","attempt":1}"#
                _ = try await cluster.query(
                    """
                    INSERT INTO hookline_outbox (instance, event_id, line, committed_at) VALUES
                      ('\(store.instance)', 'evt_lost', convert_to('\(lost)' || chr(10), 'UTF8'), now() - interval '1 minute'),
                      ('\(store.instance)', 'evt_fresh', convert_to('\(fresh)' || chr(10), 'UTF8'), now())
                    """, database: database)
                #expect(try await journal.outbox.sweep(olderThan: .seconds(30)) == 1, "the old row only")
                #expect(await journal.flush() == nil)
                let lines = try String(contentsOfFile: audit, encoding: .utf8).split(separator: "\n").map(String.init)
                #expect(lines.filter { $0 == lost }.count == 1)
                #expect(!lines.contains(fresh))
                // Written, so not again, though its row waits for the next prune.
                #expect(try await journal.outbox.sweep(olderThan: .seconds(30)) == 0)
                try await eventually(timeout: .seconds(10)) {
                    try await cluster.query("SELECT count(*) FROM hookline_outbox WHERE event_id = 'evt_lost'", database: database) == "0\n"
                }
                #expect(try await journal.outbox.sweep(olderThan: .zero) == 1, "the fresh row, once it counts as old")
                #expect(await journal.flush() == nil)
                let after = try String(contentsOfFile: audit, encoding: .utf8).split(separator: "\n").map(String.init)
                #expect(after.filter { $0 == lost }.count == 1 && after.filter { $0 == fresh }.count == 1)
            }
            shared.stopHandingOut()
            await shared.close()
            group.cancelAll()
            try result.get()
        }
    }

    @Test("a call that does not answer in time is given up, and its body is cancelled")
    func deadline() async throws {
        let cancelled = Atomic<Bool>(false)
        let started = ContinuousClock.now
        await #expect(throws: DeadlinePassed.self) {
            try await withDeadline(.milliseconds(100)) {
                do {
                    try await Task.sleep(for: .seconds(3600))
                } catch {
                    cancelled.store(true, ordering: .relaxed)
                    throw error
                }
            }
        }
        #expect(ContinuousClock.now - started < .seconds(5))
        try await eventually(timeout: .seconds(5)) { cancelled.load(ordering: .relaxed) }
        // An answer in time is the answer.
        #expect(try await withDeadline(.seconds(5)) { 42 } == 42)
        await #expect(throws: TestFailure.self) { try await withDeadline(.seconds(5)) { throw TestFailure("from the body") } }
    }
}
