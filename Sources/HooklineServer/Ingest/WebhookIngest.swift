import HooklineCore
import Logging
import NIOCore
import NIOHTTP1
import Synchronization
import Tracing

/// The data flow for one webhook delivery: verify, decode, route, dedup, reserve queue room,
/// journal, answer. Everything up to the journal write runs synchronously on the calling event
/// loop; the 202 goes out once the `received` line is durable.
package final class WebhookIngest: Sendable {
    /// What a reload changes (`update`): a delivery reads it once, as its body is processed.
    struct Sources: Sendable {
        var events: EventJobs
        /// The configured source names, for metric labels.
        var names: Set<String>
        /// Each source's `allow`, when it has one.
        var allowLists: [String: [CIDR]]

        init(_ sources: [SourceSettings], events: EventJobs) {
            self.events = events
            self.names = Set(sources.map(\.name))
            self.allowLists = Dictionary(sources.filter { !$0.allow.isEmpty }.map { ($0.name, $0.allow) }, uniquingKeysWith: { first, _ in first })
        }
    }

    private let sources: Mutex<Sources>
    let store: any Store
    private let retryAfter: Duration
    /// Queue depth up to which new jobs hold their patch in memory; deeper, they re-read it
    /// from the journal when a worker takes them.
    private let inlinePatchDepth: Int
    package static let defaultInlinePatchDepth = 4096
    private let accepting = Atomic<Bool>(true)
    /// Event ids draw from a fast generator: the system one is a system call per draw.
    private let random = Mutex(FastRandom())
    let metrics: HooklineMetrics?
    /// The alert rules, told of each signature failure; nil without rules.
    let alerts: AlertMonitor?
    let logger: Logger
    /// Lines for refused requests are written within this budget (a flood cannot fill the disk).
    let rejections: Mutex<RejectionBudget>
    let rejectedLines: RejectionBudget.Limits
    /// Spans for each request and its steps; nil when tracing is off.
    package let tracing: HooklineTracing?
    /// The name of the accept's durable step, for its span.
    private let journalStep: String

    package init(
        events: EventJobs,
        sources: [SourceSettings],
        store: any Store,
        retryAfter: Duration,
        inlinePatchDepth: Int = WebhookIngest.defaultInlinePatchDepth,
        rejectedLines: RejectionBudget.Limits = RejectionBudget.Limits(),
        metrics: HooklineMetrics? = nil,
        alerts: AlertMonitor? = nil,
        tracing: HooklineTracing? = nil,
        logger: Logger = Logger(label: "hookline.ingest", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.tracing = tracing
        // The shared store's accept is a database commit; the file store's, a journal write.
        self.journalStep = store.databasePool == nil ? "journal" : "commit"
        self.sources = Mutex(Sources(sources, events: events))
        self.store = store
        self.retryAfter = retryAfter
        self.inlinePatchDepth = inlinePatchDepth
        self.rejections = Mutex(RejectionBudget(limits: rejectedLines))
        self.rejectedLines = rejectedLines
        self.metrics = metrics
        self.alerts = alerts
        self.logger = logger
    }

    /// Deliveries from now on are verified, decoded and routed with these sources and routes
    /// (a reload); those being processed finish with what they started with.
    package func update(sources: [SourceSettings], events: EventJobs) {
        let next = Sources(sources, events: events)
        self.sources.withLock { $0 = next }
    }

    /// The configured source names.
    var sourceNames: Set<String> { sources.withLock { $0.names } }

    /// Whether `/webhooks/{name}` exists.
    package func hasSource(_ name: String) -> Bool { sources.withLock { $0.names.contains(name) } }

    /// The addresses that may call source `name` (`sources[].allow`); empty: any.
    package func allowList(for name: String) -> [CIDR] {
        // Asked for every webhook: with no allow list configured, not even the name is hashed.
        sources.withLock { $0.allowLists.isEmpty ? [] : $0.allowLists[name] ?? [] }
    }

    /// New deliveries are answered 503 from now on (shutdown).
    package func stopAccepting() { accepting.store(false, ordering: .relaxed) }

    package var isAccepting: Bool { accepting.load(ordering: .relaxed) }

    /// Processes one complete delivery to `/webhooks/{source}` and calls `respond` exactly once —
    /// synchronously for every answer but 202, which waits for the store (on `executor`).
    /// `span` is the request's receive span, when tracing is on: the steps are its children and
    /// the event keeps its context.
    package func receive(
        source name: String,
        body: ByteBuffer,
        headers: HTTPHeaders,
        remote: String?,
        receivedAt: UnixTime,
        executor: (any CompletionExecutor)? = nil,
        span: (any Span)? = nil,
        respond: @escaping @Sendable (HTTPAnswer) -> Void
    ) {
        guard isAccepting else {
            respond(.unavailable("Hookline is shutting down; retry shortly", retryAfter: retryAfter))
            return
        }
        let events = sources.withLock { $0.events }
        guard let source = events.source(named: name) else {
            respond(refuseUnknownSource(name, remote: remote, receivedAt: receivedAt))
            return
        }
        let fields = NIOHeaderFields(headers: headers)

        // Genuine?
        let verifying = span.flatMap { span in tracing?.startStep("verify", parent: span) }
        let verdict = body.withUnsafeReadableBytes { source.verifier.verify(body: $0, headers: fields, receivedAt: receivedAt) }
        if let verifying {
            if case .rejected(let rejection) = verdict {
                verifying.attributes["error.type"] = SpanAttribute.string(rejection.reason.rawValue)
                verifying.setStatus(SpanStatus(code: .error))
            }
            verifying.end()
        }
        if case .rejected(let rejection) = verdict {
            let answer = HTTPAnswer.error(rejection.reason == .internalFailure ? 500 : 401, rejection.message)
            reject(source: name, answer: answer, reason: rejection.reason.rawValue, remote: remote, receivedAt: receivedAt)
            respond(answer)
            return
        }

        // Decode and route.
        var context = MessageContext()
        context.messageID = source.verifier.scheme.messageID(in: fields) ?? source.idHeader.flatMap { fields.first($0) }
        context.eventType = source.eventHeader.flatMap { fields.first($0) }
        if let span, let id = context.messageID { span.attributes["messaging.message.id"] = SpanAttribute.string(id) }
        let decoded: DecodedMessage
        do {
            decoded = try body.withUnsafeReadableBytes { buffer in
                Result { () throws(MessageDecodeError) in try events.decode(buffer, source: source, context: context) }
            }.get()
        } catch {
            let answer = HTTPAnswer.error(400, error.description)
            reject(source: name, answer: answer, reason: "invalid_message", remote: remote, receivedAt: receivedAt)
            respond(answer)
            return
        }
        let message: ContactMessage
        switch decoded {
        case .ignored(let type, let reason):
            store.append(AuditRecord(ts: receivedAt, outcome: .ignored, message: context.messageID, source: name, type: type, reason: "not_a_contact_change", error: reason))
            respond(.status(200, "ignored", [("reason", .string(reason))]))
            return
        case .contact(let contact):
            message = contact
        }
        let selection = events.selection(for: message, from: name)
        guard !selection.routes.isEmpty else {
            let reason = "no route for \(message.kind.rawValue) events from \(name)"
            store.append(
                AuditRecord(
                    ts: receivedAt, outcome: .ignored, message: message.messageID, source: name, type: message.type,
                    contact: message.contactID, reason: "no_route", error: reason))
            respond(.status(200, "ignored", [("reason", .string(reason))]))
            return
        }
        if MeasuredFloor.current == .decode, let executor {
            executor.execute { respond(.accepted(eventID: "evt_00000000000000000000000000")) }
            return
        }
        accept(
            message, selection: selection, events: events, source: name, body: body, remote: remote, receivedAt: receivedAt, executor: executor, span: span,
            respond: respond)
    }

    /// Dedup, queue room, journal, answer.
    private func accept(
        _ message: ContactMessage, selection: RouteSelection, events: EventJobs, source name: String, body: ByteBuffer, remote: String?, receivedAt: UnixTime,
        executor: (any CompletionExecutor)?, span: (any Span)?, respond: @escaping @Sendable (HTTPAnswer) -> Void
    ) {
        // Seen before?
        let eventID = random.withLock { EventID.make(at: receivedAt, using: &$0) }
        span?.attributes["hookline.event_id"] = SpanAttribute.string(eventID)
        let dedupKey = message.messageID.map { MessageKey(source: name, messageID: $0) }
        if let dedupKey {
            switch store.claim(message: dedupKey, eventID: eventID, now: receivedAt) {
            case .new:
                break
            case .duplicate(let original):
                respond(answerDuplicate(of: message, source: name, receivedAt: receivedAt, original: original))
                return
            case .inProgress:
                let answer = HTTPAnswer.error(
                    409, "message \(message.messageID ?? "") is being accepted on another connection; retry shortly",
                    headers: [HeaderField(name: "Retry-After", value: "1")])
                reject(source: name, answer: answer, reason: "in_progress", remote: remote, receivedAt: receivedAt)
                respond(answer)
                return
            }
        }

        let routes = selection.routes
        let targets = selection.targets
        if case .reference = message.contact, let thinFetches = store.thinFetches,
            let waiting = thinFetches.waitingFetch(for: Job.coalescingKey(source: name, contactID: message.contactID, targets: targets))
        {
            if let dedupKey { thinFetches.confirm(message: dedupKey) }
            store.append(
                AuditRecord(
                    ts: receivedAt, outcome: .coalesced, event: eventID, message: message.messageID, source: name,
                    type: message.type, contact: message.contactID, into: waiting))
            respond(.status(200, "coalesced", [("id", .string(eventID)), ("into", .string(waiting))]))
            return
        }

        // Room in the queue? Claimed before journaling, so a full queue writes nothing.
        guard store.reserve(routes.count) else {
            if let dedupKey { store.release(message: dedupKey) }
            respond(.unavailable("the queue is full; retry later", retryAfter: retryAfter))
            return
        }

        // Journal, then answer. A short queue keeps the patch at hand; a long one leaves it in
        // the journal (re-read when a worker takes the job), so 100,000 queued jobs stay small.
        // The receive span's context goes with the event: its attempts, wherever they run, join it.
        let trace = span.flatMap { span in tracing?.carrier(of: span.context) }
        let event = events.event(
            eventID, of: message, source: name, receivedAt: receivedAt, keepPatch: store.occupancy.waiting < inlinePatchDepth, trace: trace)
        let jobs = events.jobs(for: event, subject: message.contact, routes: routes, targets: targets)
        let record = AuditRecord(
            ts: receivedAt, outcome: .received, event: eventID, message: message.messageID, source: name,
            type: message.type, contact: message.contactID, targets: targets, remote: remote, trace: trace,
            payload: body.withUnsafeReadableBytes { Array($0) })
        if MeasuredFloor.current == .journal, let executor {
            store.cancelReservation(jobs.count)
            if let dedupKey { store.release(message: dedupKey) }
            withExtendedLifetime(record) {}
            executor.execute { respond(.accepted(eventID: eventID)) }
            return
        }
        // The store queues the jobs once they are durable, or gives their room back.
        let journaling = span.flatMap { span in tracing?.startStep(journalStep, parent: span) }
        store.accept(record, jobs: jobs, claim: dedupKey, on: executor) { [self, logger, retryAfter] outcome in
            if let journaling {
                if case .failed = outcome { journaling.setStatus(SpanStatus(code: .error)) }
                journaling.end()
            }
            switch outcome {
            case .durable:
                respond(.accepted(eventID: eventID))
                logger.debug(
                    "accepted",
                    metadata: [
                        "event": .string(eventID), "source": .string(name), "targets": "\(targets.joined(separator: ","))",
                        "remote": .string(remote ?? ""),
                    ]
                        .merging(tracing?.logMetadata(span) ?? [:]) { $1 })
            case .duplicate(let original):
                // Accepted before, by this instance or another: the shared store settled it.
                respond(answerDuplicate(of: message, source: name, receivedAt: receivedAt, original: original))
            case .failed:
                respond(.unavailable("the journal cannot be written; retry later", retryAfter: retryAfter))
            }
        }
    }
}
