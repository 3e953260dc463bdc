/// One line of the JSONL audit log — the contract operators and recovery read.
///
/// Keys are snake_case and written in a fixed order with `payload` last, so a reader can stop
/// early; absent fields are omitted. Secrets and `Authorization` values never reach a record.
package struct AuditRecord: Sendable, Hashable {
    package var ts: UnixTime
    package var outcome: AuditOutcome
    package var event: String?
    /// The sender's message id.
    package var message: String?
    package var source: String?
    package var type: String?
    /// The source's contact id.
    package var contact: String?
    package var target: String?
    /// The targets a `received` event is routed to.
    package var targets: [String]?
    package var attempt: Int?
    /// The HTTP status answered (rejected) or received from a target.
    package var status: Int?
    /// Milliseconds the step took.
    package var ms: Int?
    package var retryInMs: Int?
    /// How many requests a summary line stands for (`"reason":"suppressed"`).
    package var count: Int?
    /// The target call, as `PATCH /contacts/144`.
    package var request: String?
    /// An id created at the target (a Plannr contact detail's uuid).
    package var ref: String?
    /// What `ref` identifies (`email`, `phone:mobile`), with `target` and `contact` its key.
    package var refKey: String?
    /// The event a coalesced or duplicate delivery was folded into.
    package var into: String?
    /// A machine-readable reason (`no_matching_signature`, `no_route`, …).
    package var reason: String?
    /// A sentence for people.
    package var error: String?
    /// The sender's address (rejected).
    package var remote: String?
    /// Who took an operator's action (`paused`, `resumed`): a console token's name, a shell
    /// user, or an alert rule.
    package var by: String?
    /// The trace context of the receive (or redrive) span, on opening lines when tracing is on
    /// (`TraceCarrier`'s text: the W3C `traceparent`), so every attempt joins that trace.
    package var trace: String?
    /// What an opening line keeps of its payload when not the whole of it (`PayloadKept`):
    /// absent when `payload` is the body exactly as received.
    package var payloadKept: PayloadKept?
    /// When the line's personal data was erased (`hookline erase`): its payload and prose are
    /// gone, its ids, times, outcome, target and status stay.
    package var erased: UnixTime?
    /// Why it was erased, as the operator gave it.
    package var erasedReason: String?
    /// The raw body (received), as the exact bytes received.
    package var payload: [UInt8]?

    package init(
        ts: UnixTime,
        outcome: AuditOutcome,
        event: String? = nil,
        message: String? = nil,
        source: String? = nil,
        type: String? = nil,
        contact: String? = nil,
        target: String? = nil,
        targets: [String]? = nil,
        attempt: Int? = nil,
        status: Int? = nil,
        ms: Int? = nil,
        retryInMs: Int? = nil,
        count: Int? = nil,
        request: String? = nil,
        ref: String? = nil,
        refKey: String? = nil,
        into: String? = nil,
        reason: String? = nil,
        error: String? = nil,
        remote: String? = nil,
        by: String? = nil,
        trace: String? = nil,
        payloadKept: PayloadKept? = nil,
        erased: UnixTime? = nil,
        erasedReason: String? = nil,
        payload: [UInt8]? = nil
    ) {
        self.ts = ts
        self.outcome = outcome
        self.event = event
        self.message = message
        self.source = source
        self.type = type
        self.contact = contact
        self.target = target
        self.targets = targets
        self.attempt = attempt
        self.status = status
        self.ms = ms
        self.retryInMs = retryInMs
        self.count = count
        self.request = request
        self.ref = ref
        self.refKey = refKey
        self.into = into
        self.reason = reason
        self.error = error
        self.remote = remote
        self.by = by
        self.trace = trace
        self.payloadKept = payloadKept
        self.erased = erased
        self.erasedReason = erasedReason
        self.payload = payload
    }
}

/// How much of its payload an opening line keeps, when not all of it (`audit.payloads`).
package enum PayloadKept: String, Sendable, Hashable, CaseIterable {
    /// The structure and ids, with the values of personal fields masked (`PersonalFields`).
    case redacted
    /// No payload at all.
    case none
}
