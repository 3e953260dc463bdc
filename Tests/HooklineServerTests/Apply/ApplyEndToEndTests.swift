import HooklineCore
import HooklineSandbox
import HooklineServer
import HooklineTestSupport
import HooklineTools
import Testing

@Suite("applying events to the sandbox CRMs", .timeLimit(.minutes(2)))
struct ApplyEndToEndTests {
    static let gareth = SandboxSeed.garethAccount

    static func body(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// With depth 0 every job leaves its patch in the journal and re-reads it there (as a long
    /// queue does); with the default it holds the patch in memory.
    @Test("a standard contact fans out to every route with the right calls and bodies", arguments: [WebhookIngest.defaultInlinePatchDepth, 0])
    func fanOut(inlinePatchDepth: Int) async throws {
        try await withSandboxCRM { sandbox in
            try await withApplyingHookline(to: sandbox, inlinePatchDepth: inlinePatchDepth) { hookline in
                let answer = try await hookline.deliver(try RepositoryFixtures.body("standard/contact-created.json"), to: "standard")
                #expect(answer.status == 202)
                let records = try await hookline.settled()

                #expect(AuditInvariant.violations(records).isEmpty)
                #expect(AuditInvariant.outcomes(of: answer.eventID, in: records) == ["buildr": .applied, "plannr": .applied, "omnichannel": .applied])

                let buildr = try #require(sandbox.buildrContact("2279"))
                #expect(buildr["email"] == "priya.raman@example.com")
                #expect(buildr["job_title"] == "Principal")
                #expect(buildr["mobile_phone"] == "+44 7700 900123")
                #expect(buildr["office_phone"] == "+61 2 9876 5432")
                let patch = try #require(sandbox.requests(pathPrefix: "/buildr/api").first)
                #expect(patch.summary == "PATCH /buildr/api/2023-01/contacts/2279")
                #expect(String(decoding: patch.body, as: UTF8.self) == #"{"contact":{"email":"priya.raman@example.com","first_name":"Priya","last_name":"Raman","job_title":"Principal","mobile_phone":"+44 7700 900123","office_phone":"+61 2 9876 5432"}}"#)
                #expect(patch.header("Authorization")?.hasPrefix("Bearer buildr_at_") == true)

                let details = sandbox.plannrDetails(account: Self.gareth)
                try #require(details.map(\.type) == ["email", "phone_number", "phone_number"])
                #expect(details[0].value == "priya.raman@example.com")
                #expect(details[1].value == "+44 7700 900123", "a GB phone is a plain string")
                #expect(details[2].value == ["country": "AU", "number": "+61 2 9876 5432"], "a non-GB phone is {country, number}")
                #expect(records.filter { $0.outcome == .created && $0.target == "plannr" }.count == 3)

                let omni = try #require(sandbox.omnichannelContact("c_7f3a21"))
                #expect(omni["first_name"] == "Priya")
                #expect(omni["company_name"] == "Raman Architects")
                #expect(omni["language"] == "en")
            }
        }
    }

    @Test("a thin Buildr delivery is resolved by GET (with an OAuth token) before it is applied")
    func thinResolvedFirst() async throws {
        try await withSandboxCRM { sandbox in
            try await withApplyingHookline(to: sandbox) { hookline in
                let answer = try await hookline.deliver(try RepositoryFixtures.body("buildr/contact-update-thin.json"), to: "buildr")
                #expect(answer.status == 202)
                let records = try await hookline.settled()

                #expect(AuditInvariant.outcomes(of: answer.eventID, in: records) == ["plannr": .applied, "omnichannel": .applied])
                let summaries = sandbox.requests.map(\.summary)
                let fetch = try #require(summaries.firstIndex(of: "GET /buildr/api/2023-01/contacts/144"))
                #expect(summaries.firstIndex(of: "POST /buildr/oauth/token").map { $0 < fetch } == true)
                let applied = summaries.indices.filter { summaries[$0].hasPrefix("PUT /omnichannel") || summaries[$0].hasPrefix("POST /plannr") }
                #expect(!applied.isEmpty && applied.allSatisfy { $0 > fetch }, "every apply call comes after the fetch")
                #expect(summaries.filter { $0.hasPrefix("GET /buildr") }.count == 1, "one fetch serves both targets")
                #expect(sandbox.omnichannelContact("144")?["email"] == "austin.reaves@example.com")
                #expect(sandbox.plannrDetails(account: Self.gareth).first?.value == "austin.reaves@example.com")
            }
        }
    }

    @Test("a Plannr email change after a create PUTs the created uuid, also after a restart")
    func plannrLearnsAcrossRestart() async throws {
        try await withSandboxCRM { sandbox in
            let directory = try TemporaryDirectory()
            try await withApplyingHookline(to: sandbox, directory: directory) { first in
                _ = try await first.deliver(try RepositoryFixtures.body("standard/contact-created.json"), to: "standard")
                _ = try await first.settled()
            }
            let created = try #require(sandbox.plannrDetails(account: Self.gareth).first { $0.type == "email" })

            try await withApplyingHookline(to: sandbox, directory: directory) { second in
                let answer = try await second.deliver(try RepositoryFixtures.body("standard/contact-updated.json"), to: "standard")
                let records = try await second.settled()
                #expect(AuditInvariant.outcomes(of: answer.eventID, in: records)["plannr"] == .applied)
                let emails = sandbox.plannrDetails(account: Self.gareth).filter { $0.type == "email" }
                #expect(emails.count == 1, "updated in place, not created again")
                #expect(emails.first?.uuid == created.uuid)
                #expect(emails.first?.value == "priya.raman@raman-architects.example")
                #expect(sandbox.requests(pathPrefix: "/plannr").last?.summary == "PUT /plannr/api/v2/contact-details/\(created.uuid)")
                #expect(AuditInvariant.violations(records).isEmpty)
            }
        }
    }

    @Test("50 updates to one contact arrive in order while another contact proceeds")
    func ordering() async throws {
        try await withSandboxCRM { sandbox in
            // Every call to the busy contact takes 20 ms; the other contact is not slowed.
            sandbox.inject(SandboxFault(pathPrefix: "/omnichannel/contacts/c_7f3a21", action: .delay(.milliseconds(20)), count: .max))
            try await withApplyingHookline(to: sandbox, yaml: {
                TestConfiguration.yaml(auditPath: $0, targetBase: $1, workers: 8, routes: "  - {from: standard, to: omnichannel, contact_id: source_id}")
            }) { hookline in
                func busy(_ sequences: ClosedRange<Int>) async throws {
                    for sequence in sequences {
                        let answer = try await hookline.deliver(Self.body(#"{"type":"contact.updated","data":{"id":"c_7f3a21","first_name":"v\#(sequence)"}}"#), to: "standard")
                        #expect(answer.status == 202)
                    }
                }
                // The other contact's updates arrive while at least 40 busy ones (800 ms) are still
                // to come, however slowly a loaded machine delivers them.
                try await busy(1...10)
                for sequence in 1...5 {
                    _ = try await hookline.deliver(Self.body(#"{"type":"contact.updated","data":{"id":"48213","first_name":"w\#(sequence)"}}"#), to: "standard")
                }
                try await busy(11...50)
                let records = try await hookline.settled()

                let busy = sandbox.requests(pathPrefix: "/omnichannel/contacts/c_7f3a21").compactMap { $0.json?["first_name"]?.stringValue }
                #expect(busy == (1...50).map { "v\($0)" })
                let other = sandbox.requests(pathPrefix: "/omnichannel/contacts/48213")
                #expect(other.compactMap { $0.json?["first_name"]?.stringValue } == (1...5).map { "w\($0)" })
                let lastBusy = try #require(sandbox.requests(pathPrefix: "/omnichannel/contacts/c_7f3a21").last?.receivedAt)
                #expect(other.allSatisfy { $0.receivedAt < lastBusy }, "the other contact did not wait behind the busy one")
                #expect(sandbox.omnichannelContact("c_7f3a21")?["first_name"] == "v50")
                #expect(AuditInvariant.violations(records).isEmpty)
            }
        }
    }

    @Test("5xx twice then 200 is retry, retry, applied")
    func transientFailures() async throws {
        try await withSandboxCRM { sandbox in
            sandbox.inject(.status(503, on: "/omnichannel/", count: 2))
            try await withApplyingHookline(to: sandbox, yaml: {
                TestConfiguration.yaml(auditPath: $0, targetBase: $1, routes: "  - {from: standard, to: omnichannel, contact_id: source_id}")
            }) { hookline in
                let answer = try await hookline.deliver(try RepositoryFixtures.body("standard/contact-updated.json"), to: "standard")
                let records = try await hookline.settled()
                let lines = records.filter { $0.event == answer.eventID && $0.target == "omnichannel" }
                #expect(lines.map(\.outcome) == [.retry, .retry, .applied])
                #expect(lines.map(\.attempt) == [1, 2, 3])
                #expect(lines.map(\.status) == [503, 503, 200])
                #expect(lines[0].retryInMs != nil && lines[0].error == "HTTP 503: injected fault")
                #expect(sandbox.requests(pathPrefix: "/omnichannel").count == 3)
            }
        }
    }

    @Test("a 429 with X-Rate-Limited-For: 2 is retried no sooner than 2 s later")
    func rateLimitedFor() async throws {
        try await withSandboxCRM { sandbox in
            sandbox.inject(
                .status(429, on: "/buildr/api/", headers: [HeaderField(name: "X-Rate-Limited-For", value: "2")], body: ["error": "rate_limit_exceeded"]))
            try await withApplyingHookline(to: sandbox, yaml: {
                TestConfiguration.yaml(auditPath: $0, targetBase: $1, routes: "  - {from: standard, to: buildr, contact_id: \"field:external_references.buildr\"}")
            }) { hookline in
                let answer = try await hookline.deliver(try RepositoryFixtures.body("standard/contact-updated.json"), to: "standard")
                let records = try await hookline.settled()
                let calls = sandbox.requests(pathPrefix: "/buildr/api/")
                #expect(calls.map(\.status) == [429, 200])
                #expect(calls[1].receivedAt - calls[0].receivedAt >= .seconds(2))
                let lines = records.filter { $0.event == answer.eventID }.filter { $0.outcome != .received }
                #expect(lines.map(\.outcome) == [.retry, .applied])
                #expect((lines.first?.retryInMs ?? 0) >= 2000)
            }
        }
    }

    @Test("a 422 fails once, with the target's error, and is not retried")
    func validationFailure() async throws {
        try await withSandboxCRM { sandbox in
            try await withApplyingHookline(to: sandbox, yaml: {
                TestConfiguration.yaml(auditPath: $0, targetBase: $1, routes: "  - {from: standard, to: plannr, contact_id: \"field:custom_fields.plannr_account_uuid\"}")
            }) { hookline in
                // Not a client account: Plannr answers 422 naming the field.
                let body = Self.body(#"{"type":"contact.updated","data":{"id":"c9","email":"x@example.com","custom_fields":{"plannr_account_uuid":"99999999-0000-4000-8000-000000000000"}}}"#)
                let answer = try await hookline.deliver(body, to: "standard")
                let records = try await hookline.settled()
                let lines = records.filter { $0.event == answer.eventID && $0.outcome != .received }
                #expect(lines.map(\.outcome) == [.failed])
                #expect(lines.first?.status == 422)
                #expect(lines.first?.error == "HTTP 422: The given data was invalid. (account_uuids.0: The selected account_uuids.0 is invalid.; primary_account_uuids.0: The selected primary_account_uuids.0 is invalid.)")
                #expect(sandbox.requests(pathPrefix: "/plannr").count == 1)
            }
        }
    }

    @Test("a target that is down ends dead once the retry budget is spent")
    func targetDown() async throws {
        try await withSandboxCRM { sandbox in
            try await withApplyingHookline(to: sandbox, yaml: {
                TestConfiguration.yaml(
                    auditPath: $0, targetBase: $1, retry: "{base_delay: 10ms, max_delay: 50ms, max_attempts: 3, max_age: 1m}",
                    omnichannelBase: "http://127.0.0.1:1/omnichannel", routes: "  - {from: standard, to: omnichannel, contact_id: source_id}")
            }) { hookline in
                let answer = try await hookline.deliver(try RepositoryFixtures.body("standard/contact-updated.json"), to: "standard")
                let records = try await hookline.settled()
                let lines = records.filter { $0.event == answer.eventID && $0.outcome != .received }
                #expect(lines.map(\.outcome) == [.retry, .retry, .dead])
                #expect(lines.last?.error?.hasSuffix("gave up after 3 attempts (retry.max_attempts)") == true)
                #expect(lines.last?.error?.hasPrefix("could not connect") == true)
            }
        }
    }

    @Test("a POST whose connection drops after sending is not repeated")
    func ambiguousPost() async throws {
        try await withSandboxCRM { sandbox in
            sandbox.inject(SandboxFault(method: "POST", pathPrefix: "/plannr/", action: .drop))
            try await withApplyingHookline(to: sandbox, yaml: {
                TestConfiguration.yaml(auditPath: $0, targetBase: $1, routes: "  - {from: standard, to: plannr, contact_id: \"field:custom_fields.plannr_account_uuid\"}")
            }) { hookline in
                let answer = try await hookline.deliver(try RepositoryFixtures.body("standard/contact-updated.json"), to: "standard")
                let records = try await hookline.settled()
                let lines = records.filter { $0.event == answer.eventID && $0.outcome != .received }
                #expect(lines.map(\.outcome) == [.failed])
                #expect(lines.first?.error?.contains("a POST that may have reached plannr is not repeated") == true)
                #expect(sandbox.requests(pathPrefix: "/plannr").count == 1)
            }
        }
    }

    @Test("a revoked Buildr token is refreshed once and the call repeated")
    func tokenRefresh() async throws {
        try await withSandboxCRM { sandbox in
            try await withApplyingHookline(to: sandbox, yaml: {
                TestConfiguration.yaml(auditPath: $0, targetBase: $1, routes: "  - {from: standard, to: buildr, contact_id: \"field:external_references.buildr\"}")
            }) { hookline in
                _ = try await hookline.deliver(try RepositoryFixtures.body("standard/contact-updated.json"), to: "standard")
                _ = try await hookline.settled()
                sandbox.revokeBuildrTokens()
                let second = try await hookline.deliver(try RepositoryFixtures.body("standard/contact-created.json"), to: "standard")
                let records = try await hookline.settled()
                #expect(AuditInvariant.outcomes(of: second.eventID, in: records) == ["buildr": .applied])
                #expect(sandbox.requests(pathPrefix: "/buildr/oauth/token").count == 2)
                #expect(sandbox.requests(pathPrefix: "/buildr/api/").map(\.status) == [200, 401, 200])
            }
        }
    }

    @Test("multi-call Plannr plans queued behind Plannr's rate limit all finish, in order per contact")
    func multiCallPlansUnderLimit() async throws {
        try await withSandboxCRM { sandbox in
            try await withApplyingHookline(to: sandbox, yaml: {
                TestConfiguration.yaml(
                    auditPath: $0, targetBase: $1, rateLimits: "{requests: 500, per: 1m}",
                    routes: "  - {from: standard, to: plannr, contact_id: \"field:custom_fields.plannr_account_uuid\"}")
            }) { hookline in
                let accounts = [SandboxSeed.garethAccount, SandboxSeed.secondAccount]
                let started = ContinuousClock.now
                for sequence in 1...6 {
                    let account = accounts[sequence % 2]
                    let body = #"{"type":"contact.updated","data":{"id":"m\#(sequence)","email":"e\#(sequence)@example.com","phones":[{"kind":"mobile","number":"+4477009001\#(sequence)"},{"kind":"office","number":"+4420700001\#(sequence)"}],"custom_fields":{"plannr_account_uuid":"\#(account)"}}}"#
                    _ = try await hookline.deliver(Self.body(body), to: "standard")
                }
                let records = try await hookline.settled(timeout: .seconds(15))
                #expect(records.filter { $0.outcome == .applied }.count == 6)
                #expect(AuditInvariant.violations(records).isEmpty)
                let calls = sandbox.requests(pathPrefix: "/plannr")
                #expect(calls.allSatisfy { $0.status == 200 || $0.status == 201 })
                // Slots are 120 ms apart (500 a minute, evenly spaced) from the first reservation, which
                // comes after the first delivery: the 18th call cannot start before 17 slots have passed.
                // (Measured from the calls' own arrival, a late first call would shorten the span.)
                #expect(calls.count == 18)
                if let last = calls.last?.receivedAt {
                    #expect(last - started >= .milliseconds(17 * 120 - 10), "calls are spaced at Plannr's 500 a minute, not sent at once")
                }
                #expect(sandbox.plannrDetails(account: SandboxSeed.garethAccount).first { $0.type == "email" }?.value == "e6@example.com")
            }
        }
    }

    @Test("a burst of 12 Buildr updates is smoothed to Buildr's 10 per 10 s: no 429 comes back")
    func smoothing() async throws {
        try await withSandboxCRM { sandbox in
            try await withApplyingHookline(to: sandbox, yaml: {
                TestConfiguration.yaml(
                    auditPath: $0, targetBase: $1, rateLimits: "{requests: 10, per: 10s, burst: 9}",
                    routes: "  - {from: standard, to: buildr, contact_id: \"field:external_references.buildr\"}")
            }) { hookline in
                let started = ContinuousClock.now
                for sequence in 1...12 {
                    _ = try await hookline.deliver(Self.body(#"{"type":"contact.updated","data":{"id":"s\#(sequence)","job_title":"t\#(sequence)","external_references":{"buildr":"144"}}}"#), to: "standard")
                }
                let records = try await hookline.settled()
                let calls = sandbox.requests(pathPrefix: "/buildr/api/")
                #expect(calls.count == 12)
                #expect(calls.allSatisfy { $0.status == 200 })
                #expect(records.filter { $0.outcome == .applied }.count == 12)
                // Nine go at once (burst 9), then one a second from the first reservation, which comes
                // after the first delivery: the 12th cannot start before 3 s have passed (less clock
                // rounding). Measured from the first call's arrival instead, a late first call shortened it.
                #expect(calls[11].receivedAt - started >= .milliseconds(2990), "calls 10 to 12 waited for their slots")
            }
        }
    }
}
