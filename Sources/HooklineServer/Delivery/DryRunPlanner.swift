import HooklineCore

/// `hookline replay --dry-run`: the calls Hookline would make for a body, built by the real
/// target clients against the configuration and the ids learned so far — nothing is sent.
public struct DryRunPlanner: Sendable {
    public let configuration: HooklineConfiguration
    public let references: any ReferenceLookup

    public init(configuration: HooklineConfiguration, references: any ReferenceLookup) {
        self.configuration = configuration
        self.references = references
    }

    /// The description of what `body` on `source` would do, as lines of text.
    public func describe(_ body: [UInt8], source sourceName: String) -> Result<[String], MessageDecodeError> {
        guard let source = configuration.source(named: sourceName), let decoder = MessageDecoders.decoder(forKind: source.kind) else {
            return .failure(MessageDecodeError(field: "", problem: "no source named '\(sourceName)' in the configuration (use --source)"))
        }
        let decoded: DecodedMessage
        do {
            decoded = try decoder.decode(bytes: body, context: MessageContext())
        } catch {
            return .failure(error)
        }
        guard case .contact(let message) = decoded else {
            if case .ignored(let type, let reason) = decoded { return .success(["ignored (\(type)): \(reason)"]) }
            return .success([])
        }
        var lines = ["\(message.type) for \(sourceName) contact \(message.contactID)"]
        let routes = RouteTable(configuration.routes).routes(from: sourceName, kind: message.kind)
        if routes.isEmpty { lines.append("  ignored: no route for \(message.kind.rawValue) events from \(sourceName)") }
        for route in routes {
            guard let settings = configuration.target(named: route.target), let client = TargetKinds.client(for: settings) else { continue }
            let patch: ContactPatch
            switch message.contact {
            case .patch(let carried):
                patch = carried
            case .reference(let reference):
                if let resolver = source.resolveWith.flatMap(configuration.target(named:)).flatMap(TargetKinds.client(for:)) as? any ContactFetching {
                    switch resolver.fetchCall(contactID: reference.id) {
                    case .success(let fetch):
                        lines.append("  → \(route.target): \(fetch.method) \(resolver.url(for: fetch)) first; the update is built from its answer")
                    case .failure(let refused):
                        lines.append("  → \(route.target): skipped: \(refused.reason)")
                    }
                } else {
                    lines.append("  → \(route.target): a thin message, but \(sourceName) has no resolve_with target to fetch it")
                }
                continue
            case .inJournal:
                continue  // decoders never produce it; only queued jobs do
            }
            let contactID: String
            switch ContactIDResolver.targetContactID(
                rule: route.contactID, target: route.target, source: sourceName, sourceContactID: message.contactID, patch: patch,
                references: references)
            {
            case .success(let id): contactID = id
            case .failure(let missing):
                lines.append("  → \(route.target): skipped: \(missing.message)")
                continue
            }
            let change = TargetChange(kind: message.kind, patch: patch, contactID: contactID, sourceContactID: message.contactID, source: sourceName)
            switch client.plan(change, references: references) {
            case .nothing(let reason):
                lines.append("  → \(route.target): skipped: \(reason)")
            case .calls(let calls):
                for call in calls {
                    lines.append("  → \(route.target): \(call.method) \(client.url(for: call))")
                    if let text = call.bodyText { lines.append("      \(text)") }
                }
            }
        }
        return .success(lines)
    }
}
