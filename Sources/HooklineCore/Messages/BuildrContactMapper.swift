/// Maps a Buildr contact object (seed 004: webhook `data.contact` and the body of
/// `GET /contacts/{id}`) onto a patch. Only the members present become updates.
package enum BuildrContactMapper {
    /// The patch for the Buildr contact object in `node` (e.g. the `contact` member of an answer).
    package static func patch(from node: JSONNode) throws(MessageDecodeError) -> ContactPatch {
        guard node.kind == .object else {
            throw MessageDecodeError(field: node.path, problem: "expected an object, got \(node.kind.typeName)")
        }
        return try patch(from: JSONFieldReader(node))
    }

    static func patch(from contact: JSONFieldReader) throws(MessageDecodeError) -> ContactPatch {
        var patch = ContactPatch()
        patch.email = try contact.stringUpdate("email")
        patch.firstName = try contact.stringUpdate("first_name")
        patch.lastName = try contact.stringUpdate("last_name")
        patch.jobTitle = try contact.stringUpdate("job_title")
        patch.mobilePhone = try contact.phoneUpdate("mobile_phone")
        patch.officePhone = try contact.phoneUpdate("office_phone")
        patch.linkedInURL = try contact.stringUpdate("linked_in_profile_url")

        // Responses nest the company and the owner; update bodies carry their ids.
        if contact.isNull("company") {
            patch.companyID = .clear
            patch.companyName = .clear
        } else if let company = try contact.object("company") {
            patch.companyID = try company.identifierUpdate("id")
            patch.companyName = try company.stringUpdate("name")
        }
        if let companyID = try contact.identifierUpdate("company_id") { patch.companyID = companyID }

        if contact.isNull("assigned_to") {
            patch.assignedToID = .clear
        } else if let owner = try contact.object("assigned_to") {
            patch.assignedToID = try owner.identifierUpdate("id")
        }
        if let ownerID = try contact.identifierUpdate("assigned_to_id") { patch.assignedToID = ownerID }

        patch.customFields = try contact.customFields("custom_fields")
        return patch
    }
}
