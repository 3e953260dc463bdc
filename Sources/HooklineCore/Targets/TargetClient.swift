/// The change one event makes at one target, once the target's contact id is known.
package struct TargetChange: Sendable, Hashable {
    package var kind: ContactEventKind
    package var patch: ContactPatch
    /// The contact's id at the target.
    package var contactID: String
    /// The contact's id in the source.
    package var sourceContactID: String
    package var source: String

    package init(kind: ContactEventKind, patch: ContactPatch, contactID: String, sourceContactID: String, source: String) {
        self.kind = kind
        self.patch = patch
        self.contactID = contactID
        self.sourceContactID = sourceContactID
        self.source = source
    }
}

/// What a target client will do for a change.
package enum TargetPlan: Sendable, Hashable {
    /// These calls, in order.
    case calls([TargetCall])
    /// Nothing to send; the job ends `skipped` with this reason.
    case nothing(reason: String)
}

/// Ids Hookline learned from creates, looked up by target and key.
package protocol ReferenceLookup: Sendable {
    func reference(target: String, key: String) -> String?
}

/// An OAuth client-credentials token request.
package struct TokenRequest: Sendable, Hashable {
    /// The full token URL.
    package var url: String
    package var call: TargetCall

    package init(url: String, call: TargetCall) {
        self.url = url
        self.call = call
    }
}

/// A granted token.
package struct AccessToken: Sendable, Hashable {
    package var value: String
    /// When to stop using it, on the monotonic clock.
    package var expiresAt: MonotonicTime

    package init(value: String, expiresAt: MonotonicTime) {
        self.value = value
        self.expiresAt = expiresAt
    }
}

/// A CRM's request builder and response classifier: pure functions, no I/O.
///
/// A new CRM is one new file conforming to this protocol, plus one case in `TargetKind`.
package protocol TargetClient: Sendable {
    var settings: TargetSettings { get }

    /// The calls that apply `change` (credentials not yet added).
    func plan(_ change: TargetChange, references: some ReferenceLookup) -> TargetPlan

    /// Adds credentials to a call; `token` is the OAuth token for clients that use one.
    func authorize(_ call: TargetCall, token: String?) -> TargetCall

    /// What the response to `call` means.
    func classify(_ response: TargetResponse, to call: TargetCall) -> CallVerdict

    /// How to obtain a token, for clients that use OAuth.
    var tokenRequest: TokenRequest? { get }

    /// Reads a token response received at `now`.
    func token(from response: TargetResponse, now: MonotonicTime) -> AccessToken?

    /// The settings' secret values, to keep out of error excerpts.
    var secrets: [String] { get }

    /// Whether its calls learn ids (`CallVerdict.success(learned:)`) that later plans read. A
    /// worker skips the store's lookup of learned ids when neither the client nor the route
    /// (a `mapping` contact id) can use one: a round trip per job on a shared store.
    var learnsReferences: Bool { get }
}

/// The learned ids of a job that can use none.
package struct NoReferences: ReferenceLookup {
    package init() {}
    package func reference(target: String, key: String) -> String? { nil }
}

extension TargetClient {
    package var learnsReferences: Bool { false }
    package var tokenRequest: TokenRequest? { nil }
    package func token(from response: TargetResponse, now: MonotonicTime) -> AccessToken? { nil }

    package var secrets: [String] {
        let secretNames = settings.kind.secretOptions
        return settings.options.filter { secretNames.contains($0.key) }.map(\.value).filter { !$0.isEmpty }
    }

    /// The full URL of a call.
    package func url(for call: TargetCall) -> String {
        let base = settings.baseURL.hasSuffix("/") ? String(settings.baseURL.dropLast()) : settings.baseURL
        return base + call.path
    }
}

/// A CRM's API as Hookline knows it: its client, and the facts the configuration needs about it
/// — all in the client's own file. `TargetKind` names which client each kind is.
package protocol TargetAPI: TargetClient {
    /// Kind-specific configuration keys that must be present.
    static var requiredOptions: [String] { get }
    /// Kind-specific configuration keys that may be present.
    static var optionalOptions: [String] { get }
    /// Options that are credentials: never printed.
    static var secretOptions: Set<String> { get }
    /// The client-side limit when the configuration gives none.
    static var defaultRateLimit: RateLimitSettings? { get }

    init(settings: TargetSettings)
}

extension TargetAPI {
    package static var optionalOptions: [String] { [] }
    package static var defaultRateLimit: RateLimitSettings? { nil }
}

/// A client that can fetch a source contact by id (to resolve thin messages).
package protocol ContactFetching: TargetClient {
    /// The call that fetches `contactID`, or why it cannot be made (an id unsafe in a URL).
    func fetchCall(contactID: String) -> Result<TargetCall, RefusedPathID>
    func patch(fromFetched response: TargetResponse) throws(MessageDecodeError) -> ContactPatch
}
