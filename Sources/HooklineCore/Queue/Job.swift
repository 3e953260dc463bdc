/// One event to apply at one target.
public struct Job: Sendable {
    /// The event, shared by the jobs of all its targets.
    public let event: ContactEvent
    public let route: Route
    /// Attempts already made (0 before the first).
    public var attempt: Int
    /// The attempt count the current retry budget started from: 0, or where a redrive began.
    public var budgetStart: Int
    /// When the first attempt started, for the retry age budget.
    public var firstAttemptAt: UnixTime?
    /// Whether this job was re-queued from the audit log at start-up.
    public var recovered: Bool
    /// Set on jobs of a thin reference whose fetch has not started: a later thin message with
    /// the same key adds nothing.
    public let coalescingKey: String?
    /// Rate-limit slots this job holds at one target (parked until the first is due).
    public var reservedSlots: ReservedSlots?

    public init(
        event: ContactEvent,
        route: Route,
        attempt: Int = 0,
        budgetStart: Int = 0,
        firstAttemptAt: UnixTime? = nil,
        recovered: Bool = false,
        coalescingKey: String? = nil
    ) {
        self.event = event
        self.route = route
        self.attempt = attempt
        self.budgetStart = budgetStart
        self.firstAttemptAt = firstAttemptAt
        self.recovered = recovered
        self.coalescingKey = coalescingKey
    }

    /// The coalescing key of a thin reference to `contactID` from `source` routed to `targets`.
    public static func coalescingKey(source: String, contactID: String, targets: [String]) -> String {
        "\(source)\u{1F}\(contactID)\u{1F}\(targets.sorted().joined(separator: ","))"
    }

    public var target: String { route.target }

    /// Jobs in one lane run one at a time, in arrival order.
    public var lane: LaneKey { LaneKey(target: route.target, source: event.source, contactID: event.contactID) }
}

/// Call slots a job holds at a target's rate limiter, one per call, in order.
public struct ReservedSlots: Sendable, Hashable {
    public var target: String
    public var times: [UnixTime]

    public init(target: String, times: [UnixTime]) {
        self.target = target
        self.times = times
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
