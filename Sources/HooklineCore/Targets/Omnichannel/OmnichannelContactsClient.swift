/// The X-Api-Key contacts API (seed 003): `PUT {base}/contacts/{id}`, where `id` is the contact's
/// id or its external reference id — so a route can address a contact by the source's own id.
package struct OmnichannelContactsClient: TargetAPI {
    package static let requiredOptions = ["api_key"]
    package static let secretOptions: Set<String> = ["api_key"]

    package let settings: TargetSettings

    package init(settings: TargetSettings) {
        self.settings = settings
    }

    package func plan(_ change: TargetChange, references: some ReferenceLookup) -> TargetPlan {
        guard change.kind != .deleted else {
            return .nothing(reason: "the contacts API has no delete call; deletes are not applied")
        }
        if let refusal = PathID.refusal(of: change.contactID, shape: .opaque, what: "contact id") {
            return .nothing(reason: refusal)
        }
        let patch = change.patch
        // Seed 003's field order.
        var body = PatchJSON()
        body.add("first_name", patch.firstName)
        body.add("last_name", patch.lastName)
        body.add("second_last_name", patch.secondLastName)
        body.add("email", patch.email)
        // One phone field: the mobile, else a set office number. Clearing the office number
        // must not erase a mobile the message says nothing about.
        let officeStandIn = patch.officePhone?.value.map(FieldUpdate.set)
        body.add("phone", patch.mobilePhone ?? officeStandIn)
        body.add("company_name", patch.companyName)
        body.add("country_code", patch.countryCode)
        body.add("language", patch.language)
        guard !body.isEmpty else {
            return .nothing(reason: "no field the contacts API stores was in the event")
        }
        return .calls([
            TargetCall(method: "PUT", path: "/contacts/\(URLEncoding.pathSegment(change.contactID))", body: JSONWriter.bytes(body.object))
        ])
    }

    package func authorize(_ call: TargetCall, token: String?) -> TargetCall {
        var authorized = call
        authorized.headers = [
            HeaderField(name: "X-Api-Key", value: settings.options["api_key"] ?? ""),
            HeaderField(name: "Accept", value: "application/json"),
            HeaderField(name: "Content-Type", value: "application/json"),
        ] + call.headers
        return authorized
    }

    package func classify(_ response: TargetResponse, to call: TargetCall) -> CallVerdict {
        ResponseClassifier.classify(response, delayHeaders: ["Retry-After"], refreshesOn401: false, secrets: secrets)
    }
}
