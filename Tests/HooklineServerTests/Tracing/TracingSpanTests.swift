import HooklineCore
import HooklineSandbox
import HooklineServer
import HooklineTestSupport
import HooklineTools
import InMemoryTracing
import Testing
import Tracing

/// The spans Hookline makes, with `InMemoryTracer` (swift-distributed-tracing's), over real
/// loopback HTTP to the sandbox CRMs. The OTLP side is `TracingProcessTests`.
@Suite("spans of a delivery, with InMemoryTracer", .timeLimit(.minutes(2)))
struct TracingSpanTests {
    static func tracing(trust: Set<String> = ["standard"]) -> (InMemoryTracer, HooklineTracing) {
        let tracer = InMemoryTracer()
        return (tracer, HooklineTracing(tracer: tracer, trustInbound: trust))
    }

    @Test("a context kept as text comes back as the same context")
    func roundTrip() throws {
        let (tracer, tracing) = Self.tracing()
        let span = tracer.startSpan("receive", context: .topLevel, ofKind: .server)
        defer { span.end() }
        let text = try #require(tracing.carrier(of: span.context))
        let back = try #require(tracing.context(fromCarrier: text)?.inMemorySpanContext)
        #expect(back.traceID == span.context.inMemorySpanContext?.traceID)
        #expect(back.spanID == span.context.inMemorySpanContext?.spanID)
        #expect(tracing.context(fromCarrier: nil) == nil)
        #expect(tracing.context(fromCarrier: "a=%ZZ") == nil)
    }

    @Test("one delivery: the receive span, its verify and journal steps, an attempt per target under it, a call under each attempt; no secret in any attribute")
    func delivery() async throws {
        let (tracer, tracing) = Self.tracing()
        try await withSandboxCRM { sandbox in
            try await withApplyingHookline(to: sandbox, tracing: tracing) { hookline in
                let answer = try await hookline.deliver(try RepositoryFixtures.body("standard/contact-created.json"), to: "standard")
                #expect(answer.status == 202)
                let records = try await hookline.settled()
                #expect(AuditInvariant.outcomes(of: answer.eventID, in: records) == ["buildr": .applied, "plannr": .applied, "omnichannel": .applied])
                let received = try #require(records.first { $0.outcome == .received && $0.event == answer.eventID })

                try await eventually { tracer.finishedSpans.filter { $0.kind == .consumer }.count == 3 }
                let spans = tracer.finishedSpans
                let receive = try #require(spans.first { $0.kind == .server })
                #expect(receive.operationName == "POST /webhooks/{source}")
                #expect(receive.attributes.get("http.request.method") == .string("POST"))
                #expect(receive.attributes.get("http.route") == .string("/webhooks/{source}"))
                #expect(receive.attributes.get("http.response.status_code") == .int64(202))
                #expect(receive.attributes.get("hookline.source") == .string("standard"))
                #expect(receive.attributes.get("hookline.event_id") == .string(answer.eventID ?? ""))
                #expect(receive.attributes.get("messaging.message.id") != nil)
                #expect(receive.attributes.get("error.type") == nil)
                #expect(spans.filter { $0.parentSpanID == receive.spanID && $0.kind == .internal }.map(\.operationName).sorted() == ["journal", "verify"])

                // The received line keeps the receive span's context.
                #expect(tracing.context(fromCarrier: received.trace)?.inMemorySpanContext?.spanID == receive.spanID)

                let attempts = spans.filter { $0.kind == .consumer }
                #expect(Set(attempts.map(\.operationName)) == ["process buildr", "process plannr", "process omnichannel"])
                for attempt in attempts {
                    #expect(attempt.traceID == receive.traceID && attempt.parentSpanID == receive.spanID)
                    #expect(attempt.attributes.get("messaging.operation.type") == .string("process"))
                    #expect(attempt.attributes.get("hookline.outcome") == .string("applied"))
                    #expect(attempt.attributes.get("hookline.attempt") == .int64(1))
                    #expect(attempt.attributes.get("hookline.event_id") == .string(answer.eventID ?? ""))
                }
                let calls = spans.filter { $0.kind == .client }
                #expect(!calls.isEmpty)
                for call in calls {
                    #expect(attempts.contains { $0.spanID == call.parentSpanID }, "\(call.operationName) is under an attempt")
                    #expect(call.attributes.get("server.address") == .string("127.0.0.1"))
                    guard case .string(let url)? = call.attributes.get("url.full") else {
                        Issue.record("no url.full")
                        continue
                    }
                    #expect(url.hasPrefix(sandbox.baseURL) && !url.contains("?"))
                }
                // Buildr's OAuth token fetch is a CRM call too, under the attempt that needed it.
                let buildrAttempt = try #require(attempts.first { $0.operationName == "process buildr" })
                #expect(calls.contains { $0.parentSpanID == buildrAttempt.spanID && $0.attributes.get("url.full") == .string(sandbox.baseURL + "/buildr/oauth/token") })
                var values: [String] = []
                for span in spans { span.attributes.forEach { _, value in values.append("\(value)") } }
                for secret in ["buildr_at_", "plannr-token", "omni-key", "client-secret", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"] {
                    #expect(!values.contains { $0.contains(secret) }, "\(secret) in an attribute")
                }
                // Each CRM call carried its own span's context.
                let omnichannelCall = try #require(calls.first { $0.attributes.get("hookline.target") == .string("omnichannel") })
                let request = try #require(sandbox.requests(pathPrefix: "/omnichannel/").last)
                #expect(request.header(InMemoryTracer.spanIDKey) == omnichannelCall.spanID)
                #expect(request.header(InMemoryTracer.traceIDKey) == receive.traceID)
            }
        }
    }

    @Test("a redrive is a new trace linked to the first; its attempts are its children", arguments: ["file", "postgres"])
    func redrive(store: String) async throws {
        let (tracer, tracing) = Self.tracing()
        var yaml: (String, String) -> String = { TestConfiguration.yaml(auditPath: $0, targetBase: $1) }
        if store == "postgres" {
            let cluster = try await PostgresCluster.shared()
            let database = try await cluster.createDatabase()
            yaml = { audit, base in
                TestConfiguration.yaml(
                    auditPath: audit, targetBase: base, store: "{kind: postgres, url: \"\(cluster.url(database))\", pool_size: 6, lease: 30s}")
            }
        }
        try await withSandboxCRM { sandbox in
            sandbox.inject(.status(400, on: "/omnichannel/", count: 1))
            try await withApplyingHookline(to: sandbox, yaml: yaml, tracing: tracing) { hookline in
                let answer = try await hookline.deliver(try RepositoryFixtures.body("standard/contact-created.json"), to: "standard")
                let eventID = try #require(answer.eventID)
                let first = try await hookline.settled()
                #expect(AuditInvariant.outcomes(of: eventID, in: first)["omnichannel"] == .failed)
                let results = try await hookline.running.redrive(RedriveRequest(outcomes: [.failed], event: eventID, by: "test"))
                #expect(results.map(\.targets) == [["omnichannel"]])
                try await eventually { tracer.finishedSpans.contains { $0.operationName == "process omnichannel" && $0.attributes.get("hookline.outcome") == .string("applied") } }
                let spans = tracer.finishedSpans
                let receive = try #require(spans.first { $0.kind == .server })
                let redrive = try #require(spans.first { $0.operationName == "redrive" })
                #expect(redrive.traceID != receive.traceID)
                #expect(redrive.links.compactMap(\.context.inMemorySpanContext?.spanID) == [receive.spanID])
                #expect(redrive.attributes.get("hookline.by") == .string("test"))
                let applied = try #require(spans.first { $0.operationName == "process omnichannel" && $0.attributes.get("hookline.outcome") == .string("applied") })
                #expect(applied.parentSpanID == redrive.spanID)
                let failed = try #require(spans.first { $0.operationName == "process omnichannel" && $0.attributes.get("hookline.outcome") == .string("failed") })
                #expect(failed.parentSpanID == receive.spanID)
                #expect(failed.status?.code == .error)
            }
        }
    }

    /// (Trusted and untrusted senders' contexts are W3C's, which InMemoryTracer does not read:
    /// `TracingProcessTests` sends them to OpenTelemetry's tracer.)
    @Test("a malformed traceparent is ignored: the delivery is accepted and its receive span starts a trace of its own")
    func malformedInbound() async throws {
        let (tracer, tracing) = Self.tracing(trust: ["standard"])
        try await withSandboxCRM { sandbox in
            try await withApplyingHookline(to: sandbox, tracing: tracing) { hookline in
                let body = try RepositoryFixtures.body("standard/contact-created.json")
                let answer = try await hookline.deliver(
                    body, to: "standard", extraHeaders: [HeaderField(name: "traceparent", value: "00-not-a-trace-01")])
                #expect(answer.status == 202)
                let receive = try #require(tracer.finishedSpans.first { $0.kind == .server })
                #expect(receive.parentSpanID == nil && receive.links.isEmpty)
            }
        }
    }
}
