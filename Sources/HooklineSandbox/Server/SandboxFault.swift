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

    package init(method: String? = nil, pathPrefix: String, action: Action, count: Int = 1) {
        self.method = method
        self.pathPrefix = pathPrefix
        self.action = action
        self.count = count
    }

    /// `status` with an optional JSON body and headers, `count` times.
    package static func status(
        _ status: Int, on pathPrefix: String, method: String? = nil, count: Int = 1, headers: [HeaderField] = [],
        body: JSONValue = ["error": "injected fault"]
    ) -> SandboxFault {
        SandboxFault(method: method, pathPrefix: pathPrefix, action: .respond(status: status, headers: headers, body: body), count: count)
    }

    func matches(method: String, path: String) -> Bool {
        (self.method == nil || self.method == method) && path.hasPrefix(pathPrefix)
    }
}
