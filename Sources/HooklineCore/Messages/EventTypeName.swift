/// Splits sender event names such as `contact.update`, `account.created` or
/// `contact.deleted` into a resource and a contact event kind.
enum EventTypeName {
    /// The part before the first dot (`contact`), lower-cased.
    static func resource(of type: String) -> String {
        String(type.split(separator: ".", maxSplits: 1).first ?? "").lowercased()
    }

    /// The kind the action names, or nil for actions Hookline does not apply (`merged`, `archived`).
    static func kind(of type: String) -> ContactEventKind? {
        let parts = type.split(separator: ".", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        switch parts[1].lowercased() {
        case "create", "created": return .created
        case "update", "updated": return .updated
        case "delete", "deleted", "destroy", "destroyed": return .deleted
        default: return nil
        }
    }
}
