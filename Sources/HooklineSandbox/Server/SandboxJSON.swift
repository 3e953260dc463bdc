import HooklineCore

/// Validation helpers shared by the sandbox APIs.
enum SandboxJSON {
    /// A string or null, or nil when the member is absent; a problem sentence for anything else.
    static func optionalString(_ object: JSONObject, _ key: String) -> (present: Bool, value: String?, problem: String?) {
        switch object[key] {
        case nil: return (false, nil, nil)
        case .null?: return (true, nil, nil)
        case .string(let text)?: return (true, text, nil)
        case let other?: return (true, nil, "\(key) must be a string, not \(other.typeName)")
        }
    }

    static func uuid() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let hex = Hex.encode(bytes)
        let characters = Array(hex)
        func part(_ range: Range<Int>) -> String { String(characters[range]) }
        return "\(part(0..<8))-\(part(8..<12))-4\(part(13..<16))-a\(part(17..<20))-\(part(20..<32))"
    }

    static func timestamp() -> String {
        let now = UnixTime.now().rfc3339
        return String(now.prefix(19)) + "Z"
    }
}
