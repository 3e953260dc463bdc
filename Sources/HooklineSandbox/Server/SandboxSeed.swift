import HooklineCore

/// The contacts the sandbox starts with: the ones `Fixtures/` refer to, so every fixture can be
/// applied end to end.
package struct SandboxSeed: Sendable {
    package var buildrContacts: [String: JSONObject]
    package var plannrClientAccounts: Set<String>
    /// Omnichannel contacts by their own id; each has an `external_reference_id`.
    package var omnichannelContacts: [String: JSONObject]

    package init(buildrContacts: [String: JSONObject], plannrClientAccounts: Set<String>, omnichannelContacts: [String: JSONObject]) {
        self.buildrContacts = buildrContacts
        self.plannrClientAccounts = plannrClientAccounts
        self.omnichannelContacts = omnichannelContacts
    }

    /// Plannr client accounts the fixtures name.
    package static let garethAccount = "73b5cb71-6779-40a9-9ddc-33b16ada4da6"
    package static let secondAccount = "2c39202f-a0a1-4c9b-b939-941eb5dc6c14"

    static func buildrContact(_ id: String, first: String, last: String, email: String, plannr: String?) -> JSONObject {
        var contact: JSONObject = [
            "id": .string(id), "created_at": "2023-02-14T18:13:00Z", "updated_at": "2023-04-03T20:16:30Z",
            "email": .string(email), "first_name": .string(first), "last_name": .string(last), "name": "\(first) \(last)",
            "job_title": .null, "mobile_phone": .null, "office_phone": .null, "linked_in_profile_url": .null,
            "company": .null, "assigned_to": .null,
        ]
        contact["custom_fields"] = plannr.map { ["plannr_account_uuid": .string($0)] } ?? [:]
        return contact
    }

    static func omnichannelContact(_ id: String, reference: String) -> JSONObject {
        ["id": .string(id), "external_reference_id": .string(reference), "first_name": .null, "last_name": .null, "email": .null]
    }

    /// The seed `hookline demo` and the tests use.
    package static let fixtures: SandboxSeed = {
        let buildr = [
            buildrContact("144", first: "Austin", last: "Reaves", email: "austin.reaves@example.com", plannr: garethAccount),
            buildrContact("2279", first: "Priya", last: "Raman", email: "priya.raman@example.com", plannr: secondAccount),
            buildrContact("2291", first: "Maya", last: "Okafor", email: "maya.okafor@example.com", plannr: nil),
        ]
        let references = ["144", "2279", "2291", garethAccount, secondAccount, "c_7f3a21", "48213", "c_0d91e4"]
        var omnichannel: [String: JSONObject] = [:]
        for (index, reference) in references.enumerated() {
            let id = "omni_\(1000 + index)"
            omnichannel[id] = omnichannelContact(id, reference: reference)
        }
        return SandboxSeed(
            buildrContacts: Dictionary(uniqueKeysWithValues: buildr.map { ($0["id"]?.stringValue ?? "", $0) }),
            plannrClientAccounts: [garethAccount, secondAccount],
            omnichannelContacts: omnichannel)
    }()
}
