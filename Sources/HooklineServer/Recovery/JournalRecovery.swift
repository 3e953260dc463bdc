import HooklineCore

#if canImport(Glibc)
import Glibc
#endif

/// Start-up recovery: replays the audit log, restores the dedup window and learned ids, and
/// turns every event that was received but not finished into jobs again.
public struct JournalRecovery {
    /// What recovery found and did, for the start-up log line.
    public struct Report: Sendable {
        public var lines = 0
        public var unreadableLines = 0
        public var truncatedBytes = 0
        public var recoveredEvents = 0
        public var recoveredJobs = 0
        public var references = 0
        public var seconds = 0.0
    }

    /// Reads the log at `path`. A torn final line (a write the crash cut short, never
    /// acknowledged) is cut off so the next append starts on a fresh line.
    public static func replay(path: String) throws -> (AuditJournal, AuditLogReader.Summary) {
        var journal = AuditJournal()
        let summary = try AuditLogReader.forEachRecord(in: path) { record in
            journal.apply(record)
        }
        if summary.partialTail > 0 {
            var status = stat()
            if stat(path, &status) == 0 {
                _ = truncate(path, off_t(Int(status.st_size) - summary.partialTail))
            }
        }
        journal.compact()
        return (journal, summary)
    }

    /// The jobs for every pending event, with a `recovered` line (or a `failed` line per target
    /// when the configuration no longer allows applying it).
    public static func jobs(
        for journal: AuditJournal,
        configuration: HooklineConfiguration,
        audit: AuditLogWriter
    ) -> [Job] {
        let routes = RouteTable(configuration.routes)
        var jobs: [Job] = []
        for pending in journal.pending {
            let record = pending.received
            let failAll: (String) -> Void = { reason in
                for target in pending.remainingTargets {
                    audit.append(
                        AuditRecord(
                            ts: .now(), outcome: .failed, event: record.event, source: record.source, type: record.type,
                            contact: record.contact, target: target, error: reason))
                }
            }
            guard let eventID = record.event, let sourceName = record.source, let source = configuration.source(named: sourceName),
                let decoder = MessageDecoders.decoder(forKind: source.kind), let payload = record.payload
            else {
                failAll("recovered at start-up, but its source \(record.source ?? "?") is no longer configured")
                continue
            }
            let context = MessageContext(messageID: record.message, eventType: record.type)
            guard case .contact(let message)? = try? decoder.decode(bytes: payload, context: context) else {
                failAll("recovered at start-up, but its payload no longer decodes as a \(source.kind) message")
                continue
            }
            let event = ContactEvent(
                id: eventID, messageID: record.message, source: sourceName, type: message.type, kind: message.kind,
                receivedAt: record.ts, contactID: message.contactID, contact: message.contact)
            var targets: [String] = []
            var coalescingKey: String?
            if case .reference = message.contact {
                coalescingKey = Job.coalescingKey(source: sourceName, contactID: message.contactID, targets: record.targets ?? [])
            }
            for target in pending.remainingTargets {
                guard let route = routes.route(from: sourceName, to: target) else {
                    audit.append(
                        AuditRecord(
                            ts: .now(), outcome: .failed, event: eventID, source: sourceName, type: message.type,
                            contact: message.contactID, target: target,
                            error: "recovered at start-up, but the route from \(sourceName) to \(target) is no longer configured"))
                    continue
                }
                targets.append(target)
                jobs.append(
                    Job(
                        event: event, route: route, attempt: pending.attempts[target] ?? 0,
                        firstAttemptAt: pending.firstAttemptAt[target], recovered: true, coalescingKey: coalescingKey))
            }
            if !targets.isEmpty {
                audit.append(
                    AuditRecord(
                        ts: .now(), outcome: .recovered, event: eventID, message: record.message, source: sourceName,
                        type: message.type, contact: message.contactID, targets: targets))
            }
        }
        return jobs
    }
}
