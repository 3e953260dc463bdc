import HooklineCore
import Testing

@Suite("tracing: settings, the OTEL_* environment, and the trace context kept with an event")
struct TracingSettingsTests {
    static func yaml(_ tracing: String) -> String {
        ConfigurationLoaderTests.minimal + "\ntracing: \(tracing)\n"
    }

    static func plan(_ tracing: String, environment: [String: String] = [:]) throws -> TracingPlan? {
        try ConfigurationLoaderTests.load(yaml(tracing), environment: ConfigurationLoaderTests.environment.merging(environment) { $1 }).tracing.plan
    }

    static func error(_ tracing: String, environment: [String: String] = [:]) -> String? {
        ConfigurationLoaderTests.error(yaml(tracing), environment: ConfigurationLoaderTests.environment.merging(environment) { $1 })
    }

    @Test("off by default; on, the endpoint gets /v1/traces and the ratio samples new traces, following a trusted parent")
    func defaults() throws {
        #expect(try ConfigurationLoaderTests.load(ConfigurationLoaderTests.minimal).tracing.plan == nil)
        #expect(try Self.plan("{enabled: false, endpoint: http://collector:4318}") == nil)
        let plan = try #require(try Self.plan("{enabled: true, endpoint: http://collector:4318, sample_ratio: 0.25, trust_inbound: [standard]}"))
        #expect(plan.enabled)
        #expect(plan.tracesURL == "http://collector:4318/v1/traces")
        #expect(plan.sampler == .parentBasedTraceIDRatio && plan.ratio == 0.25)
        #expect(plan.trustInbound == ["standard"])
        #expect(plan.serviceName == "hookline")
        #expect(plan.wireProtocol == .protobuf)
        #expect(try Self.plan("{enabled: true}")?.tracesURL == "http://localhost:4318/v1/traces")
    }

    @Test("the OTEL_* variables work as usual: endpoints, sampler, service name, SDK off, exporter none")
    func environment() throws {
        let base = "{enabled: true, endpoint: http://collector:4318/}"
        #expect(try Self.plan(base)?.tracesURL == "http://collector:4318/v1/traces")
        #expect(try Self.plan(base, environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": "https://otel.example:4318"])?.tracesURL == "https://otel.example:4318/v1/traces")
        #expect(
            try Self.plan(base, environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": "https://a:1", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://b:2/traces"])?
                .tracesURL == "https://b:2/traces")
        let sampled = try #require(try Self.plan(base, environment: ["OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.01"]))
        #expect(sampled.sampler == .traceIDRatio && sampled.ratio == 0.01)
        #expect(try Self.plan(base, environment: ["OTEL_SERVICE_NAME": "hookline-eu"])?.serviceName == "hookline-eu")
        #expect(try Self.plan(base, environment: ["OTEL_RESOURCE_ATTRIBUTES": "deployment=eu,service.name=hl"])?.serviceName == "hl")
        #expect(try Self.plan(base, environment: ["OTEL_SDK_DISABLED": "true"])?.enabled == false)
        #expect(try Self.plan(base, environment: ["OTEL_TRACES_EXPORTER": "none"])?.tracesURL == nil)
        #expect(try Self.plan(base, environment: ["OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"])?.wireProtocol == .json)
        #expect(try Self.plan(base, environment: ["OTEL_METRICS_EXPORTER": "prometheus", "OTEL_LOGS_EXPORTER": "console"])?.enabled == true)
    }

    @Test("a variable Hookline cannot honour is a clear load error naming it, never a crash")
    func unsupported() {
        let on = "{enabled: true}"
        #expect(
            Self.error(on, environment: ["OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"])
                == "test.yaml:5: tracing: the environment's OTEL_EXPORTER_OTLP_PROTOCOL: gRPC is not built into Hookline: use http/protobuf (the collector's port 4318)")
        #expect(Self.error(on, environment: ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc"])?.contains("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: gRPC is not built") == true)
        #expect(Self.error(on, environment: ["OTEL_TRACES_EXPORTER": "jaeger"])?.contains("OTEL_TRACES_EXPORTER: 'jaeger' is not supported") == true)
        #expect(Self.error(on, environment: ["OTEL_TRACES_EXPORTER": "zipkin"]) != nil)
        #expect(Self.error(on, environment: ["OTEL_TRACES_SAMPLER": "xray"])?.contains("OTEL_TRACES_SAMPLER: 'xray' is not supported") == true)
        #expect(Self.error(on, environment: ["OTEL_TRACES_SAMPLER_ARG": "1.5"])?.contains("expected a ratio from 0 to 1") == true)
        #expect(Self.error(on, environment: ["OTEL_PROPAGATORS": "tracecontext,b3"])?.contains("OTEL_PROPAGATORS: 'b3' is not supported") == true)
        #expect(Self.error(on, environment: ["OTEL_SDK_DISABLED": "maybe"])?.contains("OTEL_SDK_DISABLED") == true)
        #expect(Self.error(on, environment: ["OTEL_BSP_SCHEDULE_DELAY": "soon"])?.contains("OTEL_BSP_SCHEDULE_DELAY") == true)
        #expect(Self.error(on, environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"])?.contains("expected an http:// or https:// URL") == true)
        // Off, the environment is not Hookline's business.
        #expect(Self.error("{enabled: false}", environment: ["OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"]) == nil)
    }

    @Test("the example configuration's tracing block, uncommented, loads as its comments say")
    func exampleFile() throws {
        let text = try ConfigurationLoaderTests.exampleText
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let start = try #require(lines.firstIndex { $0.hasPrefix("# tracing:") })
        let block = lines[start...].prefix { !$0.isEmpty }.map { String($0.dropFirst(2)) }.joined(separator: "\n")
        let plan = try #require(try ConfigurationLoaderTests.load(text + "\n" + block).tracing.plan)
        #expect(plan.tracesURL == "http://collector:4318/v1/traces" && plan.ratio == 1.0 && plan.trustInbound == ["standard"])
        #expect(try ConfigurationLoaderTests.load(text).tracing.plan == nil, "commented out, tracing is off")
    }

    @Test("the section itself is read strictly")
    func strict() {
        #expect(Self.error("{enabled: true, trust_inbound: [nobody]}")?.contains("no source named 'nobody'") == true)
        #expect(Self.error("{enabled: true, sample_ratio: 2}")?.contains("expected a number from 0.0 to 1.0") == true)
        #expect(Self.error("{enabled: true, endpoint: collector:4318}")?.contains("expected the collector's http:// or https:// URL") == true)
        #expect(Self.error("{enabled: true, endpoint: \"http://collector:4318/?key=1\"}")?.contains("without a query") == true)
        #expect(Self.error("{enabled: sometimes}")?.contains("expected true or false") == true)
        #expect(Self.error("{enabled: true, sampler: always_on}")?.contains("sampler") == true)
    }

    @Test("check-config's summary names the variables but never shows header values or credentials in the URL")
    func summary() throws {
        let plan = try #require(
            try Self.plan(
                "{enabled: true, endpoint: \"https://user:pass@collector:4318/\"}",
                environment: ["OTEL_EXPORTER_OTLP_HEADERS": "x-honeycomb-team=secret-key"]))
        let text = plan.summary.joined(separator: "\n")
        #expect(text.contains("spans to https://collector:4318/v1/traces"), "\(text)")
        #expect(text.contains("from the environment: OTEL_EXPORTER_OTLP_HEADERS"))
        #expect(!text.contains("secret-key") && !text.contains("pass"))
    }

    @Test("W3C traceparent: the spec's examples read; malformed ones do not")
    func traceParent() throws {
        let parent = try #require(TraceParent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))
        #expect(parent.traceID == "4bf92f3577b34da6a3ce929d0e0e4736" && parent.spanID == "00f067aa0ba902b7" && parent.sampled)
        #expect(TraceParent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")?.sampled == false)
        // A later version may append fields.
        #expect(TraceParent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-will-be-like") != nil)
        for bad in [
            "", "00-not-a-trace-01", "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",
        ] {
            #expect(TraceParent(bad) == nil, "\(bad)")
        }
    }

    @Test("the carrier's text: a traceparent as is, with tracestate and other tracers' headers escaped, read back whole")
    func carrier() throws {
        let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        #expect(TraceCarrier(headers: ["traceparent": parent]).text == parent)
        let withState = TraceCarrier(headers: ["traceparent": parent, "tracestate": "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"])
        let text = try #require(withState.text)
        #expect(text == parent + ";tracestate=congo%3Dt61rcWkgMzE,rojo%3D00f067aa0ba902b7")
        #expect(TraceCarrier(text: text) == withState)
        #expect(TraceCarrier(text: parent)?.traceParent?.spanID == "00f067aa0ba902b7")
        let other = TraceCarrier(headers: ["in-memory-trace-id": "trace-1", "in-memory-span-id": "span;2"])
        #expect(other.text == "in-memory-span-id=span%3B2;in-memory-trace-id=trace-1")
        #expect(TraceCarrier(text: other.text ?? "") == other)
        #expect(TraceCarrier(headers: [:]).text == nil)
        #expect(TraceCarrier(text: "") == nil)
        #expect(TraceCarrier(text: "no-equals-here") == nil)
        #expect(TraceCarrier(text: "a=%ZZ") == nil)
    }

    @Test("an opening line keeps the trace, and reads it back; the event made from it carries it")
    func auditLine() throws {
        let record = AuditRecord(
            ts: UnixTime(milliseconds: 1_764_000_000_000), outcome: .received, event: "evt_1", source: "standard", targets: ["omnichannel"],
            trace: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", payload: Array("{}".utf8))
        let line = String(decoding: record.jsonLine, as: UTF8.self)
        #expect(line.contains(#""trace":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","payload":"{}"}"#))
        #expect(try AuditRecord(jsonLine: record.jsonLine) == record)
    }
}
