/// How a route finds the target's id for a contact.
package enum ContactIDRule: Sendable, Hashable, CustomStringConvertible {
    /// The source's contact id, as is (for APIs that accept an external reference id).
    case sourceID
    /// A field of the source contact, such as `custom_fields.plannr_account_uuid`.
    case field(String)
    /// The id this target returned when Hookline created the contact there.
    case mapping

    /// Parses `source_id`, `mapping` or `field:<path>`.
    package init?(configuration text: String) {
        switch text {
        case "source_id": self = .sourceID
        case "mapping": self = .mapping
        default:
            guard text.hasPrefix("field:"), text.count > 6 else { return nil }
            self = .field(String(text.dropFirst(6)))
        }
    }

    package var description: String {
        switch self {
        case .sourceID: "source_id"
        case .mapping: "mapping"
        case .field(let path): "field:\(path)"
        }
    }
}

/// Which events of one source go to one target, and how the target's contact is found.
package struct Route: Sendable, Hashable {
    package var source: String
    package var target: String
    package var events: Set<ContactEventKind>
    package var contactID: ContactIDRule

    package init(
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
package struct RouteTable: Sendable {
    package let routes: [Route]

    package init(_ routes: [Route]) { self.routes = routes }

    /// The routes an event of `kind` from `source` takes, in configuration order.
    package func routes(from source: String, kind: ContactEventKind) -> [Route] {
        routes.filter { $0.source == source && $0.events.contains(kind) }
    }

    /// The route from `source` to `target`, if one is configured.
    package func route(from source: String, to target: String) -> Route? {
        routes.first { $0.source == source && $0.target == target }
    }
}
