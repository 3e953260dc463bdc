/// One line of the JSONL audit log — the contract operators and recovery read.
///
/// Keys are snake_case and written in a fixed order with `payload` last, so a reader can stop
/// early; absent fields are omitted. Secrets and `Authorization` values never reach a record.
public struct AuditRecord: Sendable, Hashable {
    public var ts: UnixTime
    public var outcome: AuditOutcome
    public var event: String?
    /// The sender's message id.
    public var message: String?
    public var source: String?
    public var type: String?
    /// The source's contact id.
    public var contact: String?
    public var target: String?
    /// The targets a `received` event is routed to.
    public var targets: [String]?
    public var attempt: Int?
    /// The HTTP status answered (rejected) or received from a target.
    public var status: Int?
    /// Milliseconds the step took.
    public var ms: Int?
    public var retryInMs: Int?
    /// How many requests a summary line stands for (`"reason":"suppressed"`).
    public var count: Int?
    /// The target call, as `PATCH /contacts/144`.
    public var request: String?
    /// An id created at the target (a Plannr contact detail's uuid).
    public var ref: String?
    /// What `ref` identifies (`email`, `phone:mobile`), with `target` and `contact` its key.
    public var refKey: String?
    /// The event a coalesced or duplicate delivery was folded into.
    public var into: String?
    /// A machine-readable reason (`no_matching_signature`, `no_route`, …).
    public var reason: String?
    /// A sentence for people.
    public var error: String?
    /// The sender's address (rejected).
    public var remote: String?
    /// The raw body (received), as the exact bytes received.
    public var payload: [UInt8]?

    public init(
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
        self.payload = payload
    }
}
