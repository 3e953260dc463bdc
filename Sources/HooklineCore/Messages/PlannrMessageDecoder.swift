/// Plannr account events (`account.created`, `account.updated`, `account.deleted`).
///
/// Plannr does not document the delivery envelope, so this decoder is tolerant about shape and
/// strict about the fields it uses: the event name is read from `event`, `type`, `event_type`
/// or `topic` (else the configured header), and the account from `data.account`, `data`,
/// `account`, `payload`, or the body itself. Other Plannr events (`plan.*`, `case.*`, …) are
/// ignored.
package struct PlannrMessageDecoder: MessageDecoder {
    private static let typeFields = ["event", "type", "event_type", "topic"]

    package init() {}

    package func decode(_ body: JSONNode, context: MessageContext) throws(MessageDecodeError) -> DecodedMessage {
        let root = try JSONFieldReader(root: body)
        var type = context.eventType
        for field in Self.typeFields {
            if let named = try root.string(field) {
                type = named
                break
            }
        }
        guard let type else {
            throw MessageDecodeError(field: "event", problem: "required: no event name in event, type, event_type or topic")
        }
        guard EventTypeName.hasResource("account", type) else {
            return .ignored(type: type, reason: "\(type) is not an account event")
        }
        guard let kind = EventTypeName.kind(of: type) else {
            return .ignored(type: type, reason: "\(type) is not a create, update or delete")
        }
        let (account, isEnvelope) = try findAccount(in: root)
        let accountID = try account.requiredIdentifier("uuid")
        // The envelope's own id names the delivery; the account's uuid names the contact.
        var messageID = context.messageID
        if messageID == nil, isEnvelope { messageID = try root.firstIdentifier("id", "uuid") }
        return .contact(
            ContactMessage(
                messageID: messageID, type: type, kind: kind, contactID: accountID,
                contact: .patch(try PlannrAccountMapper.patch(from: account))))
    }

    /// The account object and whether it sits inside an envelope.
    private func findAccount(in root: JSONFieldReader) throws(MessageDecodeError) -> (JSONFieldReader, Bool) {
        if let data = try root.object("data") {
            if let account = try data.object("account") { return (account, true) }
            return (data, true)
        }
        if let account = try root.object("account") { return (account, true) }
        if let payload = try root.object("payload") {
            if let account = try payload.object("account") { return (account, true) }
            return (payload, true)
        }
        guard root.contains("uuid") else {
            throw MessageDecodeError(field: "data", problem: "required: no account found in data, account, payload or the body")
        }
        return (root, false)
    }
}

/// Maps a Plannr account resource onto a patch.
package enum PlannrAccountMapper {
    static func patch(from account: JSONFieldReader) throws(MessageDecodeError) -> ContactPatch {
        var patch = ContactPatch()
        patch.firstName = try account.stringUpdate("first_name")
        patch.lastName = try account.stringUpdate("last_name")
        patch.email = try primaryEmail(in: account)
        if let phone = try primaryPhone(in: account) {
            patch.mobilePhone = phone.kind == .mobile ? phone.update : nil
            patch.officePhone = phone.kind == .office ? phone.update : nil
        }
        patch.customFields = try account.customFields("custom_fields")
        return patch
    }

    /// `primary_email` as a contact-detail object or a string, else `email`.
    private static func primaryEmail(in account: JSONFieldReader) throws(MessageDecodeError) -> FieldUpdate<String>? {
        switch account.member("primary_email") {
        case let email? where email.kind == .object:
            let detail = try account.requiredObject("primary_email")
            if let value = try detail.stringUpdate("value") { return value }
        case let email? where email.kind == .string:
            if let text = email.stringValue, text.contains("@") { return .set(text) }
        case let email? where email.isNull:
            return .clear
        default:
            break
        }
        return try account.stringUpdate("email")
    }

    /// `primary_phone_number` as a contact-detail object (`value`, `phone_number_meta.country`,
    /// `name`), a `{"country","number"}` object, or a string. A detail named like "work" or
    /// "office" is an office phone; any other is the mobile.
    private static func primaryPhone(
        in account: JSONFieldReader
    ) throws(MessageDecodeError) -> (kind: PhoneKind, update: FieldUpdate<PhoneNumber>)? {
        guard let phone = account.member("primary_phone_number") else { return nil }
        switch phone.kind {
        case .null:
            return (.mobile, .clear)
        case .string:
            // The API reference shows a class name here; only digits make a number.
            guard let text = phone.stringValue, text.contains(where: \.isNumber) else { return nil }
            return (.mobile, .set(PhoneNumber(number: text)))
        case .object:
            let detail = try account.requiredObject("primary_phone_number")
            var country = try detail.object("phone_number_meta")?.string("country")
            if country == nil { country = try detail.string("country") }
            let number = try detail.firstString("value", "number")
            guard let number else {
                throw MessageDecodeError(field: detail.fieldPath("value"), problem: "required")
            }
            let name = (try detail.string("name") ?? "").lowercased()
            let kind: PhoneKind = name.contains("work") || name.contains("office") ? .office : .mobile
            return (kind, .set(PhoneNumber(number: number, country: country)))
        default:
            throw MessageDecodeError(field: "primary_phone_number", problem: "expected an object, a string or null, got \(phone.kind.typeName)")
        }
    }
}
