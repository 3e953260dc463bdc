/// Finds a contact's id at a target by the route's rule.
package enum ContactIDResolver {
    /// The target's id, or a sentence saying why there is none (the job fails with it).
    package static func targetContactID(
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
    package static func mappingKey(source: String, sourceContactID: String) -> String {
        "contact:\(source)/\(sourceContactID)"
    }
}

/// Why a route could not find the target's contact.
package struct ContactIDMissing: Error, Sendable, Hashable {
    package let message: String

    package init(message: String) { self.message = message }
}

/// The learned-reference keys a job may read, as prefixes: the contact mapping of its source
/// contact, and the details of the target contact its route names (a store loads only these).
package enum ReferenceKeys {
    package static func prefixes(for job: Job, patch: ContactPatch) -> [String] {
        let event = job.event
        var prefixes = [ContactIDResolver.mappingKey(source: event.source, sourceContactID: event.contactID)]
        switch job.route.contactID {
        case .sourceID: prefixes.append("\(event.contactID)/")
        case .field(let path): if let id = patch.lookup(path: path) { prefixes.append("\(id)/") }
        case .mapping: break
        }
        return prefixes
    }
}
