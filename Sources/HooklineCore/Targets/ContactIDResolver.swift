/// Finds a contact's id at a target by the route's rule.
public enum ContactIDResolver {
    /// The target's id, or a sentence saying why there is none (the job fails with it).
    public static func targetContactID(
        rule: ContactIDRule,
        target: String,
        source: String,
        sourceContactID: String,
        patch: ContactPatch,
        references: some ReferenceLookup
    ) -> Result<String, ContactIDMissing> {
        switch rule {
        case .sourceID:
            return .success(sourceContactID)
        case .field(let path):
            guard let id = patch.lookup(path: path), !id.isEmpty else {
                return .failure(ContactIDMissing(message: "the \(source) contact \(sourceContactID) has no \(path), so its \(target) contact cannot be found"))
            }
            return .success(id)
        case .mapping:
            guard let id = references.reference(target: target, key: mappingKey(source: source, sourceContactID: sourceContactID)) else {
                return .failure(ContactIDMissing(message: "no \(target) contact is known for \(source) contact \(sourceContactID) yet"))
            }
            return .success(id)
        }
    }

    /// The learned-reference key of a contact mapping.
    public static func mappingKey(source: String, sourceContactID: String) -> String {
        "contact:\(source)/\(sourceContactID)"
    }
}

/// Why a route could not find the target's contact.
public struct ContactIDMissing: Error, Sendable, Hashable {
    public let message: String

    public init(message: String) { self.message = message }
}
