import Foundation
import HooklineCore
import HooklineSandbox
import HooklineServer
import HooklineTestSupport
import HooklineTools
import Testing

/// Hookline with `store: {kind: postgres}`, in process: one instance, then two on one database.
@Suite("several Hooklines on one PostgreSQL", .serialized, .timeLimit(.minutes(3)))
struct SharedStoreTests {
    static let omnichannelOnly = "  - {from: standard, to: omnichannel, contact_id: source_id}"

    static func update(_ contact: String, _ name: String) -> [UInt8] {
        Array(#"{"type":"contact.updated","data":{"id":"\#(contact)","first_name":"\#(name)"}}"#.utf8)
    }

    /// The YAML for one instance on `database`, writing its own audit log in `directory`.
    static func yaml(
        _ cluster: PostgresCluster, _ database: String, lease: String = "30s", routes: String? = nil, rateLimits: String = "off",
        retry: String = "{base_delay: 50ms, max_delay: 200ms, max_attempts: 4, max_age: 1m}"
    ) -> (String, String) -> String {
        { audit, base in
            TestConfiguration.yaml(
                auditPath: audit, targetBase: base, retry: retry, rateLimits: rateLimits, routes: routes,
                store: "{kind: postgres, url: \"\(cluster.url(database))\", pool_size: 6, lease: \(lease)}")
        }
    }

    @Test("every fixture, delivered to a Hookline on PostgreSQL, ends once per target, as on the file store")
    func fixtures() async throws {
        let cluster = try await PostgresCluster.shared()
        let database = try await cluster.createDatabase()
        try await withSandboxCRM { sandbox in
            try await withApplyingHookline(to: sandbox, yaml: Self.yaml(cluster, database)) { hookline in
                let catalog = try RepositoryFixtures.catalog()
                var accepted: [String: String] = [:]
                for fixture in catalog.fixtures {
                    let answer = try await hookline.deliver(fixture.body, to: fixture.source)
                    #expect(answer.status == fixture.answer, "\(fixture.path): \(answer.error ?? "")")
                    if answer.status == 202, let id = answer.eventID { accepted[fixture.path] = id }
                }
                let records = try await hookline.settled(timeout: .seconds(30))
                #expect(AuditInvariant.violations(records).isEmpty)
                for fixture in catalog.fixtures where fixture.answer == 202 {
                    let outcomes = AuditInvariant.outcomes(of: accepted[fixture.path], in: records).mapValues(\.rawValue)
                    #expect(outcomes == fixture.outcomes, "\(fixture.path)")
                }
                #expect(try await cluster.query("SELECT count(*) FROM hookline_jobs WHERE NOT done", database: database) == "0\n")
                #expect(try await cluster.query("SELECT count(*) FROM hookline_lanes", database: database) == "0\n")
            }
        }
    }

    @Test("the same message delivered to two instances at once: one 202, one duplicate with its event id")
    func duplicateAcrossInstances() async throws {
        let cluster = try await PostgresCluster.shared()
        let database = try await cluster.createDatabase()
        try await withSandboxCRM { sandbox in
            try await withApplyingHookline(to: sandbox, yaml: Self.yaml(cluster, database, routes: Self.omnichannelOnly)) { first in
                try await withApplyingHookline(to: sandbox, yaml: Self.yaml(cluster, database, routes: Self.omnichannelOnly)) { second in
                    for round in 0..<10 {
                        let body = Self.update(["144", "2279", "48213", "c_7f3a21", "c_0d91e4"][round % 5], "n\(round)")
                        async let one = first.deliver(body, to: "standard", messageID: "msg_both_\(round)")
                        async let two = second.deliver(body, to: "standard", messageID: "msg_both_\(round)")
                        let answers = try await [one, two]
                        let statuses = answers.map(\.status).sorted()
                        #expect(statuses == [200, 202] || statuses == [202, 409], "round \(round): \(statuses)")
                        if statuses == [200, 202] {
                            #expect(answers.first { $0.status == 200 }?.outcome == "duplicate")
                            #expect(answers.first { $0.status == 200 }?.eventID == answers.first { $0.status == 202 }?.eventID)
                        }
                    }
                    let union = try await settled(across: [first, second])
                    #expect(AuditInvariant.violations(union).isEmpty, "\(union.filter { $0.outcome == .failed }.map { "\($0.event ?? "") \($0.error ?? "")" })")
                    #expect(AuditInvariant.unfinished(union).isEmpty)
                    #expect(union.filter { $0.outcome == .received }.count == 10)
                    #expect(sandbox.requests(pathPrefix: "/omnichannel").count == 10, "each message applied once")
                }
            }
        }
    }

    @Test("two instances share Buildr's rate limit: 12 updates through both are spaced as 10 per 10 s, not 20")
    func sharedRateLimit() async throws {
        let cluster = try await PostgresCluster.shared()
        let database = try await cluster.createDatabase()
        let routes = "  - {from: standard, to: buildr, contact_id: \"field:external_references.buildr\"}"
        // Three Buildr contacts, three lanes, spread over both instances: with a limiter each, the
        // two would send twelve calls in a second and Buildr's bucket of ten would answer 429.
        try await withSandboxCRM { sandbox in
            let yaml = Self.yaml(cluster, database, routes: routes, rateLimits: "{requests: 10, per: 10s, burst: 9}")
            try await withApplyingHookline(to: sandbox, yaml: yaml) { first in
                try await withApplyingHookline(to: sandbox, yaml: yaml) { second in
                    let started = ContinuousClock.now
                    for sequence in 1...12 {
                        let body = Array(#"{"type":"contact.updated","data":{"id":"s\#(sequence)","job_title":"t\#(sequence)","external_references":{"buildr":"\#(["144", "2279", "2291"][sequence % 3])"}}}"#.utf8)
                        let answer = try await (sequence % 2 == 0 ? first : second).deliver(body, to: "standard")
                        #expect(answer.status == 202)
                    }
                    try await eventually(timeout: .seconds(30), "the 12 calls") { sandbox.requests(pathPrefix: "/buildr/api/").count == 12 }
                    let calls = sandbox.requests(pathPrefix: "/buildr/api/")
                    #expect(calls.allSatisfy { $0.status == 200 }, "no 429: the fleet kept Buildr's limit: \(calls.map(\.status))")
                    // Nine at once, then one a second: the 12th no sooner than 3 s after the first reservation.
                    #expect(calls[11].receivedAt - started >= .milliseconds(2990))
                    _ = try await settled(across: [first, second])
                }
            }
        }
    }
}
