import HooklineCore
import HooklineSandbox
import HooklineServer
import HooklineTestSupport
import HooklineTools
import Testing

@Suite("metrics", .timeLimit(.minutes(1)))
struct MetricsTests {
    /// Prometheus text as `name{labels}` → value.
    static func samples(_ text: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            samples[String(line[..<space])] = value
        }
        return samples
    }

    static func value(_ samples: [String: Double], _ name: String, _ labels: [(String, String)] = []) -> Double {
        let key = labels.isEmpty ? name : name + "{" + labels.map { "\($0.0)=\"\($0.1)\"" }.joined(separator: ",") + "}"
        return samples[key] ?? 0
    }

    @Test("after a mixed run, /metrics counts what the audit log records")
    func countsMatchTheLog() async throws {
        try await withSandboxCRM { sandbox in
            sandbox.inject(.status(503, on: "/omnichannel/contacts/144", count: 2))
            sandbox.inject(.status(422, on: "/omnichannel/contacts/2279", count: 1, body: ["error": "bad"]))
            try await withApplyingHookline(to: sandbox, yaml: {
                TestConfiguration.yaml(auditPath: $0, targetBase: $1, routes: "  - {from: standard, to: omnichannel, contact_id: source_id}")
            }) { hookline in
                let update = { (contact: String) in Array(#"{"type":"contact.updated","data":{"id":"\#(contact)","first_name":"M"}}"#.utf8) }
                _ = try await hookline.deliver(update("144"), to: "standard", messageID: "msg_m1")
                _ = try await hookline.deliver(update("144"), to: "standard", messageID: "msg_m1")  // duplicate
                _ = try await hookline.deliver(update("2279"), to: "standard")  // 422 → failed
                _ = try await hookline.deliver(update("48213"), to: "standard")
                _ = try await hookline.deliver(Array("{nope".utf8), to: "standard")  // 400
                _ = try await hookline.deliver(update("48213"), to: "standard", timestamp: .now() - .seconds(900))  // 401
                _ = try await hookline.deliver(Array(#"{"type":"contact.merged","data":{"id":"x"}}"#.utf8), to: "standard")  // ignored
                _ = try await hookline.deliver(Array(#"{"event":"account.updated","data":{"uuid":"u-9"}}"#.utf8), to: "plannr")
                let records = try await hookline.settled()
                let text = try await HTTPGet.fetch("\(hookline.baseURL)/metrics")

                #expect(text.status == 200)
                #expect(text.headers.contains { $0.name.lowercased() == "content-type" && $0.value.hasPrefix("text/plain; version=0.0.4") })
                let samples = Self.samples(text.body)
                func count(_ predicate: (AuditRecord) -> Bool) -> Double { Double(records.filter(predicate).count) }

                #expect(Self.value(samples, "hookline_requests_total", [("source", "standard"), ("status", "202")]) == count { $0.outcome == .received && $0.source == "standard" })
                #expect(Self.value(samples, "hookline_requests_total", [("source", "standard"), ("status", "200")]) == count { ($0.outcome == .duplicate || $0.outcome == .ignored) && $0.source == "standard" })
                #expect(Self.value(samples, "hookline_requests_total", [("source", "standard"), ("status", "401")]) == count { $0.outcome == .rejected && $0.status == 401 })
                #expect(Self.value(samples, "hookline_requests_total", [("source", "standard"), ("status", "400")]) == count { $0.outcome == .rejected && $0.status == 400 })
                #expect(Self.value(samples, "hookline_requests_total", [("source", "plannr"), ("status", "200")]) == count { $0.outcome == .ignored && $0.source == "plannr" }, "no route: ignored")
                #expect(Self.value(samples, "hookline_rejections_total", [("source", "standard"), ("reason", "timestamp_too_old")]) == 1)
                #expect(Self.value(samples, "hookline_rejections_total", [("source", "standard"), ("reason", "invalid_message")]) == 1)
                for outcome in [AuditOutcome.applied, .failed, .dead, .skipped] {
                    #expect(
                        Self.value(samples, "hookline_jobs_total", [("target", "omnichannel"), ("outcome", outcome.rawValue)])
                            == count { $0.outcome == outcome && $0.target == "omnichannel" }, "\(outcome)")
                }
                #expect(Self.value(samples, "hookline_attempts_total", [("target", "omnichannel"), ("outcome", "retry")]) == count { $0.outcome == .retry })
                #expect(Self.value(samples, "hookline_attempts_total", [("target", "omnichannel"), ("outcome", "retry")]) == 2)
                #expect(Self.value(samples, "hookline_target_calls_total", [("target", "omnichannel"), ("status", "503")]) == 2)
                #expect(Self.value(samples, "hookline_queue_jobs") == 0)
                #expect(Self.value(samples, "hookline_queue_capacity") == 10_000)
                #expect(Self.value(samples, "hookline_ready") == 1)
                #expect(Self.value(samples, "hookline_ingest_duration_seconds_count", [("source", "standard")]) == 7)
                #expect(Self.value(samples, "hookline_audit_fsync_duration_seconds_count") > 0)
                #expect(text.body.contains(#"hookline_ingest_duration_seconds_bucket{source="standard",le="0.0005"}"#))
            }
        }
    }

    @Test("consecutive failures count a target's attempts that did not succeed, and fall to 0 when one is applied")
    func consecutiveFailures() async throws {
        try await withSandboxCRM { sandbox in
            // Every attempt for contact 144 fails; the retry budget is 4 attempts.
            sandbox.inject(.status(503, on: "/omnichannel/contacts/144", count: 100))
            try await withApplyingHookline(to: sandbox, yaml: {
                TestConfiguration.yaml(auditPath: $0, targetBase: $1, routes: "  - {from: standard, to: omnichannel, contact_id: source_id}")
            }) { hookline in
                let update = { (contact: String) in Array(#"{"type":"contact.updated","data":{"id":"\#(contact)","first_name":"M"}}"#.utf8) }
                func streak() async throws -> Double {
                    let text = try await HTTPGet.fetch("\(hookline.baseURL)/metrics")
                    return Self.value(Self.samples(text.body), "hookline_target_consecutive_failures", [("target", "omnichannel")])
                }
                _ = try await hookline.deliver(update("144"), to: "standard")
                let records = try await hookline.settled()
                #expect(records.contains { $0.outcome == .dead && $0.target == "omnichannel" })
                #expect(try await streak() == 4, "three retries and the dead attempt")
                _ = try await hookline.deliver(update("48213"), to: "standard")
                _ = try await hookline.settled()
                #expect(try await streak() == 0, "an applied attempt ends the run")
            }
        }
    }
}
