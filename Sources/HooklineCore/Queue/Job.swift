/// One event to apply at one target.
public struct Job: Sendable {
    /// The event, shared by the jobs of all its targets.
    public let event: ContactEvent
    public let route: Route
    /// Attempts already made (0 before the first).
    public var attempt: Int
    /// When the first attempt started, for the retry age budget.
    public var firstAttemptAt: UnixTime?
    /// Whether this job was re-queued from the audit log at start-up.
    public var recovered: Bool

    public init(event: ContactEvent, route: Route, attempt: Int = 0, firstAttemptAt: UnixTime? = nil, recovered: Bool = false) {
        self.event = event
        self.route = route
        self.attempt = attempt
        self.firstAttemptAt = firstAttemptAt
        self.recovered = recovered
    }

    public var target: String { route.target }

    /// Jobs in one lane run one at a time, in arrival order.
    public var lane: LaneKey { LaneKey(target: route.target, source: event.source, contactID: event.contactID) }

    /// Thin references to one source contact waiting for their fetch share this key.
    public var coalescingKey: String? {
        guard case .reference = event.contact else { return nil }
        return "\(event.source)\u{1F}\(event.contactID)"
    }
}

/// Ordering is per target and per source contact: one contact's events reach a target in order.
public struct LaneKey: Sendable, Hashable, CustomStringConvertible {
    public var target: String
    public var source: String
    public var contactID: String

    public init(target: String, source: String, contactID: String) {
        self.target = target
        self.source = source
        self.contactID = contactID
    }

    public var description: String { "\(target)/\(source):\(contactID)" }
}
