/// What the audit log says is still owed, rebuilt line by line at start-up and kept current by
/// the writer: events received (or redriven) but not finished at every target — by the byte
/// offset of their opening line, not their payload — the message ids inside the dedup window,
/// and the ids learned from creates. The log is the journal; this is its replay.
public struct AuditJournal: Sendable {
    /// An event with targets still to finish.
    public struct PendingEvent: Sendable, Hashable {
        public var event: String
        /// Where its `received` (or `redriven`) line starts in the current file.
        public var offset: Int64
        /// Targets without a terminal line yet, in the order the event named them.
        public var remainingTargets: [String]
        /// Attempts made so far per target.
        public var attempts: [String: Int]
        /// When each target's attempts began (for the retry age budget).
        public var firstAttemptAt: [String: UnixTime]
        /// Position in receive order (recovery re-queues in this order).
        var sequence: Int
    }

    /// A message id seen in a `received` or `seen` line.
    public struct SeenMessage: Sendable, Hashable {
        public var source: String
        public var message: String
        public var eventID: String
        public var seenAt: UnixTime

        /// The dedup window's key for this message.
        public var key: String { DedupWindow.key(source: source, messageID: message) }
    }

    /// A learned id (`created` lines).
    public struct Reference: Sendable, Hashable {
        public var target: String
        public var key: String
        public var id: String

        public init(target: String, key: String, id: String) {
            self.target = target
            self.key = key
            self.id = id
        }
    }

    private var pendingByID: [String: PendingEvent] = [:]
    private var nextSequence = 0
    public private(set) var seenMessages: [SeenMessage] = []
    private var referenceIndex: [String: Int] = [:]
    public private(set) var references: [Reference] = []
    public private(set) var lines = 0

    public init() {}

    /// Pending events in the order they were received.
    public var pending: [PendingEvent] { pendingByID.values.sorted { $0.sequence < $1.sequence } }

    public var pendingCount: Int { pendingByID.count }

    public func pendingEvent(_ id: String) -> PendingEvent? { pendingByID[id] }

    /// Applies one line that starts at `offset` in the current file.
    public mutating func apply(_ line: AuditLineSummary, offset: Int64) {
        lines += 1
        switch line.outcome {
        case .received, .redriven:
            guard let event = line.event, let targets = line.targets, !targets.isEmpty else { return }
            var attempts: [String: Int] = [:]
            if let attempt = line.attempt, attempt > 0 {
                for target in targets { attempts[target] = attempt }
            }
            // A redrive of an event still pending keeps its place.
            let sequence = pendingByID[event]?.sequence ?? nextSequence
            if sequence == nextSequence { nextSequence += 1 }
            pendingByID[event] = PendingEvent(
                event: event, offset: offset, remainingTargets: targets, attempts: attempts, firstAttemptAt: [:], sequence: sequence)
            if line.outcome == .received, let message = line.message, let source = line.source {
                seenMessages.append(SeenMessage(source: source, message: message, eventID: event, seenAt: line.ts))
            }
        case .seen:
            guard let event = line.event, let message = line.message, let source = line.source else { return }
            seenMessages.append(SeenMessage(source: source, message: message, eventID: event, seenAt: line.ts))
        case .created:
            guard let target = line.target, let key = line.refKey, let id = line.ref else { return }
            let slot = "\(target)\u{1F}\(key)"
            if let index = referenceIndex[slot] {
                references[index].id = id
            } else {
                referenceIndex[slot] = references.count
                references.append(Reference(target: target, key: key, id: id))
            }
        case .retry:
            guard let event = line.event, let target = line.target, pendingByID[event] != nil else { return }
            pendingByID[event]?.attempts[target] = line.attempt ?? 1
            if pendingByID[event]?.firstAttemptAt[target] == nil { pendingByID[event]?.firstAttemptAt[target] = line.ts }
        case .applied, .skipped, .failed, .dead:
            guard let event = line.event, let target = line.target, var pending = pendingByID[event] else { return }
            pending.remainingTargets.removeAll { $0 == target }
            if pending.remainingTargets.isEmpty {
                pendingByID[event] = nil
            } else {
                pendingByID[event] = pending
            }
        case .rejected, .duplicate, .coalesced, .ignored, .recovered, .pending:
            return
        }
    }

    /// Forgets message ids older than `horizon` and beyond `maximum` (the dedup window's bounds).
    public mutating func trimSeen(olderThan horizon: UnixTime, keeping maximum: Int) {
        seenMessages.removeAll { $0.seenAt < horizon }
        if seenMessages.count > maximum { seenMessages.removeFirst(seenMessages.count - maximum) }
    }

    /// Points a pending event at a new offset (its line was carried into a new file).
    public mutating func move(_ event: String, to offset: Int64) {
        pendingByID[event]?.offset = offset
    }

    /// A journal for a fresh file: only these pending events and references.
    public mutating func resetLines() { lines = 0 }
}
