/// A signature setting that cannot work, named so the operator can fix the configuration.
package struct SignatureConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The setting at fault (`secrets[1]`, `header`, `scheme`, …).
    package let setting: String
    /// What is wrong with it — never the secret's value.
    package let problem: String

    package init(setting: String, problem: String) {
        self.setting = setting
        self.problem = problem
    }

    package var description: String { "\(setting): \(problem)" }
}

extension HMACKey {
    /// The key a scheme makes from a configured secret's bytes; a secret that cannot be a key is
    /// a configuration error about `secret` (its value never in the message).
    package static func configured(_ algorithm: HMACAlgorithm, secret: some Collection<UInt8>) throws(SignatureConfigurationError) -> HMACKey {
        do {
            return try HMACKey(algorithm: algorithm, secret: secret)
        } catch {
            throw SignatureConfigurationError(setting: "secret", problem: error.description)
        }
    }
}
