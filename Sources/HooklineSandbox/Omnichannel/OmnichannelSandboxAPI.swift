import HooklineCore

/// The X-Api-Key contacts API (seed 003): `PUT /contacts/{id}` where `id` is the contact's id or
/// its `external_reference_id`; 401 without the key, 404 for an unknown contact, 422 for a
/// field of the wrong type.
struct OmnichannelSandboxAPI: Sendable {
    static let stringFields = [
        "first_name", "last_name", "second_last_name", "email", "phone", "company_name", "country_code", "language",
        "external_reference_id", "external_reference_url", "source",
    ]
    static let booleanFields = ["whatsapp_transactional_opt_in", "email_transactional_opt_in", "whatsapp_marketing_opt_in", "email_marketing_opt_in"]
    static let arrayFields = ["additional_phones", "additional_emails", "skills", "custom_attributes"]

    let apiKey: String
    /// Contacts by their own id.
    var contacts: [String: JSONObject]
    /// Unknown ids become new contacts instead of 404s (benchmarks).
    var createUnknown = false

    mutating func handle(method: String, path: String, headers: [HeaderField], body: [UInt8]) -> SandboxResponse {
        guard headers.first(where: { $0.name.lowercased() == "x-api-key" })?.value == apiKey else {
            return .json(401, ["error": "unauthorized"])
        }
        let prefix = "/contacts/"
        guard path.hasPrefix(prefix) else { return .json(404, ["error": "not found"]) }
        guard method == "PUT" else { return .json(405, ["error": "method not allowed"]) }
        let reference = String(path.dropFirst(prefix.count)).removingPercentEncoding
        if createUnknown, contacts[reference] == nil {
            contacts[reference] = ["id": .string(reference), "external_reference_id": .string(reference)]
        }
        guard let id = contacts[reference] != nil ? reference : contacts.first(where: { $0.value["external_reference_id"]?.stringValue == reference })?.key,
            var contact = contacts[id]
        else {
            return .json(404, ["error": "contact not found"])
        }
        guard let update = (try? JSONParser.parse(body))?.objectValue else {
            return .json(422, ["error": "the body must be a JSON object"])
        }
        var problems: [String] = []
        for member in update {
            switch member.value {
            case .null: continue
            case .string where Self.stringFields.contains(member.key): continue
            case .bool where Self.booleanFields.contains(member.key): continue
            case .array where Self.arrayFields.contains(member.key): continue
            case .number(let text) where member.key == "priority" && (1...5).contains(Int(text) ?? 0): continue
            default: problems.append("\(member.key) has the wrong type or is not a contact field")
            }
        }
        guard problems.isEmpty else { return .json(422, ["error": .string(problems.joined(separator: "; "))]) }
        for member in update { contact[member.key] = member.value }
        contact["updated_at"] = .string(SandboxJSON.timestamp())
        contacts[id] = contact
        return .json(200, .object(contact))
    }
}
