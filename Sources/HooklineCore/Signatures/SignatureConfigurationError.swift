/// A signature setting that cannot work, named so the operator can fix the configuration.
public struct SignatureConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The setting at fault (`secrets[1]`, `header`, `scheme`, …).
    public let setting: String
    /// What is wrong with it — never the secret's value.
    public let problem: String

    public init(setting: String, problem: String) {
        self.setting = setting
        self.problem = problem
    }

    public var description: String { "\(setting): \(problem)" }
}
