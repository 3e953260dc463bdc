/// What the audit log says is still owed, rebuilt line by line at start-up: events received but
/// not finished at every target, the message ids inside the dedup window, and the ids learned
/// from creates. The log is the journal; this is its replay.
public struct AuditJournal: Sendable {
    /// A received event with targets still to finish.
    public struct PendingEvent: Sendable {
        /// The `received` line, payload included.
        public var received: AuditRecord
        /// Targets without a terminal line yet, in the order the event named them.
        public var remainingTargets: [String]
        /// Attempts made so far per target (from `retry` lines).
        public var attempts: [String: Int]
        /// When each target's first attempt happened.
        public var firstAttemptAt: [String: UnixTime]
    }

    /// A message id seen by a `received` line.
    public struct SeenMessage: Sendable, Hashable {
        public var key: String
        public var eventID: String
        public var seenAt: UnixTime
    }

    /// A learned id (`created` lines).
    public struct Reference: Sendable, Hashable {
        public var target: String
        public var key: String
        public var id: String
    }

    private var pendingByID: [String: PendingEvent] = [:]
    private var order: [String] = []
    public private(set) var seenMessages: [SeenMessage] = []
    private var referenceIndex: [String: Int] = [:]
    public private(set) var references: [Reference] = []
    /// Lines read.
    public private(set) var lines = 0

    public init() {}

    /// Pending events in the order they were received.
    public var pending: [PendingEvent] { order.compactMap { pendingByID[$0] } }

    public var pendingCount: Int { pendingByID.count }

    public mutating func apply(_ record: AuditRecord) {
        lines += 1
        switch record.outcome {
        case .received:
            guard let event = record.event, let targets = record.targets, !targets.isEmpty else { return }
            if pendingByID[event] == nil { order.append(event) }
            pendingByID[event] = PendingEvent(received: record, remainingTargets: targets, attempts: [:], firstAttemptAt: [:])
            if let message = record.message, let source = record.source {
                seenMessages.append(SeenMessage(key: DedupWindow.key(source: source, messageID: message), eventID: event, seenAt: record.ts))
            }
        case .created:
            guard let target = record.target, let key = record.refKey, let id = record.ref else { return }
            let slot = "\(target)\u{1F}\(key)"
            if let index = referenceIndex[slot] {
                references[index].id = id
            } else {
                referenceIndex[slot] = references.count
                references.append(Reference(target: target, key: key, id: id))
            }
        case .retry:
            guard let event = record.event, let target = record.target, pendingByID[event] != nil else { return }
            pendingByID[event]?.attempts[target] = record.attempt ?? 1
            if pendingByID[event]?.firstAttemptAt[target] == nil { pendingByID[event]?.firstAttemptAt[target] = record.ts }
        case .applied, .skipped, .failed, .dead:
            guard let event = record.event, let target = record.target, var pending = pendingByID[event] else { return }
            pending.remainingTargets.removeAll { $0 == target }
            if pending.remainingTargets.isEmpty {
                pendingByID[event] = nil
            } else {
                pendingByID[event] = pending
            }
        case .rejected, .duplicate, .coalesced, .ignored, .recovered:
            return
        }
    }

    /// Drops bookkeeping for events no longer pending (keeps memory bounded on long logs).
    public mutating func compact() {
        order.removeAll { pendingByID[$0] == nil }
    }
}
