import HooklineCore
import Logging
import NIOHTTP1
import Tracing

/// Hookline's spans, over any tracer (OpenTelemetry's in `serve`, `InMemoryTracer` in tests):
/// one trace from the sender's request, through the queue (the receive span's context is kept
/// with the event, `TraceCarrier`), to every attempt and every CRM call it caused.
///
/// Nil wherever tracing is off: then no span is made and no header read.
package struct HooklineTracing: Sendable {
    package let tracer: any Tracer
    /// Sources whose `traceparent` is the receive span's parent; any other's is only a link.
    package let trustInbound: Set<String>

    package init(tracer: any Tracer, trustInbound: Set<String>) {
        self.tracer = tracer
        self.trustInbound = trustInbound
    }

    // MARK: Context as text

    /// The headers the tracer propagates `context` in.
    private func injected(_ context: ServiceContext) -> TraceCarrier {
        var headers: [String: String] = [:]
        tracer.inject(context, into: &headers, using: DictionaryInjector())
        return TraceCarrier(headers: headers)
    }

    /// The context as the text kept with an event.
    package func carrier(of context: ServiceContext) -> String? { injected(context).text }

    /// The context kept with an event, or nil when there is none (tracing was off when it came).
    package func context(fromCarrier text: String?) -> ServiceContext? {
        guard let text, let carrier = TraceCarrier(text: text) else { return nil }
        var context = ServiceContext.topLevel
        tracer.extract(carrier.headers, into: &context, using: DictionaryExtractor())
        return context
    }

    /// `trace_id` and `span_id` for the log lines written under `span`.
    package func logMetadata(_ span: (any Span)?) -> Logger.Metadata {
        guard let span, let parent = injected(span.context).traceParent else { return [:] }
        return ["trace_id": .string(parent.traceID), "span_id": .string(parent.spanID)]
    }

    // MARK: Receive

    /// The sender's W3C trace context, when its request carries exactly one well-formed
    /// `traceparent`; anything else is ignored (never an error: the delivery is what matters).
    static func inbound(_ headers: HTTPHeaders) -> [String: String]? {
        let parents = headers["traceparent"]
        guard parents.count == 1, let parent = parents.first, TraceParent(parent) != nil else { return nil }
        var carrier = ["traceparent": parent]
        let states = headers["tracestate"]
        if states.count == 1, let state = states.first, state.utf8.count <= 512 { carrier["tracestate"] = state }
        return carrier
    }

    /// The SERVER span of one request to `/webhooks/{source}`. A trusted source's trace context is
    /// its parent; another's is recorded as a link only, so an outside sender cannot join its
    /// spans to Hookline's trace or steer what is sampled.
    package func startReceive(source: String?, method: String, headers: HTTPHeaders) -> any Span {
        var sender: ServiceContext?
        if let carrier = Self.inbound(headers) {
            var context = ServiceContext.topLevel
            tracer.extract(carrier, into: &context, using: DictionaryExtractor())
            sender = context
        }
        let trusted = source.map(trustInbound.contains) ?? false
        let span = tracer.startSpan("\(method) /webhooks/{source}", context: (trusted ? sender : nil) ?? .topLevel, ofKind: .server)
        if !trusted, let sender {
            span.addLink(SpanLink(context: sender, attributes: ["hookline.link": "inbound traceparent of an untrusted source"]))
        }
        span.updateAttributes { attributes in
            attributes["http.request.method"] = SpanAttribute.string(method)
            attributes["http.route"] = "/webhooks/{source}"
            attributes["url.scheme"] = "http"
            if let source { attributes["hookline.source"] = SpanAttribute.string(source) }
        }
        return span
    }

    /// Ends a receive span with the answer it got; nil when the connection closed first.
    package static func endReceive(_ span: any Span, status: Int?) {
        span.updateAttributes { attributes in
            if let status {
                attributes["http.response.status_code"] = SpanAttribute.int(Int64(status))
                if status >= 400 { attributes["error.type"] = SpanAttribute.string(String(status)) }
            } else {
                attributes["error.type"] = "connection_closed"
            }
        }
        if (status ?? 500) >= 500 { span.setStatus(SpanStatus(code: .error)) }
        span.end()
    }

    /// A child of `parent` for one step of the request (`verify`, the journal write).
    package func startStep(_ name: String, parent: any Span) -> any Span {
        tracer.startSpan(name, context: parent.context, ofKind: .internal)
    }

    // MARK: Attempts

    /// One attempt at one target: a child of the span that accepted the event (or redrove it),
    /// found through the context kept with the event — in this process or another.
    package func startAttempt(_ job: Job, number: Int) -> any Span {
        let event = job.event
        let span = tracer.startSpan("process \(job.target)", context: context(fromCarrier: event.trace) ?? .topLevel, ofKind: .consumer)
        span.updateAttributes { attributes in
            attributes["messaging.system"] = "hookline"
            attributes["messaging.operation.type"] = "process"
            attributes["messaging.destination.name"] = SpanAttribute.string(job.target)
            attributes["messaging.message.id"] = SpanAttribute.string(event.messageID ?? event.id)
            attributes["hookline.event_id"] = SpanAttribute.string(event.id)
            attributes["hookline.source"] = SpanAttribute.string(event.source)
            attributes["hookline.attempt"] = SpanAttribute.int(Int64(number))
        }
        return span
    }

    /// What became of an attempt: its audit line's outcome, the target's last status, and when
    /// it is tried again.
    package static func noteAttempt(_ span: any Span, outcome: String, status: Int?, retryIn: Duration?, error: String?) {
        span.updateAttributes { attributes in
            attributes["hookline.outcome"] = SpanAttribute.string(outcome)
            if let status { attributes["http.response.status_code"] = SpanAttribute.int(Int64(status)) }
            if let retryIn { attributes["hookline.retry_in_ms"] = SpanAttribute.int(retryIn.wholeMilliseconds) }
            if error != nil, outcome != "applied", outcome != "skipped" {
                attributes["error.type"] = SpanAttribute.string(status.map(String.init) ?? outcome)
            }
        }
        if let error, ["retry", "failed", "dead"].contains(outcome) { span.setStatus(SpanStatus(code: .error, message: error)) }
    }

    // MARK: CRM calls

    /// The CLIENT span of one call to a CRM (or its token endpoint), a child of `parent`, its
    /// `traceparent` added to the call's headers. The URL is kept without the query (where some
    /// APIs take a key) and without any user info; no header is recorded.
    package func startCall(_ call: inout TargetCall, url: String, target: String, parent: any Span) -> any Span {
        let span = tracer.startSpan(call.method, context: parent.context, ofKind: .client)
        let parts = URLParts(url)
        span.updateAttributes { attributes in
            attributes["http.request.method"] = SpanAttribute.string(call.method)
            attributes["hookline.target"] = SpanAttribute.string(target)
            if let parts {
                attributes["url.full"] = SpanAttribute.string(parts.withoutQuery)
                attributes["url.scheme"] = SpanAttribute.string(parts.scheme)
                attributes["server.address"] = SpanAttribute.string(parts.host)
                attributes["server.port"] = SpanAttribute.int(Int64(parts.port))
            }
        }
        call.headers += injected(span.context).headers.sorted { $0.key < $1.key }.map { HeaderField(name: $0.key, value: $0.value) }
        return span
    }

    package static func endCall(_ span: any Span, status: Int?, failure: String?) {
        span.updateAttributes { attributes in
            if let status { attributes["http.response.status_code"] = SpanAttribute.int(Int64(status)) }
            if let status, status >= 400 { attributes["error.type"] = SpanAttribute.string(String(status)) }
            if let failure { attributes["error.type"] = SpanAttribute.string(failure) }
        }
        if failure != nil || (status ?? 0) >= 500 { span.setStatus(SpanStatus(code: .error)) }
        span.end()
    }

    /// Ends a call's span that got no answer: `no_answer` when it may have reached the CRM, else
    /// `unreachable`.
    package static func endCall(_ span: any Span, unanswered failure: TransportFailure) {
        endCall(span, status: nil, failure: failure.mayHaveReachedTarget ? "no_answer" : "unreachable")
    }

    // MARK: Redrive

    /// A redrive of `event`: a new trace, linked to the one the event first came with. Its
    /// attempts are its children.
    package func startRedrive(event: String, original: String?, by: String?) -> any Span {
        let span = tracer.startSpan("redrive", context: .topLevel, ofKind: .internal)
        if let original = context(fromCarrier: original) {
            span.addLink(SpanLink(context: original, attributes: ["hookline.link": "the event's first delivery"]))
        }
        span.updateAttributes { attributes in
            attributes["hookline.event_id"] = SpanAttribute.string(event)
            if let by { attributes["hookline.by"] = SpanAttribute.string(by) }
        }
        return span
    }
}

/// Headers as a dictionary, for a tracer to write a context into and read one from.
struct DictionaryInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) { carrier[key] = value }
}

struct DictionaryExtractor: Extractor {
    func extract(key: String, from carrier: [String: String]) -> String? { carrier[key] }
}
