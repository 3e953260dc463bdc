import HooklineCore

/// A fault the sandbox injects into matching requests, for the next `count` of them.
package struct SandboxFault: Sendable, Hashable {
    /// What happens instead of (or before) the normal answer.
    package enum Action: Sendable, Hashable {
        /// Answer this status, headers and JSON body.
        case respond(status: Int, headers: [HeaderField], body: JSONValue)
        /// Answer normally, after this delay.
        case delay(Duration)
        /// Close the connection without answering.
        case drop
    }

    /// Matches requests whose method equals this (nil: any).
    package var method: String?
    /// Matches requests whose path starts with this.
    package var pathPrefix: String
    package var action: Action
    /// How many matching requests it applies to (`Int.max`: until cleared).
    package var count: Int
    /// The share of matching requests it applies to, from 0 to 1: a target that fails now and
    /// then. A request it spares is answered as if it were not there (or by the next fault).
    package var chance: Double

    package init(method: String? = nil, pathPrefix: String, action: Action, count: Int = 1, chance: Double = 1) {
        self.method = method
        self.pathPrefix = pathPrefix
        self.action = action
        self.count = count
        self.chance = chance
    }

    /// `status` with an optional JSON body and headers, `count` times.
    package static func status(
        _ status: Int, on pathPrefix: String, method: String? = nil, count: Int = 1, headers: [HeaderField] = [],
        body: JSONValue = ["error": "injected fault"], chance: Double = 1
    ) -> SandboxFault {
        SandboxFault(method: method, pathPrefix: pathPrefix, action: .respond(status: status, headers: headers, body: body), count: count, chance: chance)
    }

    func matches(method: String, path: String) -> Bool {
        (self.method == nil || self.method == method) && path.hasPrefix(pathPrefix)
    }

    /// Whether it applies to this matching request.
    func fires(using generator: inout some RandomNumberGenerator) -> Bool {
        chance >= 1 || Double.random(in: 0..<1, using: &generator) < chance
    }
}
