/// Buildr's contacts API (seed 004): `PATCH /contacts/{id}` with `{"contact": {…}}` carrying only
/// the fields the event changed; `GET /contacts/{id}` to resolve thin deliveries. OAuth2
/// client credentials, a token cached until expiry and refreshed once on 401; a 429 says how
/// long to wait in `X-Rate-Limited-For`.
package struct BuildrContactsClient: TargetAPI, ContactFetching {
    package static let requiredOptions = ["token_url", "client_id", "client_secret"]
    package static let optionalOptions = ["scope"]
    package static let secretOptions: Set<String> = ["client_secret"]
    /// Buildr allows 10 calls per 10 s per account (a leaky bucket).
    package static let defaultRateLimit: RateLimitSettings? = RateLimitSettings(requests: 10, period: .seconds(10), burst: 9)

    package let settings: TargetSettings
    /// Refresh a token this long before Buildr says it expires.
    static let expiryMargin: Duration = .seconds(60)

    package init(settings: TargetSettings) {
        self.settings = settings
    }

    package func plan(_ change: TargetChange, references: some ReferenceLookup) -> TargetPlan {
        guard change.kind != .deleted else {
            return .nothing(reason: "Buildr's API has no contact delete; deletes are not applied")
        }
        if let refusal = PathID.refusal(of: change.contactID, shape: .numeric, what: "Buildr contact id") {
            return .nothing(reason: refusal)
        }
        let patch = change.patch
        // Seed 004's field order.
        var contact = PatchJSON()
        contact.add("email", patch.email)
        contact.add("company_id", patch.companyID)
        contact.add("first_name", patch.firstName)
        contact.add("last_name", patch.lastName)
        contact.add("job_title", patch.jobTitle)
        contact.add("mobile_phone", patch.mobilePhone)
        contact.add("office_phone", patch.officePhone)
        contact.add("linked_in_profile_url", patch.linkedInURL)
        contact.add("assigned_to_id", patch.assignedToID)
        guard !contact.isEmpty else {
            return .nothing(reason: "no field Buildr stores was in the event")
        }
        let body = JSONWriter.bytes(["contact": contact.object])
        return .calls([
            TargetCall(
                method: "PATCH", path: "/contacts/\(URLEncoding.pathSegment(change.contactID))",
                headers: [HeaderField(name: "Content-Type", value: "application/json")], body: body)
        ])
    }

    package func fetchCall(contactID: String) -> Result<TargetCall, RefusedPathID> {
        if let refusal = PathID.refusal(of: contactID, shape: .numeric, what: "Buildr contact id") {
            return .failure(RefusedPathID(reason: refusal))
        }
        return .success(
            TargetCall(
                method: "GET", path: "/contacts/\(URLEncoding.pathSegment(contactID))",
                headers: [HeaderField(name: "Accept", value: "application/json")]))
    }

    package func patch(fromFetched response: TargetResponse) throws(MessageDecodeError) -> ContactPatch {
        try response.body.withUnsafeBytes { bytes in
            Result { () throws(MessageDecodeError) in
                try JSONTape.withParsed(bytes) { parsed throws(MessageDecodeError) in
                    let root: JSONNode
                    switch parsed {
                    case .success(let node): root = node
                    case .failure(let error): throw MessageDecodeError(field: "", problem: "Buildr's contact answer is not JSON: \(error)")
                    }
                    guard let contact = root.member("contact"), contact.kind == .object else {
                        throw MessageDecodeError(field: "contact", problem: "Buildr's answer has no contact object")
                    }
                    return try BuildrContactMapper.patch(from: contact)
                }
            }
        }.get()
    }

    package func authorize(_ call: TargetCall, token: String?) -> TargetCall {
        guard let token else { return call }
        var authorized = call
        authorized.headers.insert(HeaderField(name: "Authorization", value: "Bearer \(token)"), at: 0)
        return authorized
    }

    package func classify(_ response: TargetResponse, to call: TargetCall) -> CallVerdict {
        ResponseClassifier.classify(
            response, delayHeaders: ["X-Rate-Limited-For", "Retry-After"], refreshesOn401: true, secrets: secrets)
    }

    package var tokenRequest: TokenRequest? {
        let form = URLEncoding.form([
            ("grant_type", "client_credentials"),
            ("client_id", settings.options["client_id"] ?? ""),
            ("client_secret", settings.options["client_secret"] ?? ""),
            ("scope", settings.options["scope"] ?? "read write"),
        ])
        let call = TargetCall(
            method: "POST", path: "",
            headers: [
                HeaderField(name: "Content-Type", value: "application/x-www-form-urlencoded"),
                HeaderField(name: "Accept", value: "application/json"),
            ],
            body: form)
        return TokenRequest(url: settings.options["token_url"] ?? "", call: call)
    }

    package func token(from response: TargetResponse, now: MonotonicTime) -> AccessToken? {
        guard (200..<300).contains(response.status), let body = try? JSONParser.parse(response.body),
            let value = body["access_token"]?.stringValue, !value.isEmpty
        else { return nil }
        let lifetime = body["expires_in"]?.intValue ?? 3600
        return AccessToken(value: value, expiresAt: now + .seconds(lifetime) - Self.expiryMargin)
    }
}
