/// An http(s) URL in parts, for what is shown of it (span attributes, check-config): scheme,
/// host, port, and the URL without its query, fragment or user info, where credentials or keys
/// may be.
package struct URLParts: Sendable, Hashable {
    package let scheme: String
    package let host: String
    package let port: Int
    package let withoutQuery: String

    package init?(_ url: String) {
        guard let schemeEnd = url.range(of: "://") else { return nil }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { return nil }
        var rest = url[schemeEnd.upperBound...]
        if let cut = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) { rest = rest[..<cut] }
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        let path = rest[authorityEnd...]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        var host = String(authority)
        var port = scheme == "https" ? 443 : 80
        if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]"), let number = Int(authority[authority.index(after: colon)...]) {
            host = String(authority[..<colon])
            port = number
        }
        guard !host.isEmpty else { return nil }
        self.scheme = scheme
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.port = port
        self.withoutQuery = "\(scheme)://\(authority)\(path)"
    }
}
