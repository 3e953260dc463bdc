import HooklineCore
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// The data flow for one webhook delivery: verify, decode, route, dedup, reserve queue room,
/// journal, answer. Everything up to the journal write runs synchronously on the
/// calling event loop; the 202 goes out once the `received` line is safe.
public final class WebhookIngest: Sendable {
    struct Source: Sendable {
        let settings: SourceSettings
        let decoder: any MessageDecoder
    }

    private let sources: [String: Source]
    private let routes: RouteTable
    private let queue: WorkQueue
    private let dedup: any DedupStore
    private let audit: AuditLogWriter
    private let retryAfter: Duration
    /// Queue depth up to which new jobs hold their patch in memory; deeper, they re-read it
    /// from the journal when a worker takes them.
    private let inlinePatchDepth: Int
    public static let defaultInlinePatchDepth = 4096
    private let accepting = Atomic<Bool>(true)
    /// Event ids draw from a fast generator: the system one is a system call per draw.
    private let random = Mutex(FastRandom())
    private let metrics: HooklineMetrics?
    private let logger: Logger
    /// Lines for refused requests are written within this budget (a flood cannot fill the disk).
    private let rejections: Mutex<RejectionBudget>
    private let rejectedLines: RejectionBudget.Limits

    /// The label requests to a source that does not exist are counted under.
    public static let unknownSourceLabel = "unknown"
    /// Fields a `rejected` line copies from the request are cut to this many characters.
    static let rejectedFieldLimit = 256

    public init(
        sources: [SourceSettings],
        routes: RouteTable,
        queue: WorkQueue,
        dedup: any DedupStore,
        audit: AuditLogWriter,
        retryAfter: Duration,
        inlinePatchDepth: Int = WebhookIngest.defaultInlinePatchDepth,
        rejectedLines: RejectionBudget.Limits = RejectionBudget.Limits(),
        metrics: HooklineMetrics? = nil,
        logger: Logger = Logger(label: "hookline.ingest", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.metrics = metrics
        self.logger = logger
        self.rejections = Mutex(RejectionBudget(limits: rejectedLines))
        self.rejectedLines = rejectedLines
        var byName: [String: Source] = [:]
        for source in sources {
            guard let decoder = MessageDecoders.decoder(forKind: source.kind) else { continue }
            byName[source.name] = Source(settings: source, decoder: decoder)
        }
        self.sources = byName
        self.routes = routes
        self.queue = queue
        self.dedup = dedup
        self.audit = audit
        self.retryAfter = retryAfter
        self.inlinePatchDepth = inlinePatchDepth
    }

    /// Whether `/webhooks/{name}` exists.
    public func hasSource(_ name: String) -> Bool { sources[name] != nil }

    /// What metrics and the rejection budget call a source: its configured name, or `unknown` for
    /// any other name — so requests to made-up names cannot create metric series without limit.
    public func sourceLabel(_ name: String) -> String {
        guard let index = sources.index(forKey: name) else { return Self.unknownSourceLabel }
        return sources.keys[index]
    }

    /// New deliveries are answered 503 from now on (shutdown).
    public func stopAccepting() { accepting.store(false, ordering: .relaxed) }

    public var isAccepting: Bool { accepting.load(ordering: .relaxed) }

    /// Records a refused request: counted in the metrics always, and written as a `rejected` line
    /// within the budget (one summary line per source and reason stands for the rest).
    public func reject(source: String, answer: HTTPAnswer, reason: String, remote: String?, receivedAt: UnixTime) {
        let label = sourceLabel(source)
        metrics?.rejected(source: label, reason: reason)
        logger.debug(
            "rejected", metadata: ["source": .string(label), "status": "\(answer.status)", "reason": .string(reason), "remote": .string(remote ?? "")])
        let admission = rejections.withLock {
            $0.admit(RejectionBudget.Key(source: label, reason: reason), status: answer.status, now: .now, wallClock: receivedAt)
        }
        write(admission.ended, at: receivedAt)
        guard admission.write else {
            metrics?.suppressed(source: label, reason: reason)
            return
        }
        audit.append(
            AuditRecord(
                ts: receivedAt, outcome: .rejected, source: ErrorExcerpt.truncated(source, to: 64), status: answer.status, reason: reason,
                error: answer.errorMessage.map { ErrorExcerpt.truncated($0, to: Self.rejectedFieldLimit) }, remote: remote))
    }

    /// Writes the summary lines of a rejection window that has ended by `now` (called on a timer,
    /// so the last window of a flood is reported even when nothing follows it).
    public func endRejectionWindow(now: ContinuousClock.Instant = .now) {
        write(rejections.withLock { $0.endWindow(ifDueAt: now) }, at: .now())
    }

    private func write(_ summaries: [RejectionBudget.Suppressed], at ts: UnixTime) {
        guard !summaries.isEmpty else { return }
        for summary in summaries {
            audit.append(summary.record(at: ts, limits: rejectedLines))
        }
    }

    /// Processes one complete delivery to `/webhooks/{source}` and calls `respond` exactly once —
    /// synchronously for every answer but 202, which waits for the journal.
    public func receive(
        source name: String,
        body: ByteBuffer,
        headers: HTTPHeaders,
        remote: String?,
        receivedAt: UnixTime,
        eventLoop: (any EventLoop)? = nil,
        respond: @escaping @Sendable (HTTPAnswer) -> Void
    ) {
        guard isAccepting else {
            respond(.unavailable("Hookline is shutting down; retry shortly", retryAfter: retryAfter))
            return
        }
        guard let source = sources[name] else {
            let answer = HTTPAnswer.error(404, "unknown source '\(name)'")
            reject(source: name, answer: answer, reason: "unknown_source", remote: remote, receivedAt: receivedAt)
            respond(answer)
            return
        }
        let fields = NIOHeaderFields(headers: headers)
        let settings = source.settings

        // 3. Genuine?
        let verdict = body.withUnsafeReadableBytes { settings.verifier.verify(body: $0, headers: fields, receivedAt: receivedAt) }
        if case .rejected(let rejection) = verdict {
            let answer = HTTPAnswer.error(rejection.reason == .internalFailure ? 500 : 401, rejection.message)
            reject(source: name, answer: answer, reason: rejection.reason.rawValue, remote: remote, receivedAt: receivedAt)
            respond(answer)
            return
        }

        // 4. Decode.
        var context = MessageContext()
        context.messageID = settings.verifier.scheme.messageID(in: fields) ?? settings.idHeader.flatMap { fields.first($0) }
        context.eventType = settings.eventHeader.flatMap { fields.first($0) }
        let decoded: DecodedMessage
        do {
            decoded = try body.withUnsafeReadableBytes { buffer in
                Result { () throws(MessageDecodeError) in try source.decoder.decode(bytes: buffer, context: context) }
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
            audit.append(AuditRecord(ts: receivedAt, outcome: .ignored, message: context.messageID, source: name, type: type, reason: "not_a_contact_change", error: reason))
            respond(.status(200, "ignored", [("reason", .string(reason))]))
            return
        case .contact(let contact):
            message = contact
        }
        let routes = self.routes.routes(from: name, kind: message.kind)
        guard !routes.isEmpty else {
            let reason = "no route for \(message.kind.rawValue) events from \(name)"
            audit.append(
                AuditRecord(
                    ts: receivedAt, outcome: .ignored, message: message.messageID, source: name, type: message.type,
                    contact: message.contactID, reason: "no_route", error: reason))
            respond(.status(200, "ignored", [("reason", .string(reason))]))
            return
        }

        // 5. Seen before?
        let eventID = random.withLock { EventID.make(at: receivedAt, using: &$0) }
        let dedupKey = message.messageID.map { DedupWindow.key(source: name, messageID: $0) }
        if let dedupKey {
            switch dedup.claim(dedupKey, eventID: eventID, now: receivedAt) {
            case .new:
                break
            case .duplicate(let original):
                audit.append(
                    AuditRecord(
                        ts: receivedAt, outcome: .duplicate, message: message.messageID, source: name, type: message.type,
                        contact: message.contactID, into: original))
                respond(.status(200, "duplicate", [("id", .string(original))]))
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

        let targets = routes.map(\.target)
        var coalescingKey: String?
        if case .reference = message.contact {
            let key = Job.coalescingKey(source: name, contactID: message.contactID, targets: targets)
            if let waiting = queue.waitingFetch(for: key) {
                if let dedupKey { dedup.confirm(dedupKey) }
                audit.append(
                    AuditRecord(
                        ts: receivedAt, outcome: .coalesced, event: eventID, message: message.messageID, source: name,
                        type: message.type, contact: message.contactID, into: waiting))
                respond(.status(200, "coalesced", [("id", .string(eventID)), ("into", .string(waiting))]))
                return
            }
            coalescingKey = key
        }

        // 6. Room in the queue? Claimed before journaling, so a full queue writes nothing.
        guard queue.reserve(routes.count) else {
            if let dedupKey { dedup.release(dedupKey) }
            respond(.unavailable("the queue is full; retry later", retryAfter: retryAfter))
            return
        }

        // 7. Journal, then answer.
        let event = ContactEvent(
            id: eventID, messageID: message.messageID, source: name, type: message.type, kind: message.kind,
            receivedAt: receivedAt, contactID: message.contactID,
            // A short queue keeps the patch at hand; a long one leaves it in the journal (re-read
            // when a worker takes the job), so 100,000 queued jobs stay small in memory.
            contact: queue.depth < inlinePatchDepth ? message.contact : message.contact.queued)
        let jobs = routes.map {
            Job(event: event, route: $0, coalescingKey: coalescingKey, targetContact: Job.targetContact(route: $0, subject: message.contact))
        }
        let record = AuditRecord(
            ts: receivedAt, outcome: .received, event: eventID, message: message.messageID, source: name,
            type: message.type, contact: message.contactID, targets: targets,
            payload: body.withUnsafeReadableBytes { Array($0) })
        let completion: AuditLogWriter.Completion = { [queue, dedup, logger] error in
            if error != nil {
                queue.cancelReservation(jobs.count)
                if let dedupKey { dedup.release(dedupKey) }
                respond(.unavailable("the audit log cannot be written; retry later", retryAfter: .seconds(30)))
                return
            }
            if let dedupKey { dedup.confirm(dedupKey) }
            queue.enqueue(reserved: jobs)
            respond(.status(202, "accepted", [("id", .string(eventID))]))
            logger.debug("accepted", metadata: ["event": .string(eventID), "source": .string(name), "targets": "\(targets.joined(separator: ","))"])
        }
        if let eventLoop {
            audit.appendDurably(record, on: eventLoop, completion: completion)
        } else {
            audit.appendDurably(record, completion: completion)
        }
    }
}
