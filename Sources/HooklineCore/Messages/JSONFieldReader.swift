/// Reads typed fields from a JSON object on a `JSONTape`, naming the full path of any field that
/// has the wrong type. Only the values read become `String`s; paths are worked out only for
/// error messages.
struct JSONFieldReader {
    let node: JSONNode

    init(_ node: JSONNode) { self.node = node }

    /// Reads the root of a body, which must be an object.
    init(root: JSONNode) throws(MessageDecodeError) {
        guard root.kind == .object else {
            throw MessageDecodeError(field: "", problem: "expected a JSON object, got \(root.kind.typeName)")
        }
        self.init(root)
    }

    /// The path of this object itself, e.g. `data.contact` (empty for the root).
    var path: String { node.path }

    func fieldPath(_ key: String) -> String {
        let path = self.path
        return path.isEmpty ? key : "\(path).\(key)"
    }

    private func mismatch(_ key: String, expected: String, got value: JSONNode) -> MessageDecodeError {
        MessageDecodeError(field: fieldPath(key), problem: "expected \(expected), got \(value.kind.typeName)")
    }

    /// The member `key`, if present.
    func member(_ key: String) -> JSONNode? { node.member(key) }

    func contains(_ key: String) -> Bool { node.member(key) != nil }

    /// Whether `key` is present and `null`.
    func isNull(_ key: String) -> Bool { node.member(key)?.isNull ?? false }

    /// A string field as a patch update: absent → nil, null → `.clear`.
    func stringUpdate(_ key: String) throws(MessageDecodeError) -> FieldUpdate<String>? {
        guard let value = node.member(key) else { return nil }
        switch value.kind {
        case .null: return .clear
        case .string: return .set(value.stringValue ?? "")
        default: throw mismatch(key, expected: "a string or null", got: value)
        }
    }

    /// An optional string (absent or null → nil).
    func string(_ key: String) throws(MessageDecodeError) -> String? {
        guard let value = node.member(key) else { return nil }
        switch value.kind {
        case .null: return nil
        case .string: return value.stringValue
        default: throw mismatch(key, expected: "a string", got: value)
        }
    }

    /// An identifier sent as a string or an integer (`"144"` or `144`); absent or null → nil.
    /// Ids are copied into every audit line of their event, so their length is bounded.
    func identifier(_ key: String) throws(MessageDecodeError) -> String? {
        guard let value = node.member(key) else { return nil }
        switch value.kind {
        case .null: return nil
        case .string:
            let text = value.stringValue ?? ""
            guard !text.isEmpty else { throw MessageDecodeError(field: fieldPath(key), problem: "must not be empty") }
            try MessageLimits.check(text, field: fieldPath(key), what: "an id")
            return text
        case .number where value.rawBytes.allSatisfy({ $0 == UInt8(ascii: "-") || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) }):
            let text = value.numberText ?? ""
            try MessageLimits.check(text, field: fieldPath(key), what: "an id")
            return text
        default: throw mismatch(key, expected: "a string or an integer id", got: value)
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
        if isNull(key) { return .clear }
        return try identifier(key).map(FieldUpdate.set)
    }

    /// A nested object; absent or null → nil.
    func object(_ key: String) throws(MessageDecodeError) -> JSONFieldReader? {
        guard let value = node.member(key) else { return nil }
        switch value.kind {
        case .null: return nil
        case .object: return JSONFieldReader(value)
        default: throw mismatch(key, expected: "an object", got: value)
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
        guard let value = node.member(key) else { return nil }
        switch value.kind {
        case .null: return .clear
        case .array:
            var strings: [String] = []
            for (position, element) in value.elements.enumerated() {
                guard let text = element.stringValue else {
                    throw MessageDecodeError(field: "\(fieldPath(key))[\(position)]", problem: "expected a string, got \(element.kind.typeName)")
                }
                strings.append(text)
            }
            return .set(strings)
        default: throw mismatch(key, expected: "an array of strings or null", got: value)
        }
    }

    /// Calls `body` with each object of an array of objects, once every element is known to be
    /// one; false when the member is absent or null. No array of readers is built.
    func forEachObject(_ key: String, _ body: (JSONFieldReader) throws(MessageDecodeError) -> Void) throws(MessageDecodeError) -> Bool {
        guard let value = node.member(key) else { return false }
        switch value.kind {
        case .null: return false
        case .array:
            for (position, element) in value.elements.enumerated() where element.kind != .object {
                throw MessageDecodeError(field: "\(fieldPath(key))[\(position)]", problem: "expected an object, got \(element.kind.typeName)")
            }
            for element in value.elements { try body(JSONFieldReader(element)) }
            return true
        default: throw mismatch(key, expected: "an array", got: value)
        }
    }

    /// Free-form custom fields: every member kept as JSON.
    func customFields(_ key: String) throws(MessageDecodeError) -> [String: FieldUpdate<JSONValue>] {
        guard let nested = try object(key) else { return [:] }
        var fields: [String: FieldUpdate<JSONValue>] = [:]
        for member in nested.node.members {
            fields[member.key] = member.value.isNull ? .clear : .set(member.value.value)
        }
        return fields
    }

    /// A map of system name → id (`{"buildr": "144"}`).
    func references(_ key: String) throws(MessageDecodeError) -> [String: String] {
        guard let nested = try object(key) else { return [:] }
        var references: [String: String] = [:]
        for member in nested.node.members {
            if let id = try nested.identifier(member.key) { references[member.key] = id }
        }
        return references
    }

    /// A phone given as `"+44 …"` or `{"number": "+61 …", "country": "AU"}`; absent → nil, null → `.clear`.
    func phoneUpdate(_ key: String) throws(MessageDecodeError) -> FieldUpdate<PhoneNumber>? {
        guard let value = node.member(key) else { return nil }
        switch value.kind {
        case .null: return .clear
        case .string: return .set(PhoneNumber(number: value.stringValue ?? ""))
        case .object:
            let nested = try requiredObject(key)
            let number = try nested.string("number")
            let value = try nested.string("value")
            guard let number = number ?? value else {
                throw MessageDecodeError(field: nested.fieldPath("number"), problem: "required")
            }
            return .set(PhoneNumber(number: number, country: try nested.string("country")))
        default: throw mismatch(key, expected: "a phone number string, an object or null", got: value)
        }
    }
}
