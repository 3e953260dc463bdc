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

    /// The route as a shared store names it (`source` US `target`): the one spelling, for the
    /// lanes an instance may claim and the route each job waits for.
    package var storeKey: String { "\(source)\u{1F}\(target)" }

    /// A `storeKey` as a person reads it: `source → target`.
    package static func readable(storeKey: String) -> String {
        storeKey.split(separator: "\u{1F}", omittingEmptySubsequences: false).joined(separator: " → ")
    }
}

/// The configured routes, looked up by source and event kind.
package struct RouteTable: Sendable {
    package let routes: [Route]
    /// What each (source, kind) selects, worked out once: a delivery looks its routes and
    /// targets up instead of filtering (two arrays per delivery otherwise).
    private let selections: [String: [ContactEventKind: RouteSelection]]

    package init(_ routes: [Route]) {
        self.routes = routes
        var selections: [String: [ContactEventKind: RouteSelection]] = [:]
        for source in Set(routes.map(\.source)) {
            for kind in ContactEventKind.allCases {
                let chosen = routes.filter { $0.source == source && $0.events.contains(kind) }
                selections[source, default: [:]][kind] = RouteSelection(routes: chosen, targets: chosen.map(\.target))
            }
        }
        self.selections = selections
    }

    /// The routes an event of `kind` from `source` takes, in configuration order, and their targets.
    package func selection(from source: String, kind: ContactEventKind) -> RouteSelection {
        selections[source]?[kind] ?? RouteSelection(routes: [], targets: [])
    }

    /// The routes an event of `kind` from `source` takes, in configuration order.
    package func routes(from source: String, kind: ContactEventKind) -> [Route] {
        selection(from: source, kind: kind).routes
    }

    /// The route from `source` to `target`, if one is configured.
    package func route(from source: String, to target: String) -> Route? {
        routes.first { $0.source == source && $0.target == target }
    }
}

/// The routes one kind of event from one source takes, and their target names, in order.
package struct RouteSelection: Sendable {
    package let routes: [Route]
    package let targets: [String]
}
