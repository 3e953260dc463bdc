/// Plannr's contact details (seeds 000–002): per email and phone, `PUT /contact-details/{uuid}`
/// when Hookline knows the detail, otherwise `POST /contact-details` and remember the `uuid`
/// Plannr returns so the next change PUTs it. Every call carries `Authorization`, `Accept`,
/// `Content-Type` and `X-PLANNR-ACCOUNT-UUID`. A non-GB phone is sent as `{"country","number"}`.
///
/// The route's contact id is the Plannr *client account* uuid that owns the details.
package struct PlannrContactDetailsClient: TargetAPI {
    package static let requiredOptions = ["token", "account_uuid"]
    package static let secretOptions: Set<String> = ["token"]
    /// Plannr allows 500 requests per minute per user.
    package static let defaultRateLimit: RateLimitSettings? = RateLimitSettings(requests: 500, period: .seconds(60), burst: 1)

    /// It learns each contact detail's uuid from the POST that creates it, and PUTs it afterwards.
    package var learnsReferences: Bool { true }

    package let settings: TargetSettings

    /// One contact detail a change touches.
    struct Detail {
        var slot: String
        var type: String
        var name: String
        var value: JSONValue
        var isPrimary: Bool
    }

    package init(settings: TargetSettings) {
        self.settings = settings
    }

    package func plan(_ change: TargetChange, references: some ReferenceLookup) -> TargetPlan {
        guard change.kind != .deleted else {
            return .nothing(reason: "Plannr accounts are not deleted by Hookline")
        }
        let account = change.contactID
        if let refusal = PathID.refusal(of: account, shape: .uuid, what: "Plannr account uuid") {
            return .nothing(reason: refusal)
        }
        let details = Self.details(of: change.patch)
        guard !details.isEmpty else {
            return .nothing(reason: "no email or phone was set in the event (Plannr stores contact details only; clearing one is not supported)")
        }
        var calls: [TargetCall] = []
        for detail in details {
            let key = "\(account)/\(detail.slot)"
            let primary = detail.isPrimary ? [account] : nil
            if let uuid = references.reference(target: settings.name, key: key) {
                if let refusal = PathID.refusal(of: uuid, shape: .uuid, what: "Plannr contact detail uuid") {
                    return .nothing(reason: refusal)
                }
                calls.append(
                    TargetCall(
                        method: "PUT", path: "/contact-details/\(URLEncoding.pathSegment(uuid))", headers: [],
                        body: Self.updateBody(name: detail.name, value: detail.value, accountUUIDs: [account], primaryAccountUUIDs: primary)))
                continue
            }
            calls.append(
                TargetCall(
                    method: "POST", path: "/contact-details", headers: [],
                    body: Self.createBody(
                        type: detail.type, name: detail.name, value: detail.value, isPrimary: detail.isPrimary,
                        accountUUIDs: [account], primaryAccountUUIDs: primary),
                    learns: key))
        }
        return .calls(calls)
    }

    static func details(of patch: ContactPatch) -> [Detail] {
        var details: [Detail] = []
        if let email = patch.email?.value {
            details.append(Detail(slot: "email", type: "email", name: "Email", value: .string(email), isPrimary: true))
        }
        if let mobile = patch.mobilePhone?.value {
            details.append(Detail(slot: "phone:mobile", type: "phone_number", name: "Mobile", value: phoneValue(mobile), isPrimary: true))
        }
        if let office = patch.officePhone?.value {
            details.append(Detail(slot: "phone:office", type: "phone_number", name: "Work phone number", value: phoneValue(office), isPrimary: false))
        }
        return details
    }

    /// GB numbers (Plannr's default) as a string; others as `{"country","number"}`.
    static func phoneValue(_ phone: PhoneNumber) -> JSONValue {
        guard let country = phone.country?.uppercased(), country != "GB" else { return .string(phone.number) }
        return ["country": .string(country), "number": .string(phone.number)]
    }

    /// `POST /contact-details` (seed 001's field order).
    package static func createBody(
        type: String, name: String, value: JSONValue, isPrimary: Bool, accountUUIDs: [String], primaryAccountUUIDs: [String]?
    ) -> [UInt8] {
        var body: JSONObject = ["type": .string(type), "name": .string(name), "value": value, "is_primary": .bool(isPrimary)]
        body["account_uuids"] = .array(accountUUIDs.map(JSONValue.string))
        if let primaryAccountUUIDs { body["primary_account_uuids"] = .array(primaryAccountUUIDs.map(JSONValue.string)) }
        return JSONWriter.bytes(.object(body))
    }

    /// `PUT /contact-details/{uuid}` (seed 000's field order; the type cannot change).
    package static func updateBody(name: String, value: JSONValue, accountUUIDs: [String], primaryAccountUUIDs: [String]?) -> [UInt8] {
        var body: JSONObject = ["name": .string(name), "value": value]
        body["account_uuids"] = .array(accountUUIDs.map(JSONValue.string))
        if let primaryAccountUUIDs { body["primary_account_uuids"] = .array(primaryAccountUUIDs.map(JSONValue.string)) }
        return JSONWriter.bytes(.object(body))
    }

    package func authorize(_ call: TargetCall, token: String?) -> TargetCall {
        var authorized = call
        authorized.headers = [
            HeaderField(name: "Authorization", value: "Bearer \(settings.options["token"] ?? "")"),
            HeaderField(name: "Accept", value: "application/json"),
            HeaderField(name: "Content-Type", value: "application/json"),
            HeaderField(name: "X-PLANNR-ACCOUNT-UUID", value: settings.options["account_uuid"] ?? ""),
        ] + call.headers
        return authorized
    }

    package func classify(_ response: TargetResponse, to call: TargetCall) -> CallVerdict {
        let verdict = ResponseClassifier.classify(response, delayHeaders: ["Retry-After"], refreshesOn401: false, secrets: secrets)
        guard case .success = verdict, let key = call.learns else { return verdict }
        guard let uuid = (try? JSONParser.parse(response.body))?["uuid"]?.stringValue, !uuid.isEmpty else {
            return .permanent(reason: "HTTP \(response.status): Plannr created the contact detail but its answer has no uuid")
        }
        if let refusal = PathID.refusal(of: uuid, shape: .uuid, what: "uuid in Plannr's answer") {
            return .permanent(reason: "HTTP \(response.status): Plannr created the contact detail, but \(refusal)")
        }
        return .success(learned: LearnedReference(key: key, id: uuid))
    }
}
