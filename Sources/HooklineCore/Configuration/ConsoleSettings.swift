/// `console:`: the web console's own listener and who may use it. Off unless configured.
package struct ConsoleSettings: Sendable, Hashable {
    /// What a token may do: `viewer` looks (payloads masked); `operator` also acts.
    package enum Role: String, Sendable, Hashable {
        case viewer
        case `operator`
    }

    /// A token, by name, kept as its SHA-256 (`hookline console-token` makes one).
    package struct Token: Sendable, Hashable, CustomStringConvertible {
        package var name: String
        package var role: Role
        package var sha256: [UInt8]

        package init(name: String, role: Role, sha256: [UInt8]) {
            self.name = name
            self.role = role
            self.sha256 = sha256
        }

        package var description: String { "\(name) (\(role.rawValue))" }
    }

    package var host: String
    package var port: Int
    /// The console's address as people reach it (behind a proxy), for links in alerts.
    package var publicURL: String?
    package var tokens: [Token]

    package init(host: String = "127.0.0.1", port: Int = 9090, publicURL: String? = nil, tokens: [Token] = []) {
        self.host = host
        self.port = port
        self.publicURL = publicURL
        self.tokens = tokens
    }
}

extension ConfigurationLoader {
    /// `console: {listen, public_url, tokens: [{name, role, sha256}]}`.
    static func console(_ section: YAMLSection) throws(ConfigurationError) -> ConsoleSettings {
        try section.checkKeys(["listen", "public_url", "tokens"])
        var settings = ConsoleSettings()
        if let listen = try section.string("listen") {
            guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65535).contains(port) else {
                throw section.error("listen", "expected host:port, such as 127.0.0.1:9090, got '\(listen)'")
            }
            let host = listen[..<colon]
            settings.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : String(host)
            settings.port = port
        }
        if let url = try section.string("public_url") {
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw section.error("public_url", "expected an http:// or https:// URL")
            }
            settings.publicURL = url.hasSuffix("/") ? String(url.dropLast()) : url
        }
        for token in try section.sections("tokens") {
            try token.checkKeys(["name", "role", "sha256"])
            let name = try token.requiredString("name")
            let roleText = try token.string("role") ?? "viewer"
            guard let role = ConsoleSettings.Role(rawValue: roleText) else {
                throw token.error("role", "expected viewer or operator, got '\(roleText)'")
            }
            let hex = try token.requiredString("sha256").lowercased()
            guard hex.count == 64, let digest = Hex.decode(hex), digest.contains(where: { $0 != 0 }) else {
                // Never the value: a token pasted here by mistake must not reach a log.
                throw token.error("sha256", "expected the token's SHA-256 as 64 hex digits (hookline console-token prints it), not the token itself")
            }
            guard !settings.tokens.contains(where: { $0.name == name }) else { throw token.error("name", "a second token named '\(name)'") }
            settings.tokens.append(ConsoleSettings.Token(name: name, role: role, sha256: digest))
        }
        guard !settings.tokens.isEmpty else { throw section.error("tokens", "required: at least one token (hookline console-token makes one)") }
        return settings
    }
}
