import HooklineCore
import Testing

@Suite("the one path from a journaled record to its jobs")
struct EventJobsTests {
    static let configuration: HooklineConfiguration = {
        let yaml = """
            sources:
              - {name: standard, kind: standard, signature: {scheme: standard-webhooks, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}
              - {name: buildr, kind: buildr, signature: {scheme: github, secret: s}}
            targets:
              - {name: buildr, kind: buildr, base_url: "https://b.example", token_url: "https://b.example/t", client_id: c, client_secret: s}
              - {name: plannr, kind: plannr, base_url: "https://p.example", token: t, account_uuid: a}
              - {name: omnichannel, kind: omnichannel, base_url: "https://o.example", api_key: k}
            routes:
              - {from: standard, to: plannr, contact_id: "field:custom_fields.plannr_account_uuid"}
              - {from: standard, to: omnichannel}
              - {from: buildr, to: omnichannel}
            """
        do {
            return try ConfigurationLoader.load(yaml: yaml, file: "test.yaml", environment: [:])
        } catch {
            preconditionFailure("the test configuration does not load: \(error)")
        }
    }()
    static let events = EventJobs(configuration)
    static let t0 = UnixTime(milliseconds: 1_795_330_000_000)

    static func received(_ path: String, source: String, targets: [String], outcome: AuditOutcome = .received, attempt: Int? = nil) throws -> AuditRecord {
        AuditRecord(
            ts: t0, outcome: outcome, event: "evt_1", message: "msg_1", source: source, type: nil, targets: targets, attempt: attempt,
            payload: try Fixtures.bytes(path))
    }

    @Test("a received line becomes one job per owed target, with the lane its route gives")
    func restore() throws {
        let record = try Self.received("standard/contact-created.json", source: "standard", targets: ["plannr", "omnichannel"])
        let restored = try Self.events.restore(record, owed: ["plannr", "omnichannel"]).get()
        #expect(restored.jobs.map(\.target) == ["plannr", "omnichannel"])
        #expect(restored.event.id == "evt_1" && restored.event.receivedAt == Self.t0 && restored.event.contactID == "c_7f3a21")
        #expect(restored.event.contact == .inJournal, "a restored job re-reads its patch from the journal")
        #expect(restored.jobs[0].targetContact == "73b5cb71-6779-40a9-9ddc-33b16ada4da6", "a field route's lane is the target contact")
        #expect(restored.jobs[1].targetContact == nil)
        #expect(restored.jobs.allSatisfy { $0.attempt == 0 && $0.budgetStart == 0 })
        #expect(restored.unroutable.isEmpty)
    }

    @Test("progress carries each target's attempts and first attempt; a redriven line starts a fresh budget at its attempt")
    func progress() throws {
        let record = try Self.received("standard/contact-created.json", source: "standard", targets: ["plannr", "omnichannel"])
        let first = MonotonicTime(nanoseconds: 42)
        let restored = try Self.events.restore(record, owed: ["omnichannel"], progress: ["omnichannel": TargetProgress(attempts: 3, firstAttemptAt: first)]).get()
        #expect(restored.jobs.map(\.attempt) == [3])
        #expect(restored.jobs.first?.firstAttemptAt == first)
        let redriven = try Self.received("standard/contact-created.json", source: "standard", targets: ["omnichannel"], outcome: .redriven, attempt: 10)
        let again = try Self.events.restore(redriven, owed: ["omnichannel"]).get()
        #expect(again.jobs.map(\.attempt) == [10])
        #expect(again.jobs.map(\.budgetStart) == [10])
    }

    @Test("a target no route leads to any more is unroutable; the rest still become jobs")
    func unroutable() throws {
        let record = try Self.received("standard/contact-created.json", source: "standard", targets: ["buildr", "omnichannel"])
        let restored = try Self.events.restore(record, owed: ["buildr", "omnichannel"]).get()
        #expect(restored.unroutable == ["buildr"])
        #expect(restored.jobs.map(\.target) == ["omnichannel"])
    }

    @Test("a thin reference keeps its coalescing key; the journal's targets make it")
    func thin() throws {
        let record = try Self.received("buildr/contact-update-thin.json", source: "buildr", targets: ["omnichannel"])
        let restored = try Self.events.restore(record, owed: ["omnichannel"]).get()
        #expect(restored.event.contact == .reference(ContactReference(id: "144", url: "https://api.buildr.com/api/2023-01/contacts/144")))
        #expect(restored.jobs.first?.coalescingKey == Job.coalescingKey(source: "buildr", contactID: "144", targets: ["omnichannel"]))
    }

    @Test("what cannot be restored says why: an unknown source, no payload, a payload that no longer decodes")
    func failures() throws {
        var record = try Self.received("standard/contact-created.json", source: "gone", targets: ["omnichannel"])
        #expect(Self.failure(record) == "its source gone is no longer configured")
        record.source = "standard"
        record.payload = nil
        #expect(Self.failure(record) == "its line in the audit log carries no payload (it was not kept, or was erased)")
        record.payload = Array(#"{"type":"contact.updated","data":{"first_name":"x"}}"#.utf8)
        #expect(Self.failure(record) == "its payload no longer decodes as a standard message: data.id: required")
        record.payload = Array(#"{"type":"project.update","data":{"id":"x"}}"#.utf8)
        #expect(Self.failure(record)?.hasPrefix("its payload is no longer a contact change") == true)
    }

    static func failure(_ record: AuditRecord) -> String? {
        guard case .failure(let failure) = events.restore(record, owed: ["omnichannel"]) else { return nil }
        return failure.description
    }

    @Test("ingest's jobs come from the same path: routes by kind, the patch kept while the queue is short")
    func ingest() throws {
        guard case .contact(let message) = try Fixtures.decode("standard/contact-deleted.json") else {
            Issue.record("the fixture is not a contact change")
            return
        }
        let routes = Self.events.routes(for: message, from: "standard")
        #expect(routes.map(\.target) == ["plannr", "omnichannel"])
        let event = Self.events.event("evt_2", of: message, source: "standard", receivedAt: Self.t0, keepPatch: true)
        #expect(event.contact == message.contact)
        let jobs = Self.events.jobs(for: event, subject: message.contact, routes: routes, targets: routes.map(\.target))
        #expect(jobs.map(\.target) == ["plannr", "omnichannel"])
    }

    @Test("the monotonic instant of a wall-clock time is as far in the past")
    func monotonicOfWall() {
        let now = MonotonicTime(nanoseconds: 10_000_000_000)
        #expect(MonotonicTime.instant(of: Self.t0, now: now, wallNow: Self.t0 + .seconds(3)) == MonotonicTime(nanoseconds: 7_000_000_000))
    }
}
