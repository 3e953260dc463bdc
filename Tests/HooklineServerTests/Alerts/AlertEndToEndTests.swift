import HooklineCore
import HooklineSandbox
import HooklineServer
import HooklineTestSupport
import Testing

/// Alerts as an operator gets them: rules judged on what really happens at the sandbox CRM,
/// alerts posted over loopback HTTP to the sandbox standing in for the alert receivers.
@Suite("alerts, end to end", .serialized, .timeLimit(.minutes(2)))
struct AlertEndToEndTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    /// A Slack URL's last part is its token: it must never show anywhere but the request line.
    static let slackToken = "sl4ckT0kenNeverLogged"
    static let omnichannelOnly = "  - {from: standard, to: omnichannel, contact_id: source_id}"
    static let twoAttempts = "{base_delay: 10ms, max_delay: 20ms, max_attempts: 2, max_age: 1m}"

    static func yaml(rules: String, store: String? = nil) -> (String, String) -> String {
        { audit, base in
            TestConfiguration.yaml(auditPath: audit, targetBase: base, retry: twoAttempts, routes: omnichannelOnly, store: store) + """

                console:
                  listen: 127.0.0.1:0
                  public_url: https://hookline.example
                  tokens: [{name: t, sha256: "\(SHA256Digest.hex("hlc_unused"))"}]

                alerts:
                  channels:
                    - {name: ops, kind: webhook, url: "\(base)/alerts/ops", secret: "\(secret)"}
                    - {name: chat, kind: slack, url: "\(base)/alerts/slack/T000/B000/\(slackToken)"}
                    - {name: broken, kind: webhook, url: "\(base)/alerts/broken", secret: "\(secret)"}
                  rules:
                \(rules)
                """
        }
    }

    static func update(_ contact: String, _ name: String) -> [UInt8] {
        Array(#"{"type":"contact.updated","data":{"id":"\#(contact)","first_name":"\#(name)","email":"\#(name.lowercased())@example.com"}}"#.utf8)
    }

    /// `/metrics`, scraped as Prometheus would.
    static func metrics(_ hookline: TestHookline) async throws -> String {
        try await HTTPGet.fetch("\(hookline.baseURL)/metrics").body
    }

    /// The alerts `path` received, in order, as JSON (a Slack channel's as its text).
    static func received(_ sandbox: SandboxCRM, _ path: String) -> [SandboxRequest] { sandbox.requests(pathPrefix: path) }

    static func states(_ requests: [SandboxRequest], rule: String) -> [String] {
        requests.compactMap { $0.json }.filter { $0["rule"]?.stringValue == rule }.compactMap { $0["state"]?.stringValue }
    }

    @Test("a failing target warns, then is paused (with a warning first), a dead letter fires; resumed and applying, both recover; signed, and no secret or personal data in any alert")
    func failingTarget() async throws {
        try await withSandboxCRM { sandbox in
            sandbox.inject(.status(200, on: "/alerts/ops", count: .max))
            sandbox.inject(.status(200, on: "/alerts/slack", count: .max))
            sandbox.inject(.status(500, on: "/omnichannel/", count: .max))
            let rules = """
                    - {when: consecutive_failures, target: omnichannel, warn_at: 3, pause_at: 6, to: [ops, chat]}
                    - {when: dead_letter, target: "*", to: [ops]}
                """
            try await withApplyingHookline(to: sandbox, yaml: Self.yaml(rules: rules)) { hookline in
                // Three events, two failed attempts each: a warning at 3, dead letters, a pause at 6.
                for index in 1...3 {
                    let answer = try await hookline.deliver(Self.update("c_alert\(index)", "Marguerite\(index)"), to: "standard")
                    #expect(answer.status == 202)
                }
                try await eventually(timeout: .seconds(15), "the pause alert") {
                    Self.states(Self.received(sandbox, "/alerts/ops"), rule: "consecutive_failures").contains("firing")
                }
                #expect(hookline.running.store.paused["omnichannel"]?.by == "alert:consecutive_failures")
                // Paused: a fourth event (a contact the CRM knows) waits and is not attempted.
                let waiting = try await hookline.deliver(Self.update("c_0d91e4", "Marguerite4"), to: "standard")
                #expect(waiting.status == 202)

                // The CRM is fixed; an operator resumes it; the waiting event is applied.
                sandbox.clearFaults()
                sandbox.inject(.status(200, on: "/alerts/ops", count: .max))
                sandbox.inject(.status(200, on: "/alerts/slack", count: .max))
                #expect(try await hookline.running.store.resume("omnichannel", by: "test:on-call"))
                try await eventually(timeout: .seconds(15), "both recoveries, at both channels, and their deliveries counted") {
                    let ops = Self.received(sandbox, "/alerts/ops")
                    let metrics = try await Self.metrics(hookline)
                    return Self.states(ops, rule: "consecutive_failures").last == "recovered" && Self.states(ops, rule: "dead_letter").last == "recovered"
                        && metrics.contains(#"hookline_alert_deliveries_total{channel="chat",result="sent"} 3"#)
                        && metrics.contains(#"hookline_alert_deliveries_total{channel="ops",result="sent"} 5"#)
                }
                let ops = Self.received(sandbox, "/alerts/ops")
                #expect(Self.states(ops, rule: "consecutive_failures") == ["warning", "firing", "recovered"])
                #expect(Self.states(ops, rule: "dead_letter") == ["firing", "recovered"], "not again for the second and third dead letter")
                let chat = Self.received(sandbox, "/alerts/slack").compactMap { $0.json?["text"]?.stringValue }
                #expect(chat.count == 3, "\(chat)")
                #expect(chat.first?.hasPrefix("Hookline [warning] consecutive_failures: target 'omnichannel' failed 3 attempts in a row") == true, "\(chat)")
                #expect(chat.dropFirst().first?.contains("it is paused: its events wait until `hookline resume omnichannel`") == true, "\(chat)")

                // Every webhook alert verifies with the channel's secret, as Standard Webhooks.
                let verifier = try SignatureVerifier(scheme: StandardWebhooksScheme(), secrets: [Self.secret])
                for request in ops {
                    let verdict = verifier.verify(body: request.body, headers: HeaderList(request.headers), receivedAt: .now())
                    #expect(verdict == .verified(secretIndex: 0), "\(verdict)")
                    #expect(request.header("webhook-id")?.hasPrefix("alert_") == true)
                }
                let firing = try #require(ops.compactMap(\.json).first { $0["rule"]?.stringValue == "consecutive_failures" && $0["state"]?.stringValue == "firing" })
                #expect(firing["target"]?.stringValue == "omnichannel")
                #expect(firing["paused"] == .bool(true))
                #expect(firing["link"]?.stringValue == "https://hookline.example/events?target=omnichannel")
                let dead = ops.compactMap(\.json).first { $0["rule"]?.stringValue == "dead_letter" }
                #expect(dead?["link"]?.stringValue?.hasPrefix("https://hookline.example/events/evt_") == true)
                #expect(firing["figures"]?["consecutive_failures"]?.stringValue == "6")
                // No alert holds a secret, the Slack token, a payload or a contact's data.
                let everything = (ops + Self.received(sandbox, "/alerts/slack")).map { String(decoding: $0.body, as: UTF8.self) }.joined()
                for secret in [Self.secret, "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", Self.slackToken, "Marguerite", "example.com", "c_alert", "c_0d91e4", "omni-key"] {
                    #expect(!everything.contains(secret), "an alert holds '\(secret)'")
                }

                // The pause and the resume are in the audit log, naming who did them.
                let records = try await hookline.settled()
                let actions = records.filter { [.paused, .resumed].contains($0.outcome) }.map { "\($0.outcome.rawValue) by \($0.by ?? "")" }
                #expect(actions == ["paused by alert:consecutive_failures", "resumed by test:on-call"])
                #expect(AuditInvariant.outcomes(of: waiting.eventID, in: records) == ["omnichannel": .applied])

                let metrics = try await Self.metrics(hookline)
                for line in [
                    #"hookline_alerts_total{rule="consecutive_failures",state="warning"} 1"#,
                    #"hookline_alerts_total{rule="consecutive_failures",state="firing"} 1"#,
                    #"hookline_alerts_total{rule="consecutive_failures",state="recovered"} 1"#,
                    #"hookline_alerts_total{rule="dead_letter",state="firing"} 1"#,
                    #"hookline_alert_deliveries_total{channel="chat",result="sent"} 3"#,
                ] {
                    #expect(metrics.contains(line), "\(line)")
                }
                #expect(hookline.running.alerts?.open.isEmpty == true)
            }
        }
    }

    @Test("a delivery answered 503 is retried until it gets through; one answered 400 is given up, logged and counted, and the others still go")
    func retriedAndFailed() async throws {
        try await withSandboxCRM { sandbox in
            sandbox.inject(.status(503, on: "/alerts/ops", count: 2))
            sandbox.inject(.status(200, on: "/alerts/ops", count: .max))
            sandbox.inject(.status(400, on: "/alerts/broken", count: .max))
            sandbox.inject(.status(500, on: "/omnichannel/", count: .max))
            let rules = "    - {when: dead_letter, to: [ops, broken]}"
            try await withApplyingHookline(to: sandbox, yaml: Self.yaml(rules: rules)) { hookline in
                _ = try await hookline.deliver(Self.update("c_retry", "Ines"), to: "standard")
                try await eventually(timeout: .seconds(15), "the alert through, after two 503s") {
                    let metrics = try await Self.metrics(hookline)
                    // The receiver has the request before Hookline has read its answer: the count follows.
                    return Self.received(sandbox, "/alerts/ops").map(\.status) == [503, 503, 200]
                        && metrics.contains(#"hookline_alert_deliveries_total{channel="broken",result="failed"} 1"#)
                        && metrics.contains(#"hookline_alert_deliveries_total{channel="ops",result="sent"} 1"#)
                }
                #expect(Self.received(sandbox, "/alerts/broken").count == 1, "a 400 is not retried")
            }
        }
    }

    @Test("signature failures above the count over the window fire once, for the source, and a forged request's body is in no alert")
    func signatureFailures() async throws {
        try await withSandboxCRM { sandbox in
            sandbox.inject(.status(200, on: "/alerts/ops", count: .max))
            let rules = "    - {when: signature_failures, source: standard, above: 2, over: 1m, to: [ops]}"
            try await withApplyingHookline(to: sandbox, yaml: Self.yaml(rules: rules)) { hookline in
                for _ in 1...4 {
                    // Signed, but an hour ago: outside the tolerance, refused 401.
                    let answer = try await hookline.deliver(Self.update("c_forged", "Forged"), to: "standard", timestamp: .now() - .seconds(3600))
                    #expect(answer.status == 401)
                }
                try await eventually(timeout: .seconds(10), "the alert") { !Self.received(sandbox, "/alerts/ops").isEmpty }
                let alerts = Self.received(sandbox, "/alerts/ops").compactMap(\.json)
                #expect(alerts.count == 1)
                #expect(alerts.first?["source"]?.stringValue == "standard")
                #expect(alerts.first?["figures"]?["signature_failures"]?.stringValue == "3")
                #expect(!Self.received(sandbox, "/alerts/ops").map { String(decoding: $0.body, as: UTF8.self) }.joined().contains("Forged"))
            }
        }
    }

    @Test("with PostgreSQL, two instances that both see a target failing send its warning once")
    func oncePerFleet() async throws {
        let cluster = try await PostgresCluster.shared()
        let database = try await cluster.createDatabase()
        let store = "{kind: postgres, url: \"\(cluster.url(database))\", pool_size: 4, lease: 30s}"
        try await withSandboxCRM { sandbox in
            sandbox.inject(.status(200, on: "/alerts/ops", count: .max))
            sandbox.inject(.status(500, on: "/omnichannel/", count: .max))
            let yaml = Self.yaml(rules: "    - {when: consecutive_failures, target: omnichannel, warn_at: 3, to: [ops]}", store: store)
            try await withApplyingHookline(to: sandbox, yaml: yaml) { first in
                try await withApplyingHookline(to: sandbox, yaml: yaml) { second in
                    var sent = 0
                    try await eventually(timeout: .seconds(30), "both instances to judge the target failing") {
                        // Deliveries alternate between the instances until each has seen three failures.
                        sent += 1
                        _ = try await (sent % 2 == 0 ? first : second).deliver(Self.update("c_fleet\(sent)", "Fleet"), to: "standard")
                        let warned = [first, second].map { $0.running.alerts?.open.contains { $0.state == .warning } == true }
                        return warned == [true, true]
                    }
                    // Each instance decided: it sent the warning, or left it to the other. One that
                    // left it sends nothing later, so what the receiver has now is all there is.
                    try await eventually(timeout: .seconds(10), "both instances to decide") {
                        var decided = 0
                        for instance in [first, second] {
                            let text = try await Self.metrics(instance)
                            if text.contains(#"hookline_alerts_total{rule="consecutive_failures",state="warning"} 1"#)
                                || text.contains(#"hookline_alerts_sent_elsewhere_total{rule="consecutive_failures",state="warning"} 1"#)
                            {
                                decided += 1
                            }
                        }
                        return decided == 2 && !Self.received(sandbox, "/alerts/ops").isEmpty
                    }
                    #expect(Self.states(Self.received(sandbox, "/alerts/ops"), rule: "consecutive_failures") == ["warning"])
                    let sentBy = try await first.running.store.sentAlerts(limit: 10).map(\.sentBy)
                    #expect(sentBy.count == 1)
                }
            }
        }
    }
}
