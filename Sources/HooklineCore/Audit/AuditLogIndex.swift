/// What the audit log says is still owed, rebuilt line by line at start-up and kept current by
/// the writer: events received (or redriven) but not finished at every target — by the byte
/// offset of their opening line, not their payload — the message ids inside the dedup window,
/// and the ids learned from creates. The log is the journal; this is its replay.
package struct AuditLogIndex: Sendable {
    /// An event with targets still to finish.
    package struct PendingEvent: Sendable, Hashable {
        package var event: String
        /// Where its `received` (or `redriven`) line starts in the current file.
        package var offset: Int64
        /// Targets without a terminal line yet, in the order the event named them.
        package var remainingTargets: [String]
        /// Attempts made so far per target.
        package var attempts: [String: Int]
        /// When each target's attempts began (for the retry age budget).
        package var firstAttemptAt: [String: UnixTime]
        /// Position in receive order (recovery re-queues in this order).
        var sequence: Int
    }

    /// A message id seen in a `received` or `seen` line.
    package struct SeenMessage: Sendable, Hashable {
        package var source: String
        package var message: String
        package var eventID: String
        package var seenAt: UnixTime

        /// The dedup window's key for this message.
        package var key: MessageKey { MessageKey(source: source, messageID: message) }
    }

    /// A learned id (`created` lines).
    package struct Reference: Sendable, Hashable {
        package var target: String
        package var key: String
        package var id: String

        package init(target: String, key: String, id: String) {
            self.target = target
            self.key = key
            self.id = id
        }
    }

    /// Owed events by id, sharded: growing one table of 100,000 owed events paused the writer,
    /// and every delivery waiting on it, for 50-250 ms.
    private var pendingByID = ShardedDictionary<String, PendingEvent>()
    private var nextSequence = 0
    package private(set) var seenMessages = ChunkedList<SeenMessage>()
    private var referenceIndex: [String: Int] = [:]
    package private(set) var references: [Reference] = []
    /// Targets paused and not resumed since, by name.
    package private(set) var paused: [String: PausedTarget] = [:]
    package private(set) var lines = 0

    package init() {}

    /// Pending events in the order they were received.
    package var pending: [PendingEvent] { pendingByID.values.sorted { $0.sequence < $1.sequence } }

    package var pendingCount: Int { pendingByID.count }

    package func pendingEvent(_ id: String) -> PendingEvent? { pendingByID[id] }

    /// Applies one line that starts at `offset` in the current file.
    package mutating func apply(_ line: AuditLineSummary, offset: Int64) {
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
            let slot = LearnedReference.slot(target: target, key: key)
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
        case .paused:
            guard let target = line.target else { return }
            paused[target] = PausedTarget(target: target, by: line.by ?? "", since: line.ts)
        case .resumed:
            guard let target = line.target else { return }
            paused[target] = nil
        case .rejected, .duplicate, .coalesced, .ignored, .recovered, .pending, .fenced, .erased:
            return
        }
    }

    /// Forgets message ids older than `horizon` and beyond `maximum` (the dedup window's bounds),
    /// oldest first: it stops at the first id inside the horizon, so an older one logged just
    /// after it (two event loops' clocks a millisecond apart) goes at the next trim.
    package mutating func trimSeen(olderThan horizon: UnixTime, keeping maximum: Int) {
        seenMessages.removeFirst { $0.seenAt < horizon }
        if seenMessages.count > maximum { seenMessages.removeFirst(seenMessages.count - maximum) }
    }
}

/// A target paused by an operator or an alert: its jobs wait, in order, until it is resumed.
package struct PausedTarget: Sendable, Hashable {
    package var target: String
    /// Who paused it (a console token's name, a shell user, an alert rule).
    package var by: String
    package var since: UnixTime

    package init(target: String, by: String, since: UnixTime) {
        self.target = target
        self.by = by
        self.since = since
    }
}
