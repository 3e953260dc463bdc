import Foundation
import HooklineCore
import HooklineSandbox
import HooklineServer
import HooklineTestSupport
import HooklineTools
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `hookline serve` with tracing on, sending its spans to a real OTLP/HTTP receiver
/// (`Tests/Tracing/otlp_receiver.py`, which decodes `ExportTraceServiceRequest` with PyPI's
/// opentelemetry-proto), the sandbox as the CRM.
@Suite("traces, against a real OTLP receiver", .serialized, .timeLimit(.minutes(4)))
struct TracingProcessTests {
    static let secret = LoadHarness.secret
    /// A sender's trace: its id must become the receive span's for a trusted source.
    static let senderTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
    static let senderParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    static let outsiderTrace = "0af7651916cd43dd8448eb211c80319c"
    static let outsiderParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

    static func yaml(port: Int, directory: String, receiver: Int, sandbox: SandboxCRM, store: String? = nil) -> String {
        """
        server: {host: 127.0.0.1, port: \(port), drain_timeout: 5s}
        audit: {path: "\(directory)/audit.jsonl"}
        \(store ?? "")
        retry: {base_delay: 50ms, max_delay: 100ms, max_attempts: 5, max_age: 1m}
        tracing: {enabled: true, endpoint: "http://127.0.0.1:\(receiver)", sample_ratio: 1.0, trust_inbound: [standard]}
        sources:
          - {name: standard, kind: standard, signature: {scheme: standard-webhooks, secret: "\(secret)"}}
          - {name: outside, kind: standard, signature: {scheme: standard-webhooks, secret: "\(secret)"}}
        targets:
          - {name: omnichannel, kind: omnichannel, base_url: "\(sandbox.baseURL)/omnichannel", api_key: omni-key, timeout: 1s}
        routes:
          - {from: standard, to: omnichannel, contact_id: source_id}
          - {from: outside, to: omnichannel, contact_id: source_id}
        """
    }

    /// Writes `hookline.yaml` in `directory` for a free port; the port and the configuration read back.
    static func configure(_ directory: TemporaryDirectory, receiver: OTLPReceiver, sandbox: SandboxCRM) throws -> (Int, HooklineConfiguration) {
        let port = try ServeProcessTests.freePort()
        let yaml = Self.yaml(port: port, directory: directory.path, receiver: receiver.port, sandbox: sandbox)
        try yaml.write(toFile: directory.file("hookline.yaml"), atomically: true, encoding: .utf8)
        return (port, try ConfigurationLoader.load(yaml: yaml, file: directory.file("hookline.yaml"), environment: [:]))
    }

    /// The trace context the first `received` line kept.
    static func receivedTrace(_ path: String) throws -> String? {
        var trace: String?
        _ = try AuditLogReader.forEachRecord(in: path) { record in
            if trace == nil, record.outcome == .received { trace = record.trace }
        }
        return trace
    }

    @Test(
        "a trusted sender's trace runs through the receive span, both attempts and the CRM calls; the CRM gets traceparent; the logs carry trace_id; an outsider's is a link"
    )
    func endToEnd() async throws {
        let directory = try TemporaryDirectory()
        let receiver = try await OTLPReceiver.start(out: directory.file("spans.jsonl"))
        defer { receiver.stop() }
        try await withSandboxCRM { sandbox in
            let (port, configuration) = try Self.configure(directory, receiver: receiver, sandbox: sandbox)
            let serve = try await ServeProcess.start(config: directory.file("hookline.yaml"), log: directory.file("serve.log"), port: port)
            defer { serve.killNow() }

            // The first call fails, the second gets through.
            sandbox.inject(.status(503, on: "/omnichannel/contacts/144", count: 1))
            let url = "http://127.0.0.1:\(port)/webhooks/"
            let trusted = try await WebhookDeliverer().deliver(
                LoadHarness.body("144", 1), to: url + "standard", source: configuration.sources[0],
                extraHeaders: [HeaderField(name: "traceparent", value: Self.senderParent)])
            #expect(trusted.status == 202)
            let outsider = try await WebhookDeliverer().deliver(
                LoadHarness.body("2279", 1), to: url + "outside", source: configuration.sources[1],
                extraHeaders: [HeaderField(name: "traceparent", value: Self.outsiderParent)])
            #expect(outsider.status == 202)
            // A malformed traceparent is ignored, never a 400.
            let malformed = try await WebhookDeliverer().deliver(
                LoadHarness.body("48213", 1), to: url + "standard", source: configuration.sources[0],
                extraHeaders: [HeaderField(name: "traceparent", value: "00-not-a-trace-01")])
            #expect(malformed.status == 202)
            try await eventuallyTrue {
                try RedriveProcessTests.outcomes(directory.file("audit.jsonl"), event: trusted.eventID).last == .applied
                    && RedriveProcessTests.outcomes(directory.file("audit.jsonl"), event: outsider.eventID).last == .applied
                    && RedriveProcessTests.outcomes(directory.file("audit.jsonl"), event: malformed.eventID).last == .applied
            }
            #expect(await serve.terminate() == 0)

            let spans = try receiver.spans()
            let trace = spans.filter { $0.traceID == Self.senderTrace }
            let receive = try #require(trace.first { $0.kind == "server" }, "the receive span joined the sender's trace: \(spans.map(\.name))")
            #expect(receive.parentSpanID == "00f067aa0ba902b7")
            #expect(receive.name == "POST /webhooks/{source}")
            #expect(receive.attributes["http.request.method"] as? String == "POST")
            #expect(receive.attributes["http.route"] as? String == "/webhooks/{source}")
            #expect(receive.attributes["http.response.status_code"] as? Int == 202)
            #expect(receive.attributes["hookline.source"] as? String == "standard")
            #expect(receive.attributes["hookline.event_id"] as? String == trusted.eventID)
            #expect(receive.attributes["messaging.message.id"] != nil)
            #expect(trace.contains { $0.name == "verify" && $0.parentSpanID == receive.spanID })
            #expect(trace.contains { $0.name == "journal" && $0.parentSpanID == receive.spanID })

            let attempts = trace.filter { $0.kind == "consumer" }.sorted { ($0.attributes["hookline.attempt"] as? Int ?? 0) < ($1.attributes["hookline.attempt"] as? Int ?? 0) }
            #expect(attempts.count == 2, "\(trace.map(\.name))")
            #expect(attempts.allSatisfy { $0.parentSpanID == receive.spanID })
            #expect(attempts.map { $0.attributes["hookline.outcome"] as? String } == ["retry", "applied"])
            #expect(attempts.first?.attributes["hookline.retry_in_ms"] != nil)
            #expect(attempts.allSatisfy { $0.attributes["messaging.operation.type"] as? String == "process" })
            #expect(attempts.allSatisfy { $0.attributes["messaging.destination.name"] as? String == "omnichannel" })
            let calls = trace.filter { $0.kind == "client" }
            #expect(calls.count == 2)
            #expect(Set(calls.map(\.parentSpanID)) == Set(attempts.map(\.spanID)))
            #expect(calls.map { $0.attributes["http.response.status_code"] as? Int }.sorted { ($0 ?? 0) < ($1 ?? 0) } == [200, 503])
            for call in calls {
                let full = call.attributes["url.full"] as? String ?? ""
                #expect(full.hasPrefix(sandbox.baseURL + "/omnichannel/") && !full.contains("?"), "\(full)")
                #expect(!call.attributes.values.contains { "\($0)".contains("omni-key") }, "no secret in a span")
            }

            // The CRM saw the calls' own contexts.
            let received = sandbox.requests(pathPrefix: "/omnichannel/contacts/144").compactMap { $0.header("traceparent") }
            #expect(received.count == 2)
            #expect(Set(received) == Set(calls.map { "00-\(Self.senderTrace)-\($0.spanID)-01" }))

            // The log lines of the attempts carry the trace.
            let log = try String(contentsOfFile: directory.file("serve.log"), encoding: .utf8)
            let traced = log.split(separator: "\n").filter { $0.contains(#""trace_id":"\#(Self.senderTrace)""#) }
            #expect(traced.contains { $0.contains("retrying") } && traced.contains { $0.contains("applied at omnichannel") }, "\(log.suffix(2000))")

            // An outsider's context is a link, never the parent.
            #expect(!spans.contains { $0.traceID == Self.outsiderTrace })
            let outside = try #require(spans.first { $0.kind == "server" && $0.attributes["hookline.source"] as? String == "outside" })
            #expect(outside.parentSpanID.isEmpty)
            #expect(outside.links.map(\.traceID) == [Self.outsiderTrace])
            #expect(spans.filter { $0.traceID == outside.traceID && $0.kind == "consumer" }.count == 1)
            // The malformed one started a trace of its own, with no link.
            let own = try #require(spans.first { $0.kind == "server" && $0.attributes["hookline.event_id"] as? String == malformed.eventID })
            #expect(own.parentSpanID.isEmpty && own.links.isEmpty)
        }
    }

    @Test("check-config shows the tracing settings; an OTEL_* value Hookline cannot honour stops serve with exit 2 and a sentence, never a crash")
    func configuration() async throws {
        let directory = try TemporaryDirectory()
        try await withSandboxCRM { sandbox in
            let path = directory.file("hookline.yaml")
            try Self.yaml(port: 0, directory: directory.path, receiver: 4318, sandbox: sandbox).write(toFile: path, atomically: true, encoding: .utf8)
            let good = try await ServeProcessTests.run(["check-config", path], environment: ["OTEL_EXPORTER_OTLP_HEADERS": "x-api-key=s3cret"])
            #expect(good.status == 0, "\(good.error)")
            #expect(good.output.contains("  tracing    spans to http://127.0.0.1:4318/v1/traces over OTLP/HTTP (http/protobuf), service hookline"), "\(good.output)")
            #expect(good.output.contains("traceparent trusted as the parent from: standard; others are linked"))
            #expect(good.output.contains("from the environment: OTEL_EXPORTER_OTLP_HEADERS") && !good.output.contains("s3cret"))

            for (variable, value, says) in [
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc", "gRPC is not built into Hookline"),
                ("OTEL_TRACES_EXPORTER", "zipkin", "'zipkin' is not supported"),
                ("OTEL_PROPAGATORS", "b3", "'b3' is not supported"),
                ("OTEL_TRACES_SAMPLER", "parentbased_jaeger_remote", "is not supported"),
            ] {
                let refused = try await ServeProcessTests.run(["serve", "--config", path], environment: [variable: value])
                #expect(refused.status == 2, "\(variable)=\(value): \(refused.error)")
                #expect(refused.error.contains("tracing: the environment's \(variable): ") && refused.error.contains(says), "\(refused.error)")
            }
        }
    }

    @Test("a crash between accept and apply: after SIGKILL and a restart, the attempts still join the original trace")
    func crashBetweenAcceptAndApply() async throws {
        let directory = try TemporaryDirectory()
        let receiver = try await OTLPReceiver.start(out: directory.file("spans.jsonl"))
        defer { receiver.stop() }
        try await withSandboxCRM { sandbox in
            let (port, configuration) = try Self.configure(directory, receiver: receiver, sandbox: sandbox)
            // The target holds every call, so the event is accepted and still owed when the process dies.
            sandbox.inject(SandboxFault(pathPrefix: "/omnichannel/", action: .delay(.seconds(30)), count: .max))
            let first = try await ServeProcess.start(config: directory.file("hookline.yaml"), log: directory.file("serve-1.log"), port: port)
            let accepted = try await WebhookDeliverer().deliver(
                LoadHarness.body("144", 1), to: "http://127.0.0.1:\(port)/webhooks/standard", source: configuration.sources[0],
                extraHeaders: [HeaderField(name: "traceparent", value: Self.senderParent)])
            #expect(accepted.status == 202)
            try await eventuallyTrue { !sandbox.requests(pathPrefix: "/omnichannel/contacts/144").isEmpty }
            await first.kill()

            sandbox.clearFaults()
            let second = try await ServeProcess.start(config: directory.file("hookline.yaml"), log: directory.file("serve-2.log"), port: port)
            defer { second.killNow() }
            try await eventuallyTrue { try RedriveProcessTests.outcomes(directory.file("audit.jsonl"), event: accepted.eventID).last == .applied }
            #expect(await second.terminate() == 0)

            // The first process's spans may be lost with it; the second's join the trace the event kept.
            let trace = try receiver.spans().filter { $0.traceID == Self.senderTrace }
            let attempt = try #require(trace.first { $0.kind == "consumer" && $0.attributes["hookline.outcome"] as? String == "applied" })
            #expect(attempt.attributes["hookline.event_id"] as? String == accepted.eventID)
            let stored = try #require(try Self.receivedTrace(directory.file("audit.jsonl")))
            let parent = try #require(TraceParent(stored))
            #expect(parent.traceID == Self.senderTrace)
            #expect(attempt.parentSpanID == parent.spanID, "the attempt's parent is the receive span the event kept")
        }
    }

    @Test("on PostgreSQL, an event accepted on one instance and applied on another is one trace")
    func acrossInstances() async throws {
        let cluster = try await PostgresCluster.shared()
        let database = cluster.url(try await cluster.createDatabase())
        let first = try TemporaryDirectory(), second = try TemporaryDirectory()
        let receiver = try await OTLPReceiver.start(out: first.file("spans.jsonl"))
        defer { receiver.stop() }
        try await withSandboxCRM { sandbox in
            let store = "store: {kind: postgres, url: \"\(database)\", lease: 3s}"
            let ports = [try ServeProcessTests.freePort(), try ServeProcessTests.freePort()]
            for (index, directory) in [first, second].enumerated() {
                try Self.yaml(port: ports[index], directory: directory.path, receiver: receiver.port, sandbox: sandbox, store: store)
                    .write(toFile: directory.file("hookline.yaml"), atomically: true, encoding: .utf8)
            }
            let configuration = try ConfigurationLoader.load(
                yaml: try String(contentsOfFile: first.file("hookline.yaml"), encoding: .utf8), file: first.file("hookline.yaml"), environment: [:])
            // The accepting instance has no route to apply with (its workers are paused below),
            // so the other one applies: instance A accepts, then stops before applying.
            sandbox.inject(SandboxFault(pathPrefix: "/omnichannel/", action: .delay(.seconds(30)), count: .max))
            let accepting = try await ServeProcess.start(config: first.file("hookline.yaml"), log: first.file("serve.log"), port: ports[0])
            let accepted = try await WebhookDeliverer().deliver(
                LoadHarness.body("144", 1), to: "http://127.0.0.1:\(ports[0])/webhooks/standard", source: configuration.sources[0],
                extraHeaders: [HeaderField(name: "traceparent", value: Self.senderParent)])
            #expect(accepted.status == 202)
            try await eventuallyTrue { !sandbox.requests(pathPrefix: "/omnichannel/contacts/144").isEmpty }
            await accepting.kill()
            sandbox.clearFaults()
            // The other instance takes the lane over once the lease runs out, and applies.
            let applying = try await ServeProcess.start(config: second.file("hookline.yaml"), log: second.file("serve.log"), port: ports[1])
            defer { applying.killNow() }
            try await eventuallyTrue(timeout: .seconds(30)) {
                try RedriveProcessTests.outcomes(second.file("audit.jsonl"), event: accepted.eventID).last == .applied
            }
            #expect(await applying.terminate() == 0)

            let trace = try receiver.spans().filter { $0.traceID == Self.senderTrace }
            let attempt = try #require(trace.first { $0.kind == "consumer" && $0.attributes["hookline.outcome"] as? String == "applied" })
            #expect(attempt.attributes["hookline.event_id"] as? String == accepted.eventID)
            let stored = try #require(try Self.receivedTrace(first.file("audit.jsonl")))
            #expect(attempt.parentSpanID == TraceParent(stored)?.spanID, "the applying instance's attempt is a child of the accepting instance's receive span")
            #expect(trace.contains { $0.kind == "client" && $0.parentSpanID == attempt.spanID })
        }
    }
}

/// `hookline serve --log-format json --log-level debug` as a child process, its log in a file.
struct ServeProcess {
    let process: Process

    static func start(config: String, log: String, port: Int, environment: [String: String] = [:]) async throws -> ServeProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try ServeProcessTests.binary())
        process.arguments = ["serve", "--config", config, "--log-format", "json", "--log-level", "debug"]
        // Spans are sent every 200 ms rather than every 5 s; SIGTERM sends what is left.
        process.environment = ProcessInfo.processInfo.environment.merging(["OTEL_BSP_SCHEDULE_DELAY": "200"].merging(environment) { $1 }) { $1 }
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: log)
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        let serving = ServeProcess(process: process)
        // Waits for the listener without an HTTP client of its own (the harness's is shared).
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if (try? String(contentsOfFile: log, encoding: .utf8))?.contains("\"listening\"") == true { return serving }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        await serving.kill()
        throw ProcessTestError("hookline serve did not start listening on \(port): \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
    }

    /// SIGKILL, and waits for it to be gone.
    func kill() async { await process.killed() }

    /// SIGKILL without waiting: for a `defer`, when a test ends early.
    func killNow() { process.killNow() }

    /// SIGTERM; the exit status, once it has drained and exited.
    func terminate() async -> Int32 { await process.terminated() }
}

/// The Python OTLP receiver as a child process, and the spans it wrote.
struct OTLPReceiver {
    let process: Process
    let port: Int
    let out: String
    let input: Pipe

    struct ReceivedSpan {
        let traceID: String
        let spanID: String
        let parentSpanID: String
        let name: String
        let kind: String
        let attributes: [String: Any]
        let links: [(traceID: String, spanID: String)]
    }

    static func start(out: String) async throws -> OTLPReceiver {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Tracing/otlp_receiver.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, "--out", out]
        let output = Pipe(), input = Pipe()
        process.standardOutput = output
        process.standardInput = input
        try process.run()
        // Its first line says where it listens (read on a thread of its own: Python takes a while).
        let reading = output.fileHandleForReading
        let text = try await offThePool {
            var line = Data()
            while let byte = try reading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) { line += byte }
            return String(decoding: line, as: UTF8.self)
        }
        guard text.hasPrefix("listening on "), let port = Int(text.dropFirst("listening on ".count)) else {
            process.terminate()
            throw ProcessTestError("the OTLP receiver did not start (is opentelemetry-proto installed?): \(text)")
        }
        return OTLPReceiver(process: process, port: port, out: out, input: input)
    }

    func spans() throws -> [ReceivedSpan] {
        let text = try String(contentsOfFile: out, encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw ProcessTestError("not a span: \(line)")
            }
            let links = (object["links"] as? [[String: Any]] ?? []).map { ($0["trace_id"] as? String ?? "", $0["span_id"] as? String ?? "") }
            return ReceivedSpan(
                traceID: object["trace_id"] as? String ?? "", spanID: object["span_id"] as? String ?? "",
                parentSpanID: object["parent_span_id"] as? String ?? "", name: object["name"] as? String ?? "",
                kind: object["kind"] as? String ?? "", attributes: object["attributes"] as? [String: Any] ?? [:], links: links)
        }
    }

    /// Its input closed, it writes what it has and exits on its own (Foundation reaps it).
    func stop() {
        try? input.fileHandleForWriting.close()
    }
}
