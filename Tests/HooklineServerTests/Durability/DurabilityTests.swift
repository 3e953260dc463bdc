import Foundation
import HooklineCore
import HooklineSandbox
import HooklineServer
import HooklineTestSupport
import HooklineTools
import Testing

@Suite("nothing lost: rotation, redrive and drain", .timeLimit(.minutes(2)))
struct DurabilityTests {
    static let omnichannelOnly = "  - {from: standard, to: omnichannel, contact_id: source_id}"

    static func update(_ contact: String, _ name: String) -> [UInt8] {
        Array(#"{"type":"contact.updated","data":{"id":"\#(contact)","first_name":"\#(name)"}}"#.utf8)
    }

    static func archived(_ directory: TemporaryDirectory) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix("audit.jsonl.") && !$0.hasSuffix(".sock") }
    }

    @Test("rotation carries forward what is owed; old files are not needed to recover, nor to recognise duplicates")
    func rotation() async throws {
        try await withSandboxCRM { sandbox in
            // One contact's calls keep failing, so its event stays owed across every rotation.
            sandbox.inject(.status(503, on: "/omnichannel/contacts/c_0d91e4", count: .max))
            let directory = try TemporaryDirectory()
            func yaml(_ audit: String, _ base: String) -> String {
                TestConfiguration.yaml(
                    auditPath: audit, targetBase: base, retry: "{base_delay: 10s, max_delay: 10s, max_attempts: 10, max_age: 1h}",
                    routes: Self.omnichannelOnly, rotate: "4KiB")
            }
            let (stuck, early) = try await withApplyingHookline(to: sandbox, directory: directory, yaml: yaml) { first in
                let stuck = try await first.deliver(Self.update("c_0d91e4", "stuck"), to: "standard", messageID: "msg_stuck")
                var early: [UInt8] = []
                for sequence in 1...40 {
                    let contact = ["c_7f3a21", "48213", "144", "2279"][sequence % 4]
                    let body = Self.update(contact, "n\(sequence)")
                    if sequence == 1 { early = body }
                    let answer = try await first.deliver(body, to: "standard", messageID: "msg_rot_\(sequence)")
                    #expect(answer.status == 202)
                }
                try await eventually(timeout: .seconds(20), "the 40 events to be applied") {
                    _ = await first.running.store.flush()
                    return sandbox.requests(pathPrefix: "/omnichannel").filter { $0.status == 200 }.count == 40
                }
                _ = await first.running.store.flush()
                #expect(first.rotations >= 3)
                let current = try AuditLogReading.records(directory.file("audit.jsonl"))
                let carried = current.filter { $0.reason == "carried_forward" }
                let carriedStuck = carried.first { $0.outcome == .received && $0.event == stuck.eventID }
                #expect(carriedStuck?.targets == ["omnichannel"])
                #expect(carriedStuck?.payload != nil)
                #expect(carried.contains { $0.outcome == .seen && $0.message == "msg_rot_1" })
                return (stuck, early)
            }
            #expect(try AuditLogReading.allRecords(directory.file("audit.jsonl")).contains { $0.outcome == .pending && $0.event == stuck.eventID })

            // Archived files are not needed: remove them and start again with the target healthy.
            for name in try Self.archived(directory) { try FileManager.default.removeItem(atPath: directory.file(name)) }
            sandbox.clearFaults()
            try await withApplyingHookline(to: sandbox, directory: directory, yaml: yaml) { second in
                #expect(second.running.recovery.recoveredEvents == 1)
                let redelivered = try await second.deliver(early, to: "standard", messageID: "msg_rot_1")
                #expect(redelivered.status == 200)
                #expect(redelivered.outcome == "duplicate")
                var records: [AuditRecord] = []
                try await eventually(timeout: .seconds(20), "the stuck event to be applied after the restart") {
                    _ = await second.running.store.flush()
                    records = try AuditLogReading.allRecords(directory.file("audit.jsonl"))
                    return AuditInvariant.outcomes(of: stuck.eventID, in: records)["omnichannel"] == .applied
                }
                #expect(records.contains { $0.outcome == .recovered && $0.event == stuck.eventID })
                #expect(records.filter { $0.event == stuck.eventID && $0.outcome.endsTargetJob }.count == 1)
                #expect(sandbox.omnichannelContact("c_0d91e4")?["first_name"] == "stuck")
            }
        }
    }

    @Test("a dead event is redriven as new attempts of the same event, with a fresh retry budget")
    func redrive() async throws {
        try await withSandboxCRM { sandbox in
            sandbox.inject(.status(503, on: "/omnichannel/", count: .max))
            try await withApplyingHookline(to: sandbox, yaml: {
                TestConfiguration.yaml(
                    auditPath: $0, targetBase: $1, retry: "{base_delay: 10ms, max_delay: 20ms, max_attempts: 2, max_age: 1m}",
                    routes: Self.omnichannelOnly)
            }) { hookline in
                let answer = try await hookline.deliver(Self.update("144", "redriven"), to: "standard")
                _ = try await hookline.settled()
                sandbox.clearFaults()

                var selection = RedriveSelection()
                for record in try await hookline.auditRecords() { selection.add(record) }
                let records = selection.select(outcomes: [.dead], event: nil, since: nil, now: .now())
                #expect(records.count == 1)
                let results = await hookline.running.redrive(records)
                #expect(results == [RedriveResult(event: answer.eventID ?? "", targets: ["omnichannel"])])
                let log = try await hookline.settled()

                let lines = log.filter { $0.event == answer.eventID && $0.outcome != .received }
                #expect(lines.map(\.outcome) == [.retry, .dead, .redriven, .applied])
                #expect(lines.map(\.attempt) == [1, 2, 2, 3])
                #expect(lines[2].payload == Self.update("144", "redriven"), "the redriven line carries the payload")
                #expect(AuditInvariant.violations(log).isEmpty)
                #expect(AuditInvariant.unfinished(log).isEmpty)
                #expect(sandbox.omnichannelContact("144")?["first_name"] == "redriven")
            }
        }
    }

    @Test("redriving a target still in progress is refused, not doubled")
    func redriveInProgress() async throws {
        try await withSandboxCRM { sandbox in
            sandbox.inject(.status(503, on: "/omnichannel/", count: .max))
            try await withApplyingHookline(to: sandbox, yaml: {
                TestConfiguration.yaml(auditPath: $0, targetBase: $1, retry: "{base_delay: 5s, max_delay: 5s, max_attempts: 5, max_age: 1m}", routes: Self.omnichannelOnly)
            }) { hookline in
                let answer = try await hookline.deliver(Self.update("144", "x"), to: "standard")
                try await eventually("a first attempt") { try await hookline.auditRecords().contains { $0.outcome == .retry } }
                let received = try #require(try await hookline.auditRecords().first { $0.outcome == .received })
                var record = received
                record.outcome = .redriven
                let results = await hookline.running.redrive([record])
                #expect(results == [RedriveResult(event: answer.eventID ?? "", targets: [], problem: "omnichannel is still in progress")])
            }
        }
    }

    @Test("stopping with calls in flight drains within the deadline, writes pending lines, and the next start finishes them once")
    func drain() async throws {
        try await withSandboxCRM { sandbox in
            // Calls that would take 60 s (inside a 120 s call timeout, so none is retried meanwhile
            // and exactly three are in flight). Had the stop waited for them, it would end no
            // sooner than the first call's answer; cut short by the 300 ms drain deadline, it ends
            // well before, however loaded the machine running the tests is. (With the usual 2 s
            // timeout, a loaded suite could see a retry before the third call, never exactly three.)
            let callTime = Duration.seconds(60)
            sandbox.inject(SandboxFault(pathPrefix: "/omnichannel/", action: .delay(callTime), count: .max))
            let directory = try TemporaryDirectory()
            func yaml(_ audit: String, _ base: String) -> String {
                TestConfiguration.yaml(auditPath: audit, targetBase: base, routes: Self.omnichannelOnly, drainTimeout: "300ms", targetTimeout: "120s")
            }
            let events = try await withApplyingHookline(to: sandbox, directory: directory, yaml: yaml) { first in
                var events: [String] = []
                for (contact, name) in [("144", "a"), ("2279", "b"), ("48213", "c")] {
                    events.append(try #require(try await first.deliver(Self.update(contact, name), to: "standard").eventID))
                }
                // However slowly a loaded two-core suite gets the calls going (10 s was once not enough).
                try await eventually(timeout: .seconds(30), "three calls in flight") { sandbox.requests(pathPrefix: "/omnichannel").count == 3 }
                return events
            }
            let stopped = ContinuousClock.now
            let firstAnswer = try #require(sandbox.requests(pathPrefix: "/omnichannel").map(\.receivedAt).min()) + callTime
            #expect(stopped < firstAnswer - .seconds(10), "the drain deadline cut the slow calls short (stopped \(firstAnswer - stopped) before the first answer)")
            let afterStop = try AuditLogReading.records(directory.file("audit.jsonl"))
            #expect(afterStop.filter(\.outcome.endsTargetJob).isEmpty, "an abandoned call writes no terminal line")
            #expect(Set(afterStop.filter { $0.outcome == .pending }.compactMap(\.event)) == Set(events))

            // After new deliveries are refused during the drain, the next start applies each once.
            sandbox.clearFaults()
            try await withApplyingHookline(to: sandbox, directory: directory, yaml: yaml) { second in
                #expect(second.running.recovery.recoveredEvents == 3)
                let records = try await second.settled()
                #expect(AuditInvariant.violations(records).isEmpty)
                #expect(AuditInvariant.unfinished(records).isEmpty)
                for event in events { #expect(AuditInvariant.outcomes(of: event, in: records) == ["omnichannel": .applied]) }
            }
        }
    }

    @Test("while draining, new deliveries are answered 503 with Retry-After")
    func refusesWhileDraining() async throws {
        try await withSandboxCRM { sandbox in
            // The call hangs past the 5 s drain deadline, so the listener answers 503 for those 5 s
            // (a 1 s drain was once over before a loaded suite's probe got there).
            sandbox.inject(SandboxFault(pathPrefix: "/omnichannel/", action: .delay(.seconds(20)), count: .max))
            let probe = try await withApplyingHookline(to: sandbox, yaml: {
                TestConfiguration.yaml(auditPath: $0, targetBase: $1, routes: Self.omnichannelOnly, drainTimeout: "5s", targetTimeout: "60s")
            }) { hookline in
                _ = try await hookline.deliver(Self.update("144", "a"), to: "standard")
                try await eventually("a call in flight") { !sandbox.requests(pathPrefix: "/omnichannel").isEmpty }
                // The scope ends here and the drain begins; the probe delivers during it.
                return Task {
                    try await eventually("readiness to turn") { try await HTTPGet.fetch("\(hookline.baseURL)/readyz").status == 503 }
                    return try await hookline.deliver(Self.update("2279", "b"), to: "standard")
                }
            }
            let refused = try await probe.value
            #expect(refused.status == 503)
            #expect(refused.error == "Hookline is shutting down; retry shortly")
            #expect(refused.headers.contains { $0.name.lowercased() == "retry-after" })
        }
    }
}
