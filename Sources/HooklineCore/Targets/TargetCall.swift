/// One HTTP call to a target, built by a target client and sent by the transport.
package struct TargetCall: Sendable, Hashable {
    package var method: String
    /// The path below the target's base URL, e.g. `/contacts/144`.
    package var path: String
    /// Headers, credentials included once `authorize` has run.
    package var headers: [HeaderField]
    package var body: [UInt8]?
    /// For a create: the key under which the id the target returns is remembered.
    package var learns: String?

    package init(method: String, path: String, headers: [HeaderField] = [], body: [UInt8]? = nil, learns: String? = nil) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.learns = learns
    }

    /// PUT, PATCH, GET and DELETE may be repeated after an ambiguous failure; POST may not.
    package var isIdempotent: Bool { method != "POST" }

    /// `PATCH /contacts/144`, as the audit log's `request`.
    package var summary: String { "\(method) \(path)" }

    /// The body as text (tests, `replay --dry-run`).
    package var bodyText: String? { body.map { String(decoding: $0, as: UTF8.self) } }
}

/// A target's answer to a call.
package struct TargetResponse: Sendable, Hashable {
    package var status: Int
    package var headers: [HeaderField]
    package var body: [UInt8]

    package init(status: Int, headers: [HeaderField] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    package func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// An id a target created, to remember (a Plannr contact detail's uuid).
package struct LearnedReference: Sendable, Hashable {
    /// `<target contact id>/<slot>`, e.g. `73b5cb71-…/email`.
    package var key: String
    package var id: String

    package init(key: String, id: String) {
        self.key = key
        self.id = id
    }

    /// The one spelling of where an id learned at `target` under `key` is kept: `target` US `key`.
    package static func slot(target: String, key: String) -> String { "\(target)\u{1F}\(key)" }
}

/// Ids learned at targets, each under its slot: what a job's plan looks references up in. The
/// file store keeps one behind a lock; the dry run reads one from a log.
package struct KnownReferences: ReferenceLookup {
    private var ids: [String: String] = [:]

    package init() {}

    package mutating func remember(target: String, key: String, id: String) {
        ids[LearnedReference.slot(target: target, key: key)] = id
    }

    package func reference(target: String, key: String) -> String? { ids[LearnedReference.slot(target: target, key: key)] }
}

/// What a response means for the job.
package enum CallVerdict: Sendable, Hashable {
    /// Done; a create reports the id it made.
    case success(learned: LearnedReference?)
    /// A transient failure; try again no sooner than `after` when the target said so.
    case retry(after: Duration?, reason: String)
    /// The credentials were refused: refresh them once and repeat the call.
    case refreshCredentials
    /// A permanent failure; `reason` excerpts the target's error.
    case permanent(reason: String)
}
