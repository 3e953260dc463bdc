/// The CRM a target is, resolved when the configuration loads.
///
/// A new CRM is one new client file plus one case here, with its configuration below.
package enum TargetKind: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case buildr
    case plannr
    case omnichannel

    /// Kind-specific keys that must be present.
    package var requiredOptions: [String] {
        switch self {
        case .buildr: ["token_url", "client_id", "client_secret"]
        case .plannr: ["token", "account_uuid"]
        case .omnichannel: ["api_key"]
        }
    }

    /// Kind-specific keys that may be present.
    package var optionalOptions: [String] {
        switch self {
        case .buildr: ["scope"]
        case .plannr, .omnichannel: []
        }
    }

    /// Options that are credentials: never printed.
    package var secretOptions: Set<String> {
        switch self {
        case .buildr: ["client_secret"]
        case .plannr: ["token"]
        case .omnichannel: ["api_key"]
        }
    }

    /// The client-side limit when the configuration gives none.
    package var defaultRateLimit: RateLimitSettings? {
        switch self {
        case .buildr: RateLimitSettings(requests: 10, period: .seconds(10), burst: 9)
        case .plannr: RateLimitSettings(requests: 500, period: .seconds(60), burst: 1)
        case .omnichannel: nil
        }
    }

    /// Whether its client can fetch a contact by id (to resolve thin deliveries).
    package var fetchesContacts: Bool { self == .buildr }

    /// The request builder for a configured target of this kind.
    package func client(_ settings: TargetSettings) -> any TargetClient {
        switch self {
        case .buildr: BuildrContactsClient(settings: settings)
        case .plannr: PlannrContactDetailsClient(settings: settings)
        case .omnichannel: OmnichannelContactsClient(settings: settings)
        }
    }

    /// The names configuration accepts, for error messages.
    package static var names: [String] { allCases.map(\.rawValue) }

    package var description: String { rawValue }
}

extension TargetSettings {
    /// The request builder for this target.
    package var client: any TargetClient { kind.client(self) }
}
