/// The members of a contact message that hold personal data — the fields the decoders map onto
/// a contact's names, emails, phones, job and free-form values (`StandardMessageDecoder`,
/// `BuildrContactMapper`, `PlannrAccountMapper`) — and the redaction `audit.payloads: redacted`
/// applies with them. Ids, types, times and references are not in the list: they are what an
/// audit needs and what a thin message is fetched again by.
package enum PersonalFields {
    /// Member names whose whole value is personal, wherever they appear in a payload.
    package static let names: Set<String> = [
        // Names.
        "first_name", "last_name", "second_last_name", "name", "full_name",
        // Emails.
        "email", "additional_emails", "primary_email",
        // Phones.
        "phones", "phone", "mobile_phone", "office_phone", "primary_phone_number",
        // Work and profile.
        "job_title", "company_name", "linkedin_url", "linked_in_profile_url", "language", "country_code",
        // Free-form values a CRM lets its users fill in.
        "custom_fields",
    ]

    /// Members kept inside a personal value: what kind of phone or detail it is, and ids — the
    /// structure, not the person.
    static let structure: Set<String> = ["kind", "type", "id", "uuid"]

    /// What a masked value reads. A payload holding it is never applied again: the personal
    /// values it stands for are gone (`EventJobs.message(of:)`).
    package static let mask = "[redacted by hookline]"
    static let maskBytes = Array(mask.utf8)

    /// The payload with the value of every personal member masked: its strings and numbers
    /// become `mask` (nulls, which clear a field, and booleans stay), objects and arrays keep
    /// their shape, and an object's `structure` members stay. `masked` is false when nothing was personal (a Buildr thin message): the
    /// payload is then returned as it was, byte for byte. Nil when the payload is not JSON.
    package static func redact(_ payload: [UInt8]) -> (payload: [UInt8], masked: Bool)? {
        guard case .success(let value) = Result(catching: { () throws(JSONParseError) in try JSONParser.parse(payload) }) else { return nil }
        var masked = false
        let redacted = walk(value, masked: &masked)
        return masked ? (JSONWriter.bytes(redacted), true) : (payload, false)
    }

    /// Whether `payload` holds a masked value (it was redacted).
    package static func isRedacted(_ payload: [UInt8]) -> Bool { payload.containsBytes(maskBytes) }

    private static func walk(_ value: JSONValue, masked: inout Bool) -> JSONValue {
        switch value {
        case .object(var object):
            for index in object.members.indices {
                let member = object.members[index]
                object.members[index].value =
                    names.contains(member.key) ? mask(member.value, masked: &masked) : walk(member.value, masked: &masked)
            }
            return .object(object)
        case .array(let items):
            return .array(items.map { walk($0, masked: &masked) })
        case .null, .bool, .number, .string:
            return value
        }
    }

    private static func mask(_ value: JSONValue, masked: inout Bool) -> JSONValue {
        switch value {
        case .string, .number:
            masked = true
            return .string(mask)
        case .array(let items):
            return .array(items.map { mask($0, masked: &masked) })
        case .object(var object):
            for index in object.members.indices where !structure.contains(object.members[index].key) {
                object.members[index].value = mask(object.members[index].value, masked: &masked)
            }
            return .object(object)
        case .null, .bool:
            return value
        }
    }
}
