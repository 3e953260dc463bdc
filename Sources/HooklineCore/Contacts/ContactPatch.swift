/// The changes one message makes to a contact: only the fields the message carries are set.
///
/// The fields are the union the three CRM APIs share.
package struct ContactPatch: Sendable, Hashable {
    package var firstName: FieldUpdate<String>?
    package var lastName: FieldUpdate<String>?
    package var secondLastName: FieldUpdate<String>?
    /// The primary email.
    package var email: FieldUpdate<String>?
    package var additionalEmails: FieldUpdate<[String]>?
    package var mobilePhone: FieldUpdate<PhoneNumber>?
    package var officePhone: FieldUpdate<PhoneNumber>?
    package var otherPhones: FieldUpdate<[PhoneNumber]>?
    package var companyName: FieldUpdate<String>?
    /// The company's id in the system the route targets (Buildr's `company_id`).
    package var companyID: FieldUpdate<String>?
    package var jobTitle: FieldUpdate<String>?
    package var linkedInURL: FieldUpdate<String>?
    /// ISO 639-1.
    package var language: FieldUpdate<String>?
    /// ISO 3166-1 alpha-2.
    package var countryCode: FieldUpdate<String>?
    /// The owning user's id in the system the route targets (Buildr's `assigned_to_id`).
    package var assignedToID: FieldUpdate<String>?
    /// Ids of the same contact in other systems, by system name (`buildr`, `plannr`, …).
    package var externalReferences: [String: String]
    /// Free-form fields by name; `.clear` removes one.
    package var customFields: [String: FieldUpdate<JSONValue>]

    package init(
        firstName: FieldUpdate<String>? = nil,
        lastName: FieldUpdate<String>? = nil,
        secondLastName: FieldUpdate<String>? = nil,
        email: FieldUpdate<String>? = nil,
        additionalEmails: FieldUpdate<[String]>? = nil,
        mobilePhone: FieldUpdate<PhoneNumber>? = nil,
        officePhone: FieldUpdate<PhoneNumber>? = nil,
        otherPhones: FieldUpdate<[PhoneNumber]>? = nil,
        companyName: FieldUpdate<String>? = nil,
        companyID: FieldUpdate<String>? = nil,
        jobTitle: FieldUpdate<String>? = nil,
        linkedInURL: FieldUpdate<String>? = nil,
        language: FieldUpdate<String>? = nil,
        countryCode: FieldUpdate<String>? = nil,
        assignedToID: FieldUpdate<String>? = nil,
        externalReferences: [String: String] = [:],
        customFields: [String: FieldUpdate<JSONValue>] = [:]
    ) {
        self.firstName = firstName
        self.lastName = lastName
        self.secondLastName = secondLastName
        self.email = email
        self.additionalEmails = additionalEmails
        self.mobilePhone = mobilePhone
        self.officePhone = officePhone
        self.otherPhones = otherPhones
        self.companyName = companyName
        self.companyID = companyID
        self.jobTitle = jobTitle
        self.linkedInURL = linkedInURL
        self.language = language
        self.countryCode = countryCode
        self.assignedToID = assignedToID
        self.externalReferences = externalReferences
        self.customFields = customFields
    }

    /// The update for one phone kind.
    package func phone(_ kind: PhoneKind) -> FieldUpdate<PhoneNumber>? {
        switch kind {
        case .mobile: mobilePhone
        case .office: officePhone
        case .other: otherPhones.map { update in update.value?.first.map(FieldUpdate.set) ?? .clear }
        }
    }

    /// The value at a dotted path such as `custom_fields.plannr_account_uuid` or
    /// `external_references.buildr`, used by routes that find a target's id in the contact.
    package func lookup(path: String) -> String? {
        let parts = path.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return nil }
        switch parts[0] {
        case "custom_fields":
            switch customFields[parts[1]]?.value {
            case .string(let text)?: return text
            case .number(let text)?: return text
            default: return nil
            }
        case "external_references":
            return externalReferences[parts[1]]
        default:
            return nil
        }
    }
}
