/// Hookline's canonical message, for any sender:
/// `{"type": "contact.created|contact.updated|contact.deleted", "timestamp": …, "data": <Contact>}`.
///
/// The contact: `id` (required), `first_name`, `last_name`, `second_last_name`, `email`,
/// `additional_emails`, `phones` (`[{"kind": "mobile|office|other", "number", "country"}]`),
/// `company` (`{"id", "name"}`) or `company_name`, `job_title`, `linkedin_url`, `language`,
/// `country_code`, `assigned_to_id`, `external_references` (`{"buildr": "144"}`),
/// `custom_fields`. Absent members leave the target's field alone; `null` clears it.
package struct StandardMessageDecoder: MessageDecoder {

    package init() {}

    package func decode(_ body: JSONNode, context: MessageContext) throws(MessageDecodeError) -> DecodedMessage {
        let root = try JSONFieldReader(root: body)
        let bodyType = try root.string("type")
        guard let type = bodyType ?? context.eventType else {
            throw MessageDecodeError(field: "type", problem: "required")
        }
        if let timestamp = root.member("timestamp") {
            switch timestamp.kind {
            case .null, .number: break
            case .string:
                let valid = timestamp.isPlainString ? UnixTime(rfc3339Bytes: timestamp.rawBytes) != nil : UnixTime(rfc3339: timestamp.stringValue ?? "") != nil
                guard valid else {
                    throw MessageDecodeError(field: "timestamp", problem: "expected an RFC 3339 time such as 2026-11-22T07:19:05Z")
                }
            default:
                throw MessageDecodeError(field: "timestamp", problem: "expected an RFC 3339 string, got \(timestamp.kind.typeName)")
            }
        }
        guard EventTypeName.hasResource("contact", type) else {
            return .ignored(type: type, reason: "\(type) is not a contact event")
        }
        guard let kind = EventTypeName.kind(of: type) else {
            return .ignored(type: type, reason: "\(type) is not a create, update or delete")
        }
        let data = try root.requiredObject("data")
        let contactID = try data.requiredIdentifier("id")
        var messageID = context.messageID
        if messageID == nil { messageID = try root.identifier("id") }
        return .contact(
            ContactMessage(
                messageID: messageID, type: type, kind: kind, contactID: contactID,
                contact: .patch(try Self.patch(from: data))))
    }

    static func patch(from contact: JSONFieldReader) throws(MessageDecodeError) -> ContactPatch {
        var patch = ContactPatch()
        patch.firstName = try contact.stringUpdate("first_name")
        patch.lastName = try contact.stringUpdate("last_name")
        patch.secondLastName = try contact.stringUpdate("second_last_name")
        patch.email = try contact.stringUpdate("email")
        patch.additionalEmails = try contact.stringArrayUpdate("additional_emails")
        patch.jobTitle = try contact.stringUpdate("job_title")
        patch.linkedInURL = try contact.stringUpdate("linkedin_url")
        patch.language = try contact.stringUpdate("language")
        patch.countryCode = try contact.stringUpdate("country_code")
        patch.assignedToID = try contact.identifierUpdate("assigned_to_id")
        patch.companyName = try contact.stringUpdate("company_name")
        if contact.isNull("company") {
            patch.companyName = .clear
            patch.companyID = .clear
        } else if let company = try contact.object("company") {
            patch.companyID = try company.identifierUpdate("id")
            if let name = try company.stringUpdate("name") { patch.companyName = name }
        }
        patch.externalReferences = try contact.references("external_references")
        patch.customFields = try contact.customFields("custom_fields")

        if contact.isNull("phones") {
            patch.mobilePhone = .clear
            patch.officePhone = .clear
            patch.otherPhones = .clear
        } else {
            var others: [PhoneNumber] = []
            // Other phones are replaced only when one is named "other" (not by default).
            var namedOther = false
            let hasPhones = try contact.forEachObject("phones") { phone throws(MessageDecodeError) in
                let named = try phone.string("kind")
                if named == "other" { namedOther = true }
                let kindName = named ?? "other"
                guard let kind = PhoneKind(rawValue: kindName) else {
                    throw MessageDecodeError(field: phone.fieldPath("kind"), problem: "expected mobile, office or other, got \"\(kindName)\"")
                }
                let country = try phone.string("country")
                let update: FieldUpdate<PhoneNumber> =
                    switch try phone.stringUpdate("number") {
                    case .set(let number)?: .set(PhoneNumber(number: number, country: country))
                    case .clear?: .clear
                    case nil: throw MessageDecodeError(field: phone.fieldPath("number"), problem: "required")
                    }
                switch kind {
                case .mobile: patch.mobilePhone = update
                case .office: patch.officePhone = update
                case .other: if let number = update.value { others.append(number) }
                }
            }
            if hasPhones, namedOther { patch.otherPhones = .set(others) }
        }
        return patch
    }
}
