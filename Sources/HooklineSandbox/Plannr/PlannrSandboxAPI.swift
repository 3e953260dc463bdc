import HooklineCore

/// A Plannr contact detail held by the sandbox.
package struct SandboxContactDetail: Sendable, Hashable {
    package var uuid: String
    package var type: String
    package var name: String
    /// The value as sent: a string, or `{"country","number"}` for a non-GB phone.
    package var value: JSONValue
    package var accountUUIDs: [String]
    package var primaryAccountUUIDs: [String]
}

/// Plannr's contact details (seeds 000–002): four required headers, `POST /contact-details` → 201,
/// `PUT /contact-details/{uuid}` → 200, Laravel-style 422s, client accounts only, 500 requests a
/// minute with `X-Ratelimit-Remaining` on every answer.
struct PlannrSandboxAPI: Sendable {
    let token: String
    let firmAccountUUID: String
    let clientAccounts: Set<String>
    var details: [String: SandboxContactDetail] = [:]
    /// Creation order, so tests read details in the order they were made.
    var order: [String] = []
    var window: SandboxFixedWindow?

    init(token: String, firmAccountUUID: String, clientAccounts: Set<String>, rateLimited: Bool) {
        self.token = token
        self.firmAccountUUID = firmAccountUUID
        self.clientAccounts = clientAccounts
        self.window = rateLimited ? SandboxFixedWindow(limit: 500, period: .seconds(60)) : nil
    }

    mutating func handle(method: String, path: String, headers: [HeaderField], body: [UInt8]) -> SandboxResponse {
        func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name.lowercased() }?.value }
        guard header("Authorization") == "Bearer \(token)" else {
            return .json(401, ["message": "Unauthenticated."])
        }
        guard header("Accept") == "application/json" else {
            return .json(406, ["message": "Send Accept: application/json."])
        }
        guard header("X-PLANNR-ACCOUNT-UUID") == firmAccountUUID else {
            return .json(403, ["message": "This action is unauthorized."])
        }
        var rateHeaders: [HeaderField] = []
        if var window {
            let taken = window.take()
            self.window = window
            guard let remaining = taken.remaining else {
                return .json(
                    429, ["message": "Too Many Attempts."],
                    headers: [HeaderField(name: "X-Ratelimit-Remaining", value: "0"), HeaderField(name: "Retry-After", value: String(Int(taken.resetIn.rounded(.up))))])
            }
            rateHeaders = [HeaderField(name: "X-Ratelimit-Remaining", value: String(remaining))]
        }
        var response = route(method: method, path: path, headers: headers, body: body)
        response.headers += rateHeaders
        return response
    }

    private mutating func route(method: String, path: String, headers: [HeaderField], body: [UInt8]) -> SandboxResponse {
        guard headers.contains(where: { $0.name.lowercased() == "content-type" && $0.value.hasPrefix("application/json") }) else {
            return .json(415, ["message": "Send Content-Type: application/json."])
        }
        guard let json = try? JSONParser.parse(body), let object = json.objectValue else {
            return .json(400, ["message": "The body must be a JSON object."])
        }
        if path == "/contact-details" {
            guard method == "POST" else { return .json(405, ["message": "The \(method) method is not supported for route api/v2/contact-details."]) }
            return create(object)
        }
        let prefix = "/contact-details/"
        guard path.hasPrefix(prefix) else { return .json(404, ["message": "Not found."]) }
        guard method == "PUT" else { return .json(405, ["message": "The \(method) method is not supported for this route."]) }
        return update(uuid: String(path.dropFirst(prefix.count)).removingPercentEncoding, object)
    }

    private func validate(_ object: JSONObject, creating: Bool) -> (errors: [JSONObject.Member], accounts: [String], primary: [String]) {
        var errors: [JSONObject.Member] = []
        func fail(_ field: String, _ message: String) { errors.append(.init(key: field, value: [.string(message)])) }
        if creating {
            switch object["type"] {
            case .string("email")?, .string("phone_number")?: break
            case nil: fail("type", "The type field is required.")
            default: fail("type", "The selected type is invalid.")
            }
        }
        switch object["name"] {
        case .string(let name)? where name.count <= 255: break
        case .string?: fail("name", "The name must not be greater than 255 characters.")
        case nil where !creating: break
        case nil: fail("name", "The name field is required.")
        default: fail("name", "The name must be a string.")
        }
        switch object["value"] {
        case .string?: break
        case .object(let phone)? where phone["country"]?.stringValue != nil && phone["number"]?.stringValue != nil: break
        case nil where !creating: break
        case nil: fail("value", "The value field is required.")
        default: fail("value", "The value must be a string or a {country, number} object.")
        }
        if let primary = object["is_primary"], primary.boolValue == nil { fail("is_primary", "The is primary field must be true or false.") }
        var accounts: [String] = []
        var primaries: [String] = []
        for (key, into) in [("account_uuids", 0), ("primary_account_uuids", 1)] {
            guard let value = object[key] else { continue }
            guard let array = value.arrayValue else {
                fail(key, "The \(key.replacingUnderscores) must be an array.")
                continue
            }
            for (index, element) in array.enumerated() {
                guard let uuid = element.stringValue, clientAccounts.contains(uuid) else {
                    fail("\(key).\(index)", "The selected \(key).\(index) is invalid.")
                    continue
                }
                if into == 0 { accounts.append(uuid) } else { primaries.append(uuid) }
            }
        }
        if creating, object["account_uuids"] == nil { fail("account_uuids", "The account uuids field is required.") }
        return (errors, accounts, primaries)
    }

    private mutating func create(_ object: JSONObject) -> SandboxResponse {
        let (errors, accounts, primaries) = validate(object, creating: true)
        guard errors.isEmpty else { return .json(422, ["message": "The given data was invalid.", "errors": .object(JSONObject(errors))]) }
        let type = object["type"]?.stringValue ?? ""
        if case .object = object["value"], type != "phone_number" {
            return .json(422, ["message": "The given data was invalid.", "errors": ["value": ["The value must be a string."]]])
        }
        var detail = SandboxContactDetail(
            uuid: SandboxJSON.uuid(), type: type, name: object["name"]?.stringValue ?? "", value: object["value"] ?? .null,
            accountUUIDs: accounts, primaryAccountUUIDs: primaries)
        if object["is_primary"]?.boolValue == true {
            demote(type: type, accounts: accounts)
            detail.primaryAccountUUIDs = Array(Set(primaries + accounts)).sorted()
        }
        details[detail.uuid] = detail
        order.append(detail.uuid)
        return .json(201, resource(detail))
    }

    private mutating func update(uuid: String, _ object: JSONObject) -> SandboxResponse {
        guard var detail = details[uuid] else {
            return .json(404, ["message": "No query results for model [App\\Models\\ContactDetail] \(uuid)"])
        }
        let (errors, accounts, primaries) = validate(object, creating: false)
        guard errors.isEmpty else { return .json(422, ["message": "The given data was invalid.", "errors": .object(JSONObject(errors))]) }
        if let name = object["name"]?.stringValue { detail.name = name }
        if let value = object["value"] { detail.value = value }
        if object["account_uuids"] != nil { detail.accountUUIDs = accounts }
        if object["primary_account_uuids"] != nil {
            demote(type: detail.type, accounts: primaries)
            detail.primaryAccountUUIDs = primaries
        }
        details[uuid] = detail
        return .json(200, resource(detail))
    }

    /// `is_primary` makes every other detail of the type no longer primary for those accounts.
    private mutating func demote(type: String, accounts: [String]) {
        for (uuid, var other) in details where other.type == type {
            other.primaryAccountUUIDs.removeAll { accounts.contains($0) }
            details[uuid] = other
        }
    }

    private func resource(_ detail: SandboxContactDetail) -> JSONValue {
        var object: JSONObject = [
            "uuid": .string(detail.uuid), "created_at": .string(SandboxJSON.timestamp()), "updated_at": .string(SandboxJSON.timestamp()),
            "type": .string(detail.type), "name": .string(detail.name),
        ]
        switch detail.value {
        case .object(let phone):
            object["value"] = phone["number"] ?? .null
            object["phone_number_meta"] = ["country": phone["country"] ?? "GB", "formatted": phone["number"] ?? .null]
        default:
            object["value"] = detail.value
            if detail.type == "phone_number" { object["phone_number_meta"] = ["country": "GB", "formatted": detail.value] }
        }
        object["accounts"] = .array(detail.accountUUIDs.map { ["uuid": .string($0), "type": "client", "role": "client"] })
        return .object(object)
    }
}

extension String {
    fileprivate var replacingUnderscores: String { split(separator: "_").joined(separator: " ") }
}
