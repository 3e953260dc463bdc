/// One event to apply at one target.
///
/// A queue of 100,000 jobs holds one of these per job, so the fields most jobs never set (a
/// retry's clock, a redrive's budget, a thin message's coalescing key, a `field:` route's target
/// contact, reserved rate-limit slots, a shared store's row) live in one box that exists only
/// once one of them is set: 272 bytes a job inline became 176.
package struct Job: Sendable {
    /// The event, shared by the jobs of all its targets.
    package let event: ContactEvent
    package let route: Route
    /// Attempts already made (0 before the first).
    package var attempt: Int
    private var rare: Box?

    /// The fields most jobs never set.
    private struct Rare: Sendable, Equatable {
        var budgetStart = 0
        var firstAttemptAt: MonotonicTime?
        var coalescingKey: String?
        var reservedSlots: ReservedSlots?
        var targetContact: String?
        var ticket: JobTicket?
    }

    /// Holds them once one is set; immutable, replaced whole when one changes.
    private final class Box: Sendable {
        let fields: Rare
        init(_ fields: Rare) { self.fields = fields }
    }

    private var fields: Rare { rare?.fields ?? Rare() }

    /// Changes the rare fields: a new box, or none when all are back to unset.
    private mutating func update(_ change: (inout Rare) -> Void) {
        var fields = fields
        change(&fields)
        rare = fields == Rare() ? nil : Box(fields)
    }

    /// The attempt count the current retry budget started from: 0, or where a redrive began.
    package var budgetStart: Int {
        get { fields.budgetStart }
        set { update { $0.budgetStart = newValue } }
    }
    /// When the first attempt started, for the retry age budget.
    package var firstAttemptAt: MonotonicTime? {
        get { fields.firstAttemptAt }
        set { update { $0.firstAttemptAt = newValue } }
    }
    /// Set on jobs of a thin reference whose fetch has not started: a later thin message with
    /// the same key adds nothing.
    package var coalescingKey: String? { fields.coalescingKey }
    /// Rate-limit slots this job holds at one target (parked until the first is due).
    package var reservedSlots: ReservedSlots? {
        get { fields.reservedSlots }
        set { update { $0.reservedSlots = newValue } }
    }
    /// The target's contact id, when the route finds it in the event itself: jobs for one target
    /// contact then share a lane even when they come from different source contacts.
    package var targetContact: String? { fields.targetContact }
    /// The job's row in a shared store, when it came from one.
    package var ticket: JobTicket? {
        get { fields.ticket }
        set { update { $0.ticket = newValue } }
    }

    package init(
        event: ContactEvent,
        route: Route,
        attempt: Int = 0,
        budgetStart: Int = 0,
        firstAttemptAt: MonotonicTime? = nil,
        coalescingKey: String? = nil,
        targetContact: String? = nil
    ) {
        self.event = event
        self.route = route
        self.attempt = attempt
        update {
            $0.budgetStart = budgetStart
            $0.firstAttemptAt = firstAttemptAt
            $0.coalescingKey = coalescingKey
            $0.targetContact = targetContact
        }
    }

    /// The target contact a route finds in the event itself: a `field:` rule on a patch that
    /// carries the field. Nil for thin references (the field is only known after the fetch)
    /// and for the other rules, whose lanes follow the source contact.
    package static func targetContact(route: Route, subject: ContactSubject) -> String? {
        guard case .field(let path) = route.contactID, case .patch(let patch) = subject,
            let id = patch.lookup(path: path), !id.isEmpty
        else { return nil }
        return id
    }

    /// The coalescing key of a thin reference to `contactID` from `source` routed to `targets`.
    package static func coalescingKey(source: String, contactID: String, targets: [String]) -> String {
        "\(source)\u{1F}\(contactID)\u{1F}\(targets.sorted().joined(separator: ","))"
    }

    package var target: String { route.target }

    /// Jobs in one lane run one at a time, in arrival order.
    package var lane: LaneKey {
        if let targetContact { return LaneKey(target: route.target, contact: .atTarget(targetContact)) }
        return LaneKey(target: route.target, contact: .atSource(source: event.source, id: event.contactID))
    }
}

/// Where a job claimed from a shared store lives there: its row, its lane's key, and the token
/// of the claim it was handed out under.
package struct JobTicket: Sendable, Hashable {
    package var id: Int64
    package var lane: String
    package var token: Int64

    package init(id: Int64, lane: String, token: Int64) {
        self.id = id
        self.lane = lane
        self.token = token
    }

    /// The claim on its lane that this job runs under.
    package var claim: LaneClaim { LaneClaim(lane: lane, token: token) }
}

/// Call slots a job holds at a target's rate limiter, one per call, in order.
package struct ReservedSlots: Sendable, Hashable {
    package var target: String
    package var times: [MonotonicTime]

    package init(target: String, times: [MonotonicTime]) {
        self.target = target
        self.times = times
    }
}

/// Ordering is per target and per contact: one contact's events reach a target in order.
package struct LaneKey: Sendable, Hashable, CustomStringConvertible {
    /// Whose events a lane holds.
    package enum Contact: Sendable, Hashable {
        /// The contact at the target, found in the event.
        case atTarget(String)
        /// The source's contact, when the target's is not known up front.
        case atSource(source: String, id: String)
    }

    package var target: String
    package var contact: Contact

    package init(target: String, contact: Contact) {
        self.target = target
        self.contact = contact
    }

    package var description: String {
        switch contact {
        case .atTarget(let id): "\(target):\(id)"
        case .atSource(let source, let id): "\(target)/\(source):\(id)"
        }
    }
}
