import HooklineCore
import HooklineServer
import HooklineTestSupport
import Testing

/// The contract every store keeps, written against `Journal` alone.
@Suite("the Journal contract, for every store", .timeLimit(.minutes(1)))
struct JournalConformanceTests {
    static let events = EventJobs(TestConfigurationJournal.configuration)

    /// A received line for a standard contact update, and its jobs, made through the one path.
    static func delivery(_ event: String, contact: String = "c_7f3a21", message: String? = nil, at ts: UnixTime = .now()) throws -> (AuditRecord, [Job]) {
        let body = Array(#"{"type":"contact.updated","data":{"id":"\#(contact)","first_name":"\#(event)"}}"#.utf8)
        let record = AuditRecord(
            ts: ts, outcome: .received, event: event, message: message ?? "msg_\(event)", source: "standard", type: "contact.updated",
            contact: contact, targets: ["omnichannel", "buildr"], payload: body)
        return (record, try events.restore(record, owed: ["omnichannel", "buildr"]).get().jobs)
    }

    static func appendOpening(_ journal: any Journal, _ record: AuditRecord, jobs: [Job], claim: String? = nil) async -> JournalFailure? {
        await withCheckedContinuation { continuation in
            journal.appendOpening(record, jobs: jobs, claim: claim, on: nil) { continuation.resume(returning: $0) }
        }
    }

    static func end(_ journal: any Journal, _ event: String, at target: String, _ outcome: AuditOutcome = .applied) {
        journal.append(AuditRecord(ts: .now(), outcome: outcome, event: event, source: "standard", target: target, attempt: 1))
    }

    @Test("an opening line is durable when its completion runs, and reads back whole", arguments: JournalStore.all)
    func openingReadsBack(store: JournalStore) async throws {
        let place = try TemporaryDirectory()
        let journal = try await store.open(place)
        let (record, jobs) = try Self.delivery("evt_a")
        #expect(await Self.appendOpening(journal, record, jobs: jobs) == nil)
        #expect(try journal.opening(of: "evt_a").get() == record)
        #expect(journal.owedTargets(of: "evt_a") == ["omnichannel", "buildr"])
        guard case .failure(let error) = journal.opening(of: "evt_unknown") else {
            Issue.record("an event never received read back")
            return
        }
        #expect(error.code == .notOwed)
        await journal.close()
    }

    @Test("a claimed message id is in progress until its opening is durable, then a duplicate of its event", arguments: JournalStore.all)
    func dedup(store: JournalStore) async throws {
        let place = try TemporaryDirectory()
        let journal = try await store.open(place)
        let key = DedupWindow.key(source: "standard", messageID: "msg_1")
        #expect(journal.claim(message: key, eventID: "evt_1", now: .now()) == .new)
        #expect(journal.claim(message: key, eventID: "evt_2", now: .now()) == .inProgress(eventID: "evt_1"))
        let (record, jobs) = try Self.delivery("evt_1", message: "msg_1")
        #expect(await Self.appendOpening(journal, record, jobs: jobs, claim: key) == nil)
        #expect(journal.claim(message: key, eventID: "evt_3", now: .now()) == .duplicate(eventID: "evt_1"))

        let released = DedupWindow.key(source: "standard", messageID: "msg_released")
        #expect(journal.claim(message: released, eventID: "evt_4", now: .now()) == .new)
        journal.release(message: released)
        #expect(journal.claim(message: released, eventID: "evt_5", now: .now()) == .new, "a released claim lets the redelivery in")
        let folded = DedupWindow.key(source: "standard", messageID: "msg_folded")
        #expect(journal.claim(message: folded, eventID: "evt_6", now: .now()) == .new)
        journal.confirm(message: folded)
        #expect(journal.claim(message: folded, eventID: "evt_7", now: .now()) == .duplicate(eventID: "evt_6"))
        await journal.close()
    }

    @Test("concurrent openings all become durable (they share commits)", arguments: JournalStore.all)
    func concurrentOpenings(store: JournalStore) async throws {
        let place = try TemporaryDirectory()
        let journal = try await store.open(place)
        let deliveries = try (0..<200).map { try Self.delivery("evt_\($0)", contact: "c\($0 % 7)") }
        let failures = await withTaskGroup(of: JournalFailure?.self) { group in
            for (record, jobs) in deliveries {
                group.addTask { await Self.appendOpening(journal, record, jobs: jobs) }
            }
            return await group.reduce(into: [JournalFailure]()) { if let failure = $1 { $0.append(failure) } }
        }
        #expect(failures.isEmpty)
        #expect(journal.owedTargets().count == 200)
        await journal.close()
    }

    @Test("terminal lines end what is owed, target by target; a retry does not", arguments: JournalStore.all)
    func terminalLines(store: JournalStore) async throws {
        let place = try TemporaryDirectory()
        let journal = try await store.open(place)
        let (record, jobs) = try Self.delivery("evt_t")
        _ = await Self.appendOpening(journal, record, jobs: jobs)
        Self.end(journal, "evt_t", at: "buildr", .retry)
        Self.end(journal, "evt_t", at: "omnichannel", .skipped)
        #expect(await journal.flush() == nil)
        #expect(journal.owedTargets(of: "evt_t") == ["buildr"])
        Self.end(journal, "evt_t", at: "buildr", .dead)
        #expect(await journal.flush() == nil)
        #expect(journal.owedTargets(of: "evt_t") == nil)
        #expect(journal.owedTargets().isEmpty)
        await journal.close()
    }

    @Test("what is owed survives closing and opening again: in receive order, with attempts, lines whole", arguments: JournalStore.all)
    func owedAcrossRestart(store: JournalStore) async throws {
        let place = try TemporaryDirectory()
        let first = try await store.open(place)
        var records: [AuditRecord] = []
        for name in ["evt_1", "evt_2", "evt_3"] {
            let (record, jobs) = try Self.delivery(name, contact: name)
            records.append(record)
            _ = await Self.appendOpening(first, record, jobs: jobs)
        }
        first.append(AuditRecord(ts: .now(), outcome: .retry, event: "evt_2", source: "standard", target: "buildr", attempt: 3))
        Self.end(first, "evt_1", at: "omnichannel")
        Self.end(first, "evt_1", at: "buildr")
        await first.close()

        let second = try await store.open(place)
        var owed: [OwedEvent] = []
        second.forEachOwed { owed.append($0) }
        #expect(owed.map(\.event) == ["evt_2", "evt_3"])
        #expect(try owed.map { try $0.opening.get() } == [records[1], records[2]])
        #expect(owed.first?.owed == ["omnichannel", "buildr"])
        #expect(owed.first?.attempts["buildr"] == 3)
        #expect(owed.first?.firstAttemptAt["buildr"] != nil)
        await second.close()
    }

    @Test("message ids and learned ids survive closing and opening again", arguments: JournalStore.all)
    func rememberedAcrossRestart(store: JournalStore) async throws {
        let place = try TemporaryDirectory()
        let first = try await store.open(place)
        let key = DedupWindow.key(source: "standard", messageID: "msg_kept")
        #expect(first.claim(message: key, eventID: "evt_k", now: .now()) == .new)
        let (record, jobs) = try Self.delivery("evt_k", message: "msg_kept")
        _ = await Self.appendOpening(first, record, jobs: jobs, claim: key)
        first.remember(
            LearnedReference(key: "acct-1/email", id: "uuid-1"), at: "plannr",
            line: AuditRecord(ts: .now(), outcome: .created, event: "evt_k", target: "plannr", ref: "uuid-1", refKey: "acct-1/email"))
        #expect(try await first.references(at: "plannr", prefixes: ["acct-1/"]).reference(target: "plannr", key: "acct-1/email") == "uuid-1")
        await first.close()

        let second = try await store.open(place)
        #expect(second.claim(message: key, eventID: "evt_again", now: .now()) == .duplicate(eventID: "evt_k"))
        #expect(try await second.references(at: "plannr", prefixes: ["acct-1/"]).reference(target: "plannr", key: "acct-1/email") == "uuid-1")
        #expect(try await second.references(at: "plannr", prefixes: ["acct-2/"]).reference(target: "plannr", key: "acct-2/email") == nil)
        await second.close()
    }

    @Test("redrive selects the targets whose last outcome is dead, as redriven records with the payload", arguments: JournalStore.all)
    func redriveCandidates(store: JournalStore) async throws {
        let place = try TemporaryDirectory()
        let journal = try await store.open(place)
        let (record, jobs) = try Self.delivery("evt_r")
        _ = await Self.appendOpening(journal, record, jobs: jobs)
        Self.end(journal, "evt_r", at: "buildr", .dead)
        Self.end(journal, "evt_r", at: "omnichannel", .applied)
        #expect(await journal.flush() == nil)
        let selected = try journal.redriveCandidates(outcomes: [.dead], event: nil, since: nil, now: .now())
        #expect(selected.map(\.event) == ["evt_r"])
        #expect(selected.first?.outcome == .redriven)
        #expect(selected.first?.targets == ["buildr"])
        #expect(selected.first?.payload == record.payload)
        #expect(try journal.redriveCandidates(outcomes: [.failed], event: nil, since: nil, now: .now()).isEmpty)
        await journal.close()
    }
}

/// The configuration the suite's events are routed by.
enum TestConfigurationJournal {
    static let configuration: HooklineConfiguration = {
        do {
            return try TestConfiguration.make(TestConfiguration.yaml(auditPath: "/dev/null"))
        } catch {
            preconditionFailure("the test configuration does not load: \(error)")
        }
    }()
}
