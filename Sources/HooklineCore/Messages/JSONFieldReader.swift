/// Reads typed fields from a JSON object, naming the full path of any field that has the wrong type.
struct JSONFieldReader {
    let object: JSONObject
    /// The path of `object` itself, e.g. `data.contact` (empty for the root).
    let path: String

    init(_ object: JSONObject, path: String = "") {
        self.object = object
        self.path = path
    }

    /// Reads the root of a body, which must be an object.
    init(root: JSONValue) throws(MessageDecodeError) {
        guard case .object(let object) = root else {
            throw MessageDecodeError(field: "", problem: "expected a JSON object, got \(root.typeName)")
        }
        self.init(object)
    }

    func fieldPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    private func mismatch(_ key: String, expected: String, got value: JSONValue) -> MessageDecodeError {
        MessageDecodeError(field: fieldPath(key), problem: "expected \(expected), got \(value.typeName)")
    }

    func contains(_ key: String) -> Bool { object[key] != nil }

    /// A string field as a patch update: absent → nil, null → `.clear`.
    func stringUpdate(_ key: String) throws(MessageDecodeError) -> FieldUpdate<String>? {
        switch object[key] {
        case nil: return nil
        case .null?: return .clear
        case .string(let text)?: return .set(text)
        case let other?: throw mismatch(key, expected: "a string or null", got: other)
        }
    }

    /// An optional string (absent or null → nil).
    func string(_ key: String) throws(MessageDecodeError) -> String? {
        switch object[key] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        case let other?: throw mismatch(key, expected: "a string", got: other)
        }
    }

    /// An identifier sent as a string or an integer (`"144"` or `144`); absent or null → nil.
    /// Ids are copied into every audit line of their event, so their length is bounded.
    func identifier(_ key: String) throws(MessageDecodeError) -> String? {
        switch object[key] {
        case nil, .null?: return nil
        case .string(let text)?:
            guard !text.isEmpty else { throw MessageDecodeError(field: fieldPath(key), problem: "must not be empty") }
            try MessageLimits.check(text, field: fieldPath(key), what: "an id")
            return text
        case .number(let text)? where text.utf8.allSatisfy({ $0 == UInt8(ascii: "-") || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) }):
            try MessageLimits.check(text, field: fieldPath(key), what: "an id")
            return text
        case let other?: throw mismatch(key, expected: "a string or an integer id", got: other)
        }
    }

    /// The first of `keys` that holds a string.
    func firstString(_ keys: String...) throws(MessageDecodeError) -> String? {
        for key in keys {
            if let text = try string(key) { return text }
        }
        return nil
    }

    /// The first of `keys` that holds an identifier.
    func firstIdentifier(_ keys: String...) throws(MessageDecodeError) -> String? {
        for key in keys {
            if let id = try identifier(key) { return id }
        }
        return nil
    }

    /// An identifier that must be present.
    func requiredIdentifier(_ key: String) throws(MessageDecodeError) -> String {
        guard let id = try identifier(key) else {
            throw MessageDecodeError(field: fieldPath(key), problem: "required")
        }
        return id
    }

    /// An identifier as a patch update (absent → nil, null → `.clear`).
    func identifierUpdate(_ key: String) throws(MessageDecodeError) -> FieldUpdate<String>? {
        if object[key] == .null { return .clear }
        return try identifier(key).map(FieldUpdate.set)
    }

    /// A nested object; absent or null → nil.
    func object(_ key: String) throws(MessageDecodeError) -> JSONFieldReader? {
        switch object[key] {
        case nil, .null?: return nil
        case .object(let nested)?: return JSONFieldReader(nested, path: fieldPath(key))
        case let other?: throw mismatch(key, expected: "an object", got: other)
        }
    }

    /// A nested object that must be present.
    func requiredObject(_ key: String) throws(MessageDecodeError) -> JSONFieldReader {
        guard let nested = try object(key) else {
            throw MessageDecodeError(field: fieldPath(key), problem: "required")
        }
        return nested
    }

    /// An array of strings as a patch update.
    func stringArrayUpdate(_ key: String) throws(MessageDecodeError) -> FieldUpdate<[String]>? {
        switch object[key] {
        case nil: return nil
        case .null?: return .clear
        case .array(let elements)?:
            var strings: [String] = []
            for (position, element) in elements.enumerated() {
                guard case .string(let text) = element else {
                    throw MessageDecodeError(field: "\(fieldPath(key))[\(position)]", problem: "expected a string, got \(element.typeName)")
                }
                strings.append(text)
            }
            return .set(strings)
        case let other?: throw mismatch(key, expected: "an array of strings or null", got: other)
        }
    }

    /// An array of objects (absent or null → nil).
    func objectArray(_ key: String) throws(MessageDecodeError) -> [JSONFieldReader]? {
        switch object[key] {
        case nil, .null?: return nil
        case .array(let elements)?:
            var readers: [JSONFieldReader] = []
            for (position, element) in elements.enumerated() {
                guard case .object(let nested) = element else {
                    throw MessageDecodeError(field: "\(fieldPath(key))[\(position)]", problem: "expected an object, got \(element.typeName)")
                }
                readers.append(JSONFieldReader(nested, path: "\(fieldPath(key))[\(position)]"))
            }
            return readers
        case let other?: throw mismatch(key, expected: "an array", got: other)
        }
    }

    /// Free-form custom fields: every member kept as JSON.
    func customFields(_ key: String) throws(MessageDecodeError) -> [String: FieldUpdate<JSONValue>] {
        guard let nested = try object(key) else { return [:] }
        var fields: [String: FieldUpdate<JSONValue>] = [:]
        for member in nested.object {
            fields[member.key] = member.value == .null ? .clear : .set(member.value)
        }
        return fields
    }

    /// A map of system name → id (`{"buildr": "144"}`).
    func references(_ key: String) throws(MessageDecodeError) -> [String: String] {
        guard let nested = try object(key) else { return [:] }
        var references: [String: String] = [:]
        for member in nested.object {
            if let id = try nested.identifier(member.key) { references[member.key] = id }
        }
        return references
    }

    /// A phone given as `"+44 …"` or `{"number": "+61 …", "country": "AU"}`; absent → nil, null → `.clear`.
    func phoneUpdate(_ key: String) throws(MessageDecodeError) -> FieldUpdate<PhoneNumber>? {
        switch object[key] {
        case nil: return nil
        case .null?: return .clear
        case .string(let text)?: return .set(PhoneNumber(number: text))
        case .object?:
            let nested = try requiredObject(key)
            let number = try nested.string("number")
            let value = try nested.string("value")
            guard let number = number ?? value else {
                throw MessageDecodeError(field: nested.fieldPath("number"), problem: "required")
            }
            return .set(PhoneNumber(number: number, country: try nested.string("country")))
        case let other?: throw mismatch(key, expected: "a phone number string, an object or null", got: other)
        }
    }
}
