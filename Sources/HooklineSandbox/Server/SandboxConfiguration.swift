/// Credentials the sandbox accepts and whether it enforces the CRMs' rate limits.
package struct SandboxConfiguration: Sendable {
    package var buildrClientID: String
    package var buildrClientSecret: String
    package var plannrToken: String
    /// The firm account every Plannr call must name in `X-PLANNR-ACCOUNT-UUID`.
    package var plannrAccountUUID: String
    package var omnichannelAPIKey: String
    /// Buildr 10 per 10 s and Plannr 500 per minute, as documented; off for throughput benchmarks.
    package var rateLimits: Bool
    /// Keep every request for tests to inspect (off for long benchmarks).
    package var recordRequests: Bool
    /// Create an unknown X-Api-Key contact on its first PUT instead of answering 404
    /// (benchmarks spread updates over thousands of contacts).
    package var createUnknownContacts: Bool
    package var seed: SandboxSeed

    package init(
        buildrClientID: String = "hookline-client",
        buildrClientSecret: String = "hookline-client-secret",
        plannrToken: String = "plannr-token",
        plannrAccountUUID: String = "0f3c7e1a-5b7d-4c2e-9a8f-1d2e3f4a5b6c",
        omnichannelAPIKey: String = "omni-key",
        rateLimits: Bool = true,
        recordRequests: Bool = true,
        createUnknownContacts: Bool = false,
        seed: SandboxSeed = .fixtures
    ) {
        self.createUnknownContacts = createUnknownContacts
        self.buildrClientID = buildrClientID
        self.buildrClientSecret = buildrClientSecret
        self.plannrToken = plannrToken
        self.plannrAccountUUID = plannrAccountUUID
        self.omnichannelAPIKey = omnichannelAPIKey
        self.rateLimits = rateLimits
        self.recordRequests = recordRequests
        self.seed = seed
    }
}
