/// The change one event makes at one target, once the target's contact id is known.
public struct TargetChange: Sendable, Hashable {
    public var kind: ContactEventKind
    public var patch: ContactPatch
    /// The contact's id at the target.
    public var contactID: String
    /// The contact's id in the source.
    public var sourceContactID: String
    public var source: String

    public init(kind: ContactEventKind, patch: ContactPatch, contactID: String, sourceContactID: String, source: String) {
        self.kind = kind
        self.patch = patch
        self.contactID = contactID
        self.sourceContactID = sourceContactID
        self.source = source
    }
}

/// What a target client will do for a change.
public enum TargetPlan: Sendable, Hashable {
    /// These calls, in order.
    case calls([TargetCall])
    /// Nothing to send; the job ends `skipped` with this reason.
    case nothing(reason: String)
}

/// Ids Hookline learned from creates, looked up by target and key.
public protocol ReferenceLookup: Sendable {
    func reference(target: String, key: String) -> String?
}

/// An OAuth client-credentials token request.
public struct TokenRequest: Sendable, Hashable {
    /// The full token URL.
    public var url: String
    public var call: TargetCall

    public init(url: String, call: TargetCall) {
        self.url = url
        self.call = call
    }
}

/// A granted token.
public struct AccessToken: Sendable, Hashable {
    public var value: String
    public var expiresAt: UnixTime

    public init(value: String, expiresAt: UnixTime) {
        self.value = value
        self.expiresAt = expiresAt
    }
}

/// A CRM's request builder and response classifier: pure functions, no I/O.
///
/// A new CRM is one new file conforming to this protocol, plus one line in `TargetKinds`.
public protocol TargetClient: Sendable {
    var settings: TargetSettings { get }

    /// The calls that apply `change` (credentials not yet added).
    func plan(_ change: TargetChange, references: some ReferenceLookup) -> TargetPlan

    /// Adds credentials to a call; `token` is the OAuth token for clients that use one.
    func authorize(_ call: TargetCall, token: String?) -> TargetCall

    /// What the response to `call` means.
    func classify(_ response: TargetResponse, to call: TargetCall) -> CallVerdict

    /// How to obtain a token, for clients that use OAuth.
    var tokenRequest: TokenRequest? { get }

    /// Reads a token response.
    func token(from response: TargetResponse, now: UnixTime) -> AccessToken?

    /// The settings' secret values, to keep out of error excerpts.
    var secrets: [String] { get }
}

extension TargetClient {
    public var tokenRequest: TokenRequest? { nil }
    public func token(from response: TargetResponse, now: UnixTime) -> AccessToken? { nil }

    public var secrets: [String] {
        let secretNames = TargetKinds.kind(named: settings.kind)?.secretOptions ?? []
        return settings.options.filter { secretNames.contains($0.key) }.map(\.value).filter { !$0.isEmpty }
    }

    /// The full URL of a call.
    public func url(for call: TargetCall) -> String {
        let base = settings.baseURL.hasSuffix("/") ? String(settings.baseURL.dropLast()) : settings.baseURL
        return base + call.path
    }
}

/// A client that can fetch a source contact by id (to resolve thin messages).
public protocol ContactFetching: TargetClient {
    /// The call that fetches `contactID`, or why it cannot be made (an id unsafe in a URL).
    func fetchCall(contactID: String) -> Result<TargetCall, RefusedPathID>
    func patch(fromFetched response: TargetResponse) throws(MessageDecodeError) -> ContactPatch
}
