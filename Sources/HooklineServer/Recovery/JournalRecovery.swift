import HooklineCore

#if canImport(Glibc)
import Glibc
#endif

/// Start-up recovery: replays the audit log into a journal, restores the dedup window and the
/// learned ids, and turns every event received but not finished into jobs again.
public struct JournalRecovery {
    /// What recovery found and did, for the start-up log line and the operator.
    public struct Report: Sendable {
        public var lines = 0
        public var unreadableLines = 0
        public var truncatedBytes = 0
        public var recoveredEvents = 0
        public var recoveredJobs = 0
        public var references = 0
        public var seconds = 0.0
    }

    /// Reads the log at `path` with the fast scanner. A torn final line (a write the crash cut
    /// short, never acknowledged) is cut off so the next append starts on a fresh line. A
    /// `.next` file left by a rotation the crash interrupted is removed: the current file is
    /// still whole.
    public static func replay(path: String) throws -> (AuditJournal, AuditLogReader.Summary) {
        unlink(path + ".next")
        var journal = AuditJournal()
        var unreadable = 0
        var summary = try AuditLogReader.forEachLine(in: path) { line, offset in
            if let summary = AuditLineScanner.scan(line) {
                journal.apply(summary, offset: offset)
            } else if !line.allSatisfy({ $0 == UInt8(ascii: " ") }) {
                unreadable += 1
            }
        }
        summary.unreadable = unreadable
        if summary.partialTail > 0 {
            _ = truncate(path, off_t(summary.completeBytes))
        }
        return (journal, summary)
    }

    /// The jobs for every pending event, each announced with a `recovered` line (or, when the
    /// configuration no longer allows applying it, a `failed` line per target).
    public static func jobs(
        for journal: AuditJournal,
        path: String,
        configuration: HooklineConfiguration,
        audit: AuditLogWriter
    ) -> [Job] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        defer { if descriptor >= 0 { close(descriptor) } }
        let routes = RouteTable(configuration.routes)
        var jobs: [Job] = []
        for pending in journal.pending {
            let record = AuditLogReader.line(at: pending.offset, in: descriptor).flatMap { try? AuditRecord(jsonLine: $0) }
            let failAll: (String) -> Void = { reason in
                for target in pending.remainingTargets {
                    audit.append(
                        AuditRecord(
                            ts: .now(), outcome: .failed, event: pending.event, source: record?.source, type: record?.type,
                            contact: record?.contact, target: target, error: reason))
                }
            }
            guard let record, let sourceName = record.source, let source = configuration.source(named: sourceName),
                let decoder = MessageDecoders.decoder(forKind: source.kind), let payload = record.payload
            else {
                failAll("recovered at start-up, but its source \(record?.source ?? "?") is no longer configured or its line is unreadable")
                continue
            }
            let context = MessageContext(messageID: record.message, eventType: record.type)
            guard case .contact(let message)? = try? decoder.decode(bytes: payload, context: context) else {
                failAll("recovered at start-up, but its payload no longer decodes as a \(source.kind) message")
                continue
            }
            let event = ContactEvent(
                id: pending.event, messageID: record.message, source: sourceName, type: message.type, kind: message.kind,
                receivedAt: record.ts, contactID: message.contactID, contact: message.contact.queued)
            var coalescingKey: String?
            if case .reference = message.contact {
                coalescingKey = Job.coalescingKey(source: sourceName, contactID: message.contactID, targets: record.targets ?? [])
            }
            var targets: [String] = []
            for target in pending.remainingTargets {
                guard let route = routes.route(from: sourceName, to: target) else {
                    audit.append(
                        AuditRecord(
                            ts: .now(), outcome: .failed, event: pending.event, source: sourceName, type: message.type,
                            contact: message.contactID, target: target,
                            error: "recovered at start-up, but the route from \(sourceName) to \(target) is no longer configured"))
                    continue
                }
                targets.append(target)
                let base = record.outcome == .redriven ? (record.attempt ?? 0) : 0
                jobs.append(
                    Job(
                        event: event, route: route, attempt: pending.attempts[target] ?? base, budgetStart: base,
                        firstAttemptAt: pending.firstAttemptAt[target], recovered: true, coalescingKey: coalescingKey,
                        targetContact: Job.targetContact(route: route, subject: message.contact)))
            }
            if !targets.isEmpty {
                audit.append(
                    AuditRecord(
                        ts: .now(), outcome: .recovered, event: pending.event, message: record.message, source: sourceName,
                        type: message.type, contact: message.contactID, targets: targets))
            }
        }
        return jobs
    }
}
