/// The one path from an event to its jobs, for ingest, recovery, redrive, the worker's re-read
/// of a journaled payload and the dry run alike: a message is decoded by its source's kind,
/// routed by the configured routes, and becomes one job per target.
package struct EventJobs: Sendable {
    private let sources: [String: SourceSettings]
    package let routes: RouteTable

    package init(sources: [SourceSettings], routes: [Route]) {
        self.sources = Dictionary(sources.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.routes = RouteTable(routes)
    }

    package init(_ configuration: HooklineConfiguration) {
        self.init(sources: configuration.sources, routes: configuration.routes)
    }

    package func source(named name: String) -> SourceSettings? { sources[name] }

    // MARK: - Decoding

    /// Decodes `body` as a delivery to `source`, with what the transport said about it.
    package func decode(_ body: UnsafeRawBufferPointer, source: SourceSettings, context: MessageContext) throws(MessageDecodeError) -> DecodedMessage {
        try source.kind.decode(bytes: body, context: context)
    }

    /// The contact change an opening line (`received` or `redriven`) journaled, decoded again
    /// from its payload with the context it was first decoded with.
    package func message(of record: AuditRecord) -> Result<JournaledMessage, EventRestoreFailure> {
        guard let name = record.source, let source = sources[name] else {
            return .failure(EventRestoreFailure(.unknownSource(record.source ?? "?")))
        }
        if let erased = record.erased { return .failure(EventRestoreFailure(.erased(at: erased, reason: record.erasedReason))) }
        if let kept = record.payloadKept { return .failure(EventRestoreFailure(.notKept(kept))) }
        guard let payload = record.payload, !payload.isEmpty else { return .failure(EventRestoreFailure(.noPayload)) }
        // A redacted payload that lost its line's mark (a database row redacted while a redrive
        // raced it) still never reaches a target with masks for values.
        if PersonalFields.isRedacted(payload) { return .failure(EventRestoreFailure(.notKept(.redacted))) }
        let decoded: DecodedMessage
        do {
            decoded = try source.kind.decode(bytes: payload, context: MessageContext(messageID: record.message, eventType: record.type))
        } catch {
            return .failure(EventRestoreFailure(.undecodable(kind: source.kind, error)))
        }
        switch decoded {
        case .contact(let message): return .success(JournaledMessage(source: source, message: message))
        case .ignored(_, let reason): return .failure(EventRestoreFailure(.notAContactChange(reason)))
        }
    }

    // MARK: - Jobs

    /// The routes an event of `message.kind` from `source` takes, in configuration order.
    package func routes(for message: ContactMessage, from source: String) -> [Route] {
        routes.routes(from: source, kind: message.kind)
    }

    /// The routes and target names a message from `source` takes.
    package func selection(for message: ContactMessage, from source: String) -> RouteSelection {
        routes.selection(from: source, kind: message.kind)
    }

    /// The event a message becomes. A queued event holds its patch only while `keepPatch`;
    /// otherwise its job re-reads the journaled payload when a worker takes it.
    package func event(
        _ id: String, of message: ContactMessage, source: String, receivedAt: UnixTime, keepPatch: Bool, trace: String? = nil
    ) -> ContactEvent {
        ContactEvent(
            id: id, messageID: message.messageID, source: source, type: message.type, kind: message.kind, receivedAt: receivedAt,
            contactID: message.contactID, contact: keepPatch ? message.contact : message.contact.queued, trace: trace)
    }

    /// One job per route. `subject` is the message's full contact (a job's lane may depend on
    /// it even when the event holds only a reference to the journal); `targets` are the event's
    /// targets as journaled, for the coalescing key of a thin reference.
    package func jobs(
        for event: ContactEvent,
        subject: ContactSubject,
        routes: [Route],
        targets: [String],
        progress: [String: TargetProgress] = [:],
        budgetStart: Int = 0
    ) -> [Job] {
        var coalescingKey: String?
        if case .reference = subject {
            coalescingKey = Job.coalescingKey(source: event.source, contactID: event.contactID, targets: targets)
        }
        return routes.map { route in
            let progress = progress[route.target]
            return Job(
                event: event, route: route, attempt: progress?.attempts ?? budgetStart, budgetStart: budgetStart,
                firstAttemptAt: progress?.firstAttemptAt, coalescingKey: coalescingKey,
                targetContact: Job.targetContact(route: route, subject: subject))
        }
    }

    /// The jobs of an owed event read back from the journal: its opening `record`, the targets
    /// still `owed`, and how far each got. A redriven line starts a fresh retry budget at its
    /// `attempt`. Targets no route leads to any more are returned as `unroutable`.
    package func restore(
        _ record: AuditRecord,
        owed: [String],
        progress: [String: TargetProgress] = [:],
        keepPatch: Bool = false
    ) -> Result<RestoredEvent, EventRestoreFailure> {
        guard let eventID = record.event else { return .failure(EventRestoreFailure(.noEventID)) }
        let journaled: JournaledMessage
        switch message(of: record) {
        case .success(let decoded): journaled = decoded
        case .failure(let failure): return .failure(failure)
        }
        let message = journaled.message
        let source = journaled.source.name
        let event = self.event(eventID, of: message, source: source, receivedAt: record.ts, keepPatch: keepPatch, trace: record.trace)
        var routed: [Route] = []
        var unroutable: [String] = []
        for target in owed {
            if let route = routes.route(from: source, to: target) { routed.append(route) } else { unroutable.append(target) }
        }
        let budgetStart = record.outcome == .redriven ? (record.attempt ?? 0) : 0
        let jobs = jobs(
            for: event, subject: message.contact, routes: routed, targets: record.targets ?? owed, progress: progress, budgetStart: budgetStart)
        return .success(RestoredEvent(event: event, jobs: jobs, unroutable: unroutable))
    }
}

/// A message decoded again from the journal, with the source it arrived on.
package struct JournaledMessage: Sendable {
    package var source: SourceSettings
    package var message: ContactMessage
}

/// How far one target of an owed event got before a restart: attempts made, and when the first
/// began (on today's monotonic clock, for the retry age budget).
package struct TargetProgress: Sendable, Hashable {
    package var attempts: Int
    package var firstAttemptAt: MonotonicTime?

    package init(attempts: Int, firstAttemptAt: MonotonicTime? = nil) {
        self.attempts = attempts
        self.firstAttemptAt = firstAttemptAt
    }
}

/// An owed event made into jobs again.
package struct RestoredEvent: Sendable {
    package var event: ContactEvent
    package var jobs: [Job]
    /// Owed targets that no configured route leads to any more.
    package var unroutable: [String]
}

/// Why a journaled event could not be made into jobs again: each is a sentence for the audit
/// line that ends its targets.
package struct EventRestoreFailure: Error, Sendable, CustomStringConvertible {
    package enum Code: Sendable {
        case unknownSource(String)
        case noPayload
        /// `hookline erase` removed it.
        case erased(at: UnixTime, reason: String?)
        /// `audit.payloads` kept less than the whole payload.
        case notKept(PayloadKept)
        case noEventID
        case undecodable(kind: SourceKind, MessageDecodeError)
        case notAContactChange(String)
    }

    package let code: Code

    package init(_ code: Code) { self.code = code }

    package var description: String {
        switch code {
        case .unknownSource(let name): "its source \(name) is no longer configured"
        case .noPayload: "its line in the audit log carries no payload (it was not kept, or was erased)"
        case .erased(let at, let reason): "its payload was erased at \(at.rfc3339)\(reason.map { " (\($0))" } ?? "") and cannot be applied again"
        case .notKept(.redacted):
            "its payload was kept redacted (audit.payloads: redacted), without the personal values it would apply; only the sender can send it again"
        case .notKept(.none): "its payload was not kept (audit.payloads: none); only the sender can send it again"
        case .noEventID: "its line in the audit log carries no event id"
        case .undecodable(let kind, let error): "its payload no longer decodes as a \(kind) message: \(error)"
        case .notAContactChange(let reason): "its payload is no longer a contact change: \(reason)"
        }
    }
}
