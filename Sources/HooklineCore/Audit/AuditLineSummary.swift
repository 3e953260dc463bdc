/// The fields of an audit line that recovery, rotation and redrive need — everything but the
/// payload and the prose.
package struct AuditLineSummary: Sendable, Hashable {
    package var ts: UnixTime
    package var outcome: AuditOutcome
    package var event: String?
    package var message: String?
    package var source: String?
    package var target: String?
    package var targets: [String]?
    package var attempt: Int?
    package var ref: String?
    package var refKey: String?
    package var by: String?
    package var contact: String?
    /// The original event of a `duplicate`.
    package var into: String?

    package init(
        ts: UnixTime, outcome: AuditOutcome, event: String? = nil, message: String? = nil, source: String? = nil,
        target: String? = nil, targets: [String]? = nil, attempt: Int? = nil, ref: String? = nil, refKey: String? = nil,
        by: String? = nil, contact: String? = nil, into: String? = nil
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
        self.by = by
        self.contact = contact
        self.into = into
    }

    package init(_ record: AuditRecord) {
        self.init(
            ts: record.ts, outcome: record.outcome, event: record.event, message: record.message, source: record.source,
            target: record.target, targets: record.targets, attempt: record.attempt, ref: record.ref, refKey: record.refKey,
            by: record.by, contact: record.contact, into: record.into)
    }
}
