/// What a message became, in words and names only (no values: a viewer may read it): the kind
/// of change, the contact, and which fields it sets or clears — or that it is a reference the
/// target's data is fetched for.
package enum DecodedSummary {
    package static func describe(_ message: ContactMessage) -> String {
        let subject: String
        switch message.contact {
        case .patch(let patch):
            let fields = fieldNames(patch)
            subject = fields.isEmpty ? "no contact fields" : fields.joined(separator: ", ")
        case .reference(let reference):
            subject = "a reference to contact \(reference.id), fetched from its source when applied"
        case .inJournal:
            subject = "its fields (kept in the log)"
        }
        return "\(message.kind.rawValue) of contact \(message.contactID): \(subject)"
    }

    /// The fields a patch sets (`name`) or clears (`name (cleared)`), in a fixed order.
    package static func fieldNames(_ patch: ContactPatch) -> [String] {
        func named(_ name: String, _ cleared: Bool?) -> String? { cleared.map { $0 ? "\(name) (cleared)" : name } }
        func state<Value>(_ update: FieldUpdate<Value>?) -> Bool? {
            guard let update else { return nil }
            if case .clear = update { return true }
            return false
        }
        var names = [
            named("first_name", state(patch.firstName)), named("last_name", state(patch.lastName)),
            named("second_last_name", state(patch.secondLastName)), named("email", state(patch.email)),
            named("additional_emails", state(patch.additionalEmails)), named("mobile_phone", state(patch.mobilePhone)),
            named("office_phone", state(patch.officePhone)), named("other_phones", state(patch.otherPhones)),
            named("company_name", state(patch.companyName)), named("company_id", state(patch.companyID)),
            named("job_title", state(patch.jobTitle)), named("linkedin_url", state(patch.linkedInURL)),
            named("language", state(patch.language)), named("country_code", state(patch.countryCode)),
            named("assigned_to_id", state(patch.assignedToID)),
        ].compactMap { $0 }
        names += patch.externalReferences.keys.sorted().map { "external_references.\($0)" }
        names += patch.customFields.keys.sorted().map { key in named("custom_fields.\(key)", state(patch.customFields[key])) ?? key }
        return names
    }
}
