/// A configuration problem, as one sentence naming the file, line and key.
package struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    package let file: String
    /// 1-based line of the offending node, when known.
    package let line: Int?
    /// The key path, like `sources[0].signature.scheme`.
    package let path: String
    package let problem: String

    package init(file: String, line: Int? = nil, path: String, problem: String) {
        self.file = file
        self.line = line
        self.path = path
        self.problem = problem
    }

    package var description: String {
        let location = line.map { "\(file):\($0)" } ?? file
        return path.isEmpty ? "\(location): \(problem)" : "\(location): \(path): \(problem)"
    }
}
