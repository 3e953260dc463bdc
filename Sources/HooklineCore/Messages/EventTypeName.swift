/// Splits sender event names such as `contact.update`, `account.created` or
/// `contact.deleted` into a resource and a contact event kind. Compared as ASCII bytes without
/// case, so nothing is allocated per message (no Unicode letter lower-cases into these names).
package enum EventTypeName {
    /// The part before the first dot (`contact`), lower-cased.
    package static func resource(of type: String) -> String {
        String(type.split(separator: ".", maxSplits: 1).first ?? "").lowercased()
    }

    /// Whether the part before the first dot is `resource` (lower-case ASCII), in any case.
    package static func hasResource(_ resource: StaticString, _ type: String) -> Bool {
        let end = type.utf8.firstIndex(of: UInt8(ascii: ".")) ?? type.endIndex
        return ASCIICase.equal(type[..<end], resource)
    }

    /// The kind the action names, or nil for actions Hookline does not apply (`merged`, `archived`).
    package static func kind(of type: String) -> ContactEventKind? {
        let bytes = type.utf8
        // As `split` would see it: a name that starts with its dot has no action.
        guard let dot = bytes.firstIndex(of: UInt8(ascii: ".")), dot != bytes.startIndex else { return nil }
        let action = type[bytes.index(after: dot)...]
        for (name, kind) in actions where ASCIICase.equal(action, name) { return kind }
        return nil
    }

    private static let actions: [(StaticString, ContactEventKind)] = [
        ("create", .created), ("created", .created), ("update", .updated), ("updated", .updated),
        ("delete", .deleted), ("deleted", .deleted), ("destroy", .deleted), ("destroyed", .deleted),
    ]

}
