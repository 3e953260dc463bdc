/// The registry of signature schemes by configuration name.
package enum SignatureSchemes {
    typealias Factory = @Sendable (SignatureSchemeOptions) throws(SignatureConfigurationError) -> any SignatureScheme

    // One line per scheme.
    static let factories: [(name: String, make: Factory)] = [
        ("standard-webhooks", { _ in StandardWebhooksScheme() }),
        ("stripe", { _ in StripeScheme() }),
        ("github", { _ in HeaderHMACScheme.github }),
        ("plannr", { _ in HeaderHMACScheme.plannr }),
        ("hmac", { options throws(SignatureConfigurationError) in try HeaderHMACScheme(options: options) }),
    ]

    /// Every scheme name, in documentation order.
    package static var names: [String] { factories.map(\.name) }

    /// The scheme called `name`, configured with `options`.
    package static func scheme(
        named name: String,
        options: SignatureSchemeOptions = SignatureSchemeOptions()
    ) throws(SignatureConfigurationError) -> any SignatureScheme {
        guard let factory = factories.first(where: { $0.name == name }) else {
            throw SignatureConfigurationError(
                setting: "scheme",
                problem: "unknown scheme '\(name)' (expected one of: \(names.joined(separator: ", ")))"
            )
        }
        return try factory.make(options)
    }
}
