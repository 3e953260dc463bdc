/// Where Hookline keeps its journal: the embedded JSONL audit log, or one PostgreSQL that
/// several Hooklines share.
package enum StoreSettings: Sendable, Hashable {
    /// The audit log is the journal; one process owns it (the default).
    case file
    /// PostgreSQL, shared by every instance.
    case postgres(PostgresSettings)

    package var kindName: String {
        switch self {
        case .file: "file"
        case .postgres: "postgres"
        }
    }
}

/// `store: {kind: postgres, …}`.
package struct PostgresSettings: Sendable, Hashable {
    package var url: PostgresURL
    /// Connections per instance.
    package var poolSize: Int
    /// How long an instance's claim on a lane survives its silence; at least what the slowest
    /// target's calls need (`LeaseTerms.shortestLease`).
    package var lease: Duration
    /// The terms the fleet holds its leases on.
    package var leaseTerms: LeaseTerms { LeaseTerms(lease: lease) }
    /// Finished events are pruned after this (in batches, on the database's clock); at least the
    /// dedup window, which the default follows when it is longer.
    package var retention: Duration
    /// An instance silent this long is gone for good: another copies the audit lines it had
    /// committed but not written into its own log.
    package var adoptAfter: Duration

    package init(
        url: PostgresURL, poolSize: Int = 10, lease: Duration = .seconds(30), retention: Duration = .seconds(7 * 86_400),
        adoptAfter: Duration = .seconds(3600)
    ) {
        self.url = url
        self.poolSize = poolSize
        self.lease = lease
        self.retention = retention
        self.adoptAfter = adoptAfter
    }
}

/// A `postgres://user:password@host:port/database?sslmode=…` URL, read strictly. Its
/// description never shows the password.
package struct PostgresURL: Sendable, Hashable, CustomStringConvertible {
    /// How the connection is protected, as libpq's `sslmode` names it.
    package enum TLSMode: String, Sendable, Hashable, CaseIterable {
        case disable, prefer, require
    }

    package var user: String
    package var password: String?
    package var host: String
    package var port: Int
    package var database: String
    package var tls: TLSMode

    package init(user: String, password: String?, host: String, port: Int = 5432, database: String, tls: TLSMode = .prefer) {
        self.user = user
        self.password = password
        self.host = host
        self.port = port
        self.database = database
        self.tls = tls
    }

    /// Why a URL is not one Hookline can use.
    package struct Problem: Error, Sendable, Hashable, CustomStringConvertible {
        package let description: String
    }

    /// Reads `text`; the problem never repeats the password.
    package init(parsing text: String) throws(Problem) {
        var rest = Substring(text)
        guard let scheme = ["postgres://", "postgresql://"].first(where: { rest.hasPrefix($0) }) else {
            throw Problem(description: "expected postgres://user:password@host:port/database")
        }
        rest = rest.dropFirst(scheme.count)
        var query = ""
        if let mark = rest.firstIndex(of: "?") {
            query = String(rest[rest.index(after: mark)...])
            rest = rest[..<mark]
        }
        guard let slash = rest.firstIndex(of: "/") else { throw Problem(description: "no database name after the host (…/database)") }
        let database = Self.decoded(rest[rest.index(after: slash)...])
        let authority = rest[..<slash]
        guard !database.isEmpty, !database.contains("/") else { throw Problem(description: "no database name after the host (…/database)") }
        var user = ""
        var password: String?
        var hostPort = authority
        if let at = authority.lastIndex(of: "@") {
            let credentials = authority[..<at]
            hostPort = authority[authority.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                user = Self.decoded(credentials[..<colon])
                password = Self.decoded(credentials[credentials.index(after: colon)...])
            } else {
                user = Self.decoded(credentials)
            }
        }
        guard !user.isEmpty else { throw Problem(description: "no user name (postgres://user:password@host/…)") }
        var host = String(hostPort)
        var port = 5432
        if let colon = hostPort.lastIndex(of: ":"), !hostPort.hasSuffix("]") {
            host = String(hostPort[..<colon])
            guard let number = Int(hostPort[hostPort.index(after: colon)...]), (1...65535).contains(number) else {
                throw Problem(description: "the port is not a number from 1 to 65535")
            }
            port = number
        }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw Problem(description: "no host") }
        var tls = TLSMode.prefer
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, parts[0] == "sslmode" else {
                throw Problem(description: "unknown parameter '\(parts.first ?? "")' (only sslmode is read)")
            }
            guard let mode = TLSMode(rawValue: parts[1]) else {
                throw Problem(description: "sslmode must be one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", ")), got '\(parts[1])'")
            }
            tls = mode
        }
        self.init(user: user, password: password, host: host, port: port, database: database, tls: tls)
    }

    /// `%XX` escapes decoded, as URLs spell reserved characters in passwords.
    private static func decoded(_ text: Substring) -> String {
        guard text.contains("%") else { return String(text) }
        var bytes: [UInt8] = []
        var index = text.utf8.startIndex
        let utf8 = text.utf8
        while index < utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%"), let first = utf8.index(index, offsetBy: 1, limitedBy: utf8.endIndex), first < utf8.endIndex,
                let second = utf8.index(first, offsetBy: 1, limitedBy: utf8.endIndex), second < utf8.endIndex,
                let value = UInt8(String(decoding: [utf8[first], utf8[second]], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                index = utf8.index(after: second)
            } else {
                bytes.append(byte)
                index = utf8.index(after: index)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The URL with the password hidden: safe to print and log.
    package var description: String {
        "postgres://\(user)\(password == nil ? "" : ":***")@\(host):\(port)/\(database)?sslmode=\(tls.rawValue)"
    }
}
