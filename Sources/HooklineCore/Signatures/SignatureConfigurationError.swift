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
