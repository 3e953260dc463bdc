import HooklineCore

/// Buildr's contacts API as seed 004 and the API facts document it: OAuth client credentials,
/// `GET`/`PATCH /api/2023-01/contacts/{id}`, a leaky bucket of 10 calls per 10 seconds answered
/// with `429 {"error":"rate_limit_exceeded"}` and `X-Rate-Limited-For`.
struct BuildrSandboxAPI: Sendable {
    static let updatableFields = [
        "email", "company_id", "first_name", "last_name", "job_title", "mobile_phone", "office_phone", "linked_in_profile_url",
        "assigned_to_id",
    ]

    let clientID: String
    let clientSecret: String
    var contacts: [String: JSONObject]
    var tokens: Set<String> = []
    var bucket: SandboxLeakyBucket?

    init(clientID: String, clientSecret: String, contacts: [String: JSONObject], rateLimited: Bool) {
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.contacts = contacts
        self.bucket = rateLimited ? SandboxLeakyBucket(capacity: 10, period: .seconds(10)) : nil
    }

    mutating func handle(method: String, path: String, headers: [HeaderField], body: [UInt8]) -> SandboxResponse {
        if path == "/oauth/token" {
            guard method == "POST" else { return .json(405, ["error": "method_not_allowed"]) }
            return token(body)
        }
        let prefix = "/api/2023-01/contacts/"
        guard path.hasPrefix(prefix) else { return .json(404, ["error": "not_found"]) }
        let id = String(path.dropFirst(prefix.count)).removingPercentEncoding
        guard let authorization = headers.first(where: { $0.name.lowercased() == "authorization" })?.value,
            authorization.hasPrefix("Bearer "), tokens.contains(String(authorization.dropFirst(7)))
        else {
            return .json(401, ["error": "invalid_token"])
        }
        if let wait = bucket?.take() {
            let seconds = max(1, Int(wait.rounded(.up)))
            return .json(429, ["error": "rate_limit_exceeded"], headers: [HeaderField(name: "X-Rate-Limited-For", value: String(seconds))])
        }
        guard var contact = contacts[id] else { return .json(404, ["error": "not_found"]) }
        switch method {
        case "GET":
            return .json(200, ["contact": .object(contact)])
        case "PATCH":
            guard let json = try? JSONParser.parse(body), let update = json["contact"]?.objectValue else {
                return .json(422, ["error": "unprocessable_entity", "errors": ["contact": ["is required and must be an object"]]])
            }
            var problems: [JSONObject.Member] = []
            for member in update {
                guard Self.updatableFields.contains(member.key) else {
                    problems.append(.init(key: member.key, value: ["is not a contact field that can be updated"]))
                    continue
                }
                if let problem = SandboxJSON.optionalString(update, member.key).problem {
                    problems.append(.init(key: member.key, value: [.string(problem)]))
                }
            }
            guard problems.isEmpty else {
                return .json(422, ["error": "unprocessable_entity", "errors": .object(JSONObject(problems))])
            }
            for member in update {
                switch member.key {
                case "company_id": contact["company"] = member.value == .null ? .null : ["id": member.value]
                case "assigned_to_id": contact["assigned_to"] = member.value == .null ? .null : ["id": member.value]
                default: contact[member.key] = member.value
                }
            }
            contact["updated_at"] = .string(SandboxJSON.timestamp())
            contacts[id] = contact
            return .json(200, ["contact": .object(contact)])
        default:
            return .json(405, ["error": "method_not_allowed"])
        }
    }

    private mutating func token(_ body: [UInt8]) -> SandboxResponse {
        var form: [String: String] = [:]
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding }
            if parts.count == 2 { form[parts[0]] = parts[1] }
        }
        guard form["grant_type"] == "client_credentials" else {
            return .json(400, ["error": "unsupported_grant_type"])
        }
        guard form["client_id"] == clientID, form["client_secret"] == clientSecret else {
            return .json(401, ["error": "invalid_client"])
        }
        let token = "buildr_at_" + SandboxJSON.uuid()
        tokens.insert(token)
        return .json(200, ["access_token": .string(token), "token_type": "Bearer", "expires_in": 3600, "scope": .string(form["scope"] ?? "read write")])
    }

    /// Revokes every token (a test of the refresh-on-401 path).
    mutating func revokeTokens() { tokens.removeAll() }
}

extension String {
    /// Decodes `%XX` escapes (and `+` as space in forms).
    var removingPercentEncoding: String {
        var bytes: [UInt8] = []
        var iterator = Array(utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%"), let high = iterator.next(), let low = iterator.next(),
                let value = Hex.decode(String(decoding: [high, low], as: UTF8.self))?.first
            {
                bytes.append(value)
            } else if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
