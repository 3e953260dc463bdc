/// `tracing:`: OpenTelemetry traces sent over OTLP/HTTP. Off unless `enabled: true`; the standard
/// `OTEL_*` environment variables then tune it (`TracingPlan`).
package struct TracingSettings: Sendable, Hashable {
    package var enabled: Bool
    /// The collector's base URL (`http://collector:4318`); spans go to `{endpoint}/v1/traces`.
    package var endpoint: String?
    /// The share of new traces kept; a trusted sender's own decision is followed.
    package var sampleRatio: Double
    /// Sources whose `traceparent` becomes the parent of the receive span; others' is only linked.
    package var trustInbound: Set<String>
    /// What runs once the `OTEL_*` environment is applied, resolved when the file is loaded (an
    /// environment Hookline cannot honour fails the load); nil while `enabled` is false.
    package var plan: TracingPlan?

    package init(enabled: Bool = false, endpoint: String? = nil, sampleRatio: Double = 1.0, trustInbound: Set<String> = []) {
        self.enabled = enabled
        self.endpoint = endpoint
        self.sampleRatio = sampleRatio
        self.trustInbound = trustInbound
    }
}

extension ConfigurationLoader {
    /// `tracing: {enabled, endpoint, sample_ratio, trust_inbound}`.
    static func tracing(
        _ section: YAMLSection, sources: Set<String>, environment: [String: String]
    ) throws(ConfigurationError) -> TracingSettings {
        try section.checkKeys(["enabled", "endpoint", "sample_ratio", "trust_inbound"])
        var settings = TracingSettings()
        if let value = try section.bool("enabled") { settings.enabled = value }
        if let endpoint = try section.string("endpoint") {
            guard TracingPlan.isHTTPURL(endpoint) else {
                throw section.error("endpoint", "expected the collector's http:// or https:// URL, such as http://collector:4318")
            }
            guard !endpoint.contains("?"), !endpoint.contains("#") else {
                throw section.error("endpoint", "expected the collector's base URL without a query (spans go to its /v1/traces)")
            }
            settings.endpoint = endpoint
        }
        if let ratio = try section.double("sample_ratio", range: 0...1) { settings.sampleRatio = ratio }
        for name in try section.strings("trust_inbound") ?? [] {
            guard sources.contains(name) else {
                throw section.error("trust_inbound", "no source named '\(name)' (sources: \(sources.sorted().joined(separator: ", ")))")
            }
            settings.trustInbound.insert(name)
        }
        if settings.enabled {
            do {
                settings.plan = try TracingPlan.resolve(settings, environment: environment)
            } catch {
                throw section.error(nil, "the environment's \(error.description)")
            }
        }
        return settings
    }
}

/// What tracing will do once the `OTEL_*` environment is applied over `tracing:` — decided before
/// anything starts, so a variable Hookline cannot honour is a clear start-up error (the
/// OpenTelemetry library would stop the process on some of them, or ignore them with a warning).
///
/// Hookline is built with OTLP/HTTP only (no gRPC), exports traces only (its logs and metrics are
/// its own), and propagates W3C Trace Context.
package struct TracingPlan: Sendable, Hashable {
    package enum Sampler: String, Sendable, Hashable, CaseIterable {
        case alwaysOn = "always_on"
        case alwaysOff = "always_off"
        case traceIDRatio = "traceidratio"
        case parentBasedAlwaysOn = "parentbased_always_on"
        case parentBasedAlwaysOff = "parentbased_always_off"
        case parentBasedTraceIDRatio = "parentbased_traceidratio"
    }

    package enum WireProtocol: String, Sendable, Hashable {
        case protobuf = "http/protobuf"
        case json = "http/json"
    }

    /// False when `tracing.enabled` is false or `OTEL_SDK_DISABLED=true`: no span is made.
    package var enabled: Bool
    /// Where spans go (the full URL, `/v1/traces` included); nil when `OTEL_TRACES_EXPORTER=none`.
    package var tracesURL: String?
    package var wireProtocol: WireProtocol
    package var sampler: Sampler
    /// The ratio for the ratio samplers.
    package var ratio: Double
    package var serviceName: String
    /// Sources whose inbound `traceparent` is a parent.
    package var trustInbound: Set<String>
    /// Names of the `OTEL_*` variables that set something (headers are never shown, only named).
    package var fromEnvironment: [String]

    /// The default service name when neither `OTEL_SERVICE_NAME` nor `service.name` is set.
    package static let defaultServiceName = "hookline"

    /// The plan for `settings` under `environment`, or the one problem that stops it.
    package static func resolve(_ settings: TracingSettings, environment: [String: String]) throws(TracingPlanError) -> TracingPlan {
        let otel = environment.filter { $0.key.hasPrefix("OTEL_") }
        var plan = TracingPlan(
            enabled: settings.enabled, tracesURL: nil, wireProtocol: .protobuf,
            sampler: .parentBasedTraceIDRatio, ratio: settings.sampleRatio, serviceName: defaultServiceName,
            trustInbound: settings.trustInbound, fromEnvironment: otel.keys.sorted())

        if let disabled = otel["OTEL_SDK_DISABLED"] {
            switch disabled.lowercased() {
            case "true": plan.enabled = false
            case "false", "": break
            default: throw TracingPlanError(variable: "OTEL_SDK_DISABLED", problem: "expected true or false, got '\(disabled)'")
            }
        }

        // The exporter: OTLP or none. Logs and metrics exporters are not Hookline's concern.
        var exports = true
        if let exporter = otel["OTEL_TRACES_EXPORTER"]?.trimmed {
            switch exporter.lowercased() {
            case "otlp", "": break
            case "none": exports = false
            default:
                throw TracingPlanError(
                    variable: "OTEL_TRACES_EXPORTER",
                    problem: "'\(exporter)' is not supported: Hookline exports traces over OTLP/HTTP only (otlp, or none)")
            }
        }
        for variable in ["OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] {
            guard let value = otel[variable]?.trimmed else { continue }
            guard let parsed = WireProtocol(rawValue: value.lowercased()) else {
                let why =
                    value.lowercased() == "grpc"
                    ? "gRPC is not built into Hookline: use http/protobuf (the collector's port 4318)"
                    : "expected http/protobuf or http/json, got '\(value)'"
                throw TracingPlanError(variable: variable, problem: why)
            }
            plan.wireProtocol = parsed
        }

        // Where to: the signal's own variable as is; the shared one, or tracing.endpoint, with /v1/traces.
        func base(_ url: String) -> String { url.hasSuffix("/") ? "\(url)v1/traces" : "\(url)/v1/traces" }
        var url = base(settings.endpoint ?? "http://localhost:4318")
        if let shared = otel["OTEL_EXPORTER_OTLP_ENDPOINT"]?.trimmed {
            guard isHTTPURL(shared) else {
                throw TracingPlanError(variable: "OTEL_EXPORTER_OTLP_ENDPOINT", problem: "expected an http:// or https:// URL")
            }
            url = base(shared)
        }
        if let own = otel["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]?.trimmed {
            guard isHTTPURL(own) else {
                throw TracingPlanError(variable: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", problem: "expected an http:// or https:// URL")
            }
            url = own
        }
        plan.tracesURL = exports ? url : nil

        if let name = otel["OTEL_TRACES_SAMPLER"]?.trimmed {
            guard let sampler = Sampler(rawValue: name.lowercased()) else {
                throw TracingPlanError(
                    variable: "OTEL_TRACES_SAMPLER",
                    problem: "'\(name)' is not supported; use one of \(Sampler.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            plan.sampler = sampler
        }
        if let argument = otel["OTEL_TRACES_SAMPLER_ARG"]?.trimmed {
            guard let ratio = Double(argument), (0...1).contains(ratio) else {
                throw TracingPlanError(variable: "OTEL_TRACES_SAMPLER_ARG", problem: "expected a ratio from 0 to 1, got '\(argument)'")
            }
            if plan.sampler == .traceIDRatio || plan.sampler == .parentBasedTraceIDRatio { plan.ratio = ratio }
        }
        if let propagators = otel["OTEL_PROPAGATORS"] {
            for name in propagators.split(separator: ",").map({ String($0).trimmed }) where name.lowercased() != "tracecontext" {
                throw TracingPlanError(
                    variable: "OTEL_PROPAGATORS",
                    problem:
                        "'\(name)' is not supported: Hookline carries each trace through its queue and to the CRMs as W3C Trace Context (tracecontext)"
                )
            }
        }
        for variable in [
            "OTEL_BSP_SCHEDULE_DELAY", "OTEL_BSP_EXPORT_TIMEOUT", "OTEL_BSP_MAX_QUEUE_SIZE", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
            "OTEL_EXPORTER_OTLP_TIMEOUT", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
        ] {
            guard let value = otel[variable]?.trimmed else { continue }
            guard let number = Int(value), number >= 0 else {
                throw TracingPlanError(variable: variable, problem: "expected a whole number (milliseconds or a count), got '\(value)'")
            }
        }
        for variable in ["OTEL_EXPORTER_OTLP_COMPRESSION", "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION"] {
            guard let value = otel[variable]?.trimmed, !["gzip", "none", ""].contains(value.lowercased()) else { continue }
            throw TracingPlanError(variable: variable, problem: "expected gzip or none, got '\(value)'")
        }
        if let name = otel["OTEL_SERVICE_NAME"]?.trimmed, !name.isEmpty {
            plan.serviceName = name
        } else if let attributes = otel["OTEL_RESOURCE_ATTRIBUTES"] {
            for pair in attributes.split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).trimmed }
                if parts.count == 2, parts[0] == "service.name", !parts[1].isEmpty { plan.serviceName = parts[1] }
            }
        }
        return plan
    }

    /// What `check-config` prints: the settings in effect, no header values.
    package var summary: [String] {
        guard enabled else {
            return fromEnvironment.contains("OTEL_SDK_DISABLED") ? ["off (OTEL_SDK_DISABLED)"] : ["off"]
        }
        var lines = [
            "spans to \(tracesURL.map(Self.shown) ?? "nowhere (OTEL_TRACES_EXPORTER=none)") over OTLP/HTTP (\(wireProtocol.rawValue)), service \(serviceName)",
            "sampling: \(samplerDescription)",
            trustInbound.isEmpty
                ? "no source's traceparent is trusted: each is linked, never a parent"
                : "traceparent trusted as the parent from: \(trustInbound.sorted().joined(separator: ", ")); others are linked",
        ]
        if !fromEnvironment.isEmpty { lines.append("from the environment: \(fromEnvironment.joined(separator: ", "))") }
        return lines
    }

    private var samplerDescription: String {
        let percent = "\(ratio * 100)%"
        return switch sampler {
        case .alwaysOn: "every trace"
        case .alwaysOff: "no trace"
        case .traceIDRatio: "\(percent) of traces, whatever a sender decided"
        case .parentBasedAlwaysOn: "every new trace; a trusted sender's decision is followed"
        case .parentBasedAlwaysOff: "no new trace; a trusted sender's decision is followed"
        case .parentBasedTraceIDRatio: "\(percent) of new traces; a trusted sender's decision is followed"
        }
    }

    /// A URL as printed: without user info or query, which may hold credentials.
    static func shown(_ url: String) -> String {
        URLParts(url)?.withoutQuery ?? String(url.prefix { $0 != "?" && $0 != "#" })
    }

    package static func isHTTPURL(_ text: String) -> Bool {
        (text.hasPrefix("http://") || text.hasPrefix("https://")) && text.count > "https://".count - 1
    }
}

/// An `OTEL_*` variable Hookline cannot honour.
package struct TracingPlanError: Error, Sendable, Hashable, CustomStringConvertible {
    package let variable: String
    package let problem: String

    package var description: String { "\(variable): \(problem)" }
}

extension String {
    /// Without leading and trailing spaces and tabs (`trimmingWhitespace`), as a String.
    fileprivate var trimmed: String { String(trimmingWhitespace()) }
}
