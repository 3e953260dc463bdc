import HooklineCore
import HooklineServer

/// `hookline replay --dry-run`: the calls Hookline would make for a body, built by the real
/// target clients through the same path a worker takes (`EventJobs`, `TargetPlanner`) against
/// the configuration and the ids learned so far — nothing is sent.
package struct DryRunPlanner: Sendable {
    package let configuration: HooklineConfiguration
    package let references: any ReferenceLookup
    private let events: EventJobs

    package init(configuration: HooklineConfiguration, references: any ReferenceLookup) {
        self.configuration = configuration
        self.references = references
        self.events = EventJobs(configuration)
    }

    /// The ids learned so far, from the `created` lines of the audit log at `path` (read without
    /// its lock: a running Hookline may own it). A missing log has none.
    package static func learnedReferences(in path: String) throws -> any ReferenceLookup {
        var learned = KnownReferences()
        _ = try AuditLogReader.forEachLine(in: path) { line, _ in
            guard let summary = AuditLineScanner.scan(line), summary.outcome == .created,
                let target = summary.target, let key = summary.refKey, let id = summary.ref
            else { return }
            learned.remember(target: target, key: key, id: id)
        }
        return learned
    }

    /// The description of what `body` on `source` would do, as lines of text.
    package func describe(_ body: [UInt8], source sourceName: String) -> Result<[String], MessageDecodeError> {
        guard let source = events.source(named: sourceName) else {
            return .failure(MessageDecodeError(field: "", problem: "no source named '\(sourceName)' in the configuration (use --source)"))
        }
        let decoded: DecodedMessage
        do {
            decoded = try source.kind.decode(bytes: body, context: MessageContext())
        } catch {
            return .failure(error)
        }
        let message: ContactMessage
        switch decoded {
        case .ignored(let type, let reason): return .success(["ignored (\(type)): \(reason)"])
        case .contact(let contact): message = contact
        }
        var lines = ["\(message.type) for \(sourceName) contact \(message.contactID)"]
        let routes = events.routes(for: message, from: sourceName)
        if routes.isEmpty { lines.append("  ignored: no route for \(message.kind.rawValue) events from \(sourceName)") }
        let event = events.event("dry-run", of: message, source: sourceName, receivedAt: .now(), keepPatch: true)
        for job in events.jobs(for: event, subject: message.contact, routes: routes, targets: routes.map(\.target)) {
            guard let settings = configuration.target(named: job.target) else { continue }
            switch message.contact {
            case .patch(let patch):
                lines += describe(TargetPlanner.plan(job, patch: patch, client: settings.client, references: references), job: job, client: settings.client)
            case .reference(let reference):
                lines.append(describeFetch(of: reference, for: job, source: source))
            case .inJournal:
                continue  // decoders never produce it; only queued jobs do
            }
        }
        return .success(lines)
    }

    private func describe(_ plan: TargetPlan, job: Job, client: any TargetClient) -> [String] {
        switch plan {
        case .nothing(let reason):
            return ["  → \(job.target): skipped: \(reason)"]
        case .calls(let calls):
            return calls.flatMap { call in
                ["  → \(job.target): \(call.method) \(client.url(for: call))"] + (call.bodyText.map { ["      \($0)"] } ?? [])
            }
        }
    }

    private func describeFetch(of reference: ContactReference, for job: Job, source: SourceSettings) -> String {
        guard let resolver = source.resolveWith.flatMap(configuration.target(named:))?.client as? any ContactFetching else {
            return "  → \(job.target): a thin message, but \(source.name) has no resolve_with target to fetch it"
        }
        switch resolver.fetchCall(contactID: reference.id) {
        case .success(let fetch):
            return "  → \(job.target): \(fetch.method) \(resolver.url(for: fetch)) first; the update is built from its answer"
        case .failure(let refused):
            return "  → \(job.target): skipped: \(refused.reason)"
        }
    }
}
