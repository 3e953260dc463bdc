/// What configuration a kind of target takes.
public struct TargetKindDescription: Sendable {
    /// The kind's name in configuration.
    public let name: String
    /// Kind-specific keys that must be present.
    public let requiredOptions: [String]
    /// Kind-specific keys that may be present.
    public let optionalOptions: [String]
    /// Options that are credentials: never printed.
    public let secretOptions: Set<String>
    /// The client-side limit when the configuration gives none.
    public let defaultRateLimit: RateLimitSettings?
    /// Builds the kind's request builder for a configured target.
    public let makeClient: @Sendable (TargetSettings) -> any TargetClient
}

/// The registry of target kinds.
public enum TargetKinds {
    // One line per CRM.
    public static let all: [TargetKindDescription] = [
        TargetKindDescription(
            name: "buildr", requiredOptions: ["token_url", "client_id", "client_secret"], optionalOptions: ["scope"],
            secretOptions: ["client_secret"], defaultRateLimit: RateLimitSettings(requests: 10, period: .seconds(10), burst: 9),
            makeClient: { BuildrContactsClient(settings: $0) }),
        TargetKindDescription(
            name: "plannr", requiredOptions: ["token", "account_uuid"], optionalOptions: [],
            secretOptions: ["token"], defaultRateLimit: RateLimitSettings(requests: 500, period: .seconds(60), burst: 1),
            makeClient: { PlannrContactDetailsClient(settings: $0) }),
        TargetKindDescription(
            name: "omnichannel", requiredOptions: ["api_key"], optionalOptions: [],
            secretOptions: ["api_key"], defaultRateLimit: nil,
            makeClient: { OmnichannelContactsClient(settings: $0) }),
    ]

    public static var names: [String] { all.map(\.name) }

    public static func kind(named name: String) -> TargetKindDescription? { all.first { $0.name == name } }

    /// The client for a configured target (its kind was checked when the configuration loaded).
    public static func client(for settings: TargetSettings) -> (any TargetClient)? {
        kind(named: settings.kind)?.makeClient(settings)
    }
}
