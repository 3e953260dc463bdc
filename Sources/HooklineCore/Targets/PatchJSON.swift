/// Builds request bodies from patch fields: a set value is written, a cleared one is `null`,
/// an absent one is left out.
struct PatchJSON {
    private(set) var members: [JSONObject.Member] = []

    var isEmpty: Bool { members.isEmpty }

    mutating func add(_ key: String, _ update: FieldUpdate<String>?) {
        guard let update else { return }
        members.append(JSONObject.Member(key: key, value: update.value.map(JSONValue.string) ?? .null))
    }

    mutating func add(_ key: String, _ update: FieldUpdate<PhoneNumber>?) {
        add(key, update?.map(\.number))
    }

    var object: JSONValue { .object(JSONObject(members)) }
}
