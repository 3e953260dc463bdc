/// How a route finds the target's id for a contact.
public enum ContactIDRule: Sendable, Hashable, CustomStringConvertible {
    /// The source's contact id, as is (for APIs that accept an external reference id).
    case sourceID
    /// A field of the source contact, such as `custom_fields.plannr_account_uuid`.
    case field(String)
    /// The id this target returned when Hookline created the contact there.
    case mapping

    /// Parses `source_id`, `mapping` or `field:<path>`.
    public init?(configuration text: String) {
        switch text {
        case "source_id": self = .sourceID
        case "mapping": self = .mapping
        default:
            guard text.hasPrefix("field:"), text.count > 6 else { return nil }
            self = .field(String(text.dropFirst(6)))
        }
    }

    public var description: String {
        switch self {
        case .sourceID: "source_id"
        case .mapping: "mapping"
        case .field(let path): "field:\(path)"
        }
    }
}

/// Which events of one source go to one target, and how the target's contact is found.
public struct Route: Sendable, Hashable {
    public var source: String
    public var target: String
    public var events: Set<ContactEventKind>
    public var contactID: ContactIDRule

    public init(
        source: String,
        target: String,
        events: Set<ContactEventKind> = Set(ContactEventKind.allCases),
        contactID: ContactIDRule = .sourceID
    ) {
        self.source = source
        self.target = target
        self.events = events
        self.contactID = contactID
    }
}

/// The configured routes, looked up by source and event kind.
public struct RouteTable: Sendable {
    public let routes: [Route]

    public init(_ routes: [Route]) { self.routes = routes }

    /// The routes an event of `kind` from `source` takes, in configuration order.
    public func routes(from source: String, kind: ContactEventKind) -> [Route] {
        routes.filter { $0.source == source && $0.events.contains(kind) }
    }

    /// The route from `source` to `target`, if one is configured.
    public func route(from source: String, to target: String) -> Route? {
        routes.first { $0.source == source && $0.target == target }
    }
}
