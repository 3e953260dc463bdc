/// The CRM a target is, resolved when the configuration loads.
///
/// A new CRM is one new client file (a `TargetAPI`, which states its own options, secrets and
/// rate limit) plus one case here and one line in `api`.
package enum TargetKind: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case buildr
    case plannr
    case omnichannel

    /// The client of this kind's API, which knows the rest.
    package var api: any TargetAPI.Type {
        switch self {
        case .buildr: BuildrContactsClient.self
        case .plannr: PlannrContactDetailsClient.self
        case .omnichannel: OmnichannelContactsClient.self
        }
    }

    /// Kind-specific keys that must be present.
    package var requiredOptions: [String] { api.requiredOptions }
    /// Kind-specific keys that may be present.
    package var optionalOptions: [String] { api.optionalOptions }
    /// Options that are credentials: never printed.
    package var secretOptions: Set<String> { api.secretOptions }
    /// The client-side limit when the configuration gives none.
    package var defaultRateLimit: RateLimitSettings? { api.defaultRateLimit }
    /// Whether its client can fetch a contact by id (to resolve thin deliveries).
    package var fetchesContacts: Bool { api is any ContactFetching.Type }

    /// The request builder for a configured target of this kind.
    package func client(_ settings: TargetSettings) -> any TargetClient { api.init(settings: settings) }

    /// The names configuration accepts, for error messages.
    package static var names: [String] { allCases.map(\.rawValue) }

    package var description: String { rawValue }
}

extension TargetSettings {
    /// The request builder for this target.
    package var client: any TargetClient { kind.client(self) }
}
