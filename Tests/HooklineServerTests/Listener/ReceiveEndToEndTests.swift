import HooklineCore
import HooklineServer
import HooklineTestSupport
import HooklineTools
import Testing

@Suite("receiving webhooks over loopback HTTP", .timeLimit(.minutes(1)))
struct ReceiveEndToEndTests {
    @Test("every fixture, signed, gets its documented answer and one audit line")
    func everyFixture() async throws {
        try await withHookline() { hookline in
            let catalog = try RepositoryFixtures.catalog()
            #expect(catalog.fixtures.count >= 20)

            var answers: [String: WebhookDeliverer.Answer] = [:]
            for fixture in catalog.fixtures {
                let answer = try await hookline.deliver(fixture.body, to: fixture.source)
                answers[fixture.path] = answer
                #expect(answer.status == fixture.answer, "\(fixture.path): \(answer.body.map(JSONWriter.string) ?? "no body")")
                if let status = fixture.status { #expect(answer.outcome == status, "\(fixture.path)") }
                if let error = fixture.error { #expect(answer.error?.hasPrefix(error) == true, "\(fixture.path): \(answer.error ?? "no error")") }
            }

            let records = try await hookline.auditRecords()
            #expect(records.count == catalog.fixtures.count)
            for fixture in catalog.fixtures {
                guard let answer = answers[fixture.path] else { continue }
                switch answer.status {
                case 202:
                    let line = records.first { $0.outcome == .received && $0.event == answer.eventID }
                    #expect(line?.source == fixture.source, "\(fixture.path)")
                    #expect(line?.payload == fixture.body, "\(fixture.path): the received line carries the raw body")
                    #expect(line?.targets?.isEmpty == false)
                case 200:
                    #expect(records.contains { $0.outcome == .ignored && $0.source == fixture.source }, "\(fixture.path)")
                default:
                    #expect(records.contains { $0.outcome == .rejected && $0.status == fixture.answer && $0.error == answer.error }, "\(fixture.path)")
                }
            }
        }
    }

    @Test("the same message delivered twice is answered duplicate with the first event's id")
    func duplicate() async throws {
        try await withHookline() { hookline in
            let body = try RepositoryFixtures.body("standard/contact-updated.json")
            let first = try await hookline.deliver(body, to: "standard", messageID: "msg_repeat_1")
            let second = try await hookline.deliver(body, to: "standard", messageID: "msg_repeat_1")
            #expect(first.status == 202)
            #expect(second.status == 200)
            #expect(second.outcome == "duplicate")
            #expect(second.eventID == first.eventID)
            let records = try await hookline.auditRecords()
            #expect(records.filter { $0.outcome == .received }.count == 1)
            #expect(records.contains { $0.outcome == .duplicate && $0.message == "msg_repeat_1" && $0.into == first.eventID })
            #expect(hookline.running.store.occupancy.jobs == 3, "one event for three targets, queued once")
        }
    }

    @Test("a second thin message for a contact whose fetch is waiting is coalesced")
    func coalesced() async throws {
        try await withHookline() { hookline in
            let body = try RepositoryFixtures.body("buildr/contact-update-thin.json")
            let first = try await hookline.deliver(body, to: "buildr")
            let second = try await hookline.deliver(body, to: "buildr")
            #expect(first.status == 202)
            #expect(second.status == 200)
            #expect(second.outcome == "coalesced")
            #expect(second.body?["into"]?.stringValue == first.eventID)
            let records = try await hookline.auditRecords()
            #expect(records.filter { $0.outcome == .received }.count == 1)
            #expect(records.contains { $0.outcome == .coalesced && $0.into == first.eventID && $0.contact == "144" })
        }
    }

    @Test("a bad signature is answered 401 and logged as rejected without the body")
    func badSignature() async throws {
        try await withHookline() { hookline in
            let genuine = try RepositoryFixtures.body("standard/contact-created.json")
            var headers = try hookline.source("standard").verifier.signatureHeaders(for: genuine, messageID: "msg_x", timestamp: UnixTime.now().seconds)
            headers.append(HeaderField(name: "X-Test", value: "tampered"))
            var tampered = genuine
            tampered[tampered.count - 3] = UInt8(ascii: " ")
            let answer = try await hookline.deliverer.post(tampered, to: "\(hookline.baseURL)/webhooks/standard", headers: headers)
            #expect(answer.status == 401)
            #expect(answer.error == "the signature in webhook-signature does not match this request's body and the configured secret")

            let records = try await hookline.auditRecords()
            #expect(records.count == 1)
            #expect(records.first?.outcome == .rejected)
            #expect(records.first?.status == 401)
            #expect(records.first?.reason == "no_matching_signature")
            #expect(records.first?.payload == nil)
            let text = try AuditLogReading.text(hookline.auditPath)
            #expect(!text.contains("priya"), "no body content in the log")
            #expect(!text.contains("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), "no secret in the log")
        }
    }

    @Test("a stale timestamp is answered 401 naming the tolerance")
    func staleTimestamp() async throws {
        try await withHookline() { hookline in
            let body = try RepositoryFixtures.body("standard/contact-created.json")
            let answer = try await hookline.deliver(body, to: "standard", timestamp: .now() - .seconds(600))
            #expect(answer.status == 401)
            #expect(answer.error?.hasPrefix("webhook-timestamp is 60") == true)
            #expect(answer.error?.contains("the tolerance is 300 s") == true)
        }
    }

    @Test("an oversized body is answered 413 from its Content-Length")
    func oversize() async throws {
        try await withHookline() { hookline in
            let huge = try RepositoryFixtures.body("invalid/huge-values.json")
            let answer = try await hookline.deliver(huge, to: "standard")
            #expect(answer.status == 413)
            #expect(answer.error == "the body is larger than 262144 bytes")
            let records = try await hookline.auditRecords()
            #expect(records.map(\.outcome) == [.rejected])
            #expect(records.first?.reason == "body_too_large")
        }
    }

    @Test("a full queue answers 503 with Retry-After and journals nothing")
    func queueFull() async throws {
        try await withHookline(yaml: { TestConfiguration.yaml(auditPath: $0, capacity: 3) }) { hookline in
            let body = try RepositoryFixtures.body("standard/contact-created.json")
            let first = try await hookline.deliver(body, to: "standard")
            let second = try await hookline.deliver(try RepositoryFixtures.body("standard/contact-updated.json"), to: "standard")
            #expect(first.status == 202)
            #expect(second.status == 503)
            #expect(second.headers.contains { $0.name.lowercased() == "retry-after" && $0.value == "2" })
            #expect(second.error == "the queue is full; retry later")
            let records = try await hookline.auditRecords()
            #expect(records.filter { $0.outcome == .received }.map(\.event) == [first.eventID])

            // The refused message was not remembered: once there is room, its redelivery is accepted.
            let refused = try await hookline.deliver(body, to: "standard", messageID: "msg_refused_when_full")
            #expect(refused.status == 503)
            for _ in 0..<3 {
                guard let job = await hookline.running.store.next() else { break }
                _ = await hookline.running.store.finish(
                    job, line: AuditRecord(ts: .now(), outcome: .applied, event: job.event.id, target: job.target))
            }
            let redelivered = try await hookline.deliver(body, to: "standard", messageID: "msg_refused_when_full")
            #expect(redelivered.status == 202)
        }
    }

    @Test("project.update is ignored with 200 and a reason")
    func projectUpdate() async throws {
        try await withHookline() { hookline in
            let answer = try await hookline.deliver(try RepositoryFixtures.body("buildr/project-update.json"), to: "buildr")
            #expect(answer.status == 200)
            #expect(answer.outcome == "ignored")
            #expect(answer.body?["reason"]?.stringValue == "project.update is not a contact event")
        }
    }

    @Test("an event no route takes is ignored with 200 and journaled as ignored")
    func noRoute() async throws {
        try await withHookline(yaml: { TestConfiguration.yaml(auditPath: $0, plannrEvents: "[created, updated]") }) { hookline in
            let answer = try await hookline.deliver(Array(#"{"event":"account.deleted","data":{"uuid":"u-1"}}"#.utf8), to: "plannr")
            #expect(answer.status == 200)
            #expect(answer.outcome == "ignored")
            #expect(answer.body?["reason"]?.stringValue == "no route for deleted events from plannr")
            let records = try await hookline.auditRecords()
            #expect(records.map(\.outcome) == [.ignored])
            #expect(records.first?.reason == "no_route")
            #expect(records.first?.contact == "u-1")
        }
    }

    @Test("garbage bytes and truncated JSON are 400s that say why")
    func garbage() async throws {
        try await withHookline() { hookline in
            let garbage = try await hookline.deliver([0x00, 0xFF, 0x13, 0x37], to: "standard")
            #expect(garbage.status == 400)
            #expect(garbage.error == "malformed JSON at byte 0: unexpected byte 0x00, expected a value")
            let truncated = try await hookline.deliver(Array(#"{"type":"contact.updated","data":{"id":"#.utf8), to: "standard")
            #expect(truncated.status == 400)
            #expect(truncated.error == "malformed JSON at byte 39: unexpected end of input, expected a value")
        }
    }

    @Test("unknown sources are 404, wrong methods 405, health and readiness answer")
    func surface() async throws {
        try await withHookline() { hookline in
            let unknown = try await hookline.deliverer.post([], to: "\(hookline.baseURL)/webhooks/hubspot", headers: [])
            #expect(unknown.status == 404)
            #expect(unknown.error == "unknown source 'hubspot'")
            let health = try await HTTPGet.fetch("\(hookline.baseURL)/healthz")
            #expect(health.status == 200)
            let ready = try await HTTPGet.fetch("\(hookline.baseURL)/readyz")
            #expect(ready.status == 200)
            let wrongMethod = try await HTTPGet.fetch("\(hookline.baseURL)/webhooks/standard")
            #expect(wrongMethod.status == 405)
            #expect(wrongMethod.headers.contains { $0.name.lowercased() == "allow" && $0.value == "POST" })
            let nothing = try await HTTPGet.fetch("\(hookline.baseURL)/nothing-here")
            #expect(nothing.status == 404)
        }
    }
}
