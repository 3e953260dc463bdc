/// Buildr deliveries, in both shapes:
///
/// - **thin** (the documented form): `{"id": 2279, "url": "…/contacts/2279"}` — `id` is the
///   *contact's* id, so it never serves as a message id; the contact is fetched before it is
///   applied. The event name comes from a body field `event`/`type`/`filter_type`, else the
///   configured header, else `contact.update`; the resource from the URL path.
/// - **full**: `{"id", "type"|"event", "created_at", "data": {"contact": {…}}}` — `id` is the
///   message's id.
package struct BuildrMessageDecoder: MessageDecoder {
    static let defaultType = "contact.update"
    private static let typeFields = ["event", "type", "filter_type"]

    package init() {}

    package func decode(_ body: JSONNode, context: MessageContext) throws(MessageDecodeError) -> DecodedMessage {
        let root = try JSONFieldReader(root: body)
        return root.contains("data") ? try decodeFull(root, context: context) : try decodeThin(root, context: context)
    }

    private func eventType(in root: JSONFieldReader, context: MessageContext) throws(MessageDecodeError) -> String? {
        for field in Self.typeFields {
            if let type = try root.string(field) { return type }
        }
        return context.eventType
    }

    private func decodeFull(_ root: JSONFieldReader, context: MessageContext) throws(MessageDecodeError) -> DecodedMessage {
        let messageID = try root.identifier("id") ?? context.messageID
        guard let type = try eventType(in: root, context: context) else {
            throw MessageDecodeError(field: "type", problem: "required: a full Buildr message names its event in type or event")
        }
        let data = try root.requiredObject("data")
        guard EventTypeName.hasResource("contact", type) else {
            return .ignored(type: type, reason: "\(type) is not a contact event")
        }
        guard let kind = EventTypeName.kind(of: type) else {
            return .ignored(type: type, reason: "\(type) is not a create, update or delete")
        }
        let contact = try data.requiredObject("contact")
        let contactID = try contact.requiredIdentifier("id")
        return .contact(
            ContactMessage(
                messageID: messageID, type: type, kind: kind, contactID: contactID,
                contact: .patch(try BuildrContactMapper.patch(from: contact))))
    }

    private func decodeThin(_ root: JSONFieldReader, context: MessageContext) throws(MessageDecodeError) -> DecodedMessage {
        let contactID = try root.requiredIdentifier("id")
        let url = try root.string("url")
        let type = try eventType(in: root, context: context) ?? Self.defaultType

        let resource = url.flatMap { Self.resource(inURL: $0, id: contactID) } ?? EventTypeName.resource(of: type)
        guard resource == "contact" else {
            return .ignored(type: type, reason: "a Buildr \(resource) is not a contact")
        }
        guard let kind = EventTypeName.kind(of: type) else {
            return .ignored(type: type, reason: "\(type) is not a create, update or delete")
        }
        return .contact(
            ContactMessage(
                messageID: context.messageID, type: type, kind: kind, contactID: contactID,
                contact: .reference(ContactReference(id: contactID, url: url))))
    }

    /// The singular resource named in an API URL's path: `…/api/2023-01/contacts/2279` → `contact`.
    static func resource(inURL url: String, id: String) -> String? {
        let withoutQuery = url.split(separator: "?", maxSplits: 1).first ?? ""
        var segments = withoutQuery.split(separator: "/").map(String.init)
        if segments.last == id { segments.removeLast() }
        guard let plural = segments.last, !plural.contains(":") else { return nil }
        let lowered = plural.lowercased()
        switch lowered {
        case "companies": return "company"
        case "opportunities": return "opportunity"
        default: return lowered.hasSuffix("s") ? String(lowered.dropLast()) : lowered
        }
    }
}
