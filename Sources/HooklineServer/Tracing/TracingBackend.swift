import HooklineCore
import Logging
import OTel
import ServiceLifecycle
import Tracing

/// OpenTelemetry's tracer and exporter for a `TracingPlan`: spans are batched and sent over
/// OTLP/HTTP by a service that runs first in the runtime's group, so it stops last and sends the
/// spans of the workers that drain before it. Nothing is bootstrapped globally: the tracer is
/// handed to the parts that make spans. swift-otel's own logs and metrics stay off (Hookline keeps
/// its JSON logs and Prometheus metrics), and what it has to say goes to Hookline's log.
enum TracingBackend {
    static func make(plan: TracingPlan, logger: Logger) throws -> (tracing: HooklineTracing, service: any Service) {
        var configuration = OTel.Configuration.default
        configuration.serviceName = plan.serviceName
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        configuration.propagators = [.traceContext]
        var diagnostics = logger
        diagnostics[metadataKey: "component"] = "otel"
        configuration.diagnosticLogger = .custom(diagnostics)
        configuration.diagnosticLogLevel = .warning
        if let url = plan.tracesURL {
            configuration.traces.exporter = .otlp
            configuration.traces.otlpExporter.endpoint = url
            configuration.traces.otlpExporter.protocol = plan.wireProtocol == .json ? .httpJSON : .httpProtobuf
        } else {
            configuration.traces.exporter = .none
        }
        let sampler: OTel.Configuration.TracesConfiguration.SamplerConfiguration? =
            switch plan.sampler {
            case .alwaysOn: .alwaysOn
            case .alwaysOff: .alwaysOff
            case .traceIDRatio: .traceIDRatio(ratio: plan.ratio)
            case .parentBasedAlwaysOn: .parentBasedAlwaysOn
            case .parentBasedAlwaysOff: .parentBasedAlwaysOff
            case .parentBasedTraceIDRatio: .parentBasedTraceIDRatio(ratio: plan.ratio)
            }
        configuration.traces.sampler = sampler ?? .parentBasedAlwaysOn
        // The OTEL_* environment is applied over this by swift-otel itself, as TracingPlan read it.
        let backend = try OTel.makeTracingBackend(configuration: configuration)
        return (HooklineTracing(tracer: backend.factory, trustInbound: plan.trustInbound), backend.service)
    }
}
