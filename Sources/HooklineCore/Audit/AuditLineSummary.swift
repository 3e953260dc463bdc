/// The fields of an audit line that recovery, rotation and redrive need — everything but the
/// payload and the prose.
public struct AuditLineSummary: Sendable, Hashable {
    public var ts: UnixTime
    public var outcome: AuditOutcome
    public var event: String?
    public var message: String?
    public var source: String?
    public var target: String?
    public var targets: [String]?
    public var attempt: Int?
    public var ref: String?
    public var refKey: String?

    public init(
        ts: UnixTime, outcome: AuditOutcome, event: String? = nil, message: String? = nil, source: String? = nil,
        target: String? = nil, targets: [String]? = nil, attempt: Int? = nil, ref: String? = nil, refKey: String? = nil
    ) {
        self.ts = ts
        self.outcome = outcome
        self.event = event
        self.message = message
        self.source = source
        self.target = target
        self.targets = targets
        self.attempt = attempt
        self.ref = ref
        self.refKey = refKey
    }

    public init(_ record: AuditRecord) {
        self.init(
            ts: record.ts, outcome: record.outcome, event: record.event, message: record.message, source: record.source,
            target: record.target, targets: record.targets, attempt: record.attempt, ref: record.ref, refKey: record.refKey)
    }
}
