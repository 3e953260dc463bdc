import HooklineCore

/// Queues `redriven` records again: journals each (payload and all) before queuing its jobs, so
/// a redrive survives a crash like any delivery. Attempts keep counting; the retry budget starts
/// afresh.
struct Redriver: Sendable {
    let configuration: HooklineConfiguration
    let audit: AuditLogWriter
    let queue: WorkQueue

    func redrive(_ records: [AuditRecord]) async -> [RedriveResult] {
        let routes = RouteTable(configuration.routes)
        var results: [RedriveResult] = []
        for var record in records {
            guard record.outcome == .redriven, let eventID = record.event else { continue }
            guard let sourceName = record.source, let source = configuration.source(named: sourceName),
                let decoder = MessageDecoders.decoder(forKind: source.kind), let payload = record.payload
            else {
                results.append(RedriveResult(event: eventID, targets: [], problem: "its source \(record.source ?? "?") is not configured here"))
                continue
            }
            guard case .contact(let message)? = try? decoder.decode(bytes: payload, context: MessageContext(messageID: record.message, eventType: record.type)) else {
                results.append(RedriveResult(event: eventID, targets: [], problem: "its payload does not decode as a \(source.kind) message"))
                continue
            }
            let owed = Set(audit.journal.pendingEvent(eventID)?.remainingTargets ?? [])
            var problems: [String] = []
            var jobs: [Job] = []
            let event = ContactEvent(
                id: eventID, messageID: record.message, source: sourceName, type: message.type, kind: message.kind,
                receivedAt: .now(), contactID: message.contactID, contact: message.contact.queued)
            let base = record.attempt ?? 0
            for target in record.targets ?? [] {
                if owed.contains(target) {
                    problems.append("\(target) is still in progress")
                } else if let route = routes.route(from: sourceName, to: target) {
                    jobs.append(
                        Job(
                            event: event, route: route, attempt: base, budgetStart: base,
                            targetContact: Job.targetContact(route: route, subject: message.contact)))
                } else {
                    problems.append("no route from \(sourceName) to \(target) is configured")
                }
            }
            guard !jobs.isEmpty else {
                results.append(RedriveResult(event: eventID, targets: [], problem: problems.joined(separator: "; ")))
                continue
            }
            guard queue.reserve(jobs.count) else {
                results.append(RedriveResult(event: eventID, targets: [], problem: "the queue is full"))
                continue
            }
            record.targets = jobs.map(\.target)
            record.ts = .now()
            let failure: FileError? = await withCheckedContinuation { continuation in
                audit.appendDurably(record) { continuation.resume(returning: $0) }
            }
            if let failure {
                queue.cancelReservation(jobs.count)
                results.append(RedriveResult(event: eventID, targets: [], problem: failure.description))
                continue
            }
            queue.enqueue(reserved: jobs)
            results.append(RedriveResult(event: eventID, targets: jobs.map(\.target), problem: problems.isEmpty ? nil : problems.joined(separator: "; ")))
        }
        return results
    }
}
